// IngestPlaybackEvents: the use case behind POST /api/playback-events. Authenticates, validates,
// rate-limits, applies a batch to its sessions, persists it, and only then acknowledges it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "app/project_registry.h"
#include "app/session_registry.h"
#include "ports/clock.h"
#include "ports/event_store.h"
#include "ports/live_bus.h"
#include "ports/metrics.h"
#include "ports/rate_limiter.h"
#include "ports/tracer.h"

namespace mtrace::app {

// One ingest request as the HTTP adapter received it. Views stay valid until `ingest` returns.
struct IngestCall {
  std::string_view token;           // X-MTrace-Token
  std::string_view origin;          // Origin, empty when absent
  std::string_view client_address;  // the peer, or the trusted X-Forwarded-For entry
  std::string_view user_agent;
  std::string_view body;
  bool body_too_large = false;      // the body was cut at the size limit
  std::string_view trace_id;        // from a valid traceparent (the playback session's), else empty
  std::string_view span_id;         // of the server span of this request
};

struct IngestReply {
  int status = 202;
  std::string json_body;
  std::int64_t retry_after_seconds = 0;  // > 0: send Retry-After
  std::string outcome;                   // accepted, unauthorized, forbidden, too_large, invalid, rate_limited, unavailable
  std::size_t batch_size = 0;
  std::size_t session_count = 0;
  std::string project_id;                // once the token resolved
};

class IngestPlaybackEvents {
 public:
  struct Dependencies {
    const ProjectRegistry& projects;
    SessionRegistry& sessions;
    ports::EventStore& store;
    ports::RateLimiter& rate_limiter;
    ports::LiveBus& live_bus;
    ports::Metrics& metrics;
    ports::TraceExporter& tracer;
    const ports::Clock& clock;
  };
  // `trace_segments`: export a span per reported segment request (segment_spans.h) with the
  // batch, when the tracer is enabled.
  explicit IngestPlaybackEvents(Dependencies dependencies, bool trace_segments = false)
      : deps_(dependencies), trace_segments_(trace_segments && dependencies.tracer.enabled()) {}

  // Handles one request. `reply` is called exactly once: at once for a refusal, or from the store's
  // writer thread once the batch is durable (202) or could not be stored (503). Thread-safe.
  void ingest(const IngestCall& call, std::function<void(IngestReply)> reply);

 private:
  static constexpr int kMaxApplyAttempts = 3;
  // Applies the batch to its sessions and queues it in the store, which replies; false when the
  // registry refused it (SessionRegistry::apply).
  bool apply_and_store(const std::shared_ptr<ports::AppendBatch>& append, const BatchContext& context,
                       std::uint64_t drops, IngestReply& base, const std::function<void(IngestReply)>& reply);

  Dependencies deps_;
  const bool trace_segments_;
};

}  // namespace mtrace::app
