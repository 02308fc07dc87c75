// Validation rules for ingested events and session boundaries (SPEC §3 and §8, reference
// backend.md §2). Pure functions: each answers nullopt when the input is fine, or an English
// message naming the offending field, meant for the 422 response body.
#pragma once

#include <boost/json/object.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "domain/timestamp.h"

namespace mtrace::domain {

inline constexpr std::size_t kMaxEventsPerBatch = 100;
inline constexpr std::size_t kMaxBoundariesPerBatch = 20;
inline constexpr std::size_t kMaxBodyBytes = 262'144;
// Events whose client_timestamp differs from the server's clock by more than this are flagged.
inline constexpr Micros kTimeSkew = 60 * kMicrosPerSecond;

// The event names the SDK and the reference know: the reference's eleven plus SPEC §8's
// play_requested, paused, resumed, seek_started, seek_ended.
std::span<const std::string_view> known_event_names();

// A known name, or a custom one matching ^[a-z][a-z0-9_.]{0,63}$.
bool is_valid_event_name(std::string_view name);

// Reserved meta keys (backend.md §2.3): network.kind, network.detail_status,
// network.unavailable_reason, network.redacted_url, timing.*, session_sample_rate and the
// webrtc.* allow-list. Keys outside these namespaces are not checked.
std::optional<std::string> check_reserved_meta(const boost::json::object& meta);

// backend.md §2.4 checks 4-7 of one session boundary: kind == "network_signal_absent",
// network_kind in {manifest, segment}, adapter in {hls.js, native_hls, unknown}, and reason one
// of the network-unavailable reasons. (Count, presence, project, session and timestamp checks
// are the caller's, as they need the batch.)
std::optional<std::string> check_boundary_fields(std::string_view kind,
                                                 std::string_view network_kind,
                                                 std::string_view adapter,
                                                 std::string_view reason);

}  // namespace mtrace::domain
