// bench_cold_start [MTRACE]: how long `mtrace serve` takes from exec to accepting requests (its
// "listening" log line), on a new database and again on the database it left, as the median of
// 15 starts each. Beside it, the floor: exec of the same binary for `--version` (loading the
// program and its shared libraries, nothing else). SPEC §6: cold start ≤ 50 ms.
// MTRACE defaults to the mtrace beside this program's folder (BUILD/bench/.. /mtrace).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kStarts = 15;

double millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Starts `argv` with stdout and stderr on a pipe; returns the child's pid and the pipe's read end.
std::pair<pid_t, int> spawn(const std::vector<std::string>& argv) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("pipe");
    std::exit(1);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fds[0]};
}

// Reads the child's output until `marker` appears (true) or the output ends (false).
bool wait_for(int fd, const std::string& marker) {
  std::string seen;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    seen.append(buffer, static_cast<std::size_t>(n));
    if (seen.find(marker) != std::string::npos) return true;
  }
}

void reap(pid_t pid, int fd, bool terminate) {
  if (terminate) kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fd);
}

// One start of `mtrace serve` on `database`: milliseconds until it listens, or a negative value.
double time_serve(const std::string& mtrace, const std::string& database) {
  const auto started = Clock::now();
  const auto [pid, fd] = spawn({mtrace, "serve", "--listen", "127.0.0.1:0", "--sqlite-path", database});
  const bool listening = wait_for(fd, "\"msg\":\"listening\"");
  const double elapsed = millis(Clock::now() - started);
  reap(pid, fd, true);
  return listening ? elapsed : -1;
}

double time_version(const std::string& mtrace) {
  const auto started = Clock::now();
  const auto [pid, fd] = spawn({mtrace, "--version"});
  while (wait_for(fd, "\n")) {
  }
  reap(pid, fd, false);
  return millis(Clock::now() - started);
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const std::string mtrace =
      argc > 1 ? argv[1] : (fs::absolute(argv[0]).parent_path().parent_path() / "mtrace").string();
  if (access(mtrace.c_str(), X_OK) != 0) {
    std::fprintf(stderr, "bench_cold_start: %s is not executable\n", mtrace.c_str());
    return 1;
  }
  char folder_template[] = "/tmp/mtrace-cold-start.XXXXXX";
  const char* folder = mkdtemp(folder_template);
  if (folder == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  std::vector<double> fresh, reopened, version;
  bool failed = false;
  for (int i = 0; i < kStarts && !failed; ++i) {
    const std::string database = std::string(folder) + "/start-" + std::to_string(i) + ".db";
    const double first = time_serve(mtrace, database);
    const double second = time_serve(mtrace, database);
    failed = first < 0 || second < 0;
    fresh.push_back(first);
    reopened.push_back(second);
    version.push_back(time_version(mtrace));
  }
  fs::remove_all(folder);
  if (failed) {
    std::fprintf(stderr, "bench_cold_start: mtrace serve did not report listening\n");
    return 1;
  }
  const double worst = std::max(median(fresh), median(reopened));
  std::printf(
      "cold start: %.1f ms on a new database, %.1f ms reopening it (medians of %d; exec of "
      "`mtrace --version`: %.1f ms) (target ≤ 50 ms) %s\n",
      median(fresh), median(reopened), kStarts, median(version), worst <= 50 ? "PASS" : "MISS");
  return 0;
}
