// The published per-session experience scores (reference/anchors.md §1.1, Mux Data formulas).
// Each returns 0..100; inputs outside their domain are clamped, never rejected.
#pragma once

#include <cstdint>

namespace mtrace::domain::qoe {

// 8 / (8 + startup_seconds) × 100: 0.4 s → 95.2, 2 s → 80, 8 s → 50.
double startup_score(double startup_seconds);

// Mean of 100 / sqrt(1 + (rebuffer_count / 2)²) and 100 × e^(−10 × rebuffer_ratio).
double smoothness_score(std::int64_t rebuffer_count, double rebuffer_ratio);

// 100 × e^(−0.33 × (0.15 × upscale_max + 0.85 × upscale_avg)), upscale as fractions (0.5 = 50 %).
double quality_score(double upscale_max, double upscale_avg);

}  // namespace mtrace::domain::qoe
