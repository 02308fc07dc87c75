#include "adapters/lab/fault_rules.h"

#include <gtest/gtest.h>

namespace mtrace::adapters::lab {
namespace {

TEST(ParseFaultRule, AcceptsADelayRule) {
  auto rule = parse_fault_rule(R"({"segment_pattern":"/hls/*/seg_*.m4s","delay_ms":2500})");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule.value().segment_pattern, "/hls/*/seg_*.m4s");
  EXPECT_EQ(rule.value().delay_ms, 2500);
  EXPECT_EQ(rule.value().status, 0);
  EXPECT_EQ(rule.value().remaining, -1);
}

TEST(ParseFaultRule, AcceptsAFailureRuleWithACount) {
  auto rule = parse_fault_rule(R"({"segment_pattern":"*.ts","status":503,"count":2})");
  ASSERT_TRUE(rule.ok()) << rule.error().message;
  EXPECT_EQ(rule.value().status, 503);
  EXPECT_EQ(rule.value().remaining, 2);
}

TEST(ParseFaultRule, RefusesBadInputNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"not json", "JSON object"},
      {"[1]", "JSON object"},
      {R"({"delay_ms":10})", "segment_pattern is required"},
      {R"({"segment_pattern":""})", "segment_pattern"},
      {R"({"segment_pattern":"*"})", "delay_ms or status"},
      {R"({"segment_pattern":"*","delay_ms":-1})", "delay_ms"},
      {R"({"segment_pattern":"*","delay_ms":60001})", "delay_ms"},
      {R"({"segment_pattern":"*","delay_ms":1.5})", "delay_ms"},
      {R"({"segment_pattern":"*","status":200})", "status"},
      {R"({"segment_pattern":"*","status":"503"})", "status"},
      {R"({"segment_pattern":"*","status":503,"count":0})", "count"},
      {R"({"segment_pattern":"*","status":503,"extra":1})", "unknown field extra"},
      {R"({"segment_pattern":7,"status":503})", "segment_pattern"},
  };
  for (const auto& [body, mention] : cases) {
    auto rule = parse_fault_rule(body);
    ASSERT_FALSE(rule.ok()) << body;
    EXPECT_NE(rule.error().message.find(mention), std::string::npos) << body << " → " << rule.error().message;
  }
  EXPECT_FALSE(parse_fault_rule(R"({"segment_pattern":")" + std::string(257, 'a') + R"(","status":503})").ok());
}

TEST(FaultRules, FirstMatchingRuleAppliesAndCountsDown) {
  FaultRules rules;
  ASSERT_TRUE(rules.add({"/hls/high/*.m4s", 0, 503, 2}).ok());
  ASSERT_TRUE(rules.add({"*.m4s", 100, 0, -1}).ok());

  auto first = rules.take("/hls/high/seg_00003.m4s");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 503);
  EXPECT_EQ(rules.take("/hls/high/seg_00004.m4s")->status, 503);
  // The failing rule is used up: the delay rule is next.
  auto third = rules.take("/hls/high/seg_00005.m4s");
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->status, 0);
  EXPECT_EQ(third->delay_ms, 100);
  EXPECT_FALSE(rules.take("/hls/high/index.m3u8").has_value());
}

TEST(FaultRules, ClearRemovesEveryRuleAndTheCountIsCapped) {
  FaultRules rules;
  for (std::size_t i = 0; i < kMaxFaultRules; ++i) ASSERT_TRUE(rules.add({"*", 1, 0, -1}).ok());
  EXPECT_FALSE(rules.add({"*", 1, 0, -1}).ok());
  rules.clear();
  EXPECT_FALSE(rules.take("/dash/manifest.mpd").has_value());
  EXPECT_EQ(rules.to_json(), R"({"rules":[]})");
}

}  // namespace
}  // namespace mtrace::adapters::lab
