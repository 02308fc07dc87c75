#include "adapters/http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

namespace mtrace::adapters::http {
namespace {

TEST(WorkerPool, RunsJobsOnItsOwnThreads) {
  std::promise<std::thread::id> ran_on;
  {
    WorkerPool pool("test", 1, 0);
    ASSERT_TRUE(pool.try_post([&] { ran_on.set_value(std::this_thread::get_id()); }));
  }
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
}

TEST(WorkerPool, RefusesJobsBeyondItsBusyThreadsAndQueueThenRunsEveryAcceptedOne) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  auto blocking = [&] {
    ++started;
    released.wait();
    ++finished;
  };
  {
    WorkerPool pool("test", 2, 1);
    ASSERT_TRUE(pool.try_post(blocking));
    ASSERT_TRUE(pool.try_post(blocking));
    while (started.load() < 2) std::this_thread::yield();  // both threads busy
    EXPECT_TRUE(pool.try_post(blocking));                   // waits in the queue
    EXPECT_FALSE(pool.try_post(blocking));                  // queue full
    release.set_value();
  }  // the destructor runs the queued job before it joins
  EXPECT_EQ(finished.load(), 3);
}

TEST(WorkerPool, AQueueOfZeroTakesOnlyWhatAnIdleThreadCanStart) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::set<int> ran;
  std::mutex ran_mutex;
  {
    WorkerPool pool("test", 1, 0);
    ASSERT_TRUE(pool.try_post([&] {
      released.wait();
      std::lock_guard lock(ran_mutex);
      ran.insert(1);
    }));
    EXPECT_FALSE(pool.try_post([&] { ran.insert(2); }));
    release.set_value();
  }
  EXPECT_EQ(ran, (std::set<int>{1}));
}

}  // namespace
}  // namespace mtrace::adapters::http
