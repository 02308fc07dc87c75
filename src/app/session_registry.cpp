#include "app/session_registry.h"

#include <cmath>

#include "domain/ids.h"

namespace mtrace::app {
namespace {

using domain::Micros;
using domain::SessionState;

// The registry whose lock this thread holds while it hands work to the store (the commit of
// apply() and sweep(), begin_erase()'s enqueue): a store that refuses at once calls forget(),
// sweep_not_saved() or end_erase() from there.
thread_local const SessionRegistry* committing = nullptr;

class Committing {
 public:
  explicit Committing(const SessionRegistry* registry) { committing = registry; }
  ~Committing() { committing = nullptr; }
  Committing(const Committing&) = delete;
  Committing& operator=(const Committing&) = delete;
};

// The first non-empty string (or number) value of `key` in `meta` fills an empty dimension.
void fill_dimension(std::string& dimension, const boost::json::object& meta, std::string_view key) {
  if (!dimension.empty()) return;
  const auto* value = meta.if_contains(key);
  if (value == nullptr) return;
  if (const auto* text = value->if_string(); text != nullptr && !text->empty()) {
    dimension.assign(text->data(), std::min<std::size_t>(text->size(), 256));
  }
}

std::string error_code_of(const boost::json::object& meta) {
  const auto* value = meta.if_contains("error_code");
  if (value == nullptr) return "unknown";
  if (const auto* text = value->if_string(); text != nullptr && !text->empty()) {
    return std::string(text->data(), std::min<std::size_t>(text->size(), 64));
  }
  if (value->is_int64()) return std::to_string(value->get_int64());
  if (value->is_uint64()) return std::to_string(value->get_uint64());
  return "unknown";
}

// The first event of a batch that carries `session_sample_rate` sets the session's rate, once:
// it is immutable after. Returns true when the rate was set before and this one is more than
// 100 ppm off it (reference backend.md §3.4: the drift counter). `considered` is whether an
// earlier event of the batch carried it.
bool apply_sample_rate(domain::Session& session, const boost::json::object& meta, bool& considered) {
  if (considered) return false;
  const auto* value = meta.if_contains("session_sample_rate");
  if (value == nullptr) return false;
  considered = true;
  const double rate = value->is_double() ? value->get_double()
                      : value->is_int64() ? double(value->get_int64())
                                          : 0.0;
  if (!(rate > 0 && rate <= 1)) return false;
  const std::int64_t ppm = std::max<std::int64_t>(1, std::llround(rate * 1e6));
  if (ppm == domain::kFullSampleRatePpm) return false;
  if (session.sample_rate_ppm == domain::kFullSampleRatePpm) {
    session.sample_rate_ppm = ppm;
    return false;
  }
  return std::llabs(session.sample_rate_ppm - ppm) > 100;
}

}  // namespace

void SessionRegistry::restore(std::int64_t max_ingest_sequence, std::vector<domain::Session> open_sessions) {
  {
    std::lock_guard lock(mutex_);
    next_ingest_sequence_ = max_ingest_sequence + 1;
  }
  for (auto& session : open_sessions) adopt(std::move(session), erasures());
}

SessionRegistry::Held SessionRegistry::held(const SessionKey& key) const {
  std::lock_guard lock(mutex_);
  const auto found = sessions_.find(key);
  if (found == sessions_.end()) return erasing_.contains(key) ? Held::yes : Held::no;
  return found->second->history_loaded ? Held::yes : Held::without_history;
}

std::uint64_t SessionRegistry::erasures() const {
  std::lock_guard lock(mutex_);
  return erasures_;
}

std::uint64_t SessionRegistry::drops() const { return drops_.load(); }

bool SessionRegistry::adopt(domain::Session session, std::uint64_t erasures_before_read) {
  std::lock_guard lock(mutex_);
  if (erasures_ != erasures_before_read) return false;
  SessionKey key{session.project_id, session.session_id};
  if (sessions_.contains(key)) return true;
  auto tracked = std::make_unique<TrackedSession>();
  // Events after the end are flagged without a duplicate check or QoE: an ended session needs
  // no history.
  tracked->history_loaded = session.state == SessionState::ended;
  tracked->session = std::move(session);
  sessions_.emplace(std::move(key), std::move(tracked));
  return true;
}

bool SessionRegistry::load_history(const SessionKey& key, const std::vector<domain::PlaybackEvent>& stored,
                                   std::uint64_t erasures_before_read) {
  std::lock_guard lock(mutex_);
  if (erasures_ != erasures_before_read) return false;
  const auto found = sessions_.find(key);
  if (found == sessions_.end() || found->second->history_loaded) return true;
  auto& tracked = *found->second;
  tracked.history_loaded = true;
  // The same steps as apply(), with the flags the events got then.
  for (const auto& event : stored) {
    if (event.sequence_number) tracked.seen_sequence_numbers.insert(*event.sequence_number);
    if (compute_qoe_ && !event.after_session_end &&
        event.delivery != domain::DeliveryStatus::duplicate_suspected) {
      tracked.qoe.apply(event);
    }
  }
  // The stored QoE may be older than the stored events (written back after them, or lost in a
  // crash): the replay has all of them.
  if (compute_qoe_ && !stored.empty()) tracked.session.qoe = tracked.qoe.snapshot(tracked.session.last_event_at);
  return true;
}

std::vector<SessionKey> SessionRegistry::ending_without_history(Micros now) const {
  std::lock_guard lock(mutex_);
  std::vector<SessionKey> keys;
  for (const auto& [key, tracked] : sessions_) {
    if (!tracked->history_loaded && tracked->session.state != SessionState::ended &&
        now - tracked->session.last_event_at > domain::kEndedAfter) {
      keys.push_back(key);
    }
  }
  return keys;
}

TrackedSession& SessionRegistry::session_for(const domain::PlaybackEvent& event,
                                             const BatchContext& context, bool& created) {
  SessionKey key{event.project_id, event.session_id};
  auto found = sessions_.find(key);
  if (found != sessions_.end()) return *found->second;
  created = true;
  auto tracked = std::make_unique<TrackedSession>();
  auto& session = tracked->session;
  session.project_id = event.project_id;
  session.session_id = event.session_id;
  session.state = SessionState::active;
  session.started_at = context.received_at;
  session.last_event_at = context.received_at;
  session.correlation_id = domain::new_uuid_v4();
  session.trace_id = context.trace_id.empty() ? domain::new_trace_id() : context.trace_id;
  session.dimensions.browser_family = context.browser_family;
  session.dimensions.os_family = context.os_family;
  return *sessions_.emplace(std::move(key), std::move(tracked)).first->second;
}

bool SessionRegistry::apply(std::vector<domain::PlaybackEvent>& events, const BatchContext& context,
                            std::uint64_t drops_before_load, const std::function<void(SessionChanges&)>& commit) {
  std::lock_guard lock(mutex_);
  if (drops_ != drops_before_load) {
    for (const auto& event : events) {
      if (!sessions_.contains({event.project_id, event.session_id})) return false;
    }
  }
  SessionChanges changes;
  // Sessions touched by this batch, in first-seen order, with their state before it.
  struct Before {
    TrackedSession* tracked;
    std::optional<SessionState> state;  // nullopt: created by this batch
    std::shared_ptr<const domain::IngestStamp> stamp;  // of this batch's events of the session
    bool sample_rate_considered = false;  // an event of this batch carried session_sample_rate
  };
  std::vector<Before> touched;

  std::size_t current = 0;  // in touched; a batch's events are mostly of one session
  for (auto& event : events) {
    if (touched.empty() || touched[current].tracked->session.session_id != event.session_id ||
        touched[current].tracked->session.project_id != event.project_id) {
      bool created = false;
      auto& tracked = session_for(event, context, created);
      const auto seen = std::find_if(touched.begin(), touched.end(),
                                     [&](const Before& entry) { return entry.tracked == &tracked; });
      current = static_cast<std::size_t>(seen - touched.begin());
      if (seen == touched.end()) {
        const auto& session = tracked.session;
        touched.push_back({&tracked, created ? std::nullopt : std::optional(session.state),
                           std::make_shared<const domain::IngestStamp>(domain::IngestStamp{
                               session.correlation_id,
                               context.trace_id.empty() ? session.trace_id : context.trace_id,
                               context.span_id})});
      }
    }
    auto& tracked = *touched[current].tracked;
    auto& session = tracked.session;

    event.server_received_at = context.received_at;
    event.ingest_sequence = next_ingest_sequence_++;
    event.stamp = touched[current].stamp;
    event.time_skew_warning = std::llabs(context.received_at - event.client_timestamp) >
                              60 * domain::kMicrosPerSecond;
    if (event.sequence_number && !tracked.seen_sequence_numbers.insert(*event.sequence_number)) {
      event.delivery = domain::DeliveryStatus::duplicate_suspected;
    }

    session.event_count += 1;
    session.last_event_at = context.received_at;
    if (session.state == SessionState::ended) {
      event.after_session_end = true;
      continue;
    }
    if (session.state == SessionState::stalled) session.state = SessionState::active;

    // A suspected duplicate tells nothing new about the playback, but still ends its session:
    // the reference ends a session by the event's name alone.
    if (event.delivery != domain::DeliveryStatus::duplicate_suspected) {
      auto& dimensions = session.dimensions;
      fill_dimension(dimensions.content_id, event.meta, "content_id");
      fill_dimension(dimensions.content_title, event.meta, "content_title");
      fill_dimension(dimensions.player_name, event.meta, "player_name");
      fill_dimension(dimensions.player_version, event.meta, "player_version");
      if (apply_sample_rate(session, event.meta, touched[current].sample_rate_considered)) {
        changes.sample_rate_drifts.push_back(session.project_id);
      }
      if (event.event_name == "playback_error") {
        session.error_count += 1;
        session.last_error_code = error_code_of(event.meta);
      }
      if (compute_qoe_) {
        const auto observed = tracked.qoe.apply(event);
        if (observed.startup_seconds) changes.startups_s.push_back(*observed.startup_seconds);
        if (observed.stall_seconds) changes.stalls_s.push_back(*observed.stall_seconds);
      }
    }
    if (event.event_name == "session_ended") {
      session.state = SessionState::ended;
      session.ended_at = context.received_at;
      session.end_source = domain::EndSource::client;
    }
  }

  for (auto& before : touched) {
    before.tracked->unsaved = false;  // this batch saves the session's row
    auto& session = before.tracked->session;
    if (compute_qoe_) session.qoe = before.tracked->qoe.snapshot(context.received_at);
    if (!before.state || *before.state != session.state) {
      changes.created_or_moved.push_back(changes.touched.size());
    }
    if (!before.state) ++changes.created;
    if (session.state == SessionState::ended && before.state != SessionState::ended) {
      changes.ended.push_back({session, before.tracked->qoe.timeline()});
    }
    changes.touched.push_back(session);
  }
  const Committing guard(this);
  commit(changes);
  return true;
}

SessionChanges SessionRegistry::sweep(Micros now, const std::function<void(const SessionChanges&)>& commit) {
  std::lock_guard lock(mutex_);
  SessionChanges changes;
  std::vector<TrackedSession*> unsaved;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto& tracked = *it->second;
    auto& session = tracked.session;
    if (session.state == SessionState::ended) {
      const Micros ended_for = now - session.ended_at.value_or(session.last_event_at);
      if (tracked.unsaved) unsaved.push_back(&tracked);
      if (ended_for > kEndedRetention && !tracked.unsaved) {
        it = sessions_.erase(it);
        ++drops_;
      } else {
        ++it;
      }
      continue;
    }
    const auto before = session.state;
    const Micros idle = now - session.last_event_at;
    if (session.state == SessionState::active && idle > domain::kStalledAfter) {
      session.state = SessionState::stalled;
    }
    if (session.state == SessionState::stalled && idle > domain::kEndedAfter) {
      session.state = SessionState::ended;
      session.ended_at = now;
      session.end_source = domain::EndSource::sweeper;
      if (tracked.history_loaded) {
        if (auto observed = tracked.qoe.close(); observed.stall_seconds) {
          changes.stalls_s.push_back(*observed.stall_seconds);
        }
      }
    }
    if (session.state != before) {
      tracked.unsaved = false;
      if (tracked.history_loaded) session.qoe = tracked.qoe.snapshot(now);
      changes.created_or_moved.push_back(changes.touched.size());
      changes.touched.push_back(session);
      if (session.state == SessionState::ended) {
        changes.ended.push_back({session, tracked.qoe.timeline(), tracked.history_loaded});
      }
    } else if (tracked.unsaved) {
      unsaved.push_back(&tracked);
    }
    ++it;
  }
  for (auto* tracked : unsaved) {
    changes.touched.push_back(tracked->session);
    tracked->unsaved = false;
  }
  if (commit) {
    const Committing guard(this);
    commit(changes);
  }
  return changes;
}

void SessionRegistry::sweep_not_saved(const std::vector<domain::Session>& sessions) {
  const auto lock = lock_unless_committing();
  for (const auto& session : sessions) {
    if (auto found = sessions_.find({session.project_id, session.session_id}); found != sessions_.end()) {
      found->second->unsaved = true;
    }
  }
}

std::unique_lock<std::mutex> SessionRegistry::lock_unless_committing() const {
  if (committing == this) return std::unique_lock(mutex_, std::defer_lock);
  return std::unique_lock(mutex_);
}

void SessionRegistry::forget(const SessionKey& key) {
  const auto lock = lock_unless_committing();
  drops_ += sessions_.erase(key);
  to_readopt_.insert(key);
}

void SessionRegistry::readopt_later(const SessionKey& key) {
  const auto lock = lock_unless_committing();
  to_readopt_.insert(key);
}

void SessionRegistry::forget_older_than(Micros cutoff) {
  std::lock_guard lock(mutex_);
  drops_ += std::erase_if(sessions_, [cutoff](const auto& entry) {
    const auto& session = entry.second->session;
    return session.started_at < cutoff && session.last_event_at < cutoff;
  });
  ++erasures_;  // a store read begun before may hold a row the prune deletes
}

std::vector<SessionKey> SessionRegistry::take_to_readopt() {
  std::lock_guard lock(mutex_);
  std::vector<SessionKey> keys(to_readopt_.begin(), to_readopt_.end());
  to_readopt_.clear();
  return keys;
}

void SessionRegistry::begin_erase(const SessionKey& key, const std::function<void()>& enqueue) {
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
  ++erasing_[key];
  ++erasures_;
  const Committing guard(this);
  enqueue();
}

void SessionRegistry::end_erase(const SessionKey& key) {
  const auto lock = lock_unless_committing();
  const auto found = erasing_.find(key);
  if (found != erasing_.end() && --found->second == 0) erasing_.erase(found);
}

SessionRegistry::Counts SessionRegistry::counts(const std::optional<std::string>& project_id) const {
  std::lock_guard lock(mutex_);
  Counts counts;
  for (const auto& [key, tracked] : sessions_) {
    if (project_id && key.project_id != *project_id) continue;
    switch (tracked->session.state) {
      case SessionState::active: ++counts.active; break;
      case SessionState::stalled: ++counts.stalled; break;
      case SessionState::ended: ++counts.ended; break;
    }
  }
  return counts;
}

std::optional<domain::Session> SessionRegistry::find(const SessionKey& key) const {
  std::lock_guard lock(mutex_);
  auto found = sessions_.find(key);
  if (found == sessions_.end()) return std::nullopt;
  return found->second->session;
}

}  // namespace mtrace::app
