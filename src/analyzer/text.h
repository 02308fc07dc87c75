// Small text helpers shared by the parsers: trimming, strict number parsing, number formatting.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtrace::analyzer::text {

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

constexpr std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Equal but for the case of ASCII letters (schemes, media types, header values).
constexpr bool iequals(std::string_view a, std::string_view b) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Digits only (no sign, no spaces); nullopt on overflow or anything else.
std::optional<std::uint64_t> parse_uint(std::string_view s);

// A non-negative finite decimal ("6", "5.967", "1e1"); nullopt for empty, negative, NaN, infinite.
std::optional<double> parse_decimal(std::string_view s);

// Shortest text that reads back as the same double; integral values without a fraction ("4").
std::string format_number(double value);

// Fixed three decimals ("5.967"), for messages.
std::string format_fixed3(double value);

// How many times `c` occurs in `s`, eight bytes at a time.
std::size_t count_byte(std::string_view s, char c);

// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD (unchanged when already valid).
std::string to_valid_utf8(std::string bytes);

// The first line of a body (trimmed, at most 80 bytes), for error details.
std::string first_line(std::string_view body);

}  // namespace mtrace::analyzer::text
