#include "domain/json_writer.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdio>
#include <limits>

namespace mtrace::domain {
namespace {

TEST(JsonWriter, PlacesCommasInNestedObjectsAndArrays) {
  JsonWriter w;
  w.begin_object().member("a", 1).key("b").begin_array().value(true).null().begin_object().end_object()
      .begin_array().end_array().end_array().member("c", "x").end_object();
  EXPECT_EQ(w.take(), R"({"a":1,"b":[true,null,{},[]],"c":"x"})");
}

TEST(JsonWriter, KeysFromTheCodeAndFromDataAreWrittenAlike) {
  JsonWriter literal, runtime;
  const std::string a = "a", seg = "segment_uri", quoted = "q\"k";
  literal.begin_object().member("a", 1).key("segment_uri").begin_object().end_object().end_object();
  runtime.begin_object().member(std::string_view(a), 1).key(std::string_view(seg)).begin_object().end_object()
      .key(std::string_view(quoted)).null().end_object();
  EXPECT_EQ(literal.take(), R"({"a":1,"segment_uri":{}})");
  // A key that comes from data is escaped like any string.
  EXPECT_EQ(runtime.take(), R"({"a":1,"segment_uri":{},"q\"k":null})");
}

TEST(JsonWriter, EscapesQuotesBackslashesAndControlCharacters) {
  JsonWriter w;
  w.value(std::string_view("q\"b\\n\nt\tz\x01\x1f\xc3\xa9", 13));
  const auto text = w.take();
  EXPECT_EQ(text, "\"q\\\"b\\\\n\\nt\\tz\\u0001\\u001f\xc3\xa9\"");
  EXPECT_EQ(boost::json::parse(text).as_string(), std::string_view("q\"b\\n\nt\tz\x01\x1f\xc3\xa9", 13));
}

TEST(JsonWriter, ReplacesBytesThatAreNotUtf8SoTheOutputAlwaysParses) {
  JsonWriter w;
  // A sequence cut in its middle, a stray continuation byte, a surrogate, an overlong form.
  w.value(std::string_view("a\xc3 b\x80 c\xed\xa0\x80 d\xc0\xaf \xf0\x9f\x98\x80"));
  const auto text = w.take();
  EXPECT_EQ(boost::json::parse(text).as_string(),
            "a\xef\xbf\xbd b\xef\xbf\xbd c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd d\xef\xbf\xbd\xef\xbf\xbd \xf0\x9f\x98\x80");
}

// Plain ASCII is scanned eight bytes at a time: a character to escape at any offset of a word,
// or in the bytes after the last whole word, is still found.
TEST(JsonWriter, EscapesACharacterAtEveryOffsetOfALongString) {
  const std::string specials[] = {"\"", "\\", "\n", std::string(1, '\0'), "\x1f", "\x7f", "\xc3\xa9",
                                  "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  for (std::size_t length = 0; length <= 24; ++length) {
    for (std::size_t at = 0; at <= length; ++at) {
      for (const auto& special : specials) {
        std::string text(length, 'a');
        text.insert(at, special);
        JsonWriter w;
        w.value(text);
        const auto json = w.take();
        EXPECT_EQ(boost::json::parse(json).as_string(), text) << length << " " << at;
      }
      std::string invalid(length, 'b');
      invalid.insert(at, "\xff");
      JsonWriter w;
      w.value(invalid);
      std::string expected(length, 'b');
      expected.insert(at, "\xef\xbf\xbd");
      EXPECT_EQ(boost::json::parse(w.take()).as_string(), expected) << length << " " << at;
    }
  }
}

TEST(JsonWriter, WritesNumbersInTheirShortestForm) {
  JsonWriter w;
  w.begin_array().value(5.997).value(6.0).value(-0.5).value(1e300).value(std::numeric_limits<double>::quiet_NaN())
      .value(std::numeric_limits<double>::infinity()).value(std::int64_t{-9007199254740993})
      .value(std::uint64_t{18446744073709551615u}).end_array();
  EXPECT_EQ(w.take(), "[5.997,6,-0.5,1e+300,null,null,-9007199254740993,18446744073709551615]");
}

TEST(JsonWriter, WritesEachOfRepeatedAndAlternatingDoublesAsItself) {
  JsonWriter w;
  w.begin_array();
  for (const double d : {5.997, 5.997, 0.1, 5.997, 6.0, 5.997, -5.997, 0.0, 0.1}) w.value(d);
  EXPECT_EQ(w.end_array().take(), "[5.997,5.997,0.1,5.997,6,5.997,-5.997,0,0.1]");
}

TEST(JsonWriter, WritesABoostJsonTreeWithShortestNumbersAndItsMemberOrder) {
  const auto tree = boost::json::parse(
      R"({"ratio":0.25,"zero":0.0,"whole":3.0,"tiny":1e-7,"big":-9223372036854775808,)"
      R"("huge":18446744073709551615,"list":[1.5,null,false,"x"],"nested":{"b":{},"a":[]}})");
  const std::string expected =
      R"({"ratio":0.25,"zero":0,"whole":3,"tiny":1e-07,"big":-9223372036854775808,)"
      R"("huge":18446744073709551615,"list":[1.5,null,false,"x"],"nested":{"b":{},"a":[]}})";
  EXPECT_EQ(to_json_text(tree), expected);
  EXPECT_EQ(to_json_text(tree.as_object()), expected);
  EXPECT_EQ(boost::json::parse(to_json_text(tree)).at("ratio").as_double(), 0.25);
}

TEST(JsonWriter, RawValuesTakeTheirPlaceAmongMembers) {
  JsonWriter w;
  w.begin_object().member("a", 1).key("b").raw(R"({"x":[1]})").key("c").raw("2").end_object();
  EXPECT_EQ(w.take(), R"({"a":1,"b":{"x":[1]},"c":2})");
}

TEST(JsonWriter, SinkReceivesEverythingInPieces) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  JsonWriter w(file);
  w.begin_array();
  for (int i = 0; i < 50'000; ++i) w.begin_object().member("uri", "segment.ts").member("n", i).end_object();
  w.end_array();
  w.flush();
  std::string text(static_cast<std::size_t>(std::ftell(file)), '\0');
  std::rewind(file);
  ASSERT_EQ(std::fread(text.data(), 1, text.size(), file), text.size());
  std::fclose(file);
  const auto parsed = boost::json::parse(text).as_array();
  ASSERT_EQ(parsed.size(), 50'000u);
  EXPECT_EQ(parsed[49'999].at("n"), 49'999);
  EXPECT_TRUE(w.take().empty());
}

}  // namespace
}  // namespace mtrace::domain
