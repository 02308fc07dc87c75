// POST /api/analyze against a real server: a manifest as text, linked to a session; the body
// limit, the content type, the private-network guard, and a link without a read token.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "../../support/server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

const std::string kPlaylist =
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXTINF:4.0,\nseg0.ts\n#EXTINF:4.0,\nseg1.ts\n#EXT-X-ENDLIST\n";

class AnalyzeApiTest : public ::testing::Test {
 protected:
  HttpResult analyze(const std::string& body, const std::string& token = "",
                     const std::string& content_type = "application/json") {
    std::map<std::string, std::string> headers{{"Content-Type", content_type}};
    if (!token.empty()) headers["X-MTrace-Token"] = token;
    return server_.request("POST", "/api/analyze", headers, body);
  }
  static std::string text_request(const std::string& extra = "") {
    return R"({"kind":"text","text":)" + json::serialize(json::value(kPlaylist)) + extra + "}";
  }
  static void expect_error(const HttpResult& result, int status, const std::string& code) {
    ASSERT_EQ(result.status, status) << result.body;
    const auto body = json::parse(result.body).as_object();
    EXPECT_EQ(body.at("error").as_string(), code) << result.body;
    EXPECT_EQ(body.at("code").as_string(), code);
    EXPECT_EQ(body.at("status").as_string(), "error");
  }

  TempDir dir_;
  ServerProcess server_{dir_.path()};
};

TEST_F(AnalyzeApiTest, AnalyzesAManifestGivenAsTextAndLinksItToASession) {
  const auto detached = analyze(text_request());
  ASSERT_EQ(detached.status, 200) << detached.body;
  const auto result = json::parse(detached.body);
  EXPECT_EQ(result.at("status").as_string(), "ok");
  EXPECT_EQ(result.at("session_link").at("status").as_string(), "detached");
  EXPECT_TRUE(result.at("analysis").is_object());

  ASSERT_EQ(server_.post_events(batch_json("analyzed", 1)).status, 202);
  const auto linked = analyze(text_request(R"(,"session_id":"analyzed")"), "demo-token");
  ASSERT_EQ(linked.status, 200) << linked.body;
  EXPECT_EQ(json::parse(linked.body).at("session_link").at("status").as_string(), "linked");
  const auto unknown = analyze(text_request(R"(,"session_id":"nobody")"), "demo-token");
  EXPECT_EQ(json::parse(unknown.body).at("session_link").at("status").as_string(), "not_found_detached");
  const auto detail = server_.get("/api/stream-sessions/analyzed");
  ASSERT_EQ(detail.status, 200);
  EXPECT_NE(detail.body.find("\"analyses\""), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find("seg0.ts"), std::string::npos) << "the stored analysis is listed with the session";
}

TEST_F(AnalyzeApiTest, RefusesWhatItCannotTake) {
  expect_error(analyze(text_request(), "", "text/plain"), 415, "unsupported_media_type");
  expect_error(analyze(R"({"kind":"text","text":")" + std::string(2 * 1024 * 1024, 'a') + "\"}"), 413,
               "payload_too_large");
  expect_error(analyze("{not json"), 400, "invalid_json");
  expect_error(analyze(R"({"kind":"url","url":"http://127.0.0.1/live.m3u8"})"), 400, "fetch_blocked");
  expect_error(analyze(text_request(R"(,"session_id":"analyzed")")), 401, "unauthorized");
  expect_error(analyze(R"({"kind":"text","text":"<html>not a playlist</html>"})"), 422, "manifest_not_supported");
}

}  // namespace
}  // namespace mtrace::testing
