// Structured logs: one JSON object per line on stdout ({"time","level","msg",…fields}).
// Never pass secrets (tokens, keys) as fields.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>

namespace mtrace::cli {

void log_line(std::string_view level, std::string_view message, boost::json::object fields = {});
inline void log_info(std::string_view message, boost::json::object fields = {}) {
  log_line("info", message, std::move(fields));
}
inline void log_warn(std::string_view message, boost::json::object fields = {}) {
  log_line("warn", message, std::move(fields));
}
inline void log_error(std::string_view message, boost::json::object fields = {}) {
  log_line("error", message, std::move(fields));
}

}  // namespace mtrace::cli
