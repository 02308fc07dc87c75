// Layout of the embedded store, chosen by measurement (bench/store_ingest.cpp) on a 2-core VM.
//
// Events are not stored one row per event. A row-per-event table needs an index by session to
// serve one session's events page, and with thousands of sessions interleaved every insert lands
// on a different leaf page of that index: SQLite then appends ~40k rows/s instead of ~600k
// (reference/anchors.md §6.3), far below the 200,000 events/s target. So one row of
// `event_chunks` holds the events of ONE session from ONE batch (usually all of a request's
// events), encoded compactly (record_codec.cpp) and decoded on read. The per-session index then
// takes one entry per batch instead of one per event (~20k entries/s at the target), and keys it
// by the session's integer key, not by its text ids, so the index stays small and cached.
//
// - event_chunks.chunk_id is the smallest ingest_sequence of the chunk, so chunks are appended at
//   the end of the table in ingest order. The writer splits a chunk so that its ingest sequences
//   span less than kChunkSpan (sqlite_event_store.cpp): "events after N" and "newest first" scans
//   then walk chunk ids in order and know when no later chunk can hold an earlier event.
// - Every event of a chunk shares project, session, server_received_at, correlation_id, trace_id
//   and span_id (the batch's); those are columns, the rest is in `events`.
// - name_chunks finds a name's chunks (search by name, errors view), project_chunks a project's:
//   one row per name, or project, of each transaction, listing its chunks (chunk_list_index.h).
// - chunk_spans bounds the chunk ids of a search by received time: one row per transaction
//   (received_time_index.h).
// - sessions: one row per (project_id, session_id) with an integer session_key. Times are integer
//   microseconds; state and end_source are small integers (0 active, 1 stalled, 2 ended; 0 none,
//   1 client, 2 sweeper). A session's writes never rewrite the columns fixed at creation (ids,
//   started_at, correlation_id), so they do not touch the indexes on them; once the writer knows
//   a session's key it updates the row by key, and the state (sessions_open) only when it changes.
//   QoE is one JSON column. A batch that changes only event_count, last_event_at and qoe leaves
//   the row behind; the writer writes it back later (session_write_back.h).
// - Boundaries are keyed as the reference keys them (backend.md §2.4); analyses by row id.
// - No foreign keys: the writer erases a session's rows together, in one transaction.
// The PostgreSQL adapter can keep the same tables (INTEGER -> BIGINT, BLOB -> BYTEA).
#include "adapters/sqlite/schema.h"

#include <array>
#include <chrono>
#include <string>

namespace mtrace::adapters::sqlite {
namespace {

constexpr std::array<const char*, 6> kMigrations = {
    // 1: initial schema.
    R"sql(
CREATE TABLE sessions (
  session_key INTEGER PRIMARY KEY,
  project_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
  started_at INTEGER NOT NULL,
  last_event_at INTEGER NOT NULL,
  ended_at INTEGER,
  end_source INTEGER NOT NULL CHECK (end_source IN (0, 1, 2)),
  event_count INTEGER NOT NULL,
  correlation_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  sample_rate_ppm INTEGER NOT NULL,
  content_id TEXT NOT NULL,
  content_title TEXT NOT NULL,
  player_name TEXT NOT NULL,
  player_version TEXT NOT NULL,
  browser_family TEXT NOT NULL,
  os_family TEXT NOT NULL,
  last_error_code TEXT NOT NULL,
  error_count INTEGER NOT NULL,
  qoe TEXT NOT NULL,
  UNIQUE (project_id, session_id)
);
CREATE INDEX sessions_by_project_start ON sessions (project_id, started_at DESC, session_id);
CREATE INDEX sessions_by_start ON sessions (started_at DESC, session_id);
CREATE INDEX sessions_by_last_event ON sessions (last_event_at);
CREATE INDEX sessions_by_correlation ON sessions (project_id, correlation_id);
CREATE INDEX sessions_open ON sessions (state) WHERE state <> 2;

CREATE TABLE event_chunks (
  chunk_id INTEGER PRIMARY KEY,
  last_ingest_sequence INTEGER NOT NULL,
  session_key INTEGER NOT NULL,
  server_received_at INTEGER NOT NULL,
  correlation_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  span_id TEXT NOT NULL,
  events BLOB NOT NULL
);
CREATE INDEX event_chunks_by_session ON event_chunks (session_key, server_received_at);

CREATE TABLE chunk_names (
  event_name TEXT NOT NULL,
  chunk_id INTEGER NOT NULL,
  PRIMARY KEY (event_name, chunk_id)
) WITHOUT ROWID;

CREATE TABLE session_boundaries (
  project_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  network_kind TEXT NOT NULL,
  adapter TEXT NOT NULL,
  reason TEXT NOT NULL,
  client_timestamp INTEGER NOT NULL,
  server_received_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, session_id, kind, network_kind, adapter, reason)
) WITHOUT ROWID;

CREATE TABLE analyses (
  analysis_id INTEGER PRIMARY KEY,
  project_id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  result_json TEXT NOT NULL
);
CREATE INDEX analyses_by_session ON analyses (project_id, session_id, analysis_id);
)sql",
    // 2: every batch moved its session's entry in this index (last_event_at changes each time);
    // pruning finds old sessions through sessions_by_start instead (started_at <= last_event_at).
    R"sql(
DROP INDEX sessions_by_last_event;
)sql",
    // 3: rows may lag behind their batches (session_write_back.h). counted_through is the highest
    // ingest sequence a row's event_count counts; store_state keeps where a recount starts.
    R"sql(
ALTER TABLE sessions ADD COLUMN counted_through INTEGER NOT NULL DEFAULT 0;
CREATE TABLE store_state (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 4: the sessions list's filters (state, content, player, error code) walked the project's
    // sessions newest first until a page matched: ~60 ms over 200,000 sessions for a filter that
    // matches none. These give each filter its own order. Rows are written when a session starts
    // or changes beyond its counts and QoE, so ingest seldom touches them.
    R"sql(
CREATE INDEX sessions_by_state ON sessions (project_id, state, started_at DESC, session_id);
CREATE INDEX sessions_by_content ON sessions (project_id, content_id, started_at DESC, session_id);
CREATE INDEX sessions_by_player ON sessions (project_id, player_name, started_at DESC, session_id);
CREATE INDEX sessions_by_error ON sessions (project_id, last_error_code, started_at DESC, session_id);
)sql",
    // 5: chunk_names took one row per distinct name of each chunk; name_chunks takes one per
    // name of each transaction, listing its chunks (chunk_list_index.h).
    R"sql(
CREATE TABLE name_chunks (
  event_name TEXT NOT NULL,
  last_chunk_id INTEGER NOT NULL,
  first_chunk_id INTEGER NOT NULL,
  chunk_ids BLOB,
  last_received_at INTEGER NOT NULL,
  PRIMARY KEY (event_name, last_chunk_id)
) WITHOUT ROWID;
CREATE INDEX name_chunks_by_time ON name_chunks (event_name, last_received_at, first_chunk_id);
INSERT INTO name_chunks (event_name, last_chunk_id, first_chunk_id, chunk_ids, last_received_at)
  SELECT n.event_name, n.chunk_id, n.chunk_id, NULL, c.server_received_at
  FROM chunk_names n JOIN event_chunks c ON c.chunk_id = n.chunk_id;
DROP TABLE chunk_names;
)sql",
    // 6: a search by received time read every chunk newer than its `until` (and, with few
    // matches, every chunk older than its `from`); chunk_spans bounds it for every search, named
    // or not (received_time_index.h), and replaces name_chunks' own time column. Chunks stored
    // before are given spans of 256 chunks each. A project's events without a name filter read
    // every chunk of the other projects; project_chunks lists a project's (chunk_list_index.h).
    R"sql(
CREATE TABLE project_chunks (
  project_id TEXT NOT NULL,
  last_chunk_id INTEGER NOT NULL,
  first_chunk_id INTEGER NOT NULL,
  chunk_ids BLOB,
  PRIMARY KEY (project_id, last_chunk_id)
) WITHOUT ROWID;
INSERT INTO project_chunks (project_id, last_chunk_id, first_chunk_id, chunk_ids)
  SELECT s.project_id, c.chunk_id, c.chunk_id, NULL
  FROM event_chunks c JOIN sessions s ON s.session_key = c.session_key;
DROP INDEX name_chunks_by_time;
ALTER TABLE name_chunks DROP COLUMN last_received_at;
CREATE TABLE chunk_spans (
  last_chunk_id INTEGER PRIMARY KEY,
  first_chunk_id INTEGER NOT NULL,
  min_received_at INTEGER NOT NULL,
  high_water INTEGER NOT NULL,
  rewound INTEGER NOT NULL
);
CREATE INDEX chunk_spans_by_high_water ON chunk_spans (high_water);
CREATE INDEX chunk_spans_steady ON chunk_spans (min_received_at) WHERE rewound = 0;
CREATE INDEX chunk_spans_rewound ON chunk_spans (min_received_at) WHERE rewound = 1;
CREATE TEMP TABLE spans_to_mark AS
  WITH numbered AS (
    SELECT chunk_id, server_received_at, (row_number() OVER (ORDER BY chunk_id) - 1) / 256 AS span
    FROM event_chunks
  )
  SELECT span + 1 AS n, max(chunk_id) AS last, min(chunk_id) AS first,
         min(server_received_at) AS earliest, max(server_received_at) AS latest
  FROM numbered GROUP BY span;
CREATE UNIQUE INDEX temp.spans_to_mark_by_n ON spans_to_mark (n);
WITH RECURSIVE marked (n, last, first, earliest, high_water, rewound, steady_earliest) AS (
  SELECT n, last, first, earliest, latest, 0, earliest FROM spans_to_mark WHERE n = 1
  UNION ALL
  SELECT s.n, s.last, s.first, s.earliest, max(m.high_water, s.latest),
         s.earliest < m.steady_earliest, max(m.steady_earliest, s.earliest)
  FROM marked m JOIN spans_to_mark s ON s.n = m.n + 1
)
INSERT INTO chunk_spans (last_chunk_id, first_chunk_id, min_received_at, high_water, rewound)
  SELECT last, first, earliest, high_water, rewound FROM marked;
DROP TABLE spans_to_mark;
)sql",
};

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::int64_t latest_schema_version() { return static_cast<std::int64_t>(kMigrations.size()); }

void migrate(Connection& connection) {
  connection.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL,"
      " dirty INTEGER NOT NULL DEFAULT 0)");
  std::int64_t current = 0;
  {
    StatementUse state(connection.statement(
        "SELECT coalesce(max(version), 0), coalesce(max(dirty), 0) FROM schema_migrations"));
    state->step();
    current = state->int64(0);
    // SQLite applies a migration atomically, so this build never leaves a dirty mark; it honours
    // one written by a tool that could not (a manual repair in progress).
    if (state->int64(1) != 0) throw SchemaError("database schema is marked dirty; repair it first");
  }
  if (current > latest_schema_version()) {
    throw SchemaError("database schema version " + std::to_string(current) +
                      " is newer than this build knows (" +
                      std::to_string(latest_schema_version()) + ")");
  }
  for (std::int64_t version = current + 1; version <= latest_schema_version(); ++version) {
    connection.exec("BEGIN IMMEDIATE");
    try {
      connection.exec(kMigrations[static_cast<std::size_t>(version - 1)]);
      StatementUse record(connection.statement(
          "INSERT INTO schema_migrations (version, applied_at, dirty) VALUES (?1, ?2, 0)"));
      record->bind(1, version).bind(2, now_micros()).run();
      connection.exec("COMMIT");
    } catch (...) {
      connection.try_exec("ROLLBACK");
      throw;
    }
  }
}

}  // namespace mtrace::adapters::sqlite
