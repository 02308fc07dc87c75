// `mtrace serve` settings from the MTRACE_* variables (a flag wins over its variable), a bad
// setting refused before the server starts, and the JSON lines it logs. Each test runs in a
// process of its own (ctest), so the variables it sets reach only its server.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>

#include "server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

TEST(Configuration, TakesSettingsFromMtraceVariablesAndAFlagWinsOverItsVariable) {
  TempDir dir;
  const auto from_variable = dir.path() / "from-variable.db";
  setenv("MTRACE_SQLITE_PATH", from_variable.c_str(), 1);  // ServerProcess passes --sqlite-path
  setenv("MTRACE_RATE_LIMIT_CAPACITY", "5", 1);
  setenv("MTRACE_RATE_LIMIT_REFILL", "1", 1);
  ServerProcess server(dir.path());
  EXPECT_EQ(server.post_events(batch_json("from-variables", 5)).status, 202);
  EXPECT_EQ(server.post_events(batch_json("from-variables", 1, 6)).status, 429) << "the bucket holds 5 events";
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "mtrace.db"));
  EXPECT_FALSE(std::filesystem::exists(from_variable)) << "the variable won over the flag";
}

TEST(Configuration, RefusesABadSettingBeforeItStarts) {
  TempDir dir;
  setenv("MTRACE_RATE_LIMIT_CAPACITY", "-3", 1);
  try {
    ServerProcess server(dir.path());
    ADD_FAILURE() << "the server started with a negative bucket";
  } catch (const std::runtime_error& refused) {
    const std::string said = refused.what();
    EXPECT_NE(said.find("--rate-limit-capacity: must be a number above 0, not -3"), std::string::npos) << said;
  }
}

TEST(Configuration, LogsOneJsonObjectPerLine) {
  TempDir dir;
  ServerProcess server(dir.path());
  ASSERT_EQ(server.post_events(batch_json("logged", 1)).status, 202);
  ASSERT_EQ(server.terminate(), 0);
  std::istringstream lines(server.output());
  std::set<std::string> messages;
  for (std::string line; std::getline(lines, line);) {
    const auto entry = json::parse(line).as_object();  // throws on a line that is not JSON
    const std::string time(entry.at("time").as_string());
    EXPECT_EQ(time.size(), 24u) << time;  // RFC 3339 UTC with milliseconds
    EXPECT_EQ(time.back(), 'Z') << time;
    const std::string level(entry.at("level").as_string());
    EXPECT_TRUE(level == "info" || level == "warn" || level == "error") << line;
    messages.insert(std::string(entry.at("msg").as_string()));
  }
  EXPECT_TRUE(messages.contains("listening"));
  EXPECT_TRUE(messages.contains("shutting down"));
}

}  // namespace
}  // namespace mtrace::testing
