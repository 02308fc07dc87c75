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

// Calls `visit(name, field)` for every field of `qoe` (a Qoe or a const Qoe), with its wire name,
// in the order the API writes them; `field` is a bool, std::int64_t, double,
// std::optional<std::int64_t> or std::optional<double>. The API's JSON and the store's encoding
// and decoding all walk this one list.
template <class QoeT, class Visit>
void visit_qoe_fields(QoeT& qoe, Visit&& visit) {
  visit("startup_ms", qoe.startup_ms);
  visit("started", qoe.started);
  visit("exited_before_start", qoe.exited_before_start);
  visit("failed", qoe.failed);
  visit("failed_before_start", qoe.failed_before_start);
  visit("rebuffer_count", qoe.rebuffer_count);
  visit("rebuffer_ms", qoe.rebuffer_ms);
  visit("watch_ms", qoe.watch_ms);
  visit("rebuffer_ratio", qoe.rebuffer_ratio);
  visit("rebuffer_per_minute", qoe.rebuffer_per_minute);
  visit("bitrate_switches", qoe.bitrate_switches);
  visit("switches_up", qoe.switches_up);
  visit("switches_down", qoe.switches_down);
  visit("average_bitrate_bps", qoe.average_bitrate_bps);
  visit("time_weighted_bitrate_bps", qoe.time_weighted_bitrate_bps);
  visit("dropped_frames", qoe.dropped_frames);
  visit("decoded_frames", qoe.decoded_frames);
  visit("live_latency_s", qoe.live_latency_s);
  visit("upscale_avg", qoe.upscale_avg);
  visit("upscale_max", qoe.upscale_max);
  visit("startup_score", qoe.startup_score);
  visit("smoothness_score", qoe.smoothness_score);
  visit("quality_score", qoe.quality_score);
}

}  // namespace mtrace::domain
