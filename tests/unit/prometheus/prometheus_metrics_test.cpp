// PrometheusMetrics: what a scrape shows after each port call, label bounds, and promtool on a
// real scrape.
#include "adapters/prometheus/prometheus_metrics.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace mtrace::adapters {
namespace {

// Series ("name{labels}" exactly as exposed) to value, and metric name to TYPE.
struct Scrape {
  std::map<std::string, double> series;
  std::map<std::string, std::string> types;
};

Scrape parse(const std::string& text) {
  Scrape out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream words(line.substr(7));
      std::string name, type;
      words >> name >> type;
      out.types[name] = type;
    } else if (!line.empty() && line[0] != '#') {
      const auto space = line.rfind(' ');
      out.series[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
  }
  return out;
}

double value(PrometheusMetrics& metrics, const std::string& series) {
  const auto scraped = parse(metrics.scrape());
  const auto it = scraped.series.find(series);
  if (it == scraped.series.end()) {
    ADD_FAILURE() << "no series " << series;
    return -1;
  }
  return it->second;
}

domain::PlaybackEvent event(std::string name, boost::json::object meta = {}) {
  domain::PlaybackEvent e;
  e.event_name = std::move(name);
  e.project_id = "demo";
  e.session_id = "s1";
  e.meta = std::move(meta);
  return e;
}

TEST(PrometheusMetrics, ExposesEveryMetricWithItsType) {
  PrometheusMetrics metrics;
  // Families whose labels come from callers show once they have a series.
  metrics.analyze_request("ok", "ok");
  metrics.cors_preflight_refused("/api/playback-events");
  metrics.sample_rate_drift("demo");
  const auto scraped = parse(metrics.scrape());
  const std::map<std::string, std::string> expected = {
      {"mtrace_playback_events_total", "counter"},
      {"mtrace_invalid_events_total", "counter"},
      {"mtrace_rate_limited_events_total", "counter"},
      {"mtrace_dropped_events_total", "counter"},
      {"mtrace_store_group_retries_total", "counter"},
      {"mtrace_store_records_unreadable_total", "counter"},
      {"mtrace_playback_errors_total", "counter"},
      {"mtrace_rebuffer_events_total", "counter"},
      {"mtrace_api_requests_total", "counter"},
      {"mtrace_active_sessions", "gauge"},
      {"mtrace_startup_time_ms", "gauge"},
      {"mtrace_analyze_requests_total", "counter"},
      {"mtrace_cors_preflight_refused_total", "counter"},
      {"mtrace_srt_health_samples_total", "counter"},
      {"mtrace_srt_health_collector_runs_total", "counter"},
      {"mtrace_srt_health_collector_errors_total", "counter"},
      {"mtrace_webrtc_connection_state_total", "counter"},
      {"mtrace_webrtc_ice_state_total", "counter"},
      {"mtrace_webrtc_dtls_state_total", "counter"},
      {"mtrace_webrtc_packets_lost_total", "counter"},
      {"mtrace_webrtc_bytes_received_total", "counter"},
      {"mtrace_webrtc_bytes_sent_total", "counter"},
      {"mtrace_sample_rate_drift_total", "counter"},
      {"mtrace_startup_seconds", "histogram"},
      {"mtrace_stall_duration_seconds", "histogram"},
      {"mtrace_sessions_started_total", "counter"},
      {"mtrace_sessions_ended_total", "counter"},
      {"mtrace_playback_failures_total", "counter"},
      {"mtrace_stalls_total", "counter"},
      {"mtrace_otlp_spans_dropped_total", "counter"},
      {"mtrace_otlp_exports_total", "counter"},
  };
  for (const auto& [name, type] : expected) {
    ASSERT_TRUE(scraped.types.contains(name)) << name;
    EXPECT_EQ(scraped.types.at(name), type) << name;
  }
  // The four mandatory counters have exactly one series without labels.
  for (const char* name : {"mtrace_playback_events_total", "mtrace_invalid_events_total",
                           "mtrace_rate_limited_events_total", "mtrace_dropped_events_total"}) {
    EXPECT_EQ(scraped.series.count(name), 1u) << name;
  }
}

TEST(PrometheusMetrics, AcceptedEventsMoveTheirCounters) {
  PrometheusMetrics metrics;
  metrics.events_accepted({event("playback_error"), event("rebuffer_started"),
                           event("startup_time_measured", {{"duration_ms", 1234}}),
                           event("startup_time_measured", {{"duration_ms", -5}})});
  metrics.request_served();
  metrics.events_invalid(3);
  metrics.events_rate_limited(101);
  metrics.events_dropped(10);
  metrics.store_group_retried();
  metrics.store_reads_refused();
  metrics.store_record_unreadable();
  EXPECT_EQ(value(metrics, "mtrace_store_group_retries_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_store_records_unreadable_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_store_reads_refused_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_playback_events_total"), 4);
  EXPECT_EQ(value(metrics, "mtrace_playback_errors_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_rebuffer_events_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_startup_time_ms"), 1234);  // the negative one is ignored
  EXPECT_EQ(value(metrics, "mtrace_api_requests_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_invalid_events_total"), 3);
  EXPECT_EQ(value(metrics, "mtrace_rate_limited_events_total"), 101);
  EXPECT_EQ(value(metrics, "mtrace_dropped_events_total"), 10);
}

TEST(PrometheusMetrics, QoeCountersAndHistograms) {
  PrometheusMetrics metrics;
  metrics.session_started();
  metrics.session_started();
  domain::Qoe failed;
  failed.failed = true;
  metrics.session_ended(failed);
  metrics.session_ended(domain::Qoe{});
  metrics.startup_observed(1.5);
  metrics.startup_observed(-1);  // ignored
  metrics.stall_observed(0.4);
  metrics.stall_observed(12);
  metrics.stall_observed(std::nan(""));  // ignored
  EXPECT_EQ(value(metrics, "mtrace_sessions_started_total"), 2);
  EXPECT_EQ(value(metrics, "mtrace_sessions_ended_total"), 2);
  EXPECT_EQ(value(metrics, "mtrace_playback_failures_total"), 1);
  EXPECT_EQ(value(metrics, "mtrace_stalls_total"), 2);
  EXPECT_EQ(value(metrics, "mtrace_startup_seconds_count"), 1);
  EXPECT_EQ(value(metrics, "mtrace_startup_seconds_bucket{le=\"1\"}"), 0);
  EXPECT_EQ(value(metrics, "mtrace_startup_seconds_bucket{le=\"2\"}"), 1);
  EXPECT_EQ(value(metrics, "mtrace_stall_duration_seconds_sum"), 12.4);
  EXPECT_EQ(value(metrics, "mtrace_stall_duration_seconds_bucket{le=\"0.5\"}"), 1);
  EXPECT_EQ(value(metrics, "mtrace_stall_duration_seconds_bucket{le=\"15\"}"), 2);
}

TEST(PrometheusMetrics, OtlpAndActiveSessions) {
  PrometheusMetrics metrics;
  metrics.otlp_spans_dropped(7);
  metrics.otlp_export(ports::OtlpExportOutcome::retryable);
  metrics.otlp_export(ports::OtlpExportOutcome::ok);
  metrics.otlp_export(ports::OtlpExportOutcome::ok);
  std::int64_t active = 5;
  metrics.set_active_sessions_source([&active] { return active; });
  EXPECT_EQ(value(metrics, "mtrace_otlp_spans_dropped_total"), 7);
  EXPECT_EQ(value(metrics, "mtrace_otlp_exports_total{outcome=\"ok\"}"), 2);
  EXPECT_EQ(value(metrics, "mtrace_otlp_exports_total{outcome=\"retryable\"}"), 1);
  EXPECT_EQ(value(metrics, "mtrace_otlp_exports_total{outcome=\"rejected\"}"), 0);
  EXPECT_EQ(value(metrics, "mtrace_active_sessions"), 5);
  active = 2;
  EXPECT_EQ(value(metrics, "mtrace_active_sessions"), 2);  // read at each scrape
}

TEST(PrometheusMetrics, LabelValuesStayBounded) {
  PrometheusMetrics metrics;
  metrics.analyze_request("ok", "ok");
  metrics.analyze_request("weird", "manifest_from_mars");
  metrics.srt_health_sample("critical");
  metrics.srt_health_sample("on fire");
  for (std::size_t i = 0; i < PrometheusMetrics::kMaxRouteLabels + 10; ++i) {
    metrics.cors_preflight_refused("/api/route-" + std::to_string(i));
  }
  for (std::size_t i = 0; i < PrometheusMetrics::kMaxDriftProjects + 3; ++i) {
    metrics.sample_rate_drift("p" + std::to_string(i));
  }
  const auto scraped = parse(metrics.scrape());
  EXPECT_EQ(scraped.series.at("mtrace_analyze_requests_total{code=\"ok\",outcome=\"ok\"}"), 1);
  EXPECT_EQ(
      scraped.series.at("mtrace_analyze_requests_total{code=\"_unknown\",outcome=\"_unknown\"}"),
      1);
  EXPECT_EQ(scraped.series.at("mtrace_srt_health_samples_total{health_state=\"critical\"}"), 1);
  EXPECT_EQ(scraped.series.at("mtrace_srt_health_samples_total{health_state=\"_unknown\"}"), 1);
  EXPECT_EQ(scraped.series.at("mtrace_cors_preflight_refused_total{path=\"/api/route-0\"}"), 1);
  EXPECT_EQ(scraped.series.at("mtrace_cors_preflight_refused_total{path=\"_other\"}"), 10);
  EXPECT_EQ(scraped.series.at("mtrace_sample_rate_drift_total{project_id=\"_other\"}"), 3);
  std::size_t cors_series = 0;
  for (const auto& [series, _] : scraped.series) {
    cors_series += series.rfind("mtrace_cors_preflight_refused_total{", 0) == 0;
  }
  EXPECT_EQ(cors_series, PrometheusMetrics::kMaxRouteLabels + 1);
}

TEST(PrometheusMetrics, WebrtcCountsPositiveDeltasAfterTheBaseline) {
  PrometheusMetrics metrics;
  auto sample = [](int id, int lost, int received) {
    return event("metrics_sampled", {{"webrtc.peer_connection_run_id", "run-1"},
                                     {"webrtc.sample_id", id},
                                     {"webrtc.connection_state", "connected"},
                                     {"webrtc.ice_state", "connected"},
                                     {"webrtc.dtls_state", "bogus"},
                                     {"webrtc.packets_lost", lost},
                                     {"webrtc.bytes_received", received},
                                     {"webrtc.bytes_sent", 10}});
  };
  metrics.events_accepted({sample(0, 5, 1000)});  // baseline only
  metrics.events_accepted({sample(1, 8, 1500)});
  metrics.events_accepted({sample(1, 50, 9000)});  // same sample id: ignored
  metrics.events_accepted({sample(2, 6, 2000)});   // lost went down: +0
  metrics.events_accepted({event("metrics_sampled", {{"webrtc.sample_id", 9}})});  // no snapshot
  EXPECT_EQ(value(metrics, "mtrace_webrtc_packets_lost_total"), 3);
  EXPECT_EQ(value(metrics, "mtrace_webrtc_bytes_received_total"), 1000);
  EXPECT_EQ(value(metrics, "mtrace_webrtc_bytes_sent_total"), 0);
  EXPECT_EQ(value(metrics, "mtrace_webrtc_connection_state_total{connection_state=\"connected\"}"),
            4);
  EXPECT_EQ(value(metrics, "mtrace_webrtc_dtls_state_total{dtls_state=\"_unknown\"}"), 4);
}

TEST(PrometheusMetrics, NoForbiddenLabels) {
  PrometheusMetrics metrics;
  metrics.cors_preflight_refused("/api/stream-sessions/{id}");
  metrics.sample_rate_drift("demo");
  const auto scraped = parse(metrics.scrape());
  const std::regex label_name(R"(([a-zA-Z_][a-zA-Z0-9_]*)=)");
  const std::regex forbidden(
      R"(session_id|user_agent|client_ip|viewer_id|request_id|trace_id|span_id|correlation_id|)"
      R"(token|authorization|batch_size|id|remoteAddr|state|connection_id|stream_id|ssrc|)"
      R"(.*_url|.*_uri|.*_token|.*_secret|.*url|.*uri)");
  for (const auto& [series, _] : scraped.series) {
    for (std::sregex_iterator it(series.begin(), series.end(), label_name), end; it != end; ++it) {
      const std::string name = (*it)[1];
      EXPECT_FALSE(std::regex_match(name, forbidden)) << series;
      if (name == "project_id") {
        EXPECT_EQ(series.rfind("mtrace_sample_rate_drift_total{", 0), 0u) << series;
      }
    }
  }
}

TEST(PrometheusMetrics, PromtoolAcceptsARealScrape) {
  PrometheusMetrics metrics;
  metrics.events_accepted({event("playback_error"), event("rebuffer_started")});
  metrics.startup_observed(0.8);
  metrics.stall_observed(3);
  metrics.analyze_request("error", "fetch_failed");
  metrics.cors_preflight_refused("/api/playback-events");
  metrics.otlp_export(ports::OtlpExportOutcome::network_error);
  const auto path = std::filesystem::temp_directory_path() /
                    ("mtrace-scrape-" + std::to_string(::getpid()) + ".prom");
  std::ofstream(path) << metrics.scrape();
  const std::string command = "promtool check metrics < " + path.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
  const int status = ::pclose(pipe);
  std::filesystem::remove(path);
  // Exit 1 is a parse error. Exit 3 lists lint problems: the only one allowed is the reference's
  // mtrace_startup_time_ms, whose name SPEC §3 keeps ("_ms" is an abbreviated unit).
  ASSERT_TRUE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  ASSERT_TRUE(code == 0 || code == 3) << code << ": " << output;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    EXPECT_EQ(line, "mtrace_startup_time_ms metric names should not contain abbreviated units");
  }
}

}  // namespace
}  // namespace mtrace::adapters
