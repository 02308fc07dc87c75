#include "app/session_sweeper.h"

#include <boost/json/serialize.hpp>

#include "app/wire_json.h"

namespace mtrace::app {

std::size_t SessionSweeper::sweep() {
  auto changed = deps_.sessions.sweep(deps_.clock.now());
  if (changed.empty()) return 0;
  std::vector<ports::LiveFrame> frames;
  for (const auto& session : changed) {
    frames.push_back({session.project_id, "session_updated", 0, boost::json::serialize(session_to_json(session))});
    if (session.state == domain::SessionState::ended) {
      deps_.metrics.session_ended(session.qoe);
      if (deps_.on_session_ended) deps_.on_session_ended(session);
    }
  }
  const auto count = changed.size();
  deps_.store.save_sessions(std::move(changed), [&bus = deps_.live_bus, frames = std::move(frames)](
                                                    const domain::Status& status) {
    if (status.ok()) bus.publish(frames);
  });
  return count;
}

domain::Result<ports::PruneResult> SessionSweeper::prune() {
  const auto cutoff = deps_.clock.now() - domain::Micros(retention_days_) * 86'400 * domain::kMicrosPerSecond;
  return deps_.store.prune_before(cutoff);
}

}  // namespace mtrace::app
