// HLS attribute lists (rfc8216bis §4.2): KEY=VALUE pairs separated by commas, values either
// quoted strings (which may hold commas) or unquoted tokens. Views point into the tag's text.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace mtrace::analyzer::hls {

struct Attribute {
  std::string_view key;
  std::string_view value;  // without the quotes
  bool quoted = false;
};

class AttributeList {
 public:
  // Tolerant parse: spaces around keys and unquoted values are skipped, an unterminated quote
  // runs to the end, a key without '=' gets an empty value, an empty key is skipped.
  explicit AttributeList(std::string_view text);

  // The last attribute named `key` (duplicate keys: the last one wins), or null.
  const Attribute* find(std::string_view key) const;
  // Its value.
  std::optional<std::string_view> get(std::string_view key) const;
  bool has(std::string_view key) const { return get(key).has_value(); }
  const std::vector<Attribute>& all() const { return items_; }

 private:
  std::vector<Attribute> items_;
};

// Helpers over attribute values.
std::optional<bool> parse_yes_no(std::string_view value);  // exactly YES or NO
struct Resolution {
  std::uint64_t width = 0;
  std::uint64_t height = 0;
};
std::optional<Resolution> parse_resolution(std::string_view value);  // WIDTHxHEIGHT
std::vector<std::string_view> split_codecs(std::string_view value);

}  // namespace mtrace::analyzer::hls
