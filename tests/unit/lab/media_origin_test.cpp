#include "adapters/lab/media_origin.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace mtrace::adapters::lab {
namespace {

using test::CapturedExchange;
using test::header_of;
using namespace std::chrono_literals;

class MediaOriginTest : public ::testing::Test {
 protected:
  MediaOriginTest() : origin_(media_.path().string()) {
    media_.write("hls/master.m3u8", "#EXTM3U\n");
    media_.write("hls/low/seg_00001.m4s", "fmp4-bytes");
    media_.write("hls/low/init.mp4", "init-bytes");
    media_.write("hls-ts/low/seg_00001.ts", "ts-bytes");
    media_.write("dash/manifest.mpd", "<MPD/>");
    media_.write("secret.txt", "not media");
  }

  http::Response request(std::string method, std::string path, std::string body = {},
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    CapturedExchange captured;
    origin_.handle(request, captured.exchange());
    EXPECT_EQ(captured.future.wait_for(5s), std::future_status::ready);
    return captured.future.get();
  }

  // Asks for `path` and returns the answer to come: a delayed one arrives after handle() returned.
  std::future<http::Response> get_later(std::string path) {
    http::Request request;
    request.method = "GET";
    request.path = std::move(path);
    CapturedExchange captured;
    origin_.handle(request, captured.exchange());
    return std::move(captured.future);
  }

  test::TempDir media_;
  LabMediaOrigin origin_;
};

TEST_F(MediaOriginTest, ServesEachMediaTypeWithItsContentTypeAndCaching) {
  struct Case {
    const char* path;
    const char* type;
    const char* body;
    bool manifest;
  };
  const Case cases[] = {
      {"/lab/hls/master.m3u8", "application/vnd.apple.mpegurl", "#EXTM3U\n", true},
      {"/lab/dash/manifest.mpd", "application/dash+xml", "<MPD/>", true},
      {"/lab/hls/low/seg_00001.m4s", "video/iso.segment", "fmp4-bytes", false},
      {"/lab/hls/low/init.mp4", "video/mp4", "init-bytes", false},
      {"/lab/hls-ts/low/seg_00001.ts", "video/mp2t", "ts-bytes", false},
  };
  for (const auto& expected : cases) {
    const auto response = request("GET", expected.path);
    EXPECT_EQ(response.status, 200) << expected.path;
    EXPECT_EQ(response.content_type, expected.type) << expected.path;
    EXPECT_EQ(response.body, expected.body) << expected.path;
    EXPECT_TRUE(response.readable_by_any_origin) << expected.path;
    const auto cache = header_of(response, "Cache-Control");
    if (expected.manifest) {
      EXPECT_EQ(cache, "no-cache") << expected.path;
    } else {
      EXPECT_NE(cache.find("max-age="), std::string::npos) << expected.path;
    }
  }
}

TEST_F(MediaOriginTest, TimeIsAnUncachedUtcTimestamp) {
  const auto response = request("GET", "/lab/time");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(header_of(response, "Cache-Control"), "no-store");
  ASSERT_EQ(response.body.size(), 24u) << response.body;  // 2026-11-24T21:50:12.059Z
  EXPECT_EQ(response.body[10], 'T');
  EXPECT_EQ(response.body[19], '.');
  EXPECT_EQ(response.body.back(), 'Z');
}

TEST_F(MediaOriginTest, HeadAnswersWithoutABody) {
  const auto response = request("HEAD", "/lab/hls/master.m3u8");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/vnd.apple.mpegurl");
  EXPECT_TRUE(response.body.empty());
}

TEST_F(MediaOriginTest, RefusesTraversalOddNamesAndNonMediaFiles) {
  for (const char* path : {"/lab/../secret.txt", "/lab/hls/../../secret.txt", "/lab/secret.txt", "/lab/hls//master.m3u8",
                           "/lab/hls/%2e%2e/master.m3u8", "/lab/.hidden.m3u8", "/lab/hls/master.m3u8\\", "/lab/",
                           "/lab/hls/missing.m3u8", "/lab/hls/./master.m3u8"}) {
    const auto response = request("GET", path);
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_EQ(response.body.find("not media"), std::string::npos) << path;
  }
  EXPECT_EQ(request("GET", std::string("/lab/hls/master.m3u8\0x", 23)).status, 404);
}

TEST_F(MediaOriginTest, RefusesWritesToMedia) {
  const auto response = request("PUT", "/lab/hls/master.m3u8", "x");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(request("GET", "/lab/hls/master.m3u8").body, "#EXTM3U\n");
}

TEST_F(MediaOriginTest, FailureRuleAnswersItsStatusForItsCountOnly) {
  const auto created = request("POST", "/lab/faults", R"({"segment_pattern":"/hls/low/seg_*.m4s","status":503,"count":1})");
  EXPECT_EQ(created.status, 201);
  EXPECT_NE(created.body.find("seg_*.m4s"), std::string::npos);

  EXPECT_EQ(request("GET", "/lab/hls/master.m3u8").status, 200);  // not matched
  const auto failed = request("GET", "/lab/hls/low/seg_00001.m4s");
  EXPECT_EQ(failed.status, 503);
  EXPECT_NE(failed.body.find("lab_fault"), std::string::npos);
  EXPECT_EQ(request("GET", "/lab/hls/low/seg_00001.m4s").status, 200);
}

TEST_F(MediaOriginTest, DeleteClearsTheRules) {
  ASSERT_EQ(request("POST", "/lab/faults", R"({"segment_pattern":"*.ts","status":500})").status, 201);
  EXPECT_EQ(request("DELETE", "/lab/faults").status, 204);
  EXPECT_EQ(request("GET", "/lab/faults").body, R"({"rules":[]})");
  EXPECT_EQ(request("GET", "/lab/hls-ts/low/seg_00001.ts").status, 200);
}

TEST_F(MediaOriginTest, BadRulesAreRefusedWithAClearError) {
  const auto response = request("POST", "/lab/faults", R"({"segment_pattern":"*","delay_ms":"soon"})");
  EXPECT_EQ(response.status, 400);
  EXPECT_NE(response.body.find("invalid_fault_rule"), std::string::npos);
  EXPECT_NE(response.body.find("delay_ms"), std::string::npos);
  EXPECT_EQ(request("PATCH", "/lab/faults").status, 405);
}

TEST_F(MediaOriginTest, DelayedAnswerComesLaterWithoutHoldingTheCaller) {
  ASSERT_EQ(request("POST", "/lab/faults", R"({"segment_pattern":"*.mpd","delay_ms":300,"count":1})").status, 201);
  const auto before = std::chrono::steady_clock::now();
  auto answer = get_later("/lab/dash/manifest.mpd");
  // handle() returned without an answer: the timer thread answers later.
  EXPECT_EQ(answer.wait_for(0ms), std::future_status::timeout);
  ASSERT_EQ(answer.wait_for(5s), std::future_status::ready);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 300ms);
  EXPECT_EQ(answer.get().body, "<MPD/>");
}

// FFmpeg deletes a segment soon after it leaves the playlist: a delayed answer still holds it.
TEST_F(MediaOriginTest, ADelayedAnswerHoldsTheFileAsItWasWhenAsked) {
  ASSERT_EQ(request("POST", "/lab/faults", R"({"segment_pattern":"*.m4s","delay_ms":300,"count":1})").status, 201);
  auto later = get_later("/lab/hls/low/seg_00001.m4s");
  std::filesystem::remove(media_.path() / "hls/low/seg_00001.m4s");
  ASSERT_EQ(later.wait_for(5s), std::future_status::ready);
  const auto answer = later.get();
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.body, "fmp4-bytes");
}

// Another site's page cannot add or clear rules; the lab's own pages and curl (no Origin) can.
TEST_F(MediaOriginTest, RulesChangeOnlyFromTheLabsOwnOrigin) {
  const std::string rule = R"({"segment_pattern":"*.ts","status":500})";
  const auto foreign = request("POST", "/lab/faults", rule, {{"origin", "https://evil.example"}, {"host", "localhost:8080"}});
  EXPECT_EQ(foreign.status, 403);
  EXPECT_EQ(request("DELETE", "/lab/faults", "", {{"origin", "https://evil.example"}, {"host", "localhost:8080"}}).status, 403);
  EXPECT_EQ(request("GET", "/lab/faults").body, R"({"rules":[]})");
  EXPECT_EQ(request("POST", "/lab/faults", rule, {{"origin", "http://localhost:8080"}, {"host", "localhost:8080"}}).status, 201);
  EXPECT_EQ(request("DELETE", "/lab/faults").status, 204);
}

TEST_F(MediaOriginTest, ReleaseDelayedAnswersPendingRequestsAtOnce) {
  ASSERT_EQ(request("POST", "/lab/faults", R"({"segment_pattern":"*.mpd","delay_ms":60000})").status, 201);
  auto answer = get_later("/lab/dash/manifest.mpd");
  EXPECT_EQ(answer.wait_for(0ms), std::future_status::timeout);
  origin_.release_delayed();
  ASSERT_EQ(answer.wait_for(0ms), std::future_status::ready);
  EXPECT_EQ(answer.get().status, 200);
}

}  // namespace
}  // namespace mtrace::adapters::lab
