#include "analyzer/dash/mpd.h"

#include <cmath>
#include <cstring>
#include <unordered_map>
#include <pugixml.hpp>

#include "analyzer/finding_catalog.h"
#include "analyzer/text.h"

namespace mtrace::analyzer::dash {
namespace {

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Element name without a namespace prefix ("mpd:Period" -> "Period").
std::string_view local_name(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& node, std::string_view name) {
  for (auto c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && local_name(c) == name) return c;
  return {};
}

template <class F>
void for_children(const pugi::xml_node& node, std::string_view name, F&& f) {
  for (auto c = node.first_child(); c; c = c.next_sibling())
    if (c.type() == pugi::node_element && local_name(c) == name) f(c);
}

std::string_view attr(const pugi::xml_node& node, const char* name) {
  return node ? std::string_view(node.attribute(name).as_string()) : std::string_view();
}
bool has_attr(const pugi::xml_node& node, const char* name) {
  return node && !node.attribute(name).empty();
}

std::string step(std::string_view name, std::string_view id, std::size_t index) {
  return "/" + std::string(name) +
         (id.empty() ? "[" + std::to_string(index) + "]" : "[id=" + std::string(id) + "]");
}

// Attributes and children of SegmentTemplate merged over the Period, AdaptationSet and
// Representation levels (the innermost level wins, attribute by attribute).
struct TemplateInfo {
  bool present = false;
  std::string media, initialization;
  std::optional<std::string> start_number, timescale;
  pugi::xml_node timeline;
  void merge(const pugi::xml_node& node) {
    if (!node) return;
    present = true;
    if (has_attr(node, "media")) media = attr(node, "media");
    if (has_attr(node, "initialization")) initialization = attr(node, "initialization");
    if (auto init = child(node, "Initialization"); has_attr(init, "sourceURL"))
      initialization = attr(init, "sourceURL");
    if (has_attr(node, "startNumber")) start_number = std::string(attr(node, "startNumber"));
    if (has_attr(node, "timescale")) timescale = std::string(attr(node, "timescale"));
    if (auto t = child(node, "SegmentTimeline")) timeline = t;
  }
};

// The segment elements of one level (Period, AdaptationSet or Representation), found in one pass
// over its children: the outer levels' are found once, not once per Representation (an
// AdaptationSet may hold thousands).
struct SegmentElements {
  pugi::xml_node segment_template, segment_list, segment_base;
  static SegmentElements of(const pugi::xml_node& level) {
    SegmentElements found;
    for (auto c = level.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const auto name = local_name(c);
      if (name == "SegmentTemplate" && !found.segment_template) found.segment_template = c;
      else if (name == "SegmentList" && !found.segment_list) found.segment_list = c;
      else if (name == "SegmentBase" && !found.segment_base) found.segment_base = c;
    }
    return found;
  }
};

struct Levels {
  pugi::xml_node adaptation_set, representation;
  const SegmentElements& period_elements;
  const SegmentElements& adaptation_set_elements;
  SegmentElements representation_elements;
  // The innermost level's element of that kind.
  pugi::xml_node find(pugi::xml_node SegmentElements::*kind) const {
    for (const auto* level : {&representation_elements, &adaptation_set_elements, &period_elements})
      if (level->*kind) return level->*kind;
    return {};
  }
};

class MpdReader {
 public:
  MpdReader(const UrlResolver& resolver, Findings& findings) : resolver_(resolver), findings_(findings) {}

  Mpd read(const pugi::xml_node& root) {
    Mpd mpd;
    mpd.type = attr(root, "type");
    mpd.dynamic = mpd.type == "dynamic";
    mpd.profiles = attr(root, "profiles");
    mpd.media_presentation_duration = attr(root, "mediaPresentationDuration");
    mpd.minimum_update_period = attr(root, "minimumUpdatePeriod");
    mpd.availability_start_time = attr(root, "availabilityStartTime");
    if (has_attr(root, "type") && mpd.type != "static" && mpd.type != "dynamic")
      findings_.add_at(codes::dash_mpd_type_unknown,
                       "MPD@type=" + quote(mpd.type) + " is neither static nor dynamic; read as static.",
                       "MPD/@type");
    for (const char* name : {"mediaPresentationDuration", "minimumUpdatePeriod", "minBufferTime",
                             "timeShiftBufferDepth", "suggestedPresentationDelay", "maxSegmentDuration"})
      check_duration(root, name, "MPD");
    if (mpd.dynamic) {
      if (!has_attr(root, "availabilityStartTime"))
        findings_.add_at(codes::dash_dynamic_missing_availability_start,
                         "A dynamic MPD needs availabilityStartTime.", "MPD/@availabilityStartTime");
      if (!child(root, "UTCTiming"))
        findings_.add_at(codes::dash_utc_timing_missing,
                         "A dynamic MPD without UTCTiming leaves clients to trust their own clocks.",
                         "MPD/UTCTiming");
    }
    const std::string mpd_base = base_url(root, resolver_.base());
    bool last_period_has_duration = false;
    std::size_t period_index = 0;
    std::size_t total_representations = 0, adaptation_sets = 0;
    for_children(root, "Period", [&](const pugi::xml_node& period) {
      const std::string_view period_id = attr(period, "id");
      const std::string period_path = "MPD" + step("Period", period_id, period_index++);
      check_duration(period, "start", period_path);
      check_duration(period, "duration", period_path);
      last_period_has_duration = has_attr(period, "duration");
      const std::string period_base = base_url(period, mpd_base);
      const auto period_elements = SegmentElements::of(period);
      std::size_t as_index = 0;
      for_children(period, "AdaptationSet", [&](const pugi::xml_node& as) {
        ++adaptation_sets;
        AdaptationSet out;
        out.id = attr(as, "id");
        out.mime_type = attr(as, "mimeType");
        out.codecs = attr(as, "codecs");
        out.content_type = attr(as, "contentType");
        out.lang = attr(as, "lang");
        out.period_id = period_id;
        out.path = period_path + step("AdaptationSet", out.id, as_index++);
        const std::string as_base = base_url(as, period_base);
        const auto as_elements = SegmentElements::of(as);
        std::size_t rep_index = 0;
        for_children(as, "Representation", [&](const pugi::xml_node& rep) {
          out.representations.push_back(read_representation(
              Levels{as, rep, period_elements, as_elements, SegmentElements::of(rep)}, out, as_base, rep_index++));
        });
        total_representations += out.representations.size();
        mpd.adaptation_sets.push_back(std::move(out));
      });
      if (as_index == 0)
        findings_.add_at(codes::dash_period_empty, "Period has no AdaptationSet.", period_path);
    });
    mpd.period_count = period_index;
    if (period_index == 0)
      findings_.add_at(codes::dash_period_missing, "The MPD has no Period; nothing can be played.", "MPD");
    if (adaptation_sets > 0 && total_representations == 0)
      findings_.add_at(codes::dash_representation_missing,
                       "No AdaptationSet has a Representation.", "MPD");
    // ISO 23009-1 5.3.1.2: without minimumUpdatePeriod, the last Period's @duration will do.
    if (!mpd.dynamic && period_index > 0 && !has_attr(root, "mediaPresentationDuration") &&
        !has_attr(root, "minimumUpdatePeriod") && !last_period_has_duration)
      findings_.add_at(codes::dash_static_duration_unknown,
                       "A static MPD needs mediaPresentationDuration (or a duration on its last Period).",
                       "MPD/@mediaPresentationDuration");
    return mpd;
  }

 private:
  void check_duration(const pugi::xml_node& node, const char* name, const std::string& path) {
    if (has_attr(node, name) && !parse_duration(attr(node, name)))
      findings_.add_at(codes::dash_duration_malformed,
                       std::string("@") + name + "=" + quote(attr(node, name)) +
                           " is not an xs:duration.", path + "/@" + name);
  }

  // The first BaseURL child that resolves to an http(s) URL wins (a file: or data: one is passed
  // over, as players pass over what they cannot fetch); none: the parent's base.
  std::string base_url(const pugi::xml_node& node, const std::string& parent) {
    std::string out;
    for_children(node, "BaseURL", [&](const pugi::xml_node& b) {
      if (!out.empty()) return;
      const auto value = text::trim(b.child_value());
      if (value.empty()) return;
      if (auto resolved = UrlResolver(parent).resolve(value); resolved && is_http_url(*resolved)) out = *resolved;
      else if (is_http_url(value)) out = value;
    });
    return out.empty() ? parent : out;
  }

  Representation read_representation(const Levels& levels, const AdaptationSet& as,
                                     const std::string& as_base, std::size_t index) {
    const auto& rep = levels.representation;
    Representation out;
    out.id = attr(rep, "id");
    out.path = as.path + step("Representation", out.id, index);
    if (out.id.empty())
      findings_.add_at(codes::dash_representation_missing_id,
                       "Representation without id; $RepresentationID$ and player state cannot name it.",
                       out.path);
    if (!has_attr(rep, "bandwidth"))
      findings_.add_at(codes::dash_representation_missing_bandwidth,
                       "Representation " + quote(out.id) + " has no bandwidth; it is mandatory.",
                       out.path);
    out.bandwidth = text::parse_uint(attr(rep, "bandwidth")).value_or(0);
    if (auto w = text::parse_uint(attr(rep, "width"))) out.width = w;
    if (auto h = text::parse_uint(attr(rep, "height"))) out.height = h;
    out.frame_rate = has_attr(rep, "frameRate") ? attr(rep, "frameRate") : attr(levels.adaptation_set, "frameRate");
    out.codecs = has_attr(rep, "codecs") ? std::string(attr(rep, "codecs")) : as.codecs;
    out.mime_type = has_attr(rep, "mimeType") ? std::string(attr(rep, "mimeType")) : as.mime_type;
    out.audio_sampling_rate = has_attr(rep, "audioSamplingRate")
                                  ? attr(rep, "audioSamplingRate")
                                  : attr(levels.adaptation_set, "audioSamplingRate");
    if (out.codecs.empty())
      findings_.add_at(codes::dash_representation_missing_codecs,
                       "Representation " + quote(out.id) + " has no codecs (nor its AdaptationSet).",
                       out.path);
    const bool own_base = static_cast<bool>(child(rep, "BaseURL"));
    const std::string base = base_url(rep, as_base);
    TemplateInfo tmpl;
    tmpl.merge(levels.period_elements.segment_template);
    tmpl.merge(levels.adaptation_set_elements.segment_template);
    tmpl.merge(levels.representation_elements.segment_template);
    if (tmpl.present) {
      out.segment_kind = "template";
      read_template(tmpl, out, base);
    } else if (auto list = levels.find(&SegmentElements::segment_list)) {
      out.segment_kind = "list";
      read_list(list, out, base);
    } else if (auto segment_base = levels.find(&SegmentElements::segment_base); segment_base || own_base) {
      out.segment_kind = "base";
      out.first_media = base;
      if (auto init = child(segment_base, "Initialization")) {
        out.initialization = has_attr(init, "sourceURL") ? resolve(base, attr(init, "sourceURL")) : base;
        out.initialization_range = parse_range(attr(init, "range"));
      }
      check_timescale(segment_base, out.path + "/SegmentBase");
    } else {
      findings_.add_at(codes::dash_segment_info_missing,
                       "Representation " + quote(out.id) +
                           " has no SegmentTemplate, SegmentList, SegmentBase or BaseURL.",
                       out.path);
    }
    return out;
  }

  std::string resolve(const std::string& base, std::string_view ref) {
    if (auto r = UrlResolver(base).resolve(ref)) return *r;
    return is_http_url(ref) ? std::string(ref) : std::string();
  }

  void check_timescale(const pugi::xml_node& node, const std::string& path) {
    if (!has_attr(node, "timescale")) return;
    const auto t = text::parse_uint(attr(node, "timescale"));
    if (!t || *t == 0)
      findings_.add_at(codes::dash_timescale_invalid,
                       "@timescale=" + quote(attr(node, "timescale")) + " must be a positive integer.",
                       path + "/@timescale");
  }

  // Expands $RepresentationID$, $Bandwidth$, $Number$, $Time$ (with %0Nd) for one segment.
  // Returns nullopt for an unknown identifier, a bad format or an unbalanced '$'.
  static std::optional<std::string> expand(std::string_view tmpl, const Representation& rep,
                                           std::uint64_t number, std::uint64_t time) {
    std::string out;
    std::size_t i = 0;
    while (i < tmpl.size()) {
      const auto dollar = tmpl.find('$', i);
      if (dollar == std::string_view::npos) {
        out.append(tmpl.substr(i));
        break;
      }
      out.append(tmpl.substr(i, dollar - i));
      const auto close = tmpl.find('$', dollar + 1);
      if (close == std::string_view::npos) return std::nullopt;
      const auto token = tmpl.substr(dollar + 1, close - dollar - 1);
      i = close + 1;
      if (token.empty()) {
        out.push_back('$');
        continue;
      }
      const auto percent = token.find('%');
      const auto name = token.substr(0, percent);
      std::size_t width = 1;
      if (percent != std::string_view::npos) {
        const auto format = token.substr(percent + 1);
        if (format.size() < 3 || format[0] != '0' || format.back() != 'd') return std::nullopt;
        const auto w = text::parse_uint(format.substr(1, format.size() - 2));
        if (!w || *w == 0 || *w > 32) return std::nullopt;
        width = static_cast<std::size_t>(*w);
      }
      if (name == "RepresentationID") {
        if (percent != std::string_view::npos) return std::nullopt;
        out.append(rep.id);
        continue;
      }
      std::uint64_t value = 0;
      if (name == "Number") value = number;
      else if (name == "Time") value = time;
      else if (name == "Bandwidth") value = rep.bandwidth;
      else if (name == "SubNumber") value = 1;
      else return std::nullopt;
      const auto digits = std::to_string(value);
      if (digits.size() < width) out.append(width - digits.size(), '0');
      out.append(digits);
    }
    return out;
  }

  void read_template(const TemplateInfo& tmpl, Representation& out, const std::string& base) {
    const std::string path = out.path + "/SegmentTemplate";
    std::uint64_t start_number = 1;
    if (tmpl.start_number) start_number = text::parse_uint(*tmpl.start_number).value_or(1);
    if (tmpl.timescale) {
      const auto t = text::parse_uint(*tmpl.timescale);
      if (!t || *t == 0)
        findings_.add_at(codes::dash_timescale_invalid,
                         "@timescale=" + quote(*tmpl.timescale) + " must be a positive integer.",
                         path + "/@timescale");
    }
    std::uint64_t first_time = 0;
    if (tmpl.timeline) {
      const auto& timeline = read_timeline(tmpl.timeline, path + "/SegmentTimeline");
      first_time = timeline.first_time;
      out.segment_count = timeline.segment_count;
    }
    const bool uses_time = tmpl.media.find("$Time") != std::string::npos;
    const bool uses_number = tmpl.media.find("$Number") != std::string::npos;
    const auto media = expand(tmpl.media, out, start_number, first_time);
    const auto init = expand(tmpl.initialization, out, start_number, first_time);
    std::string problem;
    if (!media || !init) problem = "has an unknown identifier, a bad %0Nd format or an unbalanced $";
    else if (uses_time && uses_number) problem = "uses both $Number$ and $Time$";
    else if (uses_time && !tmpl.timeline) problem = "uses $Time$ without a SegmentTimeline";
    if (!problem.empty()) {
      findings_.add_at(codes::dash_template_invalid,
                       "SegmentTemplate of Representation " + quote(out.id) + " " + problem + ".", path);
      return;
    }
    if (!tmpl.initialization.empty()) out.initialization = resolve(base, *init);
    if (!tmpl.media.empty()) out.first_media = resolve(base, *media);
  }

  // What one SegmentTimeline says; read once however many Representations share it.
  struct Timeline {
    std::uint64_t first_time = 0;
    std::uint64_t segment_count = 0;
  };

  // Checks the S elements (no gap, no overlap, positive d), once per SegmentTimeline element: its
  // findings name the path of the first Representation that uses it.
  const Timeline& read_timeline(const pugi::xml_node& timeline, const std::string& path) {
    const auto [cached, fresh] = timelines_.try_emplace(timeline.internal_object());
    if (fresh) cached->second = check_timeline(timeline, path);
    return cached->second;
  }

  Timeline check_timeline(const pugi::xml_node& timeline, const std::string& path) {
    std::optional<std::uint64_t> first;
    std::uint64_t now = 0, count = 0;
    // The @d of an S with r="-1", which repeats until the next S's @t (ISO 23009-1 5.3.9.6);
    // without one, it counts once. 0: none (a valid @d is positive).
    std::uint64_t open_duration = 0;
    bool reported_gap = false, reported_overlap = false, reported_invalid = false;
    std::size_t next_index = 0;
    for_children(timeline, "S", [&](const pugi::xml_node& s) {
      const std::size_t index = next_index++;
      const auto s_path = [&] { return path + "/S[" + std::to_string(index) + "]"; };
      const auto d = text::parse_uint(attr(s, "d"));
      std::optional<std::uint64_t> t;
      if (has_attr(s, "t")) t = text::parse_uint(attr(s, "t"));
      std::int64_t repeat = 0;
      bool valid = d && *d > 0 && (!has_attr(s, "t") || t);
      if (has_attr(s, "r")) {
        const std::string_view r = attr(s, "r");
        if (r == "-1") repeat = -1;
        else if (auto v = text::parse_uint(r); v && *v < (1u << 31)) repeat = static_cast<std::int64_t>(*v);
        else valid = false;
      }
      if (!valid) {
        if (!reported_invalid)
          findings_.add_at(codes::dash_timeline_invalid,
                           "SegmentTimeline S needs a positive integer @d and integer @t/@r.", s_path());
        reported_invalid = true;
        return;
      }
      if (open_duration > 0) {
        count += t && *t > now ? (*t - now + open_duration - 1) / open_duration : 1;
        now = t && *t > now ? *t : now + open_duration;
        open_duration = 0;
      }
      if (t) {
        if (first && *t > now && !reported_gap) {
          reported_gap = true;
          findings_.add_at(codes::dash_timeline_gap,
                           "SegmentTimeline has a gap: S@t=" + std::to_string(*t) +
                               " but the previous segment ends at " + std::to_string(now) + ".", s_path());
        }
        if (first && *t < now && !reported_overlap) {
          reported_overlap = true;
          findings_.add_at(codes::dash_timeline_overlap,
                           "SegmentTimeline overlaps: S@t=" + std::to_string(*t) +
                               " but the previous segment ends at " + std::to_string(now) + ".", s_path());
        }
        now = *t;
      }
      if (!first) first = now;
      if (repeat < 0) {
        open_duration = *d;
        return;
      }
      const std::uint64_t n = static_cast<std::uint64_t>(repeat) + 1;
      count += n;
      now += *d * n;
    });
    if (open_duration > 0) ++count;
    return {first.value_or(0), count};
  }

  void read_list(const pugi::xml_node& list, Representation& out, const std::string& base) {
    if (auto init = child(list, "Initialization")) {
      out.initialization = has_attr(init, "sourceURL") ? resolve(base, attr(init, "sourceURL")) : base;
      out.initialization_range = parse_range(attr(init, "range"));
    }
    std::uint64_t count = 0;
    for_children(list, "SegmentURL", [&](const pugi::xml_node& url) {
      if (count++ > 0) return;
      out.first_media = has_attr(url, "media") ? resolve(base, attr(url, "media")) : base;
      out.first_media_range = parse_range(attr(url, "mediaRange"));
    });
    out.segment_count = count;
    check_timescale(list, out.path + "/SegmentList");
  }

  const UrlResolver& resolver_;
  Findings& findings_;
  std::unordered_map<const void*, Timeline> timelines_;  // by SegmentTimeline element
};

}  // namespace

std::optional<Range> parse_range(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto first = text::parse_uint(text.substr(0, dash));
  const auto last = text::parse_uint(text.substr(dash + 1));
  if (!first || !last || *last < *first) return std::nullopt;
  return Range{*first, *last};
}

std::optional<double> parse_duration(std::string_view text) {
  text = text::trim(text);
  bool negative = false;
  if (!text.empty() && text.front() == '-') negative = true, text.remove_prefix(1);
  if (text.size() < 2 || text.front() != 'P') return std::nullopt;
  text.remove_prefix(1);
  double seconds = 0;
  bool in_time = false, any = false;
  // Units in order; months and years are taken as 30 and 365 days.
  static constexpr std::string_view kDateUnits = "YMD", kTimeUnits = "HMS";
  std::size_t date_next = 0, time_next = 0;
  while (!text.empty()) {
    if (text.front() == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      text.remove_prefix(1);
      if (text.empty()) return std::nullopt;
      continue;
    }
    std::size_t n = 0;
    while (n < text.size() && (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) ++n;
    if (n == 0 || n == text.size()) return std::nullopt;
    const auto value = text::parse_decimal(text.substr(0, n));
    const char unit = text[n];
    if (!value) return std::nullopt;
    const auto units = in_time ? kTimeUnits : kDateUnits;
    auto& next = in_time ? time_next : date_next;
    const auto pos = units.find(unit, next);
    if (pos == std::string_view::npos) return std::nullopt;
    if (text.substr(0, n).find('.') != std::string_view::npos && !(in_time && unit == 'S'))
      return std::nullopt;
    next = pos + 1;
    static constexpr double kDate[] = {365 * 86400.0, 30 * 86400.0, 86400.0};
    static constexpr double kTime[] = {3600.0, 60.0, 1.0};
    seconds += *value * (in_time ? kTime[pos] : kDate[pos]);
    any = true;
    text.remove_prefix(n + 1);
  }
  if (!any || !std::isfinite(seconds)) return std::nullopt;
  return negative ? -seconds : seconds;
}

std::optional<Mpd> parse_mpd(std::string_view text, const UrlResolver& resolver, Findings& findings,
                             std::string& error) {
  pugi::xml_document document;
  const auto parsed = document.load_buffer(text.data(), text.size(),
                                           pugi::parse_default);
  if (!parsed) {
    error = std::string("The MPD is not well-formed XML: ") + parsed.description() + " at offset " +
            std::to_string(parsed.offset) + ".";
    return std::nullopt;
  }
  const auto root = document.document_element();
  if (!root || local_name(root) != "MPD") {
    error = "The XML document's root element is not MPD.";
    return std::nullopt;
  }
  return MpdReader(resolver, findings).read(root);
}

}  // namespace mtrace::analyzer::dash
