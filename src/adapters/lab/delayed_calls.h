// DelayedCalls: one small timer thread that runs callbacks later, so that a delayed answer never
// holds a server thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace mtrace::adapters::lab {

class DelayedCalls {
 public:
  DelayedCalls();
  // Runs what is still pending (see run_all_now) and joins the thread.
  ~DelayedCalls();

  // Runs `call` on the timer thread once `delay` has passed. After run_all_now() it runs at once
  // on the caller's thread. Thread-safe.
  void after(std::chrono::milliseconds delay, std::function<void()> call);
  // Runs every pending call now (on the caller's thread) and makes later after() calls immediate:
  // used on shutdown so that the server can drain. Thread-safe.
  void run_all_now();

 private:
  using Clock = std::chrono::steady_clock;
  void loop(std::stop_token stop);

  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::multimap<Clock::time_point, std::function<void()>> pending_;
  bool immediate_ = false;
  std::jthread thread_;  // last: starts after the members above exist
};

}  // namespace mtrace::adapters::lab
