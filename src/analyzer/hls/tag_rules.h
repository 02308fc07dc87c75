// Rules every HLS playlist shares (rfc8216bis §4.4.1, §4.4.2): one EXT-X-VERSION at least as high
// as the features used need, tags that may appear once, EXT-X-DEFINE and {$variable} references.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "analyzer/finding.h"
#include "analyzer/hls/lines.h"

namespace mtrace::analyzer::hls {

class TagRules {
 public:
  TagRules(bool multivariant, Findings& findings) : multivariant_(multivariant), findings_(findings) {}

  // Call for every line starting with '#EXT' before the parser's own handling.
  void on_tag(const Tag& tag, std::size_t line);
  // Call for every line that may hold a {$variable} reference (tags and URI lines).
  void on_text(std::string_view text, std::size_t line);
  // `feature` on `line` needs at least protocol version `version`.
  void require_version(unsigned version, std::string_view feature, std::size_t line);
  // Reports a version lower than required. Call once at the end.
  void finish();

  std::optional<std::uint64_t> version() const { return version_; }

 private:
  bool multivariant_;
  Findings& findings_;
  std::optional<std::uint64_t> version_;
  unsigned required_ = 1;
  std::string_view required_feature_;
  std::size_t required_line_ = 0;
  std::uint32_t seen_once_ = 0;  // bit per entry of the once-only tag list
  std::unordered_set<std::string_view> variables_;  // a set: a playlist may define thousands
};

}  // namespace mtrace::analyzer::hls
