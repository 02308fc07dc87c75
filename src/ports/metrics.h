// Metrics: the counters, gauges and histograms that use cases and adapters report, exposed by
// adapters/prometheus as text at GET /api/metrics. Names and label rules: SPEC §8 and
// reference/backend.md §7 (no session, URL, IP, token or trace labels).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/event.h"

namespace mtrace::ports {

// Thread safety: every method may be called from any thread at the same time, and is cheap
// (an atomic add or a short lock): it runs on the ingest hot path.
class Metrics {
 public:
  virtual ~Metrics() = default;

  // mtrace_api_requests_total: every HTTP request, preflights and scrapes included.
  virtual void request_served() = 0;
  // A batch was committed: mtrace_playback_events_total += events.size(), plus the per-event
  // counters (playback errors, rebuffers, startup gauge, WebRTC state counters and deltas).
  virtual void events_accepted(const std::vector<domain::PlaybackEvent>& events) = 0;
  // mtrace_invalid_events_total += n (400 schema, 422 size/field/meta/boundary).
  virtual void events_invalid(std::int64_t n) = 0;
  // mtrace_rate_limited_events_total += n.
  virtual void events_rate_limited(std::int64_t n) = 0;
  // mtrace_cors_preflight_refused_total{route}: `route` is the route pattern, never the raw path.
  virtual void cors_preflight_refused(std::string_view route) = 0;
  // mtrace_analyze_requests_total{outcome,code}.
  virtual void analyze_request(std::string_view outcome, std::string_view code) = 0;

  // mtrace_active_sessions is read at scrape time from this source (sessions in state active).
  virtual void set_active_sessions_source(std::function<std::int64_t()> source) = 0;

  // The Prometheus text exposition (format 0.0.4) of every metric. Thread-safe.
  virtual std::string scrape() = 0;
};

}  // namespace mtrace::ports
