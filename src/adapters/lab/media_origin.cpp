#include "adapters/lab/media_origin.h"

#include <chrono>
#include <ctime>
#include <fstream>
#include <iterator>

namespace mtrace::adapters::lab {
namespace {

constexpr std::size_t kMaxFileBytes = 64 * 1024 * 1024;
constexpr std::size_t kMaxPathLength = 512;

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_manifest(std::string_view path) { return ends_with(path, ".m3u8") || ends_with(path, ".mpd"); }

// Only the names FFmpeg writes: letters, digits, '_', '-', '.', and '/' between non-dot segments.
bool safe_relative_path(std::string_view path) {
  if (path.size() < 2 || path.size() > kMaxPathLength || path.front() != '/') return false;
  std::size_t segment_start = 1;
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      const auto segment = path.substr(segment_start, i - segment_start);
      if (segment.empty() || segment.front() == '.') return false;
      segment_start = i + 1;
      continue;
    }
    const char c = path[i];
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                         c == '_' || c == '-' || c == '.';
    if (!allowed) return false;
  }
  return true;
}

http::Response with_cors(http::Response response);

// The DASH UTCTiming source (urn:mpeg:dash:utc:http-xsdate:2014): players sync their clock to the
// origin instead of a public time server.
http::Response clock_response() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[32];
  const auto length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  http::Response response;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::string(text, length) + "." + std::to_string(1000 + millis).substr(1) + "Z";
  response.with_header("Cache-Control", "no-store");
  return with_cors(std::move(response));
}

http::Response with_cors(http::Response response) {
  response.readable_by_any_origin = true;
  response.with_header("Access-Control-Expose-Headers", "Content-Length")
      .with_header("X-Content-Type-Options", "nosniff");
  return response;
}

}  // namespace

std::string_view media_content_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".m3u8", "application/vnd.apple.mpegurl"},
      {".mpd", "application/dash+xml"},
      {".m4s", "video/iso.segment"},
      {".mp4", "video/mp4"},
      {".ts", "video/mp2t"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (ends_with(path, extension)) return type;
  }
  return {};
}

LabMediaOrigin::LabMediaOrigin(std::string media_root) : root_(std::move(media_root)) {}

void LabMediaOrigin::handle(http::Request& request, http::Exchange exchange) {
  const std::string_view relative = std::string_view(request.path).substr(kLabPrefix.size());
  if (relative == "/faults") return exchange.respond(handle_faults(request));
  if (relative == "/time") return exchange.respond(clock_response());
  if (request.method == "OPTIONS") {
    http::Response preflight;
    preflight.status = 204;
    preflight.content_type.clear();
    preflight.with_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        .with_header("Access-Control-Allow-Headers", "Range")
        .with_header("Access-Control-Max-Age", "600");
    return exchange.respond(with_cors(std::move(preflight)));
  }
  if (request.method != "GET" && request.method != "HEAD") {
    return exchange.respond(with_cors(http::Response::error(405, "method_not_allowed", "lab media takes GET only")
                                          .with_header("Allow", "GET, HEAD, OPTIONS")));
  }
  if (!safe_relative_path(relative) || media_content_type(relative).empty()) {
    return exchange.respond(with_cors(http::Response::error(404, "not_found", "no such lab media file")));
  }

  const auto fault = faults_.take(relative);
  // The file is read now, even for a delayed answer: FFmpeg deletes a segment soon after it leaves
  // the playlist, and a delay of a few seconds must give a slow segment, not a missing one.
  auto response = fault && fault->status != 0
                      ? with_cors(http::Response::error(fault->status, "lab_fault", "failed on purpose by a lab fault rule")
                                      .with_header("Cache-Control", "no-store"))
                      : serve_file(relative, request.method == "HEAD");
  if (fault && fault->delay_ms > 0) {
    return delayed_.after(std::chrono::milliseconds(fault->delay_ms),
                          [respond = std::move(exchange.respond), response = std::move(response)]() mutable {
                            respond(std::move(response));
                          });
  }
  exchange.respond(std::move(response));
}

http::Response LabMediaOrigin::serve_file(std::string_view relative_path, bool head_only) const {
  std::ifstream in(root_ + std::string(relative_path), std::ios::binary | std::ios::ate);
  if (!in) return with_cors(http::Response::error(404, "not_found", "no such lab media file"));
  const auto size = in.tellg();
  if (size < 0 || static_cast<std::size_t>(size) > kMaxFileBytes) {
    return with_cors(http::Response::error(404, "not_found", "no such lab media file"));
  }
  http::Response response;
  response.content_type = std::string(media_content_type(relative_path));
  if (!head_only) {
    response.body.resize(static_cast<std::size_t>(size));
    in.seekg(0);
    in.read(response.body.data(), size);
    if (!in) return with_cors(http::Response::error(404, "not_found", "the lab media file changed while read"));
  }
  // Manifests change every segment; segment names are never reused, so they may be cached.
  response.with_header("Cache-Control", is_manifest(relative_path) ? "no-cache" : "public, max-age=300");
  return with_cors(std::move(response));
}

http::Response LabMediaOrigin::handle_faults(const http::Request& request) {
  if (request.method == "GET") return http::Response::json(200, faults_.to_json());
  // A page of another site must not change the lab's stream (a form or no-cors fetch would reach
  // here unchecked): a browser's write comes from the lab's own pages, curl's has no Origin.
  const auto origin = request.header("origin");
  const auto host = std::string(request.header("host"));
  if (!origin.empty() && origin != "http://" + host && origin != "https://" + host) {
    return http::Response::error(403, "origin_not_allowed", "fault rules change only from the lab's own pages");
  }
  if (request.method == "DELETE") {
    faults_.clear();
    http::Response cleared;
    cleared.status = 204;
    cleared.content_type.clear();
    return cleared;
  }
  if (request.method != "POST") {
    return http::Response::error(405, "method_not_allowed", "use GET, POST or DELETE").with_header("Allow", "GET, POST, DELETE");
  }
  if (request.body_too_large) return http::Response::error(413, "payload_too_large", "a fault rule is a small JSON object");
  auto rule = parse_fault_rule(request.body);
  if (!rule.ok()) return http::Response::error(400, "invalid_fault_rule", rule.error().message);
  auto added = faults_.add(std::move(rule.value()));
  if (!added.ok()) return http::Response::error(409, "too_many_fault_rules", added.error().message);
  return http::Response::json(201, faults_.to_json());
}

}  // namespace mtrace::adapters::lab
