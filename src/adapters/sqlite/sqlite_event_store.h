// SqliteEventStore: the embedded default EventStore (SPEC §2). One writer thread owns the only
// read-write connection and commits every queued batch of a loop in one transaction (group
// commit); reads run on the caller's thread on a pool of read-only connections (WAL), in
// parallel with the writer. schema.cpp explains the table layout.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/sqlite/chunk_list_index.h"
#include "adapters/sqlite/received_time_index.h"
#include "adapters/sqlite/session_filter.h"
#include "ports/event_store.h"
#include "ports/metrics.h"

namespace mtrace::adapters::sqlite {

class Connection;
class SessionKeyCache;
class SessionWriteBack;

class SqliteEventStore final : public ports::EventStore {
 public:
  struct Options {
    // Writes (batches, session saves, erasures) waiting for the writer. When it is full, append()
    // answers ErrorCode::unavailable at once instead of growing memory behind a slow disk.
    std::size_t queue_capacity = 8192;
    // Read-only connections; a read waits for a free one.
    std::size_t read_connections = 4;
    // Page caches, in KiB. The writer's stays small: SQLite 3.40 walks its whole page cache at
    // every COMMIT that followed a B-tree rebalance (pcache1Truncate after a page renumbering),
    // which at 64 MiB cost the writer ~10 % of its time; the pages it writes are few and hot.
    std::size_t writer_cache_kib = 16 * 1024;
    std::size_t reader_cache_kib = 16 * 1024;  // each
    // New WAL frames (4 KiB pages) after which the checkpointer copies the WAL into the database;
    // the WAL starts over every fourth time. A checkpoint copies each page once however often the
    // WAL holds it, so longer rounds copy the hot session and index pages fewer times, but the
    // frames appended during the last round, which the writer copies itself, grow with them:
    // at 16,000 that pause was ~8 ms instead of ~3 ms (bench/run workload, half the peak rate).
    // Each round also takes a core for its length: at 4,000 (~20 ms rounds) open-loop p99 at
    // 13,000 requests/s was 5.7 ms (median of five) against 4.3 ms at 1,000, whose rounds cost the
    // checkpointer 0.6 us more CPU per request and keep the WAL near 25 MB instead of 75 MB.
    // Past eight times this many frames the writer copies the WAL itself after each commit, so
    // a disk slower than ingest slows ingest down rather than let the WAL grow without end.
    int checkpoint_pages = 1000;
    // How long a session row may lag behind batches that changed only its event_count,
    // last_event_at and qoe (session_write_back.h). Reads never see the lag; after a crash the
    // next start recounts the events of the rows behind, so a longer lag makes it scan more.
    std::chrono::milliseconds session_write_back{10'000};
    // Group commit: the writer begins a transaction at most once per `commit_interval`, unless
    // 32 writes are waiting. Under a steady stream the writes of an interval then share one
    // transaction (its fixed cost, and the index pages they touch, once instead of per write); a
    // write that finds the writer idle for longer is committed at once. At half the peak rate
    // (bench/run workload) transactions held ~3 batches without it, and the server spent ~80 us of
    // CPU per request; ~62 us at 500 us, for ~0.3 ms more median latency. At 1 ms, on a slow
    // phase at 8,000 requests/s: 141 -> 130 us per request against 500 us (means of six
    // alternating runs), p99 median 6.95 -> 6.58 ms, p50 ~1.0 -> ~1.5 ms. Zero: no waiting.
    std::chrono::microseconds commit_interval{1000};
    // Counts group transactions retried batch by batch (store_group_retried) and stored records
    // that did not decode (store_record_unreadable); not owned, must outlive the store. nullptr:
    // not counted.
    ports::Metrics* metrics = nullptr;
  };

  // Opens (creating when missing) the database at `path`, applies pending migrations and starts
  // the writer thread. Errors: unavailable when the file cannot be opened or written, internal
  // when the schema is dirty or newer than this build knows.
  static domain::Result<std::unique_ptr<SqliteEventStore>> open(const std::string& path,
                                                                Options options);
  ~SqliteEventStore() override;  // drains

  void append_shared(std::shared_ptr<const ports::AppendBatch> batch, ports::AppendDone done) override;
  void save_sessions(std::vector<domain::Session> sessions, ports::AppendDone done) override;
  domain::Result<ports::SessionPage> list_sessions(const ports::SessionListQuery& query) override;
  domain::Result<std::optional<domain::Session>> find_session(
      const std::string& project_id, const std::string& session_id) override;
  domain::Result<ports::EventPage> list_events(const ports::EventListQuery& query) override;
  domain::Result<ports::EventSearchPage> search_events(
      const ports::EventSearchQuery& query) override;
  domain::Result<std::vector<domain::PlaybackEvent>> events_after(const std::string& project_id,
                                                                  std::int64_t after,
                                                                  std::size_t limit) override;
  void erase_session(const std::string& project_id, const std::string& session_id,
                     ports::EraseDone done) override;
  domain::Result<ports::PruneResult> prune_before(domain::Micros cutoff) override;
  domain::Result<std::vector<domain::Session>> load_open_sessions() override;
  domain::Result<std::int64_t> max_ingest_sequence() override;
  domain::Result<std::vector<domain::PlaybackEvent>> session_events(
      const std::string& project_id, const std::string& session_id) override;
  domain::Result<std::optional<domain::Session>> find_session_by_correlation(
      const std::string& project_id, const std::string& correlation_id) override;
  domain::Result<std::vector<domain::Session>> sessions_started_between(
      const std::optional<std::string>& project_id, domain::Micros from, domain::Micros until,
      std::size_t max_rows) override;
  domain::Status save_analysis(const ports::StoredAnalysis& analysis) override;
  domain::Result<std::vector<ports::StoredAnalysis>> list_analyses(
      const std::string& project_id, const std::string& session_id) override;
  domain::Status ping() override;
  void drain() override;

  // True once the sessions stored before open() are all in the filter that lets find_session()
  // answer "none" without a read for a session never stored (a thread adds them after open()).
  bool session_filter_complete() const { return session_filter_.complete(); }

 private:
  // A unit of work for the writer, applied inside the group transaction; throws on failure. When
  // a job of the group fails, every job of it runs again in a transaction of its own: `apply`
  // may run twice and must assign its outputs, not accumulate them.
  struct Job {
    std::function<void(Connection&)> apply;
    ports::AppendDone done;
  };
  class ReaderLease;

  SqliteEventStore(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> checkpointer,
                   std::vector<std::unique_ptr<Connection>> readers, std::uint64_t stored_sessions,
                   Options options);
  void enqueue(Job job);
  // Runs `apply` on the writer and waits for its commit.
  domain::Status run_on_writer(std::function<void(Connection&)> apply);
  void writer_loop();
  // Commits `jobs` in one transaction; with none, writes back every session row left behind.
  void commit_group(std::vector<Job>& jobs);
  // Saves where a recount after a crash starts, inside the group's transaction; returns it.
  std::optional<std::int64_t> store_recount_from(Connection& db);
  // Copies the WAL into the database on its own connection and thread, woken by the writer's WAL
  // hook every `checkpoint_pages` new frames: the writer never waits for a whole checkpoint (one
  // in the commit path stalled every batch behind it for tens of milliseconds). The writer copies
  // only the last few frames the checkpointer leaves (finish_checkpoint).
  void checkpoint_loop();
  void request_checkpoint();
  void on_commit(int wal_frames);  // writer thread, from the WAL hook
  void finish_checkpoint();        // writer thread, between transactions
  // Writer thread, idle: empties the WAL file once a burst grew it past twice its size under a
  // steady load (the WAL restarts reuse the file, never shrink it).
  void reclaim_wal();
  // The session-scan thread, once after open(): adds every stored session to session_filter_.
  void scan_stored_sessions();
  template <class T, class Read>
  domain::Result<T> read(Read&& body);

  Options options_;
  std::unique_ptr<Connection> writer_;

  std::mutex queue_mutex_;
  std::condition_variable queue_ready_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  bool writer_idle_ = false;  // waiting for a write: enqueue() wakes it
  std::thread writer_thread_;
  std::unique_ptr<SessionKeyCache> session_keys_;  // writer thread only
  std::unique_ptr<SessionWriteBack> write_back_;
  // Written by the writer thread; for_each_listed on any thread.
  ChunkListIndex name_chunks_{"name_chunks", "event_name"};
  ChunkListIndex project_chunks_{"project_chunks", "project_id"};
  ReceivedTimeIndex received_times_;                // writer thread only
  std::optional<std::int64_t> stored_recount_from_;  // writer thread only
  int frames_at_checkpoint_request_ = 0;            // writer thread only
  int wal_frames_ = 0;                              // writer thread only: after the last commit
  bool wal_oversized_ = false;                      // writer thread only: reclaim_wal() is due
  std::atomic<bool> writer_checkpoint_due_{false};

  std::unique_ptr<Connection> checkpointer_;
  // Held while either thread checkpoints: SQLite refuses a second checkpoint at once rather than
  // wait, and the writer's copy past the WAL's bound must not be refused.
  std::mutex wal_copy_mutex_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wanted_;
  bool checkpoint_due_ = false;
  bool checkpoint_stopping_ = false;
  std::thread checkpoint_thread_;

  std::mutex readers_mutex_;
  std::condition_variable reader_free_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;

  SessionFilter session_filter_;  // any thread; the writer adds each session it inserts
  std::atomic<bool> scan_stopping_{false};
  std::thread scan_thread_;
};

}  // namespace mtrace::adapters::sqlite
