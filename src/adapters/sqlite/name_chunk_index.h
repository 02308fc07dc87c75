// NameChunkIndex: which chunks hold events of a given name, one row per name per transaction.
//
// Searching events by name (the errors view, the events search) reads, newest first, the chunks
// that hold the name. One row per distinct name of each chunk (2–3 per batch on the ingest
// workload, each an insert into a text-keyed b-tree) cost the writer ~6 µs of its ~27 µs per
// batch at the peak. Instead a transaction writes one `name_chunks` row per distinct name it
// stored, listing the ids of the chunks it wrote with that name (encode_chunk_ids). At the peak a
// transaction holds tens of batches, and one row serves all of them; at a low rate it holds one
// batch, and the rows are as many as before. A search still reads only the chunks it lists.
//
// Row: (event_name, last_chunk_id, first_chunk_id, chunk_ids, last_received_at), keyed by the
// first two. Chunk ids grow from one transaction to the next, so the rows of one name, in
// last_chunk_id order, list their chunks in id order. chunk_ids is NULL when the row lists one
// chunk (last_chunk_id). last_received_at is the latest server_received_at of its chunks: a search
// from a received time reads only the rows at or after it (name_chunks_by_time), whatever the
// wall clock did between transactions.
// Erasing a chunk leaves the rows that list it: a search skips a chunk that is not there.
// Pruning drops the rows whose chunks all lie below the oldest chunk left (drop_rows_before).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mtrace::adapters::sqlite {

class Connection;

// Not thread-safe: the writer thread's, inside its transactions.
class NameChunkIndex {
 public:
  // The chunk `chunk_id`, received at `received_at` and written in this transaction, holds
  // events named `name`.
  void add(std::string_view name, std::int64_t chunk_id, std::int64_t received_at);
  // Writes a row per name added since the last flush or discard, into the open transaction.
  void flush(Connection& connection);
  // The transaction rolled back: forgets what was added.
  void discard() { names_.clear(); }

 private:
  struct Name {
    std::string name;
    std::vector<std::int64_t> chunk_ids;
    std::int64_t last_received_at = 0;
  };
  std::vector<Name> names_;  // a transaction stores few names: searched linearly
};

// Deletes the rows whose chunks all lie below `chunk_id` (pruning). Writer thread, inside a
// transaction.
void drop_rows_before(Connection& connection, std::int64_t chunk_id);

}  // namespace mtrace::adapters::sqlite
