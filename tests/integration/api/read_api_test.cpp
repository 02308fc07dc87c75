// The read side against a real server: sessions list and detail with cursors, deletion, metrics,
// health, and the live stream with Last-Event-ID backfill.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>
#include <poll.h>

#include <boost/json/parse.hpp>
#include <atomic>
#include <fstream>
#include <thread>

#include "../../support/server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

class ReadApiTest : public ::testing::Test {
 protected:
  TempDir dir_;
  ServerProcess server_{dir_.path(), {"--rate-limit-capacity", "100000", "--rate-limit-refill", "100000"}};
};

TEST_F(ReadApiTest, ListsSessionsNewestFirstAndPagesWithAnOpaqueCursor) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(server_.post_events(batch_json("page-" + std::to_string(i), 2)).status, 202);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto first = server_.get("/api/stream-sessions?limit=3");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto page = json::parse(first.body);
  ASSERT_EQ(page.at("sessions").as_array().size(), 3u);
  EXPECT_EQ(page.at("sessions").at(0).at("session_id").as_string(), "page-4");
  EXPECT_EQ(page.at("sessions").at(0).at("state").as_string(), "active");
  EXPECT_EQ(page.at("sessions").at(0).at("event_count").as_int64(), 2);
  const std::string cursor(page.at("next_cursor").as_string());
  const auto second = json::parse(server_.get("/api/stream-sessions?limit=3&cursor=" + cursor).body);
  ASSERT_EQ(second.at("sessions").as_array().size(), 2u);
  EXPECT_EQ(second.at("sessions").at(1).at("session_id").as_string(), "page-0");
  EXPECT_FALSE(second.as_object().contains("next_cursor"));
}

TEST_F(ReadApiTest, RefusesBadLimitsCursorsAndTokens) {
  EXPECT_EQ(server_.get("/api/stream-sessions?limit=-1").status, 400);
  EXPECT_EQ(server_.get("/api/stream-sessions?limit=abc").status, 400);
  const auto malformed = server_.get("/api/stream-sessions?cursor=not-a-cursor");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(json::parse(malformed.body).at("error").as_string(), "cursor_invalid_malformed");
  EXPECT_EQ(server_.get("/api/stream-sessions", "").status, 401);
  EXPECT_EQ(server_.get("/api/stream-sessions", "wrong-token").status, 401);
  EXPECT_EQ(server_.get("/api/stream-sessions/unknown-session").status, 404);
}

// Pages hold 100 by default; a larger limit is cut to 1,000 rather than refused.
TEST_F(ReadApiTest, PagesHoldOneHundredByDefaultAndAThousandAtMost) {
  for (int batch = 0; batch < 10; ++batch) {
    ASSERT_EQ(server_.post_events(batch_json("long", 100, 1 + batch * 100)).status, 202);
  }
  ASSERT_EQ(server_.post_events(batch_json("long", 5, 1001)).status, 202);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(server_.post_events(batch_json("many-" + std::to_string(i), 1)).status, 202);

  const auto size_and_cursor = [&](const std::string& target, const char* list, const char* cursor) {
    const auto page = json::parse(server_.get(target).body).as_object();
    return std::pair(page.at(list).as_array().size(),
                     page.contains(cursor) ? std::string(page.at(cursor).as_string()) : std::string());
  };
  auto [events, events_cursor] = size_and_cursor("/api/stream-sessions/long", "events", "next_cursor");
  EXPECT_EQ(events, 100u);
  std::tie(events, events_cursor) =
      size_and_cursor("/api/stream-sessions/long?events_limit=5000", "events", "next_cursor");
  EXPECT_EQ(events, 1000u);
  ASSERT_FALSE(events_cursor.empty());
  std::tie(events, events_cursor) = size_and_cursor(
      "/api/stream-sessions/long?events_limit=5000&events_cursor=" + events_cursor, "events", "next_cursor");
  EXPECT_EQ(events, 5u);
  EXPECT_TRUE(events_cursor.empty());

  auto [sessions, sessions_cursor] = size_and_cursor("/api/stream-sessions", "sessions", "next_cursor");
  EXPECT_EQ(sessions, 100u);
  std::tie(sessions, sessions_cursor) = size_and_cursor("/api/stream-sessions?limit=5000", "sessions", "next_cursor");
  EXPECT_EQ(sessions, 1000u);
  ASSERT_FALSE(sessions_cursor.empty());
  std::tie(sessions, sessions_cursor) =
      size_and_cursor("/api/stream-sessions?limit=5000&cursor=" + sessions_cursor, "sessions", "next_cursor");
  EXPECT_EQ(sessions, 1u);
  EXPECT_TRUE(sessions_cursor.empty());
}

// Only ingest and analyze read a body: on any other route one over 16 KiB is refused, and the
// request changes nothing.
TEST_F(ReadApiTest, RefusesALargeBodyOnARouteThatReadsNone) {
  ASSERT_EQ(server_.post_events(batch_json("kept", 1)).status, 202);
  const std::string body(20 * 1024, 'x');
  const auto erase = server_.request("DELETE", "/api/stream-sessions/kept", {{"X-MTrace-Token", "demo-token"}}, body);
  EXPECT_EQ(erase.status, 413) << erase.body;
  EXPECT_EQ(json::parse(erase.body).at("error").as_string(), "payload_too_large");
  EXPECT_EQ(server_.get("/api/stream-sessions/kept").status, 200) << "the session was erased all the same";
  EXPECT_EQ(server_.request("GET", "/api/health", {}, body).status, 413);
  EXPECT_EQ(server_.request("GET", "/", {}, body).status, 413);
  EXPECT_EQ(server_.request("GET", "/api/health", {}, std::string(1024, 'x')).status, 200);
}

TEST_F(ReadApiTest, ShowsOneSessionWithItsEventsInOrderAndPagesThem) {
  ASSERT_EQ(server_.post_events(batch_json("detail", 5)).status, 202);
  ASSERT_EQ(server_.post_events(batch_json("detail", 5, 6)).status, 202);
  const auto first = json::parse(server_.get("/api/stream-sessions/detail?events_limit=4").body);
  EXPECT_EQ(first.at("session").at("event_count").as_int64(), 10);
  EXPECT_EQ(first.at("session").at("correlation_id").as_string().size(), 36u);
  ASSERT_EQ(first.at("events").as_array().size(), 4u);
  std::vector<std::int64_t> sequences;
  std::string cursor(first.at("next_cursor").as_string());
  for (const auto& item : first.at("events").as_array()) sequences.push_back(item.at("sequence_number").as_int64());
  while (!cursor.empty()) {
    const auto page = json::parse(server_.get("/api/stream-sessions/detail?events_limit=4&events_cursor=" + cursor).body);
    for (const auto& item : page.at("events").as_array()) sequences.push_back(item.at("sequence_number").as_int64());
    cursor = page.as_object().contains("next_cursor") ? std::string(page.at("next_cursor").as_string()) : "";
  }
  ASSERT_EQ(sequences.size(), 10u);
  for (std::size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], static_cast<std::int64_t>(i + 1));
}

TEST_F(ReadApiTest, EndsASessionOnSessionEndedAndKeepsLaterEventsFlagged) {
  ASSERT_EQ(server_.post_events(batch_json("ending", 1, 1, "session_ended")).status, 202);
  ASSERT_EQ(server_.post_events(batch_json("ending", 1, 2, "paused")).status, 202);
  const auto detail = json::parse(server_.get("/api/stream-sessions/ending").body);
  EXPECT_EQ(detail.at("session").at("state").as_string(), "ended");
  EXPECT_EQ(detail.at("session").at("end_source").as_string(), "client");
  EXPECT_TRUE(detail.at("events").at(1).at("after_session_end").as_bool());
}

TEST_F(ReadApiTest, DeletesASessionAndItsEvents) {
  ASSERT_EQ(server_.post_events(batch_json("erase-me", 3)).status, 202);
  EXPECT_EQ(server_.request("DELETE", "/api/stream-sessions/erase-me", {{"X-MTrace-Token", "demo-token"}}).status, 204);
  EXPECT_EQ(server_.get("/api/stream-sessions/erase-me").status, 404);
  EXPECT_EQ(server_.request("DELETE", "/api/stream-sessions/erase-me", {{"X-MTrace-Token", "demo-token"}}).status, 404);
}

// Erasing a session while its player still sends: what the store holds afterwards is a session
// that began after an erase, whose event_count is the number of its stored events.
TEST_F(ReadApiTest, AnEraseDuringIngestLeavesNoCountOfErasedEvents) {
  constexpr int kSenders = 3, kEvents = 4, kMaxBatches = 3000;
  std::atomic<bool> erasing = true;
  std::atomic<int> refused = 0;
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      // Until the erases are over (at most kMaxBatches), then five more.
      int after = 0;
      for (int b = 0; b < kMaxBatches && after < 5; ++b) {
        if (!erasing) ++after;
        const int first_sequence = 1 + (t * kMaxBatches + b) * kEvents;
        if (server_.post_events(batch_json("busy", kEvents, first_sequence)).status != 202) ++refused;
      }
    });
  }
  int erased = 0;
  for (int e = 0; e < 40; ++e) {
    const auto erase = server_.request("DELETE", "/api/stream-sessions/busy", {{"X-MTrace-Token", "demo-token"}});
    EXPECT_TRUE(erase.status == 204 || erase.status == 404) << erase.status;
    erased += erase.status == 204;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  erasing = false;
  for (auto& sender : senders) sender.join();
  EXPECT_EQ(refused, 0);
  EXPECT_GT(erased, 10);

  const auto first = server_.get("/api/stream-sessions/busy?events_limit=1000");
  ASSERT_EQ(first.status, 200) << first.body;
  const auto detail = json::parse(first.body);
  std::int64_t stored = static_cast<std::int64_t>(detail.at("events").as_array().size());
  std::string cursor = detail.as_object().contains("next_cursor") ? std::string(detail.at("next_cursor").as_string()) : "";
  while (!cursor.empty()) {
    const auto page = json::parse(server_.get("/api/stream-sessions/busy?events_limit=1000&events_cursor=" + cursor).body);
    stored += static_cast<std::int64_t>(page.at("events").as_array().size());
    cursor = page.as_object().contains("next_cursor") ? std::string(page.at("next_cursor").as_string()) : "";
  }
  EXPECT_GT(stored, 0);
  EXPECT_EQ(detail.at("session").at("event_count").as_int64(), stored);
}

TEST_F(ReadApiTest, CountsAcceptedAndInvalidEventsInMetricsWithoutForbiddenLabels) {
  ASSERT_EQ(server_.post_events(batch_json("metrics", 7)).status, 202);
  ASSERT_EQ(server_.post_events(batch_json("metrics", 1, 8, "Bad Name")).status, 422);
  const auto metrics = server_.get("/api/metrics", "");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("mtrace_playback_events_total 7"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("mtrace_invalid_events_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("mtrace_active_sessions 1"), std::string::npos);
  for (const auto* label : {"session_id=", "client_ip=", "trace_id=", "token="}) {
    EXPECT_EQ(metrics.body.find(label), std::string::npos) << label;
  }
}

TEST_F(ReadApiTest, AnswersHealthAndUnknownRoutes) {
  const auto health = server_.get("/api/health", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(json::parse(health.body).at("status").as_string(), "ok");
  EXPECT_EQ(server_.get("/api/nope").status, 404);
  EXPECT_EQ(server_.request("PUT", "/api/stream-sessions").status, 405);
}

// Two projects, demo and shop (each token reads and writes its own), and an admin token.
class TwoProjectsTest : public ::testing::Test {
 protected:
  static std::filesystem::path projects_file(const TempDir& dir) {
    const auto path = dir.path() / "projects.json";
    std::ofstream(path) << R"([{"id":"demo","ingest_tokens":["demo-token"],"read_tokens":["demo-token"]},)"
                        << R"({"id":"shop","ingest_tokens":["shop-token"],"read_tokens":["shop-token"]}])";
    return path;
  }
  TempDir dir_;
  ServerProcess server{dir_.path(), {"--projects", projects_file(dir_).string(), "--admin-token", "admin-token-for-tests"}};
};

// The overview's rate is the token's project's own; the admin token's is every project's.
TEST_F(TwoProjectsTest, TheOverviewCountsEventsPerSecondForTheTokensProjectOnly) {
  ASSERT_EQ(server.post_events(batch_json("s-rate", 6)).status, 202);
  const auto rate = [&](const std::string& token) {
    const auto overview = server.get("/api/overview", token);
    EXPECT_EQ(overview.status, 200) << token;
    return overview.status == 200 ? json::parse(overview.body).at("events_per_second").to_number<double>() : -1.0;
  };
  EXPECT_DOUBLE_EQ(rate("demo-token"), 6.0 / 60);
  EXPECT_DOUBLE_EQ(rate("shop-token"), 0.0);
  EXPECT_DOUBLE_EQ(rate("admin-token-for-tests"), 6.0 / 60);
}

// The admin token pages through every project's sessions, each once.
TEST_F(TwoProjectsTest, TheAdminTokenPagesThroughEveryProjectsSessionsOnce) {
  auto shop_batch = batch_json("s-shop", 1);
  shop_batch.replace(shop_batch.find(R"("project_id":"demo")"), 19, R"("project_id":"shop")");
  ASSERT_EQ(server.post_events(batch_json("s-demo-1", 1)).status, 202);
  ASSERT_EQ(server.post_events(shop_batch, {{"X-MTrace-Token", "shop-token"}}).status, 202);
  ASSERT_EQ(server.post_events(batch_json("s-demo-2", 1)).status, 202);
  std::vector<std::string> seen;
  std::string cursor;
  do {
    const auto answer = server.get("/api/stream-sessions?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor),
                                   "admin-token-for-tests");
    ASSERT_EQ(answer.status, 200) << answer.body;
    const auto page = json::parse(answer.body).as_object();
    for (const auto& session : page.at("sessions").as_array()) seen.emplace_back(session.at("session_id").as_string());
    cursor = page.contains("next_cursor") ? std::string(page.at("next_cursor").as_string()) : "";
    ASSERT_LT(seen.size(), 5u);
  } while (!cursor.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"s-demo-2", "s-shop", "s-demo-1"}));
}

// Reads an SSE stream for `duration` and returns what arrived.
std::string read_stream(std::uint16_t port, const std::string& extra_headers, std::chrono::milliseconds duration) {
  const std::string request = "GET /api/stream-sessions/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-MTrace-Token: demo-token\r\n" +
                              extra_headers + "\r\n";
  return exchange_raw(port, request, duration);
}

TEST_F(ReadApiTest, StreamsNewEventsAndSessionsLive) {
  std::string received;
  std::thread reader([&] { received = read_stream(server_.port(), "", std::chrono::milliseconds(2500)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(server_.post_events(batch_json("live", 2)).status, 202);
  reader.join();
  EXPECT_NE(received.find("text/event-stream"), std::string::npos) << received;
  EXPECT_NE(received.find("event: session_updated"), std::string::npos) << received;
  EXPECT_NE(received.find("event: event_appended"), std::string::npos);
  EXPECT_NE(received.find("\"session_id\":\"live\""), std::string::npos);
  EXPECT_NE(received.find("\"server_received_at\":\""), std::string::npos) << received;
}

TEST_F(ReadApiTest, AnswersAHeadOfTheStreamWithItsHeadAloneAndCloses) {
  ASSERT_EQ(server_.post_events(batch_json("head-only", 2)).status, 202);
  const auto started = std::chrono::steady_clock::now();
  const auto raw = exchange_raw(server_.port(),
                                "HEAD /api/stream-sessions/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "X-MTrace-Token: demo-token\r\nLast-Event-ID: 0\r\n\r\n",
                                std::chrono::seconds(3));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));  // closed by the server
  const auto head = parse_response(raw);
  EXPECT_EQ(head.status, 200);
  EXPECT_NE(head.header("content-type").find("text/event-stream"), std::string::npos);
  EXPECT_EQ(head.header("connection"), "close");
  EXPECT_EQ(head.body, "");
}

TEST_F(ReadApiTest, BackfillsFromLastEventId) {
  ASSERT_EQ(server_.post_events(batch_json("backfill", 5)).status, 202);
  const auto detail = json::parse(server_.get("/api/stream-sessions/backfill").body);
  const auto second = detail.at("events").at(1).at("ingest_sequence").as_int64();
  const auto received = read_stream(server_.port(), "Last-Event-ID: " + std::to_string(second) + "\r\n",
                                    std::chrono::milliseconds(1000));
  EXPECT_EQ(received.find("id: " + std::to_string(second) + "\n"), std::string::npos) << received;
  for (int i = 2; i < 5; ++i) {
    const auto id = detail.at("events").at(i).at("ingest_sequence").as_int64();
    EXPECT_NE(received.find("id: " + std::to_string(id) + "\n"), std::string::npos) << received;
  }
}

}  // namespace
}  // namespace mtrace::testing
