#include "domain/qoe/tracker.h"

#include <algorithm>
#include <cmath>
#include <string_view>

#include "domain/meta_values.h"
#include "domain/qoe/scores.h"

namespace mtrace::domain::qoe {

namespace {

// Bounds past which a reported value is absurd and ignored (and kMaxDurationMs, meta_values.h).
constexpr double kMaxBitrateBps = 1e11;
constexpr double kMaxLatencySeconds = 24.0 * 3600;
constexpr double kMaxFrames = 1e12;
constexpr double kMaxPixels = 100'000;

std::string_view text(const boost::json::object& meta, std::string_view key) {
  const auto* value = meta.if_contains(key);
  if (value == nullptr) return {};
  const auto* s = value->if_string();
  return s == nullptr ? std::string_view{} : std::string_view{*s};
}

std::string bounded(std::string_view s) {
  return std::string{s.substr(0, SessionTimeline::kMaxErrorTextBytes)};
}

void keep_earliest(std::optional<Micros>& slot, Micros at) {
  if (!slot || at < *slot) slot = at;
}

Micros positive(Micros us) { return std::max<Micros>(us, 0); }

double to_ms(Micros us) { return static_cast<double>(us) / kMicrosPerMilli; }

}  // namespace

void QoeTracker::TimeWeighted::observe(Micros at, double new_value, std::optional<Micros> from) {
  if (value) {
    if (at < since) return;  // older than the value in force: out of order, no interval to credit
    if (from) {
      const Micros start = std::max(since, *from);
      if (at > start) {
        weighted_sum += *value * static_cast<double>(at - start);
        weight += static_cast<double>(at - start);
      }
    }
  }
  value = new_value;
  since = at;
}

std::optional<double> QoeTracker::TimeWeighted::mean(Micros until,
                                                     std::optional<Micros> from) const {
  if (!value) return std::nullopt;
  double sum = weighted_sum;
  double total = weight;
  if (from) {
    const Micros start = std::max(since, *from);
    if (until > start) {
      sum += *value * static_cast<double>(until - start);
      total += static_cast<double>(until - start);
    }
  }
  return total > 0 ? sum / total : *value;
}

Observed QoeTracker::apply(const PlaybackEvent& event) {
  Observed observed;
  if (event.delivery == DeliveryStatus::duplicate_suspected) return observed;
  const Micros at = event.client_timestamp;
  // After the end: not experience.
  if (timeline_.ended_at && at > *timeline_.ended_at) return observed;

  if (event.server_received_at > 0) timeline_.clock_offset = event.server_received_at - at;
  keep_earliest(timeline_.first_event_at, at);
  if (!timeline_.last_event_at || at > *timeline_.last_event_at) timeline_.last_event_at = at;
  if (!play_requested_at_) timeline_.startup_from = timeline_.first_event_at;

  const std::string_view name = event.event_name;
  if (name == "play_requested") {
    on_play_requested(at);
  } else if (name == "playback_started") {
    on_first_frame(at, std::nullopt, observed);
  } else if (name == "startup_time_measured") {
    on_first_frame(at, meta_number(event.meta, "duration_ms", kMaxDurationMs), observed);
  } else if (name == "rebuffer_started") {
    on_rebuffer_started(at);
  } else if (name == "rebuffer_ended") {
    on_rebuffer_ended(at, observed);
  } else if (name == "seek_started") {
    close_stall(at, observed);  // a stall the viewer seeks out of ends there
    seeking_ = true;
  } else if (name == "seek_ended") {
    seeking_ = false;
  } else if (name == "bitrate_switch") {
    on_bitrate_switch(event);
  } else if (name == "metrics_sampled") {
    on_metrics_sampled(event);
  } else if (name == "playback_error") {
    on_error(event);
  } else if (name == "paused") {
    on_paused(at);
  } else if (name == "resumed") {
    on_resumed(at);
  } else if (name == "session_ended") {
    on_ended(at, observed);
  }
  return observed;
}

void QoeTracker::on_play_requested(Micros at) {
  keep_earliest(play_requested_at_, at);
  timeline_.startup_from = play_requested_at_;
}

void QoeTracker::on_first_frame(Micros at, std::optional<double> measured_ms,
                                Observed& observed) {
  const bool first = !timeline_.first_frame_at;
  if (measured_ms && !measured_startup_ms_) measured_startup_ms_ = measured_ms;
  keep_earliest(timeline_.first_frame_at, at);
  if (first) {
    if (const auto ms = startup_ms()) observed.startup_seconds = static_cast<double>(*ms) / 1000.0;
  }
}

std::optional<std::int64_t> QoeTracker::startup_ms() const {
  const auto& first_frame = timeline_.first_frame_at;
  if (first_frame && play_requested_at_) {
    return positive(*first_frame - *play_requested_at_) / kMicrosPerMilli;
  }
  if (measured_startup_ms_) return static_cast<std::int64_t>(std::llround(*measured_startup_ms_));
  if (first_frame && timeline_.first_event_at) {
    return positive(*first_frame - *timeline_.first_event_at) / kMicrosPerMilli;
  }
  return std::nullopt;
}

bool QoeTracker::in_startup(Micros at) const {
  return !timeline_.first_frame_at || at < *timeline_.first_frame_at;
}

void QoeTracker::on_rebuffer_started(Micros at) {
  // Stalls before the first frame are startup; stalls inside a seek are seek latency.
  if (open_stall_since_ || seeking_ || in_startup(at)) return;
  open_stall_since_ = at;
  ++rebuffer_count_;
  open_stall_kept_ = timeline_.stalls.size() < SessionTimeline::kMaxStalls;
  if (open_stall_kept_) {
    timeline_.stalls.push_back(Stall{at, std::nullopt});
  } else {
    ++timeline_.stalls_not_kept;
  }
}

void QoeTracker::on_rebuffer_ended(Micros at, Observed& observed) {
  if (seeking_) {
    seeking_ = false;  // the seek's own stall is over; a lost seek_ended must not hide later stalls
    return;
  }
  close_stall(at, observed);
}

void QoeTracker::close_stall(Micros at, Observed& observed) {
  if (!open_stall_since_) return;
  const Micros end = std::max(at, *open_stall_since_);
  closed_rebuffer_us_ += end - *open_stall_since_;
  observed.stall_seconds = static_cast<double>(end - *open_stall_since_) / kMicrosPerSecond;
  if (open_stall_kept_) timeline_.stalls.back().end = end;
  open_stall_since_.reset();
}

void QoeTracker::on_bitrate(Micros at, double bitrate_bps) {
  bitrate_sum_ += bitrate_bps;
  ++bitrate_samples_;
  bitrate_.observe(at, bitrate_bps, timeline_.first_frame_at);
}

void QoeTracker::on_bitrate_switch(const PlaybackEvent& event) {
  const Micros at = event.client_timestamp;
  const auto bitrate = meta_number(event.meta, "bitrate_bps", kMaxBitrateBps);
  SwitchDirection direction = SwitchDirection::unknown;
  const std::string_view said = text(event.meta, "direction");
  if (said == "up") {
    direction = SwitchDirection::up;
  } else if (said == "down") {
    direction = SwitchDirection::down;
  } else if (bitrate && last_bitrate_ && *bitrate != *last_bitrate_) {
    direction = *bitrate > *last_bitrate_ ? SwitchDirection::up : SwitchDirection::down;
  }
  ++switches_;
  if (direction == SwitchDirection::up) ++switches_up_;
  if (direction == SwitchDirection::down) ++switches_down_;
  if (timeline_.switches.size() < SessionTimeline::kMaxSwitches) {
    timeline_.switches.push_back(BitrateSwitch{at, bitrate, direction});
  } else {
    ++timeline_.switches_not_kept;
  }
  if (bitrate) {
    last_bitrate_ = bitrate;
    on_bitrate(at, *bitrate);
  }
  const auto width = meta_number(event.meta, "width", kMaxPixels);
  const auto height = meta_number(event.meta, "height", kMaxPixels);
  if (width && height && *width > 0 && *height > 0) {
    video_width_ = width;
    video_height_ = height;
    observe_upscale(at);
  }
}

void QoeTracker::on_metrics_sampled(const PlaybackEvent& event) {
  const Micros at = event.client_timestamp;
  const auto& meta = event.meta;
  if (const auto bitrate = meta_number(meta, "bitrate_bps", kMaxBitrateBps)) {
    last_bitrate_ = bitrate;
    on_bitrate(at, *bitrate);
  }
  auto dropped = meta_number(meta, "dropped_frames", kMaxFrames);
  if (!dropped) dropped = meta_number(meta, "webrtc.frames_dropped", kMaxFrames);
  if (dropped) dropped_frames_ = std::max(dropped_frames_, static_cast<std::int64_t>(*dropped));
  auto decoded = meta_number(meta, "decoded_frames", kMaxFrames);
  if (!decoded) decoded = meta_number(meta, "webrtc.frames_decoded", kMaxFrames);
  if (decoded) decoded_frames_ = std::max(decoded_frames_, static_cast<std::int64_t>(*decoded));
  if (const auto latency = meta_number(meta, "live_latency_s", kMaxLatencySeconds)) {
    if (!live_latency_s_ || at >= live_latency_at_) {
      live_latency_s_ = latency;
      live_latency_at_ = at;
    }
  }
  const auto width = meta_number(meta, "player_width", kMaxPixels);
  const auto height = meta_number(meta, "player_height", kMaxPixels);
  if (width && height && *width > 0 && *height > 0) {
    player_width_ = width;
    player_height_ = height;
    observe_upscale(at);
  }
}

void QoeTracker::observe_upscale(Micros at) {
  if (!video_width_ || !player_width_) return;
  // The dimension that fits the player first decides the scale (anchors.md §1.1, Upscale %).
  const double scale = std::min(*player_width_ / *video_width_, *player_height_ / *video_height_);
  const double upscale = std::max(0.0, scale - 1.0);
  upscale_.observe(at, upscale, timeline_.first_frame_at);
  upscale_max_ = std::max(upscale_max_, upscale);
}

void QoeTracker::on_error(const PlaybackEvent& event) {
  const Micros at = event.client_timestamp;
  const auto* fatal_value = event.meta.if_contains("fatal");
  const bool fatal = fatal_value != nullptr && fatal_value->is_bool() && fatal_value->get_bool();
  if (fatal) keep_earliest(first_fatal_at_, at);
  if (timeline_.errors.size() < SessionTimeline::kMaxErrors) {
    std::string_view code = text(event.meta, "error_code");
    if (code.empty()) code = text(event.meta, "webrtc.error_code");
    timeline_.errors.push_back(
        ErrorMark{at, fatal, bounded(text(event.meta, "error_type")), bounded(code)});
  } else {
    ++timeline_.errors_not_kept;
  }
}

void QoeTracker::on_paused(Micros at) {
  if (!paused_since_) paused_since_ = at;
}

void QoeTracker::on_resumed(Micros at) {
  if (!paused_since_) return;
  // Only pauses after the first frame take time out of watch time.
  if (timeline_.first_frame_at) {
    paused_us_ += positive(at - std::max(*paused_since_, *timeline_.first_frame_at));
  }
  paused_since_.reset();
}

void QoeTracker::on_ended(Micros at, Observed& observed) {
  if (timeline_.ended_at) return;
  close_stall(at, observed);
  on_resumed(at);
  timeline_.ended_at = at;
}

Observed QoeTracker::close() {
  Observed observed;
  if (timeline_.ended_at || !timeline_.last_event_at) return observed;
  on_ended(*timeline_.last_event_at, observed);
  return observed;
}

Micros QoeTracker::to_client_time(Micros server_time) const {
  return std::max(server_time - timeline_.clock_offset, timeline_.last_event_at.value_or(0));
}

Micros QoeTracker::watch_end(Micros client_now) const {
  if (timeline_.ended_at) return *timeline_.ended_at;
  return open_stall_since_ ? client_now : timeline_.last_event_at.value_or(0);
}

Qoe QoeTracker::snapshot(Micros now) const {
  Qoe qoe;
  const auto& first_frame = timeline_.first_frame_at;
  const Micros end = watch_end(to_client_time(now));

  qoe.started = first_frame.has_value();
  qoe.exited_before_start = timeline_.ended_at.has_value() && !qoe.started;
  qoe.failed = first_fatal_at_.has_value();
  qoe.failed_before_start = first_fatal_at_ && (!first_frame || *first_fatal_at_ < *first_frame);
  qoe.startup_ms = startup_ms();

  Micros rebuffer_us = closed_rebuffer_us_;
  if (open_stall_since_) rebuffer_us += positive(end - *open_stall_since_);
  Micros watch_us = 0;
  if (first_frame) {
    Micros paused_us = paused_us_;
    if (paused_since_) paused_us += positive(end - std::max(*paused_since_, *first_frame));
    watch_us = positive(end - *first_frame - paused_us);
  }
  watch_us = std::max(watch_us, rebuffer_us);  // stalls are watch time, whatever the clocks say
  qoe.rebuffer_count = rebuffer_count_;
  qoe.rebuffer_ms = rebuffer_us / kMicrosPerMilli;
  qoe.watch_ms = watch_us / kMicrosPerMilli;
  if (watch_us > 0) {
    qoe.rebuffer_ratio = static_cast<double>(rebuffer_us) / static_cast<double>(watch_us);
    qoe.rebuffer_per_minute = static_cast<double>(rebuffer_count_) / (to_ms(watch_us) / 60'000.0);
  }

  qoe.bitrate_switches = switches_;
  qoe.switches_up = switches_up_;
  qoe.switches_down = switches_down_;
  if (bitrate_samples_ > 0) qoe.average_bitrate_bps = bitrate_sum_ / bitrate_samples_;
  if (first_frame) qoe.time_weighted_bitrate_bps = bitrate_.mean(end, first_frame);
  qoe.dropped_frames = dropped_frames_;
  qoe.decoded_frames = decoded_frames_;
  qoe.live_latency_s = live_latency_s_;

  if (qoe.startup_ms) qoe.startup_score = startup_score(static_cast<double>(*qoe.startup_ms) / 1000.0);
  if (qoe.started) qoe.smoothness_score = smoothness_score(qoe.rebuffer_count, qoe.rebuffer_ratio);
  if (qoe.started) {
    if (const auto upscale_avg = upscale_.mean(end, first_frame)) {
      qoe.upscale_avg = upscale_avg;
      qoe.upscale_max = upscale_max_;
      qoe.quality_score = quality_score(upscale_max_, *upscale_avg);
    }
  }
  return qoe;
}

}  // namespace mtrace::domain::qoe
