#include "cli/json_log.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "domain/json_writer.h"
#include "domain/timestamp.h"

namespace mtrace::cli {

void log_line(std::string_view level, std::string_view message, boost::json::object fields) {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  boost::json::object line{{"time", domain::format_rfc3339_millis(now)}, {"level", level}, {"msg", message}};
  for (auto& [key, value] : fields) line[key] = std::move(value);
  const auto text = domain::to_json_text(line) + "\n";
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace mtrace::cli
