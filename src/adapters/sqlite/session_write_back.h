// SessionWriteBack: the session aggregates that are ahead of their rows.
//
// Most batches change only three columns of their session's row: event_count, last_event_at and
// qoe. With 10,000 interleaved sessions the rows lie on ~1,200 pages, so rewriting the row for
// each batch put one more page into nearly every batch's share of the WAL, and the UPDATE cost
// the writer about a fifth of its time. Instead the writer leaves such rows behind and records
// their values here; a slice of them is written back in key order in each transaction, so that
// every row catches up within `interval`, and all of them when the store drains.
//
// Readers overlay these values on the rows they read, so a read sees every committed batch.
// After a crash the values are lost, so the writer keeps `recount_from` in the database: every
// chunk whose events a row may be missing has an id at or above it, and a row's counted_through
// column is the highest ingest sequence it counts. Opening the store recounts from there
// (recount_rows in sqlite_event_store.cpp). QoE is not recounted there: the session registry
// replays a session's stored events before its next batch (SessionRegistry::load_history).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <utility>
#include <vector>

#include "domain/session.h"

namespace mtrace::adapters::sqlite {

class SessionWriteBack {
 public:
  struct Aggregates {
    std::int64_t event_count = 0;
    domain::Micros last_event_at = 0;
    domain::Qoe qoe;
    std::int64_t counted_through = 0;  // the highest ingest sequence counted in event_count
  };
  using Row = std::pair<std::int64_t, Aggregates>;  // session_key, values

  explicit SessionWriteBack(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // --- writer thread, inside a transaction ---
  // Record what the transaction does to session rows, in its order. publish() after its COMMIT
  // makes the records visible to readers; discard() after a ROLLBACK forgets them.
  // The row of `key` was left behind; `first_chunk` is the smallest chunk id of the batch.
  void stage_deferred(std::int64_t key, Aggregates values, std::int64_t first_chunk);
  // The row of `key` now holds `values` (written whole, or written back).
  void stage_written(std::int64_t key, const Aggregates& values);
  void stage_erased(std::int64_t key);
  void publish();
  void discard();

  // --- writer thread, between or inside transactions ---
  // Rows to write back in this transaction: those left behind, in key order from where the
  // previous slice ended, as many as keep every row within `interval` at the current rate.
  std::vector<Row> next_slice(std::chrono::steady_clock::time_point now);
  // Every row left behind (drain, prune, an idle writer).
  std::vector<Row> all_behind() const;
  bool any_behind() const { return !behind_.empty(); }
  // After the staged records commit: the smallest chunk id whose events a row may be missing,
  // or nullopt when every row will be current.
  std::optional<std::int64_t> recount_from() const;
  // Forgets entries whose row holds their values, when no reader is between reading rows and
  // overlaying them (otherwise at a later call).
  void forget_written();

  // --- reader threads ---
  // Held while reading session rows and overlaying them: forget_written() waits for no reader.
  std::shared_lock<std::shared_mutex> reading() const {
    return std::shared_lock<std::shared_mutex>(forget_gate_);
  }
  // Replaces the aggregates of `session` (the row of `key`) with newer committed ones, if any.
  void overlay(std::int64_t key, domain::Session& session) const;

 private:
  struct Entry {
    Aggregates values;
    std::int64_t first_chunk = 0;  // meaningful while behind
    bool behind = false;
  };
  struct Staged {
    enum class Kind { deferred, written, erased } kind;
    std::int64_t key;
    Aggregates values;
    std::int64_t first_chunk;
  };
  void mark_written(std::int64_t key, Entry& entry);

  const std::chrono::steady_clock::duration interval_;
  std::vector<Staged> staged_;                        // writer only
  std::set<std::pair<std::int64_t, std::int64_t>> behind_;  // (first_chunk, key); writer only
  std::vector<std::int64_t> written_;                 // keys to forget; writer only
  std::int64_t slice_cursor_ = 0;                     // writer only
  std::optional<std::chrono::steady_clock::time_point> last_slice_;  // writer only
  double slice_budget_ = 0;                           // writer only

  mutable std::mutex mutex_;  // guards entries_ against readers; only the writer changes it
  std::map<std::int64_t, Entry> entries_;
  mutable std::shared_mutex forget_gate_;
};

}  // namespace mtrace::adapters::sqlite
