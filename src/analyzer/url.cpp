#include "analyzer/url.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace mtrace::analyzer {
namespace {

// Characters that need no percent-encoding and have no special meaning in a path, one lookup
// each (every segment URI of a playlist is tested).
constexpr std::array<bool, 256> kPlainPathChars = [] {
  std::array<bool, 256> plain{};
  for (int c = 0; c < 256; ++c)
    plain[static_cast<std::size_t>(c)] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '~' ||
                                         c == '/' || c == '.';
  return plain;
}();

// "seg_001.ts" or "a/b.m4s": no scheme, no leading '/', no dot segments, nothing to encode.
bool is_plain_relative_path(std::string_view ref) {
  if (ref.empty() || ref.front() == '/' || ref.front() == '.') return false;
  bool plain = true;  // no early exit: URIs are mostly plain, and the loop stays a few instructions
  for (const char c : ref) plain &= kPlainPathChars[static_cast<unsigned char>(c)];
  return plain && ref.find("/.") == std::string_view::npos;
}

// Where a reference's authority ends (0 when it has none): brackets are allowed only there (an
// IPv6 host).
std::size_t authority_end(std::string_view ref) {
  std::size_t at = 0;
  const auto colon = ref.find(':');
  if (colon != std::string_view::npos && colon > 0 && std::isalpha(static_cast<unsigned char>(ref[0])) &&
      ref.find_first_of("/?#") > colon) {
    at = colon + 1;  // past the scheme
  }
  if (ref.substr(at, 2) != "//") return 0;
  return std::min(ref.find_first_of("/?#", at + 2), ref.size());
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Percent-encodes what RFC 3986 does not allow in a reference (spaces, quotes, braces, non-ASCII;
// brackets outside the host, a '%' that starts no escape, a second '#'), as browsers do before
// resolving: "seg[1].ts" and "100%.ts" resolve as they do in a player.
std::string encode_unsafe(std::string_view ref) {
  static constexpr std::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=%";
  const std::size_t host_end = authority_end(ref);
  bool in_fragment = false;
  std::string out;
  out.reserve(ref.size());
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const char c = ref[i];
    const auto u = static_cast<unsigned char>(c);
    bool keep = (u < 0x80 && std::isalnum(u)) || kAllowed.find(c) != std::string_view::npos;
    if ((c == '[' || c == ']') && i >= host_end) keep = false;
    if (c == '%' && !(i + 2 < ref.size() && is_hex(ref[i + 1]) && is_hex(ref[i + 2]))) keep = false;
    if (c == '#') keep = !std::exchange(in_fragment, true);
    if (keep) {
      out.push_back(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace

UrlResolver::UrlResolver(std::string_view base) : base_(base) {
  auto parsed = boost::urls::parse_absolute_uri(base);
  if (!parsed) return;
  valid_ = true;
  // The directory for plain relative paths: the base without query and fragment, cut after the
  // last '/' of its path (a bare authority gets "/").
  if (!parsed->has_authority()) return;
  std::string_view rest = base.substr(0, base.find_first_of("?#"));
  const std::size_t authority_end = rest.find('/', rest.find("//") + 2);
  if (authority_end == std::string_view::npos) {
    directory_ = std::string(rest) + "/";
  } else {
    directory_ = std::string(rest.substr(0, rest.rfind('/') + 1));
    if (directory_.find("/.", authority_end) != std::string::npos) directory_.clear();  // dot segments
  }
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
  const std::string encoded = encode_unsafe(reference);
  auto ref = boost::urls::parse_uri_reference(encoded);
  if (!base || !ref) return std::nullopt;
  boost::urls::url out;
  if (!boost::urls::resolve(*base, *ref, out)) return std::nullopt;
  return std::string(out.buffer());
}

bool UrlResolver::resolvable(std::string_view reference) const {
  if (valid_ && !directory_.empty() && is_plain_relative_path(reference)) return true;
  return resolve(reference).has_value();
}

bool is_http_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return false;
  const auto scheme = parsed->scheme_id();
  return (scheme == boost::urls::scheme::http || scheme == boost::urls::scheme::https) &&
         parsed->has_authority() && !parsed->host().empty();
}

}  // namespace mtrace::analyzer
