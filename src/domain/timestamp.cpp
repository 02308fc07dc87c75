#include "domain/timestamp.h"

#include <array>

namespace mtrace::domain {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level
// date algorithms").
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11017);
static_assert(civil_from_days(11017).month == 3);

constexpr bool is_leap(std::int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr unsigned days_in_month(std::int64_t y, unsigned m) {
  constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads `width` digits at text[pos]; false when one is missing or not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, unsigned& out) {
  if (pos + width > text.size()) return false;
  unsigned value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + static_cast<unsigned>(text[i] - '0');
  }
  out = value;
  return true;
}

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

std::optional<Micros> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS is 19 characters; the shortest valid text adds "Z".
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20 || !read_digits(text, 0, 4, year) || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, hour) ||
      text[13] != ':' || !read_digits(text, 14, 2, minute) || text[16] != ':' ||
      !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  Micros fraction = 0;
  if (text[pos] == '.') {
    ++pos;
    const std::size_t first = pos;
    Micros scale = 100'000;
    while (pos < text.size() && is_digit(text[pos])) {
      fraction += (text[pos] - '0') * scale;
      scale /= 10;  // reaches 0 after six digits: later digits are truncated
      ++pos;
    }
    if (pos == first) return std::nullopt;
  }
  if (pos >= text.size()) return std::nullopt;
  Micros offset_seconds = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    unsigned offset_hour = 0, offset_minute = 0;
    if (!read_digits(text, pos + 1, 2, offset_hour) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !read_digits(text, pos + 4, 2, offset_minute) ||
        offset_hour > 23 || offset_minute > 59) {
      return std::nullopt;
    }
    offset_seconds = static_cast<Micros>(offset_hour * 3600 + offset_minute * 60);
    if (text[pos] == '-') offset_seconds = -offset_seconds;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const Micros seconds = days_from_civil(year, month, day) * 86'400 + hour * 3600 +
                         minute * 60 + second - offset_seconds;
  return seconds * kMicrosPerSecond + fraction;
}

std::string format_rfc3339_millis(Micros t) {
  Micros days = t / (86'400 * kMicrosPerSecond);
  Micros rest = t % (86'400 * kMicrosPerSecond);
  if (rest < 0) {
    rest += 86'400 * kMicrosPerSecond;
    --days;
  }
  const Civil date = civil_from_days(days);
  const auto seconds_of_day = static_cast<unsigned>(rest / kMicrosPerSecond);
  const auto millis = static_cast<unsigned>(rest % kMicrosPerSecond / kMicrosPerMilli);
  // Years outside 0000-9999 cannot come from parse_rfc3339; they are clamped to four digits.
  const auto year = static_cast<unsigned>(date.year < 0 ? 0 : date.year > 9999 ? 9999 : date.year);
  std::string out = "0000-00-00T00:00:00.000Z";
  put_digits(&out[0], year, 4);
  put_digits(&out[5], date.month, 2);
  put_digits(&out[8], date.day, 2);
  put_digits(&out[11], seconds_of_day / 3600, 2);
  put_digits(&out[14], seconds_of_day / 60 % 60, 2);
  put_digits(&out[17], seconds_of_day % 60, 2);
  put_digits(&out[20], millis, 3);
  return out;
}

}  // namespace mtrace::domain
