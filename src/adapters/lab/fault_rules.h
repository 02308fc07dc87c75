// FaultRules: the lab origin's deliberate misbehaviour, set over HTTP so that tests and demos can
// cause stalls (a delayed segment) and errors (a failed segment) on purpose.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.h"

namespace mtrace::adapters::lab {

struct FaultRule {
  std::string segment_pattern;  // fnmatch(3) glob over the path below /lab, e.g. "/hls/*/seg_*.m4s"
  int delay_ms = 0;             // 0..kMaxDelayMs: answer this much later
  int status = 0;               // 0: serve the file; 400..599: answer this status instead
  std::int64_t remaining = -1;  // requests this rule still applies to; -1: until cleared
};

// What to do with one request.
struct FaultAction {
  int delay_ms = 0;
  int status = 0;
};

inline constexpr int kMaxDelayMs = 60'000;
inline constexpr std::size_t kMaxFaultRules = 32;

// Parses `{"segment_pattern":"…","delay_ms":N}` or `{"segment_pattern":"…","status":503,"count":N}`
// (delay and status may be combined; `count` is optional). Unknown keys, wrong types and
// out-of-range values are errors (invalid_argument) naming the field.
domain::Result<FaultRule> parse_fault_rule(std::string_view json);

// The rules in force. Thread-safe.
class FaultRules {
 public:
  // Adds a rule after the others; invalid_argument when kMaxFaultRules are already set.
  domain::Status add(FaultRule rule);
  void clear();
  // The first rule whose pattern matches `path` (relative to /lab, starting with '/'), counting
  // the request against that rule; a rule that reaches zero is removed.
  std::optional<FaultAction> take(std::string_view path);
  // The rules as a JSON array (for GET /lab/faults).
  std::string to_json() const;

 private:
  mutable std::mutex mutex_;
  std::vector<FaultRule> rules_;
};

}  // namespace mtrace::adapters::lab
