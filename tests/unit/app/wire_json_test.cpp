#include "app/wire_json.h"

#include <gtest/gtest.h>

namespace mtrace::app {
namespace {

TEST(WireJson, QoeCarriesEveryFieldAndLeavesAbsentOnesOut) {
  domain::Qoe qoe;
  auto fresh = qoe_to_json(qoe);
  EXPECT_EQ(fresh.at("watch_ms"), 0);
  EXPECT_EQ(fresh.at("started"), false);
  EXPECT_FALSE(fresh.contains("startup_ms"));
  EXPECT_FALSE(fresh.contains("upscale_max"));

  qoe.startup_ms = 812;
  qoe.rebuffer_ratio = 0.25;
  qoe.upscale_avg = 0.5;
  qoe.upscale_max = 1.0;
  qoe.quality_score = 70.25;
  const auto o = qoe_to_json(qoe);
  EXPECT_EQ(o.at("startup_ms"), 812);
  EXPECT_EQ(o.at("rebuffer_ratio"), 0.25);
  EXPECT_EQ(o.at("upscale_avg"), 0.5);
  EXPECT_EQ(o.at("upscale_max"), 1.0);
  EXPECT_EQ(o.at("quality_score"), 70.25);
  EXPECT_EQ(o.size(), fresh.size() + 4);  // rebuffer_ratio was there already
}

}  // namespace
}  // namespace mtrace::app
