// A minimal HTTP/1.1 POST for the OTLP exporter: one connection per request, every step under one
// deadline, so a dead or hanging collector costs at most `timeout`.
#pragma once

#include <chrono>
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

// POSTs `body` as application/json to `endpoint` with the extra `headers`. Blocks the calling
// thread for at most about `timeout`. Reads at most 64 KiB of response body and discards it.
HttpResult post_json(const HttpEndpoint& endpoint,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     std::string body, std::chrono::milliseconds timeout);

}  // namespace mtrace::adapters::otlp
