// The analyzer's entry point: detects HLS or DASH, parses and checks, and writes the result or
// error object (the reference's shapes, with additive fields: finding locations, LL-HLS and DASH
// segment details). Pure: no I/O. Thread-compatible (one Analysis per thread).
#pragma once

#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "analyzer/cmaf/report.h"
#include "analyzer/dash/mpd.h"
#include "analyzer/finding.h"
#include "analyzer/hls/playlist.h"
#include "domain/json_writer.h"

namespace mtrace::analyzer {

inline constexpr std::string_view kAnalyzerVersion = "0.1.0";
// Findings of one code beyond this many are folded into one summary finding.
inline constexpr std::size_t kMaxFindingsPerCode = Findings::kMaxPerCode;

struct InputInfo {
  std::string source = "text";  // "text" | "url" | "file"
  std::string url;              // the URL asked for (source url)
  std::string base_url;         // what relative references resolve against
};

struct AnalysisError {
  std::string code;  // invalid_input | manifest_not_supported | manifest_not_hls |
                     // manifest_malformed | fetch_blocked | fetch_failed | manifest_too_large
  std::string message;
  std::string kind = "hls";
  boost::json::object details;
};

class Analysis {
 public:
  // An analysis that failed before parsing (input or fetch problems).
  static Analysis failed(AnalysisError error);

  const std::optional<AnalysisError>& error() const { return error_; }
  bool ok() const { return !error_; }
  std::string_view kind() const { return kind_; }                    // "hls" | "dash"
  std::string_view playlist_type() const { return playlist_type_; }  // master|media|unknown|dash
  const InputInfo& input() const { return input_; }
  const std::vector<Finding>& findings() const { return findings_.items(); }
  // Findings added from outside the parser (live mode).
  void add_findings(const std::vector<Finding>& more);

  const hls::MediaPlaylist* media_playlist() const { return std::get_if<hls::MediaPlaylist>(&parsed_); }
  const hls::MultivariantPlaylist* multivariant() const {
    return std::get_if<hls::MultivariantPlaylist>(&parsed_);
  }
  const dash::Mpd* mpd() const { return std::get_if<dash::Mpd>(&parsed_); }

  // The segments whose boxes show whether the stream is CMAF (empty when no signal points to
  // fMP4). At most `max_checks` targets.
  std::vector<cmaf::SegmentTarget> cmaf_plan(std::size_t max_checks = 6) const;

  // Writes the result object ({"status":"ok",...} or the error object) as one JSON value;
  // `with_status` false leaves out the leading "status" member (the API nests the object).
  void write_json(domain::JsonWriter& writer, const cmaf::BinaryReport* binary = nullptr,
                  bool with_status = true) const;
  // The same as text.
  std::string to_json(const cmaf::BinaryReport* binary = nullptr, bool with_status = true) const;

 private:
  friend Analysis analyze(std::string body, InputInfo input);
  std::shared_ptr<const std::string> body_;  // parsed_ holds views into it
  InputInfo input_;
  std::optional<AnalysisError> error_;
  std::string kind_ = "hls";
  std::string playlist_type_;
  Findings findings_;
  std::variant<std::monostate, hls::MultivariantPlaylist, hls::MediaPlaylist, dash::Mpd> parsed_;
};

// Analyses a manifest body. `input.base_url` resolves relative references (may be empty).
Analysis analyze(std::string body, InputInfo input);

}  // namespace mtrace::analyzer
