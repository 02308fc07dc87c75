// A playback session: created by its first event, kept in memory while active or stalled, and
// persisted with every batch that touches it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/qoe.h"
#include "domain/timestamp.h"

namespace mtrace::domain {

enum class SessionState : std::uint8_t { active, stalled, ended };
enum class EndSource : std::uint8_t { none, client, sweeper };

std::string_view to_string(SessionState state);
std::optional<SessionState> session_state_from(std::string_view text);
std::string_view to_string(EndSource source);  // "" for none

inline constexpr Micros kStalledAfter = 60 * kMicrosPerSecond;
inline constexpr Micros kEndedAfter = 5 * 60 * kMicrosPerSecond;
inline constexpr std::int64_t kFullSampleRatePpm = 1'000'000;

// What a session is about, taken from the meta of its events (the first value wins) and from the
// reduced User-Agent of the requests that carried them.
struct SessionDimensions {
  std::string content_id;
  std::string content_title;
  std::string player_name;
  std::string player_version;
  std::string browser_family;  // e.g. "Chrome 126"; never the raw User-Agent
  std::string os_family;       // e.g. "Windows 10", "iOS 17"
  bool operator==(const SessionDimensions&) const = default;
};

struct NetworkSignalAbsent {
  std::string network_kind;
  std::string adapter;
  std::string reason;
};

struct Session {
  std::string project_id;
  std::string session_id;
  SessionState state = SessionState::active;
  Micros started_at = 0;
  Micros last_event_at = 0;
  std::optional<Micros> ended_at;
  EndSource end_source = EndSource::none;
  std::int64_t event_count = 0;
  std::string correlation_id;  // UUIDv4, lowercase
  std::string trace_id;        // 32 lowercase hex (SPEC §8): from the SDK's traceparent or minted
  std::int64_t sample_rate_ppm = kFullSampleRatePpm;
  SessionDimensions dimensions;
  std::string last_error_code;  // error_code of the latest playback_error, for filtering
  std::int64_t error_count = 0;  // playback_error events
  Qoe qoe;  // as of the latest batch
  std::vector<NetworkSignalAbsent> network_signal_absent;  // filled by the store on reads
};

}  // namespace mtrace::domain
