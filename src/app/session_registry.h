// SessionRegistry: the sessions held in memory — active and stalled ones, and ended ones for a
// grace period — with what duplicate detection and live state changes need. The store has the
// durable copy; the registry is rebuilt from it at boot.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
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
  // False for an open session read back from the store until its stored events are replayed
  // (load_history): its duplicate detection and QoE then go on from the whole session.
  bool history_loaded = true;
  // A state the sweeper changed that the store did not keep: the next sweep saves it again.
  bool unsaved = false;
};

// A session that just ended, with what its trace spans are built from.
struct EndedSession {
  domain::Session session;
  domain::qoe::SessionTimeline timeline;
  bool traced = true;  // false when its history could not be read: counted, without spans
};

// What one batch (or one sweep) changed, for the store, the live stream, metrics and traces.
struct SessionChanges {
  std::vector<domain::Session> touched;        // every session the batch touched, after it
  std::vector<std::size_t> created_or_moved;   // indexes into `touched`: new or state changed
  std::size_t created = 0;                     // sessions this batch started
  std::vector<double> startups_s;              // startup times that became known
  std::vector<double> stalls_s;                // rebuffers that completed, seconds each
  std::vector<EndedSession> ended;             // sessions this batch or sweep ended
  std::vector<std::string> sample_rate_drifts; // a project per session sent a rate unlike its own
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
  // held without their history until load_history(). Call once, before traffic.
  void restore(std::int64_t max_ingest_sequence, std::vector<domain::Session> open_sessions);

  enum class Held { no, without_history, yes };
  // Whether a session is held in memory, and with its history. A session being erased counts as
  // held: its next batch starts a new session rather than read what the store is erasing.
  // Thread-safe.
  Held held(const SessionKey& key) const;

  // Reads from the store happen outside the registry's lock, so an erase may begin between a read
  // and its use. Take erasures() before the read and pass it on: adopt() and load_history() then
  // refuse (return false) what an erase begun since may have made stale, and the caller reads again.
  std::uint64_t erasures() const;
  // Adds a session read from the store (held no longer in memory), unless one is held by now; an
  // open one is held without its history. False, and nothing adopted, when an erase began after
  // `erasures_before_read`. Thread-safe.
  bool adopt(domain::Session session, std::uint64_t erasures_before_read);
  // Replays the stored events (in ingest order) of a session held without its history: sequence
  // numbers for duplicate detection, and QoE, which then covers the whole session. Does nothing
  // when the history was loaded meanwhile. Call before the session's next batch. False, and nothing
  // replayed, when an erase began after `erasures_before_read`. Thread-safe.
  bool load_history(const SessionKey& key, const std::vector<domain::PlaybackEvent>& stored,
                    std::uint64_t erasures_before_read);
  // Sessions held without their history that sweep(now) would end: load theirs first, so that
  // their final QoE and trace cover the whole session. Thread-safe.
  std::vector<SessionKey> ending_without_history(domain::Micros now) const;

  // Sessions dropped from memory so far (ended ones past their retention, forgotten ones). Take it
  // before finding out what is held and reading the store, and pass it to apply().
  std::uint64_t drops() const;

  // Applies a validated batch: assigns ingest sequences, server fields, duplicate flags and the
  // session's correlation and trace ids to `events`, updates (or creates) their sessions, and then
  // calls `commit(changes)` while still holding the lock, so that batches reach the store in
  // ingest_sequence order. Returns false, and changes nothing, when the batch would create a
  // session while a session was dropped since `drops_before_load`: it may be one the caller found
  // held, whose row the store has (an ended session would start again); load and apply again.
  // Thread-safe.
  bool apply(std::vector<domain::PlaybackEvent>& events, const BatchContext& context,
             std::uint64_t drops_before_load, const std::function<void(SessionChanges&)>& commit);

  // Moves idle sessions on (active -> stalled after 60 s, stalled -> ended after 5 min) and drops
  // ended sessions past their retention. `touched` holds the sessions whose state changed (those
  // are `created_or_moved`), then those whose last change the store did not keep. A session still
  // without its history keeps its stored QoE, and ends without a trace. `commit`, when given, is
  // called with the changes while the lock is held, like apply()'s.
  SessionChanges sweep(domain::Micros now, const std::function<void(const SessionChanges&)>& commit = {});
  // The store did not keep the sweep that touched these sessions: the next sweep saves those
  // still held again (an ended one stays held until then). Thread-safe; may be called from within
  // sweep()'s `commit`.
  void sweep_not_saved(const std::vector<domain::Session>& sessions);

  // Forgets a session touched by a batch the store did not keep, so that its next batch goes on
  // from what the store holds, and marks it to be adopted again (readopt_later). Thread-safe; may
  // be called from within the `commit` or `enqueue` of apply(), sweep() and begin_erase() (a store
  // that refuses at once).
  void forget(const SessionKey& key);
  // Marks a session the store may hold open while nothing in memory would ever end it (a batch or
  // an erase the store did not keep; a read that failed): the sweeper adopts it from the store
  // again. take_to_readopt() returns the marked keys and clears them. Thread-safe, like forget().
  void readopt_later(const SessionKey& key);
  std::vector<SessionKey> take_to_readopt();
  // Forgets the sessions that started and last had an event before `cutoff`, whose rows retention
  // is about to prune, so that no sweep saves them again. Thread-safe.
  void forget_older_than(domain::Micros cutoff);

  // Erasing a session (DELETE): forgets it and calls `enqueue`, which queues the erase in the
  // store, while holding the lock, so that the erase reaches the store after every batch applied
  // before it and before every batch applied after it. Until end_erase(key), held(key) says yes:
  // a batch arriving meanwhile starts a new session. Call end_erase once the store is done, with
  // or without success. Thread-safe; end_erase may be called from within `enqueue`.
  void begin_erase(const SessionKey& key, const std::function<void()>& enqueue);
  void end_erase(const SessionKey& key);

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
  // The lock, or nothing when this thread holds it already: called back by the store from within
  // a commit or an enqueue.
  std::unique_lock<std::mutex> lock_unless_committing() const;

  mutable std::mutex mutex_;
  std::unordered_map<SessionKey, std::unique_ptr<TrackedSession>, SessionKeyHash> sessions_;
  std::unordered_map<SessionKey, int, SessionKeyHash> erasing_;  // erases queued, not yet done
  std::uint64_t erasures_ = 0;                                   // erases begun
  // Sessions dropped from memory; changed under mutex_, read without it (once per batch).
  std::atomic<std::uint64_t> drops_{0};
  std::unordered_set<SessionKey, SessionKeyHash> to_readopt_;
  std::int64_t next_ingest_sequence_ = 1;
  const bool compute_qoe_;
};

}  // namespace mtrace::app
