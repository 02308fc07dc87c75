#include "analyzer/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace mtrace::analyzer {
namespace {

// Characters that need no percent-encoding and have no special meaning in a path.
bool is_plain_path_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '~' || c == '/' || c == '.';
}

// "seg_001.ts" or "a/b.m4s": no scheme, no leading '/', no dot segments, nothing to encode.
bool is_plain_relative_path(std::string_view ref) {
  if (ref.empty() || ref.front() == '/' || ref.front() == '.') return false;
  for (char c : ref)
    if (!is_plain_path_char(c)) return false;
  return ref.find("/.") == std::string_view::npos;
}

}  // namespace

UrlResolver::UrlResolver(std::string_view base) : base_(base) {
  auto parsed = boost::urls::parse_absolute_uri(base);
  if (!parsed) return;
  valid_ = true;
  boost::urls::url directory = *parsed;
  directory.remove_query().remove_fragment();
  std::string path(directory.encoded_path());
  if (directory.has_authority() && path.empty()) path = "/";
  const auto slash = path.rfind('/');
  directory.set_encoded_path(slash == std::string::npos ? std::string() : path.substr(0, slash + 1));
  directory_ = std::string(directory.buffer());
}

std::optional<std::string> UrlResolver::resolve(std::string_view reference) const {
  if (!valid_) return std::nullopt;
  if (is_plain_relative_path(reference) && !directory_.empty() && directory_.back() == '/') {
    std::string out;
    out.reserve(directory_.size() + reference.size());
    out.append(directory_).append(reference);
    return out;
  }
  auto base = boost::urls::parse_absolute_uri(base_);
  auto ref = boost::urls::parse_uri_reference(reference);
  if (!base || !ref) return std::nullopt;
  boost::urls::url out;
  if (!boost::urls::resolve(*base, *ref, out)) return std::nullopt;
  return std::string(out.buffer());
}

bool is_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  const auto scheme = parsed->scheme_id();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         parsed->has_authority() && !parsed->host().empty();
}

}  // namespace mtrace::analyzer
