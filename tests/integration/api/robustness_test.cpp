// Faults from outside: slow, idle and too many connections, garbage, a live-stream client that
// stops reading, a blocked store, SIGTERM or kill -9 during sustained ingest or in the middle of a
// session.
#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "../../support/server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

// Sends a header one byte a second for 15 s; true when the server closed the connection first.
bool trickle_header_until_closed(int fd) {
  const std::string header = "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Padding: ";
  for (int i = 0; i < 15; ++i) {
    const char byte = header[static_cast<std::size_t>(i) % header.size()];
    if (send(fd, &byte, 1, MSG_NOSIGNAL) <= 0) return true;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  char buffer[64];
  return recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) == 0;
}

// The 10 s header deadline cuts off a header that trickles in, on a new connection and on one
// kept alive after a first request (whose idle deadline, 60 s, ends when the next request begins).
TEST(Robustness, ClosesAConnectionThatTricklesItsHeadersAndServesOthersMeanwhile) {
  TempDir dir;
  ServerProcess server(dir.path());
  const int fresh = connect_loopback(server.port());
  const int kept_alive = connect_loopback(server.port());
  ASSERT_GE(fresh, 0);
  ASSERT_GE(kept_alive, 0);
  const std::string first = "HEAD /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(kept_alive, first.data(), first.size(), MSG_NOSIGNAL), static_cast<ssize_t>(first.size()));
  ASSERT_EQ(parse_response(read_head(kept_alive, std::chrono::seconds(5))).status, 200);

  std::atomic<bool> fresh_closed{false};
  std::atomic<bool> kept_alive_closed{false};
  std::thread fresh_trickle([&] { fresh_closed = trickle_header_until_closed(fresh); });
  std::thread kept_alive_trickle([&] { kept_alive_closed = trickle_header_until_closed(kept_alive); });
  EXPECT_EQ(server.get("/api/health", "").status, 200);  // the others are answered meanwhile
  fresh_trickle.join();
  kept_alive_trickle.join();
  close(fresh);
  close(kept_alive);
  EXPECT_TRUE(fresh_closed);
  EXPECT_TRUE(kept_alive_closed);
}

// An HTTP/1.0 client keeps its connection only when the answer says so.
TEST(Robustness, TellsAnHttp10ClientThatItsConnectionIsKeptAlive) {
  TempDir dir;
  ServerProcess server(dir.path());
  const int fd = connect_loopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string request = "HEAD /api/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  for (int i = 0; i < 2; ++i) {  // the second request on the same connection is answered too
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    const auto answer = parse_response(read_head(fd, std::chrono::seconds(5)));
    EXPECT_EQ(answer.status, 200) << i;
    EXPECT_EQ(answer.header("connection"), "keep-alive") << i;
  }
  close(fd);
  const auto closing = parse_response(
      exchange_raw(server.port(), "GET /api/health HTTP/1.0\r\n\r\n", std::chrono::seconds(5)));
  EXPECT_EQ(closing.status, 200);
  EXPECT_EQ(closing.header("connection"), "close");
}

// A body has 30 s of its own once the headers are in (not the 10 s of the headers): a body that
// trickles in one byte a second is cut off then, and ingest goes on meanwhile.
TEST(Robustness, ClosesAConnectionThatTricklesItsBodyAfterTheBodyDeadline) {
  TempDir dir;
  ServerProcess server(dir.path());
  const int slow = connect_loopback(server.port());
  ASSERT_GE(slow, 0);
  const std::string head =
      "POST /api/playback-events HTTP/1.1\r\nHost: x\r\nX-MTrace-Token: demo-token\r\n"
      "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";
  ASSERT_EQ(send(slow, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  const auto start = std::chrono::steady_clock::now();
  std::atomic<int> closed_after_s{-1};  // -1: still open
  std::thread trickle([&] {
    for (int i = 0; i < 45 && closed_after_s < 0; ++i) {
      const char byte = ' ';
      pollfd peer{slow, POLLIN, 0};
      char buffer[256];
      const bool closed = send(slow, &byte, 1, MSG_NOSIGNAL) <= 0 ||
                          (poll(&peer, 1, 1000) == 1 && recv(slow, buffer, sizeof buffer, 0) <= 0);
      if (closed) {
        closed_after_s = static_cast<int>(
            std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count());
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(12));
  EXPECT_EQ(closed_after_s, -1) << "closed within 12 s";
  EXPECT_EQ(server.post_events(batch_json("meanwhile", 1)).status, 202);
  trickle.join();
  close(slow);
  ASSERT_GE(closed_after_s, 0) << "still open after 45 s";
  EXPECT_GE(closed_after_s, 25);
}

TEST(Robustness, ServesRequestsWhileThousandsOfIdleConnectionsAreOpen) {
  TempDir dir;
  ServerProcess server(dir.path());
  std::vector<int> idle;
  for (int i = 0; i < 2000; ++i) {
    const int fd = connect_loopback(server.port());
    if (fd < 0) break;
    idle.push_back(fd);
  }
  EXPECT_GE(idle.size(), 1000u);
  EXPECT_EQ(server.get("/api/health", "").status, 200);
  EXPECT_EQ(server.post_events(batch_json("with-idle", 3)).status, 202);
  for (const int fd : idle) close(fd);
}

// Past --max-connections a new connection is closed at once, and once some close, the server
// takes new ones again.
TEST(Robustness, ClosesConnectionsBeyondTheBoundUntilOthersClose) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--max-connections", "20"});
  const std::string health = "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n";
  // Answers `health` on a kept-alive connection: proves the server took it.
  const auto answered = [&](int fd) {
    if (send(fd, health.data(), health.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(health.size())) return false;
    const auto head = read_head(fd, std::chrono::seconds(5));
    return head.ends_with("\r\n\r\n") && head.starts_with("HTTP/1.1 200");
  };
  std::vector<int> held;
  for (int i = 0; i < 20; ++i) {
    held.push_back(connect_loopback(server.port()));
    ASSERT_TRUE(answered(held.back())) << "connection " << i << " within the bound";
  }
  const int over = connect_loopback(server.port());  // the kernel accepts it; the server closes it
  EXPECT_FALSE(answered(over));
  close(over);
  for (int i = 0; i < 5; ++i) close(held[static_cast<std::size_t>(i)]);
  bool served_again = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!served_again && std::chrono::steady_clock::now() < deadline) {
    served_again = server.get("/api/health", "").status == 200;  // once the server saw the closes
    if (!served_again) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served_again);
  for (std::size_t i = 5; i < held.size(); ++i) close(held[i]);
}

TEST(Robustness, AnswersGarbageWithoutDying) {
  TempDir dir;
  ServerProcess server(dir.path());
  const auto garbage =
      parse_response(exchange_raw(server.port(), "\x16\x03\x01garbage\r\n\r\n", std::chrono::seconds(2)));
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(garbage.header("connection"), "close");
  EXPECT_EQ(json::parse(garbage.body).at("error").as_string(), "bad_request");
  const auto huge_header = parse_response(exchange_raw(
      server.port(), "GET /api/health HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n",
      std::chrono::seconds(2)));
  EXPECT_EQ(huge_header.status, 431);
  EXPECT_EQ(server.get("/api/health", "").status, 200);
}

// A chunk-size line that never ends (Beast bounds neither it nor a trailer by itself): the server
// stops reading it at a bound, answers 400 or just closes, instead of buffering for 30 s.
TEST(Robustness, ClosesAChunkedBodyWhoseChunkLineNeverEnds) {
  TempDir dir;
  ServerProcess server(dir.path());
  const int fd = connect_loopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string head =
      "POST /api/playback-events HTTP/1.1\r\nHost: x\r\nX-MTrace-Token: demo-token\r\n"
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1;";
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  const std::string extension(64 * 1024, 'a');
  std::size_t sent = 0;
  while (sent < 8 * 1024 * 1024) {  // 8 MiB at most (loopback buffers hold a few), a bounded loop
    pollfd writable{fd, POLLOUT, 0};
    if (poll(&writable, 1, 2000) <= 0) break;  // the server stopped reading
    const auto n = send(fd, extension.data(), extension.size(), MSG_NOSIGNAL);
    if (n <= 0) break;  // closed by the server
    sent += static_cast<std::size_t>(n);
  }
  // Closed within seconds: recv reads the 400 or nothing, then the end (or a reset).
  std::string answer;
  char buffer[4096];
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 100) <= 0) continue;
    const auto n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      closed = true;
    } else {
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  EXPECT_TRUE(closed);
  if (!answer.empty()) {
    EXPECT_EQ(parse_response(answer).status, 400) << answer;
  }
  EXPECT_EQ(server.get("/api/health", "").status, 200);
}

// Both Content-Length and Transfer-Encoding (a request-smuggling attempt): 400, the connection
// closes, and the request hidden after it is never answered.
TEST(Robustness, RefusesAmbiguousFramingAndAnswersNothingSmuggledBehindIt) {
  TempDir dir;
  ServerProcess server(dir.path());
  const auto raw = exchange_raw(server.port(),
                                "POST /api/playback-events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                                "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n",
                                std::chrono::seconds(2));
  const auto refused = parse_response(raw);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.header("connection"), "close");
  EXPECT_EQ(raw.find("HTTP/1.1 200"), std::string::npos) << raw;
}

// Four pipelined requests on one connection: each answer is framed exactly (a HEAD answer has the
// GET's Content-Length and no body, a 204 neither), and the last, which asks to close, is
// answered and then closed.
TEST(Robustness, FramesPipelinedAnswersExactlyAndClosesWhenAsked) {
  TempDir dir;
  ServerProcess server(dir.path());
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  const std::string requests =
      "GET /api/health HTTP/1.1\r\nHost: " + host + "\r\n\r\n" +
      "HEAD /api/health HTTP/1.1\r\nHost: " + host + "\r\n\r\n" +
      "OPTIONS /api/playback-events HTTP/1.1\r\nHost: " + host + "\r\nOrigin: http://" + host +
      "\r\nAccess-Control-Request-Method: POST\r\n\r\n" +
      "GET /api/health HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  const auto started = std::chrono::steady_clock::now();
  std::string raw = exchange_raw(server.port(), requests, std::chrono::seconds(5));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(4));  // closed, not timed out

  std::vector<HttpResult> answers;
  while (!raw.empty()) {
    const auto head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << raw;
    HttpResult answer = parse_response(raw.substr(0, head_end + 4));
    const auto length = answer.header("content-length");
    const bool answers_head = answers.size() == 1;
    const std::size_t body_size = length.empty() || answers_head ? 0 : std::stoul(length);
    ASSERT_LE(head_end + 4 + body_size, raw.size());
    answer.body = raw.substr(head_end + 4, body_size);
    raw.erase(0, head_end + 4 + body_size);
    answers.push_back(std::move(answer));
  }
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[0].body, R"({"status":"ok"})");
  EXPECT_EQ(answers[0].header("connection"), "");
  EXPECT_EQ(answers[0].header("server"), "mtrace");
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_EQ(answers[1].header("content-length"), std::to_string(answers[0].body.size()));
  EXPECT_EQ(answers[2].status, 204);
  EXPECT_EQ(answers[2].header("content-length"), "");
  EXPECT_EQ(answers[2].header("access-control-allow-origin"), "http://" + host);
  EXPECT_EQ(answers[3].status, 200);
  EXPECT_EQ(answers[3].header("connection"), "close");
  EXPECT_EQ(answers[3].header("content-type"), "application/json");
}

TEST(Robustness, AcceptsARequestTargetInAbsoluteForm) {
  TempDir dir;
  ServerProcess server(dir.path());
  const auto health = parse_response(exchange_raw(
      server.port(), "GET http://127.0.0.1/api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      std::chrono::seconds(2)));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  const auto limit = parse_response(exchange_raw(
      server.port(),
      "GET HTTP://127.0.0.1:80/api/stream-sessions?limit=x HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "X-MTrace-Token: demo-token\r\nConnection: close\r\n\r\n",
      std::chrono::seconds(2)));
  EXPECT_EQ(limit.status, 400);  // the query survived: limit=x is refused
  EXPECT_EQ(json::parse(limit.body).at("error").as_string(), "limit_invalid");
}

// A client that sends `Expect: 100-continue` holds its body back until the server asks for it.
TEST(Robustness, AsksForTheBodyWhenTheClientExpects100Continue) {
  TempDir dir;
  ServerProcess server(dir.path());
  const int fd = connect_loopback(server.port());
  ASSERT_GE(fd, 0);
  const std::string body = batch_json("s-expect", 2);
  const std::string head = "POST /api/playback-events HTTP/1.1\r\nHost: x\r\nX-MTrace-Token: demo-token\r\n"
                           "Content-Type: application/json\r\nExpect: 100-continue\r\nConnection: close\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  auto read_some = [&] {
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, 3000) <= 0) return std::string();
    char buffer[4096];
    const auto n = recv(fd, buffer, sizeof buffer, 0);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
  };
  ASSERT_EQ(send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  EXPECT_EQ(read_some(), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_EQ(send(fd, body.data(), body.size(), MSG_NOSIGNAL), static_cast<ssize_t>(body.size()));
  std::string answer;
  for (std::string more = read_some(); !more.empty(); more = read_some()) answer += more;
  close(fd);
  const auto accepted = parse_response(answer);
  EXPECT_EQ(accepted.status, 202);
  EXPECT_EQ(accepted.body, R"({"accepted":2})");
}

// QoE aggregates over a day read every session that started in it (here 200,000 of 400,000, the
// most one report reads), which takes a large fraction of a second. The read runs beside the
// event loop: a batch sent meanwhile to the same (only) HTTP thread is answered first.
TEST(Robustness, ASlowReadDoesNotHoldUpIngestOnTheSameEventLoop) {
  TempDir dir;
  { ServerProcess schema(dir.path()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "mtrace.db").c_str(), &db), SQLITE_OK);
  const auto recent = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch() - std::chrono::hours(1))
                          .count();
  const std::string fill =
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400000) "
      "INSERT INTO sessions (project_id, session_id, state, started_at, last_event_at, ended_at, end_source, "
      "event_count, correlation_id, trace_id, sample_rate_ppm, content_id, content_title, player_name, "
      "player_version, browser_family, os_family, last_error_code, error_count, qoe) "
      "SELECT 'demo', 'stored-' || i, 2, " + std::to_string(recent) + " + i, " + std::to_string(recent) +
      " + i, NULL, 0, 1, 'c-' || i, '4bf92f3577b34da6a3ce929d0e0e4736', 1000000, 'vod-1', '', 'hls.js', '', '', "
      "'', '', 0, '{}' FROM n";
  ASSERT_EQ(sqlite3_exec(db, fill.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  ServerProcess server(dir.path(), {"--threads", "1", "--admin-token", "admin-token-for-tests"});
  ASSERT_EQ(server.post_events(batch_json("before-the-read", 5)).status, 202);  // warm
  using Clock = std::chrono::steady_clock;
  Clock::time_point read_done;
  HttpResult report;
  std::thread reader([&] {
    report = server.get("/api/qoe", "admin-token-for-tests");
    read_done = Clock::now();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the read is under way
  const auto ingest = server.post_events(batch_json("during-a-read", 5));
  const auto ingest_done = Clock::now();
  reader.join();
  EXPECT_EQ(ingest.status, 202) << ingest.body;
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(json::parse(report.body).at("truncated"), true) << "the report read fewer sessions than it may";
  EXPECT_LT(ingest_done, read_done) << "the batch waited for the read";
}

// A live-stream client that stops reading: once the frames it has not taken pass the server's
// bound (1 MiB beyond what the sockets hold), the server closes its stream instead of buffering
// without end. A client that reads meanwhile gets every frame, and ingest goes on.
TEST(Robustness, ClosesALiveStreamWhoseClientStopsReading) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--rate-limit-capacity", "1000000", "--rate-limit-refill", "1000000"});
  // A stream's socket, its head read (and nothing after it).
  const auto open_stream = [&](int receive_buffer) {
    const int fd = connect_loopback(server.port(), receive_buffer);
    if (fd < 0) return -1;
    const std::string open = "GET /api/stream-sessions/stream HTTP/1.1\r\nHost: x\r\nX-Mtrace-Token: demo-token\r\n\r\n";
    if (send(fd, open.data(), open.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(open.size())) return -1;
    const auto head = read_head(fd, std::chrono::seconds(5));
    return head.ends_with("\r\n\r\n") && head.find("text/event-stream") != std::string::npos ? fd : -1;
  };
  const int stalled = open_stream(4096);
  const int reading = open_stream(0);
  ASSERT_GE(stalled, 0);
  ASSERT_GE(reading, 0);

  std::atomic<bool> posted{false};
  std::string everything;  // what the reading client got
  std::thread reader([&] {
    char buffer[65536];
    for (;;) {
      pollfd ready{reading, POLLIN, 0};
      if (poll(&ready, 1, 1000) != 1) {
        if (posted) return;  // a quiet second after the last batch
        continue;
      }
      const auto n = recv(reading, buffer, sizeof buffer, 0);
      if (n <= 0) return;
      everything.append(buffer, static_cast<std::size_t>(n));
    }
  });
  // Every event is a frame of ~190 bytes: ~9.5 MB, more than twice what the stalled client's
  // socket pair holds and the bound together.
  constexpr int kBatches = 500;
  int accepted = 0;
  while (accepted < kBatches &&
         server.post_events(batch_json("firehose", 100, 1 + accepted * 100)).status == 202) {
    ++accepted;
  }
  posted = true;
  reader.join();
  ASSERT_EQ(accepted, kBatches);
  close(reading);
  std::size_t frames = 0;
  for (auto at = everything.find("event: event_appended"); at != std::string::npos;
       at = everything.find("event: event_appended", at + 1)) {
    ++frames;
  }
  EXPECT_EQ(frames, kBatches * 100u) << "the reading client missed frames";

  // The stalled client reads again: what the sockets held, then the end the server wrote.
  std::size_t received = 0;
  bool closed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  char buffer[4096];
  while (!closed && std::chrono::steady_clock::now() < deadline) {
    pollfd ready{stalled, POLLIN, 0};
    if (poll(&ready, 1, 1000) != 1) continue;
    const auto n = recv(stalled, buffer, sizeof buffer, 0);
    if (n <= 0) closed = true;
    else received += static_cast<std::size_t>(n);
  }
  close(stalled);
  EXPECT_TRUE(closed) << "the server kept a stream whose client fell behind by " << everything.size() - received
                      << " bytes";
  EXPECT_LT(received, everything.size() / 2);
  EXPECT_EQ(server.post_events(batch_json("after-the-cut", 1)).status, 202);
}

// Another process holds the database's write lock past the store's busy timeout (5 s): the batch
// gets 503 with Retry-After instead of a hang, and changes nothing, so that the client's retry
// once the lock is gone is stored once and not taken for a duplicate.
TEST(Robustness, AnswersABlockedStoreWith503AndTheRetryIsStoredOnce) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_EQ(server.post_events(batch_json("before-the-lock", 1)).status, 202);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() / "mtrace.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  const auto started = std::chrono::steady_clock::now();
  const auto blocked = server.post_events(batch_json("retried", 3), {});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(9));
  sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(blocked.status, 503) << blocked.body;
  EXPECT_EQ(blocked.header("retry-after"), "1");
  EXPECT_EQ(json::parse(blocked.body).at("error").as_string(), "store_unavailable");
  const auto metrics = server.get("/api/metrics", "").body;
  EXPECT_NE(metrics.find("\nmtrace_dropped_events_total 3\n"), std::string::npos) << metrics;

  ASSERT_EQ(server.post_events(batch_json("retried", 3)).status, 202);
  const auto detail = json::parse(server.get("/api/stream-sessions/retried").body);
  EXPECT_EQ(detail.at("session").at("event_count").as_int64(), 3);
  for (const auto& event : detail.at("events").as_array()) {
    EXPECT_EQ(event.at("delivery_status").as_string(), "accepted") << event;
  }
}

// What sustained ingest got before the server stopped: four clients post batches of 10 events,
// each batch a new session named `prefix`-client-n, until `stop_server` (called after `load`)
// returns.
struct SustainedIngest {
  std::set<std::string> acknowledged;  // sessions whose batch got 202
  std::set<int> other_statuses;        // besides 202 and 0 (refused, or closed unanswered)
};
SustainedIngest ingest_until_stopped(ServerProcess& server, const std::string& prefix,
                                     std::chrono::milliseconds load, const std::function<void()>& stop_server) {
  SustainedIngest outcome;
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int n = 0; !stop; ++n) {
        const std::string session = prefix + "-" + std::to_string(c) + "-" + std::to_string(n);
        const auto result = server.post_events(batch_json(session, 10), {});
        std::lock_guard lock(mutex);
        if (result.status == 202) outcome.acknowledged.insert(session);
        else if (result.status != 0) outcome.other_statuses.insert(result.status);
      }
    });
  }
  std::this_thread::sleep_for(load);
  stop_server();
  stop = true;
  for (auto& client : clients) client.join();
  return outcome;
}

// A server restarted on `dir` holds each of `sessions` with its 10 events.
void expect_stored(const std::filesystem::path& dir, const std::set<std::string>& sessions) {
  ServerProcess restarted(dir);
  for (const auto& session : sessions) {
    const auto detail = restarted.get("/api/stream-sessions/" + session);
    ASSERT_EQ(detail.status, 200) << session;
    EXPECT_EQ(json::parse(detail.body).at("events").as_array().size(), 10u) << session;
  }
}

// SIGTERM during sustained ingest: the server exits cleanly (status 0), every request it answered
// got 202 or 503 (the store draining), and every acknowledged batch is found after a restart.
TEST(Robustness, DrainsOnSigtermUnderLoadAndKeepsEveryAcknowledgedBatch) {
  TempDir dir;
  SustainedIngest outcome;
  {
    ServerProcess server(dir.path(), {"--rate-limit-capacity", "1000000", "--rate-limit-refill", "1000000"});
    outcome = ingest_until_stopped(server, "drain", std::chrono::milliseconds(1000),
                                   [&] { EXPECT_EQ(server.terminate(), 0); });
  }
  outcome.other_statuses.erase(503);
  EXPECT_TRUE(outcome.other_statuses.empty())
      << outcome.other_statuses.size() << " other statuses, the lowest " << *outcome.other_statuses.begin();
  ASSERT_FALSE(outcome.acknowledged.empty());
  expect_stored(dir.path(), outcome.acknowledged);
}

TEST(Robustness, KeepsEveryAcknowledgedBatchAcrossKillMinus9) {
  TempDir dir;
  SustainedIngest outcome;
  {
    ServerProcess server(dir.path(), {"--rate-limit-capacity", "1000000", "--rate-limit-refill", "1000000"});
    outcome = ingest_until_stopped(server, "kill", std::chrono::milliseconds(1500), [&] { server.kill_hard(); });
  }
  ASSERT_FALSE(outcome.acknowledged.empty());
  expect_stored(dir.path(), outcome.acknowledged);
}

// A batch of one session whose events are (name, milliseconds after `base_ms`), sequence numbers
// from `first_sequence`.
std::string timed_batch(const std::string& session_id, std::int64_t base_ms,
                        const std::vector<std::pair<std::string, int>>& events, int first_sequence) {
  std::string body = R"({"schema_version":"1.0","events":[)";
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::int64_t at_ms = base_ms + events[i].second;
    const std::time_t seconds = at_ms / 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[40];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(at_ms % 1000));
    if (i > 0) body += ",";
    body += R"({"event_name":")" + events[i].first + R"(","project_id":"demo","session_id":")" + session_id +
            R"(","client_timestamp":")" + text + R"(","sequence_number":)" +
            std::to_string(first_sequence + static_cast<int>(i)) + R"(,"sdk":{"name":"test","version":"1.0.0"}})";
  }
  return body + "]}";
}

// After a kill -9 the session's counts are recounted from its stored events, and its QoE goes on
// from them instead of starting over.
TEST(Robustness, ASessionGoesOnAcrossKillMinus9) {
  TempDir dir;
  const std::int64_t base_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() - 60'000;
  {
    ServerProcess server(dir.path());
    ASSERT_EQ(server.post_events(timed_batch("across", base_ms,
                                             {{"play_requested", 0}, {"playback_started", 500},
                                              {"rebuffer_started", 10'000}, {"rebuffer_ended", 12'000}},
                                             1)).status, 202);
    // Changes only the session's counts and QoE: its row waits to be written back.
    ASSERT_EQ(server.post_events(timed_batch("across", base_ms, {{"paused", 20'000}}, 5)).status, 202);
    server.kill_hard();
  }
  ServerProcess restarted(dir.path());
  auto detail = json::parse(restarted.get("/api/stream-sessions/across").body);
  EXPECT_EQ(detail.at("session").at("event_count").as_int64(), 5);
  // The first event repeats sequence number 5, stored before the kill.
  ASSERT_EQ(restarted.post_events(timed_batch("across", base_ms,
                                              {{"paused", 20'000}, {"resumed", 25'000},
                                               {"rebuffer_started", 30'000}, {"rebuffer_ended", 31'000}},
                                              5)).status, 202);
  detail = json::parse(restarted.get("/api/stream-sessions/across").body);
  const auto& events = detail.at("events").as_array();
  ASSERT_EQ(events.size(), 9u);
  std::int64_t duplicates = 0;
  for (const auto& event : events) duplicates += event.at("delivery_status") == "duplicate_suspected";
  EXPECT_EQ(duplicates, 1);
  const auto& session = detail.at("session");
  EXPECT_EQ(session.at("event_count").as_int64(), 9);
  EXPECT_EQ(session.at("qoe").at("rebuffer_count").as_int64(), 2);
  EXPECT_EQ(session.at("qoe").at("rebuffer_ms").as_int64(), 3000);
  EXPECT_EQ(session.at("qoe").at("startup_ms").as_int64(), 500);
}

}  // namespace
}  // namespace mtrace::testing
