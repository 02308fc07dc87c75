#include "adapters/http/api_router.h"

#include <boost/json/parse.hpp>
#include <charconv>

#include "app/cursor.h"
#include "app/erase_session.h"
#include "app/wire_json.h"
#include "domain/ids.h"
#include "domain/json_writer.h"

namespace mtrace::adapters::http {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;
constexpr std::string_view kSessionsPrefix = "/api/stream-sessions/";
constexpr std::string_view kIngestHeaders =
    "Content-Type, Authorization, X-MTrace-Token, X-MTrace-Session-Token, traceparent";
constexpr std::string_view kReadHeaders = "Content-Type, X-MTrace-Project, X-MTrace-Token, Last-Event-ID";
// Every route but ingest and analyze: none reads a body, so one past this is refused (413).
constexpr std::size_t kOtherBodyLimit = 16 * 1024;

Response json_response(int status, const json::value& body) { return Response::json(status, domain::to_json_text(body)); }

// The route pattern of an API path (bounded label values for metrics), and its methods.
struct RouteInfo {
  std::string_view pattern;
  std::string_view methods;  // for Allow and preflights
  std::string_view allowed_headers;
  // Reads or erases stored data, which on a large store can take long enough to stall the other
  // connections of an event loop: runs on the store workers. Ingest only hands its batch to the
  // store's writer, the analyzer has threads of its own, metrics and config are in memory.
  bool touches_store = false;
};

std::optional<RouteInfo> route_info(std::string_view path) {
  if (path == "/api/playback-events") return RouteInfo{"/api/playback-events", "POST, OPTIONS", kIngestHeaders};
  if (path == "/api/analyze") return RouteInfo{"/api/analyze", "POST, OPTIONS", kIngestHeaders};
  if (path == "/api/metrics" || path == "/api/config") return RouteInfo{path, "GET, OPTIONS", kReadHeaders};
  if (path == "/api/health" || path == "/api/status" || path == "/api/overview" || path == "/api/events" ||
      path == "/api/qoe" || path == "/api/stream-sessions" || path == "/api/stream-sessions/stream") {
    return RouteInfo{path, "GET, OPTIONS", kReadHeaders, true};
  }
  if (path.starts_with(kSessionsPrefix) && path.size() > kSessionsPrefix.size() &&
      path.find('/', kSessionsPrefix.size()) == std::string_view::npos) {
    return RouteInfo{"/api/stream-sessions/{id}", "GET, DELETE, OPTIONS", kReadHeaders, true};
  }
  return std::nullopt;
}

bool allows_method(const RouteInfo& route, std::string_view method) {
  if (method == "HEAD") method = "GET";
  std::string_view methods = route.methods;
  while (!methods.empty()) {
    const auto comma = methods.find(", ");
    if (methods.substr(0, comma) == method) return true;
    if (comma == std::string_view::npos) break;
    methods.remove_prefix(comma + 2);
  }
  return false;
}

// limit-style parameters: absent, empty or 0 → default; negative or not a number → nullopt;
// above the maximum → the maximum.
std::optional<std::size_t> parse_limit(const std::optional<std::string>& text) {
  if (!text || text->empty()) return kDefaultLimit;
  long long value = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0) return std::nullopt;
  if (value == 0) return kDefaultLimit;
  return static_cast<std::size_t>(std::min<long long>(value, kMaxLimit));
}

Response cursor_error(app::CursorError error) {
  json::object body{{"error", app::cursor_error_code(error)},
                    {"message", app::cursor_error_reason(error)},
                    {"reason", app::cursor_error_reason(error)}};
  return json_response(400, body);
}

Response store_unavailable() {
  return Response::error(503, "store_unavailable", "the event store is unavailable; retry later")
      .with_header("Retry-After", "1");
}

}  // namespace

ApiRouter::ApiRouter(ApiDependencies dependencies)
    : deps_(std::move(dependencies)),
      live_streams_(deps_.live_bus, deps_.store),
      started_at_(deps_.clock.now()),
      store_work_("api-store", deps_.store_threads, deps_.store_queue) {}

std::size_t ApiRouter::body_limit(const Request& head) const {
  if (head.method == "POST" && head.path == "/api/playback-events") return 256 * 1024;
  if (head.method == "POST" && head.path == "/api/analyze") return 1024 * 1024;
  return kOtherBodyLimit;
}

std::optional<app::ReadGrant> ApiRouter::read_grant(const Request& request) const {
  return deps_.projects.grant_for_read_token(request.header("x-mtrace-token"));
}

void ApiRouter::handle(Request& request, Exchange exchange) {
  deps_.metrics.request_served();
  const auto origin = request.header("origin");
  const auto host = request.header("host");
  const bool same_origin = !origin.empty() && !host.empty() &&
                           (origin == "http://" + std::string(host) || origin == "https://" + std::string(host));
  const bool origin_known = origin.empty() || same_origin || deps_.projects.origin_known(origin);

  Headers cors{{"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}};
  if (!origin.empty() && origin_known) {
    cors.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    cors.emplace_back("Access-Control-Expose-Headers", "Retry-After");
  }
  // Every answer, synchronous or not, carries the CORS headers.
  std::string unlisted_origin = origin_known ? std::string() : std::string(origin);
  exchange.respond = [respond = std::move(exchange.respond), cors,
                      unlisted_origin = std::move(unlisted_origin)](Response response) mutable {
    if (response.readable_by_any_origin && !unlisted_origin.empty())
      response.with_header("Access-Control-Allow-Origin", std::move(unlisted_origin));
    // A handler answers once, so the headers move into the response.
    response.headers.insert(response.headers.end(), std::make_move_iterator(cors.begin()),
                            std::make_move_iterator(cors.end()));
    respond(std::move(response));
  };

  const auto info = route_info(request.path);
  if (request.path.starts_with("/api/")) {
    if (!info) return exchange.respond(Response::error(404, "not_found", "no such API route"));
    if (request.method == "OPTIONS") {
      if (origin.empty() || !origin_known) {
        deps_.metrics.cors_preflight_refused(info->pattern);
        return exchange.respond(Response::error(403, "origin_not_allowed", "this Origin is not allowed")
                                    .with_header("Cache-Control", "no-store"));
      }
      Response preflight;
      preflight.status = 204;
      preflight.content_type.clear();
      preflight.with_header("Access-Control-Allow-Methods", std::string(info->methods))
          .with_header("Access-Control-Allow-Headers", std::string(info->allowed_headers))
          .with_header("Access-Control-Max-Age", "600")
          .with_header("Cache-Control", "no-store");
      return exchange.respond(std::move(preflight));
    }
    if (!allows_method(*info, request.method)) {
      return exchange.respond(Response::error(405, "method_not_allowed", "this route does not take " + request.method)
                                  .with_header("Allow", std::string(info->methods)));
    }
    // Only the routes with a body limit of their own (ingest, analyze) read a body, and they answer
    // an oversized one in their own order of checks.
    if (request.body_too_large && body_limit(request) == kOtherBodyLimit) {
      return exchange.respond(Response::error(413, "payload_too_large", "this route takes no body over 16 KiB"));
    }
    // The ingest route checks the Origin against its project; open routes answer anyone.
    const bool open_route = info->pattern == "/api/playback-events" || info->pattern == "/api/health" ||
                            info->pattern == "/api/metrics" || info->pattern == "/api/config";
    if (!origin_known && !open_route) {
      return exchange.respond(Response::error(403, "origin_not_allowed", "this Origin is not allowed"));
    }
    const bool traced = deps_.tracer.enabled() && info->pattern != "/api/health" && info->pattern != "/api/metrics" &&
                        info->pattern != "/api/stream-sessions/stream";
    auto span = traced ? trace_request(request, info->pattern, exchange) : nullptr;
    if (!info->touches_store) return route(request, exchange, cors, span);
    const bool accepted = store_work_.try_post([this, request, exchange, cors, span]() mutable {
      route(request, exchange, cors, span);
    });
    if (!accepted) {
      deps_.metrics.store_reads_refused();
      exchange.respond(Response::error(503, "server_busy", "too many store reads at once; retry later")
                           .with_header("Retry-After", "1"));
    }
    return;
  }

  for (const auto& mount : deps_.mounts) {
    if (request.path.starts_with(mount.prefix)) return mount.handler(request, std::move(exchange));
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return exchange.respond(Response::error(405, "method_not_allowed", "static files take GET only")
                                .with_header("Allow", "GET"));
  }
  if (request.body_too_large) {
    return exchange.respond(Response::error(413, "payload_too_large", "a GET takes no body over 16 KiB"));
  }
  if (request.path.starts_with("/sdk/")) {
    if (auto file = deps_.sdk.file(request.path.substr(4))) {
      file->readable_by_any_origin = true;  // a public script, read without credentials
      return exchange.respond(std::move(*file));
    }
    return exchange.respond(Response::error(404, "not_found", "no such SDK file"));
  }
  if (auto file = deps_.dashboard.file(request.path)) return exchange.respond(std::move(*file));
  // Single-page app: every other path is a dashboard route.
  if (auto index = deps_.dashboard.file("/index.html")) return exchange.respond(std::move(*index));
  exchange.respond(Response::error(404, "not_found", "the dashboard is not built into this binary"));
}

std::shared_ptr<ports::Span> ApiRouter::trace_request(const Request& request, std::string_view route,
                                                      Exchange& exchange) {
  if (!deps_.tracing) return nullptr;
  auto span = std::make_shared<ports::Span>();
  const auto header = request.header("traceparent");
  if (auto parent = domain::parse_traceparent(header)) {
    span->trace_id = parent->trace_id;
    span->parent_span_id = parent->span_id;
    span->parent_sampled = (parent->flags & 1) != 0;
  } else {
    span->trace_id = domain::new_trace_id();
    if (!header.empty()) span->attributes.push_back({"mtrace.trace.parse_error", true});
  }
  span->span_id = domain::new_span_id();
  span->name = "http.handler " + request.method + " " + std::string(route);
  span->kind = ports::SpanKind::server;
  span->start = deps_.clock.now();
  span->attributes.push_back({"http.method", request.method});
  span->attributes.push_back({"http.route", std::string(route)});
  exchange.respond = [this, span, respond = std::move(exchange.respond)](Response response) {
    span->end = deps_.clock.now();
    span->attributes.push_back({"http.status_code", std::int64_t{response.status}});
    if (response.status >= 500) span->status = ports::SpanStatusCode::error;
    deps_.tracer.export_spans({std::move(*span)});
    respond(std::move(response));
  };
  return span;
}

void ApiRouter::route(Request& request, Exchange& exchange, Headers& cors, const std::shared_ptr<ports::Span>& span) {
  const std::string_view path = request.path;

  if (path == "/api/playback-events") {
    std::string client_address = request.peer_address;
    if (deps_.trust_forwarded_for) {
      if (auto forwarded = request.forwarded_client_address()) client_address = std::move(*forwarded);
    }
    // The session's trace comes from the SDK's traceparent, whether or not spans are exported.
    const auto parent = domain::parse_traceparent(request.header("traceparent"));
    const std::string span_id = span ? span->span_id : domain::new_span_id();
    app::IngestCall call{request.header("x-mtrace-token"), request.header("origin"), client_address,
                         request.header("user-agent"), request.body, request.body_too_large,
                         parent ? std::string_view(parent->trace_id) : std::string_view{}, span_id};
    return deps_.ingest.ingest(call, [this, span, respond = std::move(exchange.respond)](app::IngestReply reply) {
      if (reply.status == 202) {
        accepted_rate_.record(reply.project_id, static_cast<std::int64_t>(reply.batch_size), deps_.clock.now());
      }
      if (span) {
        span->attributes.push_back({"batch.size", static_cast<std::int64_t>(reply.batch_size)});
        span->attributes.push_back({"batch.outcome", reply.outcome});
        if (!reply.project_id.empty()) span->attributes.push_back({"mtrace.project.id", reply.project_id});
        if (reply.status == 202) {
          span->attributes.push_back({"mtrace.batch.session_count", static_cast<std::int64_t>(reply.session_count)});
        }
      }
      auto response = Response::json(reply.status, std::move(reply.json_body));
      if (reply.retry_after_seconds > 0) response.with_header("Retry-After", std::to_string(reply.retry_after_seconds));
      respond(std::move(response));
    });
  }
  if (path == "/api/health") {
    if (!deps_.store.ping().ok()) return exchange.respond(store_unavailable());
    return exchange.respond(json_response(200, {{"status", "ok"}}));
  }
  if (path == "/api/metrics") {
    Response response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = deps_.metrics.scrape();
    return exchange.respond(std::move(response));
  }
  if (path == "/api/config") return exchange.respond(json_response(200, deps_.config));
  if (path == "/api/analyze") {
    if (analyze_) return analyze_(request, std::move(exchange));
    return exchange.respond(Response::error(404, "not_found", "the analyzer is not available"));
  }

  // Everything below reads project data: a read token is required.
  const auto grant = read_grant(request);
  if (!grant) return exchange.respond(Response::error(401, "unauthorized", "missing or unknown X-MTrace-Token"));
  const std::string cursor_project = grant->project_id.value_or(std::string(app::kEveryProject));

  if (path == "/api/qoe") {
    if (deps_.qoe == nullptr) return exchange.respond(Response::error(404, "not_found", "QoE aggregates are not available"));
    auto optional_view = [&](std::string_view name) -> std::optional<std::string> { return request.query_param(name); };
    const auto from = optional_view("from"), until = optional_view("until"), bucket = optional_view("bucket"),
               by = optional_view("by");
    auto view = [](const std::optional<std::string>& text) {
      return text ? std::optional<std::string_view>(*text) : std::nullopt;
    };
    auto query = app::parse_qoe_query(grant->project_id, view(from), view(until), view(bucket), view(by),
                                      deps_.clock.now());
    if (!query.ok()) return exchange.respond(Response::error(400, "qoe_query_invalid", query.error().message));
    auto report = deps_.qoe->run(query.value());
    if (!report.ok()) return exchange.respond(store_unavailable());
    return exchange.respond(json_response(200, app::to_json(report.value())));
  }
  if (path == "/api/status") {
    const bool store_ok = deps_.store.ping().ok();
    json::object body{{"status", store_ok ? "ok" : "degraded"},
                      {"version", deps_.version},
                      {"uptime_s", (deps_.clock.now() - started_at_) / domain::kMicrosPerSecond},
                      {"store", {{"kind", "sqlite"}, {"ok", store_ok}}},
                      {"live", {{"subscribers", live_streams_.open_count()}}}};
    body["lab"] = deps_.lab_status ? json::value(deps_.lab_status()) : json::value({{"ffmpeg", "off"}});
    return exchange.respond(json_response(200, body));
  }
  if (path == "/api/overview") {
    const auto counts = deps_.sessions.counts(grant->project_id);
    ports::EventSearchQuery errors;
    errors.project_id = grant->project_id;
    errors.errors_only = true;
    errors.limit = kMaxLimit;
    errors.received_from = deps_.clock.now() - 3600 * domain::kMicrosPerSecond;
    auto found = deps_.store.search_events(errors);
    if (!found.ok()) return exchange.respond(store_unavailable());
    json::object body{{"sessions", {{"active", counts.active}, {"stalled", counts.stalled}, {"ended", counts.ended}}},
                      {"events_per_second", accepted_rate_.per_second(grant->project_id, deps_.clock.now())},
                      {"errors_last_hour", found.value().events.size()},
                      {"errors_last_hour_capped", found.value().next_before.has_value()}};
    return exchange.respond(json_response(200, body));
  }
  if (path == "/api/stream-sessions/stream") {
    std::optional<std::int64_t> last_id;
    const auto header = request.header("last-event-id");
    std::int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), value);
    if (!header.empty() && ec == std::errc() && ptr == header.data() + header.size() && value >= 0) last_id = value;
    return live_streams_.open(std::move(exchange), grant->project_id.value_or(""), last_id, cors);
  }
  if (path == "/api/stream-sessions") {
    ports::SessionListQuery query;
    const auto limit = parse_limit(request.query_param("limit"));
    if (!limit) return exchange.respond(Response::error(400, "limit_invalid", "limit must be an integer >= 0"));
    query.limit = *limit;
    query.project_id = grant->project_id;
    if (grant->admin()) {
      if (auto project = request.query_param("project_id"); project && !project->empty()) query.project_id = *project;
    } else if (auto project = request.query_param("project_id"); project && !project->empty() && *project != *grant->project_id) {
      return exchange.respond(Response::error(403, "project_forbidden", "the token does not read that project"));
    }
    if (auto cursor = request.query_param("cursor"); cursor && !cursor->empty()) {
      auto decoded = app::decode_session_cursor(*cursor, cursor_project);
      if (!decoded.ok()) return exchange.respond(cursor_error(decoded.error()));
      query.after = decoded.value();
    }
    if (auto state = request.query_param("state"); state && !state->empty()) {
      query.state = domain::session_state_from(*state);
      if (!query.state) return exchange.respond(Response::error(400, "state_invalid", "state must be active, stalled or ended"));
    }
    auto text_filter = [&](std::string_view name, std::optional<std::string>& target) {
      if (auto value = request.query_param(name); value && !value->empty()) target = value->substr(0, 256);
    };
    text_filter("content_id", query.content_id);
    text_filter("player_name", query.player_name);
    text_filter("error_code", query.error_code);
    text_filter("q", query.session_id_prefix);
    for (auto [name, target] : {std::pair{"from", &query.started_from}, std::pair{"until", &query.started_until}}) {
      if (auto value = request.query_param(name); value && !value->empty()) {
        *target = domain::parse_rfc3339(*value);
        if (!*target) return exchange.respond(Response::error(400, "time_invalid", std::string(name) + " must be RFC 3339"));
      }
    }
    auto page = deps_.store.list_sessions(query);
    if (!page.ok()) return exchange.respond(store_unavailable());
    json::array sessions;
    for (const auto& session : page.value().sessions) sessions.push_back(app::session_to_json(session));
    json::object body{{"sessions", std::move(sessions)}};
    if (page.value().next) body["next_cursor"] = app::encode_session_cursor(cursor_project, *page.value().next);
    return exchange.respond(json_response(200, body));
  }
  if (path == "/api/events") {
    ports::EventSearchQuery query;
    const auto limit = parse_limit(request.query_param("limit"));
    if (!limit) return exchange.respond(Response::error(400, "limit_invalid", "limit must be an integer >= 0"));
    query.limit = *limit;
    query.project_id = grant->project_id;
    if (auto cursor = request.query_param("cursor"); cursor && !cursor->empty()) {
      auto decoded = app::decode_search_cursor(*cursor, cursor_project);
      if (!decoded.ok()) return exchange.respond(cursor_error(decoded.error()));
      query.before_ingest_sequence = decoded.value();
    }
    if (auto name = request.query_param("event_name"); name && !name->empty()) query.event_name = name->substr(0, 64);
    const auto errors_only = request.query_param("errors_only");
    query.errors_only = errors_only && (*errors_only == "1" || *errors_only == "true");
    for (auto [name, target] : {std::pair{"from", &query.received_from}, std::pair{"until", &query.received_until}}) {
      if (auto value = request.query_param(name); value && !value->empty()) {
        *target = domain::parse_rfc3339(*value);
        if (!*target) return exchange.respond(Response::error(400, "time_invalid", std::string(name) + " must be RFC 3339"));
      }
    }
    auto page = deps_.store.search_events(query);
    if (!page.ok()) return exchange.respond(store_unavailable());
    json::array events;
    for (const auto& event : page.value().events) events.push_back(app::event_to_json(event));
    json::object body{{"events", std::move(events)}};
    if (page.value().next_before) body["next_cursor"] = app::encode_search_cursor(cursor_project, *page.value().next_before);
    return exchange.respond(json_response(200, body));
  }

  // /api/stream-sessions/{id}
  const std::string session_id = percent_decode(path.substr(kSessionsPrefix.size()), false);
  std::string project_id = grant->project_id.value_or("");
  if (grant->admin()) project_id = request.query_param("project_id").value_or("");
  if (session_id.empty() || project_id.empty()) {
    return exchange.respond(Response::error(404, "session_not_found", "no such session"));
  }
  if (request.method == "DELETE") {
    auto erased = app::erase_session({project_id, session_id}, deps_.sessions, deps_.store);
    if (!erased.ok()) return exchange.respond(store_unavailable());
    if (!erased.value()) return exchange.respond(Response::error(404, "session_not_found", "no such session"));
    Response gone;
    gone.status = 204;
    gone.content_type.clear();
    return exchange.respond(std::move(gone));
  }
  auto session = deps_.store.find_session(project_id, session_id);
  if (!session.ok()) return exchange.respond(store_unavailable());
  if (!session.value()) return exchange.respond(Response::error(404, "session_not_found", "no such session"));

  ports::EventListQuery events_query{project_id, session_id, kDefaultLimit, std::nullopt};
  const auto events_limit = parse_limit(request.query_param("events_limit"));
  if (!events_limit) {
    return exchange.respond(Response::error(400, "events_limit_invalid", "events_limit must be an integer >= 0"));
  }
  events_query.limit = *events_limit;
  if (auto cursor = request.query_param("events_cursor"); cursor && !cursor->empty()) {
    auto decoded = app::decode_event_cursor(*cursor, cursor_project, session_id);
    if (!decoded.ok()) return exchange.respond(cursor_error(decoded.error()));
    events_query.after = decoded.value();
  }
  auto events = deps_.store.list_events(events_query);
  auto analyses = deps_.store.list_analyses(project_id, session_id);
  if (!events.ok() || !analyses.ok()) return exchange.respond(store_unavailable());

  auto session_json = app::session_to_json(*session.value());
  json::array analysis_list;
  for (const auto& analysis : analyses.value()) {
    boost::system::error_code ec;
    auto parsed = json::parse(analysis.result_json, ec);
    if (!ec) analysis_list.push_back(std::move(parsed));
  }
  session_json["analyses"] = std::move(analysis_list);
  json::array event_list;
  for (const auto& event : events.value().events) event_list.push_back(app::event_to_json(event));
  json::object body{{"session", std::move(session_json)}, {"events", std::move(event_list)}};
  if (events.value().next) {
    body["next_cursor"] = app::encode_event_cursor(cursor_project, session_id, *events.value().next);
  }
  exchange.respond(json_response(200, body));
}

}  // namespace mtrace::adapters::http
