#include "domain/timestamp.h"

#include <gtest/gtest.h>

namespace mtrace::domain {
namespace {

constexpr Micros kSecond = kMicrosPerSecond;
constexpr Micros kDay = 86'400 * kSecond;

TEST(ParseRfc3339, EpochAndKnownInstants) {
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  // 2000-03-01 is 11017 days after the epoch (30 years, 7 of them leap, plus Jan and Feb 2000).
  EXPECT_EQ(parse_rfc3339("2000-03-01T00:00:00Z"), (30 * 365 + 7 + 31 + 29) * kDay);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00.500Z"),
            *parse_rfc3339("2026-04-28T00:00:00Z") + 12 * 3600 * kSecond + 500'000);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -kSecond);
  EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59.25Z"), -750'000);
}

TEST(ParseRfc3339, LeapDays) {
  EXPECT_EQ(*parse_rfc3339("2024-03-01T00:00:00Z") - *parse_rfc3339("2024-02-29T00:00:00Z"), kDay);
  EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z"));   // divisible by 400
  EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z"));  // divisible by 100 only
  EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2024-04-31T00:00:00Z"));
}

TEST(ParseRfc3339, OffsetsAreSubtracted) {
  const Micros utc = *parse_rfc3339("2026-04-28T12:00:00Z");
  EXPECT_EQ(parse_rfc3339("2026-04-28T14:30:00+02:30"), utc);
  EXPECT_EQ(parse_rfc3339("2026-04-28T07:00:00-05:00"), utc);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00+00:00"), utc);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00-00:00"), utc);
  EXPECT_EQ(parse_rfc3339("2026-04-29T11:59:00+23:59"), utc);
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00+24:00"));
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00+01:60"));
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00+0100"));
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00+01"));
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00+01:00:00"));
}

TEST(ParseRfc3339, FractionsOfAnyLengthTruncateToMicroseconds) {
  const Micros base = *parse_rfc3339("2026-04-28T12:00:00Z");
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00.1Z"), base + 100'000);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00.123456Z"), base + 123'456);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00.123456789Z"), base + 123'456);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00.999999999+00:00"), base + 999'999);
  EXPECT_EQ(parse_rfc3339("2026-04-28T12:00:00.000000000000000000001Z"), base);
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00.Z"));
  EXPECT_FALSE(parse_rfc3339("2026-04-28T12:00:00,5Z"));
}

TEST(ParseRfc3339, LowercaseSeparatorsAreAccepted) {
  EXPECT_EQ(parse_rfc3339("2026-04-28t12:00:00z"), parse_rfc3339("2026-04-28T12:00:00Z"));
}

TEST(ParseRfc3339, RejectsOutOfRangeFields) {
  EXPECT_FALSE(parse_rfc3339("0000-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("0001-01-01T00:00:00Z"));
  EXPECT_TRUE(parse_rfc3339("9999-12-31T23:59:59.999999Z"));
  EXPECT_FALSE(parse_rfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-00-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-00T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-01T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-01T00:60:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-01T00:00:60Z"));
  EXPECT_FALSE(parse_rfc3339("2026-01-01T00:00:61Z"));
}

TEST(ParseRfc3339, RejectsGarbage) {
  for (const char* text :
       {"", "Z", "2026", "2026-04-28", "2026-04-28T12:00:00", "2026-04-28 12:00:00Z",
        "2026-4-28T12:00:00Z", "2026-04-28T12:00Z", "+2026-04-28T12:00:00Z", "2026-04-28T12:00:00ZZ",
        "2026-04-28T12:00:00Z ", " 2026-04-28T12:00:00Z", "2026-04-28T12:0a:00Z",
        "2026/04/28T12:00:00Z", "2026-04-28T12:00:00.5", "1777377600", "2026-04-28T12:00:00+",
        "２026-04-28T12:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(text)) << text;
  }
  EXPECT_FALSE(parse_rfc3339(std::string_view("2026-04-28T12:00:00Z\0", 21)));
}

TEST(FormatRfc3339Millis, UtcWithThreeFractionDigits) {
  EXPECT_EQ(format_rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_millis(*parse_rfc3339("2026-04-28T12:00:00.5Z")),
            "2026-04-28T12:00:00.500Z");
  EXPECT_EQ(format_rfc3339_millis(*parse_rfc3339("2024-02-29T23:59:59.999999Z")),
            "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_millis(*parse_rfc3339("0001-01-01T00:00:00Z")),
            "0001-01-01T00:00:00.000Z");
}

TEST(FormatRfc3339Millis, RoundTripsEveryDayOfFourHundredYears) {
  const Micros start = *parse_rfc3339("1900-01-01T00:00:00Z");
  std::string previous;
  for (Micros day = 0; day < 146'097; ++day) {
    const Micros t = start + day * kDay + 3723'456'000;  // 01:02:03.456
    const std::string text = format_rfc3339_millis(t);
    ASSERT_EQ(parse_rfc3339(text), t) << text;
    ASSERT_LT(previous, text);
    previous = text;
  }
}

}  // namespace
}  // namespace mtrace::domain
