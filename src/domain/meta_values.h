// Reading the values a player put in an event's `meta`: numbers bounded to what is plausible.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

namespace mtrace::domain {

// Bounds past which a reported value is absurd and ignored.
inline constexpr double kMaxDurationMs = 24.0 * 3600 * 1000;

// A finite number in [0, max] under `key`, or nothing (absent, another type, out of bounds).
std::optional<double> meta_number(const boost::json::object& meta, std::string_view key, double max);

}  // namespace mtrace::domain
