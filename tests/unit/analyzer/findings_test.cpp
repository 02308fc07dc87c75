// Every finding code of the catalog is raised by its hand-made bad manifest, and well-formed
// manifests raise nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "analyzer/analyze.h"
#include "analyzer/finding_catalog.h"

namespace mtrace::analyzer {
namespace {

const std::filesystem::path kDir = std::filesystem::path(MTRACE_SOURCE_DIR) / "tests/fixtures/analyzer";
constexpr const char* kBase = "https://cdn.example.test/stream/playlist";

std::string read(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> codes_of(const Analysis& a) {
  std::vector<std::string> out;
  for (const auto& f : a.findings()) out.emplace_back(f.code);
  return out;
}

TEST(FindingCatalog, EveryManifestCodeHasAFixtureThatRaisesIt) {
  std::size_t checked = 0;
  for (const auto& kind : codes::kAll) {
    if (kind.code.substr(0, 5) == "live_") continue;  // reload checks: live_test.cpp
    std::filesystem::path file;
    for (const char* ext : {".m3u8", ".mpd"})
      if (auto p = kDir / "findings" / (std::string(kind.code) + ext); std::filesystem::exists(p)) file = p;
    ASSERT_FALSE(file.empty()) << "no fixture for " << kind.code;
    const auto a = analyze(read(file), InputInfo{"text", "", kBase});
    ASSERT_TRUE(a.ok()) << kind.code;
    bool found = false;
    for (const auto& f : a.findings()) {
      if (f.code != kind.code) continue;
      found = true;
      EXPECT_EQ(f.level, kind.level) << kind.code;
      EXPECT_FALSE(f.message.empty());
    }
    EXPECT_TRUE(found) << kind.code << " not raised by " << file.filename() << "; got "
                       << testing::PrintToString(codes_of(a));
    ++checked;
  }
  EXPECT_GE(checked, 85u);
}

TEST(FindingCatalog, CodesAreUniqueAndSnakeCase) {
  std::set<std::string_view> seen;
  for (const auto& kind : codes::kAll) {
    EXPECT_TRUE(seen.insert(kind.code).second) << kind.code;
    for (char c : kind.code) EXPECT_TRUE((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
}

// Well-formed manifests get no warning or error (informational notes are fine).
TEST(FindingCatalog, WellFormedManifestsRaiseNoProblem) {
  for (const char* name : {"good/multivariant.m3u8", "good/vod.m3u8", "good/live.m3u8",
                           "good/low-latency.m3u8", "good/vod.mpd", "good/live.mpd"}) {
    const auto a = analyze(read(kDir / name), InputInfo{"text", "", kBase});
    ASSERT_TRUE(a.ok()) << name;
    for (const auto& f : a.findings())
      EXPECT_EQ(f.level, Level::info) << name << ": " << f.code << " " << f.message;
  }
}

}  // namespace
}  // namespace mtrace::analyzer
