// ProcessSupervisor: keeps one child process (the lab's FFmpeg) running. It starts the program
// without a shell, restarts it with exponential backoff when it exits, forwards its stderr lines,
// and stops it with SIGTERM, then SIGKILL after a grace period.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace mtrace::adapters::lab {

struct SupervisorOptions {
  std::string program;  // a path, or a name looked up in PATH
  // The arguments (without argv[0]) of the start numbered `generation` (0, 1, 2, …).
  std::function<std::vector<std::string>(int generation)> arguments;
  // Runs on the supervisor thread before each start (e.g. to tidy the output folder).
  std::function<void(int generation)> before_start;
  // Receives each stderr line of the child and the supervisor's own notices. May be empty.
  std::function<void(std::string_view line)> log;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{10'000};
  std::chrono::milliseconds stop_grace{3'000};
  // A child that ran this long resets the backoff to initial_backoff.
  std::chrono::milliseconds healthy_after{10'000};
};

enum class ProcessState { stopped, running, restarting, missing };
std::string_view to_string(ProcessState state);

struct ProcessStatus {
  ProcessState state = ProcessState::stopped;
  int restarts = 0;  // starts after the first one
  std::string last_error;
  std::optional<pid_t> pid;
};

class ProcessSupervisor {
 public:
  explicit ProcessSupervisor(SupervisorOptions options);
  // Stops the child (see stop()).
  ~ProcessSupervisor();

  // Starts supervising on a thread of its own; the first start happens at once. Call once.
  void start();
  // Stops the child (SIGTERM, SIGKILL after stop_grace) and the thread; blocks until both are
  // gone. Idempotent. Thread-safe.
  void stop();
  // Thread-safe.
  ProcessStatus status() const;

 private:
  void run(std::stop_token stop);
  // Starts the child; its pid and the read end of its stderr, or an error message.
  std::optional<std::pair<pid_t, int>> spawn(const std::string& executable, int generation, std::string& error);
  void set_status(ProcessState state, std::optional<pid_t> pid, std::optional<std::string> error);
  void log(std::string_view line) const;

  SupervisorOptions options_;
  mutable std::mutex mutex_;
  ProcessStatus status_;
  int starts_ = 0;
  std::jthread thread_;
};

// The executable `program` names: itself when it contains '/', else the first executable match in
// PATH; nullopt when there is none.
std::optional<std::string> find_executable(const std::string& program);

}  // namespace mtrace::adapters::lab
