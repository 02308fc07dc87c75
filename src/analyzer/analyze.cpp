#include "analyzer/analyze.h"

#include <algorithm>
#include <boost/json/value.hpp>

#include "analyzer/finding_catalog.h"
#include "analyzer/text.h"

namespace mtrace::analyzer {
namespace json = boost::json;
using domain::JsonWriter;
namespace {

enum class Format { hls, dash, unsupported };

Format detect(std::string_view body) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  while (!body.empty() && text::is_space(body.front())) body.remove_prefix(1);
  if (body.substr(0, 7) == "#EXTM3U") return Format::hls;
  if (body.empty() || body.front() != '<') return Format::unsupported;
  const auto head = body.substr(0, 64 * 1024);
  if (head.find("<MPD") != std::string_view::npos || head.find(":MPD") != std::string_view::npos)
    return Format::dash;
  return Format::unsupported;
}

// Called for every segment of a playlist without fMP4 ones (twice per analysis): one pass to the
// query or fragment, then a compare of the last few bytes, without allocating.
bool has_fmp4_extension(std::string_view uri, bool count_mp4) {
  uri = uri.substr(0, std::min(uri.find('?'), uri.find('#')));
  const auto ends = [&](std::string_view extension) {
    return uri.size() >= extension.size() && text::iequals(uri.substr(uri.size() - extension.size()), extension);
  };
  return ends(".m4s") || ends(".cmfv") || ends(".cmfa") || ends(".cmft") || (count_mp4 && ends(".mp4"));
}

bool is_mp4_mime(std::string_view mime) {
  return mime == "video/mp4" || mime == "audio/mp4" || mime == "application/mp4";
}

void write_finding(JsonWriter& w, const Finding& f) {
  w.begin_object().member("code", f.code).member("level", to_string(f.level)).member("message", f.message);
  if (f.line) w.member("line", f.line);
  if (!f.path.empty()) w.member("path", f.path);
  w.end_object();
}

void write_input(JsonWriter& w, const InputInfo& input) {
  w.begin_object().member("source", input.source);
  if (!input.url.empty()) w.member("url", input.url);
  if (!input.base_url.empty()) w.member("baseUrl", input.base_url);
  w.end_object();
}

void write_byte_range(JsonWriter& w, const hls::ByteRange& r) {
  w.begin_object().member("length", r.length);
  if (r.offset) w.member("offset", *r.offset);
  w.end_object();
}

void write_resolved(JsonWriter& w, const UrlResolver& resolver, std::string_view uri) {
  if (!resolver.has_base() || uri.empty()) return;
  if (auto r = resolver.resolve(uri)) w.member("resolvedUri", *r);
}

// The details of each kind are written as members of an object the caller opens and closes.
void write_multivariant_members(JsonWriter& w, const hls::MultivariantPlaylist& p, const UrlResolver& resolver) {
  w.key("variants").begin_array();
  for (const auto& v : p.variants) {
    w.begin_object().member("bandwidth", v.bandwidth);
    if (v.average_bandwidth) w.member("averageBandwidth", *v.average_bandwidth);
    if (v.resolution)
      w.key("resolution").begin_object().member("width", v.resolution->width)
          .member("height", v.resolution->height).end_object();
    if (!v.codecs.empty()) {
      w.key("codecs").begin_array();
      for (auto c : v.codecs) w.value(c);
      w.end_array();
    }
    if (v.frame_rate) w.member("frameRate", *v.frame_rate);
    if (!v.audio.empty()) w.member("audio", v.audio);
    if (!v.video.empty()) w.member("video", v.video);
    if (!v.subtitles.empty()) w.member("subtitles", v.subtitles);
    if (!v.closed_captions.empty()) w.member("closedCaptions", v.closed_captions);
    w.member("uri", v.uri);
    write_resolved(w, resolver, v.uri);
    w.member("line", v.line).end_object();
  }
  w.end_array().key("renditions").begin_array();
  for (const auto& r : p.renditions) {
    w.begin_object().member("type", r.type).member("groupId", r.group_id).member("name", r.name);
    if (!r.language.empty()) w.member("language", r.language);
    if (!r.uri.empty()) w.member("uri", r.uri);
    write_resolved(w, resolver, r.uri);
    if (r.is_default) w.member("default", *r.is_default);
    if (r.autoselect) w.member("autoselect", *r.autoselect);
    if (r.forced) w.member("forced", *r.forced);
    if (!r.channels.empty()) w.member("channels", r.channels);
    w.member("line", r.line).end_object();
  }
  w.end_array();
  if (!p.i_frame_variants.empty()) {
    w.key("iFrameVariants").begin_array();
    for (const auto& f : p.i_frame_variants) {
      w.begin_object().member("bandwidth", f.bandwidth).member("uri", f.uri).member("line", f.line);
      write_resolved(w, resolver, f.uri);
      w.end_object();
    }
    w.end_array();
  }
  if (p.version) w.member("version", *p.version);
  w.member("independentSegments", p.independent_segments);
}

void write_media_members(JsonWriter& w, const hls::MediaPlaylist& p, const UrlResolver& resolver) {
  if (p.target_duration) w.member("targetDuration", *p.target_duration);
  w.member("mediaSequence", p.media_sequence).member("discontinuitySequence", p.discontinuity_sequence);
  if (!p.playlist_type.empty()) w.member("playlistType", p.playlist_type);
  if (p.version) w.member("version", *p.version);
  w.member("endList", p.end_list).member("live", !p.end_list);
  if (!p.end_list && p.target_duration) w.member("liveLatencyEstimateSeconds", 3 * *p.target_duration);
  w.key("segments").begin_array();
  double total = 0, min = 0, max = 0;
  for (const auto& s : p.segments) {
    w.begin_object().member("uri", s.uri).member("duration", s.duration).member("sequenceNumber", s.sequence);
    if (!s.title.empty()) w.member("title", s.title);
    write_resolved(w, resolver, s.uri);
    if (s.byte_range) write_byte_range(w.key("byteRange"), *s.byte_range);
    if (s.discontinuity) w.member("discontinuity", true);
    if (s.gap) w.member("gap", true);
    if (s.part_count) w.member("parts", s.part_count);
    w.member("line", s.line).end_object();
    min = &s == &p.segments.front() ? s.duration : std::min(min, s.duration);
    max = std::max(max, s.duration);
    total += s.duration;
  }
  w.end_array();
  const double count = static_cast<double>(p.segments.size());
  w.key("summary").begin_object()
      .member("count", p.segments.size())
      .member("averageDuration", count > 0 ? total / count : 0)
      .member("minDuration", min)
      .member("maxDuration", max)
      .member("totalDuration", total)
      .end_object();
  if (p.map) {
    w.key("map").begin_object().member("uri", p.map->uri).member("line", p.map->line);
    write_resolved(w, resolver, p.map->uri);
    if (p.map->byte_range) write_byte_range(w.key("byteRange"), *p.map->byte_range);
    w.end_object();
  }
  if (p.part_target || !p.parts.empty() || p.server_control || !p.preload_hints.empty() ||
      !p.rendition_reports.empty() || p.skipped_segments) {
    w.key("lowLatency").begin_object();
    if (p.part_target) w.member("partTarget", *p.part_target);
    w.member("partCount", p.parts.size()).member("trailingParts", p.trailing_parts);
    if (const auto& sc = p.server_control) {
      w.key("serverControl").begin_object().member("canBlockReload", sc->can_block_reload);
      if (sc->hold_back) w.member("holdBack", *sc->hold_back);
      if (sc->part_hold_back) w.member("partHoldBack", *sc->part_hold_back);
      if (sc->can_skip_until) w.member("canSkipUntil", *sc->can_skip_until);
      w.member("canSkipDateranges", sc->can_skip_dateranges).end_object();
    }
    w.key("preloadHints").begin_array();
    for (const auto& h : p.preload_hints)
      w.begin_object().member("type", h.type).member("uri", h.uri).end_object();
    w.end_array().key("renditionReports").begin_array();
    for (const auto& r : p.rendition_reports) {
      w.begin_object().member("uri", r.uri);
      if (r.last_msn) w.member("lastMsn", *r.last_msn);
      if (r.last_part) w.member("lastPart", *r.last_part);
      w.end_object();
    }
    w.end_array();
    if (p.skipped_segments) w.member("skippedSegments", p.skipped_segments);
    w.end_object();
  }
}

void write_mpd_members(JsonWriter& w, const dash::Mpd& mpd) {
  if (!mpd.profiles.empty()) w.member("profiles", mpd.profiles);
  w.member("type", mpd.dynamic ? "dynamic" : "static").member("live", mpd.dynamic);
  if (!mpd.media_presentation_duration.empty())
    w.member("mediaPresentationDuration", mpd.media_presentation_duration);
  if (!mpd.minimum_update_period.empty()) w.member("minimumUpdatePeriod", mpd.minimum_update_period);
  if (!mpd.availability_start_time.empty()) w.member("availabilityStartTime", mpd.availability_start_time);
  w.member("periodCount", mpd.period_count).key("adaptationSets").begin_array();
  for (const auto& as : mpd.adaptation_sets) {
    w.begin_object();
    if (!as.id.empty()) w.member("id", as.id);
    if (!as.mime_type.empty()) w.member("mimeType", as.mime_type);
    if (!as.codecs.empty()) w.member("codecs", as.codecs);
    if (!as.content_type.empty()) w.member("contentType", as.content_type);
    if (!as.lang.empty()) w.member("lang", as.lang);
    if (!as.period_id.empty()) w.member("periodId", as.period_id);
    w.key("representations").begin_array();
    for (const auto& r : as.representations) {
      w.begin_object().member("id", r.id).member("bandwidth", r.bandwidth);
      if (r.width) w.member("width", *r.width);
      if (r.height) w.member("height", *r.height);
      if (!r.frame_rate.empty()) w.member("frameRate", r.frame_rate);
      if (!r.codecs.empty()) w.member("codecs", r.codecs);
      if (!r.mime_type.empty()) w.member("mimeType", r.mime_type);
      if (!r.audio_sampling_rate.empty()) w.member("audioSamplingRate", r.audio_sampling_rate);
      if (!r.segment_kind.empty()) w.member("segmentInfo", r.segment_kind);
      if (!r.initialization.empty()) w.member("initializationUrl", r.initialization);
      if (!r.first_media.empty()) w.member("firstSegmentUrl", r.first_media);
      if (r.segment_count) w.member("segmentCount", *r.segment_count);
      w.end_object();
    }
    w.end_array().end_object();
  }
  w.end_array();
}

struct CmafSignal {
  std::string code;
  std::string anchor;
  std::string_view confidence;  // "manifest" | "inferred"
};

struct CmafSignals {
  std::vector<CmafSignal> signals;
  bool from_manifest = false;  // the manifest states the segment format (not only inferred)
};

// The CMAF signals the manifest gives (reference §2.6, §3.7); no signals when there are none.
CmafSignals cmaf_signals(const Analysis& a) {
  CmafSignals found;
  auto& signals = found.signals;
  if (const auto* m = a.media_playlist()) {
    if (m->map) {
      signals.push_back({"hls_ext_x_map", "media:line:" + std::to_string(m->map->line), "manifest"});
      if (m->map->byte_range)
        signals.push_back({"hls_ext_x_map_byterange", "media:line:" + std::to_string(m->map->line), "manifest"});
    }
    for (const auto& s : m->segments) {
      if (!has_fmp4_extension(s.uri, false)) continue;
      signals.push_back({"hls_segment_extension_fmp4", "media:line:" + std::to_string(s.line),
                         m->map ? "manifest" : "inferred"});
      break;
    }
    if (m->independent_segments && !signals.empty())
      signals.push_back({"hls_independent_segments", "media:tag:#EXT-X-INDEPENDENT-SEGMENTS", "inferred"});
  } else if (const auto* mv = a.multivariant()) {
    for (const auto& v : mv->variants)
      if (has_fmp4_extension(v.uri, false))
        signals.push_back({"hls_master_variant_fmp4_uri", "master:line:" + std::to_string(v.uri_line), "inferred"});
  } else if (const auto* mpd = a.mpd()) {
    for (const auto& as : mpd->adaptation_sets) {
      for (const auto& r : as.representations) {
        if (r.initialization.empty() && r.first_media.empty()) continue;
        const std::string kind = r.segment_kind == "list" ? "dash_segment_list" : "dash_segment_template";
        if (!r.initialization.empty() && r.segment_kind != "base")
          signals.push_back({kind + "_initialization", r.path, "manifest"});
        if (!r.first_media.empty() && r.segment_kind != "base")
          signals.push_back({kind + "_media", r.path, "manifest"});
        if (has_fmp4_extension(r.first_media, true))
          signals.push_back({"dash_segment_extension_fmp4", r.path, "manifest"});
        found.from_manifest = true;
        break;
      }
      if (is_mp4_mime(as.mime_type))
        signals.push_back({"dash_mime_" + as.mime_type.substr(0, as.mime_type.find('/')) + "_mp4",
                           as.path + "/@mimeType", "inferred"});
    }
  }
  for (const auto& s : signals) found.from_manifest |= s.confidence == "manifest";
  return found;
}

void write_binary(JsonWriter& w, const cmaf::BinaryReport& report) {
  w.begin_object().member("status", report.status()).key("segmentsChecked").begin_array();
  for (const auto& c : report.checks) {
    w.begin_object().member("kind", c.target.kind).member("manifestAnchor", c.target.anchor);
    if (!c.target.uri.empty()) w.member("uri", c.target.uri);
    w.member("status", c.status);
    if (!c.failure_code.empty()) w.member("failureCode", c.failure_code);
    if (!c.message.empty()) w.member("message", c.message);
    if (c.status != "skipped") {
      w.member("resolvedUrl", c.resolved_url).member("contentType", c.content_type)
          .member("bytesRead", c.bytes_read);
      if (!c.verdict.brands.empty()) {
        w.key("brands").begin_array();
        for (const auto& b : c.verdict.brands) w.value(b);
        w.end_array();
      }
    }
    w.end_object();
  }
  // Boxes and failures name each fetched segment: "segment:init" or "segment:media[i]".
  std::vector<std::string> anchors;
  std::size_t media_index = 0;
  for (const auto& c : report.checks)
    anchors.push_back(c.status == "skipped"        ? std::string()
                      : c.target.kind == "init" ? "segment:init"
                                                : "segment:media[" + std::to_string(media_index++) + "]");
  w.end_array().key("boxes").begin_array();
  for (std::size_t i = 0; i < report.checks.size(); ++i)
    for (const auto& b : report.checks[i].verdict.boxes)
      w.begin_object().member("segmentAnchor", anchors[i]).member("path", anchors[i] + ":" + b.path)
          .member("type", b.type).member("offset", b.offset).member("size", b.size).end_object();
  w.end_array().key("failures").begin_array();
  for (std::size_t i = 0; i < report.checks.size(); ++i) {
    const auto& c = report.checks[i];
    if (c.status == "skipped") {
      w.begin_object().member("code", c.failure_code).member("level", "warning").member("message", c.message)
          .member("manifestAnchor", c.target.anchor).end_object();
      continue;
    }
    for (const auto& p : c.verdict.problems) {
      w.begin_object().member("code", p.code).member("level", "error").member("message", p.message)
          .member("manifestAnchor", c.target.anchor).member("segmentAnchor", anchors[i]);
      if (!p.box_path.empty()) w.member("boxPath", p.box_path);
      w.end_object();
    }
  }
  w.end_array().key("limits").begin_object()
      .member("maxSegmentBytes", report.max_segment_bytes)
      .member("maxBinarySegments", report.max_segments)
      .member("requiredSegmentChecks", report.checks.size())
      .end_object().end_object();
}

void write_cmaf(JsonWriter& w, std::string_view kind, const CmafSignals& found,
                const cmaf::BinaryReport* binary) {
  const bool binary_passed = binary && binary->status() == "passed";
  w.begin_object().member("source", kind)
      .member("confidence", binary_passed ? "binary" : found.from_manifest ? "manifest" : "inferred")
      .key("signals").begin_array();
  for (const auto& s : found.signals)
    w.begin_object().member("code", s.code).member("level", "info").member("manifestAnchor", s.anchor)
        .member("confidence", s.confidence).end_object();
  w.end_array();
  if (binary) write_binary(w.key("binary"), *binary);
  w.end_object();
}

void write_error(JsonWriter& w, const AnalysisError& error, bool with_status) {
  w.begin_object();
  if (with_status) w.member("status", "error");
  w.member("analyzerVersion", kAnalyzerVersion).member("analyzerKind", error.kind)
      .member("code", error.code).member("message", error.message);
  if (!error.details.empty()) w.key("details").value(json::value(error.details));
  w.end_object();
}

}  // namespace

Analysis Analysis::failed(AnalysisError error) {
  Analysis a;
  a.kind_ = error.kind;
  a.error_ = std::move(error);
  return a;
}

void Analysis::add_findings(const std::vector<Finding>& more) {
  auto& items = findings_.items();
  items.insert(items.end(), more.begin(), more.end());
}

Analysis analyze(std::string body, InputInfo input) {
  Analysis a;
  a.body_ = std::make_shared<const std::string>(text::to_valid_utf8(std::move(body)));
  a.input_ = std::move(input);
  const std::string_view text = *a.body_;
  const UrlResolver resolver(a.input_.base_url);
  switch (detect(text)) {
    case Format::unsupported:
      a.error_ = AnalysisError{"manifest_not_supported",
                               "The body is neither HLS (#EXTM3U) nor DASH (an MPD XML document).",
                               "hls", {{"firstLine", text::first_line(text)}}};
      return a;
    case Format::dash: {
      a.kind_ = "dash";
      a.playlist_type_ = "dash";
      std::string error;
      auto mpd = dash::parse_mpd(text, resolver, a.findings_, error);
      if (!mpd) {
        a.error_ = AnalysisError{"manifest_malformed", error, "dash", {{"firstLine", text::first_line(text)}}};
        return a;
      }
      a.parsed_ = std::move(*mpd);
      break;
    }
    case Format::hls: {
      const auto first = text::first_line(text);
      if (first != "#EXTM3U") {
        a.error_ = AnalysisError{"manifest_not_hls", "The playlist's first line must be exactly #EXTM3U.",
                                 "hls", {{"firstLine", first}}};
        return a;
      }
      const auto classification = hls::classify(text);
      if (classification.ambiguous)
        a.findings_.add(codes::playlist_ambiguous,
                        "The playlist has both multivariant and media playlist tags; it is read as a "
                        "multivariant playlist and its segments are ignored.");
      switch (classification.kind) {
        case hls::PlaylistKind::multivariant:
          a.playlist_type_ = "master";
          a.parsed_ = hls::parse_multivariant(text, resolver, a.findings_);
          break;
        case hls::PlaylistKind::media:
          a.playlist_type_ = "media";
          a.parsed_ = hls::parse_media(text, resolver, a.findings_);
          break;
        case hls::PlaylistKind::unknown:
          a.playlist_type_ = "unknown";
          a.findings_.add(codes::playlist_type_unknown,
                          "#EXTM3U without multivariant or media playlist tags: the type is unknown.");
          a.findings_.add(codes::details_pending, "No details can be derived for this playlist.");
          break;
      }
      break;
    }
  }
  a.findings_.fold_overflow();
  return a;
}

std::vector<cmaf::SegmentTarget> Analysis::cmaf_plan(std::size_t max_checks) const {
  std::vector<cmaf::SegmentTarget> plan;
  if (cmaf_signals(*this).signals.empty()) return plan;
  const UrlResolver resolver(input_.base_url);
  const auto resolved = [&](std::string_view uri) { return resolver.resolve(uri).value_or(""); };
  if (const auto* m = media_playlist()) {
    cmaf::SegmentTarget init{"init", "", "", std::nullopt, "media:ext_x_map", "", ""};
    if (!m->map) {
      init.skip_code = "segment_reference_missing";
      init.skip_message = "The media playlist has no EXT-X-MAP: no init segment to check.";
    } else {
      init.uri = m->map->uri;
      init.url = resolved(m->map->uri);
      init.anchor = "media:line:" + std::to_string(m->map->line);
      if (m->map->byte_range) {
        if (!m->map->byte_range->offset) {
          init.skip_code = "hls_map_byterange_unsupported";
          init.skip_message = "EXT-X-MAP BYTERANGE without an offset.";
        } else {
          init.range = cmaf::ByteSpan{*m->map->byte_range->offset, m->map->byte_range->length};
        }
      }
    }
    plan.push_back(init);
    cmaf::SegmentTarget media{"media", "", "", std::nullopt, "media:first_fmp4_segment",
                              "segment_reference_missing", "No fMP4 media segment is listed."};
    for (const auto& s : m->segments) {
      if (!m->map && !has_fmp4_extension(s.uri, false)) continue;
      media = cmaf::SegmentTarget{"media", std::string(s.uri), resolved(s.uri), std::nullopt,
                                  "media:line:" + std::to_string(s.line), "", ""};
      if (s.byte_range && s.byte_range->offset) {
        media.range = cmaf::ByteSpan{*s.byte_range->offset, s.byte_range->length};
      } else if (s.byte_range) {
        // A sub-range whose start nothing before it gives: fetching the whole resource would read
        // another segment's bytes (the reference skips it too).
        media.skip_code = "hls_media_byterange_unsupported";
        media.skip_message = "EXT-X-BYTERANGE without an offset that the playlist gives.";
      }
      break;
    }
    plan.push_back(media);
  } else if (const auto* d = mpd()) {
    for (const auto& as : d->adaptation_sets) {
      for (const auto& r : as.representations) {
        if (r.initialization.empty() && r.first_media.empty()) continue;
        const auto target = [&](const char* kind, const std::string& url, const auto& range, const char* what) {
          cmaf::SegmentTarget t{kind, url, url, std::nullopt, r.path + "/" + what, "", ""};
          if (url.empty()) {
            t.skip_code = "segment_reference_missing";
            t.skip_message = std::string("Representation without a resolvable ") + what + " reference.";
          }
          if (range) t.range = cmaf::ByteSpan{range->first, range->last - range->first + 1};
          return t;
        };
        plan.push_back(target("init", r.initialization, r.initialization_range, "Initialization"));
        plan.push_back(target("media", r.first_media, r.first_media_range, "Media"));
        break;
      }
    }
  }
  for (auto& t : plan)
    if (t.skip_code.empty() && t.url.empty()) {
      t.skip_code = "segment_base_url_missing";
      t.skip_message = "No base URL to resolve " + t.uri + " against.";
    }
  if (plan.size() > max_checks) plan.resize(max_checks);
  return plan;
}

void Analysis::write_json(JsonWriter& w, const cmaf::BinaryReport* binary, bool with_status) const {
  if (error_) return write_error(w, *error_, with_status);
  const UrlResolver resolver(input_.base_url);
  w.begin_object();
  if (with_status) w.member("status", "ok");
  w.member("analyzerVersion", kAnalyzerVersion).member("analyzerKind", kind_);
  write_input(w.key("input"), input_);
  std::size_t items = 0;
  if (const auto* mv = multivariant()) {
    items = mv->variants.size() + mv->renditions.size();
  } else if (const auto* m = media_playlist()) {
    items = m->segments.size();
  } else if (const auto* d = mpd()) {
    for (const auto& as : d->adaptation_sets) items += as.representations.size();
  }
  w.key("summary").begin_object().member("itemCount", items).end_object();
  w.key("findings").begin_array();
  for (const auto& f : findings_.items()) write_finding(w, f);
  w.end_array().member("playlistType", playlist_type_).key("details");
  if (std::holds_alternative<std::monostate>(parsed_)) {
    w.null();
  } else {
    w.begin_object();
    if (const auto* mv = multivariant()) {
      write_multivariant_members(w, *mv, resolver);
    } else if (const auto* m = media_playlist()) {
      write_media_members(w, *m, resolver);
    } else {
      write_mpd_members(w, *mpd());
    }
    if (const auto found = cmaf_signals(*this); !found.signals.empty())
      write_cmaf(w.key("cmaf"), kind_, found, binary);
    w.end_object();
  }
  w.end_object();
}

std::string Analysis::to_json(const cmaf::BinaryReport* binary, bool with_status) const {
  JsonWriter w;
  write_json(w, binary, with_status);
  return w.take();
}

}  // namespace mtrace::analyzer
