// Resolving segment and variant references against a playlist's URL: the plain-path shortcut
// gives what the full RFC 3986 resolution gives, and only takes references it can.
#include <gtest/gtest.h>

#include "analyzer/url.h"

namespace mtrace::analyzer {
namespace {

TEST(UrlResolver, ResolvesPlainAndOtherReferencesAsRfc3986Does) {
  const UrlResolver resolver("https://cdn.example.test/vod/hls/index.m3u8?token=1");
  const auto resolved = [&](std::string_view reference) { return resolver.resolve(reference).value_or("(none)"); };
  EXPECT_EQ(resolved("seg_000001.ts"), "https://cdn.example.test/vod/hls/seg_000001.ts");
  EXPECT_EQ(resolved("720p/Seg-1_a~b.m4s"), "https://cdn.example.test/vod/hls/720p/Seg-1_a~b.m4s");
  EXPECT_EQ(resolved("a/./b.ts"), "https://cdn.example.test/vod/hls/a/b.ts");
  EXPECT_EQ(resolved("a/../b.ts"), "https://cdn.example.test/vod/hls/b.ts");
  EXPECT_EQ(resolved("../b.ts"), "https://cdn.example.test/vod/b.ts");
  EXPECT_EQ(resolved("./b.ts"), "https://cdn.example.test/vod/hls/b.ts");
  EXPECT_EQ(resolved("/root.ts"), "https://cdn.example.test/root.ts");
  EXPECT_EQ(resolved("seg 1.ts"), "https://cdn.example.test/vod/hls/seg%201.ts");
  EXPECT_EQ(resolved("b.ts?x=1"), "https://cdn.example.test/vod/hls/b.ts?x=1");
  EXPECT_EQ(resolved("https://other.example.test/c.ts"), "https://other.example.test/c.ts");
  EXPECT_TRUE(resolver.resolvable("seg_000001.ts"));
  EXPECT_TRUE(resolver.resolvable("a/./b.ts"));
  EXPECT_FALSE(UrlResolver("").resolvable("seg_000001.ts"));
  EXPECT_FALSE(UrlResolver("not a url").resolve("seg_000001.ts").has_value());
}

// What a browser's URL parser takes and RFC 3986 does not: brackets in a path, a '%' that starts
// no escape, a second '#'. They are encoded, and an IPv6 host keeps its brackets.
TEST(UrlResolver, EncodesWhatBrowsersAcceptAndRfc3986DoesNot) {
  const UrlResolver resolver("https://cdn.example.test/vod/index.m3u8");
  const auto resolved = [&](std::string_view reference) { return resolver.resolve(reference).value_or("(none)"); };
  EXPECT_EQ(resolved("seg[0001].ts"), "https://cdn.example.test/vod/seg%5B0001%5D.ts");
  EXPECT_EQ(resolved("clip 100%.ts"), "https://cdn.example.test/vod/clip%20100%25.ts");
  EXPECT_EQ(resolved("a%zz.ts"), "https://cdn.example.test/vod/a%25zz.ts");
  EXPECT_EQ(resolved("a%20b.ts"), "https://cdn.example.test/vod/a%20b.ts");
  EXPECT_EQ(resolved("b.ts#t=1#x"), "https://cdn.example.test/vod/b.ts#t=1%23x");
  EXPECT_EQ(resolved("http://[::1]:8080/a[1].ts"), "http://[::1]:8080/a%5B1%5D.ts");
  EXPECT_EQ(resolved("//[2001:db8::1]/x.ts"), "https://[2001:db8::1]/x.ts");
}

}  // namespace
}  // namespace mtrace::analyzer
