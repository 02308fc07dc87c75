// The SQLite schema as numbered migrations, and the code that applies them on open.
#pragma once

#include <cstdint>

#include "adapters/sqlite/connection.h"

namespace mtrace::adapters::sqlite {

// The highest schema version this build knows.
std::int64_t latest_schema_version();

// Brings the database up to latest_schema_version(), each migration in its own transaction.
// Throws SqliteError on SQLite failures, and SchemaError when the database is marked dirty or
// holds a newer schema than this build knows: it then refuses to touch it.
void migrate(Connection& connection);

class SchemaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mtrace::adapters::sqlite
