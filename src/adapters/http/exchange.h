// The HTTP adapter's own request/response values, free of Beast, so that routes and handlers
// compile fast and are testable without sockets. server.cpp translates to and from Beast.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mtrace::adapters::http {

// Decodes %XX escapes (malformed ones are kept as they are); `plus_is_space` for query strings.
std::string percent_decode(std::string_view text, bool plus_is_space);

struct Request {
  std::string method;  // "GET", "POST", …
  std::string path;    // percent-decoding not applied; never contains the query
  std::string query;   // after '?', raw
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  bool body_too_large = false;  // the body was longer than the route's limit and was not read
  std::string peer_address;     // the TCP peer

  // Sets path and query from a request target in origin form ("/p?q") or in absolute form
  // ("http://host/p?q", which a server must accept: RFC 9112 §3.2.2). A target without a path
  // ("http://host?q") has the path "/"; other targets ("*", "host:443") are kept as the path.
  void set_target(std::string_view target);
  // The first header of that (lowercase) name, or "".
  std::string_view header(std::string_view lowercase_name) const;
  // The first query parameter of that name, percent-decoded; nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // The last X-Forwarded-For entry, which the trusted proxy wrote (repeated header lines are one
  // list, RFC 9110 §5.3), in its canonical form; nullopt unless it is an IP address.
  std::optional<std::string> forwarded_client_address() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Any Origin may read it (the SDK, the lab's media): the router names the request's Origin in
  // Access-Control-Allow-Origin, never "*".
  bool readable_by_any_origin = false;

  static Response json(int status, std::string body);
  static Response error(int status, std::string_view code, std::string_view message);
  Response& with_header(std::string name, std::string value);
};

// An open server-sent-events stream, owned by its connection. Thread-safe.
class EventStream {
 public:
  virtual ~EventStream() = default;
  // Queues bytes for the client. Returns false (and closes the stream) when the stream is closed
  // or the client fell more than the buffer limit behind.
  virtual bool send(std::string bytes) = 0;
  virtual void close() = 0;
  // `callback` runs once when the stream ends for any reason (client gone, close(), shutdown).
  virtual void on_close(std::function<void()> callback) = 0;
};

// How a handler answers: exactly one of respond() or start_stream(), once, from any thread.
struct Exchange {
  std::function<void(Response)> respond;
  // Sends `head` (status and headers; its body is ignored) and keeps the connection for events.
  std::function<std::shared_ptr<EventStream>(Response head)> start_stream;
};

using Handler = std::function<void(Request&, Exchange)>;

// Body limits per route, consulted after the headers are read and before the body is.
using BodyLimit = std::function<std::size_t(const Request& head)>;

}  // namespace mtrace::adapters::http
