#include "adapters/sqlite/sqlite_event_store.h"

#include "../../support/temp_dir.h"
#include "adapters/prometheus/prometheus_metrics.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <string_view>
#include <thread>
#include <tuple>

namespace mtrace::adapters::sqlite {
namespace {

using domain::Micros;
using domain::PlaybackEvent;
using domain::Session;
using domain::SessionState;

constexpr Micros kT0 = 1'777'000'000'000'000;  // 2026-04-24

class SqliteEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "store.db").string();
    reopen();
  }
  void TearDown() override {
    store_.reset();
  }

  void reopen(SqliteEventStore::Options options = {}) {
    store_.reset();
    auto opened = SqliteEventStore::open(path_, options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  // Appends without waiting: the future is ready once the batch is committed (or refused).
  std::future<domain::Status> append_async(ports::AppendBatch batch) {
    auto committed = std::make_shared<std::promise<domain::Status>>();
    auto result = committed->get_future();
    store_->append(std::move(batch), [committed](const domain::Status& s) { committed->set_value(s); });
    return result;
  }
  // Appends and waits for the commit.
  domain::Status append(ports::AppendBatch batch) { return append_async(std::move(batch)).get(); }
  // Erases and waits for the commit.
  domain::Result<bool> erase(const std::string& project_id, const std::string& session_id) {
    std::promise<domain::Result<bool>> erased;
    store_->erase_session(project_id, session_id, [&](const domain::Result<bool>& r) { erased.set_value(r); });
    return erased.get_future().get();
  }

  // One integer of the database file as another process sees it (the rows a crash would leave).
  std::optional<std::int64_t> query_int(const std::string& sql) {
    sqlite3* db = nullptr;
    std::optional<std::int64_t> value;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_stmt* statement = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
          sqlite3_step(statement) == SQLITE_ROW) {
        value = sqlite3_column_int64(statement, 0);
      }
      sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return value;
  }
  // How often the WAL started over: its header's checkpoint sequence number (bytes 12-15,
  // big-endian). 0 when there is no WAL file.
  std::uint32_t wal_restarts() {
    std::ifstream wal(path_ + "-wal", std::ios::binary);
    unsigned char header[16] = {};
    if (!wal.read(reinterpret_cast<char*>(header), sizeof header)) return 0;
    return (std::uint32_t{header[12]} << 24) | (std::uint32_t{header[13]} << 16) |
           (std::uint32_t{header[14]} << 8) | header[15];
  }
  std::uintmax_t wal_bytes() {
    std::error_code missing;
    const auto size = std::filesystem::file_size(path_ + "-wal", missing);
    return missing ? 0 : size;
  }
  // The ingest sequences of every page of `query`, following next_before from its first page.
  std::vector<std::int64_t> search_pages(ports::EventSearchQuery query) {
    std::vector<std::int64_t> found;
    do {
      const auto page = store_->search_events(query);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      for (const auto& e : page.value().events) found.push_back(e.ingest_sequence);
      query.before_ingest_sequence = page.value().next_before;
    } while (query.before_ingest_sequence);
    return found;
  }
  // A stored event as a search by received time sees it.
  struct Received {
    std::int64_t ingest;
    Micros at;
    bool error;
  };
  // Every search bounded by two of `times` (or one, or none), for all events and for errors, of
  // every project or of "demo" (which holds them all) or "other" (none), pages of `limit` to
  // exactly the events of `stored` received in [from, until), newest first.
  void expect_exact_time_searches(const std::vector<Received>& stored,
                                  const std::vector<std::optional<Micros>>& times, std::size_t limit) {
    for (const auto& from : times)
      for (const auto& until : times)
        for (const bool errors_only : {false, true})
          for (const std::string project : {"", "demo", "other"}) {
            std::vector<std::int64_t> expected;
            for (auto e = stored.rbegin(); project != "other" && e != stored.rend(); ++e) {
              if ((from && e->at < *from) || (until && e->at >= *until) || (errors_only && !e->error)) continue;
              expected.push_back(e->ingest);
            }
            ports::EventSearchQuery query;
            query.received_from = from;
            query.received_until = until;
            query.errors_only = errors_only;
            if (!project.empty()) query.project_id = project;
            query.limit = limit;
            SCOPED_TRACE("from " + (from ? std::to_string(*from - kT0) : "-") + " until " +
                         (until ? std::to_string(*until - kT0) : "-") + (errors_only ? " errors" : "") +
                         " project " + project);
            EXPECT_EQ(search_pages(query), expected);
          }
  }
  std::optional<std::int64_t> row_event_count(const std::string& session_id) {
    return query_int("SELECT event_count FROM sessions WHERE session_id = '" + session_id + "'");
  }

  // Runs `sql` on a connection of its own, as another process would behind the store's back.
  void exec(const char* sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  mtrace::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteEventStore> store_;
};

Session make_session(std::string project, std::string id, Micros started_at) {
  Session s;
  s.project_id = std::move(project);
  s.session_id = std::move(id);
  s.started_at = started_at;
  s.last_event_at = started_at;
  s.correlation_id = "corr-" + s.session_id;
  s.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  return s;
}

PlaybackEvent make_event(const Session& s, std::string name, std::int64_t ingest,
                         Micros received_at, std::optional<std::int64_t> sequence) {
  PlaybackEvent e;
  e.event_name = std::move(name);
  e.project_id = s.project_id;
  e.session_id = s.session_id;
  e.client_timestamp = received_at - 250;
  e.sequence_number = sequence;
  e.sdk = {"@mtrace/player-sdk", "1.2.3"};
  e.server_received_at = received_at;
  e.ingest_sequence = ingest;
  // A stamp of its own: the store must group events by the stamp's fields, not its address.
  e.stamp = std::make_shared<const domain::IngestStamp>(
      domain::IngestStamp{s.correlation_id, s.trace_id, "00f067aa0ba902b7"});
  return e;
}

// One batch of `names.size()` events of `s`, ingest sequences from `first_ingest`.
ports::AppendBatch batch_of(Session s, const std::vector<std::string>& names,
                            std::int64_t first_ingest, Micros received_at,
                            std::int64_t first_sequence) {
  ports::AppendBatch batch;
  for (std::size_t i = 0; i < names.size(); ++i) {
    batch.events.push_back(make_event(s, names[i], first_ingest + static_cast<std::int64_t>(i),
                                      received_at, first_sequence + static_cast<std::int64_t>(i)));
  }
  s.last_event_at = received_at;
  s.event_count += static_cast<std::int64_t>(names.size());
  batch.sessions.push_back(std::move(s));
  return batch;
}

// Batch `n` of a stream that fills the WAL fast: 10 events of session "s<n % 50>", each with a
// ~2 KB meta value that differs from its start, so the chunk encoder shares no prefix between them.
ports::AppendBatch large_batch(std::int64_t n) {
  static const std::string payload(2000, 'p');
  auto batch = batch_of(make_session("demo", "s" + std::to_string(n % 50), kT0),
                        std::vector<std::string>(10, "segment_loaded"), n * 10 + 1, kT0 + n, n * 10);
  for (auto& e : batch.events) e.meta = {{"payload", std::to_string(e.ingest_sequence) + payload}};
  return batch;
}

// A disk slower than ingest, for as long as it lives: each write of the store's checkpointer
// thread takes a millisecond more. It wraps the write calls of SQLite's unix VFS, which writes
// database pages with one of them; the writer's WAL writes are not slowed.
class SlowCheckpointerWrites {
 public:
  SlowCheckpointerWrites() {
    unix_ = sqlite3_vfs_find("unix");
    for (std::size_t i = 0; i < kCalls.size(); ++i) {
      original_[i] = unix_->xGetSystemCall(unix_, kCalls[i]);
      if (original_[i] != nullptr) unix_->xSetSystemCall(unix_, kCalls[i], slowed_[i]);
    }
  }
  ~SlowCheckpointerWrites() {
    for (std::size_t i = 0; i < kCalls.size(); ++i) {
      if (original_[i] != nullptr) unix_->xSetSystemCall(unix_, kCalls[i], original_[i]);
    }
  }
  SlowCheckpointerWrites(const SlowCheckpointerWrites&) = delete;
  SlowCheckpointerWrites& operator=(const SlowCheckpointerWrites&) = delete;

 private:
  static constexpr std::array<const char*, 3> kCalls = {"write", "pwrite", "pwrite64"};
  static void pause_if_checkpointer() {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof name);
    if (std::string_view(name) == "sqlite-ckpt") std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  static ssize_t slow_write(int fd, const void* data, size_t size) {
    pause_if_checkpointer();
    return reinterpret_cast<decltype(&::write)>(original_[0])(fd, data, size);
  }
  static ssize_t slow_pwrite(int fd, const void* data, size_t size, off_t offset) {
    pause_if_checkpointer();
    return reinterpret_cast<decltype(&::pwrite)>(original_[1])(fd, data, size, offset);
  }
  static ssize_t slow_pwrite64(int fd, const void* data, size_t size, off64_t offset) {
    pause_if_checkpointer();
    return reinterpret_cast<decltype(&::pwrite64)>(original_[2])(fd, data, size, offset);
  }
  static inline std::array<sqlite3_syscall_ptr, 3> original_{};
  static inline const std::array<sqlite3_syscall_ptr, 3> slowed_ = {
      reinterpret_cast<sqlite3_syscall_ptr>(&slow_write), reinterpret_cast<sqlite3_syscall_ptr>(&slow_pwrite),
      reinterpret_cast<sqlite3_syscall_ptr>(&slow_pwrite64)};
  sqlite3_vfs* unix_ = nullptr;
};

void expect_same_event(const PlaybackEvent& a, const PlaybackEvent& b) {
  EXPECT_EQ(a.event_name, b.event_name);
  EXPECT_EQ(a.project_id, b.project_id);
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.client_timestamp, b.client_timestamp);
  EXPECT_EQ(a.sequence_number, b.sequence_number);
  EXPECT_EQ(a.sdk.name, b.sdk.name);
  EXPECT_EQ(a.sdk.version, b.sdk.version);
  EXPECT_EQ(a.meta, b.meta);
  EXPECT_EQ(a.server_received_at, b.server_received_at);
  EXPECT_EQ(a.ingest_sequence, b.ingest_sequence);
  EXPECT_EQ(a.correlation_id(), b.correlation_id());
  EXPECT_EQ(a.trace_id(), b.trace_id());
  EXPECT_EQ(a.span_id(), b.span_id());
  EXPECT_EQ(a.time_skew_warning, b.time_skew_warning);
  EXPECT_EQ(a.after_session_end, b.after_session_end);
  EXPECT_EQ(a.delivery, b.delivery);
}

std::vector<std::int64_t> ingest_sequences(const std::vector<PlaybackEvent>& events) {
  std::vector<std::int64_t> out;
  for (const auto& e : events) out.push_back(e.ingest_sequence);
  return out;
}

std::vector<std::string> session_ids(const std::vector<Session>& sessions) {
  std::vector<std::string> out;
  for (const auto& s : sessions) out.push_back(s.session_id);
  return out;
}

TEST_F(SqliteEventStoreTest, RoundTripsEveryFieldOfSessionsEventsAndBoundaries) {
  Session s = make_session("demo", "s-1", kT0);
  s.state = SessionState::ended;
  s.ended_at = kT0 + 9'000'000;
  s.end_source = domain::EndSource::client;
  s.event_count = 3;
  s.sample_rate_ppm = 250'000;
  s.dimensions = {"content-7", "Big Buck", "hls.js", "1.5.0", "Chrome 126", "Windows 10"};
  s.last_error_code = "fragLoadError";
  s.error_count = 2;
  s.qoe.startup_ms = 812;
  s.qoe.started = true;
  s.qoe.failed = true;
  s.qoe.rebuffer_count = 3;
  s.qoe.rebuffer_ms = 4500;
  s.qoe.watch_ms = 60'000;
  s.qoe.rebuffer_ratio = 0.075;
  s.qoe.rebuffer_per_minute = 3.0;
  s.qoe.bitrate_switches = 4;
  s.qoe.switches_up = 3;
  s.qoe.switches_down = 1;
  s.qoe.average_bitrate_bps = 2.5e6;
  s.qoe.time_weighted_bitrate_bps = 2.25e6;
  s.qoe.dropped_frames = 12;
  s.qoe.decoded_frames = 1440;
  s.qoe.live_latency_s = 3.25;
  s.qoe.upscale_avg = 0.5;
  s.qoe.upscale_max = 1;
  s.qoe.startup_score = 91.5;
  s.qoe.smoothness_score = 80;
  s.qoe.quality_score = 70.25;

  PlaybackEvent first = make_event(s, "playback_error", 7, kT0 + 1000, std::nullopt);
  first.meta = {{"fatal", true}, {"error_code", "fragLoadError"},
                {"nested", {{"list", {1, 2.5, "x", nullptr}}}}};
  first.time_skew_warning = true;
  first.client_timestamp = kT0 - 3'600'000'000;  // an hour behind
  PlaybackEvent second = make_event(s, "session_ended", 8, kT0 + 1000, 4);
  second.after_session_end = true;
  second.delivery = domain::DeliveryStatus::duplicate_suspected;
  ports::AppendBatch batch;
  batch.events = {first, second};
  batch.sessions = {s};
  batch.boundaries.push_back({"network_signal_absent", "demo", "s-1", "segment", "native_hls",
                              "native_hls_unavailable", kT0 + 10, kT0 + 1000});
  batch.boundaries.push_back({"network_signal_absent", "demo", "s-1", "manifest", "hls.js",
                              "cors_timing_blocked", kT0 + 10, kT0 + 1000});
  ASSERT_TRUE(append(batch).ok());

  const auto found = store_->find_session("demo", "s-1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found.value().has_value());
  const Session& got = *found.value();
  EXPECT_EQ(got.state, SessionState::ended);
  EXPECT_EQ(got.started_at, s.started_at);
  EXPECT_EQ(got.last_event_at, s.last_event_at);
  EXPECT_EQ(got.ended_at, s.ended_at);
  EXPECT_EQ(got.end_source, domain::EndSource::client);
  EXPECT_EQ(got.event_count, 3);
  EXPECT_EQ(got.correlation_id, "corr-s-1");
  EXPECT_EQ(got.trace_id, s.trace_id);
  EXPECT_EQ(got.sample_rate_ppm, 250'000);
  EXPECT_EQ(got.dimensions.content_id, "content-7");
  EXPECT_EQ(got.dimensions.content_title, "Big Buck");
  EXPECT_EQ(got.dimensions.player_name, "hls.js");
  EXPECT_EQ(got.dimensions.player_version, "1.5.0");
  EXPECT_EQ(got.dimensions.browser_family, "Chrome 126");
  EXPECT_EQ(got.dimensions.os_family, "Windows 10");
  EXPECT_EQ(got.last_error_code, "fragLoadError");
  EXPECT_EQ(got.error_count, 2);
  EXPECT_EQ(got.qoe.startup_ms, 812);
  EXPECT_TRUE(got.qoe.started);
  EXPECT_FALSE(got.qoe.exited_before_start);
  EXPECT_TRUE(got.qoe.failed);
  EXPECT_EQ(got.qoe.rebuffer_count, 3);
  EXPECT_EQ(got.qoe.rebuffer_ms, 4500);
  EXPECT_EQ(got.qoe.watch_ms, 60'000);
  EXPECT_DOUBLE_EQ(got.qoe.rebuffer_ratio, 0.075);
  EXPECT_DOUBLE_EQ(got.qoe.rebuffer_per_minute, 3.0);
  EXPECT_EQ(got.qoe.bitrate_switches, 4);
  EXPECT_EQ(got.qoe.switches_up, 3);
  EXPECT_EQ(got.qoe.switches_down, 1);
  EXPECT_EQ(got.qoe.average_bitrate_bps, 2.5e6);
  EXPECT_EQ(got.qoe.time_weighted_bitrate_bps, 2.25e6);
  EXPECT_EQ(got.qoe.dropped_frames, 12);
  EXPECT_EQ(got.qoe.decoded_frames, 1440);
  EXPECT_EQ(got.qoe.live_latency_s, 3.25);
  EXPECT_EQ(got.qoe.upscale_avg, 0.5);
  EXPECT_EQ(got.qoe.upscale_max, 1.0);
  EXPECT_EQ(got.qoe.startup_score, 91.5);
  EXPECT_EQ(got.qoe.smoothness_score, 80);
  EXPECT_EQ(got.qoe.quality_score, 70.25);
  ASSERT_EQ(got.network_signal_absent.size(), 2u);  // sorted by network kind, adapter, reason
  EXPECT_EQ(got.network_signal_absent[0].network_kind, "manifest");
  EXPECT_EQ(got.network_signal_absent[0].adapter, "hls.js");
  EXPECT_EQ(got.network_signal_absent[0].reason, "cors_timing_blocked");
  EXPECT_EQ(got.network_signal_absent[1].network_kind, "segment");

  const auto page = store_->list_events({"demo", "s-1", 100, std::nullopt});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page.value().events.size(), 2u);
  EXPECT_FALSE(page.value().next.has_value());
  expect_same_event(page.value().events[0], first);  // absent sequence number sorts first
  expect_same_event(page.value().events[1], second);

  EXPECT_FALSE(store_->find_session("demo", "unknown").value().has_value());
  EXPECT_FALSE(store_->find_session("other", "s-1").value().has_value());
}

TEST_F(SqliteEventStoreTest, BoundaryRepeatRefreshesTimesOnly) {
  Session s = make_session("demo", "s-1", kT0);
  auto batch = batch_of(s, {"manifest_loaded"}, 1, kT0, 0);
  batch.boundaries.push_back({"network_signal_absent", "demo", "s-1", "segment", "native_hls",
                              "native_hls_unavailable", kT0, kT0});
  ASSERT_TRUE(append(batch).ok());
  batch = batch_of(s, {"segment_loaded"}, 2, kT0 + 5, 1);
  batch.boundaries.push_back({"network_signal_absent", "demo", "s-1", "segment", "native_hls",
                              "native_hls_unavailable", kT0 + 5, kT0 + 5});
  ASSERT_TRUE(append(batch).ok());
  EXPECT_EQ(store_->find_session("demo", "s-1").value()->network_signal_absent.size(), 1u);
}

TEST_F(SqliteEventStoreTest, EventPagesFollowReceivedTimeThenSequenceThenIngestOrder) {
  Session s = make_session("demo", "s-1", kT0);
  // Two batches received at the same microsecond whose sequence numbers interleave, a batch
  // with absent sequence numbers, and an earlier batch appended last.
  ports::AppendBatch a = batch_of(s, {"a", "a", "a"}, 10, kT0 + 100, 0);  // seq 0,2,4
  for (std::size_t i = 0; i < a.events.size(); ++i) a.events[i].sequence_number = 2 * i;
  ports::AppendBatch b = batch_of(s, {"b", "b", "b"}, 20, kT0 + 100, 0);  // seq 1,3,5
  for (std::size_t i = 0; i < b.events.size(); ++i) b.events[i].sequence_number = 2 * i + 1;
  ports::AppendBatch c = batch_of(s, {"c", "c"}, 30, kT0 + 100, 0);  // no seq
  for (auto& e : c.events) e.sequence_number.reset();
  ports::AppendBatch d = batch_of(s, {"d", "d"}, 40, kT0 + 50, 9);
  for (auto* batch : {&a, &b, &c, &d}) ASSERT_TRUE(append(*batch).ok());

  const std::vector<std::int64_t> expected = {40, 41, 30, 31, 10, 20, 11, 21, 12, 22};
  std::vector<std::int64_t> seen;
  std::optional<ports::EventPosition> after;
  int pages = 0;
  do {
    const auto page = store_->list_events({"demo", "s-1", 3, after});
    ASSERT_TRUE(page.ok()) << page.error().message;
    EXPECT_LE(page.value().events.size(), 3u);
    for (auto seq : ingest_sequences(page.value().events)) seen.push_back(seq);
    after = page.value().next;
    if (after) {
      const auto& last = page.value().events.back();
      EXPECT_EQ(after->ingest_sequence, last.ingest_sequence);
      EXPECT_EQ(after->sequence_number, last.sequence_number);
      EXPECT_EQ(after->server_received_at, last.server_received_at);
    }
    ASSERT_LT(++pages, 10);
  } while (after);
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 4);
  EXPECT_TRUE(store_->list_events({"demo", "nope", 3, std::nullopt}).value().events.empty());
}

TEST_F(SqliteEventStoreTest, ListsSessionsNewestFirstWithPagingAndFilters) {
  std::vector<Session> sessions = {
      make_session("demo", "aa-1", kT0 + 3), make_session("demo", "ab-2", kT0 + 3),
      make_session("demo", "b-3", kT0 + 2),  make_session("demo", "c-4", kT0 + 1),
      make_session("other", "d-5", kT0 + 5)};
  sessions[0].state = SessionState::ended;
  sessions[1].dimensions.content_id = "movie";
  sessions[2].dimensions.player_name = "dash.js";
  sessions[3].last_error_code = "fragLoadError";
  std::int64_t ingest = 1;
  for (const auto& s : sessions) ASSERT_TRUE(append(batch_of(s, {"x"}, ingest++, kT0, 0)).ok());

  std::vector<std::string> all;
  std::optional<ports::SessionPosition> after;
  do {
    ports::SessionListQuery query;
    query.project_id = "demo";
    query.limit = 2;
    query.after = after;
    const auto page = store_->list_sessions(query);
    ASSERT_TRUE(page.ok()) << page.error().message;
    for (const auto& id : session_ids(page.value().sessions)) all.push_back(id);
    after = page.value().next;
  } while (after);
  EXPECT_EQ(all, (std::vector<std::string>{"aa-1", "ab-2", "b-3", "c-4"}));

  const auto ids = [&](auto&& set_filter) {
    ports::SessionListQuery query;
    query.project_id = "demo";
    set_filter(query);
    return session_ids(store_->list_sessions(query).value().sessions);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids([](auto& q) { q.state = SessionState::ended; }), V{"aa-1"});
  EXPECT_EQ(ids([](auto& q) { q.state = SessionState::active; }), (V{"ab-2", "b-3", "c-4"}));
  EXPECT_EQ(ids([](auto& q) { q.content_id = "movie"; }), V{"ab-2"});
  EXPECT_EQ(ids([](auto& q) { q.player_name = "dash.js"; }), V{"b-3"});
  EXPECT_EQ(ids([](auto& q) { q.error_code = "fragLoadError"; }), V{"c-4"});
  EXPECT_EQ(ids([](auto& q) { q.session_id_prefix = "a"; }), (V{"aa-1", "ab-2"}));
  EXPECT_EQ(ids([](auto& q) { q.session_id_prefix = "ab"; }), V{"ab-2"});
  EXPECT_EQ(ids([](auto& q) { q.started_from = kT0 + 2; }), (V{"aa-1", "ab-2", "b-3"}));
  EXPECT_EQ(ids([](auto& q) { q.started_until = kT0 + 2; }), V{"c-4"});
  EXPECT_EQ(ids([](auto& q) { q.project_id = "other"; }), V{"d-5"});
  EXPECT_EQ(ids([](auto& q) { q.project_id.reset(); }), (V{"d-5", "aa-1", "ab-2", "b-3", "c-4"}));
}

TEST_F(SqliteEventStoreTest, AFilteredListAcrossProjectsMergesThemNewestFirstPageByPage) {
  // Three projects interleaved in time; the list for every project (an admin token) asks each
  // project through its own index and merges the answers.
  std::vector<Session> sessions = {
      make_session("b-project", "s-1", kT0 + 1), make_session("a-project", "s-2", kT0 + 2),
      make_session("c-project", "s-3", kT0 + 3), make_session("a-project", "s-4", kT0 + 4),
      make_session("b-project", "s-5", kT0 + 5), make_session("c-project", "s-6", kT0 + 6),
      make_session("a-project", "s-7", kT0 + 6)};
  sessions[2].state = SessionState::ended;
  for (auto& s : sessions) s.dimensions.player_name = "dash.js";
  sessions[0].dimensions.player_name = "hls.js";
  std::int64_t ingest = 1;
  for (const auto& s : sessions) ASSERT_TRUE(append(batch_of(s, {"x"}, ingest++, kT0, 0)).ok());

  const auto pages_of = [&](auto&& set_filter) {
    std::vector<std::vector<std::string>> pages;
    std::optional<ports::SessionPosition> after;
    do {
      ports::SessionListQuery query;
      query.limit = 2;
      query.after = after;
      set_filter(query);
      const auto page = store_->list_sessions(query);
      EXPECT_TRUE(page.ok());
      if (!page.ok()) break;
      pages.push_back(session_ids(page.value().sessions));
      after = page.value().next;
    } while (after);
    return pages;
  };
  using Pages = std::vector<std::vector<std::string>>;
  EXPECT_EQ(pages_of([](auto& q) { q.player_name = "dash.js"; }),
            (Pages{{"s-6", "s-7"}, {"s-5", "s-4"}, {"s-3", "s-2"}}));
  EXPECT_EQ(pages_of([](auto& q) { q.state = SessionState::active; }),
            (Pages{{"s-6", "s-7"}, {"s-5", "s-4"}, {"s-2", "s-1"}}));
  EXPECT_EQ(pages_of([](auto& q) { q.session_id_prefix = "s-1"; }), (Pages{{"s-1"}}));
  EXPECT_EQ(pages_of([](auto& q) { q.player_name = "shaka"; }), (Pages{{}}));
  // The same filter within one project gives that project's share, in the same order.
  EXPECT_EQ(pages_of([](auto& q) { q.project_id = "a-project"; q.player_name = "dash.js"; }),
            (Pages{{"s-7", "s-4"}, {"s-2"}}));
}

// Two projects' sessions may share an id and a start; a list across projects pages through both.
TEST_F(SqliteEventStoreTest, AListAcrossProjectsPagesThroughEqualIdsAndStartsOfTwoProjects) {
  std::int64_t ingest = 1;
  for (const char* project : {"b-project", "a-project", "c-project"}) {
    Session session = make_session(project, "same", kT0);
    session.dimensions.player_name = "hls.js";
    ASSERT_TRUE(append(batch_of(session, {"x"}, ingest++, kT0, 0)).ok());
  }
  for (const bool filtered : {false, true}) {
    std::vector<std::string> seen;
    std::optional<ports::SessionPosition> after;
    do {
      ports::SessionListQuery query;
      query.limit = 1;
      query.after = after;
      if (filtered) query.player_name = "hls.js";
      const auto page = store_->list_sessions(query);
      ASSERT_TRUE(page.ok()) << page.error().message;
      for (const auto& session : page.value().sessions) seen.push_back(session.project_id);
      after = page.value().next;
      ASSERT_LT(seen.size(), 5u);
    } while (after);
    EXPECT_EQ(seen, (std::vector<std::string>{"a-project", "b-project", "c-project"})) << filtered;
  }
}

TEST_F(SqliteEventStoreTest, ASessionIdPrefixMatchesBytewiseUpToItsLastByte) {
  std::int64_t ingest = 1;
  for (const char* id : {"ab", "ab\x7f", "ab\xff", "ac", "\xff\xff", "\xff"}) {
    ASSERT_TRUE(append(batch_of(make_session("demo", id, kT0 + ingest), {"x"}, ingest, kT0, 0)).ok());
    ++ingest;
  }
  const auto ids = [&](std::string prefix) {
    ports::SessionListQuery query;
    query.project_id = "demo";
    query.session_id_prefix = std::move(prefix);
    auto found = session_ids(store_->list_sessions(query).value().sessions);
    std::sort(found.begin(), found.end());
    return found;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("ab"), (V{"ab", "ab\x7f", "ab\xff"}));
  EXPECT_EQ(ids("ab\xff"), V{"ab\xff"});
  EXPECT_EQ(ids("\xff"), (V{"\xff", "\xff\xff"}));  // no upper bound: nothing sorts after 0xFF
  EXPECT_EQ(ids("\xff\xff"), V{"\xff\xff"});
  EXPECT_EQ(ids("ad"), V{});
}

TEST_F(SqliteEventStoreTest, SessionEventsAreTheSessionsEventsInIngestOrder) {
  Session s = make_session("demo", "s-1", kT0);
  ASSERT_TRUE(append(batch_of(s, {"a", "b", "c"}, 1, kT0 + 5, 5)).ok());
  ASSERT_TRUE(append(batch_of(s, {"d"}, 4, kT0 + 1, 2)).ok());  // received earlier: clock step
  auto no_seq = batch_of(s, {"e"}, 5, kT0 + 2, 0);
  no_seq.events[0].sequence_number.reset();
  no_seq.events[0].meta["bitrate_bps"] = 400000;
  ASSERT_TRUE(append(no_seq).ok());
  ASSERT_TRUE(append(batch_of(make_session("demo", "s-2", kT0), {"z"}, 6, kT0, 99)).ok());
  const auto events = store_->session_events("demo", "s-1").value();
  EXPECT_EQ(ingest_sequences(events), (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[3].sequence_number, 2);
  EXPECT_FALSE(events[4].sequence_number);
  EXPECT_EQ(events[4].meta.at("bitrate_bps"), 400000);
  EXPECT_TRUE(store_->session_events("demo", "none").value().empty());
}

TEST_F(SqliteEventStoreTest, EventsOfOneSessionAndTimeKeepTheirOwnStamps) {
  Session s = make_session("demo", "s-1", kT0);
  auto batch = batch_of(s, {"a", "b", "c"}, 1, kT0 + 5, 0);
  batch.events[1].stamp = std::make_shared<const domain::IngestStamp>(
      domain::IngestStamp{s.correlation_id, "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"});
  batch.events[2].stamp = nullptr;
  ASSERT_TRUE(append(batch).ok());
  const auto events = store_->session_events("demo", "s-1").value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].trace_id(), s.trace_id);
  EXPECT_EQ(events[0].span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(events[1].trace_id(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(events[1].span_id(), "b7ad6b7169203331");
  EXPECT_EQ(events[2].correlation_id(), "");
  EXPECT_EQ(events[2].span_id(), "");
}

TEST_F(SqliteEventStoreTest, EventsAfterReturnsTheProjectsEventsAscending) {
  Session a = make_session("demo", "a", kT0);
  Session b = make_session("demo", "b", kT0);
  Session o = make_session("other", "o", kT0);
  // One batch whose two sessions interleave their ingest sequences.
  ports::AppendBatch mixed;
  for (std::int64_t i = 1; i <= 6; ++i) {
    mixed.events.push_back(make_event(i % 2 ? a : b, "x", i, kT0, i));
  }
  mixed.sessions = {a, b};
  ASSERT_TRUE(append(mixed).ok());
  ASSERT_TRUE(append(batch_of(o, {"y", "y"}, 7, kT0, 0)).ok());
  ASSERT_TRUE(append(batch_of(a, {"z", "z"}, 9, kT0 + 1, 10)).ok());

  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 100).value()),
            (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 9, 10}));
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 2, 3).value()),
            (std::vector<std::int64_t>{3, 4, 5}));
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 6, 100).value()),
            (std::vector<std::int64_t>{9, 10}));
  EXPECT_EQ(ingest_sequences(store_->events_after("other", 0, 100).value()),
            (std::vector<std::int64_t>{7, 8}));
  EXPECT_TRUE(store_->events_after("demo", 10, 100).value().empty());
}

TEST_F(SqliteEventStoreTest, SearchEventsNewestFirstWithFiltersAndPaging) {
  Session a = make_session("demo", "a", kT0);
  Session o = make_session("other", "o", kT0);
  ASSERT_TRUE(append(batch_of(a, {"segment_loaded", "playback_error", "segment_loaded"}, 1,
                              kT0 + 10, 0))
                  .ok());
  ASSERT_TRUE(append(batch_of(o, {"playback_error"}, 4, kT0 + 20, 0)).ok());
  ASSERT_TRUE(append(batch_of(a, {"playback_error", "metrics_sampled"}, 5, kT0 + 30, 3)).ok());

  const auto search = [&](auto&& set_filter) {
    ports::EventSearchQuery query;
    query.project_id = "demo";
    set_filter(query);
    const auto page = store_->search_events(query);
    EXPECT_TRUE(page.ok());
    return page.value();
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(ingest_sequences(search([](auto&) {}).events), (V{6, 5, 3, 2, 1}));
  EXPECT_EQ(ingest_sequences(search([](auto& q) { q.errors_only = true; }).events), (V{5, 2}));
  EXPECT_EQ(ingest_sequences(search([](auto& q) { q.event_name = "segment_loaded"; }).events),
            (V{3, 1}));
  EXPECT_TRUE(search([](auto& q) {
                q.event_name = "segment_loaded";
                q.errors_only = true;
              }).events.empty());
  EXPECT_EQ(ingest_sequences(search([](auto& q) { q.project_id.reset(); q.errors_only = true; })
                                 .events),
            (V{5, 4, 2}));
  EXPECT_EQ(ingest_sequences(search([](auto& q) {
                               q.received_from = kT0 + 10;
                               q.received_until = kT0 + 30;
                             }).events),
            (V{3, 2, 1}));

  ports::EventSearchQuery paged;
  paged.project_id = "demo";
  paged.limit = 2;
  EXPECT_EQ(search_pages(paged), (V{6, 5, 3, 2, 1}));
}

// An index row whose list of chunk ids does not decode is read as every chunk it spans: a search
// by name, alone or within a project, finds the same events as before the damage.
TEST_F(SqliteEventStoreTest, ASearchReadsAroundADamagedIndexRow) {
  reopen({.commit_interval = std::chrono::seconds(30)});  // the 32 batches below wait as a group
  ASSERT_TRUE(append(batch_of(make_session("demo", "first", kT0), {"x"}, 1, kT0, 0)).ok());
  std::vector<std::future<domain::Status>> committed;
  for (int i = 0; i < 32; ++i) {
    const std::vector<std::string> names =
        i % 3 == 0 ? std::vector<std::string>{"x", "playback_error"} : std::vector<std::string>{"x"};
    const Session session = make_session(i % 2 == 0 ? "demo" : "other", "s" + std::to_string(i), kT0);
    committed.push_back(append_async(batch_of(session, names, 2 + 2 * i, kT0 + i, 0)));
  }
  for (auto& f : committed) ASSERT_TRUE(f.get().ok());
  reopen();
  const auto search = [&](std::optional<std::string> project) {
    ports::EventSearchQuery query;
    query.project_id = std::move(project);
    query.errors_only = true;
    query.limit = 100;
    return ingest_sequences(store_->search_events(query).value().events);
  };
  const auto every_project = search(std::nullopt), demo = search("demo");
  ASSERT_EQ(every_project.size(), 11u);  // batches 0, 3, ..., 30
  ASSERT_EQ(demo.size(), 6u);            // the even ones of them

  exec("UPDATE name_chunks SET chunk_ids = x'ff' WHERE chunk_ids IS NOT NULL;"
       " UPDATE project_chunks SET chunk_ids = x'ff' WHERE chunk_ids IS NOT NULL");
  EXPECT_GE(query_int("SELECT count(*) FROM name_chunks WHERE chunk_ids = x'ff'"), 1);
  EXPECT_EQ(search(std::nullopt), every_project);
  EXPECT_EQ(search("demo"), demo);
}

// The batches of one transaction share one name_chunks row per name and one project_chunks row
// per project; a search still finds each chunk that holds the name or is of the project, pages
// through them, and forgets erased and pruned ones.
TEST_F(SqliteEventStoreTest, ANameSearchFindsEveryChunkOfATransactionThatHoldsTheName) {
  reopen({.commit_interval = std::chrono::seconds(30)});  // the 32 batches below wait as a group
  ASSERT_TRUE(append(batch_of(make_session("demo", "first", kT0), {"playback_error"}, 1, kT0, 0)).ok());
  std::vector<std::future<domain::Status>> committed;
  std::vector<std::int64_t> errors{1}, ad_breaks, other_segments, other_events;
  for (int i = 0; i < 32; ++i) {
    const std::int64_t first = 2 + 3 * i;
    std::vector<std::string> names{"segment_loaded", "metrics_sampled"};
    if (i % 10 == 3) names.push_back("playback_error"), errors.push_back(first + 2);
    if (i == 17) names.push_back("ad_break"), ad_breaks.push_back(first + 2);
    const std::string project = i % 4 == 0 ? "other" : "demo";
    if (project == "other") {
      other_segments.push_back(first);
      other_events.insert(other_events.end(), {first, first + 1});
    }
    const Session session = make_session(project, "s" + std::to_string(i), kT0);
    committed.push_back(append_async(batch_of(session, names, first, kT0 + i, 0)));
  }
  for (auto& f : committed) ASSERT_TRUE(f.get().ok());
  EXPECT_LT(query_int("SELECT count(*) FROM name_chunks WHERE event_name = 'segment_loaded'"), 8);
  EXPECT_LT(query_int("SELECT count(*) FROM project_chunks WHERE project_id = 'other'"), 4);
  reopen();  // erasing and pruning below need not wait for the interval

  const auto search_all = [&](auto&& set_filter) {
    ports::EventSearchQuery query;
    query.limit = 2;
    set_filter(query);
    return search_pages(query);
  };
  std::reverse(errors.begin(), errors.end());
  std::reverse(other_segments.begin(), other_segments.end());
  std::reverse(other_events.begin(), other_events.end());
  EXPECT_EQ(search_all([](auto& q) { q.errors_only = true; }), errors);
  EXPECT_EQ(search_all([](auto& q) { q.event_name = "ad_break"; }), ad_breaks);
  EXPECT_EQ(search_all([](auto& q) {
              q.event_name = "segment_loaded";
              q.project_id = "other";
            }),
            other_segments);
  EXPECT_EQ(search_all([](auto& q) { q.project_id = "other"; }), other_events);
  EXPECT_TRUE(search_all([](auto& q) { q.project_id = "none"; }).empty());
  EXPECT_TRUE(search_all([](auto& q) { q.event_name = "seek_started"; }).empty());

  EXPECT_TRUE(erase("demo", "s13").value());  // holds the error at 2 + 3 * 13 + 2
  errors.erase(std::find(errors.begin(), errors.end(), 43));
  EXPECT_EQ(search_all([](auto& q) { q.errors_only = true; }), errors);

  ASSERT_TRUE(store_->prune_before(kT0 + 1'000'000).ok());
  EXPECT_TRUE(search_all([](auto& q) { q.errors_only = true; }).empty());
  EXPECT_EQ(query_int("SELECT count(*) FROM name_chunks"), 0);
  EXPECT_EQ(query_int("SELECT count(*) FROM project_chunks"), 0);
  EXPECT_EQ(query_int("SELECT count(*) FROM chunk_spans"), 0);
}

// A name search from a received time finds every event at or after it, also when the wall clock
// stepped back between batches, so that received times do not follow ingest order.
TEST_F(SqliteEventStoreTest, ANameSearchFromAReceivedTimeFindsEveryEventAtOrAfterIt) {
  Session a = make_session("demo", "a", kT0);
  const std::vector<std::pair<std::int64_t, Micros>> errors = {
      {1, kT0 + 100}, {3, kT0 + 10}, {5, kT0 + 50}, {7, kT0 + 5}};  // ingest sequence, received
  for (const auto& [ingest, received] : errors) {
    ASSERT_TRUE(append(batch_of(a, {"playback_error", "x"}, ingest, received, ingest)).ok());
  }
  const auto errors_from = [&](Micros from, std::size_t limit) {
    ports::EventSearchQuery query;
    query.errors_only = true;
    query.received_from = from;
    query.limit = limit;
    return search_pages(query);
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(errors_from(kT0 + 40, 100), (V{5, 1}));
  EXPECT_EQ(errors_from(kT0 + 40, 1), (V{5, 1}));
  EXPECT_EQ(errors_from(kT0 + 5, 100), (V{7, 5, 3, 1}));
  EXPECT_TRUE(errors_from(kT0 + 101, 100).empty());
}

// A project's events among many more of another project: the search reads on in chunk-id order
// while the project's chunks are near, and then through the project's own chunk list.
TEST_F(SqliteEventStoreTest, AProjectsEventsAreFoundAmongManyMoreOfAnother) {
  std::vector<std::int64_t> rare, rare_in_window, rare_errors, big, big_errors;  // newest first
  std::vector<std::future<domain::Status>> committed;
  for (std::int64_t i = 0; i < 606; ++i) {
    const bool is_rare = i % 101 == 50 || i % 101 == 51;  // 6 pairs, 99 of the other project's apart
    const bool error = is_rare ? i % 2 == 0 : i % 5 != 0;  // the other project's: runs of 64 and more
    const std::int64_t first = 1 + 2 * i;
    const Session session = make_session(is_rare ? "rare" : "big", "s" + std::to_string(i % 7), kT0);
    committed.push_back(append_async(batch_of(
        session, {"segment_loaded", error ? "playback_error" : "metrics_sampled"}, first, kT0 + i, first)));
    auto& list = is_rare ? rare : big;
    list.insert(list.begin(), {first + 1, first});
    auto& errors = is_rare ? rare_errors : big_errors;
    if (error) errors.insert(errors.begin(), first + 1);
    if (is_rare && i >= 100 && i < 400) rare_in_window.insert(rare_in_window.begin(), {first + 1, first});
  }
  for (auto& f : committed) ASSERT_TRUE(f.get().ok());
  ports::EventSearchQuery query;
  query.project_id = "rare";
  query.limit = 3;
  EXPECT_EQ(search_pages(query), rare);
  query.errors_only = true;  // both lists: the project's and the name's
  EXPECT_EQ(search_pages(query), rare_errors);
  query.errors_only = false;
  query.received_from = kT0 + 100;
  query.received_until = kT0 + 400;
  EXPECT_EQ(search_pages(query), rare_in_window);
  ports::EventSearchQuery newest_big;
  newest_big.project_id = "big";
  newest_big.limit = 50;
  EXPECT_EQ(ingest_sequences(store_->search_events(newest_big).value().events),
            std::vector<std::int64_t>(big.begin(), big.begin() + 50));
  newest_big.errors_only = true;
  newest_big.limit = 7;
  EXPECT_EQ(search_pages(newest_big), big_errors);
}

// Searches bounded by received time find exactly the events received in [from, until), named or
// not, when the clock stepped back between batches and when one transaction holds several.
TEST_F(SqliteEventStoreTest, ASearchByReceivedTimeFindsExactlyTheEventsReceivedThen) {
  reopen({.commit_interval = std::chrono::milliseconds(20)});
  // Received times in ingest order, stepping back now and then. Every fourth batch is a
  // transaction of its own, and the three after it wait for the commit interval together:
  // 10 | 20 30 40 | 15 | 25 35 45 | 50 | 5 60 70 | 3.
  const std::vector<Micros> received = {10, 20, 30, 40, 15, 25, 35, 45, 50, 5, 60, 70, 3};
  std::vector<Received> stored;
  std::vector<std::future<domain::Status>> committed;
  for (std::size_t i = 0; i < received.size(); ++i) {
    const auto first = static_cast<std::int64_t>(1 + 2 * i);
    const bool error = i % 3 == 1;
    stored.push_back({first, kT0 + received[i], false});
    stored.push_back({first + 1, kT0 + received[i], error});
    auto batch = batch_of(make_session("demo", "s" + std::to_string(i), kT0),
                          {"segment_loaded", error ? "playback_error" : "metrics_sampled"}, first,
                          kT0 + received[i], 0);
    if (i % 4 == 0) {
      ASSERT_TRUE(append(std::move(batch)).ok());
      continue;
    }
    committed.push_back(append_async(std::move(batch)));
    if (i % 4 == 3) {
      for (auto& f : committed) ASSERT_TRUE(f.get().ok());
      committed.clear();
    }
  }
  ASSERT_EQ(query_int("SELECT count(*) FROM chunk_spans"), 7);

  std::vector<std::optional<Micros>> times = {std::nullopt};
  for (const Micros t : {0, 4, 12, 15, 20, 26, 33, 45, 51, 61, 71, 80}) times.push_back(kT0 + t);
  expect_exact_time_searches(stored, times, 3);
}

// Schema 6 gave the chunks stored before it spans of 256, marking those the clock stepped back in.
TEST_F(SqliteEventStoreTest, AStoreOfSchemaFiveSearchesByReceivedTimeAfterTheMigration) {
  std::vector<Received> stored;
  std::vector<std::future<domain::Status>> committed;
  for (std::int64_t i = 0; i < 600; ++i) {
    // Back by a second at the 300th batch, and again by a little at the 450th.
    const Micros at = kT0 + (i < 300 ? 1'000'000 + i : i < 450 ? i : 200 + i);
    const bool error = i % 7 == 0;
    stored.push_back({i + 1, at, error});
    const Session session = make_session("demo", "s" + std::to_string(i % 5), kT0);
    committed.push_back(append_async(batch_of(session, {error ? "playback_error" : "segment_loaded"}, i + 1, at, i)));
  }
  for (auto& f : committed) ASSERT_TRUE(f.get().ok());
  store_.reset();
  exec("DROP TABLE chunk_spans;"
       " DROP TABLE project_chunks;"
       " ALTER TABLE name_chunks ADD COLUMN last_received_at INTEGER NOT NULL DEFAULT 0;"
       " CREATE INDEX name_chunks_by_time ON name_chunks (event_name, last_received_at, first_chunk_id);"
       " DELETE FROM schema_migrations WHERE version = 6;");
  reopen();
  EXPECT_EQ(query_int("SELECT max(version) FROM schema_migrations"), 6);
  EXPECT_EQ(query_int("SELECT count(*) FROM chunk_spans"), 3);
  // The second and third spans begin before the first: both are rewound.
  EXPECT_EQ(query_int("SELECT sum(rewound) FROM chunk_spans"), 2);
  EXPECT_EQ(query_int("SELECT count(*) FROM project_chunks"), 600);  // one per chunk
  std::vector<std::optional<Micros>> times = {std::nullopt};
  for (const Micros t : {0, 299, 400, 450, 500, 700, 999'999, 1'000'100, 1'000'300}) times.push_back(kT0 + t);
  expect_exact_time_searches(stored, times, 100);
}

// Schema 5 turned the per-chunk name rows of a database written before into name_chunks rows;
// schema 6 gave its chunks spans of received times.
TEST_F(SqliteEventStoreTest, AStoreOfSchemaFourKeepsItsNameSearchAfterTheMigration) {
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"segment_loaded", "playback_error"}, 1, kT0, 0)).ok());
  ASSERT_TRUE(append(batch_of(a, {"playback_error", "x"}, 3, kT0 + 1, 2)).ok());
  store_.reset();
  exec("CREATE TABLE chunk_names (event_name TEXT NOT NULL, chunk_id INTEGER NOT NULL,"
       " PRIMARY KEY (event_name, chunk_id)) WITHOUT ROWID;"
       " INSERT INTO chunk_names SELECT event_name, last_chunk_id FROM name_chunks;"
       " DROP TABLE name_chunks;"
       " DROP TABLE chunk_spans;"
       " DROP TABLE project_chunks;"
       " DELETE FROM schema_migrations WHERE version >= 5;");
  EXPECT_EQ(query_int("SELECT count(*) FROM chunk_names"), 4);
  reopen();
  EXPECT_EQ(query_int("SELECT max(version) FROM schema_migrations"), 6);
  EXPECT_EQ(query_int("SELECT count(*) FROM name_chunks"), 4);
  ports::EventSearchQuery errors;
  errors.errors_only = true;
  EXPECT_EQ(ingest_sequences(store_->search_events(errors).value().events),
            (std::vector<std::int64_t>{3, 2}));
  ports::EventSearchQuery named;
  named.event_name = "x";
  EXPECT_EQ(ingest_sequences(store_->search_events(named).value().events),
            (std::vector<std::int64_t>{4}));
  errors.received_from = kT0 + 1;  // the second batch's time, taken from its chunk
  EXPECT_EQ(ingest_sequences(store_->search_events(errors).value().events),
            (std::vector<std::int64_t>{3}));
  ports::EventSearchQuery until;
  until.received_until = kT0 + 1;
  EXPECT_EQ(ingest_sequences(store_->search_events(until).value().events),
            (std::vector<std::int64_t>{2, 1}));
}

// Erasing and pruning do not read the events: a session whose stored events are damaged (here
// by another connection) can still be erased, and pruning counts events by the session rows.
TEST_F(SqliteEventStoreTest, ErasesAndPrunesSessionsWhoseEventsAreDamaged) {
  ASSERT_TRUE(append(batch_of(make_session("demo", "damaged", kT0), {"x", "y"}, 1, kT0, 0)).ok());
  ASSERT_TRUE(append(batch_of(make_session("demo", "old", kT0), {"x", "y", "z"}, 3, kT0, 0)).ok());
  exec("UPDATE event_chunks SET events = x'ff00ff00'");
  EXPECT_EQ(query_int("SELECT count(*) FROM event_chunks WHERE events = x'ff00ff00'"), 2);
  ASSERT_TRUE(store_->list_events({"demo", "damaged", 100, std::nullopt}).value().events.empty());

  const auto erased = erase("demo", "damaged");
  ASSERT_TRUE(erased.ok()) << erased.error().message;
  EXPECT_TRUE(erased.value());
  EXPECT_FALSE(store_->find_session("demo", "damaged").value().has_value());
  const auto pruned = store_->prune_before(kT0 + 1'000'000);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned.value().sessions, 1);
  EXPECT_EQ(pruned.value().events, 3);
  EXPECT_EQ(query_int("SELECT count(*) FROM event_chunks"), 0);
}

// A chunk that does not decode is skipped and counted: the session's other events are read and
// replayed, and a start that recounts it still opens the store.
TEST_F(SqliteEventStoreTest, ReadsAroundADamagedChunkAndCountsIt) {
  adapters::PrometheusMetrics metrics;
  reopen({.metrics = &metrics});
  const Session s = make_session("demo", "s", kT0);
  ASSERT_TRUE(append(batch_of(s, {"x", "y"}, 1, kT0, 0)).ok());
  ASSERT_TRUE(append(batch_of(s, {"z"}, 3, kT0 + 1, 2)).ok());
  exec("UPDATE event_chunks SET events = x'ff00ff00' WHERE chunk_id = (SELECT min(chunk_id) FROM event_chunks)");

  const auto page = store_->list_events({"demo", "s", 100, std::nullopt});
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(ingest_sequences(page.value().events), std::vector<std::int64_t>{3});
  EXPECT_EQ(ingest_sequences(store_->session_events("demo", "s").value()), std::vector<std::int64_t>{3});
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 100).value()), std::vector<std::int64_t>{3});
  EXPECT_NE(metrics.scrape().find("\nmtrace_store_records_unreadable_total 3\n"), std::string::npos);

  // As after a crash with the row behind both chunks: the next start counts them again.
  store_.reset();
  exec("UPDATE sessions SET event_count = 0, counted_through = 0;"
       " INSERT OR REPLACE INTO store_state (name, value) VALUES ('recount_from', 0)");
  reopen({.metrics = &metrics});
  EXPECT_NE(metrics.scrape().find("\nmtrace_store_records_unreadable_total 4\n"), std::string::npos);
  EXPECT_EQ(store_->find_session("demo", "s").value()->event_count, 1);
}

// A session row whose QoE does not decode is read with an empty QoE (the registry rebuilds an
// open session's from its events), so that the sessions list and the start still work.
TEST_F(SqliteEventStoreTest, ReadsASessionWhoseQoeIsDamaged) {
  adapters::PrometheusMetrics metrics;
  reopen({.metrics = &metrics});
  Session s = make_session("demo", "s", kT0);
  s.qoe.startup_ms = 800;
  ASSERT_TRUE(append(batch_of(s, {"x"}, 1, kT0, 0)).ok());
  store_->drain();  // the row is written
  reopen({.metrics = &metrics});
  ASSERT_EQ(store_->find_session("demo", "s").value()->qoe.startup_ms, 800);
  exec("UPDATE sessions SET qoe = 'not a record'");

  const auto found = store_->find_session("demo", "s");
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_FALSE(found.value()->qoe.startup_ms.has_value());
  ports::SessionListQuery everything;
  everything.project_id = "demo";
  EXPECT_EQ(store_->list_sessions(everything).value().sessions.size(), 1u);
  EXPECT_EQ(store_->load_open_sessions().value().size(), 1u);
  EXPECT_NE(metrics.scrape().find("\nmtrace_store_records_unreadable_total 3\n"), std::string::npos);
}

TEST_F(SqliteEventStoreTest, EraseSessionRemovesItsEventsBoundariesAndAnalyses) {
  Session a = make_session("demo", "a", kT0);
  Session b = make_session("demo", "b", kT0);
  auto batch = batch_of(a, {"playback_error", "x"}, 1, kT0, 0);
  batch.boundaries.push_back({"network_signal_absent", "demo", "a", "segment", "unknown",
                              "browser_api_unavailable", kT0, kT0});
  ASSERT_TRUE(append(batch).ok());
  ASSERT_TRUE(append(batch_of(b, {"playback_error"}, 3, kT0, 0)).ok());
  ASSERT_TRUE(store_->save_analysis({"demo", "a", kT0, R"({"ok":true})"}).ok());
  ASSERT_TRUE(store_->save_analysis({"demo", "b", kT0, R"({"ok":false})"}).ok());

  EXPECT_TRUE(erase("demo", "a").value());
  EXPECT_FALSE(erase("demo", "a").value());
  EXPECT_FALSE(erase("other", "b").value());
  EXPECT_FALSE(store_->find_session("demo", "a").value().has_value());
  EXPECT_TRUE(store_->list_events({"demo", "a", 100, std::nullopt}).value().events.empty());
  EXPECT_TRUE(store_->list_analyses("demo", "a").value().empty());
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 100).value()),
            std::vector<std::int64_t>{3});
  ports::EventSearchQuery errors;
  errors.errors_only = true;
  EXPECT_EQ(ingest_sequences(store_->search_events(errors).value().events),
            std::vector<std::int64_t>{3});
  EXPECT_EQ(store_->list_analyses("demo", "b").value().size(), 1u);
  // A new session with the same id starts empty: no boundary survived.
  ASSERT_TRUE(append(batch_of(a, {"x"}, 4, kT0, 0)).ok());
  EXPECT_TRUE(store_->find_session("demo", "a").value()->network_signal_absent.empty());
}

TEST_F(SqliteEventStoreTest, PruneErasesSessionsWhoseLastEventIsOlderThanTheCutoff) {
  for (int i = 0; i < 600; ++i) {  // more than one prune slice
    Session s = make_session("demo", "old-" + std::to_string(i), kT0);
    ASSERT_TRUE(append(batch_of(s, {"x", "y"}, 1 + 2 * i, kT0 + i, 0)).ok());
  }
  Session fresh = make_session("demo", "fresh", kT0);
  ASSERT_TRUE(append(batch_of(fresh, {"x"}, 5000, kT0 + 10'000, 0)).ok());

  const auto pruned = store_->prune_before(kT0 + 10'000);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned.value().sessions, 600);
  EXPECT_EQ(pruned.value().events, 1200);
  ports::SessionListQuery all;
  all.limit = 1000;
  EXPECT_EQ(session_ids(store_->list_sessions(all).value().sessions),
            std::vector<std::string>{"fresh"});
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 100).value()),
            std::vector<std::int64_t>{5000});
  EXPECT_EQ(store_->prune_before(kT0 + 10'000).value().sessions, 0);
}

TEST_F(SqliteEventStoreTest, ReopenKeepsDataAndAppliesNoMigrationTwice) {
  ASSERT_TRUE(append(batch_of(make_session("demo", "s", kT0), {"x", "y"}, 41, kT0, 0)).ok());
  reopen();
  EXPECT_TRUE(store_->find_session("demo", "s").value().has_value());
  EXPECT_EQ(store_->max_ingest_sequence().value(), 42);
  EXPECT_TRUE(store_->ping().ok());
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), max(version) FROM schema_migrations", -1,
                               &count, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(count), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(count, 0), sqlite3_column_int64(count, 1));
  sqlite3_finalize(count);
  sqlite3_close(db);
}

// After a restart the writer knows no session's key: the first write of each stored session finds
// its row by upsert. Each comes back in a transaction after others inserted rows, so a key taken
// from anything but that row would file the events under another session.
TEST_F(SqliteEventStoreTest, SessionsStoredBeforeAReopenKeepTheirEventsWhenTheyComeBack) {
  const Session a = make_session("demo", "a", kT0);
  const Session b = make_session("demo", "b", kT0 + 1);
  ASSERT_TRUE(append(batch_of(a, {"x"}, 1, kT0, 0)).ok());
  ASSERT_TRUE(append(batch_of(b, {"x"}, 2, kT0 + 1, 0)).ok());
  reopen();
  ASSERT_TRUE(append(batch_of(make_session("demo", "new", kT0 + 2), {"x"}, 3, kT0 + 2, 0)).ok());
  Session a_again = a;
  a_again.event_count = 1;
  ASSERT_TRUE(append(batch_of(a_again, {"y", "z"}, 4, kT0 + 3, 1)).ok());
  Session b_again = b;
  b_again.event_count = 1;
  ASSERT_TRUE(append(batch_of(b_again, {"y"}, 6, kT0 + 4, 1)).ok());

  EXPECT_EQ(ingest_sequences(store_->session_events("demo", "a").value()), (std::vector<std::int64_t>{1, 4, 5}));
  EXPECT_EQ(ingest_sequences(store_->session_events("demo", "b").value()), (std::vector<std::int64_t>{2, 6}));
  EXPECT_EQ(ingest_sequences(store_->session_events("demo", "new").value()), std::vector<std::int64_t>{3});
  EXPECT_EQ(store_->find_session("demo", "a").value()->event_count, 3);
  EXPECT_EQ(store_->find_session("demo", "b").value()->event_count, 2);
  EXPECT_EQ(query_int("SELECT count(*) FROM sessions"), 3);
}

// find_session answers "none" for a session never stored without reading, through a filter of
// the stored sessions that a thread fills after open, page by page. Every stored session must be
// found while it fills and after: before the reopen, during the scan and after it.
TEST_F(SqliteEventStoreTest, FindsEveryStoredSessionWhileAndAfterTheSessionFilterFills) {
  constexpr int kSessions = 5000;  // more than one page of the scan
  std::vector<Session> sessions;
  for (int i = 0; i < kSessions; ++i) sessions.push_back(make_session("demo", "s" + std::to_string(i), kT0 + i));
  std::promise<domain::Status> saved;
  store_->save_sessions(sessions, [&saved](const domain::Status& status) { saved.set_value(status); });
  ASSERT_TRUE(saved.get_future().get().ok());
  reopen();
  for (int i = 0; i < kSessions; i += 97) {
    EXPECT_TRUE(store_->find_session("demo", "s" + std::to_string(i)).value()) << i;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!store_->session_filter_complete() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(store_->session_filter_complete());
  for (int i = 0; i < kSessions; ++i) {
    ASSERT_TRUE(store_->find_session("demo", "s" + std::to_string(i)).value()) << i;
  }
  EXPECT_FALSE(store_->find_session("demo", "never").value());
  ASSERT_TRUE(append(batch_of(make_session("demo", "new", kT0), {"x"}, 1, kT0, 0)).ok());
  EXPECT_TRUE(store_->find_session("demo", "new").value());
}

TEST_F(SqliteEventStoreTest, RefusesADirtyOrNewerSchema) {
  store_.reset();
  exec("UPDATE schema_migrations SET dirty = 1");
  auto dirty = SqliteEventStore::open(path_, {});
  ASSERT_FALSE(dirty.ok());
  EXPECT_NE(dirty.error().message.find("dirty"), std::string::npos);

  exec("UPDATE schema_migrations SET dirty = 0;"
       " INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)");
  auto newer = SqliteEventStore::open(path_, {});
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("newer"), std::string::npos);
}

TEST_F(SqliteEventStoreTest, OpenReportsAnUnwritablePath) {
  auto opened = SqliteEventStore::open((dir_.path() / "missing" / "store.db").string(), {});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, domain::ErrorCode::unavailable);
}

TEST_F(SqliteEventStoreTest, FindsSessionsByCorrelationAndStartWindow) {
  Session a = make_session("demo", "a", kT0);
  Session b = make_session("demo", "b", kT0 + 100);
  Session c = make_session("other", "c", kT0 + 50);
  b.qoe.startup_ms = 900;
  b.dimensions.content_id = "movie";
  std::int64_t ingest = 1;
  for (const auto& s : {a, b, c}) ASSERT_TRUE(append(batch_of(s, {"x"}, ingest++, kT0, 0)).ok());

  EXPECT_EQ(store_->find_session_by_correlation("demo", "corr-b").value()->session_id, "b");
  EXPECT_FALSE(store_->find_session_by_correlation("other", "corr-b").value().has_value());

  const auto window = store_->sessions_started_between(std::string("demo"), kT0 + 1, kT0 + 101, 10);
  ASSERT_TRUE(window.ok());
  ASSERT_EQ(window.value().size(), 1u);
  EXPECT_EQ(window.value()[0].qoe.startup_ms, 900);
  EXPECT_EQ(window.value()[0].dimensions.content_id, "movie");
  EXPECT_EQ(store_->sessions_started_between(std::nullopt, kT0, kT0 + 101, 10).value().size(), 3u);
  EXPECT_EQ(store_->sessions_started_between(std::nullopt, kT0, kT0 + 101, 2).value().size(), 2u);
}

TEST_F(SqliteEventStoreTest, SaveSessionsUpsertsAndOpenSessionsExcludeEnded) {
  Session a = make_session("demo", "a", kT0);
  Session b = make_session("demo", "b", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x"}, 1, kT0, 0)).ok());
  b.state = SessionState::stalled;
  a.state = SessionState::ended;
  a.end_source = domain::EndSource::sweeper;
  a.ended_at = kT0 + 5;
  std::promise<domain::Status> saved;
  store_->save_sessions({a, b}, [&](const domain::Status& s) { saved.set_value(s); });
  ASSERT_TRUE(saved.get_future().get().ok());
  EXPECT_EQ(store_->find_session("demo", "a").value()->end_source, domain::EndSource::sweeper);
  const auto open = store_->load_open_sessions().value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].session_id, "b");
  EXPECT_EQ(open[0].state, SessionState::stalled);
}

TEST_F(SqliteEventStoreTest, SessionRowFollowsEveryWriteAndStateChange) {
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x", "y"}, 1, kT0 + 1, 0)).ok());
  a.event_count = 2;
  ASSERT_TRUE(append(batch_of(a, {"z"}, 3, kT0 + 2, 2)).ok());
  auto stored = store_->find_session("demo", "a").value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->event_count, 3);
  EXPECT_EQ(stored->last_event_at, kT0 + 2);

  const auto save = [&](const Session& s) {
    std::promise<domain::Status> saved;
    store_->save_sessions({s}, [&](const domain::Status& status) { saved.set_value(status); });
    return saved.get_future().get();
  };
  a.event_count = 3;
  a.state = SessionState::stalled;
  ASSERT_TRUE(save(a).ok());
  EXPECT_EQ(store_->load_open_sessions().value().at(0).state, SessionState::stalled);
  a.state = SessionState::active;
  ASSERT_TRUE(append(batch_of(a, {"w"}, 4, kT0 + 3, 3)).ok());
  EXPECT_EQ(store_->load_open_sessions().value().at(0).state, SessionState::active);
  a.event_count = 4;
  a.state = SessionState::ended;
  a.ended_at = kT0 + 4;
  ASSERT_TRUE(save(a).ok());
  EXPECT_TRUE(store_->load_open_sessions().value().empty());
  ASSERT_TRUE(append(batch_of(a, {"late"}, 5, kT0 + 5, 4)).ok());
  stored = store_->find_session("demo", "a").value();
  EXPECT_EQ(stored->event_count, 5);
  EXPECT_EQ(stored->state, SessionState::ended);
  EXPECT_TRUE(store_->load_open_sessions().value().empty());
}

TEST_F(SqliteEventStoreTest, ARowLeftBehindIsOverlaidOnReadsAndWrittenBackOnDrain) {
  reopen({.session_write_back = std::chrono::hours(1)});
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x", "y"}, 1, kT0, 0)).ok());
  a.event_count = 2;
  a.qoe.rebuffer_count = 3;
  ASSERT_TRUE(append(batch_of(a, {"z", "w", "v"}, 3, kT0 + 1000, 2)).ok());
  EXPECT_EQ(row_event_count("a"), 2);  // only the aggregates changed: the row waits

  const auto expect_current = [](const Session& s) {
    EXPECT_EQ(s.event_count, 5);
    EXPECT_EQ(s.last_event_at, kT0 + 1000);
    EXPECT_EQ(s.qoe.rebuffer_count, 3);
  };
  const auto found = store_->find_session("demo", "a").value();
  ASSERT_TRUE(found);
  expect_current(*found);
  const auto listed = store_->list_sessions({}).value().sessions;
  ASSERT_EQ(listed.size(), 1u);
  expect_current(listed[0]);
  expect_current(store_->find_session_by_correlation("demo", "corr-a").value().value());
  expect_current(store_->sessions_started_between("demo", kT0, kT0 + 1, 10).value().at(0));
  expect_current(store_->load_open_sessions().value().at(0));

  store_->drain();
  EXPECT_EQ(row_event_count("a"), 5);
  reopen();
  expect_current(store_->find_session("demo", "a").value().value());
}

TEST_F(SqliteEventStoreTest, ABatchThatChangesMoreThanTheAggregatesWritesTheRowAtOnce) {
  reopen({.session_write_back = std::chrono::hours(1)});
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x"}, 1, kT0, 0)).ok());
  a.event_count = 1;
  a.error_count = 1;
  a.last_error_code = "NETWORK";
  ASSERT_TRUE(append(batch_of(a, {"playback_error"}, 2, kT0 + 1, 1)).ok());
  EXPECT_EQ(row_event_count("a"), 2);
  a.event_count = 2;
  a.dimensions.content_id = "vod-1";
  ASSERT_TRUE(append(batch_of(a, {"y"}, 3, kT0 + 2, 2)).ok());
  EXPECT_EQ(row_event_count("a"), 3);
}

TEST_F(SqliteEventStoreTest, AnIdleWriterWritesRowsBackAfterTheInterval) {
  reopen({.session_write_back = std::chrono::milliseconds(50)});
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x"}, 1, kT0, 0)).ok());
  a.event_count = 1;
  ASSERT_TRUE(append(batch_of(a, {"y"}, 2, kT0 + 1, 1)).ok());
  for (int tries = 0; tries < 500 && row_event_count("a") != 2; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(row_event_count("a"), 2);
  EXPECT_EQ(query_int("SELECT count(*) FROM store_state"), 0);  // nothing left to recount
}

// Group commit (Options::commit_interval): a write that finds the writer idle commits at once,
// the next waits out the interval from the previous transaction's start.
TEST_F(SqliteEventStoreTest, AWriteSoonAfterATransactionWaitsForTheCommitInterval) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::seconds(2);
  reopen({.commit_interval = kInterval});
  Session a = make_session("demo", "a", kT0);
  const auto start = Clock::now();
  ASSERT_TRUE(append(batch_of(a, {"x"}, 1, kT0, 0)).ok());
  EXPECT_LT(Clock::now() - start, kInterval);
  a.event_count = 1;
  ASSERT_TRUE(append(batch_of(a, {"y"}, 2, kT0 + 1, 1)).ok());
  EXPECT_GE(Clock::now() - start, kInterval);
  EXPECT_EQ(store_->find_session("demo", "a").value().value().event_count, 2);
}

TEST_F(SqliteEventStoreTest, EnoughWaitingWritesBeginATransactionBeforeTheInterval) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::seconds(30);
  reopen({.commit_interval = kInterval});
  ASSERT_TRUE(append(batch_of(make_session("demo", "first", kT0), {"x"}, 1, kT0, 0)).ok());
  const auto start = Clock::now();
  std::vector<std::future<domain::Status>> committed;
  for (int i = 0; i < 32; ++i) {
    const Session session = make_session("demo", "s" + std::to_string(i), kT0);
    committed.push_back(append_async(batch_of(session, {"x"}, 2 + i, kT0, 0)));
  }
  for (auto& f : committed) ASSERT_TRUE(f.get().ok());
  EXPECT_LT(Clock::now() - start, kInterval / 2);
  EXPECT_EQ(store_->max_ingest_sequence().value(), 33);
}

TEST_F(SqliteEventStoreTest, DrainCommitsAWriteThatWaitsForTheInterval) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::seconds(30);
  reopen({.commit_interval = kInterval});
  ASSERT_TRUE(append(batch_of(make_session("demo", "a", kT0), {"x"}, 1, kT0, 0)).ok());
  std::promise<domain::Status> committed;
  store_->append(batch_of(make_session("demo", "b", kT0), {"y"}, 2, kT0, 0),
                 [&](const domain::Status& st) { committed.set_value(st); });
  const auto start = Clock::now();
  store_.reset();
  EXPECT_LT(Clock::now() - start, kInterval / 2);
  EXPECT_TRUE(committed.get_future().get().ok());
  reopen();
  EXPECT_EQ(store_->max_ingest_sequence().value(), 2);
}

TEST_F(SqliteEventStoreTest, PruneKeepsASessionWhoseRowIsBehindItsRecentEvents) {
  reopen({.session_write_back = std::chrono::hours(1)});
  constexpr Micros kDay = 86'400'000'000;
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x"}, 1, kT0, 0)).ok());
  a.event_count = 1;
  ASSERT_TRUE(append(batch_of(a, {"y"}, 2, kT0 + 10 * kDay, 1)).ok());
  const auto pruned = store_->prune_before(kT0 + 5 * kDay);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned.value().sessions, 0);
  EXPECT_EQ(store_->find_session("demo", "a").value().value().event_count, 2);
}

TEST_F(SqliteEventStoreTest, AnErasedSessionIsWrittenAfreshWhenItComesBack) {
  Session a = make_session("demo", "a", kT0);
  ASSERT_TRUE(append(batch_of(a, {"x", "y"}, 1, kT0, 0)).ok());
  ASSERT_TRUE(erase("demo", "a").value());
  ASSERT_TRUE(append(batch_of(a, {"z"}, 3, kT0 + 1, 2)).ok());
  const auto stored = store_->find_session("demo", "a").value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->event_count, 1);
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 10).value()), std::vector<std::int64_t>{3});
}

TEST_F(SqliteEventStoreTest, IngestSequencesGoOnAfterTheNewestEventsAreErasedOrPruned) {
  ASSERT_TRUE(append(batch_of(make_session("demo", "a", kT0), {"x", "playback_error"}, 1, kT0, 0)).ok());
  ASSERT_TRUE(append(batch_of(make_session("demo", "b", kT0), {"x", "playback_error"}, 3, kT0, 0)).ok());
  ASSERT_TRUE(erase("demo", "b").value());
  reopen();
  ASSERT_EQ(store_->max_ingest_sequence().value(), 4);
  // The next batch, numbered after the erased one, is stored and found by name, where its chunk
  // id would otherwise clash with the erased chunk's index rows.
  ASSERT_TRUE(append(batch_of(make_session("demo", "c", kT0 + 1), {"x", "playback_error"}, 5, kT0 + 1, 0)).ok());
  ports::EventSearchQuery errors;
  errors.project_id = "demo";
  errors.event_name = "playback_error";
  errors.limit = 10;
  EXPECT_EQ(ingest_sequences(store_->search_events(errors).value().events), (std::vector<std::int64_t>{6, 2}));
  // Every session pruned: the numbering still goes on.
  ASSERT_EQ(store_->prune_before(kT0 + 10).value().sessions, 2);
  reopen();
  EXPECT_EQ(store_->max_ingest_sequence().value(), 6);
}

TEST_F(SqliteEventStoreTest, TheWalIsCopiedIntoTheDatabaseWhileTheStoreRuns) {
  SqliteEventStore::Options options;
  options.checkpoint_pages = 500;
  reopen(options);
  // About 8 MB of events: several checkpoints' worth of WAL pages.
  for (int batch = 0; batch < 400; ++batch) ASSERT_TRUE(append(large_batch(batch)).ok());
  // The checkpointer runs beside the writer: wait for it, a bounded time.
  for (int i = 0; i < 100 && std::filesystem::file_size(path_) < 4'000'000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_GE(std::filesystem::file_size(path_), 4'000'000u);
}

// Under a steady stream of batches the WAL keeps starting over instead of growing.
TEST_F(SqliteEventStoreTest, TheWalStartsOverWhileBatchesKeepComing) {
  SqliteEventStore::Options options;
  options.checkpoint_pages = 100;
  reopen(options);
  // The checkpointer runs beside the writer, so how many batches a restart takes depends on the
  // machine's load: batches keep coming, 50 at a time, until the WAL started over twice.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::uint32_t restarts = 0;
  for (int batch = 0; restarts < 2 && std::chrono::steady_clock::now() < deadline;) {
    std::vector<std::future<domain::Status>> committed;
    for (const int end = batch + 50; batch < end; ++batch) {
      committed.push_back(append_async(large_batch(batch)));
    }
    for (auto& f : committed) ASSERT_TRUE(f.get().ok());
    restarts = wal_restarts();
  }
  EXPECT_GE(restarts, 2u);
}

// When the checkpointer copies slower than batches come, the writer copies the WAL itself once it
// is past its bound, so the WAL file stays a few groups' size however much is written.
TEST_F(SqliteEventStoreTest, TheWalStaysBoundedWhenTheCheckpointerFallsBehind) {
  SlowCheckpointerWrites slow_disk;
  SqliteEventStore::Options options;
  options.checkpoint_pages = 10;  // the writer copies past 80 frames
  reopen(options);
  // 2,000 batches of ~20 KB (~40 MB), 50 at a time.
  for (int batch = 0; batch < 2000;) {
    std::vector<std::future<domain::Status>> committed;
    for (const int end = batch + 50; batch < end; ++batch) {
      committed.push_back(append_async(large_batch(batch)));
    }
    for (auto& f : committed) ASSERT_TRUE(f.get().ok());
  }
  // 80 frames, plus the groups committed while the writer waited for the checkpointer's round.
  EXPECT_LT(wal_bytes(), 8u << 20);
  EXPECT_EQ(store_->events_after("demo", 0, 100'000).value().size(), 20'000u);
}

// A reader that holds an old snapshot keeps the WAL from starting over, so a burst grows its file.
// The WAL then starts over in that file without cutting it back in a commit (the truncate held
// every batch behind that commit); the writer cuts it back once it is idle.
TEST_F(SqliteEventStoreTest, AWalFileABurstGrewIsCutBackOnlyOnceTheWriterIsIdle) {
  SqliteEventStore::Options options;
  options.checkpoint_pages = 10;  // oversized beyond 80 frames
  options.session_write_back = std::chrono::milliseconds(100);
  reopen(options);
  const std::uintmax_t oversized = 80 * (4096 + 24);
  std::int64_t next = 0;
  const auto append_large = [&] { return append(large_batch(next++)).ok(); };
  ASSERT_TRUE(append_large());
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM sessions;", nullptr, nullptr, nullptr), SQLITE_OK);
  while (next < 60) ASSERT_TRUE(append_large());
  ASSERT_GT(wal_bytes(), oversized);
  ASSERT_EQ(sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(reader);
  // Batches keep coming, never idle for an interval, until the WAL started over twice.
  const std::uint32_t restarts = wal_restarts();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (wal_restarts() < restarts + 2 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(append_large());
  }
  ASSERT_GE(wal_restarts(), restarts + 2);
  EXPECT_GT(wal_bytes(), oversized);
  for (int i = 0; i < 100 && wal_bytes() > oversized; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_LT(wal_bytes(), oversized);
  EXPECT_EQ(store_->events_after("demo", 0, 100'000).value().size(), static_cast<std::size_t>(10 * next));
}

TEST_F(SqliteEventStoreTest, AnalysesAreListedOldestFirst) {
  ASSERT_TRUE(store_->save_analysis({"demo", "s", kT0 + 2, "{\"n\":1}"}).ok());
  ASSERT_TRUE(store_->save_analysis({"demo", "s", kT0 + 1, "{\"n\":2}"}).ok());
  const auto analyses = store_->list_analyses("demo", "s").value();
  ASSERT_EQ(analyses.size(), 2u);
  EXPECT_EQ(analyses[0].result_json, "{\"n\":1}");
  EXPECT_EQ(analyses[1].created_at, kT0 + 1);
}

TEST_F(SqliteEventStoreTest, RejectsABatchWithAnEventOfAnUnlistedSessionAndKeepsTheOthers) {
  Session a = make_session("demo", "a", kT0);
  auto bad = batch_of(a, {"x"}, 1, kT0, 0);
  bad.sessions.clear();
  std::promise<domain::Status> bad_done;
  std::promise<domain::Status> good_done;
  store_->append(bad, [&](const domain::Status& s) { bad_done.set_value(s); });
  store_->append(batch_of(a, {"y"}, 2, kT0, 1),
                 [&](const domain::Status& s) { good_done.set_value(s); });
  const auto bad_status = bad_done.get_future().get();
  ASSERT_FALSE(bad_status.ok());
  EXPECT_EQ(bad_status.error().code, domain::ErrorCode::invalid_argument);
  EXPECT_TRUE(good_done.get_future().get().ok());
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 10).value()),
            std::vector<std::int64_t>{2});
}

TEST_F(SqliteEventStoreTest, AFailedGroupIsRetriedBatchByBatchAndCounted) {
  PrometheusMetrics metrics;
  reopen({.metrics = &metrics});
  // Another connection holds the write lock, so the writer waits in BEGIN with what it took, and
  // the batches queued meanwhile form the next group.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Session a = make_session("demo", "a", kT0);
  auto bad = batch_of(a, {"x"}, 2, kT0, 1);
  bad.sessions.clear();
  std::array<std::promise<domain::Status>, 3> done;
  store_->append(batch_of(a, {"w"}, 1, kT0, 0), [&](const domain::Status& s) { done[0].set_value(s); });
  store_->append(bad, [&](const domain::Status& s) { done[1].set_value(s); });
  store_->append(batch_of(a, {"y"}, 3, kT0, 2), [&](const domain::Status& s) { done[2].set_value(s); });
  ASSERT_EQ(sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(blocker);
  EXPECT_TRUE(done[0].get_future().get().ok());
  EXPECT_EQ(done[1].get_future().get().error().code, domain::ErrorCode::invalid_argument);
  EXPECT_TRUE(done[2].get_future().get().ok());
  EXPECT_EQ(ingest_sequences(store_->events_after("demo", 0, 10).value()), (std::vector<std::int64_t>{1, 3}));
  EXPECT_NE(metrics.scrape().find("\nmtrace_store_group_retries_total 1\n"), std::string::npos);
}

TEST_F(SqliteEventStoreTest, DrainCommitsPendingAppendsThenRefusesNewOnes) {
  constexpr int kBatches = 300;
  std::atomic<int> ok{0};
  for (int i = 0; i < kBatches; ++i) {
    Session s = make_session("demo", "s-" + std::to_string(i % 7), kT0);
    store_->append(batch_of(s, {"x", "y"}, 1 + 2 * i, kT0 + i, 2 * i),
                   [&](const domain::Status& st) { ok += st.ok() ? 1 : 0; });
  }
  store_->drain();
  EXPECT_EQ(ok.load(), kBatches);
  std::optional<domain::Status> late;
  store_->append(batch_of(make_session("demo", "late", kT0), {"x"}, 9999, kT0, 0),
                 [&](const domain::Status& st) { late = st; });
  ASSERT_TRUE(late.has_value());  // answered at once, on this thread
  EXPECT_EQ(late->error().code, domain::ErrorCode::unavailable);
  store_->drain();  // idempotent
  reopen();
  EXPECT_EQ(store_->max_ingest_sequence().value(), 2 * kBatches);
  EXPECT_EQ(store_->events_after("demo", 0, 10'000).value().size(), 2u * kBatches);
}

TEST_F(SqliteEventStoreTest, FullQueueAnswersUnavailableAtOnce) {
  SqliteEventStore::Options options;
  options.queue_capacity = 1;
  reopen(options);
  // Another connection holds the write lock, so the writer waits in BEGIN with what it took.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::atomic<int> ok{0};
  int refused_at_once = 0;
  // Outlive the loop: the writer calls the accepted ones' `done` later.
  std::array<std::atomic<bool>, 3> returned{};
  std::array<std::optional<domain::Status>, 3> immediate;
  for (std::size_t i = 0; i < 3; ++i) {
    store_->append(batch_of(make_session("demo", "s", kT0), {"x"}, 1 + i, kT0, i),
                   [&, i](const domain::Status& st) {
                     if (!returned[i]) immediate[i] = st;
                     if (st.ok()) ++ok;
                   });
    returned[i] = true;
    if (immediate[i] && !immediate[i]->ok()) {
      EXPECT_EQ(immediate[i]->error().code, domain::ErrorCode::unavailable);
      ++refused_at_once;
    }
  }
  EXPECT_GE(refused_at_once, 1);
  ASSERT_EQ(sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(blocker);
  store_->drain();
  EXPECT_EQ(ok.load() + refused_at_once, 3);
}

// Appends next_batch(0), next_batch(1), ... from a forked child with a store of its own (opened
// with `options`) and kills it with SIGKILL once `wanted` batches were acknowledged; returns
// every batch number it acknowledged.
std::set<std::int64_t> acknowledged_until_kill9(
    const std::string& path, SqliteEventStore::Options options, std::size_t wanted,
    const std::function<ports::AppendBatch(std::int64_t)>& next_batch) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return {};
  const pid_t child = fork();
  if (child == 0) {
    close(pipe_fds[0]);
    auto opened = SqliteEventStore::open(path, options);
    if (!opened.ok()) _exit(3);
    auto store = std::move(opened).value();
    for (std::int64_t batch = 0;; ++batch) {
      store->append(next_batch(batch), [fd = pipe_fds[1], batch](const domain::Status& st) {
        if (st.ok() && write(fd, &batch, sizeof batch) != sizeof batch) _exit(4);
      });
      if (batch % 64 == 63) usleep(1000);
    }
  }
  close(pipe_fds[1]);
  std::set<std::int64_t> acknowledged;
  std::int64_t id = 0;
  while (child > 0 && acknowledged.size() < wanted && read(pipe_fds[0], &id, sizeof id) == sizeof id) {
    acknowledged.insert(id);
  }
  if (child > 0) kill(child, SIGKILL);
  while (read(pipe_fds[0], &id, sizeof id) == sizeof id) acknowledged.insert(id);
  close(pipe_fds[0]);
  int status = 0;
  if (child > 0) waitpid(child, &status, 0);
  EXPECT_TRUE(child > 0 && WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  return acknowledged;
}

// Every batch the child saw acknowledged is stored.
TEST_F(SqliteEventStoreTest, AcknowledgedBatchesSurviveKill9) {
  store_.reset();
  const auto acknowledged = acknowledged_until_kill9(path_, {}, 2000, [](std::int64_t batch) {
    Session s = make_session("demo", "s-" + std::to_string(batch % 50), kT0);
    return batch_of(s, {"x", "y", "z"}, 1 + 3 * batch, kT0 + batch, 3 * batch);
  });
  ASSERT_GE(acknowledged.size(), 2000u);

  reopen();
  std::set<std::int64_t> stored;
  std::int64_t after = 0;
  for (;;) {
    const auto events = store_->events_after("demo", after, 5000);
    ASSERT_TRUE(events.ok());
    if (events.value().empty()) break;
    for (const auto& e : events.value()) stored.insert(e.ingest_sequence);
    after = events.value().back().ingest_sequence;
  }
  for (const std::int64_t batch : acknowledged) {
    for (std::int64_t k = 1; k <= 3; ++k) {
      ASSERT_TRUE(stored.count(3 * batch + k)) << "acknowledged batch " << batch << " lost";
    }
  }
}

// The child's session rows lag behind their batches when it dies; the next open counts the
// events of those rows again from their chunks.
TEST_F(SqliteEventStoreTest, RowsLeftBehindAreRecountedAfterKill9) {
  store_.reset();
  constexpr int kSessions = 20;
  std::vector<Session> sessions;  // the child's, as its batches change them
  for (int i = 0; i < kSessions; ++i) sessions.push_back(make_session("demo", "s-" + std::to_string(i), kT0));
  const auto acknowledged = acknowledged_until_kill9(
      path_, {.session_write_back = std::chrono::hours(1)}, 2000, [&](std::int64_t batch) {
        Session& s = sessions[static_cast<std::size_t>(batch % kSessions)];
        auto appended = batch_of(s, {"x", "y", "z"}, 1 + 3 * batch, kT0 + batch, s.event_count);
        s = appended.sessions.front();
        return appended;
      });
  ASSERT_GE(acknowledged.size(), 2000u);
  ASSERT_TRUE(query_int("SELECT value FROM store_state WHERE name = 'recount_from'"))
      << "no row was behind when the child died";

  reopen();
  std::int64_t total = 0;
  for (int i = 0; i < kSessions; ++i) {
    const std::string id_text = "s-" + std::to_string(i);
    const auto stored = store_->session_events("demo", id_text).value();
    const auto session = store_->find_session("demo", id_text).value();
    ASSERT_TRUE(session);
    EXPECT_EQ(session->event_count, static_cast<std::int64_t>(stored.size())) << id_text;
    EXPECT_EQ(row_event_count(id_text), session->event_count) << id_text;
    // Batch b of this session was received at kT0 + b, and its events are the newest stored.
    const auto batches = static_cast<std::int64_t>(stored.size()) / 3;
    EXPECT_EQ(session->last_event_at, kT0 + (batches - 1) * kSessions + i) << id_text;
    total += session->event_count;
  }
  EXPECT_GE(total, 3 * static_cast<std::int64_t>(acknowledged.size()));
  EXPECT_EQ(query_int("SELECT count(*) FROM store_state"), 0);
}

}  // namespace
}  // namespace mtrace::adapters::sqlite
