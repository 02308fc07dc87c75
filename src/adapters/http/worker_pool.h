// WorkerPool: a fixed set of named threads for the handlers' blocking work (store reads and
// erasures, manifest analyses), so that none of it runs on the server's event loops, where it
// would hold up every other connection of that loop (an ingest batch among them).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mtrace::adapters::http {

class WorkerPool {
 public:
  // Starts `threads` (at least one) threads named "<name>-<i>". Beyond the work the threads are
  // running, at most `queue_capacity` jobs wait: a flood of slow requests is refused at once
  // instead of growing memory and latency without bound.
  WorkerPool(std::string name, int threads, std::size_t queue_capacity);
  // Calls stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Accepts `job` to run on one of the threads, or returns false (and never runs it) when every
  // thread is busy and the queue is full. Thread-safe. A job must not throw.
  bool try_post(std::function<void()> job);

  // Refuses new jobs, runs the jobs already accepted, then joins the threads. Idempotent; not
  // from one of the pool's own jobs.
  void stop();

 private:
  void run();

  const std::size_t capacity_;  // threads + queue_capacity: the accepted jobs not yet finished
  std::mutex mutex_;
  std::condition_variable wanted_;
  std::deque<std::function<void()>> jobs_;
  std::size_t unfinished_ = 0;  // accepted jobs, waiting or running
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mtrace::adapters::http
