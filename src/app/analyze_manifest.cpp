#include "app/analyze_manifest.h"

#include <boost/json/parse.hpp>

#include "analyzer/text.h"

namespace mtrace::app {
namespace json = boost::json;
namespace {

using analyzer::text::iequals;

std::string_view main_type(std::string_view content_type) {
  return analyzer::text::trim(content_type.substr(0, content_type.find(';')));
}

bool is_http(std::string_view url) {
  return url.size() > 7 && (iequals(url.substr(0, 7), "http://") || iequals(url.substr(0, 8), "https://"));
}

// Fetches and verifies the planned segments, in order, within the segment limit.
analyzer::cmaf::BinaryReport run_binary_check(ports::Fetcher& fetcher, const analyzer::Analysis& analysis,
                                              const AnalysisOptions& options) {
  namespace cmaf = analyzer::cmaf;
  cmaf::BinaryReport report;
  report.max_segment_bytes = options.max_segment_bytes;
  report.max_segments = options.max_binary_segments;
  std::size_t attempts = 0;
  for (const auto& target : analysis.cmaf_plan(options.max_binary_segments * 2)) {
    if (!options.binary_check) {
      report.checks.push_back(cmaf::skipped(target, "binary_disabled", "The binary check is off."));
      continue;
    }
    if (!target.skip_code.empty()) {
      report.checks.push_back(cmaf::skipped(target, target.skip_code, target.skip_message));
      continue;
    }
    if (attempts >= options.max_binary_segments) {
      report.checks.push_back(cmaf::skipped(target, "not_planned_due_to_limit",
                                            "Beyond the limit of " +
                                                std::to_string(options.max_binary_segments) +
                                                " segment fetches."));
      continue;
    }
    ++attempts;
    ports::FetchRequest request{target.url, segment_policy(options), std::nullopt, 0, false};
    if (target.range) {
      if (target.range->length > options.max_segment_bytes) {
        report.checks.push_back(cmaf::skipped(target, "segment_too_large", "The byte range is above the segment limit."));
        continue;
      }
      request.range_offset = target.range->offset;
      request.range_length = target.range->length;
    }
    auto result = fetcher.fetch(request);
    if (auto* error = std::get_if<ports::FetchError>(&result)) {
      using Kind = ports::FetchError::Kind;
      const char* code = error->kind == Kind::blocked || error->kind == Kind::invalid_url
                             ? "segment_uri_blocked"
                         : error->kind == Kind::too_large  ? "segment_too_large"
                         : error->reason == "content_type" ? "segment_content_type_unsupported"
                                                           : "segment_fetch_failed";
      report.checks.push_back(cmaf::skipped(target, code, error->message));
      continue;
    }
    auto& response = std::get<ports::FetchResponse>(result);
    auto check = cmaf::verify_segment(
        target, {reinterpret_cast<const std::uint8_t*>(response.body.data()), response.body.size()});
    check.resolved_url = response.final_url;
    check.content_type = response.content_type;
    report.checks.push_back(std::move(check));
  }
  return report;
}

ManifestAnalysis finish(ports::Fetcher& fetcher, analyzer::Analysis analysis, const AnalysisOptions& options) {
  ManifestAnalysis out{std::move(analysis), std::nullopt};
  if (out.analysis.ok() && !out.analysis.cmaf_plan().empty())
    out.binary = run_binary_check(fetcher, out.analysis, options);
  return out;
}

}  // namespace

ports::FetchPolicy manifest_policy(const AnalysisOptions& options) {
  ports::FetchPolicy policy;
  policy.timeout = options.timeout;
  policy.max_bytes = options.max_manifest_bytes;
  policy.max_redirects = options.max_redirects;
  policy.allow_private_networks = options.allow_private_networks;
  policy.content_types = {"application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl",
                          "application/dash+xml", "application/xml", "text/xml", "text/plain"};
  policy.accept =
      "application/vnd.apple.mpegurl,application/x-mpegurl,audio/mpegurl,application/dash+xml,"
      "application/xml,text/xml,text/plain;q=0.9";
  return policy;
}

ports::FetchPolicy segment_policy(const AnalysisOptions& options) {
  ports::FetchPolicy policy = manifest_policy(options);
  policy.max_bytes = options.max_segment_bytes;
  policy.content_types = {"video/mp4", "audio/mp4", "application/mp4", "video/iso.segment",
                          "audio/iso.segment", "application/iso.segment", "application/octet-stream"};
  policy.accept =
      "video/mp4,audio/mp4,application/mp4,video/iso.segment,audio/iso.segment,application/iso.segment,"
      "application/octet-stream;q=0.9";
  return policy;
}

analyzer::AnalysisError manifest_fetch_error(const ports::FetchError& error) {
  using Kind = ports::FetchError::Kind;
  analyzer::AnalysisError out;
  out.code = error.kind == Kind::invalid_url ? "invalid_input"
             : error.kind == Kind::blocked   ? "fetch_blocked"
             : error.kind == Kind::too_large ? "manifest_too_large"
                                             : "fetch_failed";
  out.message = error.message;
  auto& d = out.details;
  if (!error.reason.empty()) d["reason"] = error.reason;
  if (error.hop >= 0) d["hop"] = error.hop;
  if (!error.url.empty()) d["url"] = error.url;
  if (!error.host.empty()) d["host"] = error.host;
  if (!error.address.empty()) d["address"] = error.address, d["family"] = error.family;
  if (error.status) d["status"] = error.status;
  if (!error.content_type.empty()) d["contentType"] = error.content_type;
  return out;
}

ManifestAnalysis analyze_url(ports::Fetcher& fetcher, const std::string& url, const AnalysisOptions& options) {
  auto result = fetcher.fetch(ports::FetchRequest{url, manifest_policy(options), std::nullopt, 0, false});
  if (auto* error = std::get_if<ports::FetchError>(&result))
    return {analyzer::Analysis::failed(manifest_fetch_error(*error)), std::nullopt};
  auto& response = std::get<ports::FetchResponse>(result);
  analyzer::InputInfo input{"url", url, response.final_url};
  return finish(fetcher, analyzer::analyze(std::move(response.body), std::move(input)), options);
}

ManifestAnalysis analyze_text(ports::Fetcher& fetcher, std::string text, analyzer::InputInfo input,
                              const AnalysisOptions& options) {
  return finish(fetcher, analyzer::analyze(std::move(text), std::move(input)), options);
}

AnalyzeManifest::AnalyzeManifest(ports::Fetcher& fetcher, ports::EventStore& store, ports::Metrics& metrics,
                                 ports::Clock& clock, AnalysisOptions options)
    : fetcher_(fetcher), store_(store), metrics_(metrics), clock_(clock), options_(options) {
  options_.allow_private_networks = false;
}

AnalyzeReply AnalyzeManifest::fail(int status, std::string_view code, std::string_view message,
                                   const json::object* details) {
  metrics_.analyze_request("error", code);
  json::object o{{"error", code}, {"message", message}, {"status", "error"}, {"code", code}};
  if (details && !details->empty()) o["details"] = *details;
  domain::JsonWriter body;
  body.value(json::value(std::move(o)));
  return {status, body.take()};
}

AnalyzeReply AnalyzeManifest::refuse_busy() {
  return fail(503, "analyzer_busy", "Too many analyses at once; retry later.");
}

AnalyzeReply AnalyzeManifest::analyze(const AnalyzeCall& call) {
  if (!iequals(main_type(call.content_type), "application/json"))
    return fail(415, "unsupported_media_type", "Content-Type must be application/json.");
  if (call.body_too_large || call.body.size() > kMaxBodyBytes)
    return fail(413, "payload_too_large", "The request body is larger than 1 MiB.");
  json::error_code ec;
  const json::value parsed = json::parse(call.body, ec);
  if (ec || !(parsed.is_object() || parsed.is_null()))
    return fail(400, "invalid_json", "The body is not a JSON object.");
  static const json::object empty;
  const json::object& request = parsed.is_object() ? parsed.as_object() : empty;
  if (request.contains("cmaf"))
    return fail(400, "invalid_request", "CMAF options are not accepted by this endpoint.");
  std::string fields[6];
  const char* names[6] = {"kind", "url", "text", "baseUrl", "correlation_id", "session_id"};
  for (int i = 0; i < 6; ++i) {
    const auto* v = request.if_contains(names[i]);
    if (!v || v->is_null()) continue;
    if (!v->is_string())
      return fail(400, "invalid_json", std::string("Field ") + names[i] + " must be a string.");
    fields[i] = std::string(v->as_string());
  }
  const auto& [kind, url, text, base_url, correlation_id, session_id] = fields;
  if (!((kind == "text" && !text.empty()) || (kind == "url" && !url.empty())))
    return fail(400, "invalid_request", "kind must be \"text\" with text or \"url\" with url.");
  const bool wants_link = !correlation_id.empty() || !session_id.empty();
  if (wants_link && !call.token_project)
    return fail(401, "unauthorized", "Linking to a session needs a valid X-MTrace-Token.");
  if (analyzer::text::trim(kind == "text" ? text : url).empty())
    return fail(400, "invalid_request", "The manifest text or URL is blank.");

  ManifestAnalysis result =
      kind == "url" ? (is_http(analyzer::text::trim(url))
                           ? analyze_url(fetcher_, std::string(analyzer::text::trim(url)), options_)
                           : ManifestAnalysis{analyzer::Analysis::failed(
                                                  {"invalid_input", "The URL must be an absolute http(s) URL.",
                                                   "hls", {{"url", url}}}),
                                              std::nullopt})
                    : analyze_text(fetcher_, text, analyzer::InputInfo{"text", "", base_url}, options_);
  if (const auto& error = result.analysis.error()) {
    const std::string_view c = error->code;
    const int status = c == "invalid_input" || c == "fetch_blocked" ? 400
                       : c == "manifest_not_hls" || c == "manifest_not_supported" || c == "manifest_malformed"
                           ? 422
                           : 502;
    return fail(status, c, error->message, &error->details);
  }

  const std::string analysis = result.to_json(/*with_status=*/false);
  json::object link{{"status", "detached"}};
  if (wants_link) {
    const std::string& project = *call.token_project;
    link["status"] = "not_found_detached";
    auto found = !correlation_id.empty() ? store_.find_session_by_correlation(project, correlation_id)
                                         : store_.find_session(project, session_id);
    if (!found.ok()) return fail(503, "store_unavailable", "The session store cannot answer now.");
    if (const auto& session = found.value()) {
      if (!session_id.empty() && session->session_id != session_id) {
        link["status"] = "conflict_detached";
      } else {
        link = {{"status", "linked"},
                {"project_id", session->project_id},
                {"session_id", session->session_id},
                {"correlation_id", session->correlation_id}};
        const auto saved = store_.save_analysis(ports::StoredAnalysis{
            session->project_id, session->session_id, clock_.now(), analysis});
        if (!saved.ok()) return fail(503, "store_unavailable", "The analysis could not be stored.");
      }
    }
  }
  metrics_.analyze_request("ok", "ok");
  domain::JsonWriter body;
  body.begin_object().member("status", "ok").key("analysis").raw(analysis)
      .key("session_link").value(json::value(std::move(link))).end_object();
  return {200, body.take()};
}

}  // namespace mtrace::app
