// Faults from outside: slow and idle connections, garbage, a kill -9 during sustained ingest.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <set>
#include <thread>

#include "server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

TEST(Robustness, ClosesAConnectionThatTricklesItsHeadersAndServesOthersMeanwhile) {
  TempDir dir;
  ServerProcess server(dir.path());
  const int slow = connect_loopback(server.port());
  ASSERT_GE(slow, 0);
  std::atomic<bool> closed_by_server{false};
  std::thread trickle([&] {
    const std::string header = "GET /api/health HTTP/1.1\r\nHost: x\r\nX-Padding: ";
    for (int i = 0; i < 15; ++i) {  // one byte a second: the 10 s header deadline cuts it off
      const char byte = header[static_cast<std::size_t>(i) % header.size()];
      if (send(slow, &byte, 1, MSG_NOSIGNAL) <= 0) {
        closed_by_server = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    char buffer[64];
    closed_by_server = recv(slow, buffer, sizeof buffer, MSG_DONTWAIT) == 0;
  });
  EXPECT_EQ(server.get("/api/health", "").status, 200);  // the others are answered meanwhile
  trickle.join();
  close(slow);
  EXPECT_TRUE(closed_by_server);
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

TEST(Robustness, AnswersGarbageWithoutDying) {
  TempDir dir;
  ServerProcess server(dir.path());
  EXPECT_EQ(exchange_raw(server.port(), "\x16\x03\x01garbage\r\n\r\n", std::chrono::seconds(2)).find("202"),
            std::string::npos);
  const auto huge_header = parse_response(exchange_raw(
      server.port(), "GET /api/health HTTP/1.1\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n",
      std::chrono::seconds(2)));
  EXPECT_NE(huge_header.status, 200);
  EXPECT_EQ(server.get("/api/health", "").status, 200);
}

TEST(Robustness, DrainsOnSigtermAndExitsCleanly) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_EQ(server.post_events(batch_json("drain", 4)).status, 202);
  EXPECT_EQ(server.terminate(), 0);
}

TEST(Robustness, KeepsEveryAcknowledgedBatchAcrossKillMinus9) {
  TempDir dir;
  std::set<std::string> acknowledged;
  {
    ServerProcess server(dir.path(), {"--rate-limit-capacity", "1000000", "--rate-limit-refill", "1000000"});
    std::atomic<bool> stop{false};
    std::mutex mutex;
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; !stop; ++i) {
          const std::string session = "kill-" + std::to_string(w) + "-" + std::to_string(i);
          const auto result = server.post_events(batch_json(session, 10), {});
          if (result.status == 202) {
            std::lock_guard lock(mutex);
            acknowledged.insert(session);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    server.kill_hard();
    stop = true;
    for (auto& writer : writers) writer.join();
  }
  ASSERT_FALSE(acknowledged.empty());
  ServerProcess restarted(dir.path());
  for (const auto& session : acknowledged) {
    const auto detail = restarted.get("/api/stream-sessions/" + session);
    ASSERT_EQ(detail.status, 200) << session;
    EXPECT_EQ(json::parse(detail.body).at("events").as_array().size(), 10u) << session;
  }
}

}  // namespace
}  // namespace mtrace::testing
