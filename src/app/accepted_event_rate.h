// AcceptedEventRate: the events each project had accepted over the last minute, as a rate per
// second (the overview's `events_per_second`). Thread-safe; memory grows with the projects only.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "domain/timestamp.h"

namespace mtrace::app {

class AcceptedEventRate {
 public:
  static constexpr int kWindowSeconds = 60;

  // Counts `events` accepted for `project_id` at `now`.
  void record(const std::string& project_id, std::int64_t events, domain::Micros now);

  // The mean per second over the kWindowSeconds ending at `now`, for `project_id`, or for every
  // project when it is nullopt (the admin token).
  double per_second(const std::optional<std::string>& project_id, domain::Micros now) const;

 private:
  // One slot per second of the window, reused a minute later.
  struct Window {
    std::array<std::int64_t, kWindowSeconds> events{};
    std::array<std::int64_t, kWindowSeconds> second{};
    std::int64_t recent(std::int64_t now_second) const;
  };

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace mtrace::app
