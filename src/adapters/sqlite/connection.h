// A thin RAII layer over one sqlite3 connection: prepared statements cached per connection,
// typed binds and columns. Failures throw SqliteError, which never leaves the adapter: every
// public method of SqliteEventStore turns it into a domain::Error.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "domain/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mtrace::adapters::sqlite {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }
  // unavailable for busy/locked/I-O/full/cannot-open/read-only, internal for everything else.
  domain::Error to_error() const;

 private:
  int code_;
};

// One prepared statement. Not thread-safe; belongs to the connection that prepared it.
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1 as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // Steps once: true when a row is available, false when done.
  bool step();
  // Steps until done (statements without rows).
  void run();
  // Clears bindings and rewinds, so the cached statement can be used again.
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  std::optional<std::int64_t> optional_int64(int column) const;
  std::string_view text(int column) const;
  std::string_view blob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets its statement on scope exit, also when a step throws.
class StatementUse {
 public:
  explicit StatementUse(Statement& statement) : statement_(statement) {}
  ~StatementUse() { statement_.reset(); }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;
  Statement* operator->() const { return &statement_; }
  Statement& operator*() const { return statement_; }

 private:
  Statement& statement_;
};

class Connection {
 public:
  enum class Mode { read_write, read_only };
  // `vfs` names a registered SQLite VFS; nullptr is the default one.
  Connection(const std::string& path, Mode mode, const char* vfs = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (DDL, pragmas, BEGIN/COMMIT).
  void exec(const char* sql);
  // Like exec() but reports failure instead of throwing (rollbacks on error paths).
  bool try_exec(const char* sql) noexcept;
  // The cached statement for `sql`, prepared on first use. Use it through StatementUse.
  // Finding a cached one allocates nothing (the writer looks up several per batch).
  Statement& statement(std::string_view sql);
  std::int64_t changes() const;
  // The rowid of the last row an INSERT added on this connection; an upsert that updated
  // instead leaves it as it was, so set it to a value no row has first to tell the two apart.
  std::int64_t last_insert_rowid() const;
  void set_last_insert_rowid(std::int64_t rowid);
  sqlite3* handle() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

// A read transaction (a consistent snapshot in WAL mode); rolls back on scope exit.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& connection) : connection_(connection) {
    connection_.exec("BEGIN");
  }
  ~ReadTransaction() { connection_.try_exec("ROLLBACK"); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Connection& connection_;
};

}  // namespace mtrace::adapters::sqlite
