// QoeTracker: the quality of experience of one playback session, computed as its events arrive
// (SPEC §4, §8 vocabulary; definitions and scores: reference/anchors.md §1.6).
//
// Durations come from client timestamps, so they are immune to network delay. The tracker is
// fed in arrival order and stays sound when that order is not the client's: interval ends earlier
// than their starts count as zero, earliest starts and latest samples win, and cumulative
// counters take their maximum. Events flagged duplicate_suspected are ignored, so are meta values
// that are negative, not finite or absurdly large. Memory is bounded: the timeline keeps at most
// kMax* entries per list and counts the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/event.h"
#include "domain/qoe.h"
#include "domain/timestamp.h"

namespace mtrace::domain::qoe {

// A rebuffer (seek stalls excluded), in client time. `end` is empty while it is open.
struct Stall {
  Micros start = 0;
  std::optional<Micros> end;
};

enum class SwitchDirection : std::uint8_t { unknown, up, down };

struct BitrateSwitch {
  Micros at = 0;
  std::optional<double> bitrate_bps;
  SwitchDirection direction = SwitchDirection::unknown;
};

struct ErrorMark {
  Micros at = 0;
  bool fatal = false;
  std::string error_type;  // each at most kMaxErrorTextBytes
  std::string error_code;
};

// What the session's trace spans need (SPEC §8), in client time: add `clock_offset` for server
// time. Lists are in arrival order and capped; *_not_kept counts what did not fit.
struct SessionTimeline {
  static constexpr std::size_t kMaxStalls = 32;
  static constexpr std::size_t kMaxSwitches = 32;
  static constexpr std::size_t kMaxErrors = 8;
  static constexpr std::size_t kMaxErrorTextBytes = 64;

  Micros clock_offset = 0;  // server_received_at − client_timestamp of the latest event
  std::optional<Micros> first_event_at;  // earliest client timestamp
  std::optional<Micros> last_event_at;   // latest client timestamp
  std::optional<Micros> startup_from;    // earliest play_requested, else first_event_at
  std::optional<Micros> first_frame_at;  // earliest playback_started / startup_time_measured
  std::optional<Micros> ended_at;        // session_ended, or close()
  std::vector<Stall> stalls;
  std::int64_t stalls_not_kept = 0;
  std::vector<BitrateSwitch> switches;
  std::int64_t switches_not_kept = 0;
  std::vector<ErrorMark> errors;
  std::int64_t errors_not_kept = 0;
};

// What one applied event completed, for the histograms of the Metrics port.
struct Observed {
  std::optional<double> startup_seconds;  // the first frame arrived: the session's startup time
  std::optional<double> stall_seconds;    // a rebuffer ended (or the session ended during one)
};

// Thread safety: none; one tracker per session, used under the session's lock.
class QoeTracker {
 public:
  // Applies one accepted event of this session.
  Observed apply(const PlaybackEvent& event);

  // Ends the session without a session_ended event (the sweeper) at its latest event, the last
  // sign of a viewer (the SDK samples every 10 s, stalled or not): an open stall ends there too,
  // rather than at the sweep minutes later. Idempotent.
  Observed close();

  // The QoE as of server time `now` (converted to client time with the clock offset of the latest
  // event). An open stall counts until `now`, or until the session end when it has ended.
  Qoe snapshot(Micros now) const;

  const SessionTimeline& timeline() const { return timeline_; }

 private:
  // A value that holds from one observation to the next, averaged over time after the first
  // frame (time-weighted bitrate, upscaling).
  struct TimeWeighted {
    std::optional<double> value;
    Micros since = 0;
    double weighted_sum = 0;  // value × µs
    double weight = 0;        // µs
    void observe(Micros at, double new_value, std::optional<Micros> from);
    std::optional<double> mean(Micros until, std::optional<Micros> from) const;
  };

  std::optional<std::int64_t> startup_ms() const;
  Micros to_client_time(Micros server_time) const;
  Micros watch_end(Micros client_now) const;
  bool in_startup(Micros at) const;
  void on_play_requested(Micros at);
  void on_first_frame(Micros at, std::optional<double> measured_ms, Observed& observed);
  void on_rebuffer_started(Micros at);
  void on_rebuffer_ended(Micros at, Observed& observed);
  void close_stall(Micros at, Observed& observed);
  void on_bitrate(Micros at, double bitrate_bps);
  void on_bitrate_switch(const PlaybackEvent& event);
  void on_metrics_sampled(const PlaybackEvent& event);
  void on_error(const PlaybackEvent& event);
  void on_paused(Micros at);
  void on_resumed(Micros at);
  void on_ended(Micros at, Observed& observed);
  void observe_upscale(Micros at);

  SessionTimeline timeline_;
  std::optional<Micros> play_requested_at_;
  std::optional<double> measured_startup_ms_;
  std::optional<Micros> first_fatal_at_;

  std::optional<Micros> open_stall_since_;
  bool open_stall_kept_ = false;
  Micros closed_rebuffer_us_ = 0;
  std::int64_t rebuffer_count_ = 0;
  bool seeking_ = false;

  std::optional<Micros> paused_since_;
  Micros paused_us_ = 0;

  std::int64_t switches_ = 0;
  std::int64_t switches_up_ = 0;
  std::int64_t switches_down_ = 0;
  std::optional<double> last_bitrate_;
  double bitrate_sum_ = 0;
  std::int64_t bitrate_samples_ = 0;
  TimeWeighted bitrate_;

  std::optional<double> video_width_, video_height_, player_width_, player_height_;
  TimeWeighted upscale_;
  double upscale_max_ = 0;

  std::int64_t dropped_frames_ = 0;
  std::int64_t decoded_frames_ = 0;
  std::optional<double> live_latency_s_;
  Micros live_latency_at_ = 0;
};

}  // namespace mtrace::domain::qoe
