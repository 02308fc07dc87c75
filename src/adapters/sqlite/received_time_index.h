// ReceivedTimeIndex: which chunk ids a search bounded by received time must read.
//
// A search may bound server_received_at ([from, until): the events and errors views, the
// overview's last hour) while chunks lie in ingest order. The wall clock mostly follows ingest
// order but may step back, so no single lookup maps a time to a chunk id; scanning event_chunks
// for the bound read every chunk newer than `until` (16 s for half of 10 million events, cold).
// Instead each transaction that wrote chunks writes one `chunk_spans` row:
//   (last_chunk_id, first_chunk_id, min_received_at, high_water, rewound)
// - high_water is the latest received time of the span's chunks and of every older span's. It
//   never decreases along chunk ids, so the spans that may hold a chunk at or after a time form a
//   suffix, whose start one seek finds (chunk_spans_by_high_water).
// - A span is `rewound` when its earliest time is before the earliest time of the last span that
//   is not: the clock stepped back (requests received a few microseconds apart and sequenced the
//   other way round do not make a span rewound, as its earliest time is older still). Along the
//   other spans min_received_at never decreases, so the last of them that may hold a chunk before
//   a time is also one seek (chunk_spans_steady); the rewound ones, rare, are all read
//   (chunk_spans_rewound).
// The bounds are exact whatever the clock did. Erasing chunks leaves their spans (a span then
// covers ids that are gone); pruning drops the spans below the oldest chunk left.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace mtrace::adapters::sqlite {

class Connection;

// Not thread-safe: the writer thread's, inside its transactions.
class ReceivedTimeIndex {
 public:
  // The chunk `chunk_id`, received at `received_at`, was written in this transaction.
  void add(std::int64_t chunk_id, std::int64_t received_at);
  // Writes the transaction's span, if it wrote chunks, into the open transaction.
  void flush(Connection& connection);
  // The transaction rolled back: forgets its chunks.
  void discard() { span_.reset(); }

 private:
  struct Span {
    std::int64_t first_chunk_id, last_chunk_id, min_received_at, max_received_at;
  };
  std::optional<Span> span_;
};

// Chunk ids in [lowest, highest]; any chunk received in the searched times lies there.
struct ChunkIdRange {
  std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
  std::int64_t highest = std::numeric_limits<std::int64_t>::max();
};

// The chunk ids that may hold events received at or after `from` and before `until` (either may
// be absent); nullopt when no stored chunk can. Any connection, inside a read.
std::optional<ChunkIdRange> chunk_ids_received(Connection& connection, std::optional<std::int64_t> from,
                                               std::optional<std::int64_t> until);

// Deletes the spans whose chunks all lie below `chunk_id` (pruning). Writer thread, inside a
// transaction.
void drop_spans_before(Connection& connection, std::int64_t chunk_id);

}  // namespace mtrace::adapters::sqlite
