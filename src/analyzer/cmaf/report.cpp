#include "analyzer/cmaf/report.h"

namespace mtrace::analyzer::cmaf {

std::string BinaryReport::status() const {
  bool all_passed = !checks.empty();
  for (const auto& c : checks) {
    if (c.status == "failed") return "failed";
    all_passed &= c.status == "passed";
  }
  return all_passed ? "passed" : "skipped";
}

SegmentCheck verify_segment(const SegmentTarget& target, std::span<const std::uint8_t> bytes) {
  SegmentCheck check;
  check.target = target;
  check.bytes_read = bytes.size();
  check.verdict = target.kind == "init" ? verify_init(bytes) : verify_media(bytes);
  if (check.verdict.passed()) {
    check.status = "passed";
    return check;
  }
  check.status = "failed";
  check.failure_code = "cmaf_box_validation_failed";
  for (const auto& p : check.verdict.problems) {
    if (p.code == "invalid_box_structure") check.failure_code = p.code;
    check.message += (check.message.empty() ? "" : " | ") + p.message;
  }
  return check;
}

SegmentCheck skipped(const SegmentTarget& target, std::string code, std::string message) {
  SegmentCheck check;
  check.target = target;
  check.status = "skipped";
  check.failure_code = std::move(code);
  check.message = std::move(message);
  return check;
}

}  // namespace mtrace::analyzer::cmaf
