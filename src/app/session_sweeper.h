// SessionSweeper: the periodic use case that moves idle sessions on (active -> stalled -> ended),
// persists and announces the changes, and prunes data past the retention period.
#pragma once

#include <functional>

#include "app/session_registry.h"
#include "ports/clock.h"
#include "ports/event_store.h"
#include "ports/live_bus.h"
#include "ports/metrics.h"
#include "ports/tracer.h"

namespace mtrace::app {

class SessionSweeper {
 public:
  struct Dependencies {
    SessionRegistry& sessions;
    ports::EventStore& store;
    ports::LiveBus& live_bus;
    ports::Metrics& metrics;
    ports::TraceExporter& tracer;
    const ports::Clock& clock;
  };
  SessionSweeper(Dependencies dependencies, int retention_days)
      : deps_(std::move(dependencies)), retention_days_(retention_days) {}

  // One sweep: state changes saved (asynchronously, through the store's writer) and published; a
  // save the store did not keep is made again by the next sweep. Returns how many sessions changed
  // state. Not reentrant: call from one thread.
  std::size_t sweep();
  // Erases sessions whose last event is older than the retention period. Returns what was pruned.
  domain::Result<ports::PruneResult> prune();

 private:
  Dependencies deps_;
  int retention_days_;
};

}  // namespace mtrace::app
