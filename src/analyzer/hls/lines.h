// Iterates the lines of a playlist: split on '\n', '\r' and surrounding blanks trimmed, numbered
// from 1. A leading UTF-8 BOM is skipped.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

#include "analyzer/text.h"

namespace mtrace::analyzer::hls {

class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {
    if (rest_.substr(0, 3) == "\xEF\xBB\xBF") rest_.remove_prefix(3);
  }
  // Sets `line` to the next line (possibly empty) and returns false at the end.
  bool next(std::string_view& line) {
    if (done_) return false;
    const char* nl = static_cast<const char*>(std::memchr(rest_.data(), '\n', rest_.size()));
    std::size_t length = nl ? static_cast<std::size_t>(nl - rest_.data()) : rest_.size();
    line = text::trim(rest_.substr(0, length));
    if (nl) {
      rest_.remove_prefix(length + 1);
    } else {
      done_ = true;
    }
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::string_view rest_;
  std::size_t number_ = 0;
  bool done_ = false;
};

// "#EXT-X-KEY:METHOD=NONE" -> name "#EXT-X-KEY", value "METHOD=NONE".
struct Tag {
  std::string_view name;
  std::string_view value;
};
inline Tag split_tag(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return {line, {}};
  return {line.substr(0, colon), line.substr(colon + 1)};
}

}  // namespace mtrace::analyzer::hls
