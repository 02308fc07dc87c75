#include "cli/check.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "adapters/fetch/beast_fetcher.h"
#include "analyzer/finding_catalog.h"
#include "analyzer/hls/live.h"
#include "analyzer/text.h"
#include "app/analyze_manifest.h"
#include "domain/json_writer.h"

namespace mtrace::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using analyzer::Level;
using SteadyClock = std::chrono::steady_clock;

constexpr int kExitFindings = 3;
constexpr std::uint64_t kMaxFileBytes = 64ull << 20;

struct CheckOptions {
  std::string target;
  std::string format = "json";
  std::string fail_on;
  bool allow_private = false;
  bool no_binary = false;
  int timeout_ms = 10'000;
  bool watch = false;
  double watch_seconds = 0;  // 0: four target durations
};

bool is_url(std::string_view target) {
  const auto lower = [&](std::size_t n) {
    std::string s(target.substr(0, n));
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  return lower(7) == "http://" || lower(8) == "https://";
}

bool env_flag(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return false;
  std::string v(analyzer::text::trim(value));
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

std::string file_url(const fs::path& path) {
  std::string out = "file://";
  for (char c : fs::absolute(path).lexically_normal().string()) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof buffer, "%%%02X", u);
      out += buffer;
    }
  }
  return out;
}

std::optional<std::string> read_file(const fs::path& path, std::uint64_t offset, std::uint64_t limit,
                                     std::string& error) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) {
    error = "cannot open " + path.string();
    return std::nullopt;
  }
  const std::uint64_t available = size > offset ? size - offset : 0;
  if (available > limit && limit + offset <= size && offset == 0) {
    error = "larger than " + std::to_string(limit) + " bytes";
    return std::nullopt;
  }
  in.seekg(static_cast<std::streamoff>(offset));
  std::string bytes(static_cast<std::size_t>(std::min(available, limit)), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  return bytes;
}

// Serves file:// URLs from disk (segments next to a local manifest) and hands the rest to the
// network fetcher. Only `mtrace check` on a local file uses it, never the API.
class LocalFirstFetcher final : public ports::Fetcher {
 public:
  explicit LocalFirstFetcher(ports::Fetcher& network) : network_(network) {}
  ports::FetchResult fetch(const ports::FetchRequest& request) override {
    if (request.url.rfind("file://", 0) != 0) return network_.fetch(request);
    ports::FetchError e;
    e.url = request.url;
    std::string path;
    const std::string_view encoded = std::string_view(request.url).substr(7);
    for (std::size_t i = 0; i < encoded.size(); ++i) {
      if (encoded[i] == '%' && i + 2 < encoded.size()) {
        path.push_back(static_cast<char>(std::stoi(std::string(encoded.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
      } else if (encoded[i] == '?' || encoded[i] == '#') {
        break;
      } else {
        path.push_back(encoded[i]);
      }
    }
    std::string error;
    auto bytes = read_file(path, request.range_offset.value_or(0),
                           request.range_offset ? request.range_length : request.policy.max_bytes, error);
    if (!bytes) {
      e.kind = error.rfind("larger", 0) == 0 && !request.range_offset ? ports::FetchError::Kind::too_large
                                                                       : ports::FetchError::Kind::failed;
      e.reason = "file";
      e.message = "Local file " + path + ": " + error + ".";
      return e;
    }
    if (request.range_offset && bytes->size() != request.range_length) {
      e.reason = "range_length";
      e.message = "Local file " + path + " is shorter than the byte range.";
      return e;
    }
    return ports::FetchResponse{request.range_offset ? 206 : 200, request.url, "", std::move(*bytes)};
  }

 private:
  ports::Fetcher& network_;
};

app::ManifestAnalysis load_and_analyze(ports::Fetcher& fetcher, const CheckOptions& options,
                                       const app::AnalysisOptions& analysis_options, bool& io_error) {
  if (is_url(options.target)) return app::analyze_url(fetcher, options.target, analysis_options);
  std::string error;
  auto text = read_file(options.target, 0, kMaxFileBytes, error);
  if (!text) {
    std::cerr << "mtrace check: cannot read \"" << options.target << "\": " << error << "\n";
    io_error = true;
    return {analyzer::Analysis::failed({"invalid_input", "The file cannot be read: " + error, "hls", {}}),
            std::nullopt};
  }
  return app::analyze_text(fetcher, std::move(*text),
                           analyzer::InputInfo{"text", "", file_url(options.target)}, analysis_options);
}

// Reloads a live media playlist and checks each change (rfc8216bis §6.2). Returns the findings.
std::vector<analyzer::Finding> watch(ports::Fetcher& fetcher, const CheckOptions& options,
                                     const app::AnalysisOptions& analysis_options,
                                     const analyzer::Analysis& first, json::object& summary) {
  using analyzer::hls::LiveSnapshot;
  std::vector<analyzer::Finding> findings;
  const auto add = [&](const analyzer::FindingKind& kind, std::string message) {
    findings.push_back({kind.code, kind.level, std::move(message), 0, {}});
  };
  const auto* media = first.media_playlist();
  if (!media) {
    summary["skipped"] = "only media playlists are watched";
    return findings;
  }
  LiveSnapshot previous = LiveSnapshot::of(*media);
  const double target = std::max<double>(1.0, static_cast<double>(previous.target_duration));
  const double seconds = options.watch_seconds > 0 ? options.watch_seconds : 4 * target;
  const auto start = SteadyClock::now();
  auto last_growth = start;
  bool stale_reported = false;
  std::size_t reloads = 0, new_segments = 0, probed = 0;
  auto segment_policy = app::segment_policy(analysis_options);
  segment_policy.content_types.clear();
  const auto probe = [&](const std::string& uri, const std::string& base) {
    const auto url = analyzer::UrlResolver(base).resolve(uri);
    if (!url) return;
    ++probed;
    ports::FetchRequest request{*url, segment_policy, std::nullopt, 0, url->rfind("file://", 0) != 0};
    const auto result = fetcher.fetch(request);
    if (const auto* e = std::get_if<ports::FetchError>(&result))
      add(analyzer::codes::live_segment_unavailable, "Segment " + uri + " cannot be fetched: " + e->message);
  };
  std::string base = first.input().base_url;
  if (!previous.segments.empty()) probe(previous.segments.back().uri, base);
  while (!previous.end_list) {
    const double elapsed = std::chrono::duration<double>(SteadyClock::now() - start).count();
    if (elapsed >= seconds) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(target / 2, seconds - elapsed)));
    bool io_error = false;
    auto reloaded = load_and_analyze(fetcher, options, [&] {
      auto o = analysis_options;
      o.binary_check = false;
      return o;
    }(), io_error);
    ++reloads;
    const auto* next_media = reloaded.analysis.media_playlist();
    if (!next_media) {
      add(analyzer::codes::live_reload_failed,
          "Reload " + std::to_string(reloads) + " failed: " +
              (reloaded.analysis.error() ? reloaded.analysis.error()->message : "not a media playlist"));
      continue;
    }
    base = reloaded.analysis.input().base_url;
    LiveSnapshot next = LiveSnapshot::of(*next_media);
    for (auto& f : analyzer::hls::compare_reloads(previous, next)) findings.push_back(std::move(f));
    const auto now = SteadyClock::now();
    if (next.next_sequence() > previous.next_sequence()) {
      const std::uint64_t added = next.next_sequence() - previous.next_sequence();
      new_segments += added;
      last_growth = now;
      const std::size_t first_new = next.segments.size() - std::min<std::size_t>(added, next.segments.size());
      for (std::size_t i = first_new; i < next.segments.size() && i < first_new + 3; ++i)
        probe(next.segments[i].uri, base);
    } else if (!stale_reported && !next.end_list &&
               std::chrono::duration<double>(now - last_growth).count() > 1.5 * target) {
      stale_reported = true;
      add(analyzer::codes::live_playlist_stale,
          "No new segment for more than 1.5 target durations (" + analyzer::text::format_fixed3(1.5 * target) + " s).");
    }
    previous = std::move(next);
  }
  summary["reloads"] = reloads;
  summary["newSegments"] = new_segments;
  summary["segmentsProbed"] = probed;
  summary["seconds"] = std::chrono::duration<double>(SteadyClock::now() - start).count();
  summary["endList"] = previous.end_list;
  return findings;
}

void print_text(const app::ManifestAnalysis& result, const json::object* watch_summary, bool colour) {
  const auto& a = result.analysis;
  const auto paint = [&](const char* code, const std::string& s) {
    return colour ? std::string("\x1b[") + code + "m" + s + "\x1b[0m" : s;
  };
  if (const auto& e = a.error()) {
    std::cout << paint("1;31", "error " + e->code) << ": " << e->message << "\n";
    return;
  }
  std::cout << (a.kind() == "dash" ? "DASH MPD" : "HLS " + std::string(a.playlist_type()) + " playlist");
  if (!a.input().base_url.empty()) std::cout << "  " << a.input().base_url;
  std::cout << "\n";
  static constexpr std::pair<Level, const char*> kGroups[] = {
      {Level::error, "1;31"}, {Level::warning, "1;33"}, {Level::info, "36"}};
  for (const auto& [level, code] : kGroups) {
    std::size_t count = 0;
    for (const auto& f : a.findings()) count += f.level == level;
    if (count == 0) continue;
    std::cout << "\n" << paint(code, std::string(analyzer::to_string(level)) + " (" + std::to_string(count) + ")") << "\n";
    for (const auto& f : a.findings()) {
      if (f.level != level) continue;
      std::cout << "  " << f.code;
      if (f.line) std::cout << " (line " << f.line << ")";
      if (!f.path.empty()) std::cout << " (" << f.path << ")";
      std::cout << ": " << f.message << "\n";
    }
  }
  if (a.findings().empty()) std::cout << paint("32", "no findings") << "\n";
  if (result.binary) {
    std::cout << "\nCMAF binary check: " << result.binary->status() << "\n";
    for (const auto& c : result.binary->checks)
      std::cout << "  " << c.target.kind << " " << c.status
                << (c.failure_code.empty() ? "" : " " + c.failure_code)
                << (c.message.empty() ? "" : ": " + c.message) << "\n";
  }
  if (watch_summary) std::cout << "\nwatch: " << domain::to_json_text(*watch_summary) << "\n";
}

int run_check(const CheckOptions& options) {
  app::AnalysisOptions analysis_options;
  analysis_options.allow_private_networks =
      options.allow_private || env_flag("MTRACE_CHECK_ALLOW_PRIVATE_NETWORKS");
  analysis_options.binary_check = !options.no_binary;
  analysis_options.timeout = std::chrono::milliseconds(options.timeout_ms);
  adapters::fetch::BeastFetcher network;
  LocalFirstFetcher fetcher(network);
  bool io_error = false;
  auto result = load_and_analyze(fetcher, options, analysis_options, io_error);
  if (io_error) return 1;
  std::optional<json::object> watch_summary;
  if (options.watch && result.analysis.ok()) {
    watch_summary.emplace();
    result.analysis.add_findings(watch(fetcher, options, analysis_options, result.analysis, *watch_summary));
  }
  if (options.format == "text") {
    print_text(result, watch_summary ? &*watch_summary : nullptr, isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR"));
  } else {
    std::cout.flush();
    if (watch_summary) {
      std::string text = result.to_json();
      text.pop_back();  // the result object's closing brace: the watch summary joins the object
      domain::JsonWriter watch;
      watch.value(json::value(std::move(*watch_summary)));
      std::cout << text << ",\"watch\":" << watch.take() << "}\n";
    } else {
      // Streamed: a 100,000-segment result never exists as one string.
      domain::JsonWriter out(stdout);
      result.write_json(out);
      out.raw("\n");
      out.flush();
    }
  }
  if (!result.analysis.ok()) return 1;
  if (const auto threshold = analyzer::level_from(options.fail_on)) {
    for (const auto& f : result.analysis.findings())
      if (f.level >= *threshold) return kExitFindings;
  }
  return 0;
}

}  // namespace

void add_check_command(CLI::App& root, int& exit_code) {
  auto options = std::make_shared<CheckOptions>();
  auto* check = root.add_subcommand("check", "Analyse an HLS playlist or DASH MPD (URL or file)");
  check->add_option("target", options->target, "http(s) URL or path of the manifest")->required();
  check->add_option("--format", options->format, "json (default) or text")
      ->check(CLI::IsMember({"json", "text"}));
  check->add_option("--fail-on", options->fail_on,
                    "exit with 3 when a finding of this severity or worse exists")
      ->check(CLI::IsMember({"info", "warning", "error"}));
  check->add_flag("--allow-private", options->allow_private,
                  "allow private, loopback and link-local addresses (also "
                  "MTRACE_CHECK_ALLOW_PRIVATE_NETWORKS=1)");
  check->add_flag("--no-binary", options->no_binary, "skip the CMAF check of the first segments");
  check->add_option("--timeout-ms", options->timeout_ms, "time limit per fetch, DNS included")
      ->check(CLI::Range(1, 600'000));
  check->add_flag("--watch", options->watch,
                  "reload a live media playlist and check its continuity and timing");
  check->add_option("--watch-seconds", options->watch_seconds,
                    "how long to watch (default: four target durations)")
      ->check(CLI::Range(0.0, 86'400.0));
  check->callback([options, &exit_code] { exit_code = run_check(*options); });
}

}  // namespace mtrace::cli
