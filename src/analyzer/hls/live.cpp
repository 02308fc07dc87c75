#include "analyzer/hls/live.h"

#include <cmath>

#include "analyzer/finding_catalog.h"
#include "analyzer/text.h"

namespace mtrace::analyzer::hls {
namespace {

void add(std::vector<Finding>& out, const FindingKind& kind, std::string message) {
  out.push_back(Finding{kind.code, kind.level, std::move(message), 0, {}});
}

}  // namespace

LiveSnapshot LiveSnapshot::of(const MediaPlaylist& p) {
  LiveSnapshot s;
  s.target_duration = p.target_duration.value_or(0);
  s.media_sequence = p.media_sequence;
  s.skipped = p.skipped_segments;
  s.discontinuity_sequence = p.discontinuity_sequence;
  s.playlist_type = std::string(p.playlist_type);
  s.end_list = p.end_list;
  s.segments.reserve(p.segments.size());
  for (const auto& seg : p.segments) {
    s.segments.push_back({std::string(seg.uri), seg.duration, seg.discontinuity});
    s.total_duration += seg.duration;
  }
  return s;
}

std::vector<Finding> compare_reloads(const LiveSnapshot& before, const LiveSnapshot& after) {
  std::vector<Finding> out;
  const auto seq = [](std::uint64_t v) { return std::to_string(v); };
  if (before.target_duration != after.target_duration)
    add(out, codes::live_targetduration_changed,
        "EXT-X-TARGETDURATION changed from " + seq(before.target_duration) + " to " +
            seq(after.target_duration) + " between reloads.");
  if (after.media_sequence < before.media_sequence) {
    add(out, codes::live_media_sequence_regressed,
        "EXT-X-MEDIA-SEQUENCE went down from " + seq(before.media_sequence) + " to " +
            seq(after.media_sequence) + ".");
    return out;
  }
  const std::uint64_t removed = after.media_sequence - before.media_sequence;
  const bool changed = removed > 0 || after.segment_count() != before.segment_count() ||
                       after.end_list != before.end_list;
  if (changed && (before.end_list || before.playlist_type == "VOD"))
    add(out, codes::live_playlist_type_violated,
        before.end_list ? "The playlist changed after EXT-X-ENDLIST." : "A VOD playlist changed between reloads.");
  if (removed > 0 && before.playlist_type == "EVENT")
    add(out, codes::live_playlist_type_violated,
        "An EVENT playlist removed " + seq(removed) + " segments; it may only append.");
  // Segments listed in both must be the same; a shifted list shows a wrong sequence number. (A
  // delta update lists its segments from first_listed(): those it skipped cannot be compared.)
  for (std::uint64_t i = 0; i < before.segments.size(); ++i) {
    const std::uint64_t sequence = before.first_listed() + i;
    if (sequence < after.first_listed()) continue;
    const std::uint64_t j = sequence - after.first_listed();
    if (j >= after.segments.size()) break;
    const auto& old_segment = before.segments[i];
    const auto& new_segment = after.segments[j];
    if (old_segment.uri != new_segment.uri) {
      add(out, codes::live_media_sequence_mismatch,
          "Segment #" + seq(sequence) + " was " + old_segment.uri + " and is now " + new_segment.uri +
              ": EXT-X-MEDIA-SEQUENCE did not grow by the number of segments removed.");
      break;
    }
    if (std::fabs(old_segment.duration - new_segment.duration) > 1e-3) {
      add(out, codes::live_segment_changed,
          "Segment #" + seq(sequence) + " (" + new_segment.uri + ") changed its duration between reloads.");
      break;
    }
  }
  // The discontinuities removed are known when `before` listed every removed segment.
  if (before.skipped == 0 && removed <= before.segments.size()) {
    std::uint64_t removed_discontinuities = 0;
    for (std::uint64_t i = 0; i < removed; ++i) removed_discontinuities += before.segments[i].discontinuity;
    const std::uint64_t expected = before.discontinuity_sequence + removed_discontinuities;
    if (after.discontinuity_sequence != expected)
      add(out, codes::live_discontinuity_sequence_mismatch,
          "EXT-X-DISCONTINUITY-SEQUENCE is " + seq(after.discontinuity_sequence) + " but " +
              seq(expected) + " was expected after removing " + seq(removed_discontinuities) +
              " discontinuities.");
  }
  // A delta update skips only when the playlist is long (CAN-SKIP-UNTIL is six target durations).
  if (removed > 0 && after.skipped == 0 && after.target_duration > 0 &&
      after.total_duration < 3.0 * static_cast<double>(after.target_duration))
    add(out, codes::live_window_too_short,
        "Segments were removed although only " + text::format_fixed3(after.total_duration) +
            " s remain, less than three target durations.");
  return out;
}

}  // namespace mtrace::analyzer::hls
