// POST /api/analyze: order of checks, error bodies, session links and stored results, over
// in-test fakes of the ports.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <map>

#include "../../support/manual_clock.h"
#include "adapters/prometheus/prometheus_metrics.h"
#include "app/analyze_manifest.h"

namespace mtrace::app {
namespace {

namespace json = boost::json;
using domain::Result;
using domain::Status;

class FakeFetcher final : public ports::Fetcher {
 public:
  std::map<std::string, ports::FetchResult> answers;
  std::vector<ports::FetchRequest> requests;
  ports::FetchResult fetch(const ports::FetchRequest& request) override {
    requests.push_back(request);
    if (auto it = answers.find(request.url); it != answers.end()) return it->second;
    ports::FetchError e;
    e.kind = ports::FetchError::Kind::failed;
    e.reason = "http_status";
    e.message = "HTTP status 404 is not a success.";
    e.status = 404;
    return e;
  }
};

class FakeStore final : public ports::EventStore {
 public:
  std::vector<domain::Session> sessions;
  std::vector<ports::StoredAnalysis> saved;
  void append_shared(std::shared_ptr<const ports::AppendBatch>, ports::AppendDone) override {}
  void save_sessions(std::vector<domain::Session>, ports::AppendDone) override {}
  Result<ports::SessionPage> list_sessions(const ports::SessionListQuery&) override { return ports::SessionPage{}; }
  Result<std::optional<domain::Session>> find_session(const std::string& project, const std::string& id) override {
    for (const auto& s : sessions)
      if (s.project_id == project && s.session_id == id) return std::optional(s);
    return std::optional<domain::Session>();
  }
  Result<ports::EventPage> list_events(const ports::EventListQuery&) override { return ports::EventPage{}; }
  Result<ports::EventSearchPage> search_events(const ports::EventSearchQuery&) override { return ports::EventSearchPage{}; }
  Result<std::vector<domain::PlaybackEvent>> events_after(const std::string&, std::int64_t, std::size_t) override {
    return std::vector<domain::PlaybackEvent>{};
  }
  void erase_session(const std::string&, const std::string&, ports::EraseDone done) override { done(false); }
  Result<ports::PruneResult> prune_before(domain::Micros) override { return ports::PruneResult{}; }
  Result<std::vector<domain::Session>> load_open_sessions() override { return std::vector<domain::Session>{}; }
  Result<std::int64_t> max_ingest_sequence() override { return std::int64_t{0}; }
  Result<std::vector<domain::PlaybackEvent>> session_events(const std::string&, const std::string&) override {
    return std::vector<domain::PlaybackEvent>{};
  }
  Result<std::optional<domain::Session>> find_session_by_correlation(const std::string& project,
                                                                      const std::string& correlation) override {
    for (const auto& s : sessions)
      if (s.project_id == project && s.correlation_id == correlation) return std::optional(s);
    return std::optional<domain::Session>();
  }
  Result<std::vector<domain::Session>> sessions_started_between(const std::optional<std::string>&, domain::Micros,
                                                                 domain::Micros, std::size_t) override {
    return std::vector<domain::Session>{};
  }
  Status save_analysis(const ports::StoredAnalysis& analysis) override {
    saved.push_back(analysis);
    return domain::Ok{};
  }
  Result<std::vector<ports::StoredAnalysis>> list_analyses(const std::string&, const std::string&) override {
    return saved;
  }
  Status ping() override { return domain::Ok{}; }
  void drain() override {}
};

const char* kMaster =
    "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1280000,CODECS=\"avc1.4d401f\"\nv.m3u8\n";

class AnalyzeManifestTest : public ::testing::Test {
 protected:
  AnalyzeManifestTest() {
    domain::Session s;
    s.project_id = "demo";
    s.session_id = "sess-1";
    s.correlation_id = "corr-1";
    store.sessions.push_back(s);
  }
  AnalyzeReply call(std::string body, std::optional<std::string> project = std::nullopt,
                    std::string_view type = "application/json; charset=utf-8") {
    return use_case.analyze(AnalyzeCall{type, body, false, project, project.has_value()});
  }
  static json::object body(const AnalyzeReply& reply) { return json::parse(reply.json_body).as_object(); }

  FakeFetcher fetcher;
  FakeStore store;
  adapters::PrometheusMetrics metrics;
  // The value of mtrace_analyze_requests_total for one label set (0 when absent).
  double analyzed(const std::string& outcome, const std::string& code) {
    const std::string key = "mtrace_analyze_requests_total{code=\"" + code + "\",outcome=\"" + outcome + "\"} ";
    const auto text = metrics.scrape();
    const auto at = text.find(key);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
  }
  mtrace::testing::ManualClock clock{1'777'000'000'000'000};
  AnalyzeManifest use_case{fetcher, store, metrics, clock};
};

TEST_F(AnalyzeManifestTest, RequestErrorsInTheReferenceOrder) {
  EXPECT_EQ(call("{}", std::nullopt, "text/plain").status, 415);
  EXPECT_EQ(call(std::string(AnalyzeManifest::kMaxBodyBytes + 1, ' ')).status, 413);
  // A body the server cut at the limit, and a request that found no free slot, are counted too.
  EXPECT_EQ(use_case.analyze(AnalyzeCall{"application/json", "{", true, std::nullopt, false}).status, 413);
  EXPECT_EQ(analyzed("error", "payload_too_large"), 2);
  EXPECT_EQ(use_case.refuse_busy().status, 503);
  EXPECT_EQ(analyzed("error", "analyzer_busy"), 1);
  EXPECT_EQ(body(call("[1]")).at("error"), "invalid_json");
  EXPECT_EQ(body(call("{")).at("error"), "invalid_json");
  EXPECT_EQ(body(call(R"({"kind":"text","text":"x","cmaf":{}})")).at("code"), "invalid_request");
  EXPECT_EQ(body(call(R"({"kind":"text","text":5})")).at("error"), "invalid_json");
  EXPECT_EQ(body(call("null")).at("error"), "invalid_request");
  EXPECT_EQ(body(call(R"({"kind":"url","url":""})")).at("error"), "invalid_request");
  EXPECT_EQ(call(R"({"kind":"text","text":"x","session_id":"sess-1"})").status, 401);
  EXPECT_EQ(body(call(R"({"kind":"text","text":"   "})")).at("error"), "invalid_request");
  const auto e = body(call("{}"));
  EXPECT_EQ(e.at("status"), "error");
  EXPECT_EQ(e.at("code"), e.at("error"));
  EXPECT_TRUE(e.at("message").is_string());
  EXPECT_TRUE(fetcher.requests.empty());
}

TEST_F(AnalyzeManifestTest, AnalyzerErrorsMapToStatuses) {
  EXPECT_EQ(call(R"({"kind":"text","text":"<html/>"})").status, 422);
  EXPECT_EQ(call(R"({"kind":"url","url":"ftp://x.example.test/a"})").status, 400);
  ports::FetchError blocked;
  blocked.kind = ports::FetchError::Kind::blocked;
  blocked.reason = "ip_blocked";
  blocked.message = "blocked";
  blocked.address = "10.0.0.5";
  blocked.family = 4;
  blocked.hop = 0;
  fetcher.answers["http://internal.example.test/m.m3u8"] = blocked;
  const auto reply = call(R"({"kind":"url","url":"http://internal.example.test/m.m3u8"})");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(body(reply).at("details").at("address"), "10.0.0.5");
  EXPECT_EQ(call(R"({"kind":"url","url":"http://missing.example.test/m.m3u8"})").status, 502);
  EXPECT_FALSE(fetcher.requests.back().policy.allow_private_networks);
  EXPECT_EQ(analyzed("error", "fetch_failed"), 1);
}

TEST_F(AnalyzeManifestTest, SuccessWithoutLinkIsDetachedAndNotStored) {
  const auto reply = call(json::serialize(json::object{{"kind", "text"}, {"text", kMaster}}));
  ASSERT_EQ(reply.status, 200) << reply.json_body;
  const auto o = body(reply);
  EXPECT_EQ(o.at("status"), "ok");
  EXPECT_EQ(o.at("analysis").at("playlistType"), "master");
  EXPECT_FALSE(o.at("analysis").as_object().contains("status"));
  EXPECT_EQ(o.at("session_link").at("status"), "detached");
  EXPECT_TRUE(store.saved.empty());
  EXPECT_EQ(analyzed("ok", "ok"), 1);
}

TEST_F(AnalyzeManifestTest, SessionLinkMatrix) {
  const auto link = [&](json::object extra) {
    json::object request{{"kind", "text"}, {"text", kMaster}};
    for (auto& [k, v] : extra) request[k] = v;
    return body(call(json::serialize(request), "demo")).at("session_link").as_object();
  };
  auto linked = link({{"correlation_id", "corr-1"}});
  EXPECT_EQ(linked.at("status"), "linked");
  EXPECT_EQ(linked.at("session_id"), "sess-1");
  ASSERT_EQ(store.saved.size(), 1u);
  EXPECT_EQ(store.saved[0].session_id, "sess-1");
  EXPECT_EQ(store.saved[0].created_at, clock.now());
  EXPECT_EQ(json::parse(store.saved[0].result_json).at("playlistType"), "master");
  EXPECT_EQ(link({{"session_id", "sess-1"}}).at("correlation_id"), "corr-1");
  EXPECT_EQ(link({{"correlation_id", "corr-1"}, {"session_id", "other"}}).at("status"), "conflict_detached");
  EXPECT_EQ(link({{"correlation_id", "nope"}, {"session_id", "sess-1"}}).at("status"), "not_found_detached");
  EXPECT_EQ(link({{"session_id", "nope"}}).at("status"), "not_found_detached");
  EXPECT_FALSE(link({{"session_id", "nope"}}).contains("session_id"));
  EXPECT_EQ(store.saved.size(), 2u);
  // Another project's token does not reach the session.
  const auto reply = call(json::serialize(json::object{{"kind", "text"}, {"text", kMaster}, {"session_id", "sess-1"}}), "other");
  EXPECT_EQ(body(reply).at("session_link").at("status"), "not_found_detached");
}

TEST_F(AnalyzeManifestTest, BinaryCheckFetchesTheFirstSegmentsThroughThePort) {
  const std::string playlist =
      "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2,\ns0.m4s\n#EXT-X-ENDLIST\n";
  const auto reply = call(json::serialize(json::object{{"kind", "text"}, {"text", playlist},
                                                       {"baseUrl", "https://cdn.example.test/v/index.m3u8"}}));
  ASSERT_EQ(reply.status, 200);
  ASSERT_EQ(fetcher.requests.size(), 2u);
  EXPECT_EQ(fetcher.requests[0].url, "https://cdn.example.test/v/init.mp4");
  const auto binary = body(reply).at("analysis").at("details").at("cmaf").at("binary");
  EXPECT_EQ(binary.at("status"), "skipped");
  EXPECT_EQ(binary.at("segmentsChecked").as_array()[0].at("failureCode"), "segment_fetch_failed");
}

}  // namespace
}  // namespace mtrace::app
