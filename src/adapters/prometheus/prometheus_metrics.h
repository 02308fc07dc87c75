// PrometheusMetrics: ports::Metrics on a prometheus-cpp registry, exposed as text by scrape()
// (served from our own HTTP endpoint). Every reference mtrace_* metric keeps its type and labels
// (reference/backend.md §7.1), except that the CORS counter's `path` carries the route pattern;
// new metrics follow SPEC §8. Every label takes values from a bounded set.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>

#include "ports/metrics.h"

namespace mtrace::adapters {

class PrometheusMetrics final : public ports::Metrics {
 public:
  static constexpr std::size_t kMaxRouteLabels = 64;      // then path="_other"
  static constexpr std::size_t kMaxDriftProjects = 100;   // then project_id="_other"
  static constexpr std::size_t kMaxWebrtcBaselines = 20'000;  // oldest forgotten first

  PrometheusMetrics();

  void request_served() override;
  void events_accepted(const std::vector<domain::PlaybackEvent>& events) override;
  void events_invalid(std::int64_t n) override;
  void events_rate_limited(std::int64_t n) override;
  void events_dropped(std::int64_t n) override;
  void store_group_retried() override;
  void store_reads_refused() override;
  void store_record_unreadable() override;
  void cors_preflight_refused(std::string_view route) override;
  void analyze_request(std::string_view outcome, std::string_view code) override;
  void session_started() override;
  void session_ended(const domain::Qoe& qoe) override;
  void startup_observed(double seconds) override;
  void stall_observed(double seconds) override;
  void otlp_spans_dropped(std::int64_t n) override;
  void otlp_export(ports::OtlpExportOutcome outcome) override;
  void srt_health_sample(std::string_view health_state) override;
  void srt_collector_run(std::string_view source_status) override;
  void srt_collector_error(std::string_view source_error_code) override;
  void sample_rate_drift(std::string_view project_id) override;
  void set_active_sessions_source(std::function<std::int64_t()> source) override;
  std::string scrape() override;

 private:
  // Cumulative WebRTC counters of one peer connection run, to count positive deltas only.
  struct WebrtcBaseline {
    double sample_id = 0;
    double packets_lost = 0;
    double bytes_received = 0;
    double bytes_sent = 0;
  };

  void webrtc_sample(const domain::PlaybackEvent& event);

  std::shared_ptr<::prometheus::Registry> registry_;

  ::prometheus::Counter& playback_events_;
  ::prometheus::Counter& invalid_events_;
  ::prometheus::Counter& rate_limited_events_;
  ::prometheus::Counter& dropped_events_;
  ::prometheus::Counter& store_group_retries_;
  ::prometheus::Counter& store_reads_refused_;
  ::prometheus::Counter& store_records_unreadable_;
  ::prometheus::Counter& playback_errors_;
  ::prometheus::Counter& rebuffer_events_;
  ::prometheus::Counter& api_requests_;
  ::prometheus::Gauge& active_sessions_;
  ::prometheus::Gauge& startup_time_ms_;
  ::prometheus::Family<::prometheus::Counter>& analyze_requests_;
  ::prometheus::Family<::prometheus::Counter>& cors_refused_;
  ::prometheus::Family<::prometheus::Counter>& srt_samples_;
  ::prometheus::Family<::prometheus::Counter>& srt_runs_;
  ::prometheus::Family<::prometheus::Counter>& srt_errors_;
  ::prometheus::Family<::prometheus::Counter>& webrtc_connection_state_;
  ::prometheus::Family<::prometheus::Counter>& webrtc_ice_state_;
  ::prometheus::Family<::prometheus::Counter>& webrtc_dtls_state_;
  ::prometheus::Counter& webrtc_packets_lost_;
  ::prometheus::Counter& webrtc_bytes_received_;
  ::prometheus::Counter& webrtc_bytes_sent_;
  ::prometheus::Family<::prometheus::Counter>& sample_rate_drift_;

  ::prometheus::Counter& sessions_started_;
  ::prometheus::Counter& sessions_ended_;
  ::prometheus::Counter& playback_failures_;
  ::prometheus::Counter& stalls_;
  ::prometheus::Histogram& startup_seconds_;
  ::prometheus::Histogram& stall_duration_seconds_;
  ::prometheus::Counter& otlp_spans_dropped_;
  std::array<::prometheus::Counter*, 4> otlp_exports_{};  // by OtlpExportOutcome

  std::mutex labels_mutex_;  // guards the two sets below
  std::set<std::string, std::less<>> routes_seen_;
  std::set<std::string, std::less<>> drift_projects_seen_;

  std::mutex webrtc_mutex_;  // guards the baselines
  std::unordered_map<std::string, WebrtcBaseline> webrtc_baselines_;
  std::deque<std::string> webrtc_baseline_order_;

  std::mutex source_mutex_;
  std::function<std::int64_t()> active_sessions_source_;
};

}  // namespace mtrace::adapters
