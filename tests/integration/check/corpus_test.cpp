// The real-world corpus (Shaka Player test assets): every manifest and segment is analysed without
// a crash, and a few well-understood files give the findings a streaming engineer expects.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "analyzer/analyze.h"
#include "analyzer/cmaf/report.h"

namespace {

namespace fs = std::filesystem;
using namespace mtrace::analyzer;

const fs::path kCorpus = "/work/shared/corpus/shaka-assets";

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Corpus, EveryFileIsAnalysed) {
  ASSERT_TRUE(fs::exists(kCorpus));
  std::size_t manifests = 0, segments = 0, ok = 0;
  std::set<std::string> broken;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {
    if (!entry.is_regular_file()) continue;
    const auto ext = entry.path().extension().string();
    const auto bytes = read(entry.path());
    if (ext == ".m3u8" || ext == ".mpd") {
      ++manifests;
      const auto a = analyze(bytes, InputInfo{"text", "", "https://storage.example.test/" +
                                                              fs::relative(entry.path(), kCorpus).string()});
      ok += a.ok();
      EXPECT_TRUE(a.ok()) << entry.path() << ": " << (a.error() ? a.error()->message : "");
      EXPECT_LE(a.findings().size(), 20 * kMaxFindingsPerCode);
      boost::system::error_code ec;
      (void)boost::json::parse(a.to_json(), ec);
      EXPECT_FALSE(ec) << entry.path() << ": the result is not valid JSON";
    } else if (ext == ".mp4" || ext == ".m4s") {
      ++segments;
      const std::span<const std::uint8_t> span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      const auto init = cmaf::verify_init(span);
      const auto media = cmaf::verify_media(span);
      for (const auto* v : {&init, &media})
        for (const auto& p : v->problems)
          if (p.code == "invalid_box_structure") broken.insert(fs::relative(entry.path(), kCorpus).string());
    }
  }
  EXPECT_EQ(manifests, 108u);
  EXPECT_EQ(segments, 40u);
  EXPECT_EQ(ok, manifests);
  // One sample is cut short: its mdat claims 120,733 bytes where 119,005 remain (121,479-byte file).
  EXPECT_EQ(broken, std::set<std::string>{"clear-encrypted-hls/audio-enc-s3.mp4"});
}

}  // namespace
