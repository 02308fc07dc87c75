#include "adapters/sqlite/record_codec.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace mtrace::adapters::sqlite {
namespace {

namespace json = boost::json;
using domain::PlaybackEvent;

constexpr domain::Micros kReceived = 1'767'225'600'000'000;

PlaybackEvent event(std::int64_t ingest_sequence, std::string name, json::object meta) {
  PlaybackEvent e;
  e.event_name = std::move(name);
  e.client_timestamp = kReceived - 1500 + ingest_sequence;
  e.sequence_number = ingest_sequence * 2;
  e.sdk = {"@m-trace/player-sdk", "0.1.0"};
  e.meta = std::move(meta);
  e.server_received_at = kReceived;
  e.ingest_sequence = ingest_sequence;
  return e;
}

// Encodes `events` into `blob` and decodes it (the decoded views point into `blob`).
std::vector<EncodedEvent> round_trip(const std::vector<PlaybackEvent>& events, std::string& blob) {
  ChunkEncoder encoder(events.front().ingest_sequence);
  for (const auto& e : events) encoder.add(e);
  blob = encoder.bytes();
  auto decoded = decode_chunk(blob, events.front().ingest_sequence, kReceived);
  EXPECT_TRUE(decoded.ok());
  return decoded.ok() ? std::move(decoded.value()) : std::vector<EncodedEvent>{};
}

TEST(RecordCodec, CompactChunkKeepsEveryFieldAndEveryMetaValueType) {
  std::vector<PlaybackEvent> events = {
      event(40, "segment_loaded",
            {{"network.redacted_url", "https://cdn.example.com/vod/low/seg_10.m4s"},
             {"bytes", 100010},
             {"big", std::numeric_limits<std::uint64_t>::max()},
             {"negative", -7},
             {"ratio", 0.1},
             {"fatal", true},
             {"muted", false},
             {"gone", nullptr},
             {"nested", {{"list", {1, 2.5, "x", nullptr}}}}}),
      event(41, "segment_loaded",
            {{"network.redacted_url", "https://cdn.example.com/vod/low/seg_11.m4s"}, {"bytes", 100011}}),
      event(43, "playback_error", {{"bytes", "not a number this time"}}),
  };
  events[1].sequence_number.reset();
  events[1].time_skew_warning = true;
  events[2].sdk = {"custom", "2"};
  events[2].after_session_end = true;
  events[2].delivery = domain::DeliveryStatus::duplicate_suspected;

  std::string blob;
  const auto decoded = round_trip(events, blob);
  ASSERT_EQ(decoded.size(), events.size());
  for (std::size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(decoded[i].ingest_sequence, events[i].ingest_sequence);
    EXPECT_EQ(decoded[i].event_name, events[i].event_name);
    EXPECT_EQ(decoded[i].client_timestamp, events[i].client_timestamp);
    EXPECT_EQ(decoded[i].sequence_number, events[i].sequence_number);
    EXPECT_EQ(decoded[i].sdk_name, events[i].sdk.name);
    EXPECT_EQ(decoded[i].sdk_version, events[i].sdk.version);
    EXPECT_EQ(decoded[i].meta, events[i].meta);
    EXPECT_TRUE(decoded[i].meta_json.empty());
    EXPECT_EQ(decoded[i].time_skew_warning, events[i].time_skew_warning);
    EXPECT_EQ(decoded[i].after_session_end, events[i].after_session_end);
    EXPECT_EQ(decoded[i].duplicate_suspected,
              events[i].delivery == domain::DeliveryStatus::duplicate_suspected);
  }
  EXPECT_TRUE(decoded[0].meta.at("big").is_uint64());
  EXPECT_TRUE(decoded[0].meta.at("ratio").is_double());
}

TEST(RecordCodec, RepeatedNamesKeysAndUrlPrefixesAreNotWrittenAgain) {
  std::vector<PlaybackEvent> events;
  std::size_t json_bytes = 0;
  for (int i = 0; i < 10; ++i) {
    events.push_back(event(100 + i, "segment_loaded",
                           {{"network.kind", "segment"},
                            {"network.redacted_url",
                             "https://cdn.example.com/vod/low/seg_" + std::to_string(10 + i) + ".m4s"},
                            {"duration_ms", 50 + i},
                            {"bytes", 100010 + i}}));
    json_bytes += json::serialize(events.back().meta).size() + events.back().event_name.size() +
                  events.back().sdk.name.size() + events.back().sdk.version.size();
  }
  ChunkEncoder encoder(100);
  for (const auto& e : events) encoder.add(e);
  // The first event spells everything out (~130 bytes); each later one takes about 30.
  EXPECT_LT(encoder.bytes().size(), json_bytes / 3);
  std::string blob;
  const auto decoded = round_trip(events, blob);
  ASSERT_EQ(decoded.size(), events.size());
  EXPECT_EQ(decoded[9].meta.at("network.redacted_url").as_string(),
            "https://cdn.example.com/vod/low/seg_19.m4s");
  EXPECT_EQ(decoded[9].event_name, "segment_loaded");
}

// Each value differs from the previous one of its key at another byte (or is a prefix of it, or
// extends it), across the eight-byte words the shared prefix is compared in.
TEST(RecordCodec, ValuesSharingAnyPrefixLengthWithThePreviousOneDecodeExactly) {
  const std::string base = "https://cdn.example.com/a/b/c/segment-0001.m4s";
  std::vector<std::string> values;
  for (std::size_t at = 0; at < base.size(); ++at) {
    std::string changed = base;
    changed[at] = changed[at] == 'x' ? 'y' : 'x';
    values.push_back(base);
    values.push_back(changed);
    values.push_back(base.substr(0, at));
    values.push_back(base + base.substr(0, at));
  }
  std::vector<PlaybackEvent> events;
  for (std::size_t i = 0; i < values.size(); ++i) {
    events.push_back(event(static_cast<std::int64_t>(1 + i), "segment_loaded", {{"url", values[i]}}));
  }
  std::string blob;
  const auto decoded = round_trip(events, blob);
  ASSERT_EQ(decoded.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(decoded[i].meta.at("url").as_string(), values[i]) << i;
  }
}

TEST(RecordCodec, KeysBeyondTheNumberedOnesAreSpelledOutEachTime) {
  json::object wide;
  for (int k = 0; k < 100; ++k) wide["key_" + std::to_string(k)] = "value-" + std::to_string(k);
  json::object again = wide;
  again["key_99"] = "value-99-changed";
  std::string blob;
  const auto decoded = round_trip({event(1, "custom.wide", wide), event(2, "custom.wide", again)}, blob);
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[0].meta, wide);
  EXPECT_EQ(decoded[1].meta, again);
}

// A chunk written by builds before the compact layout: names spelled out, meta as JSON text.
TEST(RecordCodec, DecodesChunksOfTheFirstLayout) {
  std::string blob;
  const auto append = [&](std::string_view name, std::string_view meta) {
    blob.push_back(1);  // has a sequence number
    blob.push_back(2);  // ingest sequence first + 1 (zigzag)
    blob.push_back(static_cast<char>(name.size()));
    blob.append(name);
    blob.push_back(3);  // client timestamp: received - 2 (zigzag)
    blob.push_back(8);  // sequence number 4 (zigzag)
    blob.push_back(3);
    blob.append("sdk");
    blob.push_back(1);
    blob.append("1");
    blob.push_back(static_cast<char>(meta.size()));
    blob.append(meta);
  };
  append("playback_started", R"({"content_id":"c-1"})");
  append("paused", "");
  const auto decoded = decode_chunk(blob, 10, kReceived);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded.value().size(), 2u);
  const auto& first = decoded.value()[0];
  EXPECT_EQ(first.ingest_sequence, 11);
  EXPECT_EQ(first.event_name, "playback_started");
  EXPECT_EQ(first.client_timestamp, kReceived - 2);
  EXPECT_EQ(first.sequence_number, 4);
  EXPECT_EQ(first.sdk_name, "sdk");
  EXPECT_EQ(first.meta_json, R"({"content_id":"c-1"})");
  EXPECT_TRUE(first.meta.empty());
  PlaybackEvent parsed;
  ASSERT_TRUE(parse_meta(first.meta_json, parsed).ok());
  EXPECT_EQ(parsed.meta.at("content_id").as_string(), "c-1");
  EXPECT_TRUE(decoded.value()[1].meta_json.empty());
}

TEST(RecordCodec, CorruptChunksAreErrorsNotReadsOutOfBounds) {
  const std::vector<PlaybackEvent> events = {
      event(5, "segment_loaded", {{"network.redacted_url", "https://a.example/x/1.ts"}}),
      event(6, "segment_loaded", {{"network.redacted_url", "https://a.example/x/2.ts"}})};
  ChunkEncoder encoder(5);
  for (const auto& e : events) encoder.add(e);
  const std::string good(encoder.bytes());
  ASSERT_TRUE(decode_chunk(good, 5, kReceived).ok());
  // Every proper prefix of the two events but the first event's end is cut mid-field.
  for (std::size_t size = 1; size < good.size(); ++size) {
    const auto cut = decode_chunk(std::string_view(good).substr(0, size), 5, kReceived);
    if (cut.ok()) {
      EXPECT_EQ(cut.value().size(), 1u) << size;
    } else {
      EXPECT_EQ(cut.error().code, domain::ErrorCode::internal);
    }
  }
  const auto refused = [](std::string blob) { return !decode_chunk(blob, 0, kReceived).ok(); };
  EXPECT_TRUE(refused(std::string("\x30\x00\x00\x00\x00", 5)));   // "same name" on a first event
  EXPECT_TRUE(refused(std::string("\x20\x00\x01x\x00\x00\x00", 7)));  // "same name" outside the compact layout
  EXPECT_TRUE(refused(std::string("\x90\x00\x01x\x00\x00\x00\x00", 8)));  // an unknown flag
  EXPECT_TRUE(refused(std::string("\x10\x00\x01x\x00\x00\x00\x7f", 8)));  // 127 members in no bytes
  EXPECT_TRUE(refused(std::string("\x10\x00\x01x\x00\x00\x00\x01\x05\x00", 10)));  // key 5 of none
  EXPECT_TRUE(refused(std::string("\x10\x00\x01x\x00\x00\x00\x01\x00\x01k\x06\x03\x00", 14)));  // prefix of nothing
  EXPECT_TRUE(refused(std::string("\x10\x00\x01x\x00\x00\x00\x01\x00\x01k\x09", 12)));  // unknown value type
  EXPECT_TRUE(refused(std::string("\x10\x00\x01x\x00\x00\x00\x01\x00\x01k\x07\x01{", 14)));  // bad nested JSON
}

TEST(RecordCodec, ChunkIdsRoundTripAndCorruptOnesAreErrors) {
  const std::vector<std::int64_t> ids = {1, 2, 129, 16'000, 1'000'000'000'000};
  const std::string bytes = encode_chunk_ids(ids);
  EXPECT_EQ(bytes.size(), 1u + 1u + 1u + 2u + 6u);  // each id costs its distance from the previous
  ASSERT_TRUE(decode_chunk_ids(bytes).ok());
  EXPECT_EQ(decode_chunk_ids(bytes).value(), ids);
  EXPECT_TRUE(decode_chunk_ids("").value().empty());
  const auto cut = decode_chunk_ids(bytes.substr(0, bytes.size() - 1));  // ends inside a varint
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().code, domain::ErrorCode::internal);
  EXPECT_FALSE(decode_chunk_ids(std::string(11, '\xff')).ok());  // a varint longer than 64 bits
}

}  // namespace
}  // namespace mtrace::adapters::sqlite
