#include "adapters/memory/in_process_live_bus.h"

#include <gtest/gtest.h>

#include <vector>

namespace mtrace::adapters {
namespace {

class Recorder final : public ports::LiveSubscriber {
 public:
  void on_frames(const std::vector<ports::LiveFrame>& frames) override {
    for (const auto& frame : frames) received.push_back(frame.data);
  }
  std::vector<std::string> received;
};

TEST(InProcessLiveBus, DeliversEachProjectsFramesToItsSubscribersOnly) {
  InProcessLiveBus bus;
  Recorder demo, everything;
  const auto demo_subscription = bus.subscribe("demo", demo);
  const auto all_subscription = bus.subscribe("", everything);
  bus.publish({{"demo", "event_appended", 1, "d1"}, {"other", "event_appended", 2, "o1"}});
  EXPECT_EQ(demo.received, (std::vector<std::string>{"d1"}));
  EXPECT_EQ(everything.received, (std::vector<std::string>{"d1", "o1"}));
}

TEST(InProcessLiveBus, SaysWhetherAProjectHasSubscribers) {
  InProcessLiveBus bus;
  Recorder demo, everything;
  EXPECT_FALSE(bus.has_subscribers("demo"));
  {
    const auto subscription = bus.subscribe("demo", demo);
    EXPECT_TRUE(bus.has_subscribers("demo"));
    EXPECT_FALSE(bus.has_subscribers("other"));
    {
      const auto all = bus.subscribe("", everything);
      EXPECT_TRUE(bus.has_subscribers("other"));
    }
    EXPECT_FALSE(bus.has_subscribers("other"));
  }
  EXPECT_FALSE(bus.has_subscribers("demo"));
  EXPECT_EQ(bus.subscriber_count(), 0u);
}

}  // namespace
}  // namespace mtrace::adapters
