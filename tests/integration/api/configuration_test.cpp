// `mtrace serve` settings from the MTRACE_* variables (a flag wins over its variable), a bad
// setting refused before the server starts, and the JSON lines it logs.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <set>
#include <sstream>
#include <stdexcept>

#include "../../support/server_process.h"

namespace mtrace::testing {
namespace {

namespace json = boost::json;

// An environment variable for the servers a test starts, unset when the test ends.
class ScopedVariable {
 public:
  ScopedVariable(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~ScopedVariable() { unsetenv(name_); }
  ScopedVariable(const ScopedVariable&) = delete;
  ScopedVariable& operator=(const ScopedVariable&) = delete;

 private:
  const char* name_;
};

TEST(Configuration, TakesSettingsFromMtraceVariablesAndAFlagWinsOverItsVariable) {
  TempDir dir;
  const auto from_variable = dir.path() / "from-variable.db";
  const ScopedVariable path("MTRACE_SQLITE_PATH", from_variable.string());  // ServerProcess passes --sqlite-path
  const ScopedVariable capacity("MTRACE_RATE_LIMIT_CAPACITY", "5");
  const ScopedVariable refill("MTRACE_RATE_LIMIT_REFILL", "1");
  ServerProcess server(dir.path());
  EXPECT_EQ(server.post_events(batch_json("from-variables", 5)).status, 202);
  EXPECT_EQ(server.post_events(batch_json("from-variables", 1, 6)).status, 429) << "the bucket holds 5 events";
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "mtrace.db"));
  EXPECT_FALSE(std::filesystem::exists(from_variable)) << "the variable won over the flag";
}

// What the server says when it refuses to start with `args` (and the environment as set).
std::string refusal(const std::vector<std::string>& args) {
  TempDir dir;
  try {
    ServerProcess server(dir.path(), args);
  } catch (const std::runtime_error& refused) {
    return refused.what();
  }
  return "(it started)";
}

TEST(Configuration, RefusesABadSettingBeforeItStarts) {
  EXPECT_NE(refusal({"--max-connections", "0"}).find("--max-connections"), std::string::npos)
      << "a server that closes every connection";
  const ScopedVariable capacity("MTRACE_RATE_LIMIT_CAPACITY", "-3");
  const auto said = refusal({});
  EXPECT_NE(said.find("--rate-limit-capacity: must be a number above 0, not -3"), std::string::npos) << said;
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
