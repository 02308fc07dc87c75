#include "analyzer/hls/tag_rules.h"

#include <array>
#include <string>

#include "analyzer/finding_catalog.h"
#include "analyzer/hls/attributes.h"
#include "analyzer/text.h"

namespace mtrace::analyzer::hls {
namespace {

// Tags a playlist may carry at most once (§4.4.2, §4.4.3).
constexpr std::array<std::string_view, 13> kOnceOnly = {
    "#EXT-X-VERSION",       "#EXT-X-INDEPENDENT-SEGMENTS", "#EXT-X-START",
    "#EXT-X-TARGETDURATION", "#EXT-X-MEDIA-SEQUENCE",      "#EXT-X-DISCONTINUITY-SEQUENCE",
    "#EXT-X-PLAYLIST-TYPE",  "#EXT-X-I-FRAMES-ONLY",       "#EXT-X-ENDLIST",
    "#EXT-X-PART-INF",       "#EXT-X-SERVER-CONTROL",      "#EXT-X-SKIP",
    "#EXT-X-CONTENT-STEERING"};

std::string line_text(std::size_t line) { return " on line " + std::to_string(line); }

}  // namespace

void TagRules::on_tag(const Tag& tag, std::size_t line) {
  for (std::size_t i = 0; i < kOnceOnly.size(); ++i) {
    if (tag.name != kOnceOnly[i]) continue;
    const std::uint32_t bit = 1u << i;
    if (seen_once_ & bit)
      findings_.add(codes::hls_tag_duplicate,
                    std::string(tag.name) + line_text(line) + " repeats a tag allowed once.", line);
    seen_once_ |= bit;
    break;
  }
  if (tag.name == "#EXT-X-VERSION") {
    if (auto v = text::parse_uint(text::trim(tag.value)); v && !version_) version_ = v;
    return;
  }
  if (tag.name != "#EXT-X-DEFINE") return;
  require_version(8, "EXT-X-DEFINE", line);
  const AttributeList attributes(tag.value);
  const auto name = attributes.get("NAME");
  const auto import = attributes.get("IMPORT");
  const auto query = attributes.get("QUERYPARAM");
  const int kinds = int(name.has_value()) + int(import.has_value()) + int(query.has_value());
  if (kinds != 1 || (name && !attributes.has("VALUE"))) {
    findings_.add(codes::hls_define_invalid,
                  "EXT-X-DEFINE" + line_text(line) +
                      " needs exactly one of NAME (with VALUE), IMPORT or QUERYPARAM.",
                  line);
    return;
  }
  if (import && multivariant_)
    findings_.add(codes::hls_define_import_in_multivariant,
                  "EXT-X-DEFINE IMPORT" + line_text(line) +
                      " is only allowed in media playlists.", line);
  const std::string_view variable = name ? *name : import ? *import : *query;
  // Variables imported from the multivariant playlist cannot be checked here: accept any use.
  if (!variables_.try_emplace(variable, name ? attributes.get("VALUE") : std::nullopt).second) {
    findings_.add(codes::hls_define_duplicate,
                  "Variable \"" + std::string(variable) + "\" is defined again" + line_text(line) + ".",
                  line);
  }
}

std::string_view TagRules::with_variables(std::string_view text, std::size_t line,
                                          std::shared_ptr<std::deque<std::string>>& kept) {
  const bool replaces = !text.starts_with("#EXT-X-DEFINE:");
  std::optional<std::string> replaced;
  std::size_t copied = 0, at = 0;
  while ((at = text.find("{$", at)) != std::string_view::npos) {
    const auto end = text.find('}', at + 2);
    if (end == std::string_view::npos) break;
    const auto name = text.substr(at + 2, end - at - 2);
    const auto found = variables_.find(name);
    if (found == variables_.end()) {
      findings_.add(codes::hls_variable_undefined,
                    "Variable reference {$" + std::string(name) + "}" + line_text(line) +
                        " has no EXT-X-DEFINE before it.",
                    line);
    } else if (found->second && replaces) {
      if (!replaced) replaced.emplace();
      replaced->append(text.substr(copied, at - copied)).append(*found->second);
      copied = end + 1;
    }
    at = end + 1;
  }
  if (!replaced) return text;
  replaced->append(text.substr(copied));
  if (!kept) kept = std::make_shared<std::deque<std::string>>();
  return kept->emplace_back(std::move(*replaced));
}

void TagRules::require_version(unsigned version, std::string_view feature, std::size_t line) {
  if (version <= required_) return;
  required_ = version;
  required_feature_ = feature;
  required_line_ = line;
}

void TagRules::finish() {
  const std::uint64_t declared = version_.value_or(1);
  if (declared >= required_) return;
  findings_.add(codes::hls_version_too_low,
                std::string(required_feature_) + line_text(required_line_) +
                    " needs EXT-X-VERSION " + std::to_string(required_) + " or higher; the playlist " +
                    (version_ ? "declares " + std::to_string(declared) : "declares none (version 1)") +
                    ".",
                required_line_);
}

}  // namespace mtrace::analyzer::hls
