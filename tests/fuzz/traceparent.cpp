// Fuzzes traceparent parsing: never crashes, and a header that parses formats back to itself
// (the accepted grammar has exactly one spelling per value).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "domain/ids.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parent = mtrace::domain::parse_traceparent(input);
  if (parent && mtrace::domain::format_traceparent(*parent) != input) std::abort();
  return 0;
}
