#include "server_process.h"

#include "domain/timestamp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mtrace::testing {

struct ServerProcess::Output {
  std::mutex mutex;
  std::string text;
  std::thread reader;
};

ServerProcess::ServerProcess(std::filesystem::path data_dir, std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)), output_(std::make_shared<Output>()) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  const std::string binary = std::string(MTRACE_BINARY_DIR) + "/mtrace";
  std::vector<std::string> args{binary, "serve", "--listen", "127.0.0.1:0", "--sqlite-path",
                                (data_dir_ / "mtrace.db").string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);  // usage errors and sanitizer reports too
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  stdout_fd_ = pipe_fds[0];
  output_->reader = std::thread([fd = stdout_fd_, output = output_] {
    char buffer[4096];
    for (;;) {
      const auto n = read(fd, buffer, sizeof buffer);
      if (n <= 0) return;
      std::lock_guard lock(output->mutex);
      output->text.append(buffer, static_cast<std::size_t>(n));
    }
  });
  // Fails the test with what the server said, its reader joined first (a joinable thread left
  // behind would end the whole test program).
  const auto give_up = [this](const std::string& why) {
    kill_hard();
    output_->reader.join();  // the pipe ends with the process
    close(stdout_fd_);
    stdout_fd_ = -1;
    throw std::runtime_error(why + output());
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(output_->mutex);
      const auto at = output_->text.find("\"msg\":\"listening\"");
      if (at != std::string::npos) {
        const auto port_at = output_->text.find("\"port\":", at);
        if (port_at != std::string::npos) {
          port_ = static_cast<std::uint16_t>(std::stoi(output_->text.substr(port_at + 7)));
          return;
        }
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      give_up("mtrace exited before listening: ");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  give_up("mtrace did not listen within 20 s: ");
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) terminate();
  if (output_->reader.joinable()) output_->reader.join();
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

int ServerProcess::terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill_hard();
  return -1;
}

void ServerProcess::kill_hard() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string ServerProcess::output() const {
  std::lock_guard lock(output_->mutex);
  return output_->text;
}

int connect_loopback(std::uint16_t port, int receive_buffer) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string read_head(int fd, std::chrono::milliseconds timeout) {
  std::string head;
  char byte = 0;
  while (!head.ends_with("\r\n\r\n")) {
    pollfd ready{fd, POLLIN, 0};
    if (poll(&ready, 1, static_cast<int>(timeout.count())) != 1 || recv(fd, &byte, 1, 0) != 1) break;
    head += byte;
  }
  return head;
}

std::string exchange_raw(std::uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  const int fd = connect_loopback(port);
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[8192];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd poll_fd{fd, POLLIN, 0};
    if (poll(&poll_fd, 1, static_cast<int>(left.count())) <= 0) break;
    const auto n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return response;
}

HttpResult parse_response(const std::string& raw) {
  HttpResult result;
  const auto header_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || header_end == std::string::npos) return result;
  result.status = std::stoi(raw.substr(9, 3));
  std::istringstream lines(raw.substr(0, header_end));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    result.headers[name] = value;
  }
  result.body = raw.substr(header_end + 4);
  return result;
}

HttpResult ServerProcess::request(const std::string& method, const std::string& target,
                                  const std::map<std::string, std::string>& headers, const std::string& body,
                                  std::chrono::milliseconds timeout) const {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                    "\r\nConnection: close\r\n";
  for (const auto& [name, value] : headers) raw += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "\r\n" + body;
  return parse_response(exchange_raw(port_, raw, timeout));
}

HttpResult ServerProcess::get(const std::string& target, const std::string& token) const {
  std::map<std::string, std::string> headers;
  if (!token.empty()) headers["X-MTrace-Token"] = token;
  return request("GET", target, headers);
}

HttpResult ServerProcess::post_events(const std::string& body, const std::map<std::string, std::string>& headers) const {
  std::map<std::string, std::string> all{{"X-MTrace-Token", "demo-token"}, {"Content-Type", "application/json"}};
  for (const auto& [name, value] : headers) all[name] = value;
  return request("POST", "/api/playback-events", all, body);
}

std::string now_rfc3339() {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return domain::format_rfc3339_millis(now.count());
}

std::string batch_json(const std::string& session_id, int count, int first_sequence, const std::string& event_name,
                       const std::string& extra_meta) {
  std::string events;
  const auto timestamp = now_rfc3339();
  for (int i = 0; i < count; ++i) {
    if (i > 0) events += ",";
    events += R"({"event_name":")" + event_name + R"(","project_id":"demo","session_id":")" + session_id +
              R"(","client_timestamp":")" + timestamp + R"(","sequence_number":)" +
              std::to_string(first_sequence + i) +
              R"(,"sdk":{"name":"test","version":"1.0.0"},"meta":{"segment":)" + std::to_string(i) + extra_meta + "}}";
  }
  return R"({"schema_version":"1.0","events":[)" + events + "]}";
}

}  // namespace mtrace::testing
