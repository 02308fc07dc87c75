// Read latency of SqliteEventStore with 10 million events stored (SPEC §6): the sessions list
// page of 100 (also filtered by a player no session has, in its project and across every
// project), one session's events page of 100, and the project's errors page of 100 (the
// dashboard's errors view: 1 batch in 100 holds an error), also from a received time after which
// only 50 errors came (the overview's last hour), and the events page of 100 bounded by a
// received time: until the middle of the history, and from a time after which 50 events came;
// and the events page of a project that has none of them; p50/p95 beside the 5 ms ceiling.
// The database is built once into build/bench-data/ (10,000 sessions interleaved, chunks of 10
// events as the ingest workload writes them) and reused by later runs.
//   bench_store_read [iterations=2000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "adapters/sqlite/sqlite_event_store.h"

namespace {

using namespace mtrace;
using Clock = std::chrono::steady_clock;
using Store = adapters::sqlite::SqliteEventStore;

constexpr int kSessions = 10'000;
constexpr std::int64_t kEvents = 10'000'000;
constexpr int kEventsPerChunk = 10;
constexpr int kChunksPerAppend = 10;  // one append = 10 receipts of 10 events of one session
// Appends queued at most while building: the writer commits what is queued in one transaction,
// and a time-bounded search reads whole transactions (chunk_spans), so the stored history must be
// cut into transactions the size live ingest makes (~300 events each at 300,000 events/s), not
// into the ~200,000-event ones an unbounded queue gives a fast machine.
constexpr int kAppendsInFlight = 32;
constexpr std::int64_t kLastRound = kEvents / (kSessions * kChunksPerAppend * kEventsPerChunk) - 1;
constexpr domain::Micros kT0 = 1'777'000'000'000'000;
constexpr double kCeilingMs = 5.0;

std::string session_id(int index) { return "session-" + std::to_string(1'000'000 + index); }

// When session `index`'s chunk of receipt `receipt` (round * kChunksPerAppend + chunk) arrived.
domain::Micros received_at(std::int64_t receipt, int index) {
  return kT0 + kSessions * 1000 + receipt * 1'000'000 + index;
}

std::unique_ptr<Store> open_or_die(const std::string& path) {
  auto opened = Store::open(path, {});
  if (!opened.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), opened.error().message.c_str());
    std::exit(1);
  }
  return std::move(opened).value();
}

void build(const std::string& path) {
  const auto begin = Clock::now();
  auto store = open_or_die(path);
  std::vector<domain::Session> sessions(kSessions);
  for (int i = 0; i < kSessions; ++i) {
    auto& s = sessions[static_cast<std::size_t>(i)];
    s.project_id = "bench";
    s.session_id = session_id(i);
    s.started_at = kT0 + i * 1000;
    s.correlation_id = "corr-" + s.session_id;
    s.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    s.dimensions.player_name = "hls.js";
  }
  std::int64_t ingest = 0;
  std::vector<std::int64_t> sequence(kSessions, 0);
  std::atomic<std::int64_t> failed{0};
  std::atomic<std::int64_t> in_flight{0};
  for (std::int64_t round = 0; ingest < kEvents; ++round) {
    for (int i = 0; i < kSessions && ingest < kEvents; ++i) {
      auto& s = sessions[static_cast<std::size_t>(i)];
      ports::AppendBatch batch;
      for (int chunk = 0; chunk < kChunksPerAppend; ++chunk) {
        const domain::Micros received = received_at(round * kChunksPerAppend + chunk, i);
        const auto stamp = std::make_shared<const domain::IngestStamp>(
            domain::IngestStamp{s.correlation_id, s.trace_id, ""});
        for (int k = 0; k < kEventsPerChunk; ++k) {
          domain::PlaybackEvent e;
          e.event_name = k == 9                                 ? "metrics_sampled"
                         : chunk == 0 && k == 0 && i % 100 == 7 ? "playback_error"
                                                                : "segment_loaded";
          e.project_id = s.project_id;
          e.session_id = s.session_id;
          e.client_timestamp = received - 900;
          e.sequence_number = sequence[static_cast<std::size_t>(i)]++;
          e.sdk = {"@mtrace/player-sdk", "0.3.1"};
          e.meta = {{"network.kind", "segment"}, {"bytes", 1'048'576}, {"timing.duration_ms", 182}};
          e.server_received_at = received;
          e.ingest_sequence = ++ingest;
          e.stamp = stamp;
          batch.events.push_back(std::move(e));
          s.last_event_at = received;
        }
      }
      s.event_count += kChunksPerAppend * kEventsPerChunk;
      batch.sessions.push_back(s);
      // Few in flight: live-sized transactions (kAppendsInFlight), and no append refused.
      while (in_flight.load() >= kAppendsInFlight) std::this_thread::yield();
      ++in_flight;
      store->append(std::move(batch), [&](const domain::Status& st) {
        if (!st.ok()) ++failed;
        --in_flight;
      });
    }
  }
  store->drain();
  if (failed > 0) {
    std::fprintf(stderr, "%lld appends failed while building\n", static_cast<long long>(failed.load()));
    std::exit(1);
  }
  std::printf("store_read  built %lld events in %d sessions in %.1f s (once; cached)\n",
              static_cast<long long>(kEvents), kSessions,
              std::chrono::duration<double>(Clock::now() - begin).count());
}

struct Percentiles {
  double p50 = 0;
  double p95 = 0;
};

Percentiles percentiles(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[ms.size() * 95 / 100]};
}

void print(const char* what, const Percentiles& p) {
  std::printf("store_read  %-44s p50 %6.3f ms  p95 %6.3f ms   ceiling p95 <= %.0f ms  %s\n", what,
              p.p50, p.p95, kCeilingMs, p.p95 <= kCeilingMs ? "OK" : "ABOVE CEILING");
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const std::filesystem::path dir = std::filesystem::path(MTRACE_SOURCE_DIR) / "build" / "bench-data";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "store_read-v4.db").string();
  for (const char* stale : {"store_read-v1.db", "store_read-v2.db"}) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(dir / (stale + std::string(suffix)));
  }
  if (!std::filesystem::exists(path)) {
    const std::string partial = path + ".partial";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(partial + suffix);
    build(partial);
    std::filesystem::rename(partial, path);
  }
  auto store = open_or_die(path);
  const auto stored = store->max_ingest_sequence();
  if (!stored.ok() || stored.value() != kEvents) {
    std::fprintf(stderr, "%s is incomplete: delete it and rerun\n", path.c_str());
    return 1;
  }

  std::mt19937_64 random(42);
  std::uniform_int_distribution<int> pick(0, kSessions - 1);
  std::uniform_int_distribution<std::int64_t> pick_before(kEvents / 2, kEvents);
  std::vector<double> list_ms, filtered_ms, admin_filtered_ms, first_page_ms, next_page_ms,
      errors_ms, recent_errors_ms, until_ms, recent_events_ms, other_project_ms;
  const auto timed = [](auto&& call, std::vector<double>& into) {
    const auto begin = Clock::now();
    call();
    into.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
  };
  for (int i = 0; i < iterations; ++i) {
    const int index = pick(random);
    ports::SessionListQuery list;
    list.project_id = "bench";
    list.limit = 100;
    if (i % 2 == 1) list.after = ports::SessionPosition{kT0 + index * 1000, session_id(index), "bench"};
    timed([&] {
      if (store->list_sessions(list).value().sessions.empty()) std::abort();
    }, list_ms);
    // A filter no stored session matches: without an index of its own it walks every session.
    list.player_name = "dash.js";
    timed([&] {
      if (!store->list_sessions(list).value().sessions.empty()) std::abort();
    }, filtered_ms);
    // The same filter across every project (an admin token).
    list.project_id.reset();
    timed([&] {
      if (!store->list_sessions(list).value().sessions.empty()) std::abort();
    }, admin_filtered_ms);

    std::optional<ports::EventPosition> next;
    timed([&] {
      const auto page = store->list_events({"bench", session_id(index), 100, std::nullopt});
      if (page.value().events.size() != 100) std::abort();
      next = page.value().next;
    }, first_page_ms);
    timed([&] {
      if (store->list_events({"bench", session_id(index), 100, next}).value().events.empty()) {
        std::abort();
      }
    }, next_page_ms);

    // A page of 100 events of `project`, received since `from` and before `until`, that must
    // hold `expected` events.
    const auto search = [&](const char* project, bool errors_only, std::optional<domain::Micros> from,
                            std::optional<domain::Micros> until, std::optional<std::int64_t> before,
                            std::size_t expected, std::vector<double>& into) {
      ports::EventSearchQuery query;
      query.project_id = project;
      query.errors_only = errors_only;
      query.limit = 100;
      query.received_from = from;
      query.received_until = until;
      query.before_ingest_sequence = before;
      timed([&] {
        if (store->search_events(query).value().events.size() != expected) std::abort();
      }, into);
    };
    const std::int64_t last_receipt = kLastRound * kChunksPerAppend + kChunksPerAppend - 1;
    search("bench", true, {}, {}, i % 2 == 1 ? std::optional(pick_before(random)) : std::nullopt, 100,
           errors_ms);
    // The last round's errors with i >= 5,000 (i % 100 == 7): 50 of the 1,000 stored.
    search("bench", true, received_at(kLastRound * kChunksPerAppend, 5000), {}, {}, 50, recent_errors_ms);
    // Every event received before the middle round: half the history is newer.
    search("bench", false, {}, received_at(kLastRound / 2 * kChunksPerAppend, 0), {}, 100, until_ms);
    // The last receipt's events of the last 5 sessions: 50 of 10 million.
    search("bench", false, received_at(last_receipt, kSessions - 5), {}, {}, 50, recent_events_ms);
    // The events page of a project that holds none of the 10 million.
    search("other", false, {}, {}, {}, 0, other_project_ms);
  }
  std::printf("store_read  %lld events, %d sessions, %d iterations\n",
              static_cast<long long>(kEvents), kSessions, iterations);
  print("sessions list page of 100", percentiles(list_ms));
  print("sessions list filtered, matching none", percentiles(filtered_ms));
  print("same, across every project (admin token)", percentiles(admin_filtered_ms));
  print("events page of 100, random session, first", percentiles(first_page_ms));
  print("events page of 100, random session, second", percentiles(next_page_ms));
  print("errors page of 100, newest or random point", percentiles(errors_ms));
  print("errors since a time 50 of 1,000 came after", percentiles(recent_errors_ms));
  print("events until the middle of the history", percentiles(until_ms));
  print("events since a time 50 came after", percentiles(recent_events_ms));
  print("events of a project that has none", percentiles(other_project_ms));
  return 0;
}
