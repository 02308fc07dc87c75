#include "adapters/sqlite/chunk_list_index.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "adapters/sqlite/connection.h"
#include "adapters/sqlite/record_codec.h"

namespace mtrace::adapters::sqlite {

ChunkListIndex::ChunkListIndex(std::string table, std::string key_column)
    : insert_sql_("INSERT INTO " + table + " (" + key_column +
                  ", last_chunk_id, first_chunk_id, chunk_ids) VALUES (?1, ?2, ?3, ?4)"),
      next_key_sql_("SELECT " + key_column + " FROM " + table + " WHERE " + key_column + " > ?1 ORDER BY " +
                    key_column + " LIMIT 1"),
      drop_sql_("DELETE FROM " + table + " WHERE " + key_column + " = ?1 AND last_chunk_id < ?2"),
      across_sql_("SELECT last_chunk_id FROM " + table + " WHERE " + key_column +
                  " = ?1 AND last_chunk_id >= ?2 ORDER BY last_chunk_id LIMIT 1"),
      rows_sql_("SELECT last_chunk_id, chunk_ids FROM " + table + " WHERE " + key_column +
                " = ?1 AND last_chunk_id <= ?2 AND last_chunk_id >= ?3 AND first_chunk_id < ?4"
                " ORDER BY last_chunk_id DESC") {}

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
  // The rows that may list a chunk below `below` are those below it and at most one across it,
  // the first at or above it.
  StatementUse across(connection.statement(across_sql_));
  across->bind(1, key).bind(2, below);
  const std::int64_t top = across->step() ? across->int64(0) : std::numeric_limits<std::int64_t>::max();
  StatementUse rows(connection.statement(rows_sql_));
  rows->bind(1, key).bind(2, top).bind(3, lowest).bind(4, below);
  while (rows->step()) {
    std::vector<std::int64_t> ids{rows->int64(0)};
    if (!rows->is_null(1)) {
      auto decoded = decode_chunk_ids(rows->blob(1));
      if (!decoded.ok()) throw std::runtime_error(decoded.error().message);
      ids = std::move(decoded).value();
    }
    for (auto id = ids.rbegin(); id != ids.rend(); ++id) {
      if (*id >= below) continue;
      if (*id < lowest) return;  // and so are the rest, and every older row's
      if (!visit(*id)) return;
    }
  }
}

}  // namespace mtrace::adapters::sqlite
