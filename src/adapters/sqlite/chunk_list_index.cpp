#include "adapters/sqlite/chunk_list_index.h"

#include <algorithm>
#include <limits>

#include "adapters/sqlite/connection.h"
#include "adapters/sqlite/record_codec.h"

namespace mtrace::adapters::sqlite {

ChunkListIndex::ChunkListIndex(std::string table, std::string key_column)
    : insert_sql_("INSERT INTO " + table + " (" + key_column +
                  ", last_chunk_id, first_chunk_id, chunk_ids) VALUES (?1, ?2, ?3, ?4)"),
      next_key_sql_("SELECT " + key_column + " FROM " + table + " WHERE " + key_column + " > ?1 ORDER BY " +
                    key_column + " LIMIT 1"),
      drop_sql_("DELETE FROM " + table + " WHERE " + key_column + " = ?1 AND last_chunk_id < ?2"),
      across_sql_("SELECT last_chunk_id, first_chunk_id, chunk_ids FROM " + table + " WHERE " + key_column +
                  " = ?1 AND last_chunk_id >= ?2 ORDER BY last_chunk_id LIMIT 1"),
      below_sql_("SELECT last_chunk_id, first_chunk_id, chunk_ids FROM " + table + " WHERE " + key_column +
                 " = ?1 AND last_chunk_id < ?2 ORDER BY last_chunk_id DESC LIMIT 1") {}

void ChunkListIndex::add(std::string_view key, std::int64_t chunk_id) {
  auto entry = std::find_if(keys_.begin(), keys_.end(), [&](const Key& k) { return k.key == key; });
  if (entry == keys_.end()) entry = keys_.insert(keys_.end(), Key{std::string(key), {}});
  entry->chunk_ids.push_back(chunk_id);
}

void ChunkListIndex::flush(Connection& connection) {
  if (keys_.empty()) return;
  StatementUse insert(connection.statement(insert_sql_));
  for (Key& entry : keys_) {
    auto& ids = entry.chunk_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    insert->bind(1, entry.key).bind(2, ids.back()).bind(3, ids.front());
    if (ids.size() == 1) {
      insert->bind_null(4);
    } else {
      insert->bind_blob(4, encode_chunk_ids(ids));
    }
    insert->run();
    insert->reset();
  }
  keys_.clear();
}

void ChunkListIndex::drop_rows_before(Connection& connection, std::int64_t chunk_id) const {
  // One indexed delete per key; the keys are few, and each is found by a seek.
  StatementUse next_key(connection.statement(next_key_sql_));
  StatementUse drop(connection.statement(drop_sql_));
  std::string key;
  for (;;) {
    next_key->bind(1, key);
    if (!next_key->step()) return;
    key = std::string(next_key->text(0));
    next_key->reset();
    drop->bind(1, key).bind(2, chunk_id).run();
    drop->reset();
  }
}

void ChunkListIndex::for_each_listed(Connection& connection, std::string_view key, std::int64_t lowest,
                                     std::int64_t below, const std::function<bool(std::int64_t)>& visit) const {
  Cursor listed(*this, connection, key);
  for (auto id = listed.largest_below(below); id && *id >= lowest; id = listed.largest_below(*id)) {
    if (!visit(*id)) return;
  }
}

ChunkListIndex::Cursor::Cursor(const ChunkListIndex& index, Connection& connection, std::string_view key)
    : index_(index), connection_(connection), key_(key) {}

std::optional<std::int64_t> ChunkListIndex::Cursor::largest_below(std::int64_t bound) {
  // Rows of one key do not overlap: when the row read last has an id below `bound` and its last
  // id is at or above bound - 1, no other row can hold a larger one.
  const auto in_row = [&]() -> std::optional<std::int64_t> {
    if (ids_.empty() || ids_.front() >= bound || ids_.back() < bound - 1) return std::nullopt;
    return *(std::lower_bound(ids_.begin(), ids_.end(), bound) - 1);
  };
  if (auto id = in_row()) return id;
  // Else the row across the bound, if it has an id below it, or else the row below it.
  StatementUse across(connection_.statement(index_.across_sql_));
  across->bind(1, key_).bind(2, bound);
  if (across->step() && across->int64(1) < bound) {
    load(*across);
    return in_row();
  }
  StatementUse below(connection_.statement(index_.below_sql_));
  below->bind(1, key_).bind(2, bound);
  if (below->step()) {
    load(*below);
    return ids_.back();
  }
  ids_.clear();
  return std::nullopt;
}

void ChunkListIndex::Cursor::load(const Statement& row) {
  const std::int64_t last = row.int64(0);
  if (row.is_null(2)) {
    ids_.assign(1, last);
    return;
  }
  if (auto decoded = decode_chunk_ids(row.blob(2)); decoded.ok() && !decoded.value().empty()) {
    ids_ = std::move(decoded).value();
    return;
  }
  // A list that does not decode (a damaged file): every id the row spans, at most kMaxSpan. The
  // search then looks up a few chunks more, each filtered as any other.
  constexpr std::int64_t kMaxSpan = 1 << 20;
  const std::int64_t lowest = last < std::numeric_limits<std::int64_t>::min() + kMaxSpan ? last : last - kMaxSpan;
  const std::int64_t first = std::clamp(row.int64(1), lowest, last);
  ids_.clear();
  for (std::int64_t n = 0; n <= last - first; ++n) ids_.push_back(first + n);
}

}  // namespace mtrace::adapters::sqlite
