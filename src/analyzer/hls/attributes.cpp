#include "analyzer/hls/attributes.h"

#include "analyzer/text.h"

namespace mtrace::analyzer::hls {

AttributeList::AttributeList(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == ',')) ++i;
    if (i >= n) break;
    const std::size_t key_start = i;
    while (i < n && text[i] != '=' && text[i] != ',') ++i;
    const auto key = text::trim(text.substr(key_start, i - key_start));
    Attribute attribute{key, {}, false};
    if (i < n && text[i] == '=') {
      ++i;
      while (i < n && (text[i] == ' ' || text[i] == '\t')) ++i;
      if (i < n && text[i] == '"') {
        const std::size_t value_start = ++i;
        while (i < n && text[i] != '"') ++i;
        attribute.value = text.substr(value_start, i - value_start);
        attribute.quoted = true;
        if (i < n) ++i;  // closing quote
        while (i < n && text[i] != ',') ++i;
      } else {
        const std::size_t value_start = i;
        while (i < n && text[i] != ',') ++i;
        attribute.value = text::trim(text.substr(value_start, i - value_start));
      }
    }
    if (!key.empty()) items_.push_back(attribute);
  }
}

const Attribute* AttributeList::find(std::string_view key) const {
  for (auto it = items_.rbegin(); it != items_.rend(); ++it)
    if (it->key == key) return &*it;
  return nullptr;
}

std::optional<std::string_view> AttributeList::get(std::string_view key) const {
  if (const auto* attribute = find(key)) return attribute->value;
  return std::nullopt;
}

std::optional<bool> parse_yes_no(std::string_view value) {
  if (value == "YES") return true;
  if (value == "NO") return false;
  return std::nullopt;
}

std::optional<Resolution> parse_resolution(std::string_view value) {
  const auto x = value.find('x');
  if (x == std::string_view::npos) return std::nullopt;
  const auto width = text::parse_uint(value.substr(0, x));
  const auto height = text::parse_uint(value.substr(x + 1));
  if (!width || !height) return std::nullopt;
  return Resolution{*width, *height};
}

std::vector<std::string_view> split_codecs(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    const auto part = text::trim(value.substr(0, comma));
    if (!part.empty()) out.push_back(part);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace mtrace::analyzer::hls
