#include "adapters/sqlite/session_filter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace mtrace::adapters::sqlite {
namespace {

std::string session_name(int i) { return "session-" + std::to_string(std::int64_t{i} * 7919) + "-" + std::to_string(i); }

TEST(SessionFilter, AnswersMaybeForEverythingUntilComplete) {
  SessionFilter filter(1000);
  filter.add("demo", "a");
  EXPECT_TRUE(filter.may_hold("demo", "never-added"));
  filter.mark_complete();
  EXPECT_TRUE(filter.may_hold("demo", "a"));
  EXPECT_FALSE(filter.may_hold("demo", "never-added"));
}

TEST(SessionFilter, NeverForgetsASessionAndRarelyClaimsOneItWasNotGiven) {
  constexpr int kSessions = 200'000;
  SessionFilter filter(2 * kSessions);  // half full, as the store sizes it at open
  for (int i = 0; i < kSessions; ++i) filter.add("demo", session_name(i));
  filter.mark_complete();
  for (int i = 0; i < kSessions; ++i) ASSERT_TRUE(filter.may_hold("demo", session_name(i))) << i;
  int maybes = 0;
  for (int i = kSessions; i < 2 * kSessions; ++i) maybes += filter.may_hold("demo", session_name(i));
  EXPECT_LT(maybes, kSessions / 100);  // ~1 in 400 expected
}

TEST(SessionFilter, TheProjectIsPartOfTheSession) {
  SessionFilter filter(1000);
  filter.add("shop", "a");
  filter.add("ab", "");
  filter.mark_complete();
  EXPECT_TRUE(filter.may_hold("shop", "a"));
  EXPECT_FALSE(filter.may_hold("demo", "a"));
  EXPECT_FALSE(filter.may_hold("a", "shop"));
  EXPECT_FALSE(filter.may_hold("a", "b"));
}

TEST(SessionFilter, AddsFromManyThreadsAtOnceLoseNothing) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20'000;
  SessionFilter filter(kThreads * kEach);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&filter, t] {
      for (int i = 0; i < kEach; ++i) filter.add("demo", session_name(t * kEach + i));
    });
  }
  for (auto& thread : threads) thread.join();
  filter.mark_complete();
  for (int i = 0; i < kThreads * kEach; ++i) ASSERT_TRUE(filter.may_hold("demo", session_name(i))) << i;
}

}  // namespace
}  // namespace mtrace::adapters::sqlite
