// EventStore: where accepted events, sessions and boundaries are kept durably.
// Implementations: adapters/sqlite (embedded default), adapters/postgres (scale-out, later).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "domain/event.h"
#include "domain/result.h"
#include "domain/session.h"

namespace mtrace::ports {

using domain::Micros;

// Everything one accepted ingest request changes, appended atomically.
struct AppendBatch {
  // Keeps the memory the events' meta objects may live in (DecodedBatch::meta_memory); declared
  // first, so that it is released after them.
  std::shared_ptr<const void> meta_memory;
  std::vector<domain::PlaybackEvent> events;        // ingest_sequence already assigned
  std::vector<domain::SessionBoundary> boundaries;
  std::vector<domain::Session> sessions;            // each touched session as it is after the batch
};

// Position after which a page of sessions starts. Sessions are ordered by
// started_at DESC, session_id ASC, project_id ASC (the last tells apart equal ids of two projects
// in a list across projects).
struct SessionPosition {
  Micros started_at = 0;
  std::string session_id;
  std::string project_id;
};

struct SessionListQuery {
  std::optional<std::string> project_id;  // nullopt: every project (admin token)
  std::size_t limit = 100;                // 1..1000, checked by the caller
  std::optional<SessionPosition> after;
  // Filters (all optional, combined with AND).
  std::optional<domain::SessionState> state;
  std::optional<std::string> content_id;
  std::optional<std::string> player_name;
  std::optional<std::string> error_code;       // sessions whose last_error_code equals it
  std::optional<std::string> session_id_prefix;
  std::optional<Micros> started_from;           // started_at >= from
  std::optional<Micros> started_until;          // started_at < until
};

struct SessionPage {
  std::vector<domain::Session> sessions;
  std::optional<SessionPosition> next;  // set when more sessions follow
};

// Position after which a page of one session's events starts. Events are ordered by
// server_received_at ASC, sequence_number ASC (absent first), ingest_sequence ASC.
struct EventPosition {
  Micros server_received_at = 0;
  std::optional<std::int64_t> sequence_number;
  std::int64_t ingest_sequence = 0;
};

struct EventListQuery {
  std::string project_id;
  std::string session_id;
  std::size_t limit = 100;
  std::optional<EventPosition> after;
};

struct EventPage {
  std::vector<domain::PlaybackEvent> events;
  std::optional<EventPosition> next;
};

// Events across the sessions of a project, newest first (ingest_sequence DESC), for the
// dashboard's events and errors views.
struct EventSearchQuery {
  std::optional<std::string> project_id;  // nullopt: every project (admin token)
  std::size_t limit = 100;
  std::optional<std::int64_t> before_ingest_sequence;
  std::optional<std::string> event_name;
  bool errors_only = false;               // event_name == "playback_error"
  std::optional<Micros> received_from;
  std::optional<Micros> received_until;
};

struct EventSearchPage {
  std::vector<domain::PlaybackEvent> events;
  std::optional<std::int64_t> next_before;  // pass back as before_ingest_sequence
};

struct PruneResult {
  std::int64_t sessions = 0;
  std::int64_t events = 0;
};

// The result of a stream analysis linked to a session (POST /api/analyze with a session link).
struct StoredAnalysis {
  std::string project_id;
  std::string session_id;
  Micros created_at = 0;
  std::string result_json;  // the analysis object as the API answered it
};

using AppendDone = std::function<void(const domain::Status&)>;
using EraseDone = std::function<void(const domain::Result<bool>&)>;

// Thread safety: every method may be called from any thread at the same time.
// Timestamps are integer microseconds; no method compares time as text.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Queues `batch` for a durable append and returns without waiting for I/O. `done` is called
  // exactly once, on the store's own writer thread: with ok() after the transaction holding the
  // whole batch has committed (it survives kill -9), or with an error after nothing of it was kept.
  // The writer commits many queued batches in one transaction (group commit). When the queue is
  // full because the store is slow or down, `done` is called at once with ErrorCode::unavailable.
  // The store shares `batch` with the caller (it never changes it) until `done` has returned;
  // `done` must not block.
  virtual void append_shared(std::shared_ptr<const AppendBatch> batch, AppendDone done) = 0;
  // The same for a batch the caller does not keep.
  void append(AppendBatch batch, AppendDone done) {
    append_shared(std::make_shared<const AppendBatch>(std::move(batch)), std::move(done));
  }

  // Persists session rows changed outside ingest (the sweeper's state changes). Same contract as
  // append(). Rows are upserted by (project_id, session_id).
  virtual void save_sessions(std::vector<domain::Session> sessions, AppendDone done) = 0;

  // Reads run on the calling thread with a connection of their own, in parallel with the writer.
  // They see committed data only. Errors: ErrorCode::unavailable when the store cannot answer.
  virtual domain::Result<SessionPage> list_sessions(const SessionListQuery& query) = 0;
  virtual domain::Result<std::optional<domain::Session>> find_session(
      const std::string& project_id, const std::string& session_id) = 0;
  virtual domain::Result<EventPage> list_events(const EventListQuery& query) = 0;
  virtual domain::Result<EventSearchPage> search_events(const EventSearchQuery& query) = 0;

  // The project's events with ingest_sequence > after, ascending, at most `limit` (SSE backfill).
  // An empty project_id reads every project's (the admin token's stream).
  virtual domain::Result<std::vector<domain::PlaybackEvent>> events_after(
      const std::string& project_id, std::int64_t after, std::size_t limit) = 0;

  // Queues the erasure of a session, its events, boundaries and analyses (GDPR), behind every
  // append and save queued before it. `done` is called as append()'s is: with whether the session
  // existed once the erasure has committed (the data is then gone from disk and from later reads),
  // or with an error after nothing was erased.
  virtual void erase_session(const std::string& project_id, const std::string& session_id,
                             EraseDone done) = 0;

  // Erases sessions whose last event is older than `cutoff`, with their events and boundaries.
  virtual domain::Result<PruneResult> prune_before(Micros cutoff) = 0;

  // Boot: sessions not ended (to rebuild the in-memory registry) and the highest ingest_sequence
  // ever stored, even if its events were erased or pruned since (0 when none ever was), so that
  // sequences never repeat.
  virtual domain::Result<std::vector<domain::Session>> load_open_sessions() = 0;
  virtual domain::Result<std::int64_t> max_ingest_sequence() = 0;

  // Every stored event of a session, in ingest order: what a restarted server replays to go on
  // with the session's duplicate detection and QoE. Empty for an unknown session.
  virtual domain::Result<std::vector<domain::PlaybackEvent>> session_events(
      const std::string& project_id, const std::string& session_id) = 0;

  // Finds a session by its correlation_id (analysis linking).
  virtual domain::Result<std::optional<domain::Session>> find_session_by_correlation(
      const std::string& project_id, const std::string& correlation_id) = 0;

  // Sessions started in [from, until), at most `max_rows`, with their QoE and dimensions, for
  // aggregates (GET /api/qoe). nullopt project: every project.
  virtual domain::Result<std::vector<domain::Session>> sessions_started_between(
      const std::optional<std::string>& project_id, Micros from, Micros until,
      std::size_t max_rows) = 0;

  // Analyses linked to a session: saved synchronously, listed oldest first. Erasing the session
  // erases them.
  virtual domain::Status save_analysis(const StoredAnalysis& analysis) = 0;
  virtual domain::Result<std::vector<StoredAnalysis>> list_analyses(
      const std::string& project_id, const std::string& session_id) = 0;

  // Cheap liveness probe for /api/health: a read that touches the database file.
  virtual domain::Status ping() = 0;

  // Stops accepting appends, commits everything queued, calls every pending `done`, and joins
  // the writer. Idempotent. Called on SIGTERM after the HTTP server stopped reading.
  virtual void drain() = 0;
};

}  // namespace mtrace::ports
