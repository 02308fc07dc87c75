// SessionRegistry: the sessions held in memory — active and stalled ones, and ended ones for a
// grace period — with what duplicate detection and live state changes need. The store has the
// durable copy; the registry is rebuilt from it at boot.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "app/sequence_set.h"
#include "domain/event.h"
#include "domain/qoe/tracker.h"
#include "domain/session.h"

namespace mtrace::app {

struct SessionKey {
  std::string project_id;
  std::string session_id;
  bool operator==(const SessionKey&) const = default;
};

struct SessionKeyHash {
  std::size_t operator()(const SessionKey& key) const {
    return std::hash<std::string>()(key.project_id) * 31 + std::hash<std::string>()(key.session_id);
  }
};

// A session held in memory. Not thread-safe: the registry's lock guards it.
struct TrackedSession {
  domain::Session session;
  SequenceSet seen_sequence_numbers;
  domain::qoe::QoeTracker qoe;
};

// A session that just ended, with what its trace spans are built from.
struct EndedSession {
  domain::Session session;
  domain::qoe::SessionTimeline timeline;
};

// What one batch (or one sweep) changed, for the store, the live stream, metrics and traces.
struct SessionChanges {
  std::vector<domain::Session> touched;        // every session the batch touched, after it
  std::vector<std::size_t> created_or_moved;   // indexes into `touched`: new or state changed
  std::size_t created = 0;                     // sessions this batch started
  std::vector<double> startups_s;              // startup times that became known
  std::vector<double> stalls_s;                // rebuffers that completed, seconds each
  std::vector<EndedSession> ended;             // sessions this batch or sweep ended
};

// Context of the request that carried a batch.
struct BatchContext {
  domain::Micros received_at = 0;
  std::string trace_id;  // from a valid traceparent, else empty
  std::string span_id;   // the server span of the request
  std::string browser_family;
  std::string os_family;
};

class SessionRegistry {
 public:
  // How long an ended session stays in memory (late events are flagged without a store read).
  static constexpr domain::Micros kEndedRetention = 10 * 60 * domain::kMicrosPerSecond;

  // `compute_qoe` false leaves every session's QoE empty (to measure what QoE costs).
  explicit SessionRegistry(bool compute_qoe = true) : compute_qoe_(compute_qoe) {}

  // Seeds the next ingest_sequence (the store's highest + 1) and the open sessions of the store,
  // with the sequence numbers already stored for each. Call once, before traffic.
  void restore(std::int64_t max_ingest_sequence, std::vector<domain::Session> open_sessions,
               const std::function<std::vector<std::int64_t>(const domain::Session&)>& stored_sequences);

  // Whether a session is held in memory. Thread-safe.
  bool holds(const SessionKey& key) const;
  // Adds a session read from the store (held no longer in memory), unless one is held by now.
  void adopt(domain::Session session, const std::vector<std::int64_t>& stored_sequences);

  // Applies a validated batch: assigns ingest sequences, server fields, duplicate flags and the
  // session's correlation and trace ids to `events`, updates (or creates) their sessions, and then
  // calls `commit(changes)` while still holding the lock, so that batches reach the store in
  // ingest_sequence order. Thread-safe.
  void apply(std::vector<domain::PlaybackEvent>& events, const BatchContext& context,
             const std::function<void(SessionChanges&)>& commit);

  // Moves idle sessions on (active -> stalled after 60 s, stalled -> ended after 5 min) and drops
  // ended sessions past their retention. `touched` holds the sessions whose state changed.
  SessionChanges sweep(domain::Micros now);

  // Forgets a session (erased on request). Thread-safe.
  void forget(const SessionKey& key);

  struct Counts {
    std::int64_t active = 0;
    std::int64_t stalled = 0;
    std::int64_t ended = 0;  // ended and still held in memory
  };
  // Sessions held in memory by state, for one project or (nullopt) every project.
  Counts counts(const std::optional<std::string>& project_id = std::nullopt) const;
  std::optional<domain::Session> find(const SessionKey& key) const;

 private:
  TrackedSession& session_for(const domain::PlaybackEvent& event, const BatchContext& context,
                              bool& created);

  mutable std::mutex mutex_;
  std::unordered_map<SessionKey, std::unique_ptr<TrackedSession>, SessionKeyHash> sessions_;
  std::int64_t next_ingest_sequence_ = 1;
  const bool compute_qoe_;
};

}  // namespace mtrace::app
