// BeastFetcher against a loopback server: the SSRF guard on every hop, limits and statuses.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/fetch/beast_fetcher.h"
#include "loopback_http_server.h"

namespace mtrace::adapters::fetch {
namespace {

using mtrace::testing::LoopbackHttpServer;
using Kind = ports::FetchError::Kind;

ports::FetchRequest request(std::string url, bool allow_private = false) {
  ports::FetchRequest r;
  r.url = std::move(url);
  r.policy.timeout = std::chrono::milliseconds(2000);
  r.policy.allow_private_networks = allow_private;
  r.policy.content_types = {"application/vnd.apple.mpegurl", "text/plain"};
  return r;
}

ports::FetchError error_of(const ports::FetchResult& r) {
  EXPECT_TRUE(std::holds_alternative<ports::FetchError>(r));
  return std::holds_alternative<ports::FetchError>(r) ? std::get<ports::FetchError>(r) : ports::FetchError{};
}

TEST(BeastFetcher, RefusesPrivateTargetsBeforeConnecting) {
  BeastFetcher fetcher;
  for (const char* url : {"http://127.0.0.1/a", "http://localhost/a", "http://2130706433/a",
                          "http://0177.0.0.1/a", "http://0x7f.1/a", "http://[::1]/a",
                          "http://[::ffff:127.0.0.1]/a", "http://169.254.169.254/latest",
                          "http://10.0.0.5/a", "http://192.168.0.1/a", "http://[fe80::1]/a"}) {
    const auto e = error_of(fetcher.fetch(request(url)));
    EXPECT_EQ(e.kind, Kind::blocked) << url;
    EXPECT_EQ(e.reason, "ip_blocked") << url;
    EXPECT_FALSE(e.address.empty()) << url;
  }
  EXPECT_EQ(error_of(fetcher.fetch(request("ftp://example.test/a"))).reason, "scheme_not_allowed");
  EXPECT_EQ(error_of(fetcher.fetch(request("http://user:pw@example.test/a"))).reason, "credentials_in_url");
  EXPECT_EQ(error_of(fetcher.fetch(request("http://256.1.1.1/a"))).kind, Kind::invalid_url);
  EXPECT_EQ(error_of(fetcher.fetch(request("not a url"))).kind, Kind::invalid_url);
}

TEST(BeastFetcher, FetchesFromLoopbackWhenAllowed) {
  LoopbackHttpServer server([](const std::string& head) {
    EXPECT_NE(head.find("Host: 127.0.0.1:"), std::string::npos);
    return LoopbackHttpServer::response(200, "application/vnd.apple.mpegurl; charset=utf-8", "#EXTM3U\n");
  });
  BeastFetcher fetcher;
  const auto r = fetcher.fetch(request(server.url("/live.m3u8"), true));
  ASSERT_TRUE(std::holds_alternative<ports::FetchResponse>(r)) << error_of(r).message;
  const auto& response = std::get<ports::FetchResponse>(r);
  EXPECT_EQ(response.body, "#EXTM3U\n");
  EXPECT_EQ(response.content_type, "application/vnd.apple.mpegurl");
}

// The client trusts the system's certificates, or those of the file SSL_CERT_FILE names.
class BeastFetcherTls : public ::testing::Test {
 protected:
  void SetUp() override {
    trusted_file_ = std::filesystem::temp_directory_path() /
                    ("mtrace-trusted-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(trusted_file_) << trusted_.pem();
    ::setenv("SSL_CERT_FILE", trusted_file_.c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("SSL_CERT_FILE");
    std::filesystem::remove(trusted_file_);
  }
  static std::string playlist(const std::string&) {
    return LoopbackHttpServer::response(200, "application/vnd.apple.mpegurl", "#EXTM3U\n");
  }

  mtrace::testing::TestCertificate trusted_;
  std::filesystem::path trusted_file_;
};

TEST_F(BeastFetcherTls, FetchesOverHttpsFromAServerItTrusts) {
  LoopbackHttpServer server(playlist, &trusted_);
  BeastFetcher fetcher;
  const auto r = fetcher.fetch(request(server.url("/live.m3u8"), true));
  ASSERT_TRUE(std::holds_alternative<ports::FetchResponse>(r)) << error_of(r).message;
  EXPECT_EQ(std::get<ports::FetchResponse>(r).body, "#EXTM3U\n");
}

TEST_F(BeastFetcherTls, RefusesAServerWhoseCertificateItDoesNotTrust) {
  const mtrace::testing::TestCertificate stranger;
  LoopbackHttpServer server(playlist, &stranger);
  BeastFetcher fetcher;
  const auto e = error_of(fetcher.fetch(request(server.url("/live.m3u8"), true)));
  EXPECT_EQ(e.kind, Kind::failed);
  EXPECT_EQ(e.reason, "network");
  EXPECT_NE(e.message.find("certificate verify failed"), std::string::npos) << e.message;
}

TEST(BeastFetcher, EveryRedirectIsCheckedAgain) {
  std::string target;
  LoopbackHttpServer server([&](const std::string&) {
    return LoopbackHttpServer::response(302, "text/plain", "", "Location: " + target + "\r\n");
  });
  BeastFetcher fetcher({"127.0.0.1"});  // the server itself is trusted, nothing else
  for (const std::string& next : {std::string("http://[::1]:") + std::to_string(server.port()) + "/x",
                                  std::string("http://10.1.2.3/x"),
                                  std::string("http://127.0.0.2:") + std::to_string(server.port()) + "/x",
                                  std::string("http://0x7f000002/x")}) {
    target = next;
    const auto e = error_of(fetcher.fetch(request(server.url("/start"))));
    EXPECT_EQ(e.kind, Kind::blocked) << next;
    EXPECT_EQ(e.hop, 1) << next;
  }
  target = "ftp://example.test/x";
  EXPECT_EQ(error_of(fetcher.fetch(request(server.url("/start")))).reason, "scheme_not_allowed");
  target = "/again";  // endless redirects
  auto limited = request(server.url("/start"));
  limited.policy.max_redirects = 2;
  EXPECT_EQ(error_of(fetcher.fetch(limited)).reason, "redirect_limit");
}

TEST(BeastFetcher, StatusTypeSizeAndRangeRules) {
  LoopbackHttpServer server([](const std::string& head) {
    const auto path = LoopbackHttpServer::path_of(head);
    if (path == "/html") return LoopbackHttpServer::response(200, "text/html", "<html/>");
    if (path == "/big") return LoopbackHttpServer::response(200, "text/plain", std::string(5000, 'x'));
    if (path == "/missing") return LoopbackHttpServer::response(404, "text/plain", "no");
    if (path == "/nolocation") return LoopbackHttpServer::response(301, "text/plain", "");
    if (path == "/range") {
      EXPECT_NE(head.find("Range: bytes=10-13"), std::string::npos);
      return LoopbackHttpServer::response(206, "video/mp4", "abcd");
    }
    return LoopbackHttpServer::response(200, "video/mp4", "whole");  // ignores Range
  });
  BeastFetcher fetcher;
  EXPECT_EQ(error_of(fetcher.fetch(request(server.url("/html"), true))).reason, "content_type");
  auto small = request(server.url("/big"), true);
  small.policy.max_bytes = 1000;
  EXPECT_EQ(error_of(fetcher.fetch(small)).kind, Kind::too_large);
  EXPECT_EQ(error_of(fetcher.fetch(request(server.url("/missing"), true))).status, 404);
  EXPECT_EQ(error_of(fetcher.fetch(request(server.url("/nolocation"), true))).reason, "redirect_without_location");
  auto range = request(server.url("/range"), true);
  range.policy.content_types.clear();
  range.range_offset = 10;
  range.range_length = 4;
  const auto ok = fetcher.fetch(range);
  ASSERT_TRUE(std::holds_alternative<ports::FetchResponse>(ok));
  EXPECT_EQ(std::get<ports::FetchResponse>(ok).body, "abcd");
  range.url = server.url("/ignores-range");
  EXPECT_EQ(error_of(fetcher.fetch(range)).reason, "http_status");
}

TEST(BeastFetcher, TimeoutBoundsASlowServer) {
  LoopbackHttpServer server([](const std::string&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return LoopbackHttpServer::response(200, "text/plain", "late");
  });
  BeastFetcher fetcher;
  auto slow = request(server.url("/slow"), true);
  slow.policy.timeout = std::chrono::milliseconds(300);
  EXPECT_EQ(error_of(fetcher.fetch(slow)).reason, "timeout");  // the answer would come at 1.5 s
}

}  // namespace
}  // namespace mtrace::adapters::fetch
