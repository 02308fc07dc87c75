// Multivariant (master) playlists: variants, renditions and the cross-checks between them.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

#include "analyzer/finding_catalog.h"
#include "analyzer/hls/lines.h"
#include "analyzer/hls/playlist.h"
#include "analyzer/hls/tag_rules.h"
#include "analyzer/text.h"

namespace mtrace::analyzer::hls {
namespace {

bool is_multivariant_tag(std::string_view name) {
  return name == "#EXT-X-STREAM-INF" || name == "#EXT-X-MEDIA" ||
         name == "#EXT-X-I-FRAME-STREAM-INF" || name == "#EXT-X-SESSION-DATA" ||
         name == "#EXT-X-SESSION-KEY" || name == "#EXT-X-CONTENT-STEERING";
}

bool is_media_tag(std::string_view name) {
  return name == "#EXTINF" || name == "#EXT-X-TARGETDURATION" || name == "#EXT-X-MEDIA-SEQUENCE" ||
         name == "#EXT-X-PLAYLIST-TYPE" || name == "#EXT-X-ENDLIST" ||
         name == "#EXT-X-DISCONTINUITY-SEQUENCE" || name == "#EXT-X-PART-INF" ||
         name == "#EXT-X-PART" || name == "#EXT-X-I-FRAMES-ONLY";
}

std::string on_line(std::size_t line) { return " on line " + std::to_string(line); }
std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

Classification classify(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  bool multivariant = false, media = false;
  // Tags are found by searching for "#EXT", not line by line, so one search passes over a media
  // playlist's URI lines; and once a media tag was seen, its #EXTINF lines are passed over too
  // (every multivariant tag is an #EXT-X- tag).
  std::size_t at = 0;
  while ((at = text.find("#EXT", at)) != std::string_view::npos) {
    std::size_t start = at;  // a tag opens its line: only blanks before it
    while (start > 0 && text[start - 1] != '\n' && text::is_space(text[start - 1])) --start;
    if ((start > 0 && text[start - 1] != '\n') || (media && (at + 4 >= text.size() || text[at + 4] != '-'))) {
      at += 4;
      continue;
    }
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const auto name = split_tag(text::trim(text.substr(at, end - at))).name;
    if (!multivariant && is_multivariant_tag(name)) multivariant = true;
    else if (!media && is_media_tag(name)) media = true;
    if (multivariant && media) break;
    at = end;
  }
  if (multivariant) return {PlaylistKind::multivariant, media};
  return {media ? PlaylistKind::media : PlaylistKind::unknown, false};
}

MultivariantPlaylist parse_multivariant(std::string_view text, const UrlResolver& resolver,
                                        Findings& findings) {
  MultivariantPlaylist out;
  TagRules rules(true, findings);
  std::optional<Variant> pending;
  const auto check_uri = [&](std::string_view uri, std::size_t line, const FindingKind& kind,
                             std::string_view what) {
    if (resolver.has_base() && !uri.empty() && !resolver.resolvable(uri))
      findings.add(kind, std::string(what) + " URI " + quote(uri) + on_line(line) +
                             " does not resolve against the base URL.", line);
  };
  const bool variables = text.find("{$") != std::string_view::npos;
  LineReader lines(text);
  std::string_view line;
  while (lines.next(line)) {
    const std::size_t number = lines.number();
    if (line.empty()) continue;
    if (line[0] != '#') {
      if (variables) line = rules.with_variables(line, number, out.substituted);
      if (!pending) continue;
      pending->uri = line;
      pending->uri_line = number;
      check_uri(line, number, codes::variant_malformed_uri, "Variant");
      out.variants.push_back(std::move(*pending));
      pending.reset();
      continue;
    }
    if (line.substr(0, 4) != "#EXT") continue;  // a comment: no variables there
    if (variables) line = rules.with_variables(line, number, out.substituted);
    const Tag tag = split_tag(line);
    rules.on_tag(tag, number);
    if (tag.name == "#EXT-X-STREAM-INF") {
      if (pending)
        findings.add(codes::variant_missing_uri,
                     "EXT-X-STREAM-INF" + on_line(pending->line) + " has no URI line after it.",
                     pending->line);
      const AttributeList a(tag.value);
      Variant v;
      v.line = number;
      const auto bandwidth = a.get("BANDWIDTH");
      if (auto b = bandwidth ? text::parse_uint(*bandwidth) : std::nullopt) {
        v.bandwidth = *b;
      } else {
        findings.add(codes::variant_missing_bandwidth,
                     "EXT-X-STREAM-INF" + on_line(number) + " lacks the required BANDWIDTH.", number);
      }
      if (auto avg = a.get("AVERAGE-BANDWIDTH")) {
        v.average_bandwidth = text::parse_uint(*avg);
        if (v.average_bandwidth && *v.average_bandwidth > v.bandwidth && v.bandwidth > 0)
          findings.add(codes::variant_average_bandwidth_exceeds_bandwidth,
                       "AVERAGE-BANDWIDTH " + std::to_string(*v.average_bandwidth) + on_line(number) +
                           " is above BANDWIDTH " + std::to_string(v.bandwidth) + ".", number);
      }
      if (auto r = a.get("RESOLUTION"); r && !r->empty()) {
        v.resolution = parse_resolution(*r);
        if (!v.resolution)
          findings.add(codes::variant_malformed_resolution,
                       "RESOLUTION=" + quote(*r) + on_line(number) + " is not WIDTHxHEIGHT.", number);
      }
      if (auto c = a.get("CODECS"); c && !c->empty()) {
        v.codecs = split_codecs(*c);
      } else {
        findings.add(codes::variant_codecs_missing,
                     "EXT-X-STREAM-INF" + on_line(number) +
                         " has no CODECS; players must then guess whether they can play it.", number);
      }
      if (auto f = a.get("FRAME-RATE")) v.frame_rate = text::parse_decimal(*f);
      v.audio = a.get("AUDIO").value_or("");
      v.video = a.get("VIDEO").value_or("");
      v.subtitles = a.get("SUBTITLES").value_or("");
      if (const auto* captions = a.find("CLOSED-CAPTIONS")) {
        v.closed_captions = captions->value;
        v.no_closed_captions = !captions->quoted && captions->value == "NONE";
      }
      pending = std::move(v);
    } else if (tag.name == "#EXT-X-MEDIA") {
      const AttributeList a(tag.value);
      Rendition r;
      r.line = number;
      r.type = a.get("TYPE").value_or("");
      r.group_id = a.get("GROUP-ID").value_or("");
      r.name = a.get("NAME").value_or("");
      if (r.type.empty() || r.group_id.empty() || r.name.empty()) {
        findings.add(codes::rendition_missing_required_attr,
                     "EXT-X-MEDIA" + on_line(number) + " lacks TYPE, GROUP-ID or NAME.", number);
        continue;
      }
      if (r.type != "AUDIO" && r.type != "VIDEO" && r.type != "SUBTITLES" &&
          r.type != "CLOSED-CAPTIONS")
        findings.add(codes::rendition_unknown_type,
                     "EXT-X-MEDIA" + on_line(number) + " has the unknown TYPE " + quote(r.type) + ".",
                     number);
      r.language = a.get("LANGUAGE").value_or("");
      r.uri = a.get("URI").value_or("");
      r.channels = a.get("CHANNELS").value_or("");
      if (auto v = a.get("DEFAULT")) r.is_default = parse_yes_no(*v);
      if (auto v = a.get("AUTOSELECT")) r.autoselect = parse_yes_no(*v);
      if (auto v = a.get("FORCED")) r.forced = parse_yes_no(*v);
      if (r.type == "SUBTITLES" && r.uri.empty())
        findings.add(codes::rendition_missing_uri,
                     "EXT-X-MEDIA TYPE=SUBTITLES" + on_line(number) + " has no URI.", number);
      if (auto instream = a.get("INSTREAM-ID"); instream && instream->substr(0, 7) == "SERVICE")
        rules.require_version(7, "INSTREAM-ID=SERVICEn", number);
      check_uri(r.uri, number, codes::rendition_malformed_uri, "Rendition");
      out.renditions.push_back(r);
    } else if (tag.name == "#EXT-X-I-FRAME-STREAM-INF") {
      const AttributeList a(tag.value);
      IFrameVariant v;
      v.line = number;
      v.uri = a.get("URI").value_or("");
      if (auto b = a.get("BANDWIDTH")) v.bandwidth = text::parse_uint(*b).value_or(0);
      findings.add(codes::i_frame_variant_skipped,
                   "EXT-X-I-FRAME-STREAM-INF" + on_line(number) +
                       " is listed; its playlist is not fetched or checked.", number);
      out.i_frame_variants.push_back(v);
    } else if (tag.name == "#EXT-X-INDEPENDENT-SEGMENTS") {
      out.independent_segments = true;
    }
  }
  if (pending)
    findings.add(codes::variant_missing_uri,
                 "EXT-X-STREAM-INF" + on_line(pending->line) + " has no URI line after it.",
                 pending->line);

  // Renditions: duplicates, and the NAME sets of groups of one TYPE.
  std::set<std::tuple<std::string_view, std::string_view, std::string_view>> members;
  std::map<std::pair<std::string_view, std::string_view>, std::set<std::string_view>> groups;
  for (const auto& r : out.renditions) {
    if (!members.emplace(r.type, r.group_id, r.name).second)
      findings.add(codes::rendition_duplicate_group_member,
                   "Several EXT-X-MEDIA with TYPE=" + std::string(r.type) +
                       ", GROUP-ID=" + quote(r.group_id) + ", NAME=" + quote(r.name) + " (again" +
                       on_line(r.line) + ").", r.line);
    groups[{r.type, r.group_id}].insert(r.name);
  }
  std::map<std::string_view, const std::set<std::string_view>*> first_of_type;
  for (const auto& [key, names] : groups) {
    auto [it, inserted] = first_of_type.emplace(key.first, &names);
    if (!inserted && *it->second != names)
      findings.add(codes::rendition_group_names_mismatch,
                   "Rendition group " + quote(key.second) + " of TYPE=" + std::string(key.first) +
                       " offers other NAMEs than the first group of that TYPE.");
  }
  const auto group_exists = [&](std::string_view type, std::string_view id) {
    return groups.count({type, id}) > 0;
  };
  for (std::size_t i = 0; i < out.variants.size(); ++i) {
    const auto& v = out.variants[i];
    const std::pair<std::string_view, std::string_view> refs[] = {
        {"AUDIO", v.audio}, {"VIDEO", v.video}, {"SUBTITLES", v.subtitles},
        {"CLOSED-CAPTIONS", v.closed_captions}};
    for (const auto& [type, id] : refs) {
      if (id.empty() || (type == "CLOSED-CAPTIONS" && v.no_closed_captions) || group_exists(type, id)) continue;
      findings.add(codes::variant_group_undefined,
                   "Variant #" + std::to_string(i + 1) + on_line(v.line) + " refers to " +
                       std::string(type) + "=" + quote(id) + " but no EXT-X-MEDIA group of that TYPE has it.",
                   v.line);
    }
  }
  rules.finish();
  out.version = rules.version();
  return out;
}

}  // namespace mtrace::analyzer::hls
