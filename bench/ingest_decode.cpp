// The ingest decoder on the SPEC §8 workload: one request body of 10 events decoded, validated
// and URL-redacted into domain events (app/playback_batch_decoder.h). The figure is per batch;
// the ceiling beside it is Boost.JSON parsing the same body into a tree in an arena, as the
// decoder does, and nothing else.
#include <benchmark/benchmark.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <variant>

#include "app/playback_batch_decoder.h"
#include "ingest_workload.h"

namespace {

constexpr int kSessions = 10'000;
constexpr int kBodies = 64;  // distinct bodies cycled through: segment loads, samples, switches

std::vector<std::string> workload_bodies() {
  mtrace::bench::IngestWorkload workload(kSessions, "demo");
  std::vector<std::string> bodies;
  // Requests of later batches (the steady state); every 5th batch of a session has a switch.
  for (int i = 0; i < kBodies; ++i) bodies.push_back(workload.body(std::uint64_t(kSessions) * (1 + i % 10) + std::uint64_t(i)));
  return bodies;
}

void BM_DecodePlaybackBatch(benchmark::State& state) {
  const auto bodies = workload_bodies();
  std::size_t next = 0;
  for (auto _ : state) {
    auto decoded = mtrace::app::decode_playback_batch(bodies[next++ % bodies.size()], "demo");
    if (!std::holds_alternative<mtrace::app::DecodedBatch>(decoded)) state.SkipWithError("batch refused");
    benchmark::DoNotOptimize(decoded);
  }
  state.SetLabel("per batch of 10 events; ceiling: BM_JsonParseOnly");
}
BENCHMARK(BM_DecodePlaybackBatch);

void BM_JsonParseOnly(benchmark::State& state) {
  const auto bodies = workload_bodies();
  std::size_t next = 0;
  for (auto _ : state) {
    const auto& body = bodies[next++ % bodies.size()];
    // Into an arena the tree points to without owning, as the decoder parses.
    boost::json::monotonic_resource arena(2 * body.size() + 1024);
    benchmark::DoNotOptimize(boost::json::parse(body, boost::json::storage_ptr(&arena)));
  }
  state.SetLabel("Boost.JSON tree of the same bodies, in an arena");
}
BENCHMARK(BM_JsonParseOnly);

}  // namespace

BENCHMARK_MAIN();
