#include "adapters/sqlite/chunk_list_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../../support/temp_dir.h"
#include "adapters/sqlite/connection.h"

namespace mtrace::adapters::sqlite {
namespace {

class ChunkListIndexTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<Connection>((dir_.path() / "lists.db").string(), Connection::Mode::read_write);
    db_->exec(
        "CREATE TABLE lists (list_key TEXT NOT NULL, last_chunk_id INTEGER NOT NULL,"
        " first_chunk_id INTEGER NOT NULL, chunk_ids BLOB, PRIMARY KEY (list_key, last_chunk_id))"
        " WITHOUT ROWID");
  }
  void TearDown() override { db_.reset(); }

  mtrace::testing::TempDir dir_;
  std::unique_ptr<Connection> db_;
  ChunkListIndex index_{"lists", "list_key"};
};

// Rows of one, two and many ids, and a key with none: every bound, asked in any order, finds the
// largest id listed below it, as a scan of all ids would.
TEST_F(ChunkListIndexTest, ACursorFindsTheLargestIdBelowAnyBoundInAnyOrder) {
  std::vector<std::int64_t> listed;
  std::int64_t next = 10;
  for (const int per_transaction : {1, 2, 1, 7, 3, 1, 30}) {
    db_->exec("BEGIN");
    for (int i = 0; i < per_transaction; ++i) {
      index_.add("a", next);
      index_.add("other", next + 1);
      listed.push_back(next);
      next += 5;
    }
    index_.flush(*db_);
    db_->exec("COMMIT");
  }
  std::vector<std::int64_t> bounds;
  for (std::int64_t bound = 0; bound <= next + 2; ++bound) bounds.push_back(bound);
  std::shuffle(bounds.begin(), bounds.end(), std::mt19937(7));
  ChunkListIndex::Cursor cursor(index_, *db_, "a");
  for (const std::int64_t bound : bounds) {
    std::optional<std::int64_t> expected;
    for (const std::int64_t id : listed) {
      if (id < bound) expected = id;
    }
    EXPECT_EQ(cursor.largest_below(bound), expected) << "below " << bound;
  }
  ChunkListIndex::Cursor none(index_, *db_, "b");
  EXPECT_EQ(none.largest_below(next), std::nullopt);

  std::vector<std::int64_t> walked;
  index_.for_each_listed(*db_, "a", 40, 200, [&](std::int64_t id) {
    walked.push_back(id);
    return true;
  });
  std::vector<std::int64_t> expected;
  for (const std::int64_t id : listed) {
    if (id >= 40 && id < 200) expected.insert(expected.begin(), id);
  }
  EXPECT_EQ(walked, expected);
}

}  // namespace
}  // namespace mtrace::adapters::sqlite
