// Media playlists: segments, parts and the rfc8216bis rules over them.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_map>

#include "analyzer/finding_catalog.h"
#include "analyzer/hls/lines.h"
#include "analyzer/hls/playlist.h"
#include "analyzer/hls/tag_rules.h"
#include "analyzer/text.h"
#include "domain/timestamp.h"

namespace mtrace::analyzer::hls {
namespace {

std::string on_line(std::size_t line) { return " on line " + std::to_string(line); }
std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The date a segment of `seconds` ends at, from `start` (µs), clamped so that no EXTINF (1e300
// parses) overflows the arithmetic: durations to ~31 years, dates to ~year 33,000.
std::int64_t end_of(std::int64_t start, double seconds) {
  constexpr double kMaxMicros = 1e15;
  constexpr std::int64_t kLatest = 1'000'000'000'000'000'000;
  const auto micros = static_cast<std::int64_t>(std::min(seconds * 1e6, kMaxMicros));
  return start > kLatest - micros ? kLatest : start + micros;
}

// An ISO 8601 date-time (µs). Accepts the offset forms "+hh:mm", "+hhmm" and "+hh", and none at
// all (RFC 8216: a date SHOULD have a time zone), read as UTC with `zoned` false.
std::optional<std::int64_t> parse_date_time(std::string_view value, bool& zoned) {
  zoned = true;
  if (auto t = domain::parse_rfc3339(value)) return t;
  const auto sign = value.find_last_of("+-");
  if (sign == std::string_view::npos || sign < 19) {
    if (value.empty() || value.back() == 'Z' || value.back() == 'z') return std::nullopt;
    zoned = false;
    return domain::parse_rfc3339(std::string(value) + "Z");
  }
  std::string fixed(value.substr(0, sign + 1));
  const auto offset = value.substr(sign + 1);
  if (offset.size() == 4) fixed.append(offset.substr(0, 2)).append(":").append(offset.substr(2));
  else if (offset.size() == 2) fixed.append(offset).append(":00");
  else return std::nullopt;
  return domain::parse_rfc3339(fixed);
}

bool is_known_key_method(std::string_view m) {
  return m == "NONE" || m == "AES-128" || m == "SAMPLE-AES" || m == "SAMPLE-AES-CTR" ||
         m == "AES-256" || m == "AES-256-CTR";
}

bool is_valid_iv(std::string_view iv) {
  if (iv.size() != 34 || iv[0] != '0' || (iv[1] != 'x' && iv[1] != 'X')) return false;
  for (char c : iv.substr(2))
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

struct PendingExtinf {
  double duration = 0;
  bool valid = false;
  std::string_view title;
  std::string_view raw;
  std::size_t line = 0;
};

// What the duration checks need of the segments, summed as they are listed, so that a playlist
// whose extremes break no rule is not walked again (10,000 segment records are ~1 MB).
struct DurationTotals {
  double total = 0;  // every segment, an invalid duration counting 0
  double valid_sum = 0;
  double valid_min = std::numeric_limits<double>::infinity();
  double valid_max = 0;
  std::size_t valid_count = 0;
  std::size_t last_valid = 0;  // index of the last segment with a valid duration

  void add(const Segment& s, std::size_t index) {
    total += s.duration;
    if (!s.duration_valid) return;
    valid_sum += s.duration;
    valid_min = std::min(valid_min, s.duration);
    valid_max = std::max(valid_max, s.duration);
    ++valid_count;
    last_valid = index;
  }
};

struct KeyState {
  std::string_view method = "NONE";
  bool has_iv = false;
};

// The media playlist parser: one pass over the lines, then the checks that need the whole list.
class MediaParser {
 public:
  MediaParser(const UrlResolver& resolver, Findings& findings)
      : resolver_(resolver), findings_(findings), rules_(false, findings) {}

  MediaPlaylist run(std::string_view text) {
    out_.segments.reserve(static_cast<std::size_t>(text::count_byte(text, '\n') / 2));
    // Most playlists use no variables: one search of the text spares every line its own.
    const bool variables = text.find("{$") != std::string_view::npos;
    LineReader lines(text);
    std::string_view line;
    while (lines.next(line)) {
      const std::size_t number = lines.number();
      if (line.empty()) continue;
      if (line[0] != '#') {
        if (variables) line = rules_.with_variables(line, number, out_.substituted);
        on_uri(line, number);
        continue;
      }
      if (line.size() < 4 || line[1] != 'E' || line[2] != 'X' || line[3] != 'T') continue;
      if (variables) line = rules_.with_variables(line, number, out_.substituted);
      // Every other line is an EXTINF: spare it the search for the colon and the tag dispatch.
      if (line.size() >= 8 && std::memcmp(line.data(), "#EXTINF:", 8) == 0) on_extinf(line.substr(8), number);
      else on_tag(split_tag(line), number);
    }
    finish();
    return std::move(out_);
  }

 private:
  void on_tag(const Tag& tag, std::size_t line) {
    const auto name = tag.name;
    if (name == "#EXTINF") return on_extinf(tag.value, line);
    rules_.on_tag(tag, line);
    if (name == "#EXT-X-TARGETDURATION") on_target_duration(tag.value, line);
    else if (name == "#EXT-X-MEDIA-SEQUENCE") on_media_sequence(tag.value, line);
    else if (name == "#EXT-X-DISCONTINUITY-SEQUENCE") on_discontinuity_sequence(tag.value, line);
    else if (name == "#EXT-X-PLAYLIST-TYPE") on_playlist_type(tag.value, line);
    else if (name == "#EXT-X-ENDLIST") out_.end_list = true;
    else if (name == "#EXT-X-INDEPENDENT-SEGMENTS") out_.independent_segments = true;
    else if (name == "#EXT-X-I-FRAMES-ONLY") {
      out_.i_frames_only = true;
      rules_.require_version(4, "EXT-X-I-FRAMES-ONLY", line);
    } else if (name == "#EXT-X-KEY") on_key(tag.value, line);
    else if (name == "#EXT-X-MAP") on_map(tag.value, line);
    else if (name == "#EXT-X-BYTERANGE") on_byte_range(tag.value, line);
    else if (name == "#EXT-X-DISCONTINUITY") {
      check_before_parts("EXT-X-DISCONTINUITY", line);
      next_discontinuity_ = true;
      out_.has_discontinuity = true;
      seen_discontinuity_ = true;
    } else if (name == "#EXT-X-GAP") next_gap_ = true;
    else if (name == "#EXT-X-PROGRAM-DATE-TIME") on_program_date_time(tag.value, line);
    else if (name == "#EXT-X-DATERANGE") on_date_range(tag.value, line);
    else if (name == "#EXT-X-PART-INF") on_part_inf(tag.value, line);
    else if (name == "#EXT-X-PART") on_part(tag.value, line);
    else if (name == "#EXT-X-SERVER-CONTROL") on_server_control(tag.value, line);
    else if (name == "#EXT-X-PRELOAD-HINT") on_preload_hint(tag.value, line);
    else if (name == "#EXT-X-RENDITION-REPORT") on_rendition_report(tag.value, line);
    else if (name == "#EXT-X-SKIP") on_skip(tag.value, line);
  }

  void on_extinf(std::string_view value, std::size_t line) {
    if (pending_extinf_)
      findings_.add(codes::segment_missing_uri,
                    "EXTINF" + on_line(pending_extinf_->line) + " has no segment URI after it.",
                    pending_extinf_->line);
    PendingExtinf& p = pending_extinf_.emplace();
    p.line = line;
    const auto comma = value.find(',');
    p.raw = text::trim(value.substr(0, comma));
    if (comma != std::string_view::npos) p.title = text::trim(value.substr(comma + 1));
    if (auto d = text::parse_decimal(p.raw)) {
      p.duration = *d;
      p.valid = true;
      // Not find_first_of(".eE"): that calls memchr once per byte of the duration.
      if (std::ranges::any_of(p.raw, [](char c) { return c == '.' || c == 'e' || c == 'E'; }))
        rules_.require_version(3, "A decimal EXTINF duration", line);
    }
  }

  void on_uri(std::string_view uri, std::size_t line) {
    if (!pending_extinf_) {
      findings_.add(codes::segment_unexpected_uri,
                    "Line " + std::to_string(line) + " " + quote(uri.substr(0, 80)) +
                        " is neither a tag nor the URI of a segment announced by EXTINF.", line);
      pending_range_.reset();
      return;
    }
    const PendingExtinf& extinf = *pending_extinf_;
    if (!extinf.valid)
      findings_.add(codes::segment_malformed_extinf,
                    "EXTINF duration " + quote(extinf.raw) + on_line(extinf.line) +
                        " is not a non-negative decimal.", extinf.line);
    const std::size_t index = out_.segments.size();
    Segment& s = out_.segments.emplace_back();
    s.uri = uri;
    s.title = extinf.title;
    s.duration = extinf.duration;
    s.duration_valid = extinf.valid;
    s.discontinuity = next_discontinuity_;
    s.gap = next_gap_;
    s.program_date_time = next_pdt_;
    s.line = line;
    s.sequence = static_cast<std::int64_t>(out_.media_sequence + out_.skipped_segments) +
                 static_cast<std::int64_t>(index);
    s.first_part = static_cast<std::uint32_t>(segment_parts_begin_);
    s.part_count = static_cast<std::uint32_t>(out_.parts.size() - segment_parts_begin_);
    if (pending_range_) {
      ByteRange range = *pending_range_;
      if (!range.offset) {
        if (previous_range_uri_ == uri) {
          range.offset = previous_range_end_;
        } else {
          findings_.add(codes::media_byterange_no_previous,
                        "EXT-X-BYTERANGE" + on_line(pending_range_line_) +
                            " has no offset and the previous segment is not a sub-range of " +
                            quote(uri) + ".", pending_range_line_);
        }
      }
      s.byte_range = range;
      previous_range_uri_ = uri;
      previous_range_end_ = range.offset.value_or(0) + range.length;
      pending_range_.reset();
    } else {
      previous_range_uri_ = {};
    }
    if (resolver_.has_base() && !resolver_.resolvable(uri))
      findings_.add(codes::segment_malformed_uri,
                    "Segment URI " + quote(uri) + on_line(line) + " does not resolve against the base URL.",
                    line);
    durations_.add(s, index);
    pending_extinf_.reset();
    next_discontinuity_ = next_gap_ = false;
    next_pdt_.reset();
    segment_parts_begin_ = out_.parts.size();
  }

  void on_target_duration(std::string_view value, std::size_t line) {
    const auto v = text::parse_uint(text::trim(value));
    if (!v) {
      findings_.add(codes::media_malformed_targetduration,
                    "EXT-X-TARGETDURATION " + quote(text::trim(value)) + on_line(line) +
                        " is not a decimal integer.", line);
      return;
    }
    if (*v == 0)
      findings_.add(codes::media_targetduration_zero,
                    "EXT-X-TARGETDURATION" + on_line(line) + " is 0; it must be at least 1.", line);
    out_.target_duration = v;
  }

  bool any_segment_or_part() const { return !out_.segments.empty() || !out_.parts.empty(); }

  void on_media_sequence(std::string_view value, std::size_t line) {
    const auto v = text::parse_uint(text::trim(value));
    if (!v) {
      findings_.add(codes::media_malformed_mediasequence,
                    "EXT-X-MEDIA-SEQUENCE " + quote(text::trim(value)) + on_line(line) +
                        " is not a decimal integer; 0 is assumed.", line);
      return;
    }
    if (any_segment_or_part())
      findings_.add(codes::media_sequence_after_segments,
                    "EXT-X-MEDIA-SEQUENCE" + on_line(line) + " must come before the first segment.",
                    line);
    out_.media_sequence = *v;
  }

  void on_discontinuity_sequence(std::string_view value, std::size_t line) {
    const auto v = text::parse_uint(text::trim(value));
    if (!v) {
      findings_.add(codes::media_malformed_discontinuity_sequence,
                    "EXT-X-DISCONTINUITY-SEQUENCE " + quote(text::trim(value)) + on_line(line) +
                        " is not a decimal integer.", line);
      return;
    }
    if (any_segment_or_part() || seen_discontinuity_)
      findings_.add(codes::media_discontinuity_sequence_misplaced,
                    "EXT-X-DISCONTINUITY-SEQUENCE" + on_line(line) +
                        " must come before the first segment and before any EXT-X-DISCONTINUITY.", line);
    out_.discontinuity_sequence = *v;
  }

  void on_playlist_type(std::string_view value, std::size_t line) {
    out_.playlist_type = text::trim(value);
    playlist_type_line_ = line;
    if (out_.playlist_type != "VOD" && out_.playlist_type != "EVENT")
      findings_.add(codes::media_playlist_type_invalid,
                    "EXT-X-PLAYLIST-TYPE " + quote(out_.playlist_type) + on_line(line) +
                        " is neither EVENT nor VOD.", line);
  }

  void on_key(std::string_view value, std::size_t line) {
    check_before_parts("EXT-X-KEY", line);
    const AttributeList a(value);
    const auto method = a.get("METHOD").value_or("");
    key_ = KeyState{method, a.has("IV")};
    if (method == "NONE") {
      if (a.all().size() > 1)
        findings_.add(codes::hls_key_none_with_attributes,
                      "EXT-X-KEY METHOD=NONE" + on_line(line) + " must not have other attributes.", line);
      return;
    }
    if (!is_known_key_method(method) || !a.has("URI") || (a.has("IV") && !is_valid_iv(*a.get("IV"))))
      findings_.add(codes::hls_key_invalid,
                    "EXT-X-KEY" + on_line(line) +
                        " needs a known METHOD, a URI and, if given, an IV of 0x plus 32 hex digits.",
                    line);
    out_.encrypted = true;
    if (a.has("IV")) rules_.require_version(2, "EXT-X-KEY IV", line);
    if (a.has("KEYFORMAT") || a.has("KEYFORMATVERSIONS"))
      rules_.require_version(5, "EXT-X-KEY KEYFORMAT", line);
  }

  void on_map(std::string_view value, std::size_t line) {
    check_before_parts("EXT-X-MAP", line);
    out_.has_map_tag = true;
    const AttributeList a(value);
    const auto uri = a.get("URI");
    if (!uri || uri->empty()) {
      findings_.add(codes::media_map_missing_uri, "EXT-X-MAP" + on_line(line) + " has no URI.", line);
      return;
    }
    InitSection map{*uri, std::nullopt, line};
    if (auto range = a.get("BYTERANGE")) map.byte_range = parse_byte_range(*range);
    out_.map = map;
    if (key_.method == "AES-128" && !key_.has_iv)
      findings_.add(codes::hls_map_encrypted_without_iv,
                    "EXT-X-MAP" + on_line(line) + " is encrypted with AES-128 but its EXT-X-KEY has no IV.",
                    line);
    if (out_.i_frames_only) rules_.require_version(5, "EXT-X-MAP with EXT-X-I-FRAMES-ONLY", line);
    else rules_.require_version(6, "EXT-X-MAP", line);
  }

  void on_byte_range(std::string_view value, std::size_t line) {
    rules_.require_version(4, "EXT-X-BYTERANGE", line);
    const auto range = parse_byte_range(value);
    if (!range) {
      findings_.add(codes::media_byterange_malformed,
                    "EXT-X-BYTERANGE " + quote(text::trim(value)) + on_line(line) +
                        " is not <length>[@<offset>].", line);
      return;
    }
    if (pending_range_)
      findings_.add(codes::media_byterange_duplicate,
                    "EXT-X-BYTERANGE" + on_line(line) + " replaces the one" +
                        on_line(pending_range_line_) + " before any segment URI.", line);
    pending_range_ = range;
    pending_range_line_ = line;
  }

  void on_program_date_time(std::string_view value, std::size_t line) {
    check_before_parts("EXT-X-PROGRAM-DATE-TIME", line);
    out_.has_program_date_time = true;
    bool zoned = true;
    const auto t = parse_date_time(text::trim(value), zoned);
    if (!t) {
      findings_.add(codes::media_pdt_malformed,
                    "EXT-X-PROGRAM-DATE-TIME " + quote(text::trim(value)) + on_line(line) +
                        " is not an ISO 8601 date-time.", line);
      return;
    }
    if (!zoned) report_date_without_zone("EXT-X-PROGRAM-DATE-TIME", text::trim(value), line);
    next_pdt_ = t;
  }

  void report_date_without_zone(std::string_view what, std::string_view date, std::size_t line) {
    findings_.add(codes::hls_date_without_time_zone,
                  std::string(what) + " " + quote(date) + on_line(line) +
                      " has no time zone; it is read as UTC (RFC 8216: a date SHOULD have one).", line);
  }

  void on_date_range(std::string_view value, std::size_t line) {
    const AttributeList a(value);
    const auto id = a.get("ID");
    bool start_zoned = true, end_zoned = true;
    const auto start_text = a.get("START-DATE");
    const auto start = start_text ? parse_date_time(*start_text, start_zoned) : std::nullopt;
    const auto end_text = a.get("END-DATE");
    const auto end = end_text ? parse_date_time(*end_text, end_zoned) : std::nullopt;
    bool valid = id && !id->empty() && (!start_text || start) && (!end_text || end);
    for (const auto key : {"DURATION", "PLANNED-DURATION"})
      if (auto d = a.get(key); d && !text::parse_decimal(*d)) valid = false;
    if (!valid) {
      findings_.add(codes::hls_daterange_invalid,
                    "EXT-X-DATERANGE" + on_line(line) +
                        " needs an ID, ISO 8601 dates and non-negative durations.", line);
      return;
    }
    if (!start_zoned) report_date_without_zone("EXT-X-DATERANGE START-DATE", *start_text, line);
    if (!end_zoned) report_date_without_zone("EXT-X-DATERANGE END-DATE", *end_text, line);
    if (start && end && *end < *start)
      findings_.add(codes::hls_daterange_end_before_start,
                    "EXT-X-DATERANGE " + quote(*id) + on_line(line) + " ends before it starts.", line);
    auto [it, inserted] = date_ranges_.emplace(*id, start_text.value_or(""));
    if (!inserted && start_text && it->second != *start_text)
      findings_.add(codes::hls_daterange_id_reused,
                    "EXT-X-DATERANGE ID " + quote(*id) + on_line(line) +
                        " is reused with another START-DATE.", line);
  }

  void on_part_inf(std::string_view value, std::size_t line) {
    const AttributeList a(value);
    const auto target = a.get("PART-TARGET");
    out_.part_target = target ? text::parse_decimal(*target) : std::nullopt;
    if (!out_.part_target)
      findings_.add(codes::ll_part_invalid,
                    "EXT-X-PART-INF" + on_line(line) + " has no valid PART-TARGET.", line);
  }

  void on_part(std::string_view value, std::size_t line) {
    const AttributeList a(value);
    const auto duration = a.get("DURATION");
    const auto parsed = duration ? text::parse_decimal(*duration) : std::nullopt;
    const auto uri = a.get("URI");
    if (!parsed || !uri || uri->empty()) {
      findings_.add(codes::ll_part_invalid,
                    "EXT-X-PART" + on_line(line) + " needs a URI and a DURATION.", line);
      return;
    }
    if (!first_part_line_) first_part_line_ = line;
    Part p;
    p.duration = *parsed;
    p.uri = *uri;
    p.independent = a.get("INDEPENDENT") == std::optional<std::string_view>("YES");
    p.gap = a.get("GAP") == std::optional<std::string_view>("YES");
    p.line = line;
    out_.parts.push_back(p);
  }

  void on_server_control(std::string_view value, std::size_t line) {
    const AttributeList a(value);
    ServerControl sc;
    sc.line = line;
    sc.can_block_reload = a.get("CAN-BLOCK-RELOAD") == std::optional<std::string_view>("YES");
    sc.can_skip_dateranges = a.get("CAN-SKIP-DATERANGES") == std::optional<std::string_view>("YES");
    if (auto v = a.get("HOLD-BACK")) sc.hold_back = text::parse_decimal(*v);
    if (auto v = a.get("PART-HOLD-BACK")) sc.part_hold_back = text::parse_decimal(*v);
    if (auto v = a.get("CAN-SKIP-UNTIL")) sc.can_skip_until = text::parse_decimal(*v);
    out_.server_control = sc;
  }

  void on_preload_hint(std::string_view value, std::size_t line) {
    const AttributeList a(value);
    PreloadHint hint{a.get("TYPE").value_or(""), a.get("URI").value_or(""), line};
    bool duplicate = false;
    for (const auto& other : out_.preload_hints) duplicate |= other.type == hint.type;
    if ((hint.type != "PART" && hint.type != "MAP") || hint.uri.empty() || duplicate) {
      findings_.add(codes::ll_preload_hint_invalid,
                    "EXT-X-PRELOAD-HINT" + on_line(line) +
                        " needs TYPE=PART or MAP and a URI, at most once per TYPE.", line);
      return;
    }
    out_.preload_hints.push_back(hint);
  }

  void on_rendition_report(std::string_view value, std::size_t line) {
    const AttributeList a(value);
    RenditionReport report;
    report.uri = a.get("URI").value_or("");
    report.line = line;
    bool valid = !report.uri.empty();
    if (auto v = a.get("LAST-MSN")) valid &= (report.last_msn = text::parse_uint(*v)).has_value();
    if (auto v = a.get("LAST-PART")) valid &= (report.last_part = text::parse_uint(*v)).has_value();
    if (!valid) {
      findings_.add(codes::ll_rendition_report_invalid,
                    "EXT-X-RENDITION-REPORT" + on_line(line) +
                        " needs a URI and integer LAST-MSN/LAST-PART.", line);
      return;
    }
    out_.rendition_reports.push_back(report);
  }

  void on_skip(std::string_view value, std::size_t line) {
    rules_.require_version(9, "EXT-X-SKIP", line);
    const AttributeList a(value);
    const auto skipped = a.get("SKIPPED-SEGMENTS");
    const auto count = skipped ? text::parse_uint(*skipped) : std::nullopt;
    const bool allowed = out_.server_control && out_.server_control->can_skip_until;
    if (!count || !allowed || !out_.segments.empty()) {
      findings_.add(codes::ll_skip_invalid,
                    "EXT-X-SKIP" + on_line(line) +
                        " needs an integer SKIPPED-SEGMENTS, a SERVER-CONTROL with CAN-SKIP-UNTIL, "
                        "and must precede the segments.", line);
    }
    if (count && *count < (std::uint64_t{1} << 40)) out_.skipped_segments = *count;
  }

  void check_before_parts(std::string_view tag, std::size_t line) {
    if (out_.parts.size() > segment_parts_begin_)
      findings_.add(codes::ll_tag_after_part,
                    std::string(tag) + on_line(line) +
                        " comes after the first EXT-X-PART of its segment; it must come before it.",
                    line);
  }

  void finish();
  void check_durations();
  void check_program_date_times();
  void check_low_latency();

  const UrlResolver& resolver_;
  Findings& findings_;
  TagRules rules_;
  MediaPlaylist out_;
  std::optional<PendingExtinf> pending_extinf_;
  DurationTotals durations_;
  std::optional<ByteRange> pending_range_;
  std::size_t pending_range_line_ = 0;
  std::string_view previous_range_uri_;
  std::uint64_t previous_range_end_ = 0;
  bool next_discontinuity_ = false, next_gap_ = false, seen_discontinuity_ = false;
  std::optional<std::int64_t> next_pdt_;
  std::size_t segment_parts_begin_ = 0;
  std::size_t playlist_type_line_ = 0;
  std::optional<std::size_t> first_part_line_;
  KeyState key_;
  std::unordered_map<std::string_view, std::string_view> date_ranges_;
};

void MediaParser::finish() {
  if (pending_extinf_)
    findings_.add(codes::segment_missing_uri,
                  "EXTINF" + on_line(pending_extinf_->line) + " has no segment URI after it.",
                  pending_extinf_->line);
  if (pending_range_)
    findings_.add(codes::media_byterange_orphan,
                  "EXT-X-BYTERANGE" + on_line(pending_range_line_) + " has no segment after it.",
                  pending_range_line_);
  out_.trailing_parts = out_.parts.size() - segment_parts_begin_;
  if (!out_.target_duration)
    findings_.add(codes::media_missing_targetduration,
                  "The media playlist has no valid EXT-X-TARGETDURATION.");
  check_durations();
  check_program_date_times();
  check_low_latency();
  if (out_.playlist_type == "VOD" && !out_.end_list)
    findings_.add(codes::media_vod_missing_endlist,
                  "EXT-X-PLAYLIST-TYPE:VOD" + on_line(playlist_type_line_) +
                      " but no EXT-X-ENDLIST: a VOD playlist is complete.", playlist_type_line_);
  if (out_.encrypted)
    findings_.add(codes::media_encryption_present, "Segments are encrypted (EXT-X-KEY).");
  if (out_.has_map_tag)
    findings_.add(codes::media_init_segment_present,
                  "The playlist has an initialization section (EXT-X-MAP).");
  if (out_.has_discontinuity)
    findings_.add(codes::media_discontinuity_present, "The playlist has EXT-X-DISCONTINUITY.");
  if (out_.has_program_date_time)
    findings_.add(codes::media_program_date_time_present,
                  "The playlist carries EXT-X-PROGRAM-DATE-TIME.");
  rules_.finish();
  out_.version = rules_.version();
}

void MediaParser::check_durations() {
  const auto& segments = out_.segments;
  const auto td = out_.target_duration;
  if (td && std::floor(durations_.valid_max + 0.5) > static_cast<double>(*td)) {
    for (const auto& s : segments) {
      const double rounded = std::floor(s.duration + 0.5);
      if (!s.duration_valid || rounded <= static_cast<double>(*td)) continue;
      findings_.add(codes::segment_duration_exceeds_target,
                    "Segment #" + std::to_string(s.sequence) + on_line(s.line) + " lasts " +
                        text::format_fixed3(s.duration) + " s (rounded " + text::format_number(rounded) +
                        " s), above EXT-X-TARGETDURATION " + std::to_string(*td) + ".", s.line);
    }
  }
  if (durations_.valid_count >= 2) {
    const double anchor =
        td ? static_cast<double>(*td) : durations_.valid_sum / static_cast<double>(durations_.valid_count);
    const double lower = anchor * 0.5;
    if (durations_.valid_min < lower) {
      for (std::size_t i = 0; i < segments.size(); ++i) {
        const auto& s = segments[i];
        if (!s.duration_valid || s.duration >= lower) continue;
        if (i == durations_.last_valid && out_.end_list) continue;  // the last segment of a VOD may be short
        findings_.add(codes::segment_duration_outlier,
                      "Segment #" + std::to_string(s.sequence) + on_line(s.line) + " lasts " +
                          text::format_fixed3(s.duration) + " s, under 50% of the " +
                          (td ? "target duration" : "mean duration") + " (" +
                          text::format_fixed3(anchor) + " s).", s.line);
      }
    }
  }
  if (td && *td > 0 && !out_.end_list && out_.playlist_type != "EVENT" && !segments.empty() &&
      durations_.total < 3.0 * static_cast<double>(*td))
    findings_.add(codes::media_live_window_short,
                  "The live playlist lists " + text::format_fixed3(durations_.total) +
                      " s of media, less than three target durations (" +
                      std::to_string(3 * *td) + " s); players start too close to the live edge.");
}

void MediaParser::check_program_date_times() {
  if (!out_.has_program_date_time) return;
  std::optional<std::int64_t> expected;  // the date the next segment should start at
  bool reported_missing = false;
  for (const auto& s : out_.segments) {
    if (s.discontinuity && !s.program_date_time && !reported_missing) {
      reported_missing = true;
      findings_.add(codes::media_pdt_missing_at_discontinuity,
                    "Segment #" + std::to_string(s.sequence) + on_line(s.line) +
                        " starts a discontinuity without EXT-X-PROGRAM-DATE-TIME.", s.line);
    }
    if (s.program_date_time && expected) {
      const std::int64_t delta = *s.program_date_time - *expected;
      const bool backwards = delta < -domain::kMicrosPerSecond;
      const bool drift = !s.discontinuity && delta > domain::kMicrosPerSecond;
      if (backwards || drift)
        findings_.add(codes::media_pdt_not_monotonic,
                      "EXT-X-PROGRAM-DATE-TIME of segment #" + std::to_string(s.sequence) +
                          on_line(s.line) + " is " +
                          text::format_fixed3(static_cast<double>(delta) / 1e6) +
                          " s off the previous date plus its EXTINF durations.", s.line);
    }
    const auto start = s.program_date_time ? s.program_date_time : expected;
    if (start) expected = end_of(*start, s.duration);
  }
}

void MediaParser::check_low_latency() {
  const auto& parts = out_.parts;
  const auto td = out_.target_duration;
  if (!parts.empty() && !out_.part_target)
    findings_.add(codes::ll_part_inf_missing,
                  "EXT-X-PART" + on_line(*first_part_line_) + " needs an EXT-X-PART-INF.",
                  *first_part_line_);
  if (out_.part_target) {
    const double target = *out_.part_target;
    // A part may be short when independent, a gap, before a gap, or the last of its segment.
    std::vector<bool> exempt(parts.size(), false);
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].independent || parts[i].gap) exempt[i] = true;
      if (i > 0 && parts[i].gap) exempt[i - 1] = true;
    }
    for (const auto& s : out_.segments)
      if (s.part_count > 0) exempt[s.first_part + s.part_count - 1] = true;
    bool reported_long = false, reported_short = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const auto& p = parts[i];
      if (!reported_long && p.duration > target + 1e-3) {
        reported_long = true;
        findings_.add(codes::ll_part_duration_exceeds_target,
                      "EXT-X-PART" + on_line(p.line) + " lasts " + text::format_fixed3(p.duration) +
                          " s, above PART-TARGET " + text::format_fixed3(target) + " s.", p.line);
      }
      if (!reported_short && !exempt[i] && p.duration < 0.85 * target) {
        reported_short = true;
        findings_.add(codes::ll_part_duration_short,
                      "EXT-X-PART" + on_line(p.line) + " lasts " + text::format_fixed3(p.duration) +
                          " s, under 85% of PART-TARGET " + text::format_fixed3(target) + " s.", p.line);
      }
    }
    const auto& sc = out_.server_control;
    if (!sc || !sc->part_hold_back) {
      findings_.add(codes::ll_part_hold_back_missing,
                    "EXT-X-PART-INF is present but EXT-X-SERVER-CONTROL has no PART-HOLD-BACK.");
    } else if (*sc->part_hold_back < 2 * target) {
      findings_.add(codes::ll_part_hold_back_too_small,
                    "PART-HOLD-BACK " + text::format_fixed3(*sc->part_hold_back) + on_line(sc->line) +
                        " is below twice PART-TARGET.", sc->line);
    } else if (*sc->part_hold_back < 3 * target) {
      findings_.add(codes::ll_part_hold_back_below_recommended,
                    "PART-HOLD-BACK " + text::format_fixed3(*sc->part_hold_back) + on_line(sc->line) +
                        " is below the recommended three times PART-TARGET.", sc->line);
    }
  }
  // Parts of segments more than three target durations from the end should be gone.
  if (td && !parts.empty()) {
    double after = 0;
    for (std::size_t i = out_.segments.size(); i-- > 0;) {
      const auto& s = out_.segments[i];
      if (s.part_count > 0 && after >= 3.0 * static_cast<double>(*td)) {
        findings_.add(codes::ll_parts_too_old,
                      "Segment #" + std::to_string(s.sequence) + on_line(s.line) +
                          " still lists parts although it is more than three target durations "
                          "from the end.", s.line);
        break;
      }
      after += s.duration;
    }
  }
  if (const auto& sc = out_.server_control) {
    const double target = td ? static_cast<double>(*td) : 0;
    if (sc->hold_back && td && *sc->hold_back < 3 * target)
      findings_.add(codes::ll_hold_back_too_small,
                    "HOLD-BACK " + text::format_fixed3(*sc->hold_back) + on_line(sc->line) +
                        " is below three target durations.", sc->line);
    if (sc->can_skip_until && td && *sc->can_skip_until < 6 * target)
      findings_.add(codes::ll_can_skip_until_too_small,
                    "CAN-SKIP-UNTIL " + text::format_fixed3(*sc->can_skip_until) + on_line(sc->line) +
                        " is below six target durations.", sc->line);
    if (sc->can_skip_dateranges && !sc->can_skip_until)
      findings_.add(codes::ll_skip_dateranges_without_skip_until,
                    "CAN-SKIP-DATERANGES=YES" + on_line(sc->line) + " without CAN-SKIP-UNTIL.",
                    sc->line);
  }
}

}  // namespace

std::optional<ByteRange> parse_byte_range(std::string_view text) {
  text = text::trim(text);
  const auto at = text.find('@');
  ByteRange range;
  const auto length = text::parse_uint(text::trim(text.substr(0, at)));
  if (!length) return std::nullopt;
  range.length = *length;
  if (at != std::string_view::npos) {
    range.offset = text::parse_uint(text::trim(text.substr(at + 1)));
    if (!range.offset) return std::nullopt;
  }
  return range;
}

MediaPlaylist parse_media(std::string_view text, const UrlResolver& resolver, Findings& findings) {
  return MediaParser(resolver, findings).run(text);
}

}  // namespace mtrace::analyzer::hls
