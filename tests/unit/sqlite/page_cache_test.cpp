#include "adapters/sqlite/page_cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../../support/temp_dir.h"
#include "adapters/sqlite/connection.h"

// Every test runs in a process of its own (gtest_discover_tests), so SQLite starts uninitialized.
namespace mtrace::adapters::sqlite {
namespace {

std::int64_t single_integer(Connection& db, const char* sql) {
  StatementUse query(db.statement(sql));
  EXPECT_TRUE(query->step()) << sql;
  return query->int64(0);
}

TEST(PageCache, KeepsTreesIntactThroughPageSplitsMergesAndCommits) {
  ASSERT_TRUE(install_page_cache());
  EXPECT_TRUE(install_page_cache());  // once per process; a second call says the same
  const mtrace::testing::TempDir dir;
  {
    Connection db((dir.path() / "cache.db").string(), Connection::Mode::read_write);
    // A small cache, so pages also leave it and come back while the trees grow.
    db.exec(
        "PRAGMA journal_mode = WAL; PRAGMA cache_size = -256;"
        " CREATE TABLE rows (key INTEGER PRIMARY KEY, body BLOB NOT NULL);"
        " CREATE INDEX rows_by_body ON rows (body);");
    // Random keys and bodies land all over both trees: pages split and their siblings are
    // renumbered through the temporary page number, commit after commit; deletions merge pages.
    for (int round = 0; round < 40; ++round) {
      db.exec("BEGIN");
      StatementUse insert(db.statement(
          "INSERT INTO rows (key, body) VALUES (abs(random()) % 1000000000, randomblob(60))"
          " ON CONFLICT (key) DO NOTHING"));
      for (int i = 0; i < 500; ++i) {
        insert->run();
        insert->reset();
      }
      if (round % 5 == 4) db.exec("DELETE FROM rows WHERE key % 3 = 0");
      db.exec("COMMIT");
    }
    {
      StatementUse check(db.statement("PRAGMA integrity_check"));
      ASSERT_TRUE(check->step());
      EXPECT_EQ(check->text(0), "ok");
    }
    const auto rows = single_integer(db, "SELECT count(*) FROM rows");
    EXPECT_GT(rows, 10'000);
    EXPECT_EQ(single_integer(db, "SELECT count(*) FROM rows INDEXED BY rows_by_body WHERE body > x''"), rows);
    // The last round deleted them after its inserts.
    EXPECT_EQ(single_integer(db, "SELECT count(*) FROM rows WHERE key % 3 = 0"), 0);
  }
}

// In a process of its own (the "threadsafe" style runs the test binary again for it), as the
// wrapper is installed once per process and another test of this binary may have done it.
TEST(PageCache, StepsAsideWhenSqliteWasInitializedFirst) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        if (sqlite3_initialize() != SQLITE_OK) std::_Exit(2);
        std::_Exit(install_page_cache() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace mtrace::adapters::sqlite
