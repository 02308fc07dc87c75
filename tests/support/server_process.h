// Test support: runs a real `mtrace serve` on a free loopback port and talks HTTP/1.1 to it over
// plain sockets (no Beast in the tests, so they compile fast and test the server from outside).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace mtrace::testing {

struct HttpResult {
  int status = 0;  // 0: no answer (connection closed or timed out)
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string header(const std::string& name) const {
    auto found = headers.find(name);
    return found == headers.end() ? "" : found->second;
  }
};

class ServerProcess {
 public:
  // Starts `mtrace serve --listen 127.0.0.1:0 --sqlite-path <dir>/mtrace.db` plus `extra_args`
  // and waits (≤ 20 s) for its "listening" line. The binary is MTRACE_BINARY_DIR/mtrace.
  explicit ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args = {});
  ~ServerProcess();  // SIGTERM, then SIGKILL after 10 s

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  // SIGTERM and wait; returns the exit status (as from waitpid's WEXITSTATUS), -1 if killed.
  int terminate();
  void kill_hard();  // SIGKILL and reap
  // Everything the server printed on stdout and stderr so far (read by a background thread).
  std::string output() const;

  HttpResult request(const std::string& method, const std::string& target,
                     const std::map<std::string, std::string>& headers = {}, const std::string& body = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  HttpResult get(const std::string& target, const std::string& token = "demo-token") const;
  HttpResult post_events(const std::string& body, const std::map<std::string, std::string>& headers = {}) const;

 private:
  std::filesystem::path data_dir_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::uint16_t port_ = 0;
  struct Output;
  std::shared_ptr<Output> output_;
};

// A connected loopback TCP socket to `port`, or -1. A `receive_buffer` > 0 is set before connecting,
// so that the window the peer sees stays that small.
int connect_loopback(std::uint16_t port, int receive_buffer = 0);
// Reads a response head byte by byte, so that nothing after it is taken: the head with its blank
// line, or what came before the peer closed or `timeout` passed between two bytes.
std::string read_head(int fd, std::chrono::milliseconds timeout);
// Sends raw bytes and reads until the peer closes or `timeout` passes.
std::string exchange_raw(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout);
HttpResult parse_response(const std::string& raw);

// A valid batch of `count` events for `session_id` (sequence numbers from `first_sequence`).
std::string batch_json(const std::string& session_id, int count, int first_sequence = 1,
                       const std::string& event_name = "segment_loaded", const std::string& extra_meta = "");
// The current time as RFC 3339.
std::string now_rfc3339();

}  // namespace mtrace::testing
