#include "adapters/http/worker_pool.h"

#include <pthread.h>

#include <algorithm>

namespace mtrace::adapters::http {

WorkerPool::WorkerPool(std::string name, int threads, std::size_t queue_capacity)
    : capacity_(static_cast<std::size_t>(std::max(threads, 1)) + queue_capacity) {
  for (int i = 0, count = std::max(threads, 1); i < count; ++i) {
    threads_.emplace_back([this, thread_name = (name + "-" + std::to_string(i)).substr(0, 15)] {
      pthread_setname_np(pthread_self(), thread_name.c_str());
      run();
    });
  }
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

bool WorkerPool::try_post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || unfinished_ >= capacity_) return false;
    ++unfinished_;
    jobs_.push_back(std::move(job));
  }
  wanted_.notify_one();
  return true;
}

void WorkerPool::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and every accepted job ran
    auto job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job();
    job = nullptr;  // what it holds goes before the job counts as finished
    lock.lock();
    --unfinished_;
  }
}

}  // namespace mtrace::adapters::http
