// HLS and DASH parsing details: numbering, resolution, inheritance, templates, result shape.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <algorithm>
#include <charconv>

#include "analyzer/analyze.h"
#include "analyzer/dash/mpd.h"
#include "analyzer/hls/attributes.h"
#include "analyzer/text.h"

namespace mtrace::analyzer {
namespace {

// The result object as a client reads it.
boost::json::object result_of(const Analysis& a) { return boost::json::parse(a.to_json()).as_object(); }

Analysis run(std::string text, std::string base = "https://cdn.example.test/a/b/index.m3u8") {
  return analyze(std::move(text), InputInfo{"text", "", std::move(base)});
}

TEST(Detect, RejectsWhatIsNeitherHlsNorDash) {
  for (const char* body : {"", "   \n", "<html><body>hi</body></html>", "hello"}) {
    const auto a = run(body);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error()->code, "manifest_not_supported") << body;
  }
  EXPECT_EQ(run("#EXTM3U foo\n").error()->code, "manifest_not_hls");
  EXPECT_EQ(run("<?xml version=\"1.0\"?><MPD><Period>").error()->code, "manifest_malformed");
  EXPECT_EQ(run("<?xml version=\"1.0\"?><root><MPD/></root>").error()->code, "manifest_malformed");
}

TEST(Detect, ErrorObjectHasTheReferenceShape) {
  const auto o = result_of(run("nope"));
  EXPECT_EQ(o.at("status"), "error");
  EXPECT_EQ(o.at("code"), "manifest_not_supported");
  EXPECT_EQ(o.at("analyzerKind"), "hls");
  EXPECT_EQ(o.at("details").at("firstLine"), "nope");
}

TEST(Hls, MediaSegmentsAreNumberedResolvedAndSummarised) {
  const auto a = run(
      "\xEF\xBB\xBF#EXTM3U\r\n#EXT-X-VERSION:4\r\n#EXT-X-TARGETDURATION:4\r\n#EXT-X-MEDIA-SEQUENCE:7\r\n"
      "#EXTINF:4,first, with comma\r\n../seg 1.ts\r\n#EXT-X-BYTERANGE:100@0\r\n#EXTINF:3.5,\r\nall.ts\r\n"
      "#EXT-X-BYTERANGE:50\r\n#EXTINF:4,\r\nall.ts\r\n#EXT-X-ENDLIST\r\n");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.findings().empty()) << a.to_json();
  const auto& m = *a.media_playlist();
  ASSERT_EQ(m.segments.size(), 3u);
  EXPECT_EQ(m.segments[0].sequence, 7);
  EXPECT_EQ(m.segments[2].sequence, 9);
  EXPECT_EQ(m.segments[0].title, "first, with comma");
  EXPECT_EQ(m.segments[2].byte_range->offset, 100u);  // continues the previous sub-range
  const auto o = result_of(a);
  const auto& details = o.at("details").as_object();
  EXPECT_EQ(details.at("segments").as_array()[0].at("resolvedUri"), "https://cdn.example.test/a/seg%201.ts");
  EXPECT_EQ(details.at("segments").as_array()[1].at("resolvedUri"), "https://cdn.example.test/a/b/all.ts");
  EXPECT_EQ(details.at("summary").at("totalDuration").as_double(), 11.5);
  EXPECT_EQ(details.at("live"), false);
  EXPECT_EQ(o.at("summary").at("itemCount"), 3);
}

// The kind comes from tag names anywhere in the playlist: a multivariant tag after segments
// still makes it ambiguous, read as multivariant.
TEST(Hls, PlaylistKindLooksAtEveryTagName) {
  const auto has_finding = [](const Analysis& a, std::string_view code) {
    for (const auto& f : a.findings())
      if (f.code == code) return true;
    return false;
  };
  const std::string media = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na.ts\n#EXTINF:6,\nb.ts\n";
  const auto plain = run(media + "#EXT-X-ENDLIST\n");
  EXPECT_EQ(plain.playlist_type(), "media");
  EXPECT_FALSE(has_finding(plain, "playlist_ambiguous"));
  const auto mixed = run(media + "#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n");
  EXPECT_EQ(mixed.playlist_type(), "master");
  EXPECT_TRUE(has_finding(mixed, "playlist_ambiguous"));
  const auto extinf_only = run("#EXTM3U\n#EXTINF:6,\na.ts\n");
  EXPECT_EQ(extinf_only.playlist_type(), "media");
  EXPECT_EQ(run("#EXTM3U\n#EXT-X-VERSION:3\n").playlist_type(), "unknown");
}

TEST(Hls, PlaylistKindReadsTagsOnlyWhereALineStarts) {
  const auto kind = [](const std::string& text) { return run(text).playlist_type(); };
  const std::string media = "#EXTM3U\n#EXTINF:6,\na.ts\n";
  // Inside a URI line a tag name is text.
  EXPECT_EQ(kind(media + "b.ts#EXT-X-STREAM-INF:BANDWIDTH=1\n"), "media");
  EXPECT_EQ(kind("#EXTM3U\nv.m3u8 #EXT-X-STREAM-INF:BANDWIDTH=1\n"), "unknown");
  // Blanks before a tag and after its name are trimmed, and a carriage return is a blank.
  EXPECT_EQ(kind(media + " \t\r#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n"), "master");
  EXPECT_EQ(kind("\xEF\xBB\xBF#EXTM3U\r\n#EXT-X-ENDLIST \t\r\n"), "media");
  // An #EXT-X- tag after the media tags is still looked at; an #EXT tag that is not one is not.
  EXPECT_EQ(kind(media + "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",NAME=\"en\"\n"), "master");
  EXPECT_EQ(kind(media + "#EXTX-STREAM-INF:BANDWIDTH=1\nv.m3u8\n"), "media");
}

TEST(Text, DecimalsReadAsFromCharsReadsThem) {
  const auto from_chars = [](std::string_view s) {
    double value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
  };
  // The short path (up to 15 digits) and from_chars beyond it give the same doubles.
  for (const char* s : {"6", "5.997", "0.1", "10.010", "123456789012345", "12345678901234.5", "0.000000000000001",
                        "1234567890123456", "5.", ".5", "1e1", "2.5E-1", "00000000000000000007.25"}) {
    const auto value = text::parse_decimal(s);
    ASSERT_TRUE(value) << s;
    EXPECT_EQ(*value, from_chars(s)) << s;
  }
  EXPECT_EQ(text::parse_decimal("5.997"), 5.997);
  for (const char* s : {"", "-1", "+1", "1.2.3", "1,5", "5.x", "x", "nan", "inf", "1e999", " 1"})
    EXPECT_FALSE(text::parse_decimal(s)) << s;
}

TEST(Text, CountByteCountsEveryOccurrenceWhateverSurroundsIt) {
  // Every length up to 40 (the eight-byte words and the tail), the byte beside its neighbours in
  // value (0x09, 0x0B, 0x8A) and bytes with the high bit set, which a word-wise count must not carry.
  const std::string pattern = "\n\x0b\t\x8a\n\n\xff\x80" "a\n\x01\n\x7f\x0a\xfe";
  std::string text;
  for (int i = 0; i < 3; ++i) text += pattern;
  for (std::size_t length = 0; length <= 40; ++length) {
    const std::string_view s(text.data(), length);
    EXPECT_EQ(text::count_byte(s, '\n'), static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')))
        << length;
    EXPECT_EQ(text::count_byte(s, '\xff'), static_cast<std::size_t>(std::count(s.begin(), s.end(), '\xff')))
        << length;
  }
}

// The (code, line) of each finding, in order.
std::vector<std::pair<std::string_view, std::size_t>> coded_lines(const Analysis& a) {
  std::vector<std::pair<std::string_view, std::size_t>> out;
  for (const auto& f : a.findings()) out.emplace_back(f.code, f.line);
  return out;
}

TEST(Hls, DurationChecksReportEverySegmentThatBreaksThem) {
  using Found = std::vector<std::pair<std::string_view, std::size_t>>;
  // The target duration comes last, after the segments it bounds: two segments above it, one
  // under half of it, an invalid duration that neither rule looks at, a short last segment of a VOD.
  const std::string segments =
      "#EXTINF:6,\na.ts\n#EXTINF:8,\nb.ts\n#EXTINF:2.9,\nc.ts\n#EXTINF:x,\nd.ts\n#EXTINF:7,\ne.ts\n"
      "#EXTINF:1,\nf.ts\n";
  EXPECT_EQ(coded_lines(run("#EXTM3U\n#EXT-X-VERSION:3\n" + segments +
                            "#EXT-X-TARGETDURATION:6\n#EXT-X-ENDLIST\n")),
            (Found{{"segment_malformed_extinf", 9},
                   {"segment_duration_exceeds_target", 6},
                   {"segment_duration_exceeds_target", 12},
                   {"segment_duration_outlier", 8}}));
  // Without a target duration the mean of the valid durations (4.98 s) is the anchor; live, the
  // short last segment is an outlier too.
  EXPECT_EQ(coded_lines(run("#EXTM3U\n#EXT-X-VERSION:3\n" + segments)),
            (Found{{"segment_malformed_extinf", 9},
                   {"media_missing_targetduration", 0},
                   {"segment_duration_outlier", 14}}));
}

TEST(Hls, FindingsCarryTheirLine) {
  const auto a = run("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na.ts\n#EXTINF:9,\nb.ts\n#EXT-X-ENDLIST\n");
  ASSERT_EQ(a.findings().size(), 1u);
  EXPECT_EQ(a.findings()[0].code, "segment_duration_exceeds_target");
  EXPECT_EQ(a.findings()[0].line, 6u);
  EXPECT_EQ(result_of(a).at("findings").as_array()[0].at("line"), 6);
}

TEST(Hls, RoundingFollowsTheRfc) {
  // 6.49 rounds to 6 (fine), 6.5 rounds to 7 (too long) for a target of 6.
  EXPECT_TRUE(run("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.49,\na.ts\n#EXTINF:6,\nb.ts\n#EXT-X-ENDLIST\n")
                  .findings().empty());
  EXPECT_EQ(run("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.5,\na.ts\n#EXTINF:6,\nb.ts\n#EXT-X-ENDLIST\n")
                .findings()[0].code, "segment_duration_exceeds_target");
}

TEST(Hls, LastSegmentMayBeShortOnlyInVod) {
  const std::string body = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\na.ts\n#EXTINF:6,\nb.ts\n#EXTINF:6,\nc.ts\n#EXTINF:1,\nd.ts\n";
  EXPECT_TRUE(run(body + "#EXT-X-ENDLIST\n").findings().empty());
  bool outlier = false;
  const auto live = run(body);
  for (const auto& f : live.findings()) outlier |= f.code == "segment_duration_outlier";
  EXPECT_TRUE(outlier);
}

TEST(Hls, SkipShiftsSequenceNumbers) {
  const auto a = run("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:4\n"
                     "#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=24\n#EXT-X-MEDIA-SEQUENCE:10\n"
                     "#EXT-X-SKIP:SKIPPED-SEGMENTS=5\n#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n#EXTINF:4,\nc.ts\n");
  EXPECT_TRUE(a.findings().empty()) << a.to_json();
  EXPECT_EQ(a.media_playlist()->segments[0].sequence, 15);
}

TEST(Hls, ManyIdenticalFindingsAreFolded) {
  std::string body = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n";
  for (int i = 0; i < 500; ++i) body += "#EXTINF:5,\ns" + std::to_string(i) + ".ts\n";
  const auto a = run(body + "#EXT-X-ENDLIST\n");
  EXPECT_EQ(a.findings().size(), kMaxFindingsPerCode + 1);
  EXPECT_NE(a.findings().back().message.find("400 more"), std::string::npos);
}

// A finding on every line keeps memory bounded: past the cap a code only counts.
TEST(Hls, AFindingOnEveryLineKeepsOnlyTheCap) {
  std::string body = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n";
  for (int i = 0; i < 200'000; ++i) body += "x\n";
  const auto a = run(body);
  EXPECT_LE(a.findings().size(), 2 * (kMaxFindingsPerCode + 1));
  const auto folded = std::count_if(a.findings().begin(), a.findings().end(), [](const Finding& f) {
    return f.message.find("more findings of") != std::string::npos;
  });
  EXPECT_GE(folded, 1);
}

// EXT-X-ENDLIST may appear anywhere in a media playlist (RFC 8216 4.3.3.4).
TEST(Hls, SegmentsAfterEndlistAreValid) {
  const auto a = run("#EXTM3U\n#EXT-X-ENDLIST\n#EXT-X-TARGETDURATION:10\n#EXTINF:9,\na.ts\n");
  EXPECT_TRUE(a.findings().empty()) << a.to_json();
  EXPECT_EQ(a.media_playlist()->segments.size(), 1u);
}

// Thousands of distinct variables, each defined once and used (looked up in a set).
TEST(Hls, ManyVariablesAreDefinedAndFound) {
  std::string body = "#EXTM3U\n#EXT-X-VERSION:8\n#EXT-X-TARGETDURATION:4\n";
  for (int i = 0; i < 50'000; ++i) body += "#EXT-X-DEFINE:NAME=\"v" + std::to_string(i) + "\",VALUE=\"x\"\n";
  for (int i = 0; i < 50'000; ++i) body += "#EXTINF:4,\n{$v" + std::to_string(i) + "}.ts\n";
  const auto a = run(body + "#EXT-X-DEFINE:NAME=\"v7\",VALUE=\"y\"\n#EXT-X-ENDLIST\n");
  ASSERT_EQ(a.findings().size(), 1u) << a.findings()[0].code;
  EXPECT_EQ(a.findings()[0].code, "hls_define_duplicate");
}

// A comment is no place for variables: a {$name} in one is text, in either kind of playlist.
TEST(Hls, VariableReferencesInCommentsAreText) {
  const auto multivariant = run("#EXTM3U\n#EXT-X-VERSION:8\n# built from {$template}\n"
                                "#EXT-X-DEFINE:NAME=\"q\",VALUE=\"1\"\n"
                                "#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"avc1.42c01e\"\nv.m3u8?q={$q}\n");
  EXPECT_TRUE(multivariant.findings().empty()) << multivariant.to_json();
  const auto undefined = run("#EXTM3U\n#EXT-X-VERSION:8\n#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"avc1.42c01e\"\nv.m3u8?q={$q}\n");
  ASSERT_EQ(undefined.findings().size(), 1u) << undefined.to_json();
  EXPECT_EQ(undefined.findings()[0].code, "hls_variable_undefined");
}

// A variable an EXT-X-DEFINE gave a value is replaced in URI lines and attribute values, so the
// segments resolve (and are fetched) where a player fetches them; a copy of the playlist keeps
// its replaced lines.
TEST(Hls, DefinedVariablesAreReplacedWhereTheyAreUsed) {
  auto a = run("#EXTM3U\n#EXT-X-VERSION:8\n#EXT-X-TARGETDURATION:4\n"
               "#EXT-X-DEFINE:NAME=\"base\",VALUE=\"https://cdn.example.test/v\"\n"
               "#EXT-X-DEFINE:QUERYPARAM=\"token\"\n"
               "#EXT-X-MAP:URI=\"{$base}/init.mp4\"\n"
               "#EXTINF:4,\n{$base}/s1.m4s\n#EXTINF:4,\n{$base}/s2.m4s?t={$token}\n#EXT-X-ENDLIST\n");
  ASSERT_TRUE(a.ok());
  for (const auto& finding : a.findings()) EXPECT_EQ(finding.level, Level::info) << finding.message;
  const Analysis copy = a;
  a = run("#EXTM3U\n");  // the original's lines are gone; the copy's views must still hold
  const auto* playlist = copy.media_playlist();
  ASSERT_NE(playlist, nullptr);
  ASSERT_EQ(playlist->segments.size(), 2u);
  EXPECT_EQ(playlist->segments[0].uri, "https://cdn.example.test/v/s1.m4s");
  EXPECT_EQ(playlist->segments[1].uri, "https://cdn.example.test/v/s2.m4s?t={$token}");  // a query parameter: unknown here
  ASSERT_TRUE(playlist->map.has_value());
  EXPECT_EQ(playlist->map->uri, "https://cdn.example.test/v/init.mp4");
  EXPECT_NE(copy.to_json().find("https://cdn.example.test/v/s1.m4s"), std::string::npos);
}

// CLOSED-CAPTIONS=NONE (an enumerated value) says there are none; "NONE" quoted is a group id,
// which a rendition group must then define.
TEST(Hls, ClosedCaptionsNoneIsAGroupOnlyWhenQuoted) {
  const auto captions = [](const std::string& value) {
    return run("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1000,CODECS=\"avc1.42c01e\",CLOSED-CAPTIONS=" + value + "\nv.m3u8\n");
  };
  EXPECT_TRUE(captions("NONE").findings().empty()) << captions("NONE").to_json();
  const auto quoted = captions("\"NONE\"");
  ASSERT_EQ(quoted.findings().size(), 1u) << quoted.to_json();
  EXPECT_EQ(quoted.findings()[0].code, "variant_group_undefined");
}

// An absurd EXTINF beside dates neither overflows (UBSan) nor invents a jump.
TEST(Hls, AnAbsurdDurationBesideDatesStaysInRange) {
  const auto a = run("#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:00Z\n"
                     "#EXTINF:1e300,\na.ts\n#EXTINF:4,\nb.ts\n#EXTINF:4,\nc.ts\n#EXT-X-ENDLIST\n");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.media_playlist()->segments.size(), 3u);
}

TEST(Hls, AttributeListsKeepQuotedCommas) {
  const hls::AttributeList a(R"(BANDWIDTH=1000, CODECS="avc1.4d401f,mp4a.40.2",,=x,FLAG,NAME = "a")");
  EXPECT_EQ(a.get("CODECS"), "avc1.4d401f,mp4a.40.2");
  EXPECT_EQ(a.get("BANDWIDTH"), "1000");
  EXPECT_EQ(a.get("FLAG"), "");
  EXPECT_EQ(a.get("NAME"), "a");
  EXPECT_FALSE(a.has(""));
}

TEST(Hls, InvalidUtf8IsReplacedSoTheJsonStaysValid) {
  const auto a = run("#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\xff\xfe\nseg.ts\n#EXT-X-ENDLIST\n");
  const auto text = a.to_json();
  EXPECT_NE(text.find("\xEF\xBF\xBD"), std::string::npos);
}

TEST(Dash, InheritsTemplatesAndResolvesBaseUrlsPerLevel) {
  const auto a = run(R"(<?xml version="1.0"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT4S">
 <BaseURL>https://media.example.test/root/</BaseURL>
 <Period id="p"><BaseURL>period/</BaseURL>
  <AdaptationSet id="1" mimeType="video/mp4" codecs="avc1.42c01e">
   <BaseURL>video/</BaseURL>
   <SegmentTemplate initialization="init-$RepresentationID$.mp4" media="seg-$Number%05d$-$Bandwidth$.m4s" startNumber="7" duration="2"/>
   <Representation id="v1" bandwidth="500"><BaseURL>rep/</BaseURL></Representation>
   <Representation id="v2" bandwidth="900"><SegmentTemplate startNumber="3"/></Representation>
  </AdaptationSet>
 </Period>
</MPD>)", "https://origin.example.test/x/manifest.mpd");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.findings().empty());
  const auto& reps = a.mpd()->adaptation_sets.at(0).representations;
  EXPECT_EQ(reps[0].initialization, "https://media.example.test/root/period/video/rep/init-v1.mp4");
  EXPECT_EQ(reps[0].first_media, "https://media.example.test/root/period/video/rep/seg-00007-500.m4s");
  EXPECT_EQ(reps[1].first_media, "https://media.example.test/root/period/video/seg-00003-900.m4s");
  EXPECT_EQ(reps[0].path, "MPD/Period[id=p]/AdaptationSet[id=1]/Representation[id=v1]");
}

TEST(Dash, TimeTemplatesUseTheFirstTimelineEntry) {
  const auto a = run(R"(<MPD type="static" mediaPresentationDuration="PT6S"><Period>
<AdaptationSet mimeType="audio/mp4" codecs="mp4a.40.2"><SegmentTemplate timescale="48000" media="a-$Time$.m4s" initialization="a.mp4">
<SegmentTimeline><S t="96000" d="96000" r="1"/><S d="48000"/></SegmentTimeline></SegmentTemplate>
<Representation id="a" bandwidth="64000"/></AdaptationSet></Period></MPD>)", "http://h.example.test/m.mpd");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.findings().empty());
  const auto& rep = a.mpd()->adaptation_sets[0].representations[0];
  EXPECT_EQ(rep.first_media, "http://h.example.test/a-96000.m4s");
  EXPECT_EQ(rep.segment_count, 3u);
}

// An S with r="-1" repeats up to the next S's @t: no gap there, and its segments are counted.
TEST(Dash, AnOpenRepeatRunsUpToTheNextTime) {
  const auto a = run(R"(<MPD type="static" mediaPresentationDuration="PT104S"><Period>
<AdaptationSet mimeType="audio/mp4" codecs="mp4a.40.2"><SegmentTemplate timescale="1" media="a-$Time$.m4s" initialization="a.mp4">
<SegmentTimeline><S t="0" d="2" r="-1"/><S t="101" d="3"/></SegmentTimeline></SegmentTemplate>
<Representation id="a" bandwidth="64000"/><Representation id="b" bandwidth="96000"/></AdaptationSet></Period></MPD>)",
                     "http://h.example.test/m.mpd");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a.findings().empty()) << a.to_json();
  for (const auto& rep : a.mpd()->adaptation_sets[0].representations) {
    EXPECT_EQ(rep.segment_count, 52u) << rep.id;  // ceil(101 / 2) up to t=101, then one of 3
  }
}

// A timeline shared by every Representation is read once: its findings are not repeated.
TEST(Dash, ASharedTimelineIsCheckedOnce) {
  const auto a = run(R"(<MPD type="static" mediaPresentationDuration="PT10S"><Period>
<AdaptationSet mimeType="audio/mp4" codecs="mp4a.40.2"><SegmentTemplate timescale="1" media="a-$Time$.m4s" initialization="a.mp4">
<SegmentTimeline><S t="0" d="2"/><S t="5" d="2"/></SegmentTimeline></SegmentTemplate>
<Representation id="a" bandwidth="1"/><Representation id="b" bandwidth="2"/><Representation id="c" bandwidth="3"/>
</AdaptationSet></Period></MPD>)", "http://h.example.test/m.mpd");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a.findings().size(), 1u) << a.to_json();
  EXPECT_EQ(a.findings()[0].code, "dash_timeline_gap");
  EXPECT_EQ(a.mpd()->adaptation_sets[0].representations[2].segment_count, 2u);
}

// ISO 23009-1: a static MPD's length is known from mediaPresentationDuration or its last Period's
// @duration (the earlier Periods end where the next one starts).
TEST(Dash, AStaticMpdsLengthMayComeFromItsLastPeriod) {
  const auto mpd = [](const std::string& last_period) {
    return R"(<MPD type="static"><Period id="a" start="PT0S"><AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e">
<Representation id="v" bandwidth="1"><BaseURL>v.mp4</BaseURL></Representation></AdaptationSet></Period>
<Period id="b" start="PT30S")" + last_period + R"(><AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e">
<Representation id="w" bandwidth="1"><BaseURL>w.mp4</BaseURL></Representation></AdaptationSet></Period></MPD>)";
  };
  EXPECT_TRUE(run(mpd(R"( duration="PT30S")")).findings().empty());
  const auto unknown = run(mpd(""));
  ASSERT_EQ(unknown.findings().size(), 1u) << unknown.to_json();
  EXPECT_EQ(unknown.findings()[0].code, "dash_static_duration_unknown");
}

// Thousands of Representations in one AdaptationSet (each level's segment elements are found once,
// not once per Representation, so this is read in linear time).
TEST(Dash, ThousandsOfRepresentationsAreAllRead) {
  std::string reps;
  for (int i = 0; i < 20'000; ++i) reps += R"(<Representation id="r)" + std::to_string(i) + R"(" bandwidth="1"/>)";
  const auto a = run(R"(<MPD type="static" mediaPresentationDuration="PT4S"><Period><AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e">
<SegmentTemplate media="s-$Number$.m4s" initialization="i.mp4" duration="2"/>)" + reps + "</AdaptationSet></Period></MPD>");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.mpd()->adaptation_sets[0].representations.size(), 20'000u);
}

// A BaseURL no player could fetch from is passed over for the next one.
TEST(Dash, ABaseUrlThatIsNotHttpIsPassedOver) {
  const auto a = run(R"(<MPD type="static" mediaPresentationDuration="PT2S"><BaseURL>file:///etc/</BaseURL>
<BaseURL>https://cdn.example.test/v/</BaseURL><Period><AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e">
<Representation id="v" bandwidth="1"><BaseURL>v.mp4</BaseURL></Representation></AdaptationSet></Period></MPD>)",
                     "https://origin.example.test/m.mpd");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.mpd()->adaptation_sets[0].representations[0].first_media, "https://cdn.example.test/v/v.mp4");
}

TEST(Dash, SegmentBaseGivesRanges) {
  const auto a = run(R"(<MPD type="static" mediaPresentationDuration="PT6S"><Period>
<AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e"><Representation id="v" bandwidth="1">
<BaseURL>v.mp4</BaseURL><SegmentBase indexRange="800-999"><Initialization range="0-799"/></SegmentBase>
</Representation></AdaptationSet></Period></MPD>)", "https://h.example.test/dir/m.mpd");
  ASSERT_TRUE(a.ok());
  const auto& rep = a.mpd()->adaptation_sets[0].representations[0];
  EXPECT_EQ(rep.initialization, "https://h.example.test/dir/v.mp4");
  ASSERT_TRUE(rep.initialization_range);
  EXPECT_EQ(rep.initialization_range->last, 799u);
  const auto plan = a.cmaf_plan();
  ASSERT_FALSE(plan.empty());
  EXPECT_EQ(plan[0].range->length, 800u);
}

TEST(Dash, NamespacedElementsAndCommentsAreRead) {
  const auto a = run(R"(<?xml version="1.0"?><!-- c --><m:MPD xmlns:m="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT2S">
<m:Period><!-- <m:AdaptationSet/> --><m:AdaptationSet mimeType="video/mp4" codecs="avc1.42c01e"><m:Representation id="v" bandwidth="1"><m:BaseURL>v.mp4</m:BaseURL></m:Representation></m:AdaptationSet></m:Period></m:MPD>)");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.mpd()->adaptation_sets.size(), 1u);
  EXPECT_TRUE(a.findings().empty());
}

TEST(Dash, Durations) {
  EXPECT_DOUBLE_EQ(*dash::parse_duration("PT1H2M3.5S"), 3723.5);
  EXPECT_DOUBLE_EQ(*dash::parse_duration("P1DT1S"), 86401);
  EXPECT_DOUBLE_EQ(*dash::parse_duration("PT0S"), 0);
  for (const char* bad : {"", "P", "PT", "1S", "PT1.5M", "PTS", "PT1S2M", "P1H"})
    EXPECT_FALSE(dash::parse_duration(bad)) << bad;
}

}  // namespace
}  // namespace mtrace::analyzer
