// Configuration of the OTLP/HTTP trace exporter from the standard OTEL_* environment variables
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/result.h"
#include "ports/tracer.h"

namespace mtrace::adapters::otlp {

// Where traces go: plain HTTP (https is refused at configuration time).
struct HttpEndpoint {
  std::string host;  // name or address to connect to (an IPv6 address without brackets)
  std::string host_header;  // the Host header: host[:port] as written in the URL
  std::uint16_t port = 4318;
  std::string target = "/v1/traces";  // path and query
};

// OTEL_TRACES_SAMPLER (+ _ARG for the ratio).
struct Sampler {
  enum class Root : std::uint8_t { always_on, always_off, trace_id_ratio };
  Root root = Root::always_on;
  double ratio = 1.0;        // for trace_id_ratio, in [0, 1]
  bool parent_based = true;  // parentbased_*: follow Span::parent_sampled when it is set

  bool sample(const ports::Span& span) const;
};

struct ExporterConfig {
  HttpEndpoint endpoint;
  std::vector<std::pair<std::string, std::string>> headers;  // OTEL_EXPORTER_OTLP_(TRACES_)HEADERS
  std::vector<ports::Attribute> resource;  // service.name first, then OTEL_RESOURCE_ATTRIBUTES
  Sampler sampler;
  std::chrono::milliseconds request_timeout{10'000};  // OTEL_EXPORTER_OTLP_(TRACES_)TIMEOUT
  std::size_t max_queue_spans = 2048;                 // OTEL_BSP_MAX_QUEUE_SIZE
  std::size_t max_batch_spans = 512;                  // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
  std::chrono::milliseconds schedule_delay{5'000};    // OTEL_BSP_SCHEDULE_DELAY
  int max_attempts = 5;                               // per batch, retryable failures only
  std::chrono::milliseconds initial_backoff{1'000};   // doubled after each retryable failure
  std::chrono::milliseconds max_backoff{30'000};      // also caps Retry-After
  std::chrono::milliseconds shutdown_timeout{5'000};  // flushing what is queued on shutdown
};

using Environment = std::function<std::optional<std::string>(std::string_view name)>;

// The exporter configuration, or nullopt when trace export is off: OTEL_TRACES_EXPORTER is
// "none", or neither it ("otlp") nor an endpoint variable is set; OTEL_SDK_DISABLED=true also
// turns it off. OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as is; OTEL_EXPORTER_OTLP_ENDPOINT gets
// "/v1/traces" appended; the default is http://localhost:4318. Errors (invalid_argument) name
// the variable: an unparsable or https URL, a protocol other than http/json, a malformed header
// list, an exporter other than otlp or none.
domain::Result<std::optional<ExporterConfig>> config_from_environment(const Environment& env);

// The process environment (std::getenv).
Environment process_environment();

}  // namespace mtrace::adapters::otlp
