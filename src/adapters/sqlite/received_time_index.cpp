#include "adapters/sqlite/received_time_index.h"

#include <algorithm>

#include "adapters/sqlite/connection.h"

namespace mtrace::adapters::sqlite {

void ReceivedTimeIndex::add(std::int64_t chunk_id, std::int64_t received_at) {
  if (!span_) {
    span_ = Span{chunk_id, chunk_id, received_at, received_at};
    return;
  }
  span_->first_chunk_id = std::min(span_->first_chunk_id, chunk_id);
  span_->last_chunk_id = std::max(span_->last_chunk_id, chunk_id);
  span_->min_received_at = std::min(span_->min_received_at, received_at);
  span_->max_received_at = std::max(span_->max_received_at, received_at);
}

void ReceivedTimeIndex::flush(Connection& connection) {
  if (!span_) return;
  // Read back rather than kept: a rolled-back transaction then leaves nothing to undo.
  StatementUse previous(connection.statement(
      "SELECT high_water FROM chunk_spans ORDER BY last_chunk_id DESC LIMIT 1"));
  std::int64_t high_water = span_->max_received_at;
  if (previous->step()) high_water = std::max(high_water, previous->int64(0));
  StatementUse last_steady(connection.statement(
      "SELECT min_received_at FROM chunk_spans INDEXED BY chunk_spans_steady WHERE rewound = 0"
      " ORDER BY min_received_at DESC, last_chunk_id DESC LIMIT 1"));
  const bool rewound = last_steady->step() && span_->min_received_at < last_steady->int64(0);
  StatementUse insert(connection.statement(
      "INSERT INTO chunk_spans (last_chunk_id, first_chunk_id, min_received_at, high_water, rewound)"
      " VALUES (?1, ?2, ?3, ?4, ?5)"));
  insert->bind(1, span_->last_chunk_id)
      .bind(2, span_->first_chunk_id)
      .bind(3, span_->min_received_at)
      .bind(4, high_water)
      .bind(5, std::int64_t{rewound})
      .run();
  span_.reset();
}

std::optional<ChunkIdRange> chunk_ids_received(Connection& connection, std::optional<std::int64_t> from,
                                               std::optional<std::int64_t> until) {
  ChunkIdRange range;
  if (from) {
    StatementUse first(connection.statement(
        "SELECT first_chunk_id FROM chunk_spans INDEXED BY chunk_spans_by_high_water"
        " WHERE high_water >= ?1 ORDER BY high_water, last_chunk_id LIMIT 1"));
    first->bind(1, *from);
    if (!first->step()) return std::nullopt;
    range.lowest = first->int64(0);
  }
  if (until) {
    StatementUse steady(connection.statement(
        "SELECT last_chunk_id FROM chunk_spans INDEXED BY chunk_spans_steady"
        " WHERE rewound = 0 AND min_received_at < ?1 ORDER BY min_received_at DESC, last_chunk_id DESC"
        " LIMIT 1"));
    steady->bind(1, *until);
    bool any = steady->step();
    if (any) range.highest = steady->int64(0);
    StatementUse rewound(connection.statement(
        "SELECT max(last_chunk_id) FROM chunk_spans INDEXED BY chunk_spans_rewound"
        " WHERE rewound = 1 AND min_received_at < ?1"));
    rewound->bind(1, *until);
    if (rewound->step() && !rewound->is_null(0)) {
      range.highest = any ? std::max(range.highest, rewound->int64(0)) : rewound->int64(0);
      any = true;
    }
    if (!any) return std::nullopt;
  }
  if (range.lowest > range.highest) return std::nullopt;
  return range;
}

void drop_spans_before(Connection& connection, std::int64_t chunk_id) {
  StatementUse drop(connection.statement("DELETE FROM chunk_spans WHERE last_chunk_id < ?1"));
  drop->bind(1, chunk_id).run();
}

}  // namespace mtrace::adapters::sqlite
