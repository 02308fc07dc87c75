#include "analyzer/analyze.h"

#include <boost/json/array.hpp>
#include <unordered_map>

#include "analyzer/finding_catalog.h"
#include "analyzer/text.h"

namespace mtrace::analyzer {
namespace json = boost::json;
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

void cap_findings(std::vector<Finding>& items) {
  std::unordered_map<std::string_view, std::size_t> counts;
  std::vector<Finding> kept;
  kept.reserve(items.size());
  for (auto& f : items)
    if (++counts[f.code] <= kMaxFindingsPerCode) kept.push_back(std::move(f));
  for (const auto& [code, count] : counts) {
    if (count <= kMaxFindingsPerCode) continue;
    Level level = Level::info;
    for (const auto& f : kept)
      if (f.code == code) level = f.level;
    kept.push_back(Finding{code, level,
                           std::to_string(count - kMaxFindingsPerCode) + " more findings of " +
                               std::string(code) + " are not listed.", 0, {}});
  }
  items = std::move(kept);
}

bool has_fmp4_extension(std::string_view uri, bool count_mp4) {
  uri = uri.substr(0, uri.find_first_of("?#"));
  std::string lower(uri.substr(uri.size() > 5 ? uri.size() - 5 : 0));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto ends = [&](std::string_view s) {
    return lower.size() >= s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0;
  };
  return ends(".m4s") || ends(".cmfv") || ends(".cmfa") || ends(".cmft") || (count_mp4 && ends(".mp4"));
}

bool is_mp4_mime(std::string_view mime) {
  return mime == "video/mp4" || mime == "audio/mp4" || mime == "application/mp4";
}

json::object finding_json(const Finding& f) {
  json::object o;
  o["code"] = f.code;
  o["level"] = to_string(f.level);
  o["message"] = f.message;
  if (f.line) o["line"] = f.line;
  if (!f.path.empty()) o["path"] = f.path;
  return o;
}

json::object input_json(const InputInfo& input) {
  json::object o;
  o["source"] = input.source;
  if (!input.url.empty()) o["url"] = input.url;
  if (!input.base_url.empty()) o["baseUrl"] = input.base_url;
  return o;
}

json::value number(double d) {
  if (d == static_cast<double>(static_cast<std::int64_t>(d)) && std::abs(d) < 1e15)
    return static_cast<std::int64_t>(d);
  return d;
}

json::object byte_range_json(const hls::ByteRange& r) {
  json::object o;
  o["length"] = r.length;
  if (r.offset) o["offset"] = *r.offset;
  return o;
}

void put_resolved(json::object& o, const UrlResolver& resolver, std::string_view uri,
                  const char* key = "resolvedUri") {
  if (!resolver.has_base() || uri.empty()) return;
  if (auto r = resolver.resolve(uri)) o[key] = *r;
}

json::object multivariant_json(const hls::MultivariantPlaylist& p, const UrlResolver& resolver) {
  json::array variants;
  for (const auto& v : p.variants) {
    json::object o;
    o["bandwidth"] = v.bandwidth;
    if (v.average_bandwidth) o["averageBandwidth"] = *v.average_bandwidth;
    if (v.resolution) o["resolution"] = {{"width", v.resolution->width}, {"height", v.resolution->height}};
    if (!v.codecs.empty()) {
      json::array codecs;
      for (auto c : v.codecs) codecs.emplace_back(c);
      o["codecs"] = std::move(codecs);
    }
    if (v.frame_rate) o["frameRate"] = number(*v.frame_rate);
    if (!v.audio.empty()) o["audio"] = v.audio;
    if (!v.video.empty()) o["video"] = v.video;
    if (!v.subtitles.empty()) o["subtitles"] = v.subtitles;
    if (!v.closed_captions.empty()) o["closedCaptions"] = v.closed_captions;
    o["uri"] = v.uri;
    put_resolved(o, resolver, v.uri);
    o["line"] = v.line;
    variants.push_back(std::move(o));
  }
  json::array renditions;
  for (const auto& r : p.renditions) {
    json::object o;
    o["type"] = r.type;
    o["groupId"] = r.group_id;
    o["name"] = r.name;
    if (!r.language.empty()) o["language"] = r.language;
    if (!r.uri.empty()) o["uri"] = r.uri;
    put_resolved(o, resolver, r.uri);
    if (r.is_default) o["default"] = *r.is_default;
    if (r.autoselect) o["autoselect"] = *r.autoselect;
    if (r.forced) o["forced"] = *r.forced;
    if (!r.channels.empty()) o["channels"] = r.channels;
    o["line"] = r.line;
    renditions.push_back(std::move(o));
  }
  json::object o;
  o["variants"] = std::move(variants);
  o["renditions"] = std::move(renditions);
  if (!p.i_frame_variants.empty()) {
    json::array frames;
    for (const auto& f : p.i_frame_variants) {
      json::object fo{{"bandwidth", f.bandwidth}, {"uri", f.uri}, {"line", f.line}};
      put_resolved(fo, resolver, f.uri);
      frames.push_back(std::move(fo));
    }
    o["iFrameVariants"] = std::move(frames);
  }
  if (p.version) o["version"] = *p.version;
  o["independentSegments"] = p.independent_segments;
  return o;
}

json::object media_json(const hls::MediaPlaylist& p, const UrlResolver& resolver) {
  json::object o;
  if (p.target_duration) o["targetDuration"] = *p.target_duration;
  o["mediaSequence"] = p.media_sequence;
  o["discontinuitySequence"] = p.discontinuity_sequence;
  if (!p.playlist_type.empty()) o["playlistType"] = p.playlist_type;
  if (p.version) o["version"] = *p.version;
  o["endList"] = p.end_list;
  o["live"] = !p.end_list;
  if (!p.end_list && p.target_duration) o["liveLatencyEstimateSeconds"] = 3 * *p.target_duration;
  json::array segments;
  segments.reserve(p.segments.size());
  double total = 0, min = 0, max = 0;
  for (const auto& s : p.segments) {
    json::object so;
    so["uri"] = s.uri;
    so["duration"] = number(s.duration);
    so["sequenceNumber"] = s.sequence;
    if (!s.title.empty()) so["title"] = s.title;
    put_resolved(so, resolver, s.uri);
    if (s.byte_range) so["byteRange"] = byte_range_json(*s.byte_range);
    if (s.discontinuity) so["discontinuity"] = true;
    if (s.gap) so["gap"] = true;
    if (s.part_count) so["parts"] = s.part_count;
    so["line"] = s.line;
    segments.push_back(std::move(so));
    min = segments.size() == 1 ? s.duration : std::min(min, s.duration);
    max = std::max(max, s.duration);
    total += s.duration;
  }
  o["segments"] = std::move(segments);
  const double count = static_cast<double>(p.segments.size());
  o["summary"] = {{"count", p.segments.size()},
                  {"averageDuration", number(count > 0 ? total / count : 0)},
                  {"minDuration", number(min)},
                  {"maxDuration", number(max)},
                  {"totalDuration", number(total)}};
  if (p.map) {
    json::object m{{"uri", p.map->uri}, {"line", p.map->line}};
    put_resolved(m, resolver, p.map->uri);
    if (p.map->byte_range) m["byteRange"] = byte_range_json(*p.map->byte_range);
    o["map"] = std::move(m);
  }
  if (p.part_target || !p.parts.empty() || p.server_control || !p.preload_hints.empty() ||
      !p.rendition_reports.empty() || p.skipped_segments) {
    json::object ll;
    if (p.part_target) ll["partTarget"] = number(*p.part_target);
    ll["partCount"] = p.parts.size();
    ll["trailingParts"] = p.trailing_parts;
    if (const auto& sc = p.server_control) {
      json::object so;
      so["canBlockReload"] = sc->can_block_reload;
      if (sc->hold_back) so["holdBack"] = number(*sc->hold_back);
      if (sc->part_hold_back) so["partHoldBack"] = number(*sc->part_hold_back);
      if (sc->can_skip_until) so["canSkipUntil"] = number(*sc->can_skip_until);
      so["canSkipDateranges"] = sc->can_skip_dateranges;
      ll["serverControl"] = std::move(so);
    }
    json::array hints;
    for (const auto& h : p.preload_hints) hints.push_back(json::object{{"type", h.type}, {"uri", h.uri}});
    ll["preloadHints"] = std::move(hints);
    json::array reports;
    for (const auto& r : p.rendition_reports) {
      json::object ro{{"uri", r.uri}};
      if (r.last_msn) ro["lastMsn"] = *r.last_msn;
      if (r.last_part) ro["lastPart"] = *r.last_part;
      reports.push_back(std::move(ro));
    }
    ll["renditionReports"] = std::move(reports);
    if (p.skipped_segments) ll["skippedSegments"] = p.skipped_segments;
    o["lowLatency"] = std::move(ll);
  }
  return o;
}

json::object mpd_json(const dash::Mpd& mpd) {
  json::object o;
  if (!mpd.profiles.empty()) o["profiles"] = mpd.profiles;
  o["type"] = mpd.dynamic ? "dynamic" : "static";
  o["live"] = mpd.dynamic;
  if (!mpd.media_presentation_duration.empty()) o["mediaPresentationDuration"] = mpd.media_presentation_duration;
  if (!mpd.minimum_update_period.empty()) o["minimumUpdatePeriod"] = mpd.minimum_update_period;
  if (!mpd.availability_start_time.empty()) o["availabilityStartTime"] = mpd.availability_start_time;
  o["periodCount"] = mpd.period_count;
  json::array sets;
  for (const auto& as : mpd.adaptation_sets) {
    json::object ao;
    if (!as.id.empty()) ao["id"] = as.id;
    if (!as.mime_type.empty()) ao["mimeType"] = as.mime_type;
    if (!as.codecs.empty()) ao["codecs"] = as.codecs;
    if (!as.content_type.empty()) ao["contentType"] = as.content_type;
    if (!as.lang.empty()) ao["lang"] = as.lang;
    if (!as.period_id.empty()) ao["periodId"] = as.period_id;
    json::array reps;
    for (const auto& r : as.representations) {
      json::object ro;
      ro["id"] = r.id;
      ro["bandwidth"] = r.bandwidth;
      if (r.width) ro["width"] = *r.width;
      if (r.height) ro["height"] = *r.height;
      if (!r.frame_rate.empty()) ro["frameRate"] = r.frame_rate;
      if (!r.codecs.empty()) ro["codecs"] = r.codecs;
      if (!r.mime_type.empty()) ro["mimeType"] = r.mime_type;
      if (!r.audio_sampling_rate.empty()) ro["audioSamplingRate"] = r.audio_sampling_rate;
      if (!r.segment_kind.empty()) ro["segmentInfo"] = r.segment_kind;
      if (!r.initialization.empty()) ro["initializationUrl"] = r.initialization;
      if (!r.first_media.empty()) ro["firstSegmentUrl"] = r.first_media;
      if (r.segment_count) ro["segmentCount"] = *r.segment_count;
      reps.push_back(std::move(ro));
    }
    ao["representations"] = std::move(reps);
    sets.push_back(std::move(ao));
  }
  o["adaptationSets"] = std::move(sets);
  return o;
}

json::object signal(std::string_view code, const std::string& anchor, std::string_view confidence) {
  return {{"code", code}, {"level", "info"}, {"manifestAnchor", anchor}, {"confidence", confidence}};
}

// The CMAF signals the manifest gives (reference §2.6, §3.7), or an empty object.
json::object cmaf_signals(const Analysis& a) {
  json::array signals;
  bool manifest = false;
  if (const auto* m = a.media_playlist()) {
    if (m->map) {
      signals.push_back(signal("hls_ext_x_map", "media:line:" + std::to_string(m->map->line), "manifest"));
      if (m->map->byte_range)
        signals.push_back(signal("hls_ext_x_map_byterange", "media:line:" + std::to_string(m->map->line),
                                 "manifest"));
      manifest = true;
    }
    for (const auto& s : m->segments) {
      if (!has_fmp4_extension(s.uri, false)) continue;
      signals.push_back(signal("hls_segment_extension_fmp4", "media:line:" + std::to_string(s.line),
                               m->map ? "manifest" : "inferred"));
      break;
    }
    if (m->independent_segments && !signals.empty())
      signals.push_back(signal("hls_independent_segments", "media:tag:#EXT-X-INDEPENDENT-SEGMENTS", "inferred"));
  } else if (const auto* mv = a.multivariant()) {
    for (const auto& v : mv->variants)
      if (has_fmp4_extension(v.uri, false))
        signals.push_back(signal("hls_master_variant_fmp4_uri", "master:line:" + std::to_string(v.uri_line),
                                 "inferred"));
  } else if (const auto* mpd = a.mpd()) {
    for (const auto& as : mpd->adaptation_sets) {
      for (const auto& r : as.representations) {
        if (r.initialization.empty() && r.first_media.empty()) continue;
        const std::string kind = r.segment_kind == "list" ? "dash_segment_list" : "dash_segment_template";
        if (!r.initialization.empty() && r.segment_kind != "base")
          signals.push_back(signal(kind + "_initialization", r.path, "manifest"));
        if (!r.first_media.empty() && r.segment_kind != "base")
          signals.push_back(signal(kind + "_media", r.path, "manifest"));
        if (has_fmp4_extension(r.first_media, true))
          signals.push_back(signal("dash_segment_extension_fmp4", r.path, "manifest"));
        manifest = true;
        break;
      }
      if (is_mp4_mime(as.mime_type)) {
        std::string type = as.mime_type.substr(0, as.mime_type.find('/'));
        signals.push_back(signal("dash_mime_" + type + "_mp4", as.path + "/@mimeType", "inferred"));
      }
    }
  }
  if (signals.empty()) return {};
  for (const auto& s : signals) manifest |= s.as_object().at("confidence") == "manifest";
  return {{"source", a.kind()}, {"confidence", manifest ? "manifest" : "inferred"}, {"signals", std::move(signals)}};
}

json::object binary_json(const cmaf::BinaryReport& report) {
  json::array checks, boxes, failures;
  std::size_t media_index = 0;
  for (const auto& c : report.checks) {
    json::object o{{"kind", c.target.kind}, {"manifestAnchor", c.target.anchor}};
    if (!c.target.uri.empty()) o["uri"] = c.target.uri;
    o["status"] = c.status;
    if (!c.failure_code.empty()) o["failureCode"] = c.failure_code;
    if (!c.message.empty()) o["message"] = c.message;
    if (c.status == "skipped") {
      failures.push_back(json::object{{"code", c.failure_code}, {"level", "warning"},
                                      {"message", c.message}, {"manifestAnchor", c.target.anchor}});
      checks.push_back(std::move(o));
      continue;
    }
    o["resolvedUrl"] = c.resolved_url;
    o["contentType"] = c.content_type;
    o["bytesRead"] = c.bytes_read;
    const std::string segment_anchor =
        c.target.kind == "init" ? "segment:init" : "segment:media[" + std::to_string(media_index++) + "]";
    for (const auto& b : c.verdict.boxes)
      boxes.push_back(json::object{{"segmentAnchor", segment_anchor},
                                   {"path", segment_anchor + ":" + b.path},
                                   {"type", b.type}, {"offset", b.offset}, {"size", b.size}});
    for (const auto& p : c.verdict.problems) {
      json::object f{{"code", p.code}, {"level", "error"}, {"message", p.message},
                     {"manifestAnchor", c.target.anchor}, {"segmentAnchor", segment_anchor}};
      if (!p.box_path.empty()) f["boxPath"] = p.box_path;
      failures.push_back(std::move(f));
    }
    if (!c.verdict.brands.empty()) {
      json::array brands;
      for (const auto& b : c.verdict.brands) brands.emplace_back(b);
      o["brands"] = std::move(brands);
    }
    checks.push_back(std::move(o));
  }
  return {{"status", report.status()},
          {"segmentsChecked", std::move(checks)},
          {"boxes", std::move(boxes)},
          {"failures", std::move(failures)},
          {"limits", {{"maxSegmentBytes", report.max_segment_bytes},
                      {"maxBinarySegments", report.max_segments},
                      {"requiredSegmentChecks", report.checks.size()}}}};
}

}  // namespace

json::object error_json(const AnalysisError& error) {
  json::object o;
  o["status"] = "error";
  o["analyzerVersion"] = kAnalyzerVersion;
  o["analyzerKind"] = error.kind;
  o["code"] = error.code;
  o["message"] = error.message;
  if (!error.details.empty()) o["details"] = error.details;
  return o;
}

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
  cap_findings(a.findings_.items());
  return a;
}

std::vector<cmaf::SegmentTarget> Analysis::cmaf_plan(std::size_t max_checks) const {
  std::vector<cmaf::SegmentTarget> plan;
  if (cmaf_signals(*this).empty()) return plan;
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
      if (s.byte_range && s.byte_range->offset)
        media.range = cmaf::ByteSpan{*s.byte_range->offset, s.byte_range->length};
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

json::object Analysis::to_json(const cmaf::BinaryReport* binary) const {
  if (error_) return error_json(*error_);
  const UrlResolver resolver(input_.base_url);
  json::object o;
  o["status"] = "ok";
  o["analyzerVersion"] = kAnalyzerVersion;
  o["analyzerKind"] = kind_;
  o["input"] = input_json(input_);
  std::size_t items = 0;
  json::value details = nullptr;
  if (const auto* mv = multivariant()) {
    items = mv->variants.size() + mv->renditions.size();
    details = multivariant_json(*mv, resolver);
  } else if (const auto* m = media_playlist()) {
    items = m->segments.size();
    details = media_json(*m, resolver);
  } else if (const auto* d = mpd()) {
    for (const auto& as : d->adaptation_sets) items += as.representations.size();
    details = mpd_json(*d);
  }
  o["summary"] = {{"itemCount", items}};
  json::array findings;
  findings.reserve(findings_.items().size());
  for (const auto& f : findings_.items()) findings.push_back(finding_json(f));
  o["findings"] = std::move(findings);
  o["playlistType"] = playlist_type_;
  if (details.is_object()) {
    auto cmaf = cmaf_signals(*this);
    if (!cmaf.empty()) {
      if (binary) {
        cmaf["binary"] = binary_json(*binary);
        if (binary->status() == "passed") cmaf["confidence"] = "binary";
      }
      details.as_object()["cmaf"] = std::move(cmaf);
    }
  }
  o["details"] = std::move(details);
  return o;
}

}  // namespace mtrace::analyzer
