#include "domain/event_rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <string>

namespace mtrace::domain {
namespace {

std::optional<std::string> check(std::string_view json) {
  return check_reserved_meta(boost::json::parse(json).as_object());
}

TEST(EventName, KnownNamesIncludeTheReferenceAndSpecAdditions) {
  const auto names = known_event_names();
  EXPECT_EQ(names.size(), 16u);
  for (const char* name : {"manifest_loaded", "segment_loaded", "playback_started", "bitrate_switch",
                           "rebuffer_started", "rebuffer_ended", "playback_error",
                           "startup_time_measured", "metrics_sampled", "session_ended",
                           "startup_completed", "play_requested", "paused", "resumed",
                           "seek_started", "seek_ended"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_TRUE(is_valid_event_name(name)) << name;
  }
}

TEST(EventName, CustomNamesFollowThePattern) {
  EXPECT_TRUE(is_valid_event_name("a"));
  EXPECT_TRUE(is_valid_event_name("playback_paused"));
  EXPECT_TRUE(is_valid_event_name("ads.break_started2"));
  EXPECT_TRUE(is_valid_event_name("a" + std::string(63, 'b')));
  EXPECT_FALSE(is_valid_event_name("a" + std::string(64, 'b')));
  for (const char* name : {"", "1abc", "_abc", ".abc", "Playback", "play-back", "play back",
                           "abc ", "é", "abc\n"}) {
    EXPECT_FALSE(is_valid_event_name(name)) << name;
  }
}

TEST(ReservedMeta, FreeFormKeysAreNotChecked) {
  EXPECT_FALSE(check(R"({})"));
  EXPECT_FALSE(check(R"({"content_id": 5, "anything": {"nested": [1, null]}, "network": "x",
                         "timing": [], "webrtc": true, "session_sample_rate_x": "y"})"));
  EXPECT_FALSE(check(R"({"network.other": {"free": true}})"));
}

TEST(ReservedMeta, NetworkKind) {
  EXPECT_FALSE(check(R"({"network.kind": "manifest"})"));
  EXPECT_FALSE(check(R"({"network.kind": "segment"})"));
  for (const char* bad : {R"("Manifest")", R"("")", "1", "null", R"(["segment"])"}) {
    const auto message = check(std::string(R"({"network.kind": )") + bad + "}");
    ASSERT_TRUE(message) << bad;
    EXPECT_NE(message->find("network.kind"), std::string::npos) << *message;
  }
}

TEST(ReservedMeta, DetailStatusAndUnavailableReason) {
  EXPECT_FALSE(check(R"({"network.detail_status": "available"})"));
  EXPECT_FALSE(check(R"({"network.detail_status": "network_detail_unavailable"})"));
  EXPECT_TRUE(check(R"({"network.detail_status": "unavailable"})"));
  EXPECT_FALSE(check(R"({"network.detail_status": "network_detail_unavailable",
                         "network.unavailable_reason": "cors_timing_blocked"})"));
  // The reason requires the unavailable status, whatever the key order.
  EXPECT_FALSE(check(R"({"network.unavailable_reason": "service_worker_opaque",
                         "network.detail_status": "network_detail_unavailable"})"));
  const auto missing_status = check(R"({"network.unavailable_reason": "cors_timing_blocked"})");
  ASSERT_TRUE(missing_status);
  EXPECT_NE(missing_status->find("network.unavailable_reason"), std::string::npos);
  EXPECT_TRUE(check(R"({"network.detail_status": "available",
                        "network.unavailable_reason": "cors_timing_blocked"})"));
  for (const char* bad : {R"("")", R"("not_in_enum")", R"("CORS_TIMING_BLOCKED")", "3"}) {
    EXPECT_TRUE(check(std::string(R"({"network.detail_status": "network_detail_unavailable",
                                      "network.unavailable_reason": )") + bad + "}"))
        << bad;
  }
}

TEST(ReservedMeta, RedactedUrl) {
  EXPECT_FALSE(check(R"({"network.redacted_url": ""})"));
  EXPECT_FALSE(check(R"({"network.redacted_url": "https://cdn.example.com/live/seg1.ts"})"));
  for (const char* bad : {R"("https://cdn.example.com/a?token=1")", R"("https://u:p@h/x")",
                          R"("https://h/x#f")", R"("relative/x")",
                          R"("https://h/0123456789abcdef0123456789abcdef")", "42", "null"}) {
    const auto message = check(std::string(R"({"network.redacted_url": )") + bad + "}");
    ASSERT_TRUE(message) << bad;
    EXPECT_NE(message->find("network.redacted_url"), std::string::npos);
  }
}

TEST(ReservedMeta, TimingKeys) {
  EXPECT_FALSE(check(R"({"timing.request_start": 12.5, "timing.ttfb_ms": 40, "timing.x": -1})"));
  EXPECT_FALSE(check(R"({"timing.fetched_at": "2026-04-28T12:00:00.123456789+02:00"})"));
  for (const char* bad : {R"("")", R"("yesterday")", "true", "null", "{}", "[1]"}) {
    const auto message = check(std::string(R"({"timing.start": )") + bad + "}");
    ASSERT_TRUE(message) << bad;
    EXPECT_NE(message->find("timing.start"), std::string::npos);
  }
}

TEST(ReservedMeta, SessionSampleRate) {
  EXPECT_FALSE(check(R"({"session_sample_rate": 1})"));
  EXPECT_FALSE(check(R"({"session_sample_rate": 0.25})"));
  EXPECT_FALSE(check(R"({"session_sample_rate": 1e-9})"));
  for (const char* bad : {"0", "-0.5", "1.0000001", "2", R"("0.5")", "null", "true"}) {
    EXPECT_TRUE(check(std::string(R"({"session_sample_rate": )") + bad + "}")) << bad;
  }
}

TEST(ReservedMeta, WebrtcAllowList) {
  EXPECT_FALSE(check(R"({
    "webrtc.peer_connection_run_id": "run_1-a",
    "webrtc.sample_id": 3, "webrtc.packets_lost": 0, "webrtc.bytes_received": 1.0e6,
    "webrtc.bytes_sent": 18446744073709551615,
    "webrtc.connection_state": "connected", "webrtc.ice_state": "completed",
    "webrtc.dtls_state": "closed", "webrtc.error_code": "whep_sdp_invalid",
    "webrtc.error_detail": "offer rejected",
    "webrtc.jitter_ms": 12, "webrtc.rtt_ms": 2, "webrtc.frames_decoded": 250,
    "webrtc.frames_dropped": 2, "webrtc.freeze_count": 0, "webrtc.total_freezes_duration_ms": 400,
    "webrtc.fps": 29.97})"));
  EXPECT_FALSE(check(R"({"webrtc.fps": 25})"));
  const std::pair<const char*, const char*> bad[] = {
      {"webrtc.track_id", R"("t1")"},
      {"webrtc.ssrc", "1234"},
      {"webrtc.user_agent", R"("Mozilla")"},
      {"webrtc.peer_connection_run_id", R"("Run")"},
      {"webrtc.peer_connection_run_id", R"("")"},
      {"webrtc.sample_id", "-1"},
      {"webrtc.packets_lost", "1.5"},
      {"webrtc.bytes_received", R"("10")"},
      {"webrtc.connection_state", R"("completed")"},
      {"webrtc.ice_state", R"("connecting")"},
      {"webrtc.dtls_state", R"("disconnected")"},
      {"webrtc.error_code", R"("boom")"},
      {"webrtc.jitter_ms", "-1"},
      {"webrtc.frames_dropped", "2.5"},
      {"webrtc.fps", "-1"},
      {"webrtc.fps", R"("25")"},
  };
  for (const auto& [key, value] : bad) {
    const auto message = check(std::string("{\"") + key + "\": " + value + "}");
    ASSERT_TRUE(message) << key << "=" << value;
    EXPECT_NE(message->find(key), std::string::npos) << *message;
  }
  EXPECT_FALSE(check(R"({"webrtc.peer_connection_run_id": ")" + std::string(64, 'a') + "\"}"));
  EXPECT_TRUE(check(R"({"webrtc.peer_connection_run_id": ")" + std::string(65, 'a') + "\"}"));
  EXPECT_FALSE(check(R"({"webrtc.error_detail": ")" + std::string(256, 'x') + "\"}"));
  EXPECT_TRUE(check(R"({"webrtc.error_detail": ")" + std::string(257, 'x') + "\"}"));
}

TEST(BoundaryFields, ChecksFourToSeven) {
  EXPECT_FALSE(check_boundary_fields("network_signal_absent", "manifest", "hls.js",
                                     "native_hls_unavailable"));
  EXPECT_FALSE(check_boundary_fields("network_signal_absent", "segment", "native_hls",
                                     "resource_timing_unavailable"));
  EXPECT_FALSE(check_boundary_fields("network_signal_absent", "segment", "unknown",
                                     "browser_api_unavailable"));
  const auto kind = check_boundary_fields("other", "manifest", "hls.js", "cors_timing_blocked");
  ASSERT_TRUE(kind);
  EXPECT_NE(kind->find("kind"), std::string::npos);
  const auto network_kind =
      check_boundary_fields("network_signal_absent", "playlist", "hls.js", "cors_timing_blocked");
  ASSERT_TRUE(network_kind);
  EXPECT_NE(network_kind->find("network_kind"), std::string::npos);
  const auto adapter =
      check_boundary_fields("network_signal_absent", "manifest", "dash.js", "cors_timing_blocked");
  ASSERT_TRUE(adapter);
  EXPECT_NE(adapter->find("adapter"), std::string::npos);
  const auto reason =
      check_boundary_fields("network_signal_absent", "manifest", "hls.js", "bad_reason");
  ASSERT_TRUE(reason);
  EXPECT_NE(reason->find("reason"), std::string::npos);
}

TEST(Limits, MatchTheReference) {
  EXPECT_EQ(kMaxEventsPerBatch, 100u);
  EXPECT_EQ(kMaxBoundariesPerBatch, 20u);
  EXPECT_EQ(kMaxBodyBytes, 256u * 1024u);
  EXPECT_EQ(kTimeSkew, 60 * kMicrosPerSecond);
}

}  // namespace
}  // namespace mtrace::domain
