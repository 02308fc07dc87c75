// HLS playlists (rfc8216bis) as parsed from text. Every string_view points into the text given to
// the parser, which must outlive the playlist, or into the playlist's own `substituted` lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/finding.h"
#include "analyzer/hls/attributes.h"
#include "analyzer/url.h"

namespace mtrace::analyzer::hls {

enum class PlaylistKind : std::uint8_t { multivariant, media, unknown };

struct Classification {
  PlaylistKind kind = PlaylistKind::unknown;
  bool ambiguous = false;  // both multivariant and media tags
};

// Looks at tag names only. The caller has checked that the first line is #EXTM3U.
Classification classify(std::string_view text);

struct Variant {
  std::uint64_t bandwidth = 0;
  std::optional<std::uint64_t> average_bandwidth;
  std::optional<Resolution> resolution;
  std::vector<std::string_view> codecs;
  std::optional<double> frame_rate;
  std::string_view audio, video, subtitles, closed_captions;
  bool no_closed_captions = false;  // CLOSED-CAPTIONS=NONE, unquoted ("NONE" quoted names a group)
  std::string_view uri;
  std::size_t line = 0;      // the EXT-X-STREAM-INF line
  std::size_t uri_line = 0;
};

struct Rendition {
  std::string_view type, group_id, name, language, uri, channels;
  std::optional<bool> is_default, autoselect, forced;
  std::size_t line = 0;
};

struct IFrameVariant {
  std::uint64_t bandwidth = 0;
  std::string_view uri;
  std::size_t line = 0;
};

// Lines whose {$variable} references were replaced (EXT-X-DEFINE), kept for the views into them:
// a deque, so that they stay where they are as more are added, shared by copies of the playlist,
// whose views point to the same lines. Null when no line had a defined variable.
using SubstitutedLines = std::shared_ptr<std::deque<std::string>>;

struct MultivariantPlaylist {
  SubstitutedLines substituted;
  std::vector<Variant> variants;
  std::vector<Rendition> renditions;
  std::vector<IFrameVariant> i_frame_variants;
  std::optional<std::uint64_t> version;
  bool independent_segments = false;
};

struct ByteRange {
  std::uint64_t length = 0;
  std::optional<std::uint64_t> offset;
};
std::optional<ByteRange> parse_byte_range(std::string_view text);  // "<n>[@<o>]"

struct Part {
  double duration = 0;
  std::string_view uri;
  bool independent = false;
  bool gap = false;
  std::size_t line = 0;
};

struct Segment {
  std::string_view uri;
  std::string_view title;
  double duration = 0;
  bool duration_valid = false;
  bool discontinuity = false;
  bool gap = false;
  std::int64_t sequence = 0;
  std::optional<ByteRange> byte_range;
  std::optional<std::int64_t> program_date_time;  // µs since the epoch, when the segment has one
  std::uint32_t first_part = 0;                   // index into MediaPlaylist::parts
  std::uint32_t part_count = 0;
  std::size_t line = 0;                           // the URI line
};

struct InitSection {
  std::string_view uri;
  std::optional<ByteRange> byte_range;
  std::size_t line = 0;
};

struct ServerControl {
  bool can_block_reload = false;
  std::optional<double> hold_back, part_hold_back, can_skip_until;
  bool can_skip_dateranges = false;
  std::size_t line = 0;
};

struct PreloadHint {
  std::string_view type, uri;
  std::size_t line = 0;
};

struct RenditionReport {
  std::string_view uri;
  std::optional<std::uint64_t> last_msn, last_part;
  std::size_t line = 0;
};

struct MediaPlaylist {
  SubstitutedLines substituted;
  std::optional<std::uint64_t> target_duration;
  std::uint64_t media_sequence = 0;
  std::uint64_t discontinuity_sequence = 0;
  std::string_view playlist_type;
  std::optional<std::uint64_t> version;
  bool end_list = false;
  bool independent_segments = false;
  bool i_frames_only = false;
  bool encrypted = false;
  bool has_map_tag = false;  // any EXT-X-MAP line, even without URI
  bool has_discontinuity = false;
  bool has_program_date_time = false;
  std::optional<InitSection> map;  // the last valid EXT-X-MAP
  std::vector<Segment> segments;
  std::vector<Part> parts;  // parts of listed segments first, then those of the segment in progress
  std::size_t trailing_parts = 0;  // parts after the last full segment
  std::optional<double> part_target;
  std::optional<ServerControl> server_control;
  std::vector<PreloadHint> preload_hints;
  std::vector<RenditionReport> rendition_reports;
  std::uint64_t skipped_segments = 0;
};

// Parse and check. Findings go to `findings` (codes from finding_catalog.h).
MultivariantPlaylist parse_multivariant(std::string_view text, const UrlResolver& resolver,
                                        Findings& findings);
MediaPlaylist parse_media(std::string_view text, const UrlResolver& resolver, Findings& findings);

}  // namespace mtrace::analyzer::hls
