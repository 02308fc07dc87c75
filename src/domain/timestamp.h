// Time on the wire and inside: RFC 3339 text outside, integer microseconds since the Unix epoch
// (UTC) everywhere inside, so comparisons and sorting are numeric.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtrace::domain {

using Micros = std::int64_t;

inline constexpr Micros kMicrosPerMilli = 1'000;
inline constexpr Micros kMicrosPerSecond = 1'000'000;

// Parses RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", any fraction length
// (digits past microseconds are truncated), 't'/'z' accepted as in the RFC. Years 0001-9999.
// Returns nullopt for anything else, including out-of-range fields (month 13, second 61).
std::optional<Micros> parse_rfc3339(std::string_view text);

// Formats as RFC 3339 UTC with exactly three fraction digits: "2026-04-28T12:00:00.500Z".
std::string format_rfc3339_millis(Micros t);

}  // namespace mtrace::domain
