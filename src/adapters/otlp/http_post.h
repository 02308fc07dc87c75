// A minimal HTTP/1.1 client for the OTLP exporter: POSTs to one endpoint over a connection kept
// open between requests, every step of a request under one deadline, so a dead or hanging
// collector costs at most the timeout.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/otlp/otlp_config.h"

namespace mtrace::adapters::otlp {

struct HttpResult {
  int status = 0;  // 0: no response (resolve, connect, send or receive failed or timed out)
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After of delta-seconds
  std::string error;                                // what failed when status == 0
};

// Not thread-safe: one thread posts at a time (the exporter's sender thread).
class HttpPoster {
 public:
  struct Connection;  // what a kept connection holds; Asio and Beast stay in http_post.cpp

  explicit HttpPoster(HttpEndpoint endpoint);
  ~HttpPoster();
  HttpPoster(const HttpPoster&) = delete;
  HttpPoster& operator=(const HttpPoster&) = delete;

  // POSTs `body` as application/json with the extra `headers`. Blocks for at most about
  // `timeout`. Reuses the open connection when there is one; when the collector had closed it
  // (nothing came back on it), sends once more on a new connection. Reads at most 64 KiB of
  // response body and discards it. After a failure, or a response that asks to close, the next
  // POST connects afresh.
  HttpResult post_json(const std::vector<std::pair<std::string, std::string>>& headers, std::string body,
                       std::chrono::milliseconds timeout);

 private:
  HttpEndpoint endpoint_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace mtrace::adapters::otlp
