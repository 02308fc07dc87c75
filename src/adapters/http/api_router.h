// ApiRouter: maps requests to the use cases — the API of reference/backend.md §1 with SPEC §3's
// fixes and docs/decisions.md's additions — plus CORS, the static trees and the live stream.
#pragma once

#include <functional>
#include <string>

#include <boost/json/object.hpp>

#include "adapters/http/exchange.h"
#include "adapters/http/live_streams.h"
#include "adapters/http/static_files.h"
#include "adapters/http/worker_pool.h"
#include "app/accepted_event_rate.h"
#include "app/ingest_playback_events.h"
#include "app/project_registry.h"
#include "app/qoe_aggregates.h"
#include "app/session_registry.h"
#include "ports/clock.h"
#include "ports/event_store.h"
#include "ports/metrics.h"
#include "ports/tracer.h"

namespace mtrace::adapters::http {

// Requests whose path starts with `prefix` go to `handler` (the lab's media, for instance).
struct MountedHandler {
  std::string prefix;
  Handler handler;
};

struct ApiDependencies {
  const app::ProjectRegistry& projects;
  app::SessionRegistry& sessions;
  app::IngestPlaybackEvents& ingest;
  ports::EventStore& store;
  ports::LiveBus& live_bus;
  ports::Metrics& metrics;
  ports::TraceExporter& tracer;
  bool tracing = false;  // export a server span per API request
  const ports::Clock& clock;
  StaticFiles dashboard;
  StaticFiles sdk;
  std::vector<MountedHandler> mounts;
  bool trust_forwarded_for = false;
  std::string version;
  boost::json::object config;                       // GET /api/config
  std::function<boost::json::object()> lab_status;  // GET /api/status "lab"; empty: not a lab
  const app::QoeAggregates* qoe = nullptr;           // GET /api/qoe
  // Threads that run the routes which read or erase stored data (as many as the store has read
  // connections: more would only wait for one), and the requests that may wait before a 503.
  int store_threads = 4;
  std::size_t store_queue = 256;
};

class ApiRouter {
 public:
  explicit ApiRouter(ApiDependencies dependencies);

  // The Handler of the HTTP server. Thread-safe.
  void handle(Request& request, Exchange exchange);
  // Body limit per route: 256 KiB ingest, 1 MiB analyze, 16 KiB otherwise.
  std::size_t body_limit(const Request& head) const;

  // Adds a route for POST /api/analyze (set by the wiring when the analyzer is available).
  void set_analyze_handler(Handler handler) { analyze_ = std::move(handler); }

  LiveStreams& live_streams() { return live_streams_; }

  // Runs the store reads already accepted and refuses new ones: at shutdown, while the server
  // they answer through still exists.
  void stop_store_work() { store_work_.stop(); }

 private:
  struct Route;
  void route(Request& request, Exchange& exchange, std::vector<std::pair<std::string, std::string>>& cors,
             const std::shared_ptr<ports::Span>& span);
  // Starts the server span of an API request (continuing its traceparent) and makes `respond`
  // end and export it. Returns nullptr when tracing is off.
  std::shared_ptr<ports::Span> trace_request(const Request& request, std::string_view route, Exchange& exchange);
  std::optional<app::ReadGrant> read_grant(const Request& request) const;

  ApiDependencies deps_;
  LiveStreams live_streams_;
  Handler analyze_;
  const domain::Micros started_at_;
  app::AcceptedEventRate accepted_rate_;
  // The routes that touch stored data run here. Declared last, so destroyed first: its destructor
  // runs the jobs it accepted, which use the members above.
  WorkerPool store_work_;
};

}  // namespace mtrace::adapters::http
