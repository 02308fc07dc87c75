#include "adapters/lab/lab_stream.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_support.h"

namespace mtrace::adapters::lab {
namespace {

std::string value_after(const std::vector<std::string>& arguments, const std::string& flag) {
  const auto found = std::find(arguments.begin(), arguments.end(), flag);
  return found != arguments.end() && found + 1 != arguments.end() ? *(found + 1) : std::string{};
}

TEST(LabFfmpegArguments, OneEncodeTeedIntoThreePackagings) {
  const auto arguments = lab_ffmpeg_arguments("/tmp/media", 3);
  EXPECT_EQ(value_after(arguments, "-f"), "lavfi");
  EXPECT_EQ(std::count(arguments.begin(), arguments.end(), "-c:v"), 1);
  const std::string tee = value_after(arguments, "tee");
  ASSERT_FALSE(tee.empty());
  EXPECT_EQ(std::count(tee.begin(), tee.end(), '|'), 2);
  EXPECT_NE(tee.find("]/tmp/media/hls/%v/index.m3u8"), std::string::npos);
  EXPECT_NE(tee.find("hls_segment_type=fmp4"), std::string::npos);
  EXPECT_NE(tee.find("]/tmp/media/hls-ts/%v/index.m3u8"), std::string::npos);
  EXPECT_NE(tee.find("hls_segment_type=mpegts"), std::string::npos);
  EXPECT_NE(tee.find("]/tmp/media/dash/manifest.mpd"), std::string::npos);
  EXPECT_NE(tee.find("media_seg_name=g3-"), std::string::npos);
  EXPECT_EQ(tee.find("g2-"), std::string::npos);
}

TEST(PrepareLabMediaDir, FirstStartEmptiesLaterStartsDropOnlyOldDashGenerations) {
  test::TempDir media;
  media.write("hls/low/seg_00001.m4s", "stale");
  prepare_lab_media_dir(media.path().string(), 0);
  EXPECT_FALSE(std::filesystem::exists(media.path() / "hls/low/seg_00001.m4s"));
  for (const char* folder : {"hls", "hls-ts", "dash"}) EXPECT_TRUE(std::filesystem::is_directory(media.path() / folder));

  media.write("hls/low/seg_00002.m4s", "kept");
  media.write("dash/g1-chunk-0-00001.m4s", "old generation");
  media.write("dash/g2-chunk-0-00001.m4s", "current generation");
  media.write("dash/manifest.mpd", "<MPD/>");
  prepare_lab_media_dir(media.path().string(), 2);
  EXPECT_TRUE(std::filesystem::exists(media.path() / "hls/low/seg_00002.m4s"));
  EXPECT_FALSE(std::filesystem::exists(media.path() / "dash/g1-chunk-0-00001.m4s"));
  EXPECT_TRUE(std::filesystem::exists(media.path() / "dash/g2-chunk-0-00001.m4s"));
  EXPECT_TRUE(std::filesystem::exists(media.path() / "dash/manifest.mpd"));
}

}  // namespace
}  // namespace mtrace::adapters::lab
