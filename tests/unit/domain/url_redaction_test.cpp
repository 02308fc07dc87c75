#include "domain/url_redaction.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace mtrace::domain {
namespace {

TEST(RedactUrl, KeepsSchemeHostAndPlainPath) {
  EXPECT_EQ(redact_url("https://cdn.example.com/live/stream/index.m3u8"),
            "https://cdn.example.com/live/stream/index.m3u8");
  EXPECT_EQ(redact_url("https://cdn.example.com:8443/a/b.mp4"), "https://cdn.example.com:8443/a/b.mp4");
  EXPECT_EQ(redact_url("https://cdn.example.com"), "https://cdn.example.com");
  EXPECT_EQ(redact_url("https://cdn.example.com/"), "https://cdn.example.com/");
  EXPECT_EQ(redact_url("https://cdn.example.com/a//b/"), "https://cdn.example.com/a//b/");
  EXPECT_EQ(redact_url("http://[::1]:8080/x"), "http://[::1]:8080/x");
}

TEST(RedactUrl, LowercasesTheScheme) {
  EXPECT_EQ(redact_url("HTTPS://Cdn.Example.com/Path"), "https://Cdn.Example.com/Path");
}

TEST(RedactUrl, DropsUserinfoQueryAndFragment) {
  EXPECT_EQ(redact_url("https://alice:s3cret@cdn.example.com/v.m3u8?token=abc&user=42#t=10"),
            "https://cdn.example.com/v.m3u8");
  EXPECT_EQ(redact_url("https://cdn.example.com?x=1"), "https://cdn.example.com");
  EXPECT_EQ(redact_url("https://cdn.example.com#frag"), "https://cdn.example.com");
  EXPECT_EQ(redact_url("https://u@cdn.example.com/a#b?c"), "https://cdn.example.com/a");
}

TEST(RedactUrl, HexTokensOfEvenLengthFromThirtyTwo) {
  const std::string hex32 = "0123456789abcdef0123456789ABCDEF";
  EXPECT_EQ(redact_url("https://h/s/" + hex32 + "/seg.ts"), "https://h/s/:redacted/seg.ts");
  EXPECT_EQ(redact_url("https://h/" + hex32 + "ab"), "https://h/:redacted");
  // 30 hex digits are no hex token but are caught by the 24-character rule; 22 are kept.
  EXPECT_EQ(redact_url("https://h/" + hex32.substr(0, 30)), "https://h/:redacted");
  EXPECT_EQ(redact_url("https://h/" + hex32.substr(0, 22)), "https://h/" + hex32.substr(0, 22));
}

TEST(RedactUrl, JwtLikeSegments) {
  EXPECT_EQ(redact_url("https://h/auth/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x/v.m3u8"),
            "https://h/auth/:redacted/v.m3u8");
  EXPECT_EQ(redact_url("https://h/a.b.c"), "https://h/:redacted");
  EXPECT_EQ(redact_url("https://h/a.b"), "https://h/a.b");
  EXPECT_EQ(redact_url("https://h/a..c"), "https://h/a..c");
  EXPECT_EQ(redact_url("https://h/a.b.c.d"), "https://h/a.b.c.d");
}

TEST(RedactUrl, LongMostlyTokenCharacterSegments) {
  // 24 characters, all token characters.
  EXPECT_EQ(redact_url("https://h/AbCdEfGhIjKlMnOpQrStUvWx/x"), "https://h/:redacted/x");
  // 23 characters: too short.
  EXPECT_EQ(redact_url("https://h/AbCdEfGhIjKlMnOpQrStUvW"), "https://h/AbCdEfGhIjKlMnOpQrStUvW");
  // 25 characters of which 5 (20 %) are not token characters: still >= 80 %.
  EXPECT_EQ(redact_url("https://h/abcdefghij~~~~~klmnopqrst"), "https://h/:redacted");
  // 25 characters of which 6 are not: below 80 %.
  EXPECT_EQ(redact_url("https://h/abcdefghij~~~~~~lmnopqrst"), "https://h/abcdefghij~~~~~~lmnopqrst");
  // Counted in characters, not bytes: 20 letters + 6 two-byte letters = 26 characters, 77 %.
  EXPECT_EQ(redact_url("https://h/abcdefghijklmnopqrst%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"),
            "https://h/abcdefghijklmnopqrst%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9");
}

TEST(RedactUrl, SegmentsAreJudgedDecodedAndReEscaped) {
  // An encoded token is still a token.
  EXPECT_EQ(redact_url("https://h/%41bCdEfGhIjKlMnOpQrStUvWx"), "https://h/:redacted");
  EXPECT_EQ(redact_url("https://h/my%20video/a%2Fb"), "https://h/my%20video/a%2Fb");
  EXPECT_EQ(redact_url("https://h/caf%c3%a9"), "https://h/caf%C3%A9");
  EXPECT_EQ(redact_url("https://h/a b"), "https://h/a%20b");
}

TEST(RedactUrl, BadPercentEncodingRedactsTheSegment) {
  EXPECT_EQ(redact_url("https://h/ok/%zz/%4/%/end"), "https://h/ok/:redacted/:redacted/:redacted/end");
}

TEST(RedactUrl, UnparseableBecomesRedacted) {
  for (const char* value :
       {"mailto:alice@example.com", "foo:bar", "not a url", "://host/x", "https://", "https:///path",
        "https://user@/path", "https://host:80a/x", "https://ho st/x", "https://host\n/x",
        "1http://host/x", "see https://host/x?token=1", "https://[::1/x", "https://h%zz/x",
        "file:///etc/passwd", "urn:isbn:0451450523", "javascript:alert(1)"}) {
    EXPECT_EQ(redact_url(value), ":redacted") << value;
  }
}

TEST(IsUrlKey, ListedKeysCaseInsensitively) {
  for (const char* key : {"url", "URI", "manifest_url", "Segment_URL", "media_url", "network.url",
                          "request.url", "response.URL"}) {
    EXPECT_TRUE(is_url_key(key)) << key;
  }
  for (const char* key : {"", "urls", "content_id", "network.redacted_url", "href", "my_url"}) {
    EXPECT_FALSE(is_url_key(key)) << key;
  }
}

TEST(NeedsRedaction, UrlKeysSchemesAndSeparators) {
  EXPECT_TRUE(needs_redaction("url", "/relative/path"));
  EXPECT_TRUE(needs_redaction("note", "https://h/x"));
  EXPECT_TRUE(needs_redaction("note", "see https://h/x"));
  EXPECT_TRUE(needs_redaction("contact", "mailto:alice@example.com"));
  EXPECT_TRUE(needs_redaction("x", "foo:bar"));
  EXPECT_FALSE(needs_redaction("url", ""));
  EXPECT_FALSE(needs_redaction("player_name", "hls.js"));
  EXPECT_FALSE(needs_redaction("time", "12:30"));
  EXPECT_FALSE(needs_redaction("x", ":leading colon"));
  EXPECT_FALSE(needs_redaction("x", "a b:c"));
}

TEST(RedactMetaUrls, RewritesUrlValuesAndLeavesTheRest) {
  auto meta = boost::json::parse(R"({
    "manifest_url": "https://cdn.example.com/live/index.m3u8?token=abc",
    "URL": "relative/path",
    "note": "mailto:alice@example.com",
    "network.redacted_url": "https://cdn.example.com/keep?as=is",
    "player_name": "hls.js",
    "bitrate_bps": 800000,
    "nested": {"segment_url": "https://u:p@h/x.ts", "list": ["https://h/a?b", "plain"],
               "network.redacted_url": "https://u:p@h/y.ts?token=s3cr3t#f"}
  })").as_object();
  redact_meta_urls(meta);
  EXPECT_EQ(boost::json::serialize(meta), boost::json::serialize(boost::json::parse(R"({
    "manifest_url": "https://cdn.example.com/live/index.m3u8",
    "URL": ":redacted",
    "note": ":redacted",
    "network.redacted_url": "https://cdn.example.com/keep?as=is",
    "player_name": "hls.js",
    "bitrate_bps": 800000,
    "nested": {"segment_url": "https://h/x.ts", "list": ["https://h/a", "plain"],
               "network.redacted_url": "https://h/y.ts"}
  })")));
}

TEST(IsRedactedUrl, AcceptsOnlyCleanUrls) {
  EXPECT_TRUE(is_redacted_url("https://cdn.example.com/live/index.m3u8"));
  EXPECT_TRUE(is_redacted_url("https://cdn.example.com"));
  EXPECT_TRUE(is_redacted_url("https://cdn.example.com/s/:redacted/seg.ts"));
  EXPECT_FALSE(is_redacted_url(""));
  EXPECT_FALSE(is_redacted_url(":redacted"));
  EXPECT_FALSE(is_redacted_url("https://u:p@cdn.example.com/x"));
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/x?"));
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/x?a=1"));
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/x#f"));
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/a.b.c"));
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/v/Zm9vYmFyYmF6cXV4cXV1eHh5"));  // 24 token chars
  EXPECT_TRUE(is_redacted_url("https://cdn.example.com/v/Zm9vYmFyYmF6cXV4cXV1eHh"));    // 23: a name
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/%zz"));
  EXPECT_FALSE(is_redacted_url("/relative/path"));
  EXPECT_FALSE(is_redacted_url("mailto:alice@example.com"));
}

TEST(IsRedactedUrl, JudgesTheAuthorityAndEachSegmentOnTheirOwn) {
  EXPECT_TRUE(is_redacted_url("https://[::1]:8443/a/"));                  // IP literal, port, empty last segment
  EXPECT_TRUE(is_redacted_url("https://cdn.example.com/@user/a%20b"));    // '@' belongs to the path here
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com?x"));             // a query without a path
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com:8o/x"));          // a port that is not digits
  EXPECT_FALSE(is_redacted_url("https://cdn.exa\x01mple.com/x"));          // a control byte in the host
  EXPECT_FALSE(is_redacted_url("https://cdn.example.com/a\tb"));          // and in a segment
  EXPECT_FALSE(is_redacted_url("https://h/x/%30123456789abcdef0123456789abcdef/y"));  // a token once decoded
  EXPECT_FALSE(is_redacted_url("https://h/eyJhbGciOi.eyJzdWIi.SflKxwRJ/seg.ts"));     // a JWT before the last
  EXPECT_TRUE(is_redacted_url("https://h/a.b/c.d.e.f/seg_1.m4s"));        // dots alone make no JWT
}

TEST(IsRedactedUrl, AcceptsWhatRedactUrlProduces) {
  for (const char* value :
       {"https://a:b@h:1/x/0123456789abcdef0123456789abcdef/y?q#f", "http://h/a.b.c/%zz/ok",
        "HTTP://h/AbCdEfGhIjKlMnOpQrStUvWx", "https://h/a%3Fb%23c", "https://h/a b/ü"}) {
    const std::string redacted = redact_url(value);
    EXPECT_TRUE(is_redacted_url(redacted)) << value << " -> " << redacted;
    EXPECT_EQ(redact_url(redacted), redacted) << "redaction is idempotent for " << value;
  }
}

}  // namespace
}  // namespace mtrace::domain
