#include "cli/server_runtime.h"

#include <pthread.h>
#include <sys/resource.h>

#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <span>
#include <stop_token>
#include <thread>

#include "adapters/fetch/beast_fetcher.h"
#include "adapters/http/server.h"
#include "adapters/http/worker_pool.h"
#include "adapters/memory/in_process_live_bus.h"
#include "adapters/memory/system_clock.h"
#include "adapters/memory/token_bucket_rate_limiter.h"
#include "adapters/otlp/otlp_config.h"
#include "adapters/otlp/otlp_http_exporter.h"
#include "adapters/prometheus/prometheus_metrics.h"
#include "adapters/sqlite/sqlite_event_store.h"
#include "app/analyze_manifest.h"
#include "app/ingest_playback_events.h"
#include "app/qoe_aggregates.h"
#include "app/session_sweeper.h"
#include "cli/json_log.h"

namespace mtrace::cli {

std::span<const adapters::http::EmbeddedFile> embedded_dashboard();
std::span<const adapters::http::EmbeddedFile> embedded_sdk();

namespace {

struct ListenAddress {
  std::string host;
  std::uint16_t port = 0;
};

std::optional<ListenAddress> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  const std::string port_text = text.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int port = std::stoi(port_text);
  if (port > 65535) return std::nullopt;
  return ListenAddress{host, static_cast<std::uint16_t>(port)};
}

domain::Result<app::ProjectRegistry> load_projects(const ServeSettings& settings) {
  if (settings.projects_file.empty()) {
    log_warn("no projects file: serving the demo project with token demo-token (use --projects for real tokens)");
    return app::ProjectRegistry::demo({});
  }
  std::ifstream in(settings.projects_file, std::ios::binary);
  if (!in) return domain::Error{domain::ErrorCode::invalid_argument, "cannot read " + settings.projects_file};
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto registry = app::ProjectRegistry::from_json(text);
  if (registry.ok()) {
    for (const auto& project : registry.value().reads_with_ingest_token()) {
      log_warn("a project reads with an ingest token, which player pages show to anyone: give it its own read token",
               {{"project", project}});
    }
  }
  return registry;
}

// Above zero. (CLI11's PositiveNumber would name the whole range of a double in its message.)
const CLI::Validator kAboveZero(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(value > 0)) return "must be a number above 0, not " + text;
      return {};
    },
    "NUMBER > 0");

// Runs `tick` every `interval` until stopped.
void every(std::stop_token stop, std::chrono::milliseconds interval, const std::function<void()>& tick) {
  std::mutex mutex;
  std::condition_variable_any wake;
  std::unique_lock lock(mutex);
  while (!wake.wait_for(lock, stop, interval, [] { return false; })) {
    if (stop.stop_requested()) return;
    tick();
  }
}

}  // namespace

void add_serve_options(CLI::App& command, ServeSettings& s) {
  command.add_option("--listen", s.listen, "Address to listen on, IP:PORT or :PORT (port 0: any free port)")
      ->envname("MTRACE_API_LISTEN_ADDR")->capture_default_str();
  command.add_option("--persistence", s.persistence, "Event store: sqlite")
      ->envname("MTRACE_PERSISTENCE")->capture_default_str();
  command.add_option("--sqlite-path", s.sqlite_path, "SQLite database file")
      ->envname("MTRACE_SQLITE_PATH")->capture_default_str();
  command.add_option("--projects", s.projects_file, "Projects file (JSON): tokens and allowed origins")
      ->envname("MTRACE_PROJECTS_FILE");
  command.add_option("--admin-token", s.admin_token, "Token that reads, and erases sessions of, every project")
      ->envname("MTRACE_ADMIN_TOKEN");
  command.add_option("--rate-limit-capacity", s.rate_limit_capacity, "Ingest bucket size, in events")
      ->envname("MTRACE_RATE_LIMIT_CAPACITY")->check(kAboveZero)->capture_default_str();
  command.add_option("--rate-limit-refill", s.rate_limit_refill, "Ingest bucket refill, events per second")
      ->envname("MTRACE_RATE_LIMIT_REFILL")->check(kAboveZero)->capture_default_str();
  command.add_flag("--trust-forwarded-for", s.trust_forwarded_for,
                   "Take the client address from the last X-Forwarded-For entry")
      ->envname("MTRACE_TRUST_FORWARDED_FOR");
  command.add_option("--threads", s.threads, "HTTP worker threads (0: one per hardware thread, at least 2)")
      ->envname("MTRACE_THREADS")->check(CLI::Range(0, 256))->capture_default_str();
  command.add_option("--retention-days", s.retention_days, "Days to keep sessions and events")
      ->envname("MTRACE_RETENTION_DAYS")->check(CLI::Range(1, 36500))->capture_default_str();
  command.add_option("--sweep-interval", s.sweep_interval_s, "Seconds between session sweeps")
      ->envname("MTRACE_SWEEP_INTERVAL_SECONDS")->check(CLI::Range(1, 3600))->capture_default_str();
  command.add_option("--max-connections", s.max_connections, "Open connections at most")
      ->envname("MTRACE_MAX_CONNECTIONS")->check(CLI::Range(1, 1000000))->capture_default_str();
  command.add_flag("--qoe,!--no-qoe", s.qoe, "Compute QoE per session as events arrive")
      ->envname("MTRACE_QOE")->capture_default_str();
  command.add_flag("--trace-segments", s.trace_segments,
                   "Export a span per segment request the players report (with OTLP export on)")
      ->envname("MTRACE_TRACE_SEGMENTS");
  command.add_option("--dashboard-dir", s.dashboard_dir, "Serve the dashboard from this folder (development)");
  command.add_option("--sdk-dir", s.sdk_dir, "Serve /sdk/ from this folder (development)");
}

int run_server(const ServeSettings& settings, ServerExtension extension) {
  // Signals are taken by sigwait below; every thread started from here on inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Every connection is a file descriptor: take all the process may have.
  if (rlimit limit{}; getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  const auto address = parse_listen(settings.listen);
  if (!address) {
    log_error("bad --listen address", {{"listen", settings.listen}});
    return 1;
  }
  if (settings.persistence != "sqlite") {
    log_error("unsupported persistence; this build stores in sqlite", {{"persistence", settings.persistence}});
    return 1;
  }
  auto projects = load_projects(settings);
  if (!projects.ok()) {
    log_error("bad projects file", {{"error", projects.error().message}});
    return 1;
  }
  if (auto admin = projects.value().set_admin_token(settings.admin_token); !admin.ok()) {
    log_error("bad admin token", {{"error", admin.error().message}});
    return 1;
  }

  adapters::SystemClock clock;
  adapters::PrometheusMetrics metrics;
  const adapters::sqlite::SqliteEventStore::Options store_options{.metrics = &metrics};
  auto store = adapters::sqlite::SqliteEventStore::open(settings.sqlite_path, store_options);
  if (!store.ok()) {
    log_error("cannot open the event store", {{"path", settings.sqlite_path}, {"error", store.error().message}});
    return 1;
  }
  auto& event_store = *store.value();
  adapters::InProcessLiveBus live_bus;
  adapters::TokenBucketRateLimiter rate_limiter(settings.rate_limit_capacity, settings.rate_limit_refill, clock);

  app::SessionRegistry sessions(settings.qoe);
  auto open_sessions = event_store.load_open_sessions();
  auto max_sequence = event_store.max_ingest_sequence();
  if (!open_sessions.ok() || !max_sequence.ok()) {
    log_error("cannot read the event store", {{"path", settings.sqlite_path}});
    return 1;
  }
  sessions.restore(max_sequence.value(), std::move(open_sessions.value()));
  metrics.set_active_sessions_source([&sessions] { return sessions.counts().active; });

  auto otlp = adapters::otlp::config_from_environment(adapters::otlp::process_environment());
  if (!otlp.ok()) {
    log_error("bad OTEL_* configuration", {{"error", otlp.error().message}});
    return 1;
  }
  ports::NoopTraceExporter no_tracing;
  std::unique_ptr<adapters::otlp::OtlpHttpExporter> exporter;
  if (otlp.value()) {
    log_info("exporting traces over OTLP/HTTP",
             {{"host", otlp.value()->endpoint.host_header}, {"target", otlp.value()->endpoint.target}});
    exporter = std::make_unique<adapters::otlp::OtlpHttpExporter>(std::move(*otlp.value()), metrics);
  }
  ports::TraceExporter& tracer = exporter ? static_cast<ports::TraceExporter&>(*exporter) : no_tracing;

  app::IngestPlaybackEvents ingest(
      {projects.value(), sessions, event_store, rate_limiter, live_bus, metrics, tracer, clock},
      settings.trace_segments);
  app::SessionSweeper sweeper({sessions, event_store, live_bus, metrics, tracer, clock}, settings.retention_days);
  app::QoeAggregates qoe(event_store);

  boost::json::object config{{"version", MTRACE_VERSION}, {"lab", false}};
  for (auto& [key, value] : extension.config) config[key] = value;
  adapters::http::ApiDependencies dependencies{
      projects.value(), sessions, ingest, event_store, live_bus, metrics, tracer, exporter != nullptr, clock,
      settings.dashboard_dir.empty() ? adapters::http::StaticFiles::embedded(embedded_dashboard())
                                     : adapters::http::StaticFiles::directory(settings.dashboard_dir),
      settings.sdk_dir.empty() ? adapters::http::StaticFiles::embedded(embedded_sdk())
                               : adapters::http::StaticFiles::directory(settings.sdk_dir),
      std::move(extension.mounts), settings.trust_forwarded_for, MTRACE_VERSION, std::move(config),
      std::move(extension.status)};
  dependencies.qoe = &qoe;
  // One store worker per read connection: more would only wait for a connection.
  dependencies.store_threads = static_cast<int>(store_options.read_connections);
  adapters::http::ApiRouter router(std::move(dependencies));
  adapters::fetch::BeastFetcher fetcher;
  app::AnalyzeManifest analyzer(fetcher, event_store, metrics, clock);
  // Analyses fetch over the network for up to tens of seconds: a few at a time, on threads of
  // their own; beyond that the API answers 503.
  adapters::http::WorkerPool analyze_workers("analyze", 4, 0);
  router.set_analyze_handler([&](adapters::http::Request& request, adapters::http::Exchange exchange) {
    const auto token = request.header("x-mtrace-token");
    std::optional<std::string> project;
    if (auto grant = projects.value().grant_for_read_token(token); grant && grant->project_id) project = grant->project_id;
    auto call = std::make_shared<adapters::http::Request>(std::move(request));
    const bool accepted = analyze_workers.try_post([&analyzer, call, exchange, project, sent = !token.empty()] {
      auto reply = analyzer.analyze({call->header("content-type"), call->body, call->body_too_large, project, sent});
      exchange.respond(adapters::http::Response::json(reply.status, std::move(reply.json_body)));
    });
    if (!accepted) {
      auto reply = analyzer.refuse_busy();
      exchange.respond(adapters::http::Response::json(reply.status, std::move(reply.json_body)).with_header("Retry-After", "2"));
    }
  });

  adapters::http::ServerOptions options;
  options.address = address->host;
  options.port = address->port;
  options.threads = settings.threads > 0 ? settings.threads : std::max(2u, std::thread::hardware_concurrency());
  options.max_connections = settings.max_connections;
  adapters::http::HttpServer server(
      options, [&router](adapters::http::Request& request, adapters::http::Exchange exchange) {
        router.handle(request, std::move(exchange));
      },
      [&router](const adapters::http::Request& head) { return router.body_limit(head); });
  auto port = server.listen();
  if (!port.ok()) {
    log_error("cannot listen", {{"error", port.error().message}});
    return 1;
  }
  if (extension.own_origins) projects.value().allow_origins_everywhere(extension.own_origins(port.value()));
  server.start();
  log_info("listening", {{"address", address->host}, {"port", port.value()}, {"store", settings.sqlite_path},
                         {"version", MTRACE_VERSION}});
  if (extension.on_listening) extension.on_listening(port.value());

  std::jthread sweeping([&](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "sweeper");
    every(stop, std::chrono::seconds(settings.sweep_interval_s), [&] { sweeper.sweep(); });
  });
  std::jthread heartbeats([&](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "sse-heartbeats");
    every(stop, std::chrono::seconds(15), [&] { router.live_streams().heartbeat(); });
  });
  std::jthread pruning([&](std::stop_token stop) {
    pthread_setname_np(pthread_self(), "retention");
    auto prune = [&] {
      auto pruned = sweeper.prune();
      if (!pruned.ok()) log_warn("retention prune failed", {{"error", pruned.error().message}});
      else if (pruned.value().sessions > 0)
        log_info("retention pruned", {{"sessions", pruned.value().sessions}, {"events", pruned.value().events}});
    };
    prune();
    every(stop, std::chrono::hours(1), prune);
  });

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log_info("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"}});
  sweeping.request_stop();
  heartbeats.request_stop();
  pruning.request_stop();
  if (extension.on_shutdown) extension.on_shutdown();
  server.shutdown(std::chrono::seconds(5));
  // Requests past the grace may still be running on these threads: they answer through the
  // server's stopped event loops, which must outlive them.
  analyze_workers.stop();
  router.stop_store_work();
  event_store.drain();
  if (exporter) exporter->shutdown();
  log_info("stopped");
  return 0;
}

}  // namespace mtrace::cli
