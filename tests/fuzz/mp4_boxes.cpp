// Fuzz target: any bytes as an init segment and as a media segment.
#include <cstdint>
#include <span>

#include "analyzer/cmaf/report.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtrace::analyzer::cmaf;
  const std::span<const std::uint8_t> bytes(data, size);
  (void)verify_segment(SegmentTarget{"init", "", "", {}, "fuzz", "", ""}, bytes);
  (void)verify_segment(SegmentTarget{"media", "", "", {}, "fuzz", "", ""}, bytes);
  return 0;
}
