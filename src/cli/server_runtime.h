// The server behind `mtrace serve` and `mtrace lab`: settings (flags with MTRACE_* fallbacks),
// wiring of adapters to use cases, and the run loop until SIGTERM or SIGINT.
#pragma once

#include <CLI/CLI.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "adapters/http/api_router.h"

namespace mtrace::cli {

struct ServeSettings {
  std::string listen = ":8080";
  std::string persistence = "sqlite";
  std::string sqlite_path = "mtrace.db";
  std::string projects_file;
  std::string admin_token;
  std::int64_t rate_limit_capacity = 100;
  double rate_limit_refill = 100;
  bool trust_forwarded_for = false;
  int threads = 0;  // 0: one per hardware thread, at least 2
  int retention_days = 30;
  int sweep_interval_s = 10;
  std::size_t max_connections = 10'000;
  bool qoe = true;
  bool trace_segments = false;
  std::string dashboard_dir;
  std::string sdk_dir;
};

// Registers the flags of `serve` (and `lab`) on `command`, each with its environment variable.
void add_serve_options(CLI::App& command, ServeSettings& settings);

// What `lab` adds to a plain server.
struct ServerExtension {
  std::vector<adapters::http::MountedHandler> mounts;
  boost::json::object config;  // merged into GET /api/config
  std::function<boost::json::object()> status;
  // Origins the projects must allow once the port is known (the lab's own).
  std::function<std::vector<std::string>(std::uint16_t port)> own_origins;
  std::function<void(std::uint16_t port)> on_listening;
  std::function<void()> on_shutdown;
};

// Runs until SIGTERM/SIGINT; returns the process exit code (0 after a clean drain, 1 on a
// start-up error, which is logged).
int run_server(const ServeSettings& settings, ServerExtension extension = {});

}  // namespace mtrace::cli
