#include "app/accepted_event_rate.h"

#include <gtest/gtest.h>

namespace mtrace::app {
namespace {

constexpr domain::Micros kT0 = 1'800'000'000'000'000;
constexpr domain::Micros kSecond = domain::kMicrosPerSecond;

TEST(AcceptedEventRate, IsEachProjectsOwnOverTheLastMinute) {
  AcceptedEventRate rate;
  rate.record("demo", 30, kT0);
  rate.record("demo", 30, kT0 + 59 * kSecond);
  rate.record("shop", 120, kT0 + 10 * kSecond);
  const domain::Micros now = kT0 + 59 * kSecond;
  EXPECT_DOUBLE_EQ(rate.per_second("demo", now), 1.0);
  EXPECT_DOUBLE_EQ(rate.per_second("shop", now), 2.0);
  EXPECT_DOUBLE_EQ(rate.per_second(std::nullopt, now), 3.0);
  EXPECT_DOUBLE_EQ(rate.per_second("none", now), 0.0);
  // A minute on, the first second has left the window; its slot is reused, not added to.
  EXPECT_DOUBLE_EQ(rate.per_second("demo", kT0 + 60 * kSecond), 0.5);
  rate.record("demo", 6, kT0 + 60 * kSecond);
  EXPECT_DOUBLE_EQ(rate.per_second("demo", kT0 + 60 * kSecond), 0.6);
  EXPECT_DOUBLE_EQ(rate.per_second("shop", kT0 + 70 * kSecond), 0.0);
}

}  // namespace
}  // namespace mtrace::app
