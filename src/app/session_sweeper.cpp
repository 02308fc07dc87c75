#include "app/session_sweeper.h"

#include "app/session_report.h"
#include "app/wire_json.h"
#include "domain/json_writer.h"

namespace mtrace::app {

std::size_t SessionSweeper::sweep() {
  const auto now = deps_.clock.now();
  for (const auto& key : deps_.sessions.take_to_readopt()) {
    // Held no more after a batch or an erase the store did not keep: its row may be open, and
    // only a session held in memory is ever ended.
    const auto erasures = deps_.sessions.erasures();
    auto stored = deps_.store.find_session(key.project_id, key.session_id);
    if (!stored.ok()) {
      deps_.sessions.readopt_later(key);
    } else if (stored.value()) {
      deps_.sessions.adopt(std::move(*stored.value()), erasures);
    }
  }
  for (const auto& key : deps_.sessions.ending_without_history(now)) {
    // Without it the session ends with its stored QoE and no trace. A session erased meanwhile
    // needs none.
    const auto erasures = deps_.sessions.erasures();
    if (auto stored = deps_.store.session_events(key.project_id, key.session_id); stored.ok()) {
      deps_.sessions.load_history(key, stored.value(), erasures);
    }
  }
  // Saved under the registry's lock, like a batch, so that the save reaches the store before an
  // erase that follows it and never brings an erased session back.
  const auto changes = deps_.sessions.sweep(now, [this](const SessionChanges& swept) {
    if (swept.touched.empty()) return;
    std::vector<ports::LiveFrame> frames;
    for (const auto& session : swept.touched) {
      frames.push_back({session.project_id, "session_updated", 0, domain::to_json_text(session_to_json(session))});
    }
    deps_.store.save_sessions(swept.touched, [&sessions = deps_.sessions, &bus = deps_.live_bus,
                                              touched = swept.touched,
                                              frames = std::move(frames)](const domain::Status& status) {
      if (!status.ok()) return sessions.sweep_not_saved(touched);
      bus.publish(frames);
    });
  });
  report_sessions(changes, deps_.metrics, deps_.tracer);
  return changes.created_or_moved.size();
}

domain::Result<ports::PruneResult> SessionSweeper::prune() {
  const auto cutoff = deps_.clock.now() - domain::Micros(retention_days_) * 86'400 * domain::kMicrosPerSecond;
  deps_.sessions.forget_older_than(cutoff);
  return deps_.store.prune_before(cutoff);
}

}  // namespace mtrace::app
