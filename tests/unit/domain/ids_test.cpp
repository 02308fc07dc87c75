#include "domain/ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mtrace::domain {
namespace {

bool is_lower_hex(std::string_view text) {
  return text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

TEST(Ids, UuidV4HasVersionAndVariantBits) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_uuid_v4();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[8], '-');
    EXPECT_EQ(id[13], '-');
    EXPECT_EQ(id[18], '-');
    EXPECT_EQ(id[23], '-');
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string_view("89ab").find(id[19]), std::string_view::npos) << id;
    std::string digits = id;
    std::erase(digits, '-');
    EXPECT_TRUE(is_lower_hex(digits)) << id;
  }
}

TEST(Ids, TraceAndSpanIdsAreLowercaseHexOfTheRightLength) {
  for (int i = 0; i < 1000; ++i) {
    const std::string trace = new_trace_id();
    const std::string span = new_span_id();
    ASSERT_EQ(trace.size(), 32u);
    ASSERT_EQ(span.size(), 16u);
    EXPECT_TRUE(is_lower_hex(trace) && is_lower_hex(span));
    EXPECT_NE(trace, std::string(32, '0'));
    EXPECT_NE(span, std::string(16, '0'));
    EXPECT_TRUE(parse_traceparent("00-" + trace + "-" + span + "-01"));
  }
}

TEST(Ids, ThreadsDrawDistinctIds) {
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& ids : drawn) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 2000; ++i) ids.push_back(new_trace_id());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : drawn) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), 8000u);
}

constexpr std::string_view kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, ParsesTheW3cExample) {
  const auto parent = parse_traceparent(kValid);
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(parent->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(parent->flags, 1);
  EXPECT_EQ(format_traceparent(*parent), kValid);
}

TEST(Traceparent, FlagsRoundTrip) {
  const TraceParent parent{"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0xfe};
  const std::string header = format_traceparent(parent);
  EXPECT_EQ(header.substr(53), "fe");
  EXPECT_EQ(parse_traceparent(header)->flags, 0xfe);
}

TEST(Traceparent, RejectsEverythingElse) {
  const std::string valid(kValid);
  auto with = [&](std::size_t at, std::string_view replacement) {
    std::string text = valid;
    text.replace(at, replacement.size(), replacement);
    return text;
  };
  const std::vector<std::string> invalid = {
      "",
      valid + "-",
      valid.substr(0, 54),
      with(0, "01"),                                   // unknown version
      with(0, "ff"),
      with(3, "4BF92F3577B34DA6A3CE929D0E0E4736"),     // uppercase trace id
      with(36, "00F067AA0BA902B7"),                    // uppercase span id
      with(53, "0A"),                                  // uppercase flags
      with(3, std::string(32, '0')),                   // all-zero trace id
      with(36, std::string(16, '0')),                  // all-zero span id
      with(2, "_"),                                    // wrong separators
      with(35, "_"),
      with(52, "_"),
      with(10, "g"),                                   // not hex
      with(40, "z"),
      with(54, " "),
  };
  for (const std::string& text : invalid) EXPECT_FALSE(parse_traceparent(text)) << text;
}

}  // namespace
}  // namespace mtrace::domain
