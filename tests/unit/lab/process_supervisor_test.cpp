#include "adapters/lab/process_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "test_support.h"

namespace mtrace::adapters::lab {
namespace {

using namespace std::chrono_literals;

std::string script(const test::TempDir& dir, const std::string& name, const std::string& body) {
  const auto path = dir.write(name, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0755);
  return path.string();
}

// Polls `condition` for up to 10 s.
template <class Condition>
bool eventually(Condition condition) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < deadline;) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

SupervisorOptions fast_options(std::string program) {
  SupervisorOptions options;
  options.program = std::move(program);
  options.initial_backoff = 20ms;
  options.max_backoff = 100ms;
  options.stop_grace = 300ms;
  return options;
}

TEST(ProcessSupervisor, RestartsAChildThatExitsAndKeepsItsLastError) {
  test::TempDir dir;
  auto options = fast_options(script(dir, "fake-ffmpeg", "echo \"started $1\"\necho 'Conversion failed!' >&2\nexit 1"));
  std::vector<int> generations;
  std::mutex mutex;
  options.arguments = [](int generation) { return std::vector<std::string>{"g" + std::to_string(generation)}; };
  options.before_start = [&](int generation) {
    std::lock_guard lock(mutex);
    generations.push_back(generation);
  };
  ProcessSupervisor supervisor(options);
  supervisor.start();
  ASSERT_TRUE(eventually([&] { return supervisor.status().restarts >= 2; }));
  supervisor.stop();

  const auto status = supervisor.status();
  EXPECT_EQ(status.state, ProcessState::stopped);
  EXPECT_NE(status.last_error.find("exited with status 1"), std::string::npos) << status.last_error;
  EXPECT_NE(status.last_error.find("Conversion failed!"), std::string::npos) << status.last_error;
  std::lock_guard lock(mutex);
  ASSERT_GE(generations.size(), 3u);
  EXPECT_EQ(generations[0], 0);
  EXPECT_EQ(generations[1], 1);
  EXPECT_EQ(generations[2], 2);
}

// The server's descriptors (its sockets have no close-on-exec) do not reach the child.
TEST(ProcessSupervisor, TheChildInheritsNoDescriptorOfTheServer) {
  test::TempDir dir;
  const int null_device = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(null_device, 0);
  const int inherited = ::fcntl(null_device, F_DUPFD, 50);  // no FD_CLOEXEC, like a socket of Asio's
  ASSERT_GE(inherited, 50);
  const auto report = dir.path() / "fds";
  auto options = fast_options(script(dir, "fake-ffmpeg",
                                     "if [ -e /proc/$$/fd/" + std::to_string(inherited) + " ]; then echo open; else echo closed; fi > " +
                                         report.string() + "\nexec sleep 30"));
  ProcessSupervisor supervisor(options);
  supervisor.start();
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(report) && std::filesystem::file_size(report) > 0; }));
  supervisor.stop();
  ::close(inherited);
  ::close(null_device);
  std::ifstream in(report);
  std::string answer;
  in >> answer;
  EXPECT_EQ(answer, "closed");
}

TEST(ProcessSupervisor, ReportsARunningChildAndRestartsItWhenKilled) {
  test::TempDir dir;
  ProcessSupervisor supervisor(fast_options(script(dir, "fake-ffmpeg", "exec sleep 30")));
  supervisor.start();
  ASSERT_TRUE(eventually([&] { return supervisor.status().state == ProcessState::running; }));
  const auto first = supervisor.status();
  ASSERT_TRUE(first.pid.has_value());
  EXPECT_EQ(first.restarts, 0);

  ASSERT_EQ(::kill(*first.pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] {
    const auto now = supervisor.status();
    return now.state == ProcessState::running && now.restarts == 1 && now.pid != first.pid;
  }));
  EXPECT_NE(supervisor.status().last_error.find("killed by signal 9"), std::string::npos);
  const auto second = supervisor.status().pid.value();
  supervisor.stop();
  EXPECT_EQ(supervisor.status().state, ProcessState::stopped);
  EXPECT_FALSE(supervisor.status().pid.has_value());
  EXPECT_NE(::kill(second, 0), 0);  // stopped and reaped
}

TEST(ProcessSupervisor, StopEscalatesToSigkillWhenTheChildIgnoresSigterm) {
  test::TempDir dir;
  const auto ready = dir.path() / "ready";
  ProcessSupervisor supervisor(fast_options(
      script(dir, "stubborn", "trap '' TERM\ntouch " + ready.string() + "\nwhile :; do sleep 0.05; done")));
  supervisor.start();
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(ready); }));
  const auto pid = supervisor.status().pid;
  ASSERT_TRUE(pid.has_value());
  const auto before = std::chrono::steady_clock::now();
  supervisor.stop();
  EXPECT_GE(std::chrono::steady_clock::now() - before, 300ms);  // waited for the grace period
  EXPECT_NE(::kill(*pid, 0), 0);
}

TEST(ProcessSupervisor, AMissingProgramIsReportedAsMissing) {
  ProcessSupervisor supervisor(fast_options("/nonexistent/ffmpeg"));
  supervisor.start();
  ASSERT_TRUE(eventually([&] { return supervisor.status().state == ProcessState::missing; }));
  const auto status = supervisor.status();
  EXPECT_NE(status.last_error.find("/nonexistent/ffmpeg not found"), std::string::npos) << status.last_error;
  EXPECT_FALSE(status.pid.has_value());
  EXPECT_EQ(status.restarts, 0);
  supervisor.stop();
}

TEST(ProcessSupervisor, AProgramThatCannotBeExecutedIsReportedAsMissing) {
  test::TempDir dir;
  const auto not_executable = dir.write("ffmpeg", "#!/bin/sh\nexit 0\n");
  ProcessSupervisor supervisor(fast_options(not_executable.string()));
  supervisor.start();
  ASSERT_TRUE(eventually([&] { return supervisor.status().state == ProcessState::missing; }));
  supervisor.stop();
}

TEST(FindExecutable, LooksUpNamesInPathAndChecksPaths) {
  EXPECT_EQ(find_executable("sh").value_or("").ends_with("/sh"), true);
  EXPECT_FALSE(find_executable("mtrace-no-such-program").has_value());
  EXPECT_FALSE(find_executable("").has_value());
  EXPECT_FALSE(find_executable("/nonexistent/ffmpeg").has_value());
}

}  // namespace
}  // namespace mtrace::adapters::lab
