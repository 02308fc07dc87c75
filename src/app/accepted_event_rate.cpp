#include "app/accepted_event_rate.h"

namespace mtrace::app {

std::int64_t AcceptedEventRate::Window::recent(std::int64_t now_second) const {
  std::int64_t total = 0;
  for (int i = 0; i < kWindowSeconds; ++i) {
    if (now_second - second[i] < kWindowSeconds) total += events[i];
  }
  return total;
}

void AcceptedEventRate::record(const std::string& project_id, std::int64_t events, domain::Micros now) {
  const std::int64_t now_second = now / domain::kMicrosPerSecond;
  const auto slot = static_cast<std::size_t>(now_second % kWindowSeconds);
  std::lock_guard lock(mutex_);
  Window& window = windows_[project_id];
  if (window.second[slot] != now_second) {
    window.second[slot] = now_second;
    window.events[slot] = 0;
  }
  window.events[slot] += events;
}

double AcceptedEventRate::per_second(const std::optional<std::string>& project_id, domain::Micros now) const {
  const std::int64_t now_second = now / domain::kMicrosPerSecond;
  std::int64_t total = 0;
  std::lock_guard lock(mutex_);
  if (project_id) {
    if (const auto found = windows_.find(*project_id); found != windows_.end()) total = found->second.recent(now_second);
  } else {
    for (const auto& [project, window] : windows_) total += window.recent(now_second);
  }
  return static_cast<double>(total) / kWindowSeconds;
}

}  // namespace mtrace::app
