// The published score formulas at points worked out by hand (anchors.md §1.1).
#include "domain/qoe/scores.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mtrace::domain::qoe {
namespace {

TEST(Scores, StartupAtThePublishedPoints) {
  EXPECT_NEAR(startup_score(0.4), 95.238, 1e-3);  // 8 / 8.4
  EXPECT_NEAR(startup_score(2), 80.0, 1e-9);
  EXPECT_NEAR(startup_score(8), 50.0, 1e-9);
  EXPECT_NEAR(startup_score(20), 28.571, 1e-3);
  EXPECT_NEAR(startup_score(0), 100.0, 1e-9);
  EXPECT_NEAR(startup_score(-3), 100.0, 1e-9);  // clamped
}

TEST(Scores, Smoothness) {
  EXPECT_NEAR(smoothness_score(0, 0), 100.0, 1e-9);
  // 5-min view, one 5 s stall: (100/sqrt(1.25) + 100·e^(−10·5/300)) / 2 = (89.443 + 84.648) / 2
  EXPECT_NEAR(smoothness_score(1, 5.0 / 300), 87.045, 1e-3);
  // two stalls, 5 %: (100/sqrt(2) + 100·e^−0.5) / 2 = (70.711 + 60.653) / 2
  EXPECT_NEAR(smoothness_score(2, 0.05), 65.682, 1e-3);
  EXPECT_NEAR(smoothness_score(0, std::nan("")), 100.0, 1e-9);
}

TEST(Scores, Quality) {
  EXPECT_NEAR(quality_score(0, 0), 100.0, 1e-9);
  EXPECT_NEAR(quality_score(0.5, 0.5), 84.789, 1e-3);  // "50 % upscaling throughout → 85"
}

}  // namespace
}  // namespace mtrace::domain::qoe
