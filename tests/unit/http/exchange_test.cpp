#include "adapters/http/exchange.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace mtrace::adapters::http {
namespace {

std::pair<std::string, std::string> path_and_query(std::string_view target) {
  Request request;
  request.set_target(target);
  return {request.path, request.query};
}

using PathAndQuery = std::pair<std::string, std::string>;

TEST(RequestTarget, SplitsAnOriginFormTargetAtTheFirstQuestionMark) {
  EXPECT_EQ(path_and_query("/api/stream-sessions?limit=5&cursor=a?b"),
            PathAndQuery("/api/stream-sessions", "limit=5&cursor=a?b"));
  EXPECT_EQ(path_and_query("/api/health"), PathAndQuery("/api/health", ""));
  EXPECT_EQ(path_and_query("/?"), PathAndQuery("/", ""));
}

TEST(RequestTarget, DropsTheSchemeAndAuthorityOfAnAbsoluteFormTarget) {
  EXPECT_EQ(path_and_query("http://127.0.0.1/api/health"), PathAndQuery("/api/health", ""));
  EXPECT_EQ(path_and_query("HTTPS://example.com:8443/a/b?x=1"), PathAndQuery("/a/b", "x=1"));
  EXPECT_EQ(path_and_query("http://user@host/p://q"), PathAndQuery("/p://q", ""));
}

TEST(RequestTarget, GivesAnAbsoluteTargetWithoutAPathTheRootAndKeepsItsQuery) {
  EXPECT_EQ(path_and_query("http://host"), PathAndQuery("/", ""));
  EXPECT_EQ(path_and_query("http://host?x=1"), PathAndQuery("/", "x=1"));
}

TEST(RequestTarget, KeepsOtherFormsAsThePathForTheRouterToRefuse) {
  EXPECT_EQ(path_and_query("*"), PathAndQuery("*", ""));
  EXPECT_EQ(path_and_query("example.com:443"), PathAndQuery("example.com:443", ""));
  EXPECT_EQ(path_and_query("ftp://host/file?x"), PathAndQuery("ftp://host/file", "x"));
  EXPECT_EQ(path_and_query(""), PathAndQuery("", ""));
}

TEST(RequestTarget, ReplacesThePreviousTargetOfAReusedRequest) {
  Request request;
  request.set_target("/a?x=1");
  request.set_target("/b");
  EXPECT_EQ(request.path, "/b");
  EXPECT_EQ(request.query, "");
}

TEST(RequestQuery, DecodesNamesAndValuesAndTakesTheFirstOfARepeatedName) {
  Request request;
  request.set_target("/p?a=1&project%5Fid=x%2By+z&a=2&flag&bad=%zz");
  EXPECT_EQ(request.query_param("a"), "1");
  EXPECT_EQ(request.query_param("project_id"), "x+y z");
  EXPECT_EQ(request.query_param("flag"), "");
  EXPECT_EQ(request.query_param("bad"), "%zz");
  EXPECT_EQ(request.query_param("missing"), std::nullopt);
}

TEST(PercentDecode, TurnsPlusIntoSpaceOnlyWhenAsked) {
  EXPECT_EQ(percent_decode("a+b%20c", true), "a b c");
  EXPECT_EQ(percent_decode("a+b%20c", false), "a+b c");
  EXPECT_EQ(percent_decode("%4", false), "%4");
  EXPECT_EQ(percent_decode("%", false), "%");
}

TEST(ForwardedClientAddress, IsTheLastEntryOfTheLastLineWhenItIsAnIpAddress) {
  const auto address = [](std::vector<std::string> lines) {
    Request request;
    for (auto& line : lines) request.headers.emplace_back("x-forwarded-for", std::move(line));
    return request.forwarded_client_address();
  };
  EXPECT_EQ(address({"198.51.100.7, 203.0.113.1"}), "203.0.113.1");
  // A proxy that adds its own line: the client's line comes first and is not trusted.
  EXPECT_EQ(address({"6.6.6.6", "203.0.113.9"}), "203.0.113.9");
  EXPECT_EQ(address({" 2001:DB8:0:0::1 \t"}), "2001:db8::1");  // canonical form
  for (const char* bad : {"", "junk", "203.0.113.1, junk", "203.0.113.1,", "999.1.1.1", "1.2.3.4:80"}) {
    EXPECT_EQ(address({bad}), std::nullopt) << bad;
  }
  EXPECT_EQ(address({}), std::nullopt);
}

}  // namespace
}  // namespace mtrace::adapters::http
