#include "adapters/lab/delayed_calls.h"

#include <vector>

namespace mtrace::adapters::lab {

DelayedCalls::DelayedCalls() : thread_([this](std::stop_token stop) { loop(stop); }) {}

DelayedCalls::~DelayedCalls() {
  run_all_now();
  thread_.request_stop();
  thread_.join();
}

void DelayedCalls::after(std::chrono::milliseconds delay, std::function<void()> call) {
  {
    std::lock_guard lock(mutex_);
    if (!immediate_) {
      pending_.emplace(Clock::now() + delay, std::move(call));
      wake_.notify_one();
      return;
    }
  }
  call();
}

void DelayedCalls::run_all_now() {
  std::multimap<Clock::time_point, std::function<void()>> due;
  {
    std::lock_guard lock(mutex_);
    immediate_ = true;
    due.swap(pending_);
  }
  for (auto& [when, call] : due) call();
}

void DelayedCalls::loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (pending_.empty()) {
      wake_.wait(lock, stop, [this] { return !pending_.empty(); });
      continue;
    }
    const auto next = pending_.begin()->first;
    if (Clock::now() < next) {
      wake_.wait_until(lock, stop, next, [this, next] { return !pending_.empty() && pending_.begin()->first < next; });
      continue;
    }
    std::vector<std::function<void()>> due;
    while (!pending_.empty() && pending_.begin()->first <= Clock::now()) {
      due.push_back(std::move(pending_.begin()->second));
      pending_.erase(pending_.begin());
    }
    lock.unlock();
    for (auto& call : due) call();
    lock.lock();
  }
}

}  // namespace mtrace::adapters::lab
