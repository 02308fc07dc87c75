// LiveStreams: the open SSE streams of GET /api/stream-sessions/stream. Each stream subscribes to
// the live bus, sends its backfill, then live frames; heartbeats keep proxies from timing out.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/exchange.h"
#include "ports/event_store.h"
#include "ports/live_bus.h"

namespace mtrace::adapters::http {

class LiveStreams {
 public:
  static constexpr std::size_t kMaxBackfill = 1000;

  LiveStreams(ports::LiveBus& bus, ports::EventStore& store) : bus_(bus), store_(store) {}

  // Opens a stream for `project_id` (empty: every project; the admin token). `last_event_id` is
  // the client's Last-Event-ID when it parsed as an integer >= 0.
  void open(Exchange exchange, const std::string& project_id, std::optional<std::int64_t> last_event_id,
            std::vector<std::pair<std::string, std::string>> headers);

  // Writes a heartbeat comment to every open stream and forgets closed ones. Thread-safe.
  void heartbeat();
  std::size_t open_count() const;

 private:
  class Subscriber;
  ports::LiveBus& bus_;
  ports::EventStore& store_;
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
};

}  // namespace mtrace::adapters::http
