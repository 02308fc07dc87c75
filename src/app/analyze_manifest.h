// Stream analysis use cases: fetch a manifest (or take its text), analyse it, and verify the CMAF
// boxes of its first segments; and POST /api/analyze on top of that, with session linking and
// storage of linked results.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "analyzer/analyze.h"
#include "ports/clock.h"
#include "ports/event_store.h"
#include "ports/fetcher.h"
#include "ports/metrics.h"

namespace mtrace::app {

struct AnalysisOptions {
  std::chrono::milliseconds timeout{10'000};
  std::uint64_t max_manifest_bytes = 5'000'000;
  unsigned max_redirects = 5;
  bool allow_private_networks = false;  // the API never allows; `mtrace check --allow-private` may
  bool binary_check = true;
  std::uint64_t max_segment_bytes = 2'000'000;
  std::size_t max_binary_segments = 6;
};

// The fetch policies the analysis uses for manifests and for media segments.
ports::FetchPolicy manifest_policy(const AnalysisOptions& options);
ports::FetchPolicy segment_policy(const AnalysisOptions& options);

// An analysis with its CMAF binary report (when a check was planned).
struct ManifestAnalysis {
  analyzer::Analysis analysis;
  std::optional<analyzer::cmaf::BinaryReport> binary;
  void write_json(domain::JsonWriter& writer) const { analysis.write_json(writer, binary ? &*binary : nullptr); }
  std::string to_json(bool with_status = true) const {
    return analysis.to_json(binary ? &*binary : nullptr, with_status);
  }
};

// Maps a failed manifest fetch to the analyzer's error object (fetch_blocked, fetch_failed, ...).
analyzer::AnalysisError manifest_fetch_error(const ports::FetchError& error);

// Fetches `url` and analyses it. Segment fetches for the binary check go through `fetcher` too.
ManifestAnalysis analyze_url(ports::Fetcher& fetcher, const std::string& url,
                             const AnalysisOptions& options);
// Analyses `text`; `input` says where it came from and what relative URIs resolve against.
ManifestAnalysis analyze_text(ports::Fetcher& fetcher, std::string text, analyzer::InputInfo input,
                              const AnalysisOptions& options);

struct AnalyzeCall {
  std::string_view content_type;
  std::string_view body;
  bool body_too_large = false;               // the body was cut at the size limit
  std::optional<std::string> token_project;  // the project X-MTrace-Token resolved to
  bool token_sent = false;
};

struct AnalyzeReply {
  int status = 200;
  std::string json_body;
};

// POST /api/analyze (reference/analyzer.md §7.3, §7.4; errors as SPEC §8). Thread-safe when the
// ports are.
class AnalyzeManifest {
 public:
  static constexpr std::size_t kMaxBodyBytes = 1'048'576;

  AnalyzeManifest(ports::Fetcher& fetcher, ports::EventStore& store, ports::Metrics& metrics,
                  ports::Clock& clock, AnalysisOptions options = {});

  AnalyzeReply analyze(const AnalyzeCall& call);
  // The 503 for a request that found every analysis slot taken (counted like any other refusal).
  AnalyzeReply refuse_busy();

 private:
  AnalyzeReply fail(int status, std::string_view code, std::string_view message,
                    const boost::json::object* details = nullptr);

  ports::Fetcher& fetcher_;
  ports::EventStore& store_;
  ports::Metrics& metrics_;
  ports::Clock& clock_;
  AnalysisOptions options_;
};

}  // namespace mtrace::app
