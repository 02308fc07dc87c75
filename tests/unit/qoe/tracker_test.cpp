// QoeTracker on scripted sessions; every expected figure is worked out by hand in the comments.
#include "domain/qoe/tracker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mtrace::domain::qoe {
namespace {

constexpr Micros kT0 = 1'700'000'000 * kMicrosPerSecond;

Micros at(double seconds) { return kT0 + static_cast<Micros>(seconds * kMicrosPerSecond); }

PlaybackEvent event(std::string name, double seconds, boost::json::object meta = {}) {
  PlaybackEvent e;
  e.event_name = std::move(name);
  e.client_timestamp = at(seconds);
  e.meta = std::move(meta);
  return e;
}

TEST(QoeTracker, StartupRunsFromPlayRequestedToFirstFrame) {
  QoeTracker t;
  t.apply(event("manifest_loaded", 0));
  t.apply(event("play_requested", 1));
  t.apply(event("playback_started", 3));
  const Qoe q = t.snapshot(at(3));
  EXPECT_TRUE(q.started);
  ASSERT_TRUE(q.startup_ms);
  EXPECT_EQ(*q.startup_ms, 2000);  // 3 s − 1 s
  ASSERT_TRUE(q.startup_score);
  EXPECT_NEAR(*q.startup_score, 80.0, 1e-9);  // 8 / (8 + 2) × 100
}

TEST(QoeTracker, StartupFallsBackToMeasuredDurationThenFirstEvent) {
  QoeTracker measured;
  measured.apply(event("manifest_loaded", 0));
  measured.apply(event("startup_time_measured", 5, {{"duration_ms", 1234}}));
  EXPECT_EQ(measured.snapshot(at(5)).startup_ms, 1234);

  QoeTracker first_event;
  first_event.apply(event("manifest_loaded", 10));
  first_event.apply(event("playback_started", 10.5));
  EXPECT_EQ(first_event.snapshot(at(11)).startup_ms, 500);
}

TEST(QoeTracker, StallInsideSeekIsNotRebuffer) {
  QoeTracker t;
  t.apply(event("play_requested", 0));
  t.apply(event("playback_started", 1));
  t.apply(event("seek_started", 10, {{"from_s", 9}, {"to_s", 100}}));
  t.apply(event("rebuffer_started", 10.1));
  t.apply(event("rebuffer_ended", 11));
  t.apply(event("seek_ended", 11));
  t.apply(event("rebuffer_started", 20));
  t.apply(event("rebuffer_ended", 23));
  t.apply(event("session_ended", 31));
  const Qoe q = t.snapshot(at(100));
  EXPECT_EQ(q.rebuffer_count, 1);
  EXPECT_EQ(q.rebuffer_ms, 3000);
  EXPECT_EQ(q.watch_ms, 30000);  // 31 s − 1 s, the stall included
  EXPECT_NEAR(q.rebuffer_ratio, 0.1, 1e-12);
  EXPECT_NEAR(q.rebuffer_per_minute, 2.0, 1e-12);  // 1 stall in half a minute
  ASSERT_EQ(t.timeline().stalls.size(), 1u);
  EXPECT_EQ(t.timeline().stalls[0].start, at(20));
  EXPECT_EQ(t.timeline().stalls[0].end, at(23));
  // Smoothness: (100/sqrt(1 + 0.25) + 100·e^−1) / 2 = (89.4427 + 36.7879) / 2.
  EXPECT_NEAR(*q.smoothness_score, 63.1153, 1e-3);
}

TEST(QoeTracker, StallBeforeFirstFrameIsStartupNotRebuffer) {
  QoeTracker t;
  t.apply(event("play_requested", 0));
  t.apply(event("rebuffer_started", 0.5));
  t.apply(event("rebuffer_ended", 1.5));
  t.apply(event("playback_started", 2));
  t.apply(event("session_ended", 12));
  const Qoe q = t.snapshot(at(12));
  EXPECT_EQ(q.rebuffer_count, 0);
  EXPECT_EQ(q.watch_ms, 10000);
  EXPECT_NEAR(*q.smoothness_score, 100.0, 1e-9);
}

TEST(QoeTracker, FatalErrorBeforeFirstFrameIsFailureAndExitBeforeStart) {
  QoeTracker t;
  t.apply(event("play_requested", 0));
  t.apply(event("playback_error", 3, {{"fatal", true}, {"error_code", "manifest_404"}}));
  t.apply(event("session_ended", 4));
  const Qoe q = t.snapshot(at(4));
  EXPECT_FALSE(q.started);
  EXPECT_TRUE(q.failed);
  EXPECT_TRUE(q.failed_before_start);
  EXPECT_TRUE(q.exited_before_start);
  EXPECT_FALSE(q.startup_ms);
  EXPECT_FALSE(q.startup_score);  // no startup score without a first frame
  EXPECT_FALSE(q.smoothness_score);
  ASSERT_EQ(t.timeline().errors.size(), 1u);
  EXPECT_TRUE(t.timeline().errors[0].fatal);
  EXPECT_EQ(t.timeline().errors[0].error_code, "manifest_404");
}

TEST(QoeTracker, FatalErrorAfterStartFailsWithoutExitBeforeStart) {
  QoeTracker t;
  t.apply(event("playback_started", 1));
  t.apply(event("playback_error", 5, {{"fatal", false}}));
  EXPECT_FALSE(t.snapshot(at(5)).failed);
  t.apply(event("playback_error", 8, {{"fatal", true}}));
  t.apply(event("session_ended", 9));
  const Qoe q = t.snapshot(at(9));
  EXPECT_TRUE(q.failed);
  EXPECT_FALSE(q.failed_before_start);
  EXPECT_FALSE(q.exited_before_start);
}

TEST(QoeTracker, EndedWithoutFirstFrameIsExitBeforeStart) {
  QoeTracker t;
  t.apply(event("play_requested", 0));
  EXPECT_FALSE(t.snapshot(at(1)).exited_before_start);  // still waiting
  t.apply(event("session_ended", 2));
  const Qoe q = t.snapshot(at(2));
  EXPECT_TRUE(q.exited_before_start);
  EXPECT_FALSE(q.failed);
}

TEST(QoeTracker, PausedTimeIsNotWatchTime) {
  QoeTracker t;
  t.apply(event("playback_started", 0));
  t.apply(event("paused", 10));
  t.apply(event("resumed", 40));
  t.apply(event("paused", 50));
  t.apply(event("session_ended", 60));  // ends the open pause too
  EXPECT_EQ(t.snapshot(at(60)).watch_ms, 20000);  // 60 − 30 − 10
}

TEST(QoeTracker, DuplicatesCountOnce) {
  QoeTracker t;
  t.apply(event("playback_started", 0));
  for (int copy = 0; copy < 2; ++copy) {
    auto started = event("rebuffer_started", 5);
    auto ended = event("rebuffer_ended", 7);
    auto sw = event("bitrate_switch", 8, {{"bitrate_bps", 2'000'000}, {"direction", "up"}});
    if (copy == 1) {
      started.delivery = ended.delivery = sw.delivery = DeliveryStatus::duplicate_suspected;
    }
    t.apply(started);
    t.apply(ended);
    t.apply(sw);
  }
  t.apply(event("session_ended", 20));
  const Qoe q = t.snapshot(at(20));
  EXPECT_EQ(q.rebuffer_count, 1);
  EXPECT_EQ(q.rebuffer_ms, 2000);
  EXPECT_EQ(q.bitrate_switches, 1);
  EXPECT_EQ(q.switches_up, 1);
}

TEST(QoeTracker, TimeWeightedBitrateOverKnownIntervals) {
  // anchors.md §1.1: 1 min at 1 Mbit/s then 2 min at 2 Mbit/s → 1.667 Mbit/s.
  QoeTracker t;
  t.apply(event("metrics_sampled", 0, {{"bitrate_bps", 1'000'000}}));
  t.apply(event("playback_started", 0));
  t.apply(event("bitrate_switch", 60, {{"bitrate_bps", 2'000'000}}));
  t.apply(event("bitrate_switch", 120, {{"bitrate_bps", 1'000'000}}));
  t.apply(event("bitrate_switch", 130, {{"bitrate_bps", 2'000'000}}));
  t.apply(event("session_ended", 180));
  const Qoe q = t.snapshot(at(180));
  // (1e6·60 + 2e6·60 + 1e6·10 + 2e6·50) / 180 = 290e6 / 180
  ASSERT_TRUE(q.time_weighted_bitrate_bps);
  EXPECT_NEAR(*q.time_weighted_bitrate_bps, 290e6 / 180, 1e-3);
  EXPECT_NEAR(*q.average_bitrate_bps, 1.5e6, 1e-6);  // mean of 1, 2, 1, 2 Mbit/s
  EXPECT_EQ(q.bitrate_switches, 3);
  EXPECT_EQ(q.switches_up, 2);    // direction inferred from the previous bitrate
  EXPECT_EQ(q.switches_down, 1);
  ASSERT_EQ(t.timeline().switches.size(), 3u);
  EXPECT_EQ(t.timeline().switches[1].direction, SwitchDirection::down);
}

TEST(QoeTracker, BitrateBeforeFirstFrameWeighsOnlyAfterIt) {
  QoeTracker t;
  t.apply(event("metrics_sampled", 0, {{"bitrate_bps", 4'000'000}}));
  t.apply(event("playback_started", 30));
  t.apply(event("bitrate_switch", 40, {{"bitrate_bps", 1'000'000}}));
  t.apply(event("session_ended", 70));
  // 4e6 for 10 s, 1e6 for 30 s: 70e6 / 40
  EXPECT_NEAR(*t.snapshot(at(70)).time_weighted_bitrate_bps, 1.75e6, 1e-3);
}

TEST(QoeTracker, OpenStallCountsUntilNowInClientTime) {
  QoeTracker t;
  auto started = event("playback_started", 0);
  auto stall = event("rebuffer_started", 10);
  started.server_received_at = at(0) + 5 * kMicrosPerSecond;  // client clock 5 s behind
  stall.server_received_at = at(10) + 5 * kMicrosPerSecond;
  t.apply(started);
  t.apply(stall);
  const Qoe q = t.snapshot(at(14) + 5 * kMicrosPerSecond);  // client time 14 s
  EXPECT_EQ(q.rebuffer_count, 1);
  EXPECT_EQ(q.rebuffer_ms, 4000);
  EXPECT_EQ(q.watch_ms, 14000);
  EXPECT_EQ(t.timeline().clock_offset, 5 * kMicrosPerSecond);
  ASSERT_EQ(t.timeline().stalls.size(), 1u);
  EXPECT_FALSE(t.timeline().stalls[0].end);
}

// The sweeper closes a session minutes after its last event: an open stall ends at the last
// sample the player sent during it, not at the sweep.
TEST(QoeTracker, CloseEndsTheSessionAndAnOpenStallAtTheLastEvent) {
  QoeTracker stalled;
  stalled.apply(event("playback_started", 0));
  stalled.apply(event("rebuffer_started", 10));
  stalled.apply(event("metrics_sampled", 20));
  EXPECT_EQ(stalled.close().stall_seconds, 10.0);
  Qoe q = stalled.snapshot(at(500));  // later snapshots no longer grow
  EXPECT_EQ(q.rebuffer_count, 1);
  EXPECT_EQ(q.rebuffer_ms, 10000);
  EXPECT_EQ(q.watch_ms, 20000);

  QoeTracker idle;
  idle.apply(event("playback_started", 0));
  idle.apply(event("metrics_sampled", 10));
  idle.close();
  q = idle.snapshot(at(400));
  EXPECT_EQ(q.watch_ms, 10000);
  EXPECT_EQ(idle.timeline().ended_at, at(10));
}

TEST(QoeTracker, OutOfOrderEndsCountZeroAndEarliestStartWins) {
  QoeTracker t;
  t.apply(event("playback_started", 5));
  t.apply(event("play_requested", 2));
  t.apply(event("play_requested", 3));  // later duplicate request: the earliest wins
  t.apply(event("rebuffer_started", 10));
  t.apply(event("rebuffer_ended", 9));  // end before its start
  t.apply(event("session_ended", 20));
  const Qoe q = t.snapshot(at(20));
  EXPECT_EQ(*q.startup_ms, 3000);
  EXPECT_EQ(q.rebuffer_count, 1);
  EXPECT_EQ(q.rebuffer_ms, 0);
}

TEST(QoeTracker, AbsurdValuesAreIgnored) {
  QoeTracker t;
  t.apply(event("playback_started", 0));
  t.apply(event("metrics_sampled", 1,
                {{"bitrate_bps", -5}, {"dropped_frames", 1e300}, {"live_latency_s", "3"},
                 {"decoded_frames", std::numeric_limits<double>::quiet_NaN()}}));
  t.apply(event("metrics_sampled", 2,
                {{"bitrate_bps", std::numeric_limits<double>::infinity()},
                 {"dropped_frames", 7}, {"decoded_frames", 700}, {"live_latency_s", 4.5}}));
  t.apply(event("metrics_sampled", 3, {{"dropped_frames", 3}}));  // cumulative: max stays
  t.apply(event("startup_time_measured", 3, {{"duration_ms", -1}}));
  const Qoe q = t.snapshot(at(3));
  EXPECT_FALSE(q.average_bitrate_bps);
  EXPECT_FALSE(q.time_weighted_bitrate_bps);
  EXPECT_EQ(q.dropped_frames, 7);
  EXPECT_EQ(q.decoded_frames, 700);
  EXPECT_EQ(q.live_latency_s, 4.5);
  EXPECT_EQ(*q.startup_ms, 0);  // from the first event (0 s) to the first frame (0 s)
}

TEST(QoeTracker, ApplyReportsStartupAndEachEndedStall) {
  QoeTracker t;
  EXPECT_FALSE(t.apply(event("play_requested", 0)).startup_seconds);
  EXPECT_EQ(t.apply(event("playback_started", 1.5)).startup_seconds, 1.5);
  EXPECT_FALSE(t.apply(event("playback_started", 1.6)).startup_seconds);  // once per session
  EXPECT_FALSE(t.apply(event("rebuffer_started", 4)).stall_seconds);
  EXPECT_EQ(t.apply(event("rebuffer_ended", 6.5)).stall_seconds, 2.5);
  t.apply(event("rebuffer_started", 10));
  EXPECT_EQ(t.apply(event("seek_started", 11)).stall_seconds, 1.0);  // seeking out of a stall
  t.apply(event("seek_ended", 12));
  t.apply(event("rebuffer_started", 20));
  t.apply(event("metrics_sampled", 23));
  EXPECT_EQ(t.close().stall_seconds, 3.0);
  EXPECT_EQ(t.snapshot(at(30)).rebuffer_count, 3);
}

TEST(QoeTracker, EventsAfterTheEndAreIgnored) {
  QoeTracker t;
  t.apply(event("playback_started", 0));
  t.apply(event("session_ended", 10));
  t.apply(event("rebuffer_started", 11));
  t.apply(event("playback_error", 12, {{"fatal", true}}));
  const Qoe q = t.snapshot(at(50));
  EXPECT_EQ(q.rebuffer_count, 0);
  EXPECT_FALSE(q.failed);
  EXPECT_EQ(q.watch_ms, 10000);
}

TEST(QoeTracker, TimelineIsCappedAndCountsTheRest) {
  QoeTracker t;
  t.apply(event("playback_started", 0));
  for (int i = 0; i < 100; ++i) {
    t.apply(event("rebuffer_started", 10 + i * 2));
    t.apply(event("rebuffer_ended", 11 + i * 2));
    t.apply(event("playback_error", 11 + i * 2, {{"fatal", false}}));
  }
  const auto& timeline = t.timeline();
  EXPECT_EQ(timeline.stalls.size(), SessionTimeline::kMaxStalls);
  EXPECT_EQ(timeline.stalls_not_kept, 100 - static_cast<std::int64_t>(SessionTimeline::kMaxStalls));
  EXPECT_EQ(timeline.errors.size(), SessionTimeline::kMaxErrors);
  const Qoe q = t.snapshot(at(300));
  EXPECT_EQ(q.rebuffer_count, 100);
  EXPECT_EQ(q.rebuffer_ms, 100'000);
}

TEST(QoeTracker, UpscalingFeedsTheQualityScore) {
  QoeTracker t;
  t.apply(event("playback_started", 0));
  t.apply(event("metrics_sampled", 0, {{"player_width", 1280}, {"player_height", 720}}));
  t.apply(event("bitrate_switch", 0, {{"width", 640}, {"height", 360}}));       // upscale 100 %
  t.apply(event("bitrate_switch", 30, {{"width", 1920}, {"height", 1080}}));    // downscale: 0
  t.apply(event("session_ended", 60));
  const Qoe q = t.snapshot(at(60));
  EXPECT_NEAR(*q.upscale_avg, 0.5, 1e-12);
  EXPECT_NEAR(*q.upscale_max, 1.0, 1e-12);
  // 100·e^(−0.33·(0.15·1 + 0.85·0.5))
  EXPECT_NEAR(*q.quality_score, 100 * std::exp(-0.33 * 0.575), 1e-9);
}

}  // namespace
}  // namespace mtrace::domain::qoe

namespace mtrace::domain::qoe {
namespace {

// Random sessions (names, order, times and values): whatever arrives, the figures stay coherent
// and the timeline stays within its caps.
TEST(QoeTracker, InvariantsHoldOnRandomSequences) {
  const char* names[] = {"play_requested", "playback_started", "startup_time_measured",
                         "rebuffer_started", "rebuffer_ended", "seek_started", "seek_ended",
                         "bitrate_switch", "metrics_sampled", "playback_error", "paused",
                         "resumed", "session_ended", "segment_loaded"};
  const boost::json::value values[] = {-1, 0, 7, 2.5e6, 1e300, "x", true, nullptr, 1280, 720};
  std::uint64_t state = 42;
  const auto next = [&state](std::uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  for (int run = 0; run < 300; ++run) {
    QoeTracker t;
    double clock = 0;
    for (int i = 0; i < 200; ++i) {
      clock += static_cast<double>(next(5000)) / 1000.0 - 1.0;  // mostly forward, sometimes back
      boost::json::object meta;
      for (const char* key : {"duration_ms", "bitrate_bps", "fatal", "direction", "width",
                              "height", "player_width", "player_height", "dropped_frames",
                              "live_latency_s"}) {
        if (next(3) == 0) meta[key] = values[next(std::size(values))];
      }
      auto e = event(names[next(std::size(names))], clock, std::move(meta));
      if (next(10) == 0) e.delivery = DeliveryStatus::duplicate_suspected;
      t.apply(e);
    }
    const Qoe q = t.snapshot(at(clock + static_cast<double>(next(100))));
    ASSERT_GE(q.rebuffer_ms, 0);
    ASSERT_LE(q.rebuffer_ms, q.watch_ms);
    ASSERT_GE(q.rebuffer_ratio, 0.0);
    ASSERT_LE(q.rebuffer_ratio, 1.0);
    ASSERT_LE(q.switches_up + q.switches_down, q.bitrate_switches);
    ASSERT_EQ(q.failed_before_start && !q.failed, false);
    for (const auto& score : {q.startup_score, q.smoothness_score, q.quality_score}) {
      if (score) {
        ASSERT_GE(*score, 0.0);
        ASSERT_LE(*score, 100.0);
      }
    }
    if (q.time_weighted_bitrate_bps) {
      ASSERT_LE(*q.time_weighted_bitrate_bps, 1e11);
    }
    ASSERT_LE(t.timeline().stalls.size(), SessionTimeline::kMaxStalls);
    ASSERT_LE(t.timeline().switches.size(), SessionTimeline::kMaxSwitches);
    ASSERT_LE(t.timeline().errors.size(), SessionTimeline::kMaxErrors);
    ASSERT_EQ(static_cast<std::int64_t>(t.timeline().stalls.size()) + t.timeline().stalls_not_kept,
              q.rebuffer_count);
  }
}

}  // namespace
}  // namespace mtrace::domain::qoe
