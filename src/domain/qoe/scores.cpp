#include "domain/qoe/scores.h"

#include <algorithm>
#include <cmath>

namespace mtrace::domain::qoe {

namespace {
double non_negative(double x) { return std::isfinite(x) ? std::max(0.0, x) : 0.0; }
}  // namespace

double startup_score(double startup_seconds) {
  return 8.0 / (8.0 + non_negative(startup_seconds)) * 100.0;
}

double smoothness_score(std::int64_t rebuffer_count, double rebuffer_ratio) {
  const double half_count = static_cast<double>(std::max<std::int64_t>(rebuffer_count, 0)) / 2.0;
  const double frequency_part = 100.0 / std::sqrt(1.0 + half_count * half_count);
  const double duration_part = 100.0 * std::exp(-10.0 * non_negative(rebuffer_ratio));
  return (frequency_part + duration_part) / 2.0;
}

double quality_score(double upscale_max, double upscale_avg) {
  return 100.0 * std::exp(-0.33 * (0.15 * non_negative(upscale_max) + 0.85 * non_negative(upscale_avg)));
}

}  // namespace mtrace::domain::qoe
