// The OTLP/HTTP JSON encoding of spans (an ExportTraceServiceRequest; reference/anchors.md §3.1):
// hex ids, 64-bit integers and nanosecond times as decimal strings, enums as integers,
// lowerCamelCase keys. Strings that are not valid UTF-8 get U+FFFD for each bad byte, so one odd
// attribute never makes the collector reject a whole batch.
#pragma once

#include <string>
#include <vector>

#include "ports/tracer.h"

namespace mtrace::adapters::otlp {

inline constexpr const char* kScopeName = "mtrace";

// One resourceSpans with `resource` attributes and one scopeSpans holding `spans`.
std::string encode_trace_request(const std::vector<ports::Attribute>& resource,
                                 const std::vector<ports::Span>& spans);

}  // namespace mtrace::adapters::otlp
