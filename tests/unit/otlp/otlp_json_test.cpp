// The OTLP/JSON encoding rules (anchors.md §3.1), checked on the parsed output.
#include "adapters/otlp/otlp_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cmath>

namespace mtrace::adapters::otlp {
namespace {

namespace json = boost::json;

json::value encode_one(const ports::Span& span) {
  return json::parse(encode_trace_request({{"service.name", std::string{"svc"}}}, {span}));
}

TEST(OtlpJson, SpanFieldsFollowTheJsonMapping) {
  ports::Span span;
  span.trace_id = "5b8efff798038103d269b633813fc60c";
  span.span_id = "eee19b7ec3c1b174";
  span.name = "n";
  span.kind = ports::SpanKind::client;
  span.start = 1'544'712'660'300'000;
  span.end = 1'544'712'661'300'001;
  span.attributes = {{"i", std::int64_t{-7}}, {"d", 0.5}, {"b", false}, {"s", std::string{"x"}},
                     {"nan", std::nan("")}, {"inf", -HUGE_VAL}};
  const auto out = encode_one(span);
  const auto& resource_spans = out.at("resourceSpans").at(0);
  EXPECT_EQ(resource_spans.at("resource").at("attributes").at(0).at("value").at("stringValue"), "svc");
  EXPECT_EQ(resource_spans.at("scopeSpans").at(0).at("scope").at("name"), "mtrace");
  const auto& s = resource_spans.at("scopeSpans").at(0).at("spans").at(0).as_object();
  EXPECT_EQ(s.at("traceId"), "5b8efff798038103d269b633813fc60c");
  EXPECT_FALSE(s.contains("parentSpanId"));  // root span
  EXPECT_FALSE(s.contains("status"));        // unset
  EXPECT_EQ(s.at("kind"), 3);                // an integer, never a name
  EXPECT_EQ(s.at("startTimeUnixNano"), "1544712660300000000");
  EXPECT_EQ(s.at("endTimeUnixNano"), "1544712661300001000");
  const auto& a = s.at("attributes").as_array();
  EXPECT_EQ(a.at(0).at("value").at("intValue"), "-7");  // 64-bit integers as strings
  EXPECT_EQ(a.at(1).at("value").at("doubleValue"), 0.5);
  EXPECT_EQ(a.at(2).at("value").at("boolValue"), false);
  EXPECT_EQ(a.at(3).at("value").at("stringValue"), "x");
  EXPECT_EQ(a.at(4).at("value").at("doubleValue"), "NaN");
  EXPECT_EQ(a.at(5).at("value").at("doubleValue"), "-Infinity");
}

TEST(OtlpJson, InvalidUtf8IsReplacedAndValidTextKept) {
  ports::Span span;
  span.trace_id = "5b8efff798038103d269b633813fc60c";
  span.span_id = "eee19b7ec3c1b174";
  span.name = std::string("ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xA5 bad \xC0\xAF \xED\xA0\x80 \xFF end");
  span.attributes = {{"k\xFE", std::string("\x80")}};
  const auto out = encode_one(span);
  const auto& s = out.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(s.at("name").as_string(), "ok \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xA5 bad " + r + r + " " + r + r +
                              r + " " + r + " end");
  EXPECT_EQ(s.at("attributes").at(0).at("key").as_string(), "k" + r);
  EXPECT_EQ(s.at("attributes").at(0).at("value").at("stringValue").as_string(), r);
}

}  // namespace
}  // namespace mtrace::adapters::otlp
