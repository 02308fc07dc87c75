// Live playlist reload checks (rfc8216bis §6.2.1, §6.2.2): what may change between two reloads of
// the same media playlist. Pure: the caller reloads and measures time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer/finding.h"
#include "analyzer/hls/playlist.h"

namespace mtrace::analyzer::hls {

// The parts of a media playlist that reload checks compare; owns its strings.
struct LiveSnapshot {
  struct Entry {
    std::string uri;
    double duration = 0;
    bool discontinuity = false;
  };
  std::uint64_t target_duration = 0;
  std::uint64_t media_sequence = 0;  // of the playlist's first segment, listed or skipped
  std::uint64_t skipped = 0;         // segments a delta update (EXT-X-SKIP) left out, before `segments`
  std::uint64_t discontinuity_sequence = 0;
  std::string playlist_type;
  bool end_list = false;
  std::vector<Entry> segments;
  double total_duration = 0;

  static LiveSnapshot of(const MediaPlaylist& playlist);
  std::uint64_t first_listed() const { return media_sequence + skipped; }
  std::uint64_t segment_count() const { return skipped + segments.size(); }
  std::uint64_t next_sequence() const { return first_listed() + segments.size(); }
};

// Findings about the change from `before` to `after` (live_* codes).
std::vector<Finding> compare_reloads(const LiveSnapshot& before, const LiveSnapshot& after);

}  // namespace mtrace::analyzer::hls
