// `mtrace check` as a process: FFmpeg-made HLS (TS, fMP4) and DASH from files and over loopback
// HTTP, exit codes, text output, live watch mode against a live FFmpeg stream and a rewritten
// playlist, and the real-world corpus.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <set>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../../unit/fetch/loopback_http_server.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using mtrace::testing::LoopbackHttpServer;

const fs::path kSource = MTRACE_SOURCE_DIR;

std::string binary() {
  if (const char* b = std::getenv("MTRACE_CHECK_BIN")) return b;
  return std::string(MTRACE_BINARY_DIR) + "/mtrace";
}

struct Run {
  int exit_code = -1;
  std::string out;
};

Run run(const std::string& args) {
  Run r;
  FILE* pipe = ::popen((binary() + " check " + args + " 2>/dev/null").c_str(), "r");
  char buffer[65536];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

json::object result_of(const Run& r) { return json::parse(r.out).as_object(); }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Serves files of `root`; 404 for anything else.
std::string serve_file(const fs::path& root, const std::string& head) {
  auto path = LoopbackHttpServer::path_of(head);
  path = path.substr(0, path.find('?'));
  const fs::path file = root / path.substr(1);
  if (path.find("..") != std::string::npos || !fs::is_regular_file(file))
    return LoopbackHttpServer::response(404, "text/plain", "missing");
  const auto ext = file.extension().string();
  const char* type = ext == ".m3u8" ? "application/vnd.apple.mpegurl"
                     : ext == ".mpd" ? "application/dash+xml"
                     : ext == ".ts"  ? "video/mp2t"
                                     : "video/mp4";
  return LoopbackHttpServer::response(200, type, read(file));
}

class CheckCommand : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    media_ = fs::path(MTRACE_BINARY_DIR) / "test-media";
    ASSERT_EQ(std::system((kSource / "scripts/make-test-media").string().append(" ").append(media_.string()).c_str()), 0);
  }
  static fs::path media_;
};
fs::path CheckCommand::media_;

TEST_F(CheckCommand, FfmpegVodFilesAnalyseCleanly) {
  const std::pair<const char*, const char*> cases[] = {
      {"hls-fmp4/master.m3u8", "master"}, {"hls-fmp4/low/index.m3u8", "media"},
      {"hls-ts/master.m3u8", "master"},   {"hls-ts/high/index.m3u8", "media"},
      {"dash/manifest.mpd", "dash"}};
  for (const auto& [file, type] : cases) {
    const auto r = run((media_ / file).string());
    ASSERT_EQ(r.exit_code, 0) << file << r.out;
    const auto o = result_of(r);
    EXPECT_EQ(o.at("status"), "ok") << file;
    EXPECT_EQ(o.at("playlistType"), type) << file;
    for (const auto& f : o.at("findings").as_array())
      EXPECT_NE(f.at("level"), "error") << file << ": " << json::serialize(f);
  }
  const auto media = result_of(run((media_ / "hls-fmp4/low/index.m3u8").string()));
  EXPECT_EQ(media.at("details").at("segments").as_array().size(), 8u);
  // The CMAF check read the real init and first media segment from disk.
  const auto& checks = media.at("details").at("cmaf").at("binary").at("segmentsChecked").as_array();
  ASSERT_EQ(checks.size(), 2u);
  for (const auto& c : checks) EXPECT_GT(c.at("bytesRead").as_int64(), 100) << json::serialize(c);
  const auto ts = result_of(run((media_ / "hls-ts/high/index.m3u8").string()));
  EXPECT_FALSE(ts.at("details").as_object().contains("cmaf"));
}

TEST_F(CheckCommand, ExitCodesAndTextFormat) {
  const std::string fmp4 = (media_ / "hls-fmp4/low/index.m3u8").string();
  EXPECT_EQ(run(fmp4 + " --fail-on info").exit_code, 3);  // media_init_segment_present is info
  EXPECT_EQ(run(fmp4 + " --fail-on error").exit_code, 0);
  const auto text = run(fmp4 + " --format text");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("HLS media playlist"), std::string::npos);
  EXPECT_NE(text.out.find("info (1)"), std::string::npos);
  EXPECT_EQ(text.out.find("\x1b["), std::string::npos);  // no colour when not on a terminal
  const auto missing = run("/nonexistent/x.m3u8");
  EXPECT_EQ(missing.exit_code, 1);
  const auto blocked = run("http://10.0.0.1/x.m3u8");
  EXPECT_EQ(blocked.exit_code, 1);
  EXPECT_EQ(result_of(blocked).at("code"), "fetch_blocked");
  const auto html = fs::path(MTRACE_BINARY_DIR) / "check-not-a-manifest.html";
  std::ofstream(html) << "<html><body>no</body></html>";
  EXPECT_EQ(result_of(run(html.string())).at("code"), "manifest_not_supported");
}

TEST_F(CheckCommand, UrlsOverLoopbackNeedAllowPrivate) {
  LoopbackHttpServer server([](const std::string& head) { return serve_file(media_, head); });
  const auto url = server.url("/hls-fmp4/low/index.m3u8");
  EXPECT_EQ(result_of(run(url)).at("code"), "fetch_blocked");
  const auto r = run(url + " --allow-private");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto o = result_of(r);
  EXPECT_EQ(o.at("input").at("baseUrl").as_string(), url);
  const auto& binary = o.at("details").at("cmaf").at("binary").as_object();
  EXPECT_EQ(binary.at("segmentsChecked").as_array()[1].at("resolvedUrl").as_string(),
            server.url("/hls-fmp4/low/seg_000.m4s"));
  const auto dash = result_of(run(server.url("/dash/manifest.mpd") + " --allow-private"));
  EXPECT_EQ(dash.at("playlistType"), "dash");
}

TEST_F(CheckCommand, WatchFollowsALiveFfmpegStream) {
  const fs::path dir = fs::path(MTRACE_BINARY_DIR) / "check-live";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string ffmpeg =
      "ffmpeg -nostdin -hide_banner -loglevel error -re -f lavfi -i testsrc2=size=160x90:rate=25 "
      "-t 30 -c:v libx264 -preset ultrafast -g 25 -keyint_min 25 -sc_threshold 0 -f hls -hls_time 1 "
      "-hls_list_size 4 -hls_flags delete_segments " + (dir / "live.m3u8").string() + " & echo $!";
  FILE* p = ::popen(ffmpeg.c_str(), "r");
  char pid_text[32] = {};
  ASSERT_TRUE(std::fgets(pid_text, sizeof pid_text, p));
  ::pclose(p);
  const int pid = std::atoi(pid_text);
  for (int i = 0; i < 100 && !fs::exists(dir / "live.m3u8"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  LoopbackHttpServer server([&](const std::string& head) { return serve_file(dir, head); });
  const auto r = run(server.url("/live.m3u8") + " --allow-private --watch --watch-seconds 6");
  ::kill(pid, SIGTERM);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto o = result_of(r);
  const auto& watch = o.at("watch").as_object();
  EXPECT_GE(watch.at("reloads").as_int64(), 4);
  EXPECT_GE(watch.at("newSegments").as_int64(), 3);
  EXPECT_GE(watch.at("segmentsProbed").as_int64(), 3);
  for (const auto& f : o.at("findings").as_array())
    EXPECT_NE(f.at("code").as_string().subview().substr(0, 5), "live_") << json::serialize(f);
}

TEST_F(CheckCommand, WatchReportsABrokenLivePlaylist) {
  const fs::path file = fs::path(MTRACE_BINARY_DIR) / "check-broken-live.m3u8";
  const auto playlist = [&](int sequence, const char* first) {
    std::ofstream(file) << "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:" << sequence
                        << "\n#EXTINF:1.0,\n" << first << "\n#EXTINF:1.0,\nb.ts\n#EXTINF:1.0,\nc.ts\n#EXTINF:1.0,\nd.ts\n";
  };
  playlist(20, "a.ts");
  std::thread rewrite([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    playlist(10, "a.ts");  // the media sequence goes back
  });
  const auto r = run(file.string() + " --watch --watch-seconds 4");
  rewrite.join();
  std::set<std::string> codes;
  const auto o = result_of(r);
  for (const auto& f : o.at("findings").as_array()) codes.insert(std::string(f.at("code").as_string()));
  EXPECT_TRUE(codes.count("live_media_sequence_regressed")) << r.out;
  EXPECT_TRUE(codes.count("live_playlist_stale")) << r.out;  // no new segment for 1.5 target durations
  EXPECT_TRUE(codes.count("live_segment_unavailable")) << r.out;  // a.ts ... do not exist next to it
}

}  // namespace
