// The spans of an ended session (SPEC §8): one root on the session's trace, startup and rebuffer
// children inside it, switches and errors as span events, times shifted to server time.
#include "app/session_spans.h"

#include <gtest/gtest.h>

#include <map>

namespace mtrace::app {
namespace {

using domain::Micros;
using domain::kMicrosPerSecond;

constexpr Micros kT0 = 1'700'000'000 * kMicrosPerSecond;
constexpr Micros kSkew = 3 * kMicrosPerSecond;  // the server clock is 3 s ahead of the client's

domain::PlaybackEvent event(std::string name, int seconds, boost::json::object meta = {}) {
  domain::PlaybackEvent e;
  e.event_name = std::move(name);
  e.client_timestamp = kT0 + seconds * kMicrosPerSecond;
  e.server_received_at = e.client_timestamp + kSkew;
  e.meta = std::move(meta);
  return e;
}

std::map<std::string, ports::AttributeValue> attributes(const std::vector<ports::Attribute>& list) {
  std::map<std::string, ports::AttributeValue> out;
  for (const auto& a : list) out[a.key] = a.value;
  return out;
}

TEST(SessionSpans, RootStartupRebuffersAndEvents) {
  domain::qoe::QoeTracker tracker;
  for (const auto& e :
       {event("play_requested", 0), event("playback_started", 2),
        event("bitrate_switch", 5, {{"bitrate_bps", 3'000'000}, {"direction", "up"}}),
        event("rebuffer_started", 10), event("rebuffer_ended", 12),
        event("playback_error", 15, {{"fatal", true}, {"error_code", "media_decode"}}),
        event("rebuffer_started", 18), event("session_ended", 20)}) {
    tracker.apply(e);
  }
  domain::Session session;
  session.project_id = "demo";
  session.session_id = "s-42";
  session.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  session.state = domain::SessionState::ended;
  session.dimensions.content_id = "lab";
  const auto qoe = tracker.snapshot(kT0 + 20 * kMicrosPerSecond + kSkew);
  int next = 0;
  const auto spans = session_spans(session, tracker.timeline(), qoe, [&next] {
    return std::string(15, '0') + std::to_string(++next);
  });

  ASSERT_EQ(spans.size(), 4u);  // root, startup, two rebuffers
  const auto& root = spans[0];
  EXPECT_EQ(root.name, "playback session");
  EXPECT_EQ(root.span_id, "0000000000000001");
  EXPECT_TRUE(root.parent_span_id.empty());
  EXPECT_EQ(root.start, kT0 + kSkew);
  EXPECT_EQ(root.end, kT0 + 20 * kMicrosPerSecond + kSkew);
  EXPECT_EQ(root.status, ports::SpanStatusCode::error);
  const auto root_attributes = attributes(root.attributes);
  EXPECT_EQ(std::get<std::string>(root_attributes.at("session.id")), "s-42");
  EXPECT_EQ(std::get<std::string>(root_attributes.at("mtrace.content.id")), "lab");
  EXPECT_EQ(std::get<std::int64_t>(root_attributes.at("mtrace.qoe.startup_ms")), 2000);
  EXPECT_EQ(std::get<std::int64_t>(root_attributes.at("mtrace.qoe.rebuffer_count")), 2);
  EXPECT_EQ(std::get<bool>(root_attributes.at("mtrace.qoe.failed")), true);

  ASSERT_EQ(root.events.size(), 2u);
  EXPECT_EQ(root.events[0].name, "bitrate_switch");
  EXPECT_EQ(root.events[0].time, kT0 + 5 * kMicrosPerSecond + kSkew);
  EXPECT_EQ(std::get<double>(attributes(root.events[0].attributes).at("bitrate_bps")), 3e6);
  EXPECT_EQ(std::get<std::string>(attributes(root.events[0].attributes).at("direction")), "up");
  EXPECT_EQ(root.events[1].name, "playback_error");
  EXPECT_EQ(std::get<std::string>(attributes(root.events[1].attributes).at("error_code")),
            "media_decode");

  for (const auto& span : spans) {
    EXPECT_EQ(span.trace_id, session.trace_id);
    EXPECT_LE(span.start, span.end);
  }
  EXPECT_EQ(spans[1].name, "startup");
  EXPECT_EQ(spans[1].parent_span_id, root.span_id);
  EXPECT_EQ(spans[1].start, kT0 + kSkew);
  EXPECT_EQ(spans[1].end, kT0 + 2 * kMicrosPerSecond + kSkew);
  EXPECT_EQ(spans[2].name, "rebuffer");
  EXPECT_EQ(spans[2].start, kT0 + 10 * kMicrosPerSecond + kSkew);
  EXPECT_EQ(spans[2].end, kT0 + 12 * kMicrosPerSecond + kSkew);
  // The stall open at session_ended ends with the session.
  EXPECT_EQ(spans[3].start, kT0 + 18 * kMicrosPerSecond + kSkew);
  EXPECT_EQ(spans[3].end, root.end);
}

TEST(SessionSpans, ASessionWithoutEventsStillGetsItsRoot) {
  domain::Session session;
  session.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  session.started_at = kT0;
  session.last_event_at = kT0 + kMicrosPerSecond;
  const auto spans = session_spans(session, {}, {}, [] { return std::string("00f067aa0ba902b7"); });
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].start, kT0);
  EXPECT_EQ(spans[0].end, kT0 + kMicrosPerSecond);
  EXPECT_EQ(spans[0].status, ports::SpanStatusCode::unset);
}

}  // namespace
}  // namespace mtrace::app
