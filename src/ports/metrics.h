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
#include "domain/qoe.h"

namespace mtrace::ports {

// Outcome of one OTLP export attempt (label `outcome` of mtrace_otlp_exports_total).
enum class OtlpExportOutcome : std::uint8_t {
  ok,             // 2xx
  retryable,      // 429, 502, 503, 504: the batch is tried again after a backoff
  rejected,       // any other status: the batch is dropped (400 is never retried)
  network_error,  // connect, send or receive failed or timed out
};

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
  // mtrace_cors_preflight_refused_total{path}: `route` is the route pattern, never the raw path
  // (the label keeps the reference's name).
  virtual void cors_preflight_refused(std::string_view route) = 0;
  // mtrace_analyze_requests_total{outcome,code}.
  virtual void analyze_request(std::string_view outcome, std::string_view code) = 0;

  // mtrace_dropped_events_total += n: events of accepted-looking batches that were not kept
  // (the store refused them with 503).
  virtual void events_dropped(std::int64_t n) = 0;
  // mtrace_store_group_retries_total: a store transaction holding many batches failed and each
  // batch was committed again in a transaction of its own, so that only a failing one fails.
  // Stays at 0 on a healthy disk; a rising count means lost throughput and a cause to find.
  virtual void store_group_retried() = 0;
  // mtrace_store_reads_refused_total: an API request that reads or erases stored data got 503
  // because every store worker was busy and their queue full (reads slower than they arrive).
  virtual void store_reads_refused() = 0;
  // mtrace_store_records_unreadable_total: a stored record that did not decode (a damaged
  // database file): a chunk of events, an event's meta or a session's QoE. Reads, replays and the
  // recount at start skip it rather than fail for good. Stays at 0; any other value means data
  // lost on disk.
  virtual void store_record_unreadable() = 0;

  // QoE, from the session's domain::qoe::QoeTracker (SPEC §8 names).
  // mtrace_sessions_started_total: an accepted event created a session.
  virtual void session_started() = 0;
  // A session ended (session_ended event or the sweeper), once per session, with its final QoE:
  // mtrace_sessions_ended_total, and mtrace_playback_failures_total when qoe.failed.
  virtual void session_ended(const domain::Qoe& qoe) = 0;
  // mtrace_startup_seconds histogram: a session's startup time, once per session
  // (QoeTracker::apply's Observed::startup_seconds). Negative or non-finite values are ignored.
  virtual void startup_observed(double seconds) = 0;
  // mtrace_stalls_total and mtrace_stall_duration_seconds histogram: a rebuffer ended, seek
  // stalls excluded (Observed::stall_seconds). Negative or non-finite values are ignored.
  virtual void stall_observed(double seconds) = 0;

  // OTLP export (adapters/otlp): mtrace_otlp_spans_dropped_total += n for spans lost (queue full,
  // batch rejected or out of retries, shutdown with spans queued; never sampled-out spans), and
  // mtrace_otlp_exports_total{outcome} once per HTTP attempt.
  virtual void otlp_spans_dropped(std::int64_t n) = 0;
  virtual void otlp_export(OtlpExportOutcome outcome) = 0;

  // SRT health (reference backend.md §7.1). Values outside the reference's sets count as
  // "_unknown", so the label sets stay bounded.
  // mtrace_srt_health_samples_total{health_state}
  virtual void srt_health_sample(std::string_view health_state) = 0;
  // mtrace_srt_health_collector_runs_total{source_status}
  virtual void srt_collector_run(std::string_view source_status) = 0;
  // mtrace_srt_health_collector_errors_total{source_error_code}
  virtual void srt_collector_error(std::string_view source_error_code) = 0;
  // mtrace_sample_rate_drift_total{project_id}: the one label allowed to carry a project id;
  // past a fixed number of distinct projects the value is "_other".
  virtual void sample_rate_drift(std::string_view project_id) = 0;

  // mtrace_active_sessions is read at scrape time from this source (sessions in state active).
  virtual void set_active_sessions_source(std::function<std::int64_t()> source) = 0;

  // The Prometheus text exposition (format 0.0.4) of every metric. Thread-safe.
  virtual std::string scrape() = 0;
};

}  // namespace mtrace::ports
