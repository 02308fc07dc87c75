// DASH MPD (ISO/IEC 23009-1) read with pugixml: Period / AdaptationSet / Representation with
// inherited attributes, BaseURL resolution, SegmentTemplate ($Number$, $Time$), SegmentTimeline,
// SegmentList and SegmentBase, and the checks over them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzer/finding.h"
#include "analyzer/url.h"

namespace mtrace::analyzer::dash {

struct Range {  // an inclusive byte range "first-last"
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};
std::optional<Range> parse_range(std::string_view text);

struct Representation {
  std::string id;
  std::uint64_t bandwidth = 0;
  std::optional<std::uint64_t> width, height;
  std::string frame_rate, codecs, mime_type, audio_sampling_rate;
  std::string segment_kind;          // "template" | "list" | "base" | "" (none)
  std::string initialization;        // resolved init URL ("" when none or unresolved)
  std::optional<Range> initialization_range;
  std::string first_media;           // resolved URL of the first media segment
  std::optional<Range> first_media_range;
  std::optional<std::uint64_t> segment_count;  // from SegmentTimeline or SegmentList
  std::string path;                  // XML path for findings and anchors
};

struct AdaptationSet {
  std::string id, mime_type, codecs, content_type, lang, period_id;
  std::vector<Representation> representations;
  std::string path;
};

struct Mpd {
  std::string profiles, type;
  bool dynamic = false;
  std::string media_presentation_duration, minimum_update_period, availability_start_time;
  std::size_t period_count = 0;
  std::vector<AdaptationSet> adaptation_sets;  // of every Period, in document order
};

// Parses and checks. Returns nullopt (with `error` set) when the text is not well-formed XML or
// has no MPD root element.
std::optional<Mpd> parse_mpd(std::string_view text, const UrlResolver& resolver, Findings& findings,
                             std::string& error);

// xs:duration ("PT1H2M3.5S", "P1DT2H") in seconds; nullopt when it does not parse.
std::optional<double> parse_duration(std::string_view text);

}  // namespace mtrace::analyzer::dash
