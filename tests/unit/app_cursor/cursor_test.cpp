#include "app/cursor.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace mtrace::app {
namespace {

// Independent of the implementation's encoder: base64url without padding of raw JSON text.
std::string b64(std::string_view json) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : json) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(buffer >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
  return out;
}

TEST(SessionCursor, RoundTrips) {
  const ports::SessionPosition position{1'777'377'600'123'456, "sess-01", "demo"};
  const std::string cursor = encode_session_cursor("demo", position);
  EXPECT_EQ(cursor.find_first_of("+/="), std::string::npos) << cursor;
  const auto decoded = decode_session_cursor(cursor, "demo");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().started_at, position.started_at);
  EXPECT_EQ(decoded.value().session_id, position.session_id);
}

TEST(SessionCursor, RoundTripsExtremesAndOddSessionIds) {
  for (const std::int64_t started_at :
       {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1}, std::int64_t{0},
        std::numeric_limits<std::int64_t>::max()}) {
    const ports::SessionPosition position{started_at, "s\"/\\é\n", ""};
    const auto decoded = decode_session_cursor(encode_session_cursor("", position), "");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.value().started_at, started_at);
    EXPECT_EQ(decoded.value().session_id, position.session_id);
  }
}

TEST(SessionCursor, AcrossProjectsNamesTheLastSessionsProject) {
  const auto decoded = decode_session_cursor(encode_session_cursor(kEveryProject, {5, "s", "shop"}), kEveryProject);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().project_id, "shop");
  const auto within = decode_session_cursor(encode_session_cursor("demo", {5, "s", "ignored"}), "demo");
  ASSERT_TRUE(within.ok());
  EXPECT_EQ(within.value().project_id, "demo");  // implied, not carried
  const auto older = decode_session_cursor(b64(R"({"v":3,"pid":"*","sa":5,"sid":"s"})"), kEveryProject);
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older.value().project_id, "");  // before every project's
  EXPECT_FALSE(decode_session_cursor(b64(R"({"v":3,"pid":"demo","sa":5,"sid":"s","spid":"demo"})"), "demo").ok());
  EXPECT_FALSE(decode_session_cursor(b64(R"({"v":3,"pid":"*","sa":5,"sid":"s","spid":7})"), kEveryProject).ok());
}

TEST(SessionCursor, IsTheDocumentedJson) {
  const auto decoded =
      decode_session_cursor(b64(R"({"v":3,"pid":"demo","sa":1000,"sid":"abc"})"), "demo");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value().started_at, 1000);
  EXPECT_EQ(decoded.value().session_id, "abc");
}

TEST(SessionCursor, MalformedVariants) {
  const std::string too_long(kMaxCursorBytes + 1, 'A');
  for (const std::string& cursor : {
           std::string(),
           std::string("!!!!"),
           std::string("eyJ2IjozfQ=="),  // padding
           std::string("A"),             // impossible length
           too_long,
           b64("not json"),
           b64("[1,2]"),
           b64(R"("str")"),
           b64(R"({"v":3,"pid":"demo","sa":1000,"sid":"abc","extra":1})"),
           b64(R"({"v":3,"pid":"other","sa":1000,"sid":"abc"})"),
           b64(R"({"v":3,"sa":1000,"sid":"abc"})"),
           b64(R"({"v":3,"pid":"demo","sid":"abc"})"),
           b64(R"({"v":3,"pid":"demo","sa":1000})"),
           b64(R"({"v":3,"pid":"demo","sa":1000,"sid":""})"),
           b64(R"({"v":3,"pid":"demo","sa":"2026-04-28T12:00:00Z","sid":"abc"})"),
           b64(R"({"v":3,"pid":"demo","sa":1.5,"sid":"abc"})"),
           b64(R"({"v":3,"pid":"demo","sa":18446744073709551615,"sid":"abc"})"),
           b64(R"({"v":3,"pid":1,"sa":1000,"sid":"abc"})"),
           b64(R"({"v":4,"pid":"demo","sa":1000,"sid":"abc"})"),
           b64(R"({"v":"3","pid":"demo","sa":1000,"sid":"abc"})"),
           b64(R"({"v":3.0,"pid":"demo","sa":1000,"sid":"abc"})"),
           b64(R"({"v":3,"pid":"demo","sa":1000,"sid":"abc"} trailing)"),
           b64(R"({"v":3,"pid":"demo","sa":1000,"sid":"abc")"),
       }) {
    const auto decoded = decode_session_cursor(cursor, "demo");
    ASSERT_FALSE(decoded.ok()) << cursor;
    EXPECT_EQ(decoded.error(), CursorError::malformed) << cursor;
  }
}

TEST(SessionCursor, NonCanonicalTrailingBitsAreMalformed) {
  std::string cursor = encode_session_cursor("demo", {1, "a", "demo"});
  ASSERT_NE(cursor.size() % 4, 0u) << "the test needs a cursor with a partial last group";
  // The last character carries unused low bits: setting the lowest one spells the same bytes
  // differently, which a strict decoder refuses.
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  cursor.back() = kAlphabet[kAlphabet.find(cursor.back()) ^ 1];
  EXPECT_FALSE(decode_session_cursor(cursor, "demo").ok());
}

TEST(SessionCursor, LegacyVersions) {
  for (const char* json : {R"({"pid":"demo","sa":"2026-04-28T12:00:00Z","sid":"a"})",
                           R"({"v":1,"process_instance_id":"p1","offset":3})",
                           R"({"v":2,"pid":"demo","sa":"x","sid":"a"})"}) {
    const auto decoded = decode_session_cursor(b64(json), "demo");
    ASSERT_FALSE(decoded.ok()) << json;
    EXPECT_EQ(decoded.error(), CursorError::legacy) << json;
  }
}

TEST(CursorErrors, CodesAndReasons) {
  EXPECT_EQ(cursor_error_code(CursorError::malformed), "cursor_invalid_malformed");
  EXPECT_EQ(cursor_error_code(CursorError::legacy), "cursor_invalid_legacy");
  EXPECT_EQ(cursor_error_reason(CursorError::malformed),
            "cursor token failed to decode or violates v:2 schema");
  EXPECT_EQ(cursor_error_reason(CursorError::legacy),
            "process_instance_id-based cursor no longer supported; reload snapshot");
}

TEST(EventCursor, RoundTripsWithAndWithoutSequenceNumber) {
  for (const std::optional<std::int64_t> sequence : {std::optional<std::int64_t>(),
                                                      std::optional<std::int64_t>(0),
                                                      std::optional<std::int64_t>(41)}) {
    const ports::EventPosition position{1'777'377'600'000'001, sequence, 987'654};
    const auto decoded =
        decode_event_cursor(encode_event_cursor("demo", "sess", position), "demo", "sess");
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded.value().server_received_at, position.server_received_at);
    EXPECT_EQ(decoded.value().sequence_number, sequence);
    EXPECT_EQ(decoded.value().ingest_sequence, position.ingest_sequence);
  }
}

TEST(EventCursor, MalformedVariants) {
  const std::string good = encode_event_cursor("demo", "sess", {5, 2, 9});
  EXPECT_EQ(decode_event_cursor(good, "demo", "other-session").error(), CursorError::malformed);
  EXPECT_EQ(decode_event_cursor(good, "other", "sess").error(), CursorError::malformed);
  for (const char* json : {
           R"({"v":3,"pid":"demo","sid":"sess","rcv":5,"ing":9,"wm":"x"})",
           R"({"v":3,"pid":"demo","rcv":5,"ing":9})",
           R"({"v":3,"pid":"demo","sid":"sess","ing":9})",
           R"({"v":3,"pid":"demo","sid":"sess","rcv":5})",
           R"({"v":3,"pid":"demo","sid":"sess","rcv":5,"seq":null,"ing":9})",
           R"({"v":3,"pid":"demo","sid":"sess","rcv":5,"seq":"2","ing":9})",
           R"({"v":3,"pid":"demo","sid":"sess","rcv":"2026-04-28T12:00:00Z","ing":9})",
       }) {
    const auto decoded = decode_event_cursor(b64(json), "demo", "sess");
    ASSERT_FALSE(decoded.ok()) << json;
    EXPECT_EQ(decoded.error(), CursorError::malformed) << json;
  }
  EXPECT_EQ(decode_event_cursor(b64(R"({"v":2,"sid":"sess"})"), "demo", "sess").error(),
            CursorError::legacy);
}

TEST(SearchCursor, RoundTripsAndIsStrict) {
  const auto decoded = decode_search_cursor(encode_search_cursor("demo", 12345), "demo");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), 12345);
  EXPECT_EQ(decode_search_cursor(encode_search_cursor("demo", 1), "").error(),
            CursorError::malformed);
  EXPECT_EQ(decode_search_cursor(b64(R"({"v":3,"pid":"demo"})"), "demo").error(),
            CursorError::malformed);
}

TEST(Cursors, KindsAreNotInterchangeable) {
  const std::string session = encode_session_cursor("demo", {1, "sess", "demo"});
  const std::string event = encode_event_cursor("demo", "sess", {1, std::nullopt, 2});
  const std::string search = encode_search_cursor("demo", 3);
  EXPECT_FALSE(decode_event_cursor(session, "demo", "sess").ok());
  EXPECT_FALSE(decode_search_cursor(session, "demo").ok());
  EXPECT_FALSE(decode_session_cursor(event, "demo").ok());
  EXPECT_FALSE(decode_search_cursor(event, "demo").ok());
  EXPECT_FALSE(decode_session_cursor(search, "demo").ok());
  EXPECT_FALSE(decode_event_cursor(search, "demo", "sess").ok());
}

}  // namespace
}  // namespace mtrace::app
