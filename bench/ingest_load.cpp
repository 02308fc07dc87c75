// bench_ingest_load: an HTTP/1.1 keep-alive load generator for a loopback target, one thread on
// epoll. It prints one JSON line: requests, responses by status, requests/s, events/s and latency
// percentiles.
//   closed loop (peak):  bench_ingest_load --target 127.0.0.1:PORT --connections 64 --duration 10
//   open loop (latency): bench_ingest_load --target 127.0.0.1:PORT --rate 12000 --duration 10
// Closed loop: every connection sends its next request as soon as the previous answer is read.
// Open loop: request i is due at start + i/rate whatever happened before; its latency runs from
// that due time, so a server that falls behind shows its queueing (no coordinated omission).
// --workload ingest posts the SPEC §8 workload to /api/playback-events: 10,000 sessions
// interleaved, each request one batch of 10 events of one session with increasing sequence
// numbers (--first-request continues the numbering of an earlier run against the same server).
// --workload bare sends `GET /`, for a server that answers a bare 204.
// The run stops by itself: after --duration it waits at most --grace seconds for answers in flight.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest_workload.h"

namespace {

using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;
constexpr int kMaxConnections = 4096;
constexpr double kMaxDurationSeconds = 600;

struct Options {
  std::string host;
  sockaddr_storage address{};
  socklen_t address_length = 0;
  std::string workload = "ingest";
  std::string path;
  std::string token = "demo-token";
  std::string project = "demo";
  int connections = 64;
  double duration_s = 10;
  double grace_s = 5;
  double rate = 0;  // requests/s; 0 = closed loop
  int sessions = 10'000;
  std::uint64_t first_request = 0;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::fprintf(stderr,
               "bench_ingest_load: %s\n"
               "usage: bench_ingest_load --target 127.0.0.1:PORT [--workload ingest|bare] [--path P]\n"
               "       [--connections N] [--duration S] [--rate R] [--grace S] [--sessions N]\n"
               "       [--first-request K] [--token T] [--project P]\n",
               message.c_str());
  std::exit(2);
}

double parse_number(std::string_view flag, const std::string& text, double low, double high) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < low || value > high) {
    usage_error(std::string(flag) + " takes a number in [" + std::to_string(low) + ", " + std::to_string(high) + "]");
  }
  return value;
}

// Only loopback targets: 127.0.0.0/8, ::1 or "localhost".
void parse_target(const std::string& target, Options& options) {
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) usage_error("--target is HOST:PORT");
  std::string host = target.substr(0, colon);
  const auto port = parse_number("--target port", target.substr(colon + 1), 1, 65535);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  options.host = host.find(':') == std::string::npos ? host : std::string("[").append(host).append("]");
  options.host.append(":").append(std::to_string(static_cast<int>(port)));
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) != 127) usage_error("refusing a target that is not loopback: " + host);
    auto* a = reinterpret_cast<sockaddr_in*>(&options.address);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(port));
    a->sin_addr = v4;
    options.address_length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6)) usage_error("refusing a target that is not loopback: " + host);
    auto* a = reinterpret_cast<sockaddr_in6*>(&options.address);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    a->sin6_addr = v6;
    options.address_length = sizeof(sockaddr_in6);
  } else {
    usage_error("--target host must be a loopback address, not " + host);
  }
}

Options parse_options(int argc, char** argv) {
  Options options;
  bool have_target = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage_error(std::string(flag) + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--target") {
      parse_target(value, options);
      have_target = true;
    } else if (flag == "--workload") {
      if (value != "ingest" && value != "bare") usage_error("--workload is ingest or bare");
      options.workload = value;
    } else if (flag == "--path") {
      if (value.empty() || value.front() != '/' || value.find_first_of(" \r\n") != std::string::npos) {
        usage_error("--path is an absolute path without spaces");
      }
      options.path = value;
    } else if (flag == "--connections") {
      options.connections = static_cast<int>(parse_number(flag, value, 1, kMaxConnections));
    } else if (flag == "--duration") {
      options.duration_s = parse_number(flag, value, 0.1, kMaxDurationSeconds);
    } else if (flag == "--grace") {
      options.grace_s = parse_number(flag, value, 0, 60);
    } else if (flag == "--rate") {
      options.rate = parse_number(flag, value, 1, 10'000'000);
    } else if (flag == "--sessions") {
      options.sessions = static_cast<int>(parse_number(flag, value, 1, 10'000'000));
    } else if (flag == "--first-request") {
      options.first_request = static_cast<std::uint64_t>(parse_number(flag, value, 0, 1e15));
    } else if (flag == "--token") {
      if (value.find_first_of("\r\n") != std::string::npos) usage_error("--token has no line breaks");
      options.token = value;
    } else if (flag == "--project") {
      if (value.find_first_of("\"\\\r\n") != std::string::npos) usage_error("--project has no quotes or breaks");
      options.project = value;
    } else {
      usage_error("unknown option " + std::string(flag));
    }
  }
  if (!have_target) usage_error("--target is required");
  if (options.path.empty()) options.path = options.workload == "ingest" ? "/api/playback-events" : "/";
  return options;
}

// Latency histogram in microseconds: exact below 1024 µs, then 512 sub-buckets per power of two
// (0.2 % resolution); fixed size whatever the run length.
class Histogram {
 public:
  void record(std::uint64_t micros) {
    ++counts_[index(std::min<std::uint64_t>(micros, kMaxMicros))];
    ++total_;
    max_ = std::max(max_, micros);
  }
  std::uint64_t total() const { return total_; }
  std::uint64_t max() const { return max_; }
  double percentile_ms(double p) const {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * double(total_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= std::max<std::uint64_t>(rank, 1)) return double(std::min(value(i), max_)) / 1000.0;
    }
    return double(max_) / 1000.0;
  }

 private:
  static constexpr std::uint64_t kMaxMicros = 1ull << 40;
  static constexpr std::size_t kBuckets = 1024 + 31 * 512;
  static std::size_t index(std::uint64_t v) {
    if (v < 1024) return v;
    const int shift = std::bit_width(v) - 10;  // v >> shift lies in [512, 1023]
    return 1024 + std::size_t(shift - 1) * 512 + std::size_t((v >> shift) - 512);
  }
  static std::uint64_t value(std::size_t i) {  // the upper edge of bucket i
    if (i < 1024) return i;
    const std::size_t shift = (i - 1024) / 512 + 1;
    return ((((i - 1024) % 512) + 512 + 1) << shift) - 1;
  }
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

// The HTTP requests of the ingest workload (bench/ingest_workload.h) for one target.
class IngestRequests {
 public:
  explicit IngestRequests(const Options& options) : options_(options), workload_(options.sessions, options.project) {}

  void build(std::uint64_t k, std::string& out) {
    const std::string& body = workload_.body(k);
    out.clear();
    out += "POST ", out += options_.path, out += " HTTP/1.1\r\nHost: ", out += options_.host;
    out += "\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Safari/537.36\r\nContent-Type: application/json\r\nX-MTrace-Token: ";
    out += options_.token;
    out += "\r\ntraceparent: 00-", out += workload_.trace_id(k), out += '-';
    mtrace::bench::append_hex(out, mtrace::bench::mix(k) | 1, 16);
    out += "-01\r\nContent-Length: ", mtrace::bench::append_number(out, body.size()), out += "\r\n\r\n";
    out += body;
  }

 private:
  const Options& options_;
  mtrace::bench::IngestWorkload workload_;
};

// What one response looks like once its head is read.
struct ResponseHead {
  int status = 0;
  std::size_t head_bytes = 0;
  std::optional<std::size_t> content_length;
  bool chunked = false;
  bool close = false;
};

bool header_is(std::string_view line, std::string_view name, std::string_view& value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  value = line.substr(name.size() + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return true;
}

bool equals_lower(std::string_view text, std::string_view lower) {
  return text.size() == lower.size() &&
         std::equal(text.begin(), text.end(), lower.begin(),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// nullopt: incomplete; a head with status 0: malformed.
std::optional<ResponseHead> parse_head(std::string_view data) {
  const auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  ResponseHead head;
  head.head_bytes = end + 4;
  const auto status_end = data.find("\r\n");
  const auto status_line = data.substr(0, status_end);
  if (status_line.size() < 12 || !status_line.starts_with("HTTP/1.")) return ResponseHead{};
  std::from_chars(status_line.data() + 9, status_line.data() + 12, head.status);
  if (head.status < 100 || head.status > 599) return ResponseHead{};
  if (status_line.starts_with("HTTP/1.0")) head.close = true;
  std::size_t at = status_end + 2;
  while (at < end) {
    const auto line_end = data.find("\r\n", at);
    const auto line = data.substr(at, line_end - at);
    at = line_end + 2;
    std::string_view value;
    if (header_is(line, "content-length", value)) {
      std::size_t length = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
      if (ec != std::errc{} || ptr != value.data() + value.size() || length > kMaxBodyBytes) return ResponseHead{};
      head.content_length = length;
    } else if (header_is(line, "transfer-encoding", value)) {
      head.chunked = equals_lower(value, "chunked");
      if (!head.chunked) return ResponseHead{};
    } else if (header_is(line, "connection", value)) {
      if (equals_lower(value, "close")) head.close = true;
      if (equals_lower(value, "keep-alive")) head.close = false;
    }
  }
  if (head.status == 204 || head.status == 304 || head.status < 200) head.content_length = 0;
  if (!head.chunked && !head.content_length) return ResponseHead{};  // read-until-close: not for keep-alive load
  return head;
}

// The length of a chunked body starting at data[0], nullopt while incomplete, SIZE_MAX if malformed.
std::optional<std::size_t> chunked_length(std::string_view data) {
  std::size_t at = 0;
  while (true) {
    const auto line_end = data.find("\r\n", at);
    if (line_end == std::string_view::npos) return data.size() - at > 64 ? std::optional(SIZE_MAX) : std::nullopt;
    std::size_t size = 0;
    const auto [ptr, ec] = std::from_chars(data.data() + at, data.data() + line_end, size, 16);
    if (ec != std::errc{} || size > kMaxBodyBytes) return SIZE_MAX;
    at = line_end + 2;
    if (size == 0) {  // trailers, then an empty line
      while (true) {
        const auto trailer_end = data.find("\r\n", at);
        if (trailer_end == std::string_view::npos) return std::nullopt;
        if (trailer_end == at) return at + 2;
        at = trailer_end + 2;
      }
    }
    if (data.size() < at + size + 2) return std::nullopt;
    at += size + 2;
  }
}

struct Connection {
  int fd = -1;
  std::string out;
  std::size_t out_sent = 0;
  std::vector<char> in;
  std::size_t in_length = 0;
  bool busy = false;
  bool want_write = false;
  Clock::time_point started;  // the due time (open loop) or the send time (closed loop)
};

class LoadGenerator {
 public:
  explicit LoadGenerator(Options options) : options_(std::move(options)), next_request_(options_.first_request) {
    if (options_.workload == "ingest") ingest_.emplace(options_);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) fail("epoll_create1");
    connections_.resize(std::size_t(options_.connections));
  }
  ~LoadGenerator() {
    for (auto& c : connections_) close_connection(c);
    close(epoll_);
  }

  int run() {
    for (auto& c : connections_) {
      if (!open_connection(c)) {
        std::fprintf(stderr, "bench_ingest_load: cannot connect to %s: %s\n", options_.host.c_str(),
                     std::strerror(errno));
        return 1;
      }
    }
    start_ = Clock::now();
    deadline_ = start_ + std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(options_.duration_s));
    const auto drain_end = deadline_ + std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(options_.grace_s));
    scheduled_total_ = options_.rate > 0 ? std::uint64_t(options_.rate * options_.duration_s) : 0;
    if (open_loop()) {
      for (auto& c : connections_) idle_.push_back(&c);
    } else {
      for (auto& c : connections_) send_request(c, Clock::now());
    }
    std::array<epoll_event, 256> events;
    while (true) {
      const auto now = Clock::now();
      if (open_loop()) dispatch_due(now);
      if (now >= deadline_ && in_flight_ == 0 && (!open_loop() || sent_scheduled_ >= due_count(now))) break;
      if (now >= drain_end) break;
      auto wake = now < deadline_ ? deadline_ : drain_end;
      if (open_loop() && sent_scheduled_ < scheduled_total_ && !idle_.empty()) wake = std::min(wake, due_time(sent_scheduled_));
      const auto wait = std::max(Nanos(0), std::chrono::duration_cast<Nanos>(wake - now));
      timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000), static_cast<long>(wait.count() % 1'000'000'000)};
      const int n = epoll_pwait2(epoll_, events.data(), int(events.size()), &timeout, nullptr);
      if (n < 0 && errno != EINTR) fail("epoll_pwait2");
      for (int i = 0; i < n; ++i) handle(*static_cast<Connection*>(events[std::size_t(i)].data.ptr), events[std::size_t(i)].events);
    }
    report(Clock::now());
    return 0;
  }

 private:
  bool open_loop() const { return options_.rate > 0; }
  Clock::time_point due_time(std::uint64_t i) const {
    return start_ + Nanos(static_cast<std::int64_t>(double(i) * 1e9 / options_.rate));
  }
  std::uint64_t due_count(Clock::time_point now) const {
    if (now < start_) return 0;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    return std::min(scheduled_total_, std::uint64_t(elapsed * options_.rate) + 1);
  }

  [[noreturn]] static void fail(const char* what) {
    std::fprintf(stderr, "bench_ingest_load: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
  }

  bool open_connection(Connection& c) {
    c.fd = socket(options_.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return false;
    if (connect(c.fd, reinterpret_cast<const sockaddr*>(&options_.address), options_.address_length) != 0) {
      close_connection(c);
      return false;
    }
    const int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const int flags = fcntl(c.fd, F_GETFL);
    fcntl(c.fd, F_SETFL, flags | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.ptr = &c;
    if (epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event) != 0) fail("epoll_ctl");
    c.in.resize(16 * 1024);
    c.in_length = 0;
    c.want_write = false;
    ++connects_;
    return true;
  }

  void close_connection(Connection& c) {
    if (c.fd >= 0) close(c.fd);  // closing removes it from the epoll set
    c.fd = -1;
  }

  void send_request(Connection& c, Clock::time_point started) {
    const std::uint64_t k = next_request_++;
    if (ingest_) {
      ingest_->build(k, c.out);
    } else {
      c.out.clear();
      c.out += "GET ", c.out += options_.path, c.out += " HTTP/1.1\r\nHost: ", c.out += options_.host, c.out += "\r\n\r\n";
    }
    c.out_sent = 0;
    c.busy = true;
    c.started = started;
    ++requests_;
    ++in_flight_;
    flush(c);
  }

  void flush(Connection& c) {
    while (c.out_sent < c.out.size()) {
      const auto n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        set_write_interest(c, true);
        return;
      }
      if (n <= 0) return fail_request(c);
      c.out_sent += std::size_t(n);
    }
    set_write_interest(c, false);
  }

  void set_write_interest(Connection& c, bool on) {
    if (c.want_write == on) return;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0u);
    event.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
    c.want_write = on;
  }

  void handle(Connection& c, std::uint32_t events) {
    if (c.fd < 0) return;
    if (events & EPOLLOUT) flush(c);
    if (c.fd < 0 || !(events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) return;
    while (true) {
      if (c.in_length == c.in.size()) {
        if (c.in.size() >= kMaxHeaderBytes + kMaxBodyBytes) return fail_request(c);
        c.in.resize(c.in.size() * 2);
      }
      const auto n = ::recv(c.fd, c.in.data() + c.in_length, c.in.size() - c.in_length, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) return fail_request(c);  // closed or reset, with or without a request in flight
      c.in_length += std::size_t(n);
      if (!consume(c)) return;
    }
  }

  // Takes the complete responses out of the read buffer; false when the connection was replaced.
  bool consume(Connection& c) {
    while (c.in_length > 0) {
      const std::string_view data(c.in.data(), c.in_length);
      const auto head = parse_head(data);
      if (!head) {
        if (data.size() > kMaxHeaderBytes) return fail_request(c), false;
        return true;
      }
      if (head->status == 0 || !c.busy) return fail_request(c), false;
      std::size_t body = 0;
      if (head->chunked) {
        const auto length = chunked_length(data.substr(head->head_bytes));
        if (!length) return true;
        if (*length == SIZE_MAX) return fail_request(c), false;
        body = *length;
      } else {
        body = *head->content_length;
        if (data.size() < head->head_bytes + body) return true;
      }
      if (head->status < 200) {  // an interim answer: the real one follows
        drop_front(c, head->head_bytes + body);
        continue;
      }
      drop_front(c, head->head_bytes + body);
      complete(c, head->status);
      if (head->close) {
        reconnect(c, true);
        return false;
      }
      if (c.in_length > 0) return fail_request(c), false;  // we never pipeline: extra bytes are garbage
      next(c);
      return true;
    }
    return true;
  }

  static void drop_front(Connection& c, std::size_t bytes) {
    std::memmove(c.in.data(), c.in.data() + bytes, c.in_length - bytes);
    c.in_length -= bytes;
  }

  void complete(Connection& c, int status) {
    const auto now = Clock::now();
    c.busy = false;
    --in_flight_;
    ++statuses_[status];
    if (now <= deadline_) {
      ++completed_in_window_;
      if (status == 202) ++accepted_in_window_;
    }
    if (status == 202) ++accepted_;
    latency_.record(std::uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(now - c.started).count()));
  }

  // After an answer: closed loop sends again until the deadline; open loop returns the connection.
  void next(Connection& c) {
    if (open_loop()) {
      idle_.push_back(&c);
      dispatch_due(Clock::now());
    } else if (Clock::now() < deadline_) {
      send_request(c, Clock::now());
    }
  }

  void dispatch_due(Clock::time_point now) {
    const auto due = due_count(now);
    while (sent_scheduled_ < due && !idle_.empty()) {
      Connection* c = idle_.back();
      idle_.pop_back();
      send_request(*c, due_time(sent_scheduled_++));
    }
  }

  // A reset, a close or garbage: the request in flight (if any) failed; a fresh connection takes
  // over the same slot.
  void fail_request(Connection& c) {
    const bool was_busy = c.busy;
    if (was_busy) {
      c.busy = false;
      --in_flight_;
      ++failed_;
    }
    reconnect(c, was_busy);
  }

  // `resume`: the slot was working, so it takes the next request; an idle slot stays where it is.
  void reconnect(Connection& c, bool resume) {
    close_connection(c);
    if (!open_connection(c)) {
      ++connect_failures_;
      return;  // the slot stays closed; the others carry on
    }
    if (resume) next(c);
  }

  void report(Clock::time_point end) {
    const double window = options_.duration_s;
    std::string statuses;
    for (const auto& [status, count] : statuses_) {
      if (!statuses.empty()) statuses += ',';
      statuses.append("\"").append(std::to_string(status)).append("\":").append(std::to_string(count));
    }
    const int events_per_request = ingest_ ? mtrace::bench::kEventsPerBatch : 0;
    std::printf(
        "{\"mode\":\"%s\",\"workload\":\"%s\",\"target\":\"%s\",\"connections\":%d,\"duration_s\":%.3f,"
        "\"offered_rate\":%.1f,\"requests\":%llu,\"responses\":{%s},\"failed\":%llu,\"unsent\":%llu,"
        "\"abandoned\":%llu,\"reconnects\":%llu,\"connect_failures\":%llu,\"requests_per_s\":%.1f,\"events_per_s\":%.1f,"
        "\"events_accepted\":%llu,\"next_request\":%llu,\"elapsed_s\":%.3f,"
        "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
        open_loop() ? "open" : "closed", options_.workload.c_str(), options_.host.c_str(), options_.connections,
        window, options_.rate, (unsigned long long)requests_, statuses.c_str(), (unsigned long long)failed_,
        (unsigned long long)(open_loop() ? scheduled_total_ - sent_scheduled_ : 0), (unsigned long long)in_flight_,
        (unsigned long long)(connects_ - std::uint64_t(options_.connections)),
        (unsigned long long)connect_failures_, double(completed_in_window_) / window,
        double(accepted_in_window_ * std::uint64_t(events_per_request)) / window,
        (unsigned long long)(accepted_ * std::uint64_t(events_per_request)), (unsigned long long)next_request_,
        std::chrono::duration<double>(end - start_).count(), latency_.percentile_ms(50), latency_.percentile_ms(90),
        latency_.percentile_ms(99), double(latency_.max()) / 1000.0);
    std::fflush(stdout);
  }

  Options options_;
  std::optional<IngestRequests> ingest_;
  int epoll_ = -1;
  std::vector<Connection> connections_;
  std::vector<Connection*> idle_;
  Clock::time_point start_, deadline_;
  std::uint64_t next_request_ = 0;
  std::uint64_t scheduled_total_ = 0, sent_scheduled_ = 0;
  std::uint64_t requests_ = 0, in_flight_ = 0, failed_ = 0, connects_ = 0, connect_failures_ = 0;
  std::uint64_t completed_in_window_ = 0, accepted_in_window_ = 0, accepted_ = 0;
  std::map<int, std::uint64_t> statuses_;
  Histogram latency_;
};

}  // namespace

int main(int argc, char** argv) {
  LoadGenerator generator(parse_options(argc, argv));
  return generator.run();
}
