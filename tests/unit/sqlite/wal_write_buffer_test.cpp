#include "adapters/sqlite/wal_write_buffer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "../../support/temp_dir.h"
#include "adapters/sqlite/connection.h"

namespace mtrace::adapters::sqlite {
namespace {

// A writer on the buffering VFS and a reader on the default one, over one WAL database.
class WalWriteBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "wal.db").string();
    writer_ = std::make_unique<Connection>(path_, Connection::Mode::read_write, wal_write_buffer_vfs());
    writer_->exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;"
        " CREATE TABLE rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL);"
        " CREATE INDEX rows_by_body ON rows (body);");
    reader_ = std::make_unique<Connection>(path_, Connection::Mode::read_write);
  }
  void TearDown() override {
    reader_.reset();
    writer_.reset();
  }

  // Inserts `count` rows of `bytes` random bytes in one transaction.
  void insert_rows(int count, int bytes) {
    writer_->exec("BEGIN");
    StatementUse insert(writer_->statement("INSERT INTO rows (body) VALUES (randomblob(?1))"));
    for (int i = 0; i < count; ++i) {
      insert->bind(1, std::int64_t{bytes}).run();
      insert->reset();
    }
    writer_->exec("COMMIT");
  }

  static std::int64_t count_rows(Connection& connection) {
    StatementUse count(connection.statement("SELECT count(*) FROM rows"));
    EXPECT_TRUE(count->step());
    return count->int64(0);
  }

  mtrace::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<Connection> writer_;
  std::unique_ptr<Connection> reader_;
};

// Far more than one write call of the unix VFS (128 KiB) and than the gathering limit (4 MiB).
TEST_F(WalWriteBufferTest, LargeTransactionsCommitAndAreSeenByOtherConnections) {
  insert_rows(6000, 1000);
  EXPECT_EQ(count_rows(*reader_), 6000);
  insert_rows(3, 10);
  EXPECT_EQ(count_rows(*reader_), 6003);
}

// With a tiny page cache the writer spills pages into the WAL before its commit and reads them
// back within the same transaction.
TEST_F(WalWriteBufferTest, SpilledPagesAreReadBackBeforeTheCommit) {
  writer_->exec("PRAGMA cache_size = 10");
  writer_->exec("BEGIN");
  StatementUse insert(writer_->statement("INSERT INTO rows (id, body) VALUES (?1, randomblob(300))"));
  for (std::int64_t id = 1; id <= 3000; ++id) {
    insert->bind(1, id).run();
    insert->reset();
  }
  EXPECT_EQ(count_rows(*writer_), 3000);
  {
    StatementUse one(writer_->statement("SELECT length(body) FROM rows WHERE id = 1500"));
    ASSERT_TRUE(one->step());
    EXPECT_EQ(one->int64(0), 300);
  }
  writer_->exec("COMMIT");
  EXPECT_EQ(count_rows(*reader_), 3000);
  StatementUse check(reader_->statement("PRAGMA integrity_check"));
  ASSERT_TRUE(check->step());
  EXPECT_EQ(check->text(0), "ok");
}

// A checkpoint that empties the WAL makes the writer start it again from its header.
TEST_F(WalWriteBufferTest, CommitsAfterTheWalRestartsAreSeen) {
  for (int round = 1; round <= 3; ++round) {
    insert_rows(200, 500);
    reader_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    EXPECT_EQ(std::filesystem::file_size(path_ + "-wal"), 0u);
    insert_rows(100, 500);
    EXPECT_EQ(count_rows(*reader_), 300 * round);
  }
}

// Whatever the writer committed is in the files once it is gone, for a fresh connection.
TEST_F(WalWriteBufferTest, ReopenedDatabaseHoldsEveryCommit) {
  insert_rows(1000, 700);
  insert_rows(1, 700);
  reader_.reset();
  writer_.reset();
  Connection reopened(path_, Connection::Mode::read_only);
  EXPECT_EQ(count_rows(reopened), 1001);
}

}  // namespace
}  // namespace mtrace::adapters::sqlite
