// QoE and trace export costs on the ingest path (SPEC §6: with QoE and OTLP on, ingest may lose
// at most 15 % of 200,000 events/s, i.e. 0.75 µs per event for both together).
// Ceilings printed beside each figure: QoeTracker::apply ≤ 500 ns/event; OTLP JSON encoding
// ≤ 5 µs/span (a session exports a handful of spans once, at its end).
#include <benchmark/benchmark.h>

#include "adapters/otlp/otlp_json.h"
#include "app/session_spans.h"
#include "domain/qoe/tracker.h"

namespace {

using namespace mtrace;
using domain::kMicrosPerSecond;
using domain::Micros;

constexpr Micros kT0 = 1'764'000'000 * kMicrosPerSecond;

// A 10-minute session: startup, periodic samples, switches, stalls, a seek, a pause, an end.
std::vector<domain::PlaybackEvent> session_events() {
  std::vector<domain::PlaybackEvent> events;
  auto add = [&events](std::string name, double s, boost::json::object meta = {}) {
    domain::PlaybackEvent e;
    e.event_name = std::move(name);
    e.client_timestamp = kT0 + static_cast<Micros>(s * kMicrosPerSecond);
    e.server_received_at = e.client_timestamp + 40'000;
    e.meta = std::move(meta);
    events.push_back(std::move(e));
  };
  add("play_requested", 0, {{"content_id", "lab"}, {"player_name", "hls.js"}});
  add("manifest_loaded", 0.2);
  add("playback_started", 1.4);
  for (int s = 10; s < 600; s += 10) {
    add("metrics_sampled", s,
        {{"buffer_length_s", 12.5}, {"playhead_s", s - 1.4}, {"dropped_frames", s / 10},
         {"decoded_frames", s * 30}, {"bitrate_bps", 1'000'000 + (s % 60) * 10'000},
         {"player_width", 1280}, {"player_height", 720}});
    add("segment_loaded", s + 1);
    if (s % 120 == 0) add("bitrate_switch", s + 2, {{"bitrate_bps", 2'000'000}, {"width", 1280},
                                                    {"height", 720}, {"direction", "up"}});
    if (s % 150 == 0) {
      add("rebuffer_started", s + 3);
      add("rebuffer_ended", s + 4.5);
    }
  }
  add("seek_started", 300.5, {{"from_s", 299}, {"to_s", 400}});
  add("seek_ended", 301.2);
  add("paused", 450);
  add("resumed", 470);
  add("session_ended", 600);
  return events;
}

void BM_QoeTrackerApply(benchmark::State& state) {
  const auto events = session_events();
  for (auto _ : state) {
    domain::qoe::QoeTracker tracker;
    for (const auto& e : events) benchmark::DoNotOptimize(tracker.apply(e));
    benchmark::DoNotOptimize(tracker.snapshot(kT0 + 600 * kMicrosPerSecond));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(events.size()));
  state.counters["time_per_event"] = benchmark::Counter(
      static_cast<double>(state.iterations() * events.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel("ceiling 500 ns/event");
}
BENCHMARK(BM_QoeTrackerApply);

void BM_OtlpEncodeSessionSpans(benchmark::State& state) {
  domain::qoe::QoeTracker tracker;
  for (const auto& e : session_events()) tracker.apply(e);
  domain::Session session;
  session.project_id = "demo";
  session.session_id = "0190f1d2-7c1e-7b3a-9f00-3c2b1a0d9e8f";
  session.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  session.dimensions.content_id = "lab";
  session.dimensions.player_name = "hls.js";
  const auto qoe = tracker.snapshot(kT0 + 600 * kMicrosPerSecond);
  const auto spans = app::session_spans(session, tracker.timeline(), qoe,
                                        [] { return std::string("00f067aa0ba902b7"); });
  const std::vector<ports::Attribute> resource = {{"service.name", std::string{"mtrace"}}};
  for (auto _ : state) {
    benchmark::DoNotOptimize(adapters::otlp::encode_trace_request(resource, spans));
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(spans.size()));
  state.counters["time_per_span"] = benchmark::Counter(
      static_cast<double>(state.iterations() * spans.size()),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.SetLabel("ceiling 5 us/span, " + std::to_string(spans.size()) + " spans per session");
}
BENCHMARK(BM_OtlpEncodeSessionSpans);

}  // namespace

BENCHMARK_MAIN();
