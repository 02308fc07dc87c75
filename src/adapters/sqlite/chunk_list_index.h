// ChunkListIndex: which chunks hold events of a given key, one row per key per transaction. The
// store keeps two: `name_chunks` by event name (search by name, the errors view) and
// `project_chunks` by project (a project's events, when other projects hold most chunks).
//
// One row per distinct name of each chunk (2–3 per batch on the ingest workload, each an insert
// into a text-keyed b-tree) cost the writer ~6 µs of its ~27 µs per batch at the peak. Instead a
// transaction writes one row per distinct key it stored, listing the ids of the chunks it wrote
// with that key (encode_chunk_ids). At the peak a transaction holds tens of batches, and one row
// serves all of them; at a low rate it holds one batch, and the rows are one per chunk and key.
// A search still reads only the chunks a row lists.
//
// Row: (key, last_chunk_id, first_chunk_id, chunk_ids), keyed by the first two. Chunk ids grow
// from one transaction to the next (batches reach the store in ingest order), so the rows of one
// key do not overlap, and in last_chunk_id order list their chunks in id order. chunk_ids is NULL
// when the row lists one chunk (last_chunk_id).
// Erasing a chunk leaves the rows that list it: a search skips a chunk that is not there.
// Pruning drops the rows whose chunks all lie below the oldest chunk left (drop_rows_before).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mtrace::adapters::sqlite {

class Connection;
class Statement;

// add, flush, discard and drop_rows_before: the writer thread's, inside its transactions.
// for_each_listed and Cursor: any thread, on its own connection.
class ChunkListIndex {
 public:
  // `table` has the columns (`key_column`, last_chunk_id, first_chunk_id, chunk_ids).
  ChunkListIndex(std::string table, std::string key_column);

  // The chunk `chunk_id`, written in this transaction, holds events with `key`.
  void add(std::string_view key, std::int64_t chunk_id);
  // Writes a row per key added since the last flush or discard, into the open transaction.
  void flush(Connection& connection);
  // The transaction rolled back: forgets what was added.
  void discard() { keys_.clear(); }
  // Deletes the rows whose chunks all lie below `chunk_id` (pruning).
  void drop_rows_before(Connection& connection, std::int64_t chunk_id) const;

  // Calls `visit` with the ids in [lowest, below) of the chunks listed under `key`, newest first,
  // until it returns false. A seek finds the first row (no row above `below` is read one by one).
  // Exceptions of `visit` pass through. A row whose list does not decode lists every id it spans
  // (a superset: the caller filters what it reads).
  void for_each_listed(Connection& connection, std::string_view key, std::int64_t lowest,
                       std::int64_t below, const std::function<bool(std::int64_t)>& visit) const;

  // The chunk ids listed under one key, found newest first by seeks: two cursors intersect two
  // lists (a project's chunks that hold a name) in steps of the shorter one. Holds no statement
  // between calls. A damaged row is read as for_each_listed reads it.
  class Cursor {
   public:
    Cursor(const ChunkListIndex& index, Connection& connection, std::string_view key);
    // The largest id listed below `bound`; nullopt when there is none.
    std::optional<std::int64_t> largest_below(std::int64_t bound);

   private:
    void load(const Statement& row);  // the ids of a row of (last_chunk_id, first_chunk_id, chunk_ids)
    const ChunkListIndex& index_;
    Connection& connection_;
    std::string_view key_;
    std::vector<std::int64_t> ids_;  // of the row read last, ascending
  };

 private:
  struct Key {
    std::string key;
    std::vector<std::int64_t> chunk_ids;
  };
  std::string insert_sql_, next_key_sql_, drop_sql_, across_sql_, below_sql_;
  std::vector<Key> keys_;  // a transaction stores few keys: searched linearly
};

}  // namespace mtrace::adapters::sqlite
