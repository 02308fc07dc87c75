// InProcessLiveBus: LiveBus for one process. Publishing walks the project's subscribers under a
// shared lock; subscribers copy and return (ports/live_bus.h).
#pragma once

#include <atomic>
#include <map>
#include <shared_mutex>

#include "ports/live_bus.h"

namespace mtrace::adapters {

class InProcessLiveBus final : public ports::LiveBus {
 public:
  // ports::LiveBus
  void publish(const std::vector<ports::LiveFrame>& frames) override;
  std::unique_ptr<ports::LiveSubscription> subscribe(const std::string& project_id,
                                                     ports::LiveSubscriber& subscriber) override;
  bool has_subscribers(const std::string& project_id) const override;

  std::size_t subscriber_count() const;

 private:
  class Subscription;
  void unsubscribe(std::uint64_t id);

  struct Entry {
    std::string project_id;  // empty: every project
    ports::LiveSubscriber* subscriber;
  };
  mutable std::shared_mutex mutex_;
  std::map<std::uint64_t, Entry> subscribers_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::size_t> count_{0};  // subscribers_.size(), read without the lock
};

}  // namespace mtrace::adapters
