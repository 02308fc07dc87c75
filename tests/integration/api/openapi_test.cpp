// docs/openapi.yaml against a real server: every documented path is a route, and its CORS
// preflight allows exactly the documented methods, so neither a documented path nor a route's
// methods can drift from the router unnoticed.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "../../support/server_process.h"

namespace mtrace::testing {
namespace {

// path → its methods in upper case, read from the `paths:` section (two spaces before a path,
// four before a method: the document's layout).
std::map<std::string, std::set<std::string>> documented_routes() {
  std::ifstream in(std::filesystem::path(MTRACE_SOURCE_DIR) / "docs/openapi.yaml");
  std::map<std::string, std::set<std::string>> routes;
  std::string line;
  bool in_paths = false;
  std::string path;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;  // the next top-level section
    if (line.starts_with("  /") && line.ends_with(":")) {
      path = line.substr(2, line.size() - 3);
      routes[path];
      continue;
    }
    for (const char* method : {"get", "post", "put", "patch", "delete"}) {
      if (line == std::string("    ") + method + ":") {
        std::string upper(method);
        std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) { return char(c - 'a' + 'A'); });
        routes[path].insert(upper);
      }
    }
  }
  return routes;
}

std::set<std::string> split_methods(const std::string& list) {
  std::set<std::string> methods;
  std::istringstream in(list);
  std::string method;
  while (std::getline(in, method, ',')) {
    method.erase(0, method.find_first_not_of(' '));
    if (!method.empty()) methods.insert(method);
  }
  return methods;
}

TEST(OpenApi, EveryDocumentedPathIsARouteThatAllowsExactlyTheDocumentedMethods) {
  const auto routes = documented_routes();
  ASSERT_GE(routes.size(), 10u) << "docs/openapi.yaml was not read";
  TempDir dir;
  const auto projects = dir.path() / "projects.json";
  std::ofstream(projects) << R"([{"id":"demo","ingest_tokens":["demo-token"],"read_tokens":["demo-token"],"allowed_origins":["https://player.example"]}])";
  ServerProcess server(dir.path(), {"--projects", projects.string()});

  for (const auto& [path, methods] : routes) {
    ASSERT_FALSE(methods.empty()) << path << " documents no method";
    std::string target = path;
    if (const auto brace = target.find('{'); brace != std::string::npos) {
      target.replace(brace, target.find('}', brace) - brace + 1, "some-id");
    }
    const auto preflight = server.request(
        "OPTIONS", target, {{"Origin", "https://player.example"}, {"Access-Control-Request-Method", *methods.begin()}});
    ASSERT_EQ(preflight.status, 204) << path << ": " << preflight.body;
    auto expected = methods;
    expected.insert("OPTIONS");
    EXPECT_EQ(split_methods(preflight.header("access-control-allow-methods")), expected) << path;
  }
  // And a path the document does not list is no route.
  EXPECT_EQ(server.request("OPTIONS", "/api/undocumented", {{"Origin", "https://player.example"}}).status, 404);
}

}  // namespace
}  // namespace mtrace::testing
