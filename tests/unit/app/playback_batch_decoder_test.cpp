#include "app/playback_batch_decoder.h"

#include <gtest/gtest.h>

namespace mtrace::app {
namespace {

std::string batch(const std::string& events) { return R"({"schema_version":"1.0","events":[)" + events + "]}"; }
std::string replace(std::string text, const std::string& from, const std::string& to) {
  return text.replace(text.find(from), from.size(), to);
}

const std::string kEvent =
    R"({"event_name":"segment_loaded","project_id":"demo","session_id":" s1 ","client_timestamp":"2026-03-01T10:00:00.5+01:00","sequence_number":7,"sdk":{"name":"sdk","version":"2.0.0"},"meta":{"segment_url":"https://cdn.example/a/b.m4s?sig=1","bytes":1200},"unknown_field":1})";

TEST(PlaybackBatchDecoder, DecodesEveryFieldAndRedactsMeta) {
  auto decoded = decode_playback_batch(batch(kEvent), "demo");
  ASSERT_TRUE(std::holds_alternative<DecodedBatch>(decoded));
  const auto& event = std::get<DecodedBatch>(decoded).events.at(0);
  EXPECT_EQ(event.event_name, "segment_loaded");
  EXPECT_EQ(event.session_id, "s1");  // trimmed
  EXPECT_EQ(event.client_timestamp, domain::parse_rfc3339("2026-03-01T09:00:00.500Z").value());
  EXPECT_EQ(event.sequence_number, 7);
  EXPECT_EQ(event.sdk.version, "2.0.0");
  EXPECT_EQ(event.meta.at("segment_url").as_string(), "https://cdn.example/a/b.m4s");
  EXPECT_EQ(event.meta.at("bytes").as_int64(), 1200);
}

IngestRejection rejection_of(const std::string& body) {
  auto decoded = decode_playback_batch(body, "demo");
  EXPECT_TRUE(std::holds_alternative<IngestRejection>(decoded)) << body;
  return std::holds_alternative<IngestRejection>(decoded) ? std::get<IngestRejection>(decoded) : IngestRejection{};
}

TEST(PlaybackBatchDecoder, ClassifiesRefusalsLikeTheReferenceWithSpecFixes) {
  EXPECT_EQ(rejection_of("nope").http_status, 400);
  EXPECT_EQ(rejection_of(R"({"schema_version":"1.1","events":[]})").code, "unsupported_schema_version");
  const auto empty = rejection_of(batch(""));
  EXPECT_EQ(empty.http_status, 422);
  EXPECT_EQ(empty.invalid_events, 0);  // an empty batch counts nothing
  std::string many;
  for (int i = 0; i < 101; ++i) many += (i ? "," : "") + kEvent;
  const auto too_many = rejection_of(batch(many));
  EXPECT_EQ(too_many.code, "batch_too_large");
  EXPECT_EQ(too_many.invalid_events, 101);
  EXPECT_EQ(rejection_of(batch(replace(kEvent, R"("sequence_number":7)", R"("sequence_number":-7)"))).http_status, 422);
  EXPECT_EQ(rejection_of(batch(replace(kEvent, R"("sequence_number":7)", R"("sequence_number":7.5)"))).http_status, 400);
  EXPECT_EQ(rejection_of(batch(replace(kEvent, R"("project_id":"demo")", R"("project_id":"shop")"))).http_status, 401);
  EXPECT_EQ(rejection_of(batch(replace(kEvent, R"("session_id":" s1 ")", R"("session_id":"  ")"))).http_status, 422);
  EXPECT_EQ(rejection_of(batch(replace(kEvent, "segment_loaded", "Segment Loaded"))).http_status, 422);
  const auto second_bad = rejection_of(batch(kEvent + "," + replace(kEvent, "2026-03-01", "2026-13-01")));
  EXPECT_EQ(second_bad.http_status, 422);
  EXPECT_NE(second_bad.message.find("events[1].client_timestamp"), std::string::npos) << second_bad.message;
  EXPECT_EQ(second_bad.invalid_events, 2);
}

// The reference decodes the whole body before its rules run, and checks an event's project right
// after its required members.
TEST(PlaybackBatchDecoder, RanksRefusalsInTheReferencesOrder) {
  const auto other_project = replace(kEvent, R"("project_id":"demo")", R"("project_id":"shop")");
  EXPECT_EQ(rejection_of(batch(replace(other_project, "2026-03-01", "2026-13-01"))).http_status, 401);
  EXPECT_EQ(rejection_of(batch(replace(other_project, R"("bytes":1200})", R"("bytes":1200,"webrtc.nope":1})"))).http_status, 401);
  EXPECT_EQ(rejection_of(batch(replace(other_project, "segment_loaded", "Segment Loaded"))).http_status, 401);
  EXPECT_EQ(rejection_of(batch(replace(other_project, R"("session_id":" s1 ")", R"("session_id":"")"))).http_status, 422);
  const auto padded = rejection_of(batch(replace(kEvent, R"("project_id":"demo")", R"("project_id":" demo")")));
  EXPECT_EQ(padded.code, "project_mismatch");

  const auto beyond_int64 = rejection_of(batch(replace(kEvent, R"("sequence_number":7)", R"("sequence_number":9223372036854775808)")));
  EXPECT_EQ(beyond_int64.http_status, 400);
  EXPECT_EQ(beyond_int64.code, "invalid_json");
  EXPECT_TRUE(std::holds_alternative<DecodedBatch>(decode_playback_batch(
      batch(replace(kEvent, R"("sequence_number":7)", R"("sequence_number":9223372036854775807)")), "demo")));

  const auto bad_type_later = rejection_of(
      batch(other_project + "," + replace(kEvent, R"("sequence_number":7)", R"("sequence_number":1.5)")));
  EXPECT_EQ(bad_type_later.http_status, 400);
  EXPECT_NE(bad_type_later.message.find("events[1].sequence_number"), std::string::npos) << bad_type_later.message;
  EXPECT_EQ(bad_type_later.invalid_events, 0);  // a decode error counts nothing
  std::string many;
  for (int i = 0; i < 100; ++i) many += kEvent + ",";
  many += replace(kEvent, R"("event_name":"segment_loaded")", R"("event_name":5)");
  EXPECT_EQ(rejection_of(batch(many)).code, "invalid_json");
  const auto boundary_type = rejection_of(R"({"schema_version":"1.0","events":[)" + replace(kEvent, "2026-03-01", "2026-13-01") +
                                          R"(],"session_boundaries":[{"kind":5}]})");
  EXPECT_EQ(boundary_type.http_status, 400);
  EXPECT_NE(boundary_type.message.find("session_boundaries[0].kind"), std::string::npos) << boundary_type.message;
  EXPECT_EQ(rejection_of(R"({"schema_version":"2.0","events":[{"sdk":"x"}]})").code, "invalid_json");
}

// Each event's ids are its own and checked, whether they repeat the previous event's or not.
TEST(PlaybackBatchDecoder, EachEventKeepsItsOwnIdsWhenTheNeighboursDiffer) {
  auto event = [](const std::string& name, const std::string& session, const std::string& sdk_name,
                  const std::string& version) {
    return R"({"event_name":")" + name + R"(","project_id":"demo","session_id":")" + session +
           R"(","client_timestamp":"2026-03-01T10:00:00Z","sdk":{"name":")" + sdk_name +
           R"(","version":")" + version + R"("}})";
  };
  auto decoded = decode_playback_batch(
      batch(event("a", "s1", "x", "1") + "," + event("a", "s1", "x", "1") + "," + event("b", " s1 ", "y", "2") +
            "," + event("b", "s2", "y", "2") + "," + event("a", "s1", "x", "1")),
      "demo");
  ASSERT_TRUE(std::holds_alternative<DecodedBatch>(decoded));
  std::vector<std::string> seen;
  for (const auto& e : std::get<DecodedBatch>(decoded).events) {
    seen.push_back(e.event_name + " " + e.session_id + " " + e.sdk.name + " " + e.sdk.version);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a s1 x 1", "a s1 x 1", "b s1 y 2", "b s2 y 2", "a s1 x 1"}));
  const auto bad_after_good = rejection_of(batch(event("a", "s1", "x", "1") + "," + event("a", "s1\\u0001", "x", "1")));
  EXPECT_NE(bad_after_good.message.find("events[1].session_id"), std::string::npos) << bad_after_good.message;
  const auto bad_name_after_good = rejection_of(batch(event("a", "s1", "x", "1") + "," + event("B", "s1", "x", "1")));
  EXPECT_NE(bad_name_after_good.message.find("events[1].event_name"), std::string::npos) << bad_name_after_good.message;
}

TEST(PlaybackBatchDecoder, ChecksBoundariesAgainstTheBatch) {
  const std::string boundary =
      R"({"kind":"network_signal_absent","project_id":"demo","session_id":"s1","network_kind":"segment","adapter":"native_hls","reason":"native_hls_unavailable","client_timestamp":"2026-03-01T10:00:00Z"})";
  auto ok = decode_playback_batch(R"({"schema_version":"1.0","events":[)" + kEvent + R"(],"session_boundaries":[)" + boundary + "]}", "demo");
  ASSERT_TRUE(std::holds_alternative<DecodedBatch>(ok));
  EXPECT_EQ(std::get<DecodedBatch>(ok).boundaries.at(0).adapter, "native_hls");
  std::string other = boundary;
  other.replace(other.find(R"("session_id":"s1")"), 17, R"("session_id":"s2")");
  const auto refused = rejection_of(R"({"schema_version":"1.0","events":[)" + kEvent + R"(],"session_boundaries":[)" + other + "]}");
  EXPECT_EQ(refused.code, "invalid_boundary");
}

TEST(PlaybackBatchDecoder, RefusesANumberBeyondADoublesRangeAnywhereInMeta) {
  // Boost.JSON reads these as infinities, which could be stored but never read back as JSON.
  for (const char* meta : {R"({"x":1e309})", R"({"x":[1,-1e400]})", R"({"a":{"b":{"c":1e999}}})"}) {
    const auto refused = rejection_of(batch(replace(kEvent, R"("bytes":1200})", std::string(R"("bytes":1200,"deep":)") + meta + "}")));
    EXPECT_EQ(refused.http_status, 400) << meta;
    EXPECT_EQ(refused.code, "invalid_json") << meta;
  }
  EXPECT_TRUE(std::holds_alternative<DecodedBatch>(
      decode_playback_batch(batch(replace(kEvent, R"("bytes":1200})", R"("bytes":1200,"deep":{"x":[1.5e308,-2e-400]}})")), "demo")));
}

TEST(PlaybackBatchDecoder, TakesTheLastOfDuplicateMembers) {
  const std::string tail =
      R"("project_id":"demo","client_timestamp":"2026-03-01T10:00:00Z","sdk":{"name":"sdk","version":"1"},"event_name":"playback_error"})";
  auto decoded = decode_playback_batch(batch(R"({"event_name":"segment_loaded","session_id":5,"session_id":"s2",)" + tail), "demo");
  ASSERT_TRUE(std::holds_alternative<DecodedBatch>(decoded));
  const auto& event = std::get<DecodedBatch>(decoded).events.at(0);
  EXPECT_EQ(event.session_id, "s2");
  EXPECT_EQ(event.event_name, "playback_error");
  EXPECT_EQ(rejection_of(batch(R"({"session_id":"s2","session_id":5,)" + tail)).code, "invalid_json");
}

TEST(PlaybackBatchDecoder, MetaLivesAsLongAsTheBatchMemoryNotTheDecodedBatch) {
  std::shared_ptr<const void> memory;
  std::vector<domain::PlaybackEvent> events;
  {
    auto decoded = std::get<DecodedBatch>(decode_playback_batch(batch(kEvent), "demo"));
    memory = std::move(decoded.meta_memory);
    events = std::move(decoded.events);
  }
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(events.at(0).meta.at("bytes").as_int64(), 1200);  // read after the DecodedBatch is gone
  EXPECT_EQ(events.at(0).meta.at("segment_url").as_string(), "https://cdn.example/a/b.m4s");
}

}  // namespace
}  // namespace mtrace::app
