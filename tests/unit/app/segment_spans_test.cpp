// The opt-in spans of segment requests: one per segment_loaded, under the ingest request's span,
// lasting the load time, in server time by the offset of the session's last event in the batch.
#include "app/segment_spans.h"

#include <gtest/gtest.h>

#include <map>

namespace mtrace::app {
namespace {

using domain::kMicrosPerSecond;
using domain::Micros;

constexpr Micros kT0 = 1'700'000'000 * kMicrosPerSecond;
constexpr Micros kReceived = kT0 + 20 * kMicrosPerSecond;

domain::PlaybackEvent event(std::string name, std::string session, Micros client, boost::json::object meta = {}) {
  domain::PlaybackEvent e;
  e.event_name = std::move(name);
  e.session_id = std::move(session);
  e.client_timestamp = client;
  e.server_received_at = kReceived;
  e.meta = std::move(meta);
  e.stamp = std::make_shared<const domain::IngestStamp>(
      domain::IngestStamp{"corr", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"});
  return e;
}

std::map<std::string, ports::AttributeValue> attributes(const ports::Span& span) {
  std::map<std::string, ports::AttributeValue> out;
  for (const auto& a : span.attributes) out[a.key] = a.value;
  return out;
}

TEST(SegmentSpans, OnePerSegmentUnderTheIngestSpanInServerTime) {
  const std::vector events{
      event("segment_loaded", "a", kT0 + 10 * kMicrosPerSecond,
            {{"network.redacted_url", "https://cdn.example/v/seg-7.m4s"}, {"bytes", 182'000}, {"duration_ms", 250.4},
             {"media_type", "video"}, {"level", 2}, {"segment_duration_s", 4.0}, {"is_init", false}}),
      event("metrics_sampled", "a", kT0 + 12 * kMicrosPerSecond),  // a's last event: offset 8 s
      event("segment_loaded", "b", kT0 + 5 * kMicrosPerSecond, {{"duration_ms", "slow"}}),  // b's: 15 s
  };
  int minted = 0;
  const auto spans = segment_spans(events, [&] { return "000000000000000" + std::to_string(++minted); });
  ASSERT_EQ(spans.size(), 2u);

  const auto& first = spans[0];
  EXPECT_EQ(first.name, "segment request");
  EXPECT_EQ(first.kind, ports::SpanKind::client);
  EXPECT_EQ(first.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(first.parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(first.span_id, "0000000000000001");
  EXPECT_EQ(first.end, kT0 + 18 * kMicrosPerSecond);
  EXPECT_EQ(first.end - first.start, 250'400);
  const auto a = attributes(first);
  EXPECT_EQ(std::get<std::string>(a.at("session.id")), "a");
  EXPECT_EQ(std::get<std::string>(a.at("url.full")), "https://cdn.example/v/seg-7.m4s");
  EXPECT_EQ(std::get<std::int64_t>(a.at("http.response.body.size")), 182'000);
  EXPECT_EQ(std::get<std::string>(a.at("mtrace.segment.media_type")), "video");
  EXPECT_EQ(std::get<std::int64_t>(a.at("mtrace.segment.level")), 2);
  EXPECT_EQ(std::get<double>(a.at("mtrace.segment.duration_s")), 4.0);
  EXPECT_FALSE(std::get<bool>(a.at("mtrace.segment.is_init")));

  const auto& second = spans[1];
  EXPECT_EQ(second.end, kReceived);  // its own session's offset
  EXPECT_EQ(second.start, second.end);  // no usable load time
  EXPECT_EQ(attributes(second).count("url.full"), 0u);
}

}  // namespace
}  // namespace mtrace::app
