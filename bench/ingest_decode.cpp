// The ingest decoder on the SPEC §8 workload: one request body of 10 events decoded, validated
// and URL-redacted into domain events (app/playback_batch_decoder.h). The figure is per batch;
// the ceiling beside it is Boost.JSON parsing the same body into a tree and nothing else.
#include <benchmark/benchmark.h>

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
  for (auto _ : state) benchmark::DoNotOptimize(boost::json::parse(bodies[next++ % bodies.size()]));
  state.SetLabel("Boost.JSON tree of the same bodies");
}
BENCHMARK(BM_JsonParseOnly);

}  // namespace

BENCHMARK_MAIN();
