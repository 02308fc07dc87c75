#include "adapters/prometheus/prometheus_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <string_view>

namespace mtrace::adapters {

namespace {

namespace prom = ::prometheus;
using namespace std::string_view_literals;

constexpr std::string_view kUnknown = "_unknown";
constexpr std::string_view kOther = "_other";

constexpr std::initializer_list<std::string_view> kAnalyzeOutcomes = {"ok"sv, "error"sv};
constexpr std::initializer_list<std::string_view> kAnalyzeCodes = {
    "ok"sv, "invalid_request"sv, "invalid_json"sv, "unsupported_media_type"sv,
    "payload_too_large"sv, "invalid_input"sv, "manifest_not_hls"sv, "manifest_not_supported"sv,
    "fetch_blocked"sv, "fetch_failed"sv, "manifest_too_large"sv, "internal_error"sv,
    "analyzer_unavailable"sv, "analyzer_busy"sv};
constexpr std::initializer_list<std::string_view> kHealthStates = {"healthy"sv, "degraded"sv,
                                                                   "critical"sv, "unknown"sv};
constexpr std::initializer_list<std::string_view> kSourceStatuses = {
    "ok"sv, "unavailable"sv, "partial"sv, "stale"sv, "no_active_connection"sv};
constexpr std::initializer_list<std::string_view> kSourceErrorCodes = {
    "none"sv, "source_unavailable"sv, "no_active_connection"sv, "partial_sample"sv,
    "stale_sample"sv, "parse_error"sv};
constexpr std::initializer_list<std::string_view> kConnectionStates = {
    "new"sv, "connecting"sv, "connected"sv, "disconnected"sv, "failed"sv, "closed"sv};
constexpr std::initializer_list<std::string_view> kIceStates = {
    "new"sv, "checking"sv, "connected"sv, "completed"sv, "failed"sv, "disconnected"sv, "closed"sv};
constexpr std::initializer_list<std::string_view> kDtlsStates = {
    "new"sv, "connecting"sv, "connected"sv, "closed"sv, "failed"sv};

// `value` when it is one of `allowed`, else "_unknown": label values stay a fixed set.
std::string bounded(std::string_view value, std::initializer_list<std::string_view> allowed) {
  const bool known = std::find(allowed.begin(), allowed.end(), value) != allowed.end();
  return std::string{known ? value : kUnknown};
}

prom::Counter& counter(prom::Registry& registry, const std::string& name, const std::string& help) {
  return prom::BuildCounter().Name(name).Help(help).Register(registry).Add({});
}

prom::Family<prom::Counter>& counter_family(prom::Registry& registry, const std::string& name,
                                            const std::string& help) {
  return prom::BuildCounter().Name(name).Help(help).Register(registry);
}

prom::Gauge& gauge(prom::Registry& registry, const std::string& name, const std::string& help) {
  return prom::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prom::Histogram& histogram(prom::Registry& registry, const std::string& name,
                           const std::string& help, prom::Histogram::BucketBoundaries buckets) {
  return prom::BuildHistogram().Name(name).Help(help).Register(registry).Add({}, std::move(buckets));
}

// Every series of a labelled family shows from the first scrape, at 0.
void precreate(prom::Family<prom::Counter>& family, const std::string& label,
               std::initializer_list<std::string_view> values) {
  for (const auto value : values) family.Add({{label, std::string{value}}});
  family.Add({{label, std::string{kUnknown}}});
}

std::optional<double> non_negative_number(const boost::json::object& meta, std::string_view key) {
  const auto* value = meta.if_contains(key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  boost::system::error_code ec;
  const double x = value->to_number<double>(ec);
  if (ec || !std::isfinite(x) || x < 0) return std::nullopt;
  return x;
}

std::string_view string_value(const boost::json::object& meta, std::string_view key) {
  const auto* value = meta.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return value->get_string();
}

bool usable(double seconds) { return std::isfinite(seconds) && seconds >= 0; }

}  // namespace

PrometheusMetrics::PrometheusMetrics()
    : registry_(std::make_shared<prom::Registry>()),
      playback_events_(counter(*registry_, "mtrace_playback_events_total",
                               "Playback events accepted by ingest.")),
      invalid_events_(counter(*registry_, "mtrace_invalid_events_total",
                              "Playback events rejected as invalid (400 or 422).")),
      rate_limited_events_(counter(*registry_, "mtrace_rate_limited_events_total",
                                   "Playback events refused by the ingest rate limiter.")),
      dropped_events_(counter(*registry_, "mtrace_dropped_events_total",
                              "Playback events not kept because the store was unavailable.")),
      store_group_retries_(counter(*registry_, "mtrace_store_group_retries_total",
                                   "Store transactions of many batches that failed and were retried one batch each.")),
      store_reads_refused_(counter(*registry_, "mtrace_store_reads_refused_total",
                                   "API requests for stored data refused with 503: every store worker busy.")),
      store_records_unreadable_(counter(*registry_, "mtrace_store_records_unreadable_total",
                                        "Stored records that did not decode (a damaged database file), skipped.")),
      playback_errors_(counter(*registry_, "mtrace_playback_errors_total",
                               "Accepted playback_error events.")),
      rebuffer_events_(counter(*registry_, "mtrace_rebuffer_events_total",
                               "Accepted rebuffer_started events.")),
      api_requests_(counter(*registry_, "mtrace_api_requests_total", "HTTP requests served.")),
      active_sessions_(gauge(*registry_, "mtrace_active_sessions",
                             "Sessions in state active, read at scrape time.")),
      startup_time_ms_(gauge(*registry_, "mtrace_startup_time_ms",
                             "duration_ms of the latest accepted startup_time_measured event.")),
      analyze_requests_(counter_family(*registry_, "mtrace_analyze_requests_total",
                                       "Stream analysis requests by outcome and code.")),
      cors_refused_(counter_family(*registry_, "mtrace_cors_preflight_refused_total",
                                   "Refused CORS preflights, by route pattern.")),
      srt_samples_(counter_family(*registry_, "mtrace_srt_health_samples_total",
                                  "Evaluated SRT health samples by health state.")),
      srt_runs_(counter_family(*registry_, "mtrace_srt_health_collector_runs_total",
                               "SRT health collector runs by worst source status.")),
      srt_errors_(counter_family(*registry_, "mtrace_srt_health_collector_errors_total",
                                 "SRT health collector errors by code.")),
      webrtc_connection_state_(counter_family(*registry_, "mtrace_webrtc_connection_state_total",
                                              "WebRTC samples by peer connection state.")),
      webrtc_ice_state_(counter_family(*registry_, "mtrace_webrtc_ice_state_total",
                                       "WebRTC samples by ICE state.")),
      webrtc_dtls_state_(counter_family(*registry_, "mtrace_webrtc_dtls_state_total",
                                        "WebRTC samples by DTLS state.")),
      webrtc_packets_lost_(counter(*registry_, "mtrace_webrtc_packets_lost_total",
                                   "WebRTC packets lost (positive deltas of samples).")),
      webrtc_bytes_received_(counter(*registry_, "mtrace_webrtc_bytes_received_total",
                                     "WebRTC bytes received (positive deltas of samples).")),
      webrtc_bytes_sent_(counter(*registry_, "mtrace_webrtc_bytes_sent_total",
                                 "WebRTC bytes sent (positive deltas of samples).")),
      sample_rate_drift_(counter_family(*registry_, "mtrace_sample_rate_drift_total",
                                        "Sessions whose reported sample rate changed.")),
      sessions_started_(counter(*registry_, "mtrace_sessions_started_total",
                                "Playback sessions created.")),
      sessions_ended_(counter(*registry_, "mtrace_sessions_ended_total",
                              "Playback sessions ended (by the client or the sweeper).")),
      playback_failures_(counter(*registry_, "mtrace_playback_failures_total",
                                 "Ended sessions that had a fatal playback error.")),
      stalls_(counter(*registry_, "mtrace_stalls_total",
                      "Rebuffers after the first frame, seek stalls excluded.")),
      startup_seconds_(histogram(*registry_, "mtrace_startup_seconds",
                                 "Startup time: play requested to first frame.",
                                 {0.25, 0.5, 1, 2, 3, 5, 8, 10, 15, 30, 60})),
      stall_duration_seconds_(histogram(*registry_, "mtrace_stall_duration_seconds",
                                        "Duration of each rebuffer, seek stalls excluded.",
                                        {0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60})),
      otlp_spans_dropped_(counter(*registry_, "mtrace_otlp_spans_dropped_total",
                                  "Trace spans lost before reaching the OTLP collector.")) {
  auto& exports = counter_family(*registry_, "mtrace_otlp_exports_total",
                                 "OTLP/HTTP export attempts by outcome.");
  otlp_exports_[static_cast<std::size_t>(ports::OtlpExportOutcome::ok)] =
      &exports.Add({{"outcome", "ok"}});
  otlp_exports_[static_cast<std::size_t>(ports::OtlpExportOutcome::retryable)] =
      &exports.Add({{"outcome", "retryable"}});
  otlp_exports_[static_cast<std::size_t>(ports::OtlpExportOutcome::rejected)] =
      &exports.Add({{"outcome", "rejected"}});
  otlp_exports_[static_cast<std::size_t>(ports::OtlpExportOutcome::network_error)] =
      &exports.Add({{"outcome", "network_error"}});
  precreate(srt_samples_, "health_state", kHealthStates);
  precreate(srt_runs_, "source_status", kSourceStatuses);
  precreate(srt_errors_, "source_error_code", kSourceErrorCodes);
  precreate(webrtc_connection_state_, "connection_state", kConnectionStates);
  precreate(webrtc_ice_state_, "ice_state", kIceStates);
  precreate(webrtc_dtls_state_, "dtls_state", kDtlsStates);
}

void PrometheusMetrics::request_served() { api_requests_.Increment(); }

void PrometheusMetrics::events_accepted(const std::vector<domain::PlaybackEvent>& events) {
  playback_events_.Increment(static_cast<double>(events.size()));
  for (const auto& event : events) {
    const std::string_view name = event.event_name;
    if (name == "playback_error") {
      playback_errors_.Increment();
    } else if (name == "rebuffer_started") {
      rebuffer_events_.Increment();
    } else if (name == "startup_time_measured") {
      if (const auto ms = non_negative_number(event.meta, "duration_ms")) startup_time_ms_.Set(*ms);
    } else if (name == "metrics_sampled") {
      webrtc_sample(event);
    }
  }
}

void PrometheusMetrics::webrtc_sample(const domain::PlaybackEvent& event) {
  const auto& meta = event.meta;
  const std::string_view run_id = string_value(meta, "webrtc.peer_connection_run_id");
  const std::string_view connection = string_value(meta, "webrtc.connection_state");
  const std::string_view ice = string_value(meta, "webrtc.ice_state");
  const std::string_view dtls = string_value(meta, "webrtc.dtls_state");
  if (run_id.empty() || connection.empty() || ice.empty() || dtls.empty()) return;
  webrtc_connection_state_.Add({{"connection_state", bounded(connection, kConnectionStates)}})
      .Increment();
  webrtc_ice_state_.Add({{"ice_state", bounded(ice, kIceStates)}}).Increment();
  webrtc_dtls_state_.Add({{"dtls_state", bounded(dtls, kDtlsStates)}}).Increment();

  const WebrtcBaseline sample{non_negative_number(meta, "webrtc.sample_id").value_or(0),
                              non_negative_number(meta, "webrtc.packets_lost").value_or(0),
                              non_negative_number(meta, "webrtc.bytes_received").value_or(0),
                              non_negative_number(meta, "webrtc.bytes_sent").value_or(0)};
  std::string key = event.project_id;
  key.append("|").append(event.session_id).append("|").append(run_id);
  std::lock_guard lock(webrtc_mutex_);
  const auto [it, inserted] = webrtc_baselines_.try_emplace(key, sample);
  if (inserted) {  // the first sample of a run only sets the baseline
    webrtc_baseline_order_.push_back(std::move(key));
    if (webrtc_baseline_order_.size() > kMaxWebrtcBaselines) {
      webrtc_baselines_.erase(webrtc_baseline_order_.front());
      webrtc_baseline_order_.pop_front();
    }
    return;
  }
  WebrtcBaseline& last = it->second;
  if (sample.sample_id <= last.sample_id) return;
  webrtc_packets_lost_.Increment(std::max(0.0, sample.packets_lost - last.packets_lost));
  webrtc_bytes_received_.Increment(std::max(0.0, sample.bytes_received - last.bytes_received));
  webrtc_bytes_sent_.Increment(std::max(0.0, sample.bytes_sent - last.bytes_sent));
  last = sample;
}

void PrometheusMetrics::events_invalid(std::int64_t n) {
  if (n > 0) invalid_events_.Increment(static_cast<double>(n));
}

void PrometheusMetrics::events_rate_limited(std::int64_t n) {
  if (n > 0) rate_limited_events_.Increment(static_cast<double>(n));
}

void PrometheusMetrics::events_dropped(std::int64_t n) {
  if (n > 0) dropped_events_.Increment(static_cast<double>(n));
}

void PrometheusMetrics::store_group_retried() { store_group_retries_.Increment(); }

void PrometheusMetrics::store_reads_refused() { store_reads_refused_.Increment(); }
void PrometheusMetrics::store_record_unreadable() { store_records_unreadable_.Increment(); }

void PrometheusMetrics::cors_preflight_refused(std::string_view route) {
  std::string value{route};
  {
    std::lock_guard lock(labels_mutex_);
    if (!routes_seen_.contains(route)) {
      if (routes_seen_.size() < kMaxRouteLabels) {
        routes_seen_.emplace(route);
      } else {
        value = kOther;
      }
    }
  }
  cors_refused_.Add({{"path", value}}).Increment();
}

void PrometheusMetrics::analyze_request(std::string_view outcome, std::string_view code) {
  analyze_requests_
      .Add({{"outcome", bounded(outcome, kAnalyzeOutcomes)}, {"code", bounded(code, kAnalyzeCodes)}})
      .Increment();
}

void PrometheusMetrics::session_started() { sessions_started_.Increment(); }

void PrometheusMetrics::session_ended(const domain::Qoe& qoe) {
  sessions_ended_.Increment();
  if (qoe.failed) playback_failures_.Increment();
}

void PrometheusMetrics::startup_observed(double seconds) {
  if (usable(seconds)) startup_seconds_.Observe(seconds);
}

void PrometheusMetrics::stall_observed(double seconds) {
  if (!usable(seconds)) return;
  stalls_.Increment();
  stall_duration_seconds_.Observe(seconds);
}

void PrometheusMetrics::otlp_spans_dropped(std::int64_t n) {
  if (n > 0) otlp_spans_dropped_.Increment(static_cast<double>(n));
}

void PrometheusMetrics::otlp_export(ports::OtlpExportOutcome outcome) {
  otlp_exports_.at(static_cast<std::size_t>(outcome))->Increment();
}

void PrometheusMetrics::srt_health_sample(std::string_view health_state) {
  srt_samples_.Add({{"health_state", bounded(health_state, kHealthStates)}}).Increment();
}

void PrometheusMetrics::srt_collector_run(std::string_view source_status) {
  srt_runs_.Add({{"source_status", bounded(source_status, kSourceStatuses)}}).Increment();
}

void PrometheusMetrics::srt_collector_error(std::string_view source_error_code) {
  srt_errors_.Add({{"source_error_code", bounded(source_error_code, kSourceErrorCodes)}})
      .Increment();
}

void PrometheusMetrics::sample_rate_drift(std::string_view project_id) {
  std::string value{project_id};
  {
    std::lock_guard lock(labels_mutex_);
    if (!drift_projects_seen_.contains(project_id)) {
      if (drift_projects_seen_.size() < kMaxDriftProjects) {
        drift_projects_seen_.emplace(project_id);
      } else {
        value = kOther;
      }
    }
  }
  sample_rate_drift_.Add({{"project_id", value}}).Increment();
}

void PrometheusMetrics::set_active_sessions_source(std::function<std::int64_t()> source) {
  std::lock_guard lock(source_mutex_);
  active_sessions_source_ = std::move(source);
}

std::string PrometheusMetrics::scrape() {
  {
    std::lock_guard lock(source_mutex_);
    if (active_sessions_source_) {
      active_sessions_.Set(static_cast<double>(active_sessions_source_()));
    }
  }
  return prom::TextSerializer{}.Serialize(registry_->Collect());
}

}  // namespace mtrace::adapters
