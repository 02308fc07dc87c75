// Quality of experience of one playback session, computed server-side as events arrive
// (SPEC §4, reference/anchors.md §1). Plain values; the rules live in domain/qoe/.
#pragma once

#include <cstdint>
#include <optional>

#include "domain/timestamp.h"

namespace mtrace::domain {

struct Qoe {
  std::optional<std::int64_t> startup_ms;  // play_requested (or first event) -> first frame
  bool started = false;                    // a first frame was seen
  bool exited_before_start = false;        // the session ended before its first frame
  bool failed = false;                     // a fatal playback_error
  bool failed_before_start = false;        // ... before the first frame
  std::int64_t rebuffer_count = 0;         // stalls after start, seek stalls excluded
  std::int64_t rebuffer_ms = 0;
  std::int64_t watch_ms = 0;               // time after start, stalls included
  double rebuffer_ratio = 0;               // rebuffer_ms / watch_ms
  double rebuffer_per_minute = 0;
  std::int64_t bitrate_switches = 0;
  std::int64_t switches_up = 0;
  std::int64_t switches_down = 0;
  std::optional<double> average_bitrate_bps;        // mean of the reported bitrates
  std::optional<double> time_weighted_bitrate_bps;  // weighted by time spent at each
  std::int64_t dropped_frames = 0;
  std::int64_t decoded_frames = 0;
  std::optional<double> live_latency_s;  // latest reported
  // Upscaling (player size / video size − 1 on the dimension that fits first, ≥ 0), time-weighted
  // and peak; needs metrics_sampled player_width/player_height and bitrate_switch width/height.
  std::optional<double> upscale_avg;
  std::optional<double> upscale_max;
  std::optional<double> startup_score;     // 0..100, published formulas (anchors §1)
  std::optional<double> smoothness_score;
  std::optional<double> quality_score;
};

}  // namespace mtrace::domain
