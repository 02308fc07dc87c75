// POST /api/playback-events against a real server: every row of reference/backend.md §1.2 with
// SPEC §3's fixes, answered with its status and the {"error","message"} body.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>

#include "../../support/server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

class IngestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    server_ = new ServerProcess(dir_->path(), {"--rate-limit-capacity", "1000", "--rate-limit-refill", "1"});
  }
  static void TearDownTestSuite() {
    delete server_;
    delete dir_;
  }
  static void expect_error(const HttpResult& result, int status, const std::string& code) {
    ASSERT_EQ(result.status, status) << result.body;
    const auto body = json::parse(result.body).as_object();
    EXPECT_EQ(body.at("error").as_string(), code) << result.body;
    EXPECT_FALSE(body.at("message").as_string().empty());
  }
  static std::string event(const std::string& fields) {
    return R"({"schema_version":"1.0","events":[{)" + fields + "}]}";
  }
  static inline TempDir* dir_ = nullptr;
  static inline ServerProcess* server_ = nullptr;
};

const std::string kValidFields =
    R"("event_name":"playback_started","project_id":"demo","session_id":"s-fields","client_timestamp":"2026-01-01T00:00:00Z","sdk":{"name":"t","version":"1"})";

TEST_F(IngestTest, AcceptsAValidBatchWith202AndItsCount) {
  const auto result = server_->post_events(batch_json("s-accept", 10));
  ASSERT_EQ(result.status, 202) << result.body;
  EXPECT_EQ(json::parse(result.body).at("accepted").as_int64(), 10);
}

TEST_F(IngestTest, RefusesMissingOrUnknownTokensWith401) {
  expect_error(server_->request("POST", "/api/playback-events", {}, batch_json("s", 1)), 401, "unauthorized");
  expect_error(server_->post_events(batch_json("s", 1), {{"X-MTrace-Token", "nope-nope"}}), 401, "unauthorized");
}

TEST_F(IngestTest, RefusesAnUnlistedOriginWith403) {
  expect_error(server_->post_events(batch_json("s", 1), {{"Origin", "https://evil.example"}}), 403,
               "origin_not_allowed");
}

TEST_F(IngestTest, RefusesOversizedBodiesWith413) {
  expect_error(server_->post_events(std::string(300 * 1024, ' ')), 413, "payload_too_large");
  expect_error(server_->post_events(std::string(10 * 1024 * 1024, ' ')), 413, "payload_too_large");
  EXPECT_EQ(server_->post_events(batch_json("s-after-a-huge-body", 1)).status, 202);
}

TEST_F(IngestTest, RefusesMalformedJsonAndWrongTypesWith400) {
  expect_error(server_->post_events("{not json"), 400, "invalid_json");
  expect_error(server_->post_events(R"({"schema_version":"1.0","events":"x"})"), 400, "invalid_json");
  expect_error(server_->post_events(event(R"("event_name":5)")), 400, "invalid_json");
  expect_error(server_->post_events(event(kValidFields + R"(,"sequence_number":1.5)")), 400, "invalid_json");
  expect_error(server_->post_events("[]"), 400, "invalid_json");
  expect_error(server_->post_events(std::string("{\"schema_version\":\"1.0\",\"x\":\"\xff\xfe\"}")), 400,
               "invalid_json");
  std::string deep = R"({"schema_version":"1.0","events":[{"meta":)";
  for (int i = 0; i < 200; ++i) deep += "[";
  expect_error(server_->post_events(deep), 400, "invalid_json");
}

TEST_F(IngestTest, RefusesAnotherSchemaVersionWith400) {
  expect_error(server_->post_events(R"({"schema_version":"2.0","events":[]})"), 400, "unsupported_schema_version");
  expect_error(server_->post_events(R"({"events":[]})"), 400, "unsupported_schema_version");
}

TEST_F(IngestTest, RefusesEmptyAndOversizedBatchesWith422NotWith429) {
  expect_error(server_->post_events(R"({"schema_version":"1.0","events":[]})"), 422, "batch_empty");
  expect_error(server_->post_events(batch_json("s-101", 101)), 422, "batch_too_large");
}

TEST_F(IngestTest, RefusesEventsThatBreakARuleWith422) {
  expect_error(server_->post_events(event(R"("event_name":"playback_started","project_id":"demo")")), 422,
               "invalid_event");
  expect_error(server_->post_events(event(
                   R"("event_name":"Bad Name","project_id":"demo","session_id":"s","client_timestamp":"2026-01-01T00:00:00Z","sdk":{"name":"t","version":"1"})")),
               422, "invalid_event");
  expect_error(server_->post_events(event(
                   R"("event_name":"paused","project_id":"demo","session_id":"s","client_timestamp":"yesterday","sdk":{"name":"t","version":"1"})")),
               422, "invalid_event");
  expect_error(server_->post_events(event(kValidFields + R"(,"sequence_number":-1)")), 422, "invalid_event");
  expect_error(server_->post_events(event(kValidFields + R"(,"meta":{"session_sample_rate":2})")), 422,
               "invalid_event");
  expect_error(server_->post_events(event(kValidFields + R"(,"meta":{"webrtc.ssrc":1})")), 422, "invalid_event");
}

// All or nothing: one bad event refuses the batch, and none of its good events is kept.
TEST_F(IngestTest, KeepsNothingOfABatchWithOneBadEvent) {
  auto batch = batch_json("s-all-or-nothing", 4);
  const auto third = batch.find(R"("sequence_number":3)");
  ASSERT_NE(third, std::string::npos);
  batch.replace(third, 19, R"("sequence_number":-3)");
  expect_error(server_->post_events(batch), 422, "invalid_event");
  EXPECT_EQ(server_->get("/api/stream-sessions/s-all-or-nothing").status, 404);
}

// An event whose client clock is more than 60 s off the server's is kept, with the flag.
TEST_F(IngestTest, KeepsAnEventFromASkewedClockWithTheFlag) {
  const std::string on_time = batch_json("s-skew", 1);
  const std::string skewed = event(
      R"("event_name":"paused","project_id":"demo","session_id":"s-skew","client_timestamp":"2020-01-01T00:00:00Z","sequence_number":2,"sdk":{"name":"t","version":"1"})");
  ASSERT_EQ(server_->post_events(on_time).status, 202);
  ASSERT_EQ(server_->post_events(skewed).status, 202);
  const auto events = json::parse(server_->get("/api/stream-sessions/s-skew").body).at("events").as_array();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[0].as_object().contains("time_skew_warning") && events[0].at("time_skew_warning").as_bool());
  EXPECT_TRUE(events[1].at("time_skew_warning").as_bool());
}

TEST_F(IngestTest, RefusesAnEventOfAnotherProjectWith401) {
  expect_error(server_->post_events(event(
                   R"("event_name":"paused","project_id":"other","session_id":"s","client_timestamp":"2026-01-01T00:00:00Z","sdk":{"name":"t","version":"1"})")),
               401, "project_mismatch");
}

TEST_F(IngestTest, RefusesBadSessionBoundariesWith422) {
  const std::string batch =
      R"({"schema_version":"1.0","events":[{)" + kValidFields +
      R"(}],"session_boundaries":[{"kind":"network_signal_absent","project_id":"demo","session_id":"elsewhere","network_kind":"segment","adapter":"hls.js","reason":"cors_timing_blocked","client_timestamp":"2026-01-01T00:00:00Z"}]})";
  expect_error(server_->post_events(batch), 422, "invalid_boundary");
}

TEST_F(IngestTest, RedactsUrlsInMetaBeforeStoring) {
  const auto batch = event(
      R"("event_name":"segment_loaded","project_id":"demo","session_id":"s-redact","client_timestamp":"2026-01-01T00:00:00Z","sdk":{"name":"t","version":"1"},"meta":{"url":"https://user:pw@cdn.example/live/0123456789abcdef0123456789abcdef/seg.m4s?token=secret"})");
  ASSERT_EQ(server_->post_events(batch).status, 202);
  const auto detail = server_->get("/api/stream-sessions/s-redact");
  ASSERT_EQ(detail.status, 200) << detail.body;
  const auto url = json::parse(detail.body).at("events").at(0).at("meta").at("url").as_string();
  EXPECT_EQ(url, "https://cdn.example/live/:redacted/seg.m4s");
}

TEST_F(IngestTest, FlagsDuplicateSequenceNumbersAndStillCountsThem) {
  ASSERT_EQ(server_->post_events(batch_json("s-dup", 3)).status, 202);
  ASSERT_EQ(server_->post_events(batch_json("s-dup", 2, 2)).status, 202);
  const auto detail = json::parse(server_->get("/api/stream-sessions/s-dup").body);
  EXPECT_EQ(detail.at("session").at("event_count").as_int64(), 5);
  int duplicates = 0;
  for (const auto& item : detail.at("events").as_array()) {
    duplicates += item.at("delivery_status").as_string() == "duplicate_suspected";
  }
  EXPECT_EQ(duplicates, 2);
}

TEST_F(IngestTest, RateLimitsWith429AndRetryAfterOnceTheBucketIsEmpty) {
  TempDir dir;
  ServerProcess limited(dir.path(), {"--rate-limit-capacity", "20", "--rate-limit-refill", "1"});
  ASSERT_EQ(limited.post_events(batch_json("s-rate", 20)).status, 202);
  const auto refused = limited.post_events(batch_json("s-rate", 5, 21));
  expect_error(refused, 429, "rate_limited");
  EXPECT_GE(std::stoi(refused.header("retry-after")), 1);
  const auto metrics = limited.get("/api/metrics", "").body;
  EXPECT_NE(metrics.find("mtrace_rate_limited_events_total 5"), std::string::npos) << metrics;
}

// The client-address bucket is shared by every project a caller posts to. Behind a proxy every
// request comes from the proxy's address, so the address is read from X-Forwarded-For, but only
// when the operator says a proxy sets it: otherwise a client could pick its own bucket.
TEST_F(IngestTest, TakesTheClientAddressFromXForwardedForOnlyWhenTrusted) {
  const auto for_project = [](const std::string& project, const std::string& session) {
    auto body = batch_json(session, 20);
    for (auto at = body.find("\"project_id\":\"demo\""); at != std::string::npos;
         at = body.find("\"project_id\":\"demo\"", at + 1)) {
      body.replace(at, 19, "\"project_id\":\"" + project + "\"");
    }
    return body;
  };
  for (const bool trusted : {false, true}) {
    TempDir dir;
    const auto projects = dir.path() / "projects.json";
    std::ofstream(projects) << R"([{"id":"a","ingest_tokens":["ingest-token-a"],"read_tokens":["read-token-a"]},)"
                               R"({"id":"b","ingest_tokens":["ingest-token-b"],"read_tokens":["read-token-b"]}])";
    std::vector<std::string> args{"--projects", projects.string(), "--rate-limit-capacity", "30",
                                  "--rate-limit-refill", "1"};
    if (trusted) args.push_back("--trust-forwarded-for");
    ServerProcess server(dir.path(), args);
    const auto post = [&](const std::string& project, const std::string& forwarded_for) {
      return server.post_events(for_project(project, "s-" + forwarded_for),
                                {{"X-MTrace-Token", "ingest-token-" + project}, {"X-Forwarded-For", forwarded_for}});
    };
    // 20 events to each project, from two clients behind one proxy (127.0.0.1).
    EXPECT_EQ(post("a", "198.51.100.7, 203.0.113.1").status, 202);
    const auto second_client = post("b", "198.51.100.7, 203.0.113.2");
    if (trusted) {
      EXPECT_EQ(second_client.status, 202) << "each forwarded address has its own bucket";
      // The last entry is the one the proxy added; the same client again shares its bucket.
      expect_error(post("b", "198.51.100.9, 203.0.113.1"), 429, "rate_limited");
    } else {
      expect_error(second_client, 429, "rate_limited");
    }
  }
}

TEST_F(IngestTest, AnswersCorsPreflightsForKnownOriginsOnlyAndNeverWithAStar) {
  TempDir dir;
  const auto projects = dir.path() / "projects.json";
  std::ofstream(projects) << R"([{"id":"demo","ingest_tokens":["demo-token"],"read_tokens":["demo-token"],"allowed_origins":["https://player.example"]}])";
  ServerProcess server(dir.path(), {"--projects", projects.string()});
  const auto allowed = server.request("OPTIONS", "/api/playback-events",
                                      {{"Origin", "https://player.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.header("access-control-allow-origin"), "https://player.example");
  EXPECT_NE(allowed.header("access-control-allow-headers").find("X-MTrace-Token"), std::string::npos);
  const auto refused = server.request("OPTIONS", "/api/playback-events",
                                      {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.header("access-control-allow-origin"), "");
  const auto posted = server.post_events(batch_json("s-cors", 1), {{"Origin", "https://player.example"}});
  EXPECT_EQ(posted.status, 202);
  EXPECT_EQ(posted.header("access-control-allow-origin"), "https://player.example");
  EXPECT_NE(posted.header("access-control-expose-headers").find("Retry-After"), std::string::npos);
  // The SDK is public: any Origin may load it, named once in the answer, never as "*".
  for (const std::string origin : {"https://player.example", "https://elsewhere.example"}) {
    const std::string raw = exchange_raw(
        server.port(), "GET /sdk/mtrace.iife.js HTTP/1.1\r\nHost: x\r\nOrigin: " + origin + "\r\nConnection: close\r\n\r\n",
        std::chrono::seconds(5));
    const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
    EXPECT_EQ(parse_response(raw).status, 200) << origin;
    const auto named = head.find("Access-Control-Allow-Origin: " + origin + "\r\n");
    ASSERT_NE(named, std::string::npos) << head;
    EXPECT_EQ(head.find("Access-Control-Allow-Origin"), named) << head;
    EXPECT_EQ(head.find("Access-Control-Allow-Origin", named + 1), std::string::npos) << head;
  }
}

}  // namespace
}  // namespace mtrace::testing
