// ISO-BMFF reading and the CMAF header and fragment checks, over hand-built boxes.
#include <gtest/gtest.h>

#include "analyzer/analyze.h"
#include "analyzer/cmaf/boxes.h"

namespace mtrace::analyzer::cmaf {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes box(const char* type, const Bytes& payload) {
  const auto size = static_cast<std::uint32_t>(payload.size() + 8);
  Bytes out = {std::uint8_t(size >> 24), std::uint8_t(size >> 16), std::uint8_t(size >> 8), std::uint8_t(size)};
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes brands(const char* major, std::initializer_list<const char*> compatible) {
  Bytes out(major, major + 4);
  out.insert(out.end(), {0, 0, 0, 0});
  for (const char* b : compatible) out.insert(out.end(), b, b + 4);
  return out;
}

const Bytes kMoov = box("moov", cat({box("mvhd", Bytes(100)), box("trak", Bytes(8)), box("mvex", box("trex", Bytes(24)))}));
const Bytes kMoof = box("moof", cat({box("mfhd", Bytes(8)), box("traf", cat({box("tfhd", Bytes(8)), box("tfdt", Bytes(12)), box("trun", Bytes(12))}))}));

TEST(Cmaf, InitWithCmafBrandPasses) {
  const auto v = verify_init(cat({box("ftyp", brands("cmfc", {"iso6"})), kMoov}));
  EXPECT_TRUE(v.passed()) << (v.problems.empty() ? "" : v.problems[0].message);
  EXPECT_EQ(v.brands[0], "cmfc");
}

TEST(Cmaf, InitWithoutCmafBrandOrMvexFails) {
  const auto v = verify_init(cat({box("ftyp", brands("isom", {"mp42"})), box("moov", box("trak", Bytes(8)))}));
  ASSERT_EQ(v.problems.size(), 2u);
  EXPECT_EQ(v.problems[0].box_path, "ftyp");
  EXPECT_EQ(v.problems[1].box_path, "moov/mvex");
}

TEST(Cmaf, MediaFragmentPassesAndAnchorsChildBoxes) {
  const auto v = verify_media(cat({box("styp", brands("cmfs", {})), kMoof, box("mdat", Bytes(40))}));
  EXPECT_TRUE(v.passed());
  bool tfdt = false;
  for (const auto& b : v.boxes) tfdt |= b.path == "moof/traf/tfdt";
  EXPECT_TRUE(tfdt);
}

TEST(Cmaf, MediaWithoutTfdtFails) {
  const Bytes moof = box("moof", box("traf", box("tfhd", Bytes(8))));
  const auto v = verify_media(cat({moof, box("mdat", Bytes(4))}));
  ASSERT_EQ(v.problems.size(), 1u);
  EXPECT_EQ(v.problems[0].box_path, "moof/traf/tfdt");
}

TEST(Cmaf, BrokenSizesAreReportedNotTrusted) {
  Bytes overrun = box("ftyp", brands("cmfc", {}));
  overrun[3] = 255;  // claims 255 bytes
  auto v = verify_init(overrun);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_EQ(v.problems[0].code, "invalid_box_structure");

  Bytes tiny = {0, 0, 0, 4, 'f', 't', 'y', 'p'};
  EXPECT_EQ(verify_init(tiny).problems[0].code, "invalid_box_structure");
  Bytes unprintable = {0, 0, 0, 8, 0, 1, 2, 3};
  EXPECT_EQ(verify_media(unprintable).problems[0].code, "invalid_box_structure");
  Bytes huge64 = {0, 0, 0, 1, 'm', 'd', 'a', 't', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  EXPECT_EQ(verify_media(huge64).problems[0].code, "invalid_box_structure");
}

TEST(Cmaf, PlanOfAnHlsMediaPlaylist) {
  const auto a = analyze("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n"
                         "#EXTINF:2,\ns0.m4s\n#EXT-X-ENDLIST\n",
                         InputInfo{"text", "", "http://h.example.test/v/i.m3u8"});
  const auto plan = a.cmaf_plan();
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].url, "http://h.example.test/v/init.mp4");
  EXPECT_EQ(plan[1].url, "http://h.example.test/v/s0.m4s");
  EXPECT_EQ(plan[1].anchor, "media:line:6");
  const auto ts = analyze("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\ns0.ts\n#EXT-X-ENDLIST\n",
                          InputInfo{"text", "", "http://h.example.test/v/i.m3u8"});
  EXPECT_TRUE(ts.cmaf_plan().empty());
}

// A media sub-range with its offset is fetched as a range; one whose start nothing gives is not
// fetched whole (it would read another segment's bytes).
TEST(Cmaf, AMediaByteRangeIsFetchedOnlyWithItsOffset) {
  const auto media_target = [](const std::string& byte_range) {
    const auto plan = analyze("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n"
                              "#EXT-X-BYTERANGE:" + byte_range + "\n#EXTINF:2,\nall.m4s\n#EXT-X-ENDLIST\n",
                              InputInfo{"text", "", "http://h.example.test/v/i.m3u8"})
                          .cmaf_plan();
    return plan.at(1);
  };
  const auto ranged = media_target("1000@500");
  EXPECT_TRUE(ranged.skip_code.empty());
  ASSERT_TRUE(ranged.range.has_value());
  EXPECT_EQ(ranged.range->offset, 500u);
  const auto unknown = media_target("1000");
  EXPECT_EQ(unknown.skip_code, "hls_media_byterange_unsupported");
  EXPECT_FALSE(unknown.range.has_value());
}

// Without EXT-X-MAP, the first segment whose path ends in an fMP4 extension (any case, before a
// query or fragment) is the media target; .mp4 counts only for DASH.
TEST(Cmaf, AnHlsPlaylistWithoutMapIsFmp4ByItsSegmentsExtension) {
  const auto first_fmp4 = [](const std::string& uris) {
    std::string text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n";
    for (std::size_t start = 0, end; start < uris.size(); start = end + 1) {
      end = std::min(uris.find(' ', start), uris.size());
      text += "#EXTINF:2,\n" + uris.substr(start, end - start) + "\n";
    }
    const auto plan = analyze(text + "#EXT-X-ENDLIST\n", InputInfo{"text", "", "http://h.example.test/v/i.m3u8"})
                          .cmaf_plan();
    return plan.size() == 2 ? plan[1].uri : std::string("(no plan)");
  };
  EXPECT_EQ(first_fmp4("a.ts b.M4S c.m4s"), "b.M4S");
  EXPECT_EQ(first_fmp4("a.ts b.m4s?x=.ts"), "b.m4s?x=.ts");
  EXPECT_EQ(first_fmp4("a.ts?x=.m4s b.cmfv#t"), "b.cmfv#t");
  EXPECT_EQ(first_fmp4("a.m4s.ts b.CmfA"), "b.CmfA");
  EXPECT_EQ(first_fmp4("a.mp4 b.ts c.cmft"), "c.cmft");
  EXPECT_EQ(first_fmp4("a.ts b.mp4 m4s"), "(no plan)");
}

}  // namespace
}  // namespace mtrace::analyzer::cmaf
