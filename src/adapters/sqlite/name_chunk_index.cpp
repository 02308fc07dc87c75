#include "adapters/sqlite/name_chunk_index.h"

#include <algorithm>

#include "adapters/sqlite/connection.h"
#include "adapters/sqlite/record_codec.h"

namespace mtrace::adapters::sqlite {

void NameChunkIndex::add(std::string_view name, std::int64_t chunk_id, std::int64_t received_at) {
  auto entry = std::find_if(names_.begin(), names_.end(), [&](const Name& n) { return n.name == name; });
  if (entry == names_.end()) {
    entry = names_.insert(names_.end(), Name{std::string(name), {}, received_at});
  }
  entry->chunk_ids.push_back(chunk_id);
  entry->last_received_at = std::max(entry->last_received_at, received_at);
}

void NameChunkIndex::flush(Connection& connection) {
  if (names_.empty()) return;
  StatementUse insert(connection.statement(
      "INSERT INTO name_chunks (event_name, last_chunk_id, first_chunk_id, chunk_ids,"
      " last_received_at) VALUES (?1, ?2, ?3, ?4, ?5)"));
  for (Name& entry : names_) {
    auto& ids = entry.chunk_ids;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    insert->bind(1, entry.name).bind(2, ids.back()).bind(3, ids.front()).bind(5, entry.last_received_at);
    if (ids.size() == 1) {
      insert->bind_null(4);
    } else {
      insert->bind_blob(4, encode_chunk_ids(ids));
    }
    insert->run();
    insert->reset();
  }
  names_.clear();
}

void drop_rows_before(Connection& connection, std::int64_t chunk_id) {
  // One indexed delete per name; the names are few, and each is found by a seek.
  StatementUse next_name(connection.statement(
      "SELECT event_name FROM name_chunks WHERE event_name > ?1 ORDER BY event_name LIMIT 1"));
  StatementUse drop(connection.statement(
      "DELETE FROM name_chunks WHERE event_name = ?1 AND last_chunk_id < ?2"));
  std::string name;
  for (;;) {
    next_name->bind(1, name);
    if (!next_name->step()) return;
    name = std::string(next_name->text(0));
    next_name->reset();
    drop->bind(1, name).bind(2, chunk_id).run();
    drop->reset();
  }
}

}  // namespace mtrace::adapters::sqlite
