// The CMAF binary check: which segments to fetch (planned by the analyzer from the manifest) and
// what was found in them (filled by the caller, which owns the network).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analyzer/cmaf/boxes.h"

namespace mtrace::analyzer::cmaf {

struct ByteSpan {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct SegmentTarget {
  std::string kind;    // "init" | "media"
  std::string uri;     // as written in the manifest
  std::string url;     // resolved; empty when it could not be resolved
  std::optional<ByteSpan> range;
  std::string anchor;  // "media:line:5", "MPD/Period[0]/AdaptationSet[id=1]/Representation[id=v1]"
  std::string skip_code;     // set: the manifest alone rules the fetch out
  std::string skip_message;
};

struct SegmentCheck {
  SegmentTarget target;
  std::string status;        // "passed" | "failed" | "skipped"
  std::string failure_code;  // failed: invalid_box_structure | cmaf_box_validation_failed;
                             // skipped: segment_fetch_failed, segment_uri_blocked, ...
  std::string message;
  std::string resolved_url;  // the final URL after redirects (fetched checks)
  std::string content_type;
  std::uint64_t bytes_read = 0;
  SegmentVerdict verdict;    // fetched checks
};

struct BinaryReport {
  std::vector<SegmentCheck> checks;
  std::uint64_t max_segment_bytes = 0;
  std::uint64_t max_segments = 0;
  // "passed" when every check passed, "failed" when one failed, otherwise "skipped".
  std::string status() const;
};

// Verifies fetched bytes for `target` and fills a check (passed or failed).
SegmentCheck verify_segment(const SegmentTarget& target, std::span<const std::uint8_t> bytes);
// A check that was not fetched.
SegmentCheck skipped(const SegmentTarget& target, std::string code, std::string message);

}  // namespace mtrace::analyzer::cmaf
