#include "analyzer/text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "domain/utf8.h"

namespace mtrace::analyzer::text {

std::optional<std::uint64_t> parse_uint(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_decimal(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.front() == '+') return std::nullopt;
  // Fast path for "digits[.digits]" with at most 15 digits: integer over a power of ten, one
  // correctly rounded division, so the same double as from_chars.
  if (s.size() <= 16) {
    std::uint64_t mantissa = 0, scale = 1;
    std::size_t i = 0;
    const auto digit = [&](std::size_t at) { return static_cast<unsigned char>(s[at] - '0') < 10; };
    for (; i < s.size() && digit(i); ++i) mantissa = mantissa * 10 + static_cast<std::uint64_t>(s[i] - '0');
    if (i > 0 && i + 1 < s.size() && s[i] == '.') {
      for (++i; i < s.size() && digit(i); ++i) {
        mantissa = mantissa * 10 + static_cast<std::uint64_t>(s[i] - '0');
        scale *= 10;
      }
    }
    // All of `s` was read: digits and at most one dot. 16 bytes are 15 digits and a dot, or 16
    // digits, more than a double holds exactly.
    const bool dot = scale > 1;
    if (i == s.size() && s.size() - dot <= 15) return static_cast<double>(mantissa) / static_cast<double>(scale);
  }
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string format_number(double value) {
  char buffer[32];
  if (value == std::trunc(value) && std::fabs(value) < 1e15) {
    const auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
    return std::string(buffer, end);
  }
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, end);
}

std::string format_fixed3(double value) {
  char buffer[40];
  const auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, 3);
  if (ec != std::errc{}) return format_number(value);
  return std::string(buffer, end);
}

std::size_t count_byte(std::string_view s, char c) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ull, kLow7 = 0x7f7f7f7f7f7f7f7full;
  const std::uint64_t pattern = kOnes * static_cast<unsigned char>(c);
  std::size_t count = 0, i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, s.data() + i, 8);
    const std::uint64_t x = word ^ pattern;  // a zero byte where `c` is
    // The high bit of each byte that is zero (exact: no carry crosses bytes), then their sum.
    const std::uint64_t zero = ~(((x & kLow7) + kLow7) | x | kLow7);
    count += static_cast<std::size_t>(((zero >> 7) * kOnes) >> 56);
  }
  for (; i < s.size(); ++i) count += s[i] == c;
  return count;
}

std::string to_valid_utf8(std::string bytes) {
  std::size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {  // ASCII fast path, eight bytes at a time
    std::uint64_t word;
    std::memcpy(&word, bytes.data() + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < bytes.size() && static_cast<unsigned char>(bytes[i]) < 0x80) ++i;
  if (i == bytes.size()) return bytes;
  std::string out = bytes.substr(0, i);
  out.reserve(bytes.size() + 16);
  const std::string_view view = bytes;
  while (i < view.size()) {
    const std::size_t n = domain::utf8_sequence_length(view, i);
    if (n == 0) {
      out.append("\xEF\xBF\xBD");
      ++i;
    } else {
      out.append(view.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string first_line(std::string_view body) {
  if (body.size() >= 3 && body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  while (!body.empty()) {
    const auto end = body.find('\n');
    const auto line = trim(body.substr(0, end));
    if (!line.empty()) return std::string(line.substr(0, 80));
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace mtrace::analyzer::text
