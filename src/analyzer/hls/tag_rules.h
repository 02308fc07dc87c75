// Rules every HLS playlist shares (rfc8216bis §4.4.1, §4.4.2): one EXT-X-VERSION at least as high
// as the features used need, tags that may appear once, EXT-X-DEFINE and {$variable} references.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>
#include <string>
#include <unordered_map>

#include "analyzer/finding.h"
#include "analyzer/hls/lines.h"

namespace mtrace::analyzer::hls {

class TagRules {
 public:
  TagRules(bool multivariant, Findings& findings) : multivariant_(multivariant), findings_(findings) {}

  // Call for every line starting with '#EXT' before the parser's own handling.
  void on_tag(const Tag& tag, std::size_t line);
  // Call for every line that may hold a {$variable} reference (tags and URI lines): reports the
  // references no EXT-X-DEFINE before it defines, and gives the line with each one an EXT-X-DEFINE
  // gave a VALUE replaced by that value (kept in `kept`; IMPORT and QUERYPARAM values are not
  // known here, so their references stay as written). An EXT-X-DEFINE line is given unchanged.
  std::string_view with_variables(std::string_view text, std::size_t line,
                                  std::shared_ptr<std::deque<std::string>>& kept);
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
  // Name -> VALUE (none for IMPORT and QUERYPARAM); hashed: a playlist may define thousands.
  std::unordered_map<std::string_view, std::optional<std::string_view>> variables_;

};

}  // namespace mtrace::analyzer::hls
