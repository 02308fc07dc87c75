#include "app/ingest_playback_events.h"

#include <memory>

#include "app/playback_batch_decoder.h"
#include "app/segment_spans.h"
#include "app/session_report.h"
#include "app/wire_json.h"
#include "domain/ids.h"
#include "domain/json_writer.h"
#include "domain/user_agent.h"

namespace mtrace::app {
namespace {

IngestReply refusal(IngestReply reply, const IngestRejection& rejection, std::string outcome) {
  reply.status = rejection.http_status;
  reply.json_body = error_body(rejection.code, rejection.message);
  reply.outcome = std::move(outcome);
  return reply;
}

// `moved` indexes the sessions whose state changed (or that were created) in `sessions`.
std::vector<ports::LiveFrame> live_frames(const std::vector<domain::PlaybackEvent>& events,
                                          const std::vector<domain::Session>& sessions,
                                          const std::vector<std::size_t>& moved) {
  std::vector<ports::LiveFrame> frames;
  frames.reserve(events.size() + moved.size());
  for (const auto index : moved) {
    const auto& session = sessions[index];
    frames.push_back({session.project_id, "session_updated", 0,
                      domain::to_json_text(session_to_json(session))});
  }
  for (const auto& event : events) {
    frames.push_back({event.project_id, "event_appended", event.ingest_sequence,
                      domain::to_json_text(event_appended_data(event))});
  }
  return frames;
}

// Sessions of the batch not held in memory, or held without their history, are read from the
// store first (outside the registry's lock): an ended session stays ended, duplicates are checked
// against what is stored, and QoE goes on from the stored events. A read that an erase may have
// made stale is read again.
domain::Status load_missing_session(const SessionKey& key, SessionRegistry& sessions, ports::EventStore& store) {
  for (;;) {
    const auto erasures = sessions.erasures();
    auto held = sessions.held(key);
    if (held == SessionRegistry::Held::no) {
      auto found = store.find_session(key.project_id, key.session_id);
      if (!found.ok()) return found.error();
      if (!found.value()) return domain::Ok{};
      if (!sessions.adopt(std::move(*found.value()), erasures)) continue;
      held = sessions.held(key);
    }
    if (held == SessionRegistry::Held::without_history) {
      auto stored = store.session_events(key.project_id, key.session_id);
      if (!stored.ok()) return stored.error();
      if (!sessions.load_history(key, stored.value(), erasures)) continue;
    }
    return domain::Ok{};
  }
}

domain::Status load_missing_sessions(const std::vector<domain::PlaybackEvent>& events,
                                     SessionRegistry& sessions, ports::EventStore& store) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i];
    bool seen_before = false;
    for (std::size_t j = 0; j < i && !seen_before; ++j) seen_before = events[j].session_id == event.session_id;
    if (seen_before) continue;
    if (auto loaded = load_missing_session({event.project_id, event.session_id}, sessions, store); !loaded.ok()) {
      return loaded;
    }
  }
  return domain::Ok{};
}

}  // namespace

void IngestPlaybackEvents::ingest(const IngestCall& call, std::function<void(IngestReply)> reply) {
  IngestReply base;
  const Project* project = deps_.projects.project_for_ingest_token(call.token);
  if (project == nullptr) {
    return reply(refusal(std::move(base), {401, "unauthorized", "missing or unknown X-MTrace-Token", 0},
                         "unauthorized"));
  }
  base.project_id = project->id;
  if (!ProjectRegistry::origin_allowed(*project, call.origin)) {
    return reply(refusal(std::move(base), {403, "origin_not_allowed", "this Origin may not post to the project", 0},
                         "forbidden"));
  }
  if (call.body_too_large) {
    return reply(refusal(std::move(base),
                         {413, "payload_too_large", "the body exceeds 262144 bytes", 0}, "too_large"));
  }

  auto decoded = decode_playback_batch(call.body, project->id);
  if (auto* rejection = std::get_if<IngestRejection>(&decoded)) {
    if (rejection->http_status == 401) return reply(refusal(std::move(base), *rejection, "unauthorized"));
    if (rejection->invalid_events > 0) deps_.metrics.events_invalid(rejection->invalid_events);
    return reply(refusal(std::move(base), *rejection, "invalid"));
  }
  auto batch = std::get<DecodedBatch>(std::move(decoded));
  const auto event_count = static_cast<std::int64_t>(batch.events.size());
  base.batch_size = batch.events.size();

  // Sizes were checked above, so a batch that could never fit is a 422, not a 429.
  const auto decision = deps_.rate_limiter.allow(
      {"project:" + project->id, call.client_address.empty() ? "" : "ip:" + std::string(call.client_address),
       call.origin.empty() ? "" : "origin:" + std::string(call.origin)},
      event_count);
  if (!decision.allowed) {
    deps_.metrics.events_rate_limited(event_count);
    base.retry_after_seconds = decision.retry_after_seconds;
    return reply(refusal(std::move(base), {429, "rate_limited", "too many events; retry later", 0},
                         "rate_limited"));
  }

  const auto user_agent = domain::reduce_user_agent(call.user_agent);
  BatchContext context{deps_.clock.now(), std::string(call.trace_id), std::string(call.span_id),
                       user_agent.browser_family, user_agent.os_family};
  for (auto& boundary : batch.boundaries) boundary.server_received_at = context.received_at;

  // One batch, shared with the store until it is committed: the events are never copied.
  auto append = std::make_shared<ports::AppendBatch>();
  append->meta_memory = std::move(batch.meta_memory);
  append->events = std::move(batch.events);
  append->boundaries = std::move(batch.boundaries);
  const auto unavailable = [&] {
    deps_.metrics.events_dropped(event_count);
    base.retry_after_seconds = 1;
    return reply(refusal(std::move(base), {503, "store_unavailable", "the event store is unavailable", 0},
                         "unavailable"));
  };
  // A session dropped from memory between the load and the apply (an ended one past its
  // retention, say) is loaded again, a few times at most.
  for (int attempt = 0;; ++attempt) {
    if (attempt == kMaxApplyAttempts) return unavailable();
    const auto drops = deps_.sessions.drops();
    if (!load_missing_sessions(append->events, deps_.sessions, deps_.store).ok()) return unavailable();
    if (apply_and_store(append, context, drops, base, reply)) return;
  }
}

bool IngestPlaybackEvents::apply_and_store(const std::shared_ptr<ports::AppendBatch>& append,
                                           const BatchContext& context, std::uint64_t drops,
                                           IngestReply& base, const std::function<void(IngestReply)>& reply) {
  return deps_.sessions.apply(append->events, context, drops, [&](SessionChanges& changes) {
    base.session_count = changes.touched.size();
    append->sessions = std::move(changes.touched);
    auto observed = std::make_shared<SessionChanges>(std::move(changes));
    deps_.store.append_shared(append, [this, append, observed, base,
                                       reply](const domain::Status& status) mutable {
      if (!status.ok()) {
        // Nothing of the batch was kept, so its sessions go on from what the store holds: the
        // client's retry is then neither counted twice nor taken for a duplicate.
        for (const auto& session : append->sessions) deps_.sessions.forget({session.project_id, session.session_id});
        deps_.metrics.events_dropped(static_cast<std::int64_t>(append->events.size()));
        base.retry_after_seconds = 1;
        return reply(refusal(std::move(base), {503, "store_unavailable", status.error().message, 0},
                             "unavailable"));
      }
      // Frames are built once the batch is durable, and only when someone watches the project.
      if (deps_.live_bus.has_subscribers(base.project_id))
        deps_.live_bus.publish(live_frames(append->events, append->sessions, observed->created_or_moved));
      deps_.metrics.events_accepted(append->events);
      report_sessions(*observed, deps_.metrics, deps_.tracer);
      if (trace_segments_) {
        if (auto spans = segment_spans(append->events, domain::new_span_id); !spans.empty()) {
          deps_.tracer.export_spans(std::move(spans));
        }
      }
      base.status = 202;
      base.outcome = "accepted";
      base.json_body = "{\"accepted\":" + std::to_string(append->events.size()) + "}";
      reply(std::move(base));
    });
  });
}

}  // namespace mtrace::app
