// LabMediaOrigin: the HTTP handler mounted at /lab/. It serves the FFmpeg output folder (HLS
// playlists and segments, the DASH MPD and segments) with media content types, caching headers
// and open CORS (lab media is public), and applies the fault rules set at /lab/faults:
//   GET    /lab/faults  the rules in force
//   POST   /lab/faults  adds one rule, see parse_fault_rule()
//   DELETE /lab/faults  removes every rule
//   GET    /lab/time    the origin's clock (the MPD's UTCTiming source)
#pragma once

#include <string>
#include <string_view>

#include "adapters/http/exchange.h"
#include "adapters/lab/delayed_calls.h"
#include "adapters/lab/fault_rules.h"

namespace mtrace::adapters::lab {

inline constexpr std::string_view kLabPrefix = "/lab";

class LabMediaOrigin {
 public:
  // Serves the files below `media_root`.
  explicit LabMediaOrigin(std::string media_root);

  // The mounted handler: `request.path` starts with /lab/. Answers at once, or later from the
  // timer thread when a delay rule matches. Thread-safe.
  void handle(http::Request& request, http::Exchange exchange);
  // Answers every delayed request now; later delays are not applied (shutdown).
  void release_delayed() { delayed_.run_all_now(); }

  FaultRules& faults() { return faults_; }

 private:
  http::Response serve_file(std::string_view relative_path, bool head_only) const;
  http::Response handle_faults(const http::Request& request);

  std::string root_;
  FaultRules faults_;
  DelayedCalls delayed_;
};

// The content type of a lab media file by extension; empty for a type the lab does not serve.
std::string_view media_content_type(std::string_view path);

}  // namespace mtrace::adapters::lab
