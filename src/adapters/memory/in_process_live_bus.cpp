#include "adapters/memory/in_process_live_bus.h"

#include <mutex>

namespace mtrace::adapters {

class InProcessLiveBus::Subscription final : public ports::LiveSubscription {
 public:
  Subscription(InProcessLiveBus& bus, std::uint64_t id) : bus_(bus), id_(id) {}
  ~Subscription() override { bus_.unsubscribe(id_); }

 private:
  InProcessLiveBus& bus_;
  std::uint64_t id_;
};

void InProcessLiveBus::publish(const std::vector<ports::LiveFrame>& frames) {
  if (frames.empty()) return;
  std::shared_lock lock(mutex_);
  if (subscribers_.empty()) return;
  std::vector<ports::LiveFrame> selected;
  for (const auto& [id, entry] : subscribers_) {
    if (entry.project_id.empty()) {
      entry.subscriber->on_frames(frames);
      continue;
    }
    selected.clear();
    for (const auto& frame : frames) {
      if (frame.project_id == entry.project_id) selected.push_back(frame);
    }
    if (!selected.empty()) entry.subscriber->on_frames(selected);
  }
}

std::unique_ptr<ports::LiveSubscription> InProcessLiveBus::subscribe(const std::string& project_id,
                                                                     ports::LiveSubscriber& subscriber) {
  std::unique_lock lock(mutex_);
  const auto id = next_id_++;
  subscribers_.emplace(id, Entry{project_id, &subscriber});
  count_ = subscribers_.size();
  return std::make_unique<Subscription>(*this, id);
}

void InProcessLiveBus::unsubscribe(std::uint64_t id) {
  std::unique_lock lock(mutex_);
  subscribers_.erase(id);
  count_ = subscribers_.size();
}

bool InProcessLiveBus::has_subscribers(const std::string& project_id) const {
  if (count_ == 0) return false;
  std::shared_lock lock(mutex_);
  for (const auto& [id, entry] : subscribers_) {
    if (entry.project_id.empty() || entry.project_id == project_id) return true;
  }
  return false;
}

std::size_t InProcessLiveBus::subscriber_count() const { return count_; }

}  // namespace mtrace::adapters
