#include "adapters/lab/process_supervisor.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace mtrace::adapters::lab {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kMaxLineLength = 512;
constexpr int kPollMs = 100;

// Sleeps up to `duration`; returns early (false) when a stop is requested.
bool sleep_unless_stopped(std::stop_token stop, std::chrono::milliseconds duration) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  return !wake.wait_for(lock, stop, duration, [] { return false; }) && !stop.stop_requested();
}

std::string describe_exit(int wait_status) {
  if (WIFEXITED(wait_status)) return "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "killed by signal " + std::to_string(WTERMSIG(wait_status));
  return "ended";
}

// Collects a child's stderr into lines, each bounded to kMaxLineLength.
class LineReader {
 public:
  // Reads what is available; calls `emit` per complete line. False at end of file.
  template <class Emit>
  bool read_available(int fd, Emit&& emit) {
    char buffer[4096];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got == 0) return false;
    if (got < 0) return errno == EAGAIN || errno == EINTR;
    for (ssize_t i = 0; i < got; ++i) {
      const char c = buffer[i];
      if (c == '\n' || c == '\r') {
        if (!pending_.empty()) emit(std::exchange(pending_, {}));
      } else if (pending_.size() < kMaxLineLength) {
        pending_.push_back(c);
      }
    }
    return true;
  }

 private:
  std::string pending_;
};

}  // namespace

std::string_view to_string(ProcessState state) {
  switch (state) {
    case ProcessState::stopped: return "stopped";
    case ProcessState::running: return "running";
    case ProcessState::restarting: return "restarting";
    case ProcessState::missing: return "missing";
  }
  return "stopped";
}

std::optional<std::string> find_executable(const std::string& program) {
  auto executable = [](const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (program.empty()) return std::nullopt;
  if (program.find('/') != std::string::npos) return executable(program) ? std::optional(program) : std::nullopt;
  const char* path_variable = std::getenv("PATH");
  const std::string path = path_variable ? path_variable : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    const std::string directory = end > start ? path.substr(start, end - start) : ".";
    const std::string candidate = directory + "/" + program;
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

ProcessSupervisor::ProcessSupervisor(SupervisorOptions options) : options_(std::move(options)) {}

ProcessSupervisor::~ProcessSupervisor() { stop(); }

void ProcessSupervisor::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void ProcessSupervisor::stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

ProcessStatus ProcessSupervisor::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void ProcessSupervisor::set_status(ProcessState state, std::optional<pid_t> pid, std::optional<std::string> error) {
  std::lock_guard lock(mutex_);
  status_.state = state;
  status_.pid = pid;
  status_.restarts = starts_ > 0 ? starts_ - 1 : 0;
  if (error) status_.last_error = std::move(*error);
}

void ProcessSupervisor::log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

std::optional<std::pair<pid_t, int>> ProcessSupervisor::spawn(const std::string& executable, int generation,
                                                               std::string& error) {
  std::vector<std::string> arguments = options_.arguments ? options_.arguments(generation) : std::vector<std::string>{};
  arguments.insert(arguments.begin(), options_.program);
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);

  int exec_failure[2];
  int output[2];
  if (::pipe2(exec_failure, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (::pipe2(output, O_CLOEXEC) != 0) {
    error = std::string("pipe: ") + std::strerror(errno);
    ::close(exec_failure[0]);
    ::close(exec_failure[1]);
    return std::nullopt;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. It dies with this thread, lives in its own
    // process group (a terminal's Ctrl-C reaches mtrace, which stops it in order), and gets the
    // default signal mask and dispositions back (the server blocks SIGTERM/SIGINT in its threads).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int signal_number : {SIGTERM, SIGINT, SIGPIPE, SIGHUP}) ::sigaction(signal_number, &default_action, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int null_device = ::open("/dev/null", O_RDONLY);
    if (null_device >= 0) ::dup2(null_device, STDIN_FILENO);
    ::dup2(output[1], STDOUT_FILENO);
    ::dup2(output[1], STDERR_FILENO);
    // Nothing else of the server's reaches FFmpeg (its listening socket and connections have no
    // close-on-exec): a connection accepted meanwhile would otherwise stay open in FFmpeg.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execv(executable.c_str(), argv.data());
    const int failure = errno;
    [[maybe_unused]] auto written = ::write(exec_failure[1], &failure, sizeof failure);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(exec_failure[1]);
  ::close(output[1]);
  if (pid < 0) {
    ::close(exec_failure[0]);
    ::close(output[0]);
    error = std::string("fork: ") + std::strerror(fork_errno);
    return std::nullopt;
  }
  int failure = 0;
  ssize_t got;
  do {
    got = ::read(exec_failure[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(exec_failure[0]);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    ::waitpid(pid, nullptr, 0);
    ::close(output[0]);
    error = "cannot run " + executable + ": " + std::strerror(failure);
    return std::nullopt;
  }
  ::fcntl(output[0], F_SETFL, ::fcntl(output[0], F_GETFL) | O_NONBLOCK);
  return std::pair{pid, output[0]};
}

void ProcessSupervisor::run(std::stop_token stop) {
  auto backoff = options_.initial_backoff;
  int generation = 0;
  while (!stop.stop_requested()) {
    const auto executable = find_executable(options_.program);
    std::string error;
    std::optional<std::pair<pid_t, int>> child;
    if (!executable) {
      error = options_.program + " not found (install FFmpeg or pass --ffmpeg PATH)";
    } else {
      if (options_.before_start) options_.before_start(generation);
      child = spawn(*executable, generation, error);
    }
    if (!child) {
      const bool was_missing = status().state == ProcessState::missing;
      set_status(ProcessState::missing, std::nullopt, error);
      if (!was_missing) log(error);
      sleep_unless_stopped(stop, options_.max_backoff);
      continue;
    }
    const auto [pid, output] = *child;
    {
      std::lock_guard lock(mutex_);
      ++starts_;
    }
    ++generation;
    set_status(ProcessState::running, pid, std::nullopt);
    const auto started = Clock::now();

    LineReader reader;
    std::string last_line;
    auto emit = [&](std::string line) {
      log(line);
      last_line = std::move(line);
    };
    int stderr_fd = output;
    int wait_status = 0;
    bool exited = false;
    while (!exited && !stop.stop_requested()) {
      pollfd watched{stderr_fd, POLLIN, 0};
      if (stderr_fd >= 0) {
        if (::poll(&watched, 1, kPollMs) > 0 && !reader.read_available(stderr_fd, emit)) stderr_fd = -1;
      } else {
        ::poll(nullptr, 0, kPollMs);
      }
      exited = ::waitpid(pid, &wait_status, WNOHANG) == pid;
    }
    if (!exited) {  // stop requested
      ::kill(pid, SIGTERM);
      const auto deadline = Clock::now() + options_.stop_grace;
      while (!(exited = ::waitpid(pid, &wait_status, WNOHANG) == pid) && Clock::now() < deadline) ::poll(nullptr, 0, 50);
      if (!exited) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &wait_status, 0);
      }
      ::close(output);
      break;
    }
    for (pollfd watched{stderr_fd, POLLIN, 0}; stderr_fd >= 0 && ::poll(&watched, 1, 0) > 0;) {
      if (!reader.read_available(stderr_fd, emit)) break;
    }
    ::close(output);
    std::string reason = options_.program + " " + describe_exit(wait_status);
    if (!last_line.empty()) reason += ": " + last_line;
    set_status(ProcessState::restarting, std::nullopt, reason);
    log(reason + "; restarting in " + std::to_string(backoff.count()) + " ms");
    if (Clock::now() - started >= options_.healthy_after) backoff = options_.initial_backoff;
    if (!sleep_unless_stopped(stop, backoff)) break;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  set_status(ProcessState::stopped, std::nullopt, std::nullopt);
}

}  // namespace mtrace::adapters::lab
