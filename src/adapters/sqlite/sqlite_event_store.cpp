#include "adapters/sqlite/sqlite_event_store.h"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <future>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>

#include "adapters/sqlite/connection.h"
#include "adapters/sqlite/received_time_index.h"
#include "adapters/sqlite/record_codec.h"
#include "adapters/sqlite/schema.h"
#include "adapters/sqlite/session_write_back.h"
#include "adapters/sqlite/wal_write_buffer.h"

namespace mtrace::adapters::sqlite {

namespace {

// A session's (project_id, session_id) as a map key, viewing strings that outlive the lookup.
struct SessionName {
  std::string_view project_id;
  std::string_view session_id;
  bool operator==(const SessionName&) const = default;
};

// A session name the map owns (SessionKeyCache outlives the batches it learns from).
using OwnedSessionName = std::pair<std::string, std::string>;

// Hashes and compares both kinds, so that a lookup by SessionName builds no string.
struct SessionNameHash {
  using is_transparent = void;
  std::size_t operator()(const SessionName& name) const noexcept {
    const std::size_t h = std::hash<std::string_view>{}(name.session_id);
    return h ^ (std::hash<std::string_view>{}(name.project_id) + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2));
  }
  std::size_t operator()(const OwnedSessionName& name) const noexcept {
    return (*this)(SessionName{name.first, name.second});
  }
};

struct SessionNameEqual {
  using is_transparent = void;
  static SessionName view(const SessionName& name) { return name; }
  static SessionName view(const OwnedSessionName& name) { return {name.first, name.second}; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const noexcept {
    return view(a) == view(b);
  }
};

// The smallest string above every string that starts with `prefix`, bytewise as SQLite's BINARY
// collation compares; nullopt when there is none (the prefix is all 0xFF bytes).
std::optional<std::string> prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

SessionName name_of(const domain::Session& s) { return {s.project_id, s.session_id}; }
SessionName name_of(const domain::PlaybackEvent& e) { return {e.project_id, e.session_id}; }

}  // namespace

// The writer's memory of the open sessions it has written: their key, the row as last written and
// the highest ingest sequence it counts. A known session's next write is an UPDATE by key, which
// leaves the index of open sessions alone unless the state changed, or no write at all when only
// the aggregates changed (SessionWriteBack); the full upsert probes the (project, session) index
// and rewrites it. Only the writer thread uses it. Ended sessions leave it, and a rolled-back
// transaction clears it (its keys may name rows that were never committed).
class SessionKeyCache {
 public:
  struct Entry {
    std::int64_t key = 0;
    domain::Session row;  // its aggregates may be older than the row's (written back meanwhile)
    std::int64_t counted_through = 0;
  };
  Entry* find(const domain::Session& s) {
    const auto found = entries_.find(name_of(s));
    return found == entries_.end() ? nullptr : &found->second;
  }
  void remember(const domain::Session& s, std::int64_t key, std::int64_t counted_through) {
    if (s.state == domain::SessionState::ended) {
      forget(s);
      return;
    }
    Entry entry{key, s, counted_through};
    if (auto found = entries_.find(name_of(s)); found != entries_.end()) {
      found->second = std::move(entry);
    } else {
      entries_.emplace(OwnedSessionName{s.project_id, s.session_id}, std::move(entry));
    }
  }
  void forget(const domain::Session& s) {
    if (auto found = entries_.find(name_of(s)); found != entries_.end()) entries_.erase(found);
  }
  void clear() { entries_.clear(); }

 private:
  std::unordered_map<OwnedSessionName, Entry, SessionNameHash, SessionNameEqual> entries_;
};

namespace {

using domain::Error;
using domain::ErrorCode;
using domain::Micros;
using domain::PlaybackEvent;
using domain::Session;
using domain::SessionState;

// The ingest sequences of one chunk lie in [chunk_id, chunk_id + kChunkSpan): scans in chunk-id
// order use it to know when no further chunk can hold an event they still need.
constexpr std::int64_t kChunkSpan = 1024;
constexpr std::int64_t kEndedState = 2;
constexpr std::size_t kPruneSlice = 256;  // sessions erased per writer transaction
constexpr std::string_view kErrorEventName = "playback_error";
// Chunks of other projects in a row after which a project's search reads on through
// project_chunks (search_events).
constexpr std::size_t kForeignChunkRun = 64;
// Writes waiting after which the writer begins a transaction before Options::commit_interval.
constexpr std::size_t kGatherWrites = 32;
// The checkpointer's rounds in a row before it waits to be woken again; the new frames a round
// may find and still count as the last (the writer copies those appended during it); and after
// how many wake-ups' worth of frames (Options::checkpoint_pages each) the WAL starts over.
constexpr int kCheckpointRounds = 8;
constexpr int kWriterCheckpointFrames = 64;
constexpr int kRestartAfterCheckpoints = 4;
// Frames beyond which the WAL file is cut back once the writer is idle (reclaim_wal()): twice
// what it holds when it starts over under a steady load.
constexpr int kOversizedWalCheckpoints = 2 * kRestartAfterCheckpoints;
constexpr int kBusyTimeoutMs = 5000;

// An expected failure inside the adapter (bad batch, corrupt row), turned into a domain::Error
// at the port boundary like SqliteError.
class StoreError : public std::runtime_error {
 public:
  explicit StoreError(Error error) : std::runtime_error(error.message), code_(error.code) {}
  Error to_error() const { return {code_, what()}; }

 private:
  ErrorCode code_;
};

// A stored record that does not decode (a damaged file) is counted and skipped: an event chunk is
// read as no events, an event's meta as empty, a session's QoE as empty.
void count_unreadable(ports::Metrics* metrics) {
  if (metrics != nullptr) metrics->store_record_unreadable();
}

Error convert_current_exception() {
  try {
    throw;
  } catch (const SqliteError& error) {
    return error.to_error();
  } catch (const StoreError& error) {
    return error.to_error();
  } catch (const SchemaError& error) {
    return {ErrorCode::internal, error.what()};
  } catch (const std::exception& error) {
    return {ErrorCode::internal, error.what()};
  }
}

// --- sessions ---------------------------------------------------------------------------------

constexpr std::string_view kSessionColumns =
    "s.session_key, s.project_id, s.session_id, s.state, s.started_at, s.last_event_at, "
    "s.ended_at, s.end_source, s.event_count, s.correlation_id, s.trace_id, s.sample_rate_ppm, "
    "s.content_id, s.content_title, s.player_name, s.player_version, s.browser_family, "
    "s.os_family, s.last_error_code, s.error_count, s.qoe";

struct KeyedSession {
  std::int64_t key = 0;
  Session session;
};

KeyedSession read_session(const Statement& row, ports::Metrics* metrics) {
  KeyedSession keyed;
  keyed.key = row.int64(0);
  Session& s = keyed.session;
  s.project_id = row.text(1);
  s.session_id = row.text(2);
  s.state = static_cast<domain::SessionState>(std::clamp<std::int64_t>(row.int64(3), 0, 2));
  s.started_at = row.int64(4);
  s.last_event_at = row.int64(5);
  s.ended_at = row.optional_int64(6);
  s.end_source = static_cast<domain::EndSource>(std::clamp<std::int64_t>(row.int64(7), 0, 2));
  s.event_count = row.int64(8);
  s.correlation_id = row.text(9);
  s.trace_id = row.text(10);
  s.sample_rate_ppm = row.int64(11);
  s.dimensions.content_id = row.text(12);
  s.dimensions.content_title = row.text(13);
  s.dimensions.player_name = row.text(14);
  s.dimensions.player_version = row.text(15);
  s.dimensions.browser_family = row.text(16);
  s.dimensions.os_family = row.text(17);
  s.last_error_code = row.text(18);
  s.error_count = row.int64(19);
  if (auto qoe = decode_qoe(row.text(20)); qoe.ok()) {
    s.qoe = std::move(qoe.value());
  } else {
    count_unreadable(metrics);
  }
  return keyed;
}

// Reads every row of `statement` with the newer aggregates of `write_back` over them; call with
// write_back.reading() held.
std::vector<KeyedSession> read_sessions(Statement& statement, const SessionWriteBack& write_back,
                                        ports::Metrics* metrics) {
  std::vector<KeyedSession> sessions;
  while (statement.step()) {
    sessions.push_back(read_session(statement, metrics));
    write_back.overlay(sessions.back().key, sessions.back().session);
  }
  return sessions;
}

// Fills network_signal_absent of every session with one query.
void fill_boundaries(Connection& connection, std::vector<KeyedSession>& sessions) {
  if (sessions.empty()) return;
  std::string keys = "[";
  std::unordered_map<std::int64_t, Session*> by_key;
  for (auto& keyed : sessions) {
    if (keys.size() > 1) keys += ',';
    keys += std::to_string(keyed.key);
    by_key.emplace(keyed.key, &keyed.session);
  }
  keys += ']';
  StatementUse query(connection.statement(
      "SELECT s.session_key, b.network_kind, b.adapter, b.reason"
      " FROM sessions s JOIN session_boundaries b"
      " ON b.project_id = s.project_id AND b.session_id = s.session_id"
      " WHERE s.session_key IN (SELECT value FROM json_each(?1))"
      " ORDER BY s.session_key, b.network_kind, b.adapter, b.reason"));
  query->bind(1, keys);
  while (query->step()) {
    const auto found = by_key.find(query->int64(0));
    if (found == by_key.end()) continue;
    found->second->network_signal_absent.push_back(
        {std::string(query->text(1)), std::string(query->text(2)), std::string(query->text(3))});
  }
}

std::vector<Session> unkeyed(std::vector<KeyedSession> keyed) {
  std::vector<Session> sessions;
  sessions.reserve(keyed.size());
  for (auto& entry : keyed) sessions.push_back(std::move(entry.session));
  return sessions;
}

std::optional<std::int64_t> find_session_key(Connection& connection, std::string_view project_id,
                                             std::string_view session_id) {
  StatementUse query(connection.statement(
      "SELECT session_key FROM sessions WHERE project_id = ?1 AND session_id = ?2"));
  query->bind(1, project_id).bind(2, session_id);
  if (!query->step()) return std::nullopt;
  return query->int64(0);
}

// What a batch adds to one session: the ingest sequences of its events there. The smallest is
// the id of the session's first chunk of the batch.
struct BatchSpan {
  std::int64_t first = 0;
  std::int64_t last = 0;
};

// Binds ?1..?21 to the columns of `s` in the order of the sessions table (without session_key);
// every session write numbers its parameters so.
void bind_session(Statement& statement, const Session& s, std::int64_t counted_through) {
  statement.bind(1, s.project_id)
      .bind(2, s.session_id)
      .bind(3, static_cast<std::int64_t>(s.state))
      .bind(4, s.started_at)
      .bind(5, s.last_event_at)
      .bind(6, s.ended_at)
      .bind(7, static_cast<std::int64_t>(s.end_source))
      .bind(8, s.event_count)
      .bind(9, s.correlation_id)
      .bind(10, s.trace_id)
      .bind(11, s.sample_rate_ppm)
      .bind(12, s.dimensions.content_id)
      .bind(13, s.dimensions.content_title)
      .bind(14, s.dimensions.player_name)
      .bind(15, s.dimensions.player_version)
      .bind(16, s.dimensions.browser_family)
      .bind(17, s.dimensions.os_family)
      .bind(18, s.last_error_code)
      .bind(19, s.error_count)
      .bind(20, encode_qoe(s.qoe))
      .bind(21, counted_through);
}

SessionWriteBack::Aggregates aggregates_of(const Session& s, std::int64_t counted_through) {
  return {s.event_count, s.last_event_at, s.qoe, counted_through};
}

// True when writing `s` over the row `written` would change only the columns SessionWriteBack
// keeps (the columns fixed at creation never change).
bool only_aggregates_differ(const Session& written, const Session& s) {
  return written.state == s.state && written.ended_at == s.ended_at &&
         written.end_source == s.end_source && written.trace_id == s.trace_id &&
         written.sample_rate_ppm == s.sample_rate_ppm && written.dimensions == s.dimensions &&
         written.last_error_code == s.last_error_code && written.error_count == s.error_count;
}

// The full upsert: for a session the writer does not know yet (new, or written before a restart).
// Without RETURNING: SQLite runs a RETURNING statement as a trigger, inside a statement
// transaction that journals every page it changes, which doubled the cost of a new session's row
// and its nine index entries (~150 against ~70 us in a stand-alone test of this table). An insert
// sets the connection's last rowid, an update leaves the 0 put there before.
std::int64_t insert_or_update_session(Connection& connection, const Session& s,
                                      std::int64_t counted_through) {
  // Columns fixed at creation (ids, started_at, correlation_id) are not in the SET list, so the
  // update leaves their indexes alone.
  StatementUse upsert(connection.statement(
      "INSERT INTO sessions (project_id, session_id, state, started_at, last_event_at, ended_at,"
      " end_source, event_count, correlation_id, trace_id, sample_rate_ppm, content_id,"
      " content_title, player_name, player_version, browser_family, os_family,"
      " last_error_code, error_count, qoe, counted_through)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
      " ?19, ?20, ?21)"
      " ON CONFLICT (project_id, session_id) DO UPDATE SET state = excluded.state,"
      " last_event_at = excluded.last_event_at, ended_at = excluded.ended_at,"
      " end_source = excluded.end_source, event_count = excluded.event_count,"
      " trace_id = excluded.trace_id, sample_rate_ppm = excluded.sample_rate_ppm,"
      " content_id = excluded.content_id, content_title = excluded.content_title,"
      " player_name = excluded.player_name, player_version = excluded.player_version,"
      " browser_family = excluded.browser_family, os_family = excluded.os_family,"
      " last_error_code = excluded.last_error_code, error_count = excluded.error_count,"
      " qoe = excluded.qoe, counted_through = max(counted_through, excluded.counted_through)"));
  bind_session(*upsert, s, counted_through);
  connection.set_last_insert_rowid(0);
  upsert->run();
  if (const std::int64_t inserted = connection.last_insert_rowid(); inserted != 0) return inserted;
  const auto updated = find_session_key(connection, s.project_id, s.session_id);
  if (!updated) throw StoreError({ErrorCode::internal, "session upsert left no row"});
  return *updated;
}

// Writes `s`, or leaves its row behind when `batch` changed only its aggregates; returns its
// session_key. `batch` is empty for writes that carry no events (the sweeper's), which are
// always written whole.
std::int64_t upsert_session(Connection& connection, SessionKeyCache& keys,
                            SessionWriteBack& write_back, SessionFilter& stored, const Session& s,
                            const std::optional<BatchSpan>& batch) {
  SessionKeyCache::Entry* known = keys.find(s);
  const std::int64_t counted_through =
      batch ? batch->last : known ? known->counted_through : std::int64_t{0};
  if (known && batch && only_aggregates_differ(known->row, s)) {
    write_back.stage_deferred(known->key, aggregates_of(s, counted_through), batch->first);
    known->counted_through = counted_through;
    return known->key;
  }
  if (known) {
    // The columns of the full upsert's SET list, by key; the state only when it changed.
    const bool state_changed = known->row.state != s.state;
    static const std::string kColumns =
        "last_event_at = ?5, ended_at = ?6, end_source = ?7, event_count = ?8, trace_id = ?10,"
        " sample_rate_ppm = ?11, content_id = ?12, content_title = ?13, player_name = ?14,"
        " player_version = ?15, browser_family = ?16, os_family = ?17, last_error_code = ?18,"
        " error_count = ?19, qoe = ?20, counted_through = ?21 WHERE session_key = ?22";
    static const std::string kUpdate = "UPDATE sessions SET " + kColumns;
    static const std::string kUpdateWithState = "UPDATE sessions SET state = ?3, " + kColumns;
    StatementUse update(connection.statement(state_changed ? kUpdateWithState : kUpdate));
    bind_session(*update, s, counted_through);
    update->bind(22, known->key);
    update->run();
    const std::int64_t key = known->key;
    if (connection.changes() == 1) {
      keys.remember(s, key, counted_through);
      write_back.stage_written(key, aggregates_of(s, counted_through));
      return key;
    }
    keys.forget(s);  // erased meanwhile: write it afresh
  }
  const std::int64_t key = insert_or_update_session(connection, s, counted_through);
  stored.add(s.project_id, s.session_id);
  keys.remember(s, key, counted_through);
  write_back.stage_written(key, aggregates_of(s, counted_through));
  return key;
}

// Writes rows left behind back, inside the writer's transaction.
void write_back_rows(Connection& connection, SessionWriteBack& write_back,
                     const std::vector<SessionWriteBack::Row>& rows) {
  StatementUse update(connection.statement(
      "UPDATE sessions SET event_count = ?1, last_event_at = ?2, qoe = ?3, counted_through = ?4"
      " WHERE session_key = ?5"));
  for (const auto& [key, values] : rows) {
    update->bind(1, values.event_count)
        .bind(2, values.last_event_at)
        .bind(3, encode_qoe(values.qoe))
        .bind(4, values.counted_through)
        .bind(5, key)
        .run();
    update->reset();
    write_back.stage_written(key, values);
  }
}

// --- events -----------------------------------------------------------------------------------

constexpr std::string_view kChunkColumns =
    "c.chunk_id, c.server_received_at, c.correlation_id, c.trace_id, c.span_id, c.events,"
    " s.project_id, s.session_id";

// Decodes the chunk in the current row of `row` (kChunkColumns). Meta of the first layout stays
// unparsed in `meta_json` until the event is known to be part of the answer; compact meta is
// decoded at once (no JSON to parse).
struct DecodedEvent {
  PlaybackEvent event;
  std::string meta_json;
};

std::vector<DecodedEvent> decode_chunk_row(const Statement& row, ports::Metrics* metrics) {
  const std::int64_t chunk_id = row.int64(0);
  const Micros received_at = row.int64(1);
  auto events = decode_chunk(row.blob(5), chunk_id, received_at);
  std::vector<DecodedEvent> decoded;
  if (!events.ok()) {
    count_unreadable(metrics);
    return decoded;
  }
  const auto stamp = std::make_shared<const domain::IngestStamp>(
      domain::IngestStamp{std::string(row.text(2)), std::string(row.text(3)), std::string(row.text(4))});
  for (EncodedEvent& encoded : events.value()) {
    DecodedEvent out;
    PlaybackEvent& e = out.event;
    move_event_fields(encoded, received_at, e);
    e.project_id = row.text(6);
    e.session_id = row.text(7);
    e.stamp = stamp;
    out.meta_json = encoded.meta_json;
    decoded.push_back(std::move(out));
  }
  return decoded;
}

std::vector<PlaybackEvent> finish_events(std::vector<DecodedEvent> decoded, ports::Metrics* metrics) {
  std::vector<PlaybackEvent> events;
  events.reserve(decoded.size());
  for (auto& entry : decoded) {
    if (!parse_meta(entry.meta_json, entry.event).ok()) count_unreadable(metrics);
    events.push_back(std::move(entry.event));
  }
  return events;
}

// The order of one session's events page as a comparable tuple (absent sequence numbers first).
auto page_order(const PlaybackEvent& e) {
  return std::make_tuple(e.server_received_at, e.sequence_number.has_value(),
                         e.sequence_number.value_or(0), e.ingest_sequence);
}

auto page_order(const ports::EventPosition& p) {
  return std::make_tuple(p.server_received_at, p.sequence_number.has_value(),
                         p.sequence_number.value_or(0), p.ingest_sequence);
}

// The `wanted` best events by `better` among those added, trimmed in amortized linear time.
template <class Better>
class BestEvents {
 public:
  BestEvents(std::size_t wanted, Better better) : wanted_(std::max<std::size_t>(wanted, 1)), better_(better) {}

  void add(DecodedEvent event) {
    found_.push_back(std::move(event));
    if (found_.size() >= 2 * wanted_ || (!threshold_ && found_.size() >= wanted_)) trim();
  }
  // The ingest sequence of the wanted-th best event once that many were seen. It may lag behind
  // later additions, which only make the true value better: tests against it stay safe.
  std::optional<std::int64_t> threshold() const { return threshold_; }
  std::vector<DecodedEvent> take() {
    std::sort(found_.begin(), found_.end(), better_);
    if (found_.size() > wanted_) found_.resize(wanted_);
    return std::move(found_);
  }

 private:
  void trim() {
    std::nth_element(found_.begin(), found_.begin() + static_cast<std::ptrdiff_t>(wanted_ - 1),
                     found_.end(), better_);
    found_.resize(wanted_);
    threshold_ = found_.back().event.ingest_sequence;
  }

  std::size_t wanted_;
  Better better_;
  std::vector<DecodedEvent> found_;
  std::optional<std::int64_t> threshold_;
};

// The chunks a batch becomes: events of one session sharing the batch-level fields, with
// ingest sequences inside [first, first + kChunkSpan).
struct PendingChunk {
  std::int64_t session_key = 0;
  const PlaybackEvent* head = nullptr;  // carries the shared fields
  std::int64_t first = 0;
  std::int64_t last = 0;
  ChunkEncoder encoded;
  std::vector<std::string_view> names;
};

bool same_chunk_fields(const PlaybackEvent& a, const PlaybackEvent& b) {
  return a.server_received_at == b.server_received_at &&
         (a.stamp == b.stamp || (a.stamp && b.stamp && *a.stamp == *b.stamp));
}

// The indexes a transaction's chunks add rows to, written at its end.
struct ChunkIndexes {
  ChunkListIndex& names;
  ChunkListIndex& projects;
  ReceivedTimeIndex& received_times;
};

void insert_chunk(Connection& connection, const ChunkIndexes& indexes, const PendingChunk& chunk) {
  StatementUse insert(connection.statement(
      "INSERT INTO event_chunks (chunk_id, last_ingest_sequence, session_key, server_received_at,"
      " correlation_id, trace_id, span_id, events) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  insert->bind(1, chunk.first)
      .bind(2, chunk.last)
      .bind(3, chunk.session_key)
      .bind(4, chunk.head->server_received_at)
      .bind(5, chunk.head->correlation_id())
      .bind(6, chunk.head->trace_id())
      .bind(7, chunk.head->span_id())
      .bind_blob(8, chunk.encoded.bytes())
      .run();
  for (const std::string_view event_name : chunk.names) indexes.names.add(event_name, chunk.first);
  indexes.projects.add(chunk.head->project_id, chunk.first);
  indexes.received_times.add(chunk.first, chunk.head->server_received_at);
}

void write_batch(Connection& connection, SessionKeyCache& session_keys,
                 SessionWriteBack& write_back, SessionFilter& stored, const ChunkIndexes& indexes,
                 const ports::AppendBatch& batch) {
  // A batch's events are mostly of one session, so a session's name is looked up only when it
  // differs from the previous event's.
  const auto same_session = [](const PlaybackEvent* previous, const PlaybackEvent& event) {
    return previous != nullptr && previous->session_id == event.session_id &&
           previous->project_id == event.project_id;
  };
  std::unordered_map<SessionName, BatchSpan, SessionNameHash> spans;
  BatchSpan* span = nullptr;
  const PlaybackEvent* previous = nullptr;
  for (const PlaybackEvent& event : batch.events) {
    if (!same_session(previous, event)) {
      span = &spans.try_emplace(name_of(event),
                                BatchSpan{event.ingest_sequence, event.ingest_sequence})
                  .first->second;
    }
    previous = &event;
    span->first = std::min(span->first, event.ingest_sequence);
    span->last = std::max(span->last, event.ingest_sequence);
  }
  std::unordered_map<SessionName, std::int64_t, SessionNameHash> keys;
  for (const Session& session : batch.sessions) {
    const auto span = spans.find(name_of(session));
    keys[name_of(session)] =
        upsert_session(connection, session_keys, write_back, stored, session,
                       span == spans.end() ? std::nullopt : std::optional(span->second));
  }
  StatementUse boundary(connection.statement(
      "INSERT INTO session_boundaries (project_id, session_id, kind, network_kind, adapter,"
      " reason, client_timestamp, server_received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
      " ON CONFLICT (project_id, session_id, kind, network_kind, adapter, reason) DO UPDATE SET"
      " client_timestamp = excluded.client_timestamp,"
      " server_received_at = excluded.server_received_at"));
  for (const auto& b : batch.boundaries) {
    boundary->bind(1, b.project_id)
        .bind(2, b.session_id)
        .bind(3, b.kind)
        .bind(4, b.network_kind)
        .bind(5, b.adapter)
        .bind(6, b.reason)
        .bind(7, b.client_timestamp)
        .bind(8, b.server_received_at)
        .run();
    boundary->reset();
  }

  std::vector<PendingChunk> open;  // at most one per session and shared fields; usually one
  std::int64_t session_key = 0;
  previous = nullptr;
  for (const PlaybackEvent& event : batch.events) {
    if (!same_session(previous, event)) {
      const auto key = keys.find(name_of(event));
      if (key == keys.end()) {
        throw StoreError({ErrorCode::invalid_argument,
                          "batch has an event of a session it does not carry"});
      }
      session_key = key->second;
    }
    previous = &event;
    auto chunk = std::find_if(open.begin(), open.end(), [&](const PendingChunk& c) {
      return c.session_key == session_key && same_chunk_fields(*c.head, event);
    });
    if (chunk != open.end() && (event.ingest_sequence < chunk->first ||
                                event.ingest_sequence - chunk->first >= kChunkSpan)) {
      insert_chunk(connection, indexes, *chunk);
      open.erase(chunk);
      chunk = open.end();
    }
    if (chunk == open.end()) {
      chunk = open.insert(open.end(), PendingChunk{session_key, &event, event.ingest_sequence,
                                                   event.ingest_sequence,
                                                   ChunkEncoder(event.ingest_sequence), {}});
    }
    chunk->last = std::max(chunk->last, event.ingest_sequence);
    chunk->encoded.add(event);
    if (std::find(chunk->names.begin(), chunk->names.end(), event.event_name) ==
        chunk->names.end()) {
      chunk->names.push_back(event.event_name);
    }
  }
  for (const PendingChunk& chunk : open) insert_chunk(connection, indexes, chunk);
}

// The highest ingest sequence that a stored chunk holds, 0 when none does.
std::int64_t highest_stored_ingest_sequence(Connection& connection) {
  // The highest event sits in a chunk whose id is within kChunkSpan of the highest id.
  StatementUse statement(connection.statement(
      "SELECT coalesce(max(last_ingest_sequence), 0) FROM event_chunks"
      " WHERE chunk_id > (SELECT coalesce(max(chunk_id), 0) FROM event_chunks) - ?1"));
  statement->bind(1, kChunkSpan);
  statement->step();
  return statement->int64(0);
}

// Ingest sequences never repeat: chunk ids, the indexes' rows (which outlive erased chunks) and
// the live stream's event ids rest on it. Before chunks are deleted, the highest sequence stored
// is kept in store_state, so that a restart goes on after it even when the newest chunks are gone.
void keep_ingest_high_water(Connection& connection) {
  StatementUse save(connection.statement(
      "INSERT INTO store_state (name, value) VALUES ('ingest_high_water', ?1)"
      " ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)"));
  save->bind(1, highest_stored_ingest_sequence(connection)).run();
}

// Erases a session's rows: its event chunks, boundaries, analyses and the session itself. The
// chunks are not read, so that a damaged one cannot keep a session from being erased.
void erase_session_rows(Connection& connection, std::int64_t key, std::string_view project_id,
                        std::string_view session_id) {
  keep_ingest_high_water(connection);
  StatementUse drop_chunks(connection.statement("DELETE FROM event_chunks WHERE session_key = ?1"));
  drop_chunks->bind(1, key).run();
  for (const char* sql : {"DELETE FROM session_boundaries WHERE project_id = ?1 AND session_id = ?2",
                          "DELETE FROM analyses WHERE project_id = ?1 AND session_id = ?2",
                          "DELETE FROM sessions WHERE project_id = ?1 AND session_id = ?2"}) {
    StatementUse drop(connection.statement(sql));
    drop->bind(1, project_id).bind(2, session_id).run();
  }
}

// After a crash, the rows left behind (session_write_back.h) miss the events of their newest
// chunks, all of which have ids at or above the stored recount_from: counts those again. The row's
// QoE stays as last written; the session registry replays the events for it.
void recount_rows(Connection& db, ports::Metrics* metrics) {
  std::optional<std::int64_t> from;
  {
    StatementUse stored(db.statement("SELECT value FROM store_state WHERE name = 'recount_from'"));
    if (stored->step()) from = stored->int64(0);
  }
  if (!from) return;
  struct Recount {
    std::int64_t counted_through = std::numeric_limits<std::int64_t>::max();  // no row: skip
    std::int64_t added = 0;
    Micros last_event_at = std::numeric_limits<Micros>::min();
  };
  db.exec("BEGIN IMMEDIATE");
  try {
    std::unordered_map<std::int64_t, Recount> rows;
    {
      StatementUse chunks(db.statement(
          "SELECT chunk_id, server_received_at, events, session_key, last_ingest_sequence"
          " FROM event_chunks WHERE chunk_id >= ?1 ORDER BY chunk_id"));
      StatementUse counted(db.statement("SELECT counted_through FROM sessions WHERE session_key = ?1"));
      chunks->bind(1, *from);
      while (chunks->step()) {
        const auto [row, added] = rows.try_emplace(chunks->int64(3));
        if (added) {
          counted->bind(1, chunks->int64(3));
          if (counted->step()) row->second.counted_through = counted->int64(0);
          counted->reset();
        }
        const std::int64_t last = chunks->int64(4);
        if (last <= row->second.counted_through) continue;
        if (const auto decoded = decode_chunk(chunks->blob(2), chunks->int64(0), chunks->int64(1)); decoded.ok()) {
          row->second.added += static_cast<std::int64_t>(decoded.value().size());
        } else {
          count_unreadable(metrics);
        }
        row->second.last_event_at = std::max(row->second.last_event_at, chunks->int64(1));
        row->second.counted_through = last;
      }
    }
    StatementUse update(db.statement(
        "UPDATE sessions SET event_count = event_count + ?1,"
        " last_event_at = max(last_event_at, ?2), counted_through = ?3 WHERE session_key = ?4"));
    for (const auto& [key, row] : rows) {
      if (row.added == 0) continue;
      update->bind(1, row.added).bind(2, row.last_event_at).bind(3, row.counted_through).bind(4, key).run();
      update->reset();
    }
    db.exec("DELETE FROM store_state WHERE name = 'recount_from'");
    db.exec("COMMIT");
  } catch (...) {
    db.try_exec("ROLLBACK");
    throw;
  }
}

// Builds dynamic SQL with numbered parameters.
class QueryBuilder {
 public:
  explicit QueryBuilder(std::string sql) : sql_(std::move(sql)) {}
  // Appends `clause` with each '?' replaced by the next parameter number.
  QueryBuilder& add(std::string_view clause, std::vector<std::variant<std::int64_t, std::string>> values) {
    for (const char c : clause) {
      if (c == '?') {
        sql_ += '?';
        sql_ += std::to_string(values_.size() + 1);
        if (values.empty()) throw std::logic_error("QueryBuilder: fewer values than '?'");
        values_.push_back(std::move(values.front()));
        values.erase(values.begin());
      } else {
        sql_ += c;
      }
    }
    return *this;
  }
  QueryBuilder& add(std::string_view clause) { return add(clause, {}); }

  Statement& prepare(Connection& connection) const {
    Statement& statement = connection.statement(sql_);
    for (std::size_t i = 0; i < values_.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      if (const auto* number = std::get_if<std::int64_t>(&values_[i])) {
        statement.bind(index, *number);
      } else {
        statement.bind(index, std::get<std::string>(values_[i]));
      }
    }
    return statement;
  }

 private:
  std::string sql_;
  std::vector<std::variant<std::int64_t, std::string>> values_;
};

// The sessions of one project (every project for nullopt) that `query`'s filters and position
// admit, newest first: at most query.limit + 1, the one past the page telling that more follow.
std::vector<KeyedSession> select_sessions(Connection& db, const SessionWriteBack& write_back,
                                          const ports::SessionListQuery& query,
                                          const std::optional<std::string>& project_id,
                                          ports::Metrics* metrics) {
  QueryBuilder sql("SELECT " + std::string(kSessionColumns) + " FROM sessions s WHERE 1");
  if (project_id) sql.add(" AND s.project_id = ?", {*project_id});
  if (query.after) {
    const auto& after = *query.after;
    sql.add(" AND s.started_at <= ? AND (s.started_at < ? OR s.session_id > ?"
            " OR (s.session_id = ? AND s.project_id > ?))",
            {after.started_at, after.started_at, after.session_id, after.session_id, after.project_id});
  }
  if (query.state) sql.add(" AND s.state = ?", {static_cast<std::int64_t>(*query.state)});
  if (query.content_id) sql.add(" AND s.content_id = ?", {*query.content_id});
  if (query.player_name) sql.add(" AND s.player_name = ?", {*query.player_name});
  if (query.error_code) sql.add(" AND s.last_error_code = ?", {*query.error_code});
  if (query.session_id_prefix) {
    // A range, so that the (project_id, session_id) index finds the matches.
    sql.add(" AND s.session_id >= ?", {*query.session_id_prefix});
    if (auto end = prefix_end(*query.session_id_prefix)) sql.add(" AND s.session_id < ?", {*end});
  }
  if (query.started_from) sql.add(" AND s.started_at >= ?", {*query.started_from});
  if (query.started_until) sql.add(" AND s.started_at < ?", {*query.started_until});
  sql.add(" ORDER BY s.started_at DESC, s.session_id, s.project_id LIMIT ?",
          {static_cast<std::int64_t>(query.limit + 1)});
  StatementUse statement(sql.prepare(db));
  return read_sessions(*statement, write_back, metrics);
}

// The distinct project ids of the sessions table, one index seek each.
std::vector<std::string> stored_project_ids(Connection& db) {
  StatementUse projects(db.statement(
      "WITH RECURSIVE p(id) AS (SELECT min(project_id) FROM sessions"
      " UNION ALL SELECT (SELECT min(project_id) FROM sessions WHERE project_id > p.id) FROM p"
      " WHERE p.id IS NOT NULL)"
      " SELECT id FROM p WHERE id IS NOT NULL"));
  std::vector<std::string> ids;
  while (projects->step()) ids.emplace_back(projects->text(0));
  return ids;
}

std::int64_t saturating_sub(std::int64_t a, std::int64_t b) {
  return a < std::numeric_limits<std::int64_t>::min() + b ? std::numeric_limits<std::int64_t>::min()
                                                          : a - b;
}

}  // namespace

// --- lifecycle ----------------------------------------------------------------------------------

class SqliteEventStore::ReaderLease {
 public:
  explicit ReaderLease(SqliteEventStore& store) : store_(store) {
    std::unique_lock lock(store_.readers_mutex_);
    store_.reader_free_.wait(lock, [&] { return !store_.idle_readers_.empty(); });
    connection_ = std::move(store_.idle_readers_.back());
    store_.idle_readers_.pop_back();
  }
  ~ReaderLease() {
    {
      std::lock_guard lock(store_.readers_mutex_);
      store_.idle_readers_.push_back(std::move(connection_));
    }
    store_.reader_free_.notify_one();
  }
  ReaderLease(const ReaderLease&) = delete;
  ReaderLease& operator=(const ReaderLease&) = delete;
  Connection& connection() { return *connection_; }

 private:
  SqliteEventStore& store_;
  std::unique_ptr<Connection> connection_;
};

domain::Result<std::unique_ptr<SqliteEventStore>> SqliteEventStore::open(const std::string& path,
                                                                          Options options) {
  try {
    const auto cache = [](std::size_t kib) { return "PRAGMA cache_size = -" + std::to_string(kib); };
    auto writer =
        std::make_unique<Connection>(path, Connection::Mode::read_write, wal_write_buffer_vfs());
    const std::string busy_timeout = "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs) + ";";
    writer->exec(("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;" +
                  busy_timeout)
                     .c_str());
    // The WAL file is never cut back when the WAL starts over, which happens inside the commit
    // after the restart: a WAL that a burst grew to 200 MB took that commit, and every batch
    // behind it, 50-160 ms to truncate (on this disk, mounted with discard). The writer cuts it
    // back when it is idle instead (reclaim_wal()).
    writer->exec("PRAGMA journal_size_limit = -1");
    {
      StatementUse mode(writer->statement("PRAGMA journal_mode"));
      if (!mode->step() || mode->text(0) != "wal") {
        return Error{ErrorCode::unavailable, "cannot put " + path + " in WAL mode"};
      }
    }
    writer->exec(cache(options.writer_cache_kib).c_str());
    migrate(*writer);
    recount_rows(*writer, options.metrics);
    std::int64_t stored_sessions = 0;
    {
      StatementUse last(writer->statement("SELECT coalesce(max(session_key), 0) FROM sessions"));
      if (last->step()) stored_sessions = last->int64(0);
    }
    auto checkpointer = std::make_unique<Connection>(path, Connection::Mode::read_write);
    checkpointer->exec(busy_timeout.c_str());
    std::vector<std::unique_ptr<Connection>> readers;
    for (std::size_t i = 0; i < std::max<std::size_t>(options.read_connections, 1); ++i) {
      auto reader = std::make_unique<Connection>(path, Connection::Mode::read_only);
      reader->exec((busy_timeout + " PRAGMA mmap_size = 268435456;").c_str());
      reader->exec(cache(options.reader_cache_kib).c_str());
      readers.push_back(std::move(reader));
    }
    return std::unique_ptr<SqliteEventStore>(
        new SqliteEventStore(std::move(writer), std::move(checkpointer), std::move(readers),
                             static_cast<std::uint64_t>(stored_sessions), options));
  } catch (...) {
    return convert_current_exception();
  }
}

SqliteEventStore::SqliteEventStore(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> checkpointer,
                                   std::vector<std::unique_ptr<Connection>> readers,
                                   std::uint64_t stored_sessions, Options options)
    : options_(options),
      writer_(std::move(writer)),
      session_keys_(std::make_unique<SessionKeyCache>()),
      write_back_(std::make_unique<SessionWriteBack>(options.session_write_back)),
      checkpointer_(std::move(checkpointer)),
      idle_readers_(std::move(readers)),
      // Twice the sessions stored so far: the store can double before the filter says "maybe"
      // more often than ~1 in 40.
      session_filter_(2 * stored_sessions) {
  // Replaces SQLite's automatic checkpoint, which would run inside the writer's COMMIT.
  sqlite3_wal_hook(
      writer_->handle(),
      [](void* store, sqlite3*, const char*, int wal_frames) {
        static_cast<SqliteEventStore*>(store)->on_commit(wal_frames);
        return SQLITE_OK;
      },
      this);
  checkpoint_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-ckpt");  // as `top -H` and perf show the thread
    checkpoint_loop();
  });
  writer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-writer");
    writer_loop();
  });
  scan_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sqlite-scan");
    scan_stored_sessions();
  });
}

SqliteEventStore::~SqliteEventStore() { drain(); }

void SqliteEventStore::drain() {
  scan_stopping_ = true;
  if (scan_thread_.joinable()) scan_thread_.join();
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_ready_.notify_one();
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_wanted_.notify_one();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

void SqliteEventStore::scan_stored_sessions() {
  // Pages of sessions by key, each in a read transaction of its own, so that the scan holds a
  // read connection only briefly and never keeps the WAL from starting over. Sessions the writer
  // inserts meanwhile it adds itself; an error leaves the filter incomplete (every answer "maybe").
  constexpr std::int64_t kPage = 4096;
  std::int64_t after = 0;
  while (!scan_stopping_) {
    const auto page = read<std::int64_t>([&](Connection& db) {
      StatementUse rows(db.statement(
          "SELECT session_key, project_id, session_id FROM sessions WHERE session_key > ?1"
          " ORDER BY session_key LIMIT ?2"));
      rows->bind(1, after).bind(2, kPage);
      std::int64_t count = 0;
      for (; rows->step(); ++count) {
        after = rows->int64(0);
        session_filter_.add(rows->text(1), rows->text(2));
      }
      return count;
    });
    if (!page.ok()) return;
    if (page.value() < kPage) break;
  }
  if (!scan_stopping_) session_filter_.mark_complete();
}

void SqliteEventStore::request_checkpoint() {
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_due_ = true;
  }
  checkpoint_wanted_.notify_one();
}

void SqliteEventStore::on_commit(int wal_frames) {
  wal_frames_ = wal_frames;
  if (wal_frames > kOversizedWalCheckpoints * options_.checkpoint_pages) wal_oversized_ = true;
  // The WAL started over: count again from its start.
  if (wal_frames < frames_at_checkpoint_request_) frames_at_checkpoint_request_ = 0;
  if (wal_frames - frames_at_checkpoint_request_ >= options_.checkpoint_pages) {
    frames_at_checkpoint_request_ = wal_frames;
    request_checkpoint();
  }
}

void SqliteEventStore::checkpoint_loop() {
  std::unique_lock lock(checkpoint_mutex_);
  for (;;) {
    checkpoint_wanted_.wait(lock, [&] { return checkpoint_due_ || checkpoint_stopping_; });
    if (checkpoint_stopping_) return;
    checkpoint_due_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, without waiting for the writer or the readers;
    // a failure (busy) leaves the frames for the next wake-up. The writer appends meanwhile, and
    // the WAL can only start over (instead of growing) if every frame is copied when the writer
    // begins a transaction. So rounds follow until one finds few new frames, and once the WAL is
    // long enough the writer copies the last ones between two transactions (finish_checkpoint()):
    // a pause of ~3 ms (two small syncs) every fourth wake-up, rather than a WAL that grows under
    // load or a checkpointer spinning on tiny rounds with their syncs (~40 % more of its CPU).
    try {
      std::int64_t frames_seen = 0;
      for (int round = 0; round < kCheckpointRounds; ++round) {
        std::lock_guard copying(wal_copy_mutex_);
        StatementUse checkpoint(checkpointer_->statement("PRAGMA wal_checkpoint(PASSIVE)"));
        // One row: busy, frames in the WAL when the round began, frames copied. A round that
        // found few new frames was short, so few more came meanwhile: those are the writer's.
        if (!checkpoint->step()) break;
        const std::int64_t new_frames = checkpoint->int64(1) - frames_seen;
        frames_seen = checkpoint->int64(1);
        // On a slow disk no round may ever be short: after the last one the writer copies the
        // rest all the same (a longer pause) rather than let the WAL grow without end.
        if (new_frames <= kWriterCheckpointFrames || round + 1 == kCheckpointRounds) {
          if (frames_seen < kRestartAfterCheckpoints * options_.checkpoint_pages) break;
          // SQLite syncs the database only when a checkpoint copied every frame; the pages copied
          // so far are synced here, so that the writer's short checkpoint does not wait for them.
          sqlite3_file* database = nullptr;
          if (sqlite3_file_control(checkpointer_->handle(), "main", SQLITE_FCNTL_FILE_POINTER,
                                   &database) == SQLITE_OK &&
              database != nullptr && database->pMethods != nullptr) {
            database->pMethods->xSync(database, SQLITE_SYNC_NORMAL);
          }
          writer_checkpoint_due_.store(true, std::memory_order_relaxed);
          break;
        }
      }
    } catch (const SqliteError&) {
      // busy or I/O: the frames stay for the next wake-up
    }
    lock.lock();
  }
}

void SqliteEventStore::finish_checkpoint() {
  const bool handed_over = writer_checkpoint_due_.exchange(false, std::memory_order_relaxed);
  // Past its bound the WAL grows faster than the checkpointer copies it (a slow disk, or a reader
  // that held an old snapshot): the writer waits for the checkpointer's round and copies the rest
  // itself, which holds ingest to the disk's pace instead of letting the WAL grow without end.
  const bool outgrown = wal_frames_ > kOversizedWalCheckpoints * options_.checkpoint_pages;
  if (!handed_over && !outgrown) return;
  std::lock_guard copying(wal_copy_mutex_);
  writer_->try_exec("PRAGMA wal_checkpoint(PASSIVE)");
}

void SqliteEventStore::reclaim_wal() {
  // TRUNCATE copies every frame and empties the file, once no reader holds an older snapshot and
  // the checkpointer is between rounds. Without a busy timeout it does not wait for either (a
  // long read would otherwise hold up every write behind it): busy, it is tried at the next idle
  // interval.
  sqlite3* db = writer_->handle();
  sqlite3_busy_timeout(db, 0);
  const int rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  if (rc == SQLITE_OK) wal_oversized_ = false;
}

// --- writer -------------------------------------------------------------------------------------

void SqliteEventStore::enqueue(Job job) {
  std::unique_lock lock(queue_mutex_);
  if (stopping_) {
    lock.unlock();
    job.done(Error{ErrorCode::unavailable, "store is shutting down"});
    return;
  }
  if (queue_.size() >= options_.queue_capacity) {
    lock.unlock();
    job.done(Error{ErrorCode::unavailable, "store write queue is full"});
    return;
  }
  queue_.push_back(std::move(job));
  // A busy writer finds the queue when its transaction ends; one waiting out its commit interval
  // is woken only when enough writes are waiting.
  const bool wake = writer_idle_ || queue_.size() == kGatherWrites;
  lock.unlock();
  if (wake) queue_ready_.notify_one();
}

domain::Status SqliteEventStore::run_on_writer(std::function<void(Connection&)> apply) {
  std::promise<domain::Status> committed;
  auto result = committed.get_future();
  enqueue({std::move(apply),
           [&committed](const domain::Status& status) { committed.set_value(status); }});
  return result.get();
}

void SqliteEventStore::writer_loop() {
  std::vector<Job> jobs;
  auto last_begin = std::chrono::steady_clock::time_point::min();
  for (;;) {
    {
      std::unique_lock lock(queue_mutex_);
      const auto woken = [&] { return stopping_ || !queue_.empty(); };
      writer_idle_ = true;
      if (write_back_->any_behind() || wal_oversized_) {
        // Idle for a whole write-back interval: the WAL file is cut back (first, while the
        // checkpointer has nothing to copy), and every row catches up.
        if (!queue_ready_.wait_for(lock, options_.session_write_back, woken)) {
          writer_idle_ = false;
          lock.unlock();
          if (wal_oversized_) reclaim_wal();
          if (write_back_->any_behind()) commit_group(jobs);
          continue;
        }
      } else {
        queue_ready_.wait(lock, woken);
      }
      writer_idle_ = false;
      if (queue_.empty()) break;
      const auto next_begin = last_begin + options_.commit_interval;
      if (queue_.size() < kGatherWrites && std::chrono::steady_clock::now() < next_begin) {
        queue_ready_.wait_until(lock, next_begin, [&] { return stopping_ || queue_.size() >= kGatherWrites; });
      }
      last_begin = std::chrono::steady_clock::now();
      jobs.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    commit_group(jobs);
    jobs.clear();
    finish_checkpoint();
  }
  // Draining: every row catches up, so that the next start has nothing to recount.
  commit_group(jobs);
}

void SqliteEventStore::commit_group(std::vector<Job>& jobs) {
  Connection& db = *writer_;
  // One transaction for the whole group, which also writes back a slice of the session rows left
  // behind (all of them when `jobs` is empty: the store is draining). A job that fails rolls it
  // back, and the jobs are then retried one transaction each, so only the failing job fails
  // (savepoints per job would cost every batch two more statements for a case that almost never
  // happens).
  const auto run = [&](std::size_t first, std::size_t last, bool write_back) {
    try {
      db.exec("BEGIN IMMEDIATE");
      try {
        if (write_back) {
          write_back_rows(db, *write_back_,
                          jobs.empty() ? write_back_->all_behind()
                                       : write_back_->next_slice(std::chrono::steady_clock::now()));
        }
        for (std::size_t i = first; i < last; ++i) jobs[i].apply(db);
        name_chunks_.flush(db);
        project_chunks_.flush(db);
        received_times_.flush(db);
        const auto recount_from = store_recount_from(db);
        db.exec("COMMIT");
        stored_recount_from_ = recount_from;
      } catch (...) {
        db.try_exec("ROLLBACK");
        throw;
      }
      write_back_->publish();
      write_back_->forget_written();
      return domain::Status(domain::Ok{});
    } catch (...) {
      session_keys_->clear();  // it may name rows of the rolled-back transaction
      write_back_->discard();
      name_chunks_.discard();
      project_chunks_.discard();
      received_times_.discard();
      return domain::Status(convert_current_exception());
    }
  };
  const domain::Status together = run(0, jobs.size(), true);
  if (together.ok() || jobs.size() <= 1) {
    for (auto& job : jobs) job.done(together);
    return;
  }
  if (options_.metrics != nullptr) options_.metrics->store_group_retried();
  for (std::size_t i = 0; i < jobs.size(); ++i) jobs[i].done(run(i, i + 1, false));
}

std::optional<std::int64_t> SqliteEventStore::store_recount_from(Connection& db) {
  const auto from = write_back_->recount_from();
  if (from == stored_recount_from_) return from;
  if (from) {
    StatementUse save(db.statement(
        "INSERT INTO store_state (name, value) VALUES ('recount_from', ?1)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value"));
    save->bind(1, *from).run();
  } else {
    db.exec("DELETE FROM store_state WHERE name = 'recount_from'");
  }
  return from;
}

void SqliteEventStore::append_shared(std::shared_ptr<const ports::AppendBatch> batch, ports::AppendDone done) {
  enqueue({[this, batch = std::move(batch)](Connection& db) {
             write_batch(db, *session_keys_, *write_back_, session_filter_,
                         {name_chunks_, project_chunks_, received_times_}, *batch);
           },
           std::move(done)});
}

void SqliteEventStore::save_sessions(std::vector<Session> sessions, ports::AppendDone done) {
  enqueue({[this, sessions = std::move(sessions)](Connection& db) {
             for (const Session& session : sessions) {
               upsert_session(db, *session_keys_, *write_back_, session_filter_, session, std::nullopt);
             }
           },
           std::move(done)});
}

void SqliteEventStore::erase_session(const std::string& project_id, const std::string& session_id,
                                     ports::EraseDone done) {
  auto existed = std::make_shared<bool>(false);
  enqueue({[this, project_id, session_id, existed](Connection& db) {
             const auto key = find_session_key(db, project_id, session_id);
             *existed = key.has_value();
             session_keys_->clear();  // erasing is rare: forgetting every key is simpler than finding one
             if (!key) return;
             erase_session_rows(db, *key, project_id, session_id);
             write_back_->stage_erased(*key);
           },
           [existed, done = std::move(done)](const domain::Status& status) {
             if (status.ok()) return done(*existed);
             done(status.error());
           }});
}

domain::Result<ports::PruneResult> SqliteEventStore::prune_before(Micros cutoff) {
  ports::PruneResult pruned;
  for (;;) {
    std::size_t erased = 0;
    std::int64_t events = 0;
    const auto status = run_on_writer([&](Connection& db) {
      struct Victim {
        std::int64_t key;
        std::string project_id, session_id;
        std::int64_t events;
      };
      // Prune decides by last_event_at and counts by event_count: every row must be current first.
      write_back_rows(db, *write_back_, write_back_->all_behind());
      std::vector<Victim> victims;
      {
        StatementUse old(db.statement(
            "SELECT session_key, project_id, session_id, event_count FROM sessions INDEXED BY sessions_by_start"
            " WHERE started_at < ?1 AND last_event_at < ?1 LIMIT ?2"));
        old->bind(1, cutoff).bind(2, static_cast<std::int64_t>(kPruneSlice));
        while (old->step()) {
          victims.push_back({old->int64(0), std::string(old->text(1)), std::string(old->text(2)), old->int64(3)});
        }
      }
      events = 0;
      if (!victims.empty()) session_keys_->clear();
      for (const Victim& victim : victims) {
        erase_session_rows(db, victim.key, victim.project_id, victim.session_id);
        events += victim.events;
        write_back_->stage_erased(victim.key);
      }
      if (!victims.empty()) {
        StatementUse oldest(db.statement("SELECT min(chunk_id) FROM event_chunks"));
        oldest->step();
        const auto oldest_left = oldest->optional_int64(0).value_or(std::numeric_limits<std::int64_t>::max());
        name_chunks_.drop_rows_before(db, oldest_left);
        project_chunks_.drop_rows_before(db, oldest_left);
        drop_spans_before(db, oldest_left);
      }
      erased = victims.size();
    });
    if (!status.ok()) return status.error();
    pruned.events += events;
    pruned.sessions += static_cast<std::int64_t>(erased);
    if (erased < kPruneSlice) return pruned;
  }
}

domain::Status SqliteEventStore::save_analysis(const ports::StoredAnalysis& analysis) {
  return run_on_writer([&](Connection& db) {
    StatementUse insert(db.statement(
        "INSERT INTO analyses (project_id, session_id, created_at, result_json)"
        " VALUES (?1, ?2, ?3, ?4)"));
    insert->bind(1, analysis.project_id)
        .bind(2, analysis.session_id)
        .bind(3, analysis.created_at)
        .bind(4, analysis.result_json)
        .run();
  });
}

// --- reads --------------------------------------------------------------------------------------

template <class T, class Read>
domain::Result<T> SqliteEventStore::read(Read&& body) {
  try {
    const auto reading = write_back_->reading();
    ReaderLease lease(*this);
    ReadTransaction snapshot(lease.connection());
    return body(lease.connection());
  } catch (...) {
    return convert_current_exception();
  }
}

domain::Result<ports::SessionPage> SqliteEventStore::list_sessions(
    const ports::SessionListQuery& query) {
  return read<ports::SessionPage>([&](Connection& db) {
    // The filters' indexes lead with the project (schema.cpp, migration 4). Across every project
    // (an admin token), a filtered list asks each project and merges the answers, instead of
    // walking all sessions newest first until a page matches.
    const bool filtered = query.state || query.content_id || query.player_name ||
                          query.error_code || query.session_id_prefix;
    std::vector<KeyedSession> sessions;
    if (query.project_id || !filtered) {
      sessions = select_sessions(db, *write_back_, query, query.project_id, options_.metrics);
    } else {
      for (const std::string& project_id : stored_project_ids(db)) {
        auto found = select_sessions(db, *write_back_, query, project_id, options_.metrics);
        std::move(found.begin(), found.end(), std::back_inserter(sessions));
      }
      std::sort(sessions.begin(), sessions.end(), [](const KeyedSession& a, const KeyedSession& b) {
        return std::tie(b.session.started_at, a.session.session_id, a.session.project_id) <
               std::tie(a.session.started_at, b.session.session_id, b.session.project_id);
      });
      if (sessions.size() > query.limit + 1) sessions.resize(query.limit + 1);
    }
    ports::SessionPage page;
    if (sessions.size() > query.limit) {
      sessions.resize(query.limit);
      const Session& last = sessions.back().session;
      page.next = ports::SessionPosition{last.started_at, last.session_id, last.project_id};
    }
    fill_boundaries(db, sessions);
    page.sessions = unkeyed(std::move(sessions));
    return page;
  });
}

domain::Result<std::optional<Session>> SqliteEventStore::find_session(
    const std::string& project_id, const std::string& session_id) {
  if (!session_filter_.may_hold(project_id, session_id)) return std::optional<Session>();
  return read<std::optional<Session>>([&](Connection& db) -> std::optional<Session> {
    StatementUse statement(db.statement("SELECT " + std::string(kSessionColumns) +
                                        " FROM sessions s WHERE s.project_id = ?1"
                                        " AND s.session_id = ?2"));
    statement->bind(1, project_id).bind(2, session_id);
    auto sessions = read_sessions(*statement, *write_back_, options_.metrics);
    if (sessions.empty()) return std::nullopt;
    fill_boundaries(db, sessions);
    return std::move(sessions.front().session);
  });
}

domain::Result<std::optional<Session>> SqliteEventStore::find_session_by_correlation(
    const std::string& project_id, const std::string& correlation_id) {
  return read<std::optional<Session>>([&](Connection& db) -> std::optional<Session> {
    StatementUse statement(db.statement("SELECT " + std::string(kSessionColumns) +
                                        " FROM sessions s WHERE s.project_id = ?1"
                                        " AND s.correlation_id = ?2 LIMIT 1"));
    statement->bind(1, project_id).bind(2, correlation_id);
    auto sessions = read_sessions(*statement, *write_back_, options_.metrics);
    if (sessions.empty()) return std::nullopt;
    fill_boundaries(db, sessions);
    return std::move(sessions.front().session);
  });
}

domain::Result<ports::EventPage> SqliteEventStore::list_events(const ports::EventListQuery& query) {
  return read<ports::EventPage>([&](Connection& db) {
    ports::EventPage page;
    const auto key = find_session_key(db, query.project_id, query.session_id);
    if (!key) return page;
    StatementUse chunks(db.statement(
        "SELECT " + std::string(kChunkColumns) +
        " FROM event_chunks c JOIN sessions s ON s.session_key = c.session_key"
        " WHERE c.session_key = ?1 AND c.server_received_at >= ?2"
        " ORDER BY c.server_received_at, c.chunk_id"));
    chunks->bind(1, *key).bind(2, query.after ? query.after->server_received_at
                                              : std::numeric_limits<std::int64_t>::min());
    // Chunks come in received-time order; events of equal received time may sit in several
    // chunks, so each group of equal time is sorted whole before it joins the page.
    std::vector<DecodedEvent> taken;
    std::vector<DecodedEvent> group;
    const auto close_group = [&] {
      std::sort(group.begin(), group.end(), [](const DecodedEvent& a, const DecodedEvent& b) {
        return page_order(a.event) < page_order(b.event);
      });
      for (auto& decoded : group) {
        if (query.after && !(page_order(decoded.event) > page_order(*query.after))) continue;
        if (taken.size() > query.limit) break;
        taken.push_back(std::move(decoded));
      }
      group.clear();
    };
    while (chunks->step()) {
      if (!group.empty() && group.front().event.server_received_at != chunks->int64(1)) {
        close_group();
        if (taken.size() > query.limit) break;
      }
      for (auto& decoded : decode_chunk_row(*chunks, options_.metrics)) group.push_back(std::move(decoded));
    }
    close_group();
    if (taken.size() > query.limit) {
      taken.resize(query.limit);
      const PlaybackEvent& last = taken.back().event;
      page.next = ports::EventPosition{last.server_received_at, last.sequence_number,
                                       last.ingest_sequence};
    }
    page.events = finish_events(std::move(taken), options_.metrics);
    return page;
  });
}

domain::Result<ports::EventSearchPage> SqliteEventStore::search_events(
    const ports::EventSearchQuery& query) {
  return read<ports::EventSearchPage>([&](Connection& db) {
    ports::EventSearchPage page;
    std::optional<std::string> name = query.event_name;
    if (query.errors_only) {
      if (name && *name != kErrorEventName) return page;  // both filters: nothing matches
      name = std::string(kErrorEventName);
    }
    const std::int64_t before =
        query.before_ingest_sequence.value_or(std::numeric_limits<std::int64_t>::max());
    const std::size_t wanted = query.limit + 1;  // one more tells whether a next page exists
    BestEvents found(wanted, [](const DecodedEvent& a, const DecodedEvent& b) {
      return a.event.ingest_sequence > b.event.ingest_sequence;
    });
    // Every event of the chunk `chunk_id` and of older chunks is below chunk_id + kChunkSpan.
    const auto settled_above = [&](std::int64_t chunk_id) {
      const auto worst = found.threshold();
      return worst && *worst >= chunk_id + kChunkSpan - 1;
    };
    // Takes the events of the chunk in the current row; false once no older chunk can improve
    // the page.
    const auto take_chunk = [&](const Statement& chunk) {
      if (settled_above(chunk.int64(0))) return false;
      for (auto& decoded : decode_chunk_row(chunk, options_.metrics)) {
        if (decoded.event.ingest_sequence >= before) continue;
        if (name && decoded.event.event_name != *name) continue;
        found.add(std::move(decoded));
      }
      return true;
    };
    // A received-time filter bounds the chunk ids to read (received_time_index.h).
    std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
    std::int64_t below = before;
    if (query.received_from || query.received_until) {
      const auto range = chunk_ids_received(db, query.received_from, query.received_until);
      if (!range) return page;
      lowest = range->lowest;
      if (range->highest < below) below = range->highest + 1;
    }
    const auto chunks_where = [&](std::string_view id_clause, std::vector<std::variant<std::int64_t, std::string>> ids,
                                  bool with_project) {
      QueryBuilder sql("SELECT " + std::string(kChunkColumns) +
                       " FROM event_chunks c CROSS JOIN sessions s ON s.session_key = c.session_key");
      sql.add(id_clause, std::move(ids));
      if (with_project && query.project_id) sql.add(" AND s.project_id = ?", {*query.project_id});
      if (query.received_from) sql.add(" AND c.server_received_at >= ?", {*query.received_from});
      if (query.received_until) sql.add(" AND c.server_received_at < ?", {*query.received_until});
      return sql;
    };
    // The chunks an index lists, one lookup each: the id is bound over ?1 before each. Takes the
    // chunk `id`; nullopt when no such chunk passes the filters (another project's, or erased),
    // else take_chunk's answer.
    const QueryBuilder lookup = chunks_where(" WHERE c.chunk_id = ?", {below}, true);
    const auto take_listed_chunk = [&](std::int64_t id) -> std::optional<bool> {
      StatementUse chunk(lookup.prepare(db));
      chunk->bind(1, id);
      if (!chunk->step()) return std::nullopt;
      return take_chunk(*chunk);
    };
    const auto take_listed = [&](const ChunkListIndex& index, std::string_view key, std::int64_t under) {
      index.for_each_listed(db, key, lowest, under,
                            [&](std::int64_t id) { return take_listed_chunk(id).value_or(true); });
    };
    if (name) {
      // The name's chunks, one lookup each. With a project, after kForeignChunkRun of other
      // projects' in a row, the chunks both the name's and the project's lists hold, found by
      // leapfrogging (each cursor seeks below the other's): slower per chunk, as a project's list
      // is long, but it skips the other projects' chunks without reading them.
      std::size_t foreign_run = 0;
      std::optional<std::int64_t> leapfrog_below;
      name_chunks_.for_each_listed(db, *name, lowest, below, [&](std::int64_t id) {
        if (const auto more = take_listed_chunk(id)) {
          foreign_run = 0;
          return *more;
        }
        if (query.project_id && ++foreign_run == kForeignChunkRun) leapfrog_below = id;
        return !leapfrog_below;
      });
      if (leapfrog_below) {
        ChunkListIndex::Cursor named(name_chunks_, db, *name), of_project(project_chunks_, db, *query.project_id);
        auto n = named.largest_below(*leapfrog_below), p = of_project.largest_below(*leapfrog_below);
        while (n && p && *n >= lowest && *p >= lowest) {
          if (*n > *p) {
            n = named.largest_below(*p + 1);
          } else if (*p > *n) {
            p = of_project.largest_below(*n + 1);
          } else {
            if (take_listed_chunk(*n) == false) break;  // taken, and the page is settled
            n = named.largest_below(*n);
            p = of_project.largest_below(*p);
          }
        }
      }
    } else {
      // Every chunk newest first (CROSS JOIN keeps the scan in chunk-id order instead of sorting
      // a project). A project's chunks are taken so while most are the project's; after a run of
      // kForeignChunkRun of other projects', the older ones through project_chunks: one lookup
      // per chunk costs more than a scan, but no chunk of another project is read.
      QueryBuilder scan = chunks_where(" WHERE c.chunk_id < ? AND c.chunk_id >= ?", {below, lowest}, false);
      scan.add(" ORDER BY c.chunk_id DESC");
      StatementUse chunks(scan.prepare(db));
      std::size_t foreign_run = 0;
      while (chunks->step() && !settled_above(chunks->int64(0))) {
        if (query.project_id && chunks->text(6) != *query.project_id) {  // s.project_id
          if (++foreign_run == kForeignChunkRun) {
            take_listed(project_chunks_, *query.project_id, chunks->int64(0));
            break;
          }
          continue;
        }
        foreign_run = 0;
        take_chunk(*chunks);
      }
    }
    auto newest = found.take();
    if (newest.size() > query.limit) {
      newest.resize(query.limit);
      page.next_before = newest.back().event.ingest_sequence;
    }
    page.events = finish_events(std::move(newest), options_.metrics);
    return page;
  });
}

domain::Result<std::vector<PlaybackEvent>> SqliteEventStore::events_after(
    const std::string& project_id, std::int64_t after, std::size_t limit) {
  return read<std::vector<PlaybackEvent>>([&](Connection& db) {
    StatementUse chunks(db.statement(
        "SELECT " + std::string(kChunkColumns) +
        " FROM event_chunks c CROSS JOIN sessions s ON s.session_key = c.session_key"
        " WHERE c.chunk_id > ?1 AND (?2 = '' OR s.project_id = ?2) ORDER BY c.chunk_id"));
    chunks->bind(1, saturating_sub(after, kChunkSpan)).bind(2, project_id);
    if (limit == 0) return std::vector<PlaybackEvent>{};
    BestEvents found(limit, [](const DecodedEvent& a, const DecodedEvent& b) {
      return a.event.ingest_sequence < b.event.ingest_sequence;
    });
    while (chunks->step()) {
      // Every event of this and later chunks is at or above chunk_id.
      if (const auto worst = found.threshold(); worst && *worst < chunks->int64(0)) break;
      for (auto& decoded : decode_chunk_row(*chunks, options_.metrics)) {
        if (decoded.event.ingest_sequence > after) found.add(std::move(decoded));
      }
    }
    return finish_events(found.take(), options_.metrics);
  });
}

domain::Result<std::vector<Session>> SqliteEventStore::load_open_sessions() {
  return read<std::vector<Session>>([&](Connection& db) {
    StatementUse statement(db.statement("SELECT " + std::string(kSessionColumns) +
                                        " FROM sessions s WHERE s.state <> " +
                                        std::to_string(kEndedState)));
    return unkeyed(read_sessions(*statement, *write_back_, options_.metrics));
  });
}

domain::Result<std::int64_t> SqliteEventStore::max_ingest_sequence() {
  return read<std::int64_t>([&](Connection& db) {
    StatementUse kept(db.statement("SELECT value FROM store_state WHERE name = 'ingest_high_water'"));
    const std::int64_t high_water = kept->step() ? kept->int64(0) : 0;
    return std::max(high_water, highest_stored_ingest_sequence(db));
  });
}

domain::Result<std::vector<PlaybackEvent>> SqliteEventStore::session_events(
    const std::string& project_id, const std::string& session_id) {
  return read<std::vector<PlaybackEvent>>([&](Connection& db) {
    std::vector<DecodedEvent> decoded;
    const auto key = find_session_key(db, project_id, session_id);
    if (!key) return std::vector<PlaybackEvent>{};
    StatementUse chunks(db.statement("SELECT " + std::string(kChunkColumns) +
                                     " FROM event_chunks c JOIN sessions s ON s.session_key = c.session_key"
                                     " WHERE c.session_key = ?1 ORDER BY c.chunk_id"));
    chunks->bind(1, *key);
    while (chunks->step()) {
      for (auto& event : decode_chunk_row(*chunks, options_.metrics)) decoded.push_back(std::move(event));
    }
    std::stable_sort(decoded.begin(), decoded.end(), [](const DecodedEvent& a, const DecodedEvent& b) {
      return a.event.ingest_sequence < b.event.ingest_sequence;
    });
    return finish_events(std::move(decoded), options_.metrics);
  });
}

domain::Result<std::vector<Session>> SqliteEventStore::sessions_started_between(
    const std::optional<std::string>& project_id, Micros from, Micros until,
    std::size_t max_rows) {
  // Aggregates need QoE and dimensions only: network_signal_absent is left empty.
  return read<std::vector<Session>>([&](Connection& db) {
    QueryBuilder sql("SELECT " + std::string(kSessionColumns) + " FROM sessions s WHERE 1");
    if (project_id) sql.add(" AND s.project_id = ?", {*project_id});
    sql.add(" AND s.started_at >= ? AND s.started_at < ? ORDER BY s.started_at DESC LIMIT ?",
            {from, until, static_cast<std::int64_t>(max_rows)});
    StatementUse statement(sql.prepare(db));
    return unkeyed(read_sessions(*statement, *write_back_, options_.metrics));
  });
}

domain::Result<std::vector<ports::StoredAnalysis>> SqliteEventStore::list_analyses(
    const std::string& project_id, const std::string& session_id) {
  return read<std::vector<ports::StoredAnalysis>>([&](Connection& db) {
    StatementUse statement(db.statement(
        "SELECT created_at, result_json FROM analyses WHERE project_id = ?1 AND session_id = ?2"
        " ORDER BY analysis_id"));
    statement->bind(1, project_id).bind(2, session_id);
    std::vector<ports::StoredAnalysis> analyses;
    while (statement->step()) {
      analyses.push_back(
          {project_id, session_id, statement->int64(0), std::string(statement->text(1))});
    }
    return analyses;
  });
}

domain::Status SqliteEventStore::ping() {
  return read<domain::Ok>([&](Connection& db) {
    StatementUse statement(db.statement("SELECT count(*) FROM schema_migrations"));
    statement->step();
    return domain::Ok{};
  });
}

}  // namespace mtrace::adapters::sqlite
