#include "domain/url_redaction.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>

namespace mtrace::domain {
namespace {

constexpr std::string_view kRedacted = ":redacted";

// Character classes, one table lookup per byte (every ingested URL is scanned several times).
enum CharClass : std::uint8_t {
  kAlpha = 1,
  kDigit = 2,
  kHexLetter = 4,
  kToken = 8,      // [A-Za-z0-9_-]
  kSegment = 16,   // RFC 3986 pchar without '%'
  kHost = 32,      // a reg-name host's byte besides percent escapes (>= 0x80 passes: IDN hosts)
  kControl = 64,
  kScheme = 128,   // after a scheme's first letter: [A-Za-z0-9+.-]
};

constexpr std::array<std::uint8_t, 256> kClasses = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    std::uint8_t bits = 0;
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    if (alpha) bits |= kAlpha | kToken | kSegment | kHost | kScheme;
    if (digit) bits |= kDigit | kToken | kSegment | kHost | kScheme;
    if ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) bits |= kHexLetter;
    if (c == '_' || c == '-') bits |= kToken;
    if (std::string_view("-._~!$&'()*+,;=").find(static_cast<char>(c)) != std::string_view::npos) {
      bits |= kSegment | kHost;
    }
    if (c == ':' || c == '@') bits |= kSegment;
    if (c >= 0x80) bits |= kHost;
    if (c < 0x20 || c == 0x7f) bits |= kControl;
    if (c == '+' || c == '-' || c == '.') bits |= kScheme;
    table[static_cast<std::size_t>(c)] = bits;
  }
  return table;
}();

bool has(unsigned char c, std::uint8_t classes) { return (kClasses[c] & classes) != 0; }
bool is_alpha(unsigned char c) { return has(c, kAlpha); }
bool is_hex(unsigned char c) { return has(c, kDigit | kHexLetter); }
bool is_segment_char(unsigned char c) { return has(c, kSegment); }
bool is_host_char(unsigned char c) { return has(c, kHost); }

unsigned hex_value(unsigned char c) {
  return has(c, kDigit) ? c - '0' : static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

// Length of the URI scheme at the start of `value` when one is followed by ':', else 0.
std::size_t scheme_length(std::string_view value) {
  if (value.empty() || !is_alpha(static_cast<unsigned char>(value[0]))) return 0;
  for (std::size_t i = 1; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == ':') return i;
    if (!has(c, kScheme)) return 0;
  }
  return 0;
}

bool valid_escapes(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') continue;
    if (i + 2 >= text.size() || !is_hex(static_cast<unsigned char>(text[i + 1])) ||
        !is_hex(static_cast<unsigned char>(text[i + 2]))) {
      return false;
    }
    i += 2;
  }
  return true;
}

bool valid_host(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {  // IP literal: hex digits, ':' and '.', or an IPvFuture/zone form
    if (host.size() < 3 || host.back() != ']') return false;
    for (unsigned char c : host.substr(1, host.size() - 2)) {
      if (!is_hex(c) && c != ':' && c != '.' && c != '%' && !is_segment_char(c)) return false;
    }
    return true;
  }
  for (unsigned char c : host) {
    if (c != '%' && !is_host_char(c)) return false;
  }
  return valid_escapes(host);
}

// "host[:port]" (no userinfo): a valid host and, after the last ':' outside an IP literal, digits.
bool valid_host_and_port(std::string_view authority) {
  std::string_view host = authority;
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    for (unsigned char c : authority.substr(colon + 1)) {
      if (!has(c, kDigit)) return false;
    }
  }
  return valid_host(host);
}

struct ParsedUrl {
  std::string_view scheme;
  std::string_view host;  // with the port, if any
  std::string_view path;  // still percent-encoded
  bool has_userinfo = false;
  bool has_query = false;
  bool has_fragment = false;
};

// An absolute URL with an authority ("scheme://[userinfo@]host[:port]path[?query][#fragment]"),
// or nullopt: no scheme, no "//", an empty or invalid host, a non-numeric port, control bytes.
std::optional<ParsedUrl> parse_hierarchical(std::string_view value) {
  for (unsigned char c : value) {
    if (has(c, kControl)) return std::nullopt;
  }
  const std::size_t scheme_end = scheme_length(value);
  if (scheme_end == 0 || value.substr(scheme_end, 3) != "://") return std::nullopt;
  ParsedUrl url;
  url.scheme = value.substr(0, scheme_end);
  std::string_view rest = value.substr(scheme_end + 3);

  const std::size_t fragment_at = rest.find('#');
  url.has_fragment = fragment_at != std::string_view::npos;
  rest = rest.substr(0, fragment_at);
  const std::size_t query_at = rest.find('?');
  url.has_query = query_at != std::string_view::npos;
  rest = rest.substr(0, query_at);

  const std::size_t path_at = rest.find('/');
  std::string_view authority = rest.substr(0, path_at);
  url.path = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    url.has_userinfo = true;
    authority = authority.substr(at + 1);
  }
  if (!valid_host_and_port(authority)) return std::nullopt;
  url.host = authority;
  return url;
}

// Percent-decodes a path segment; nullopt on a malformed escape.
std::optional<std::string> decode_segment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size() || !is_hex(static_cast<unsigned char>(segment[i + 1])) ||
        !is_hex(static_cast<unsigned char>(segment[i + 2]))) {
      return std::nullopt;
    }
    out += static_cast<char>(hex_value(static_cast<unsigned char>(segment[i + 1])) * 16 +
                             hex_value(static_cast<unsigned char>(segment[i + 2])));
    i += 2;
  }
  return out;
}

constexpr std::size_t kShortestHexToken = 32;   // bytes
constexpr std::size_t kShortestLongToken = 24;  // characters, so at least as many bytes

// Whether the bytes added so far form a token: an even number (>= 32) of hex digits; JWT-like,
// three non-empty runs of [A-Za-z0-9_-] joined by dots; or at least 24 characters (UTF-8 code
// points, a stray byte counting as one) of which >= 80 % are [A-Za-z0-9_-].
class TokenShape {
 public:
  void add(unsigned char c) {
    const bool token = has(c, kToken);
    ++bytes_;
    all_hex_ = all_hex_ && is_hex(c);
    if (c == '.') {
      if (part_length_ == 0 || ++dots_ > 2) jwt_ = false;
      part_length_ = 0;
    } else if (token) {
      ++part_length_;
    } else {
      jwt_ = false;
    }
    if ((c & 0xc0) != 0x80) {  // not a continuation byte of a multi-byte character
      ++characters_;
      token_characters_ += token ? 1 : 0;
    }
  }
  bool token_like() const {
    return (all_hex_ && bytes_ >= kShortestHexToken && bytes_ % 2 == 0) ||
           (jwt_ && dots_ == 2 && part_length_ > 0) ||
           (characters_ >= kShortestLongToken && token_characters_ * 5 >= characters_ * 4);
  }

 private:
  std::size_t bytes_ = 0;
  bool all_hex_ = true;
  bool jwt_ = true;
  int dots_ = 0;
  std::size_t part_length_ = 0;
  std::size_t characters_ = 0;
  std::size_t token_characters_ = 0;
};

bool is_token_like(std::string_view segment) {
  TokenShape shape;
  for (unsigned char c : segment) shape.add(c);
  return shape.token_like();
}

void append_escaped(std::string& out, std::string_view decoded) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : decoded) {
    if (is_segment_char(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
}

// Calls visit(segment) for each '/'-separated segment of `path` (which starts with '/'); the
// segment before the first '/' is empty and skipped.
template <class Visit>
bool for_each_segment(std::string_view path, Visit visit) {
  std::size_t start = 1;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    if (!visit(path.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

void redact_members(boost::json::object& object, bool top_level);

void redact_value(boost::json::value& value, std::string_view key) {
  if (auto* text = value.if_string()) {
    const std::string_view view(text->data(), text->size());
    if (needs_redaction(key, view)) *text = redact_url(view);
  } else if (auto* object = value.if_object()) {
    redact_members(*object, false);
  } else if (auto* array = value.if_array()) {
    for (auto& element : *array) redact_value(element, key);
  }
}

// Only the top level's redacted-URL key was validated as one (event_rules.h); nested, the same
// key is redacted like any other.
void redact_members(boost::json::object& object, bool top_level) {
  for (auto& entry : object) {
    const std::string_view key(entry.key().data(), entry.key().size());
    if (top_level && key == kRedactedUrlKey) continue;
    redact_value(entry.value(), key);
  }
}

}  // namespace

std::string redact_url(std::string_view value) {
  const std::optional<ParsedUrl> url = parse_hierarchical(value);
  if (!url) return std::string(kRedacted);
  std::string out;
  out.reserve(value.size() + 16);
  for (char c : url->scheme) out += static_cast<char>(is_alpha(c) ? c | 0x20 : c);
  out += "://";
  out += url->host;
  if (url->path.empty()) return out;
  for_each_segment(url->path, [&](std::string_view segment) {
    out += '/';
    const std::optional<std::string> decoded = decode_segment(segment);
    if (!decoded || is_token_like(*decoded)) {
      out += kRedacted;
    } else {
      append_escaped(out, *decoded);
    }
    return true;
  });
  return out;
}

bool is_url_key(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kUrlKeys = {
      "url", "uri", "manifest_url", "segment_url", "media_url", "network.url", "request.url",
      "response.url"};
  for (std::string_view candidate : kUrlKeys) {
    if (candidate.size() != key.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < key.size() && same; ++i) {
      const auto c = static_cast<unsigned char>(key[i]);
      same = static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c) == candidate[i];
    }
    if (same) return true;
  }
  return false;
}

bool needs_redaction(std::string_view key, std::string_view value) {
  if (value.empty()) return false;
  return is_url_key(key) || value.find("://") != std::string_view::npos ||
         scheme_length(value) != 0;
}

void redact_meta_urls(boost::json::object& meta) { redact_members(meta, true); }

bool is_redacted_url(std::string_view value) {
  // The SDK sends one with most events, so this is parse_hierarchical and the path's segment checks
  // in one pass over the bytes; only a segment that could be a token is read again, whole. Any
  // userinfo, query or fragment fails, so their bytes stop it.
  const std::size_t scheme_end = scheme_length(value);
  if (scheme_end == 0 || value.substr(scheme_end, 3) != "://") return false;
  const std::string_view rest = value.substr(scheme_end + 3);
  std::size_t i = 0;
  for (; i < rest.size() && rest[i] != '/'; ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    if (c == '?' || c == '#' || c == '@' || has(c, kControl)) return false;
  }
  if (!valid_host_and_port(rest.substr(0, i))) return false;
  bool escaped = false;
  int dots = 0;
  std::size_t segment_start = i + 1;
  for (++i; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == '/') {
      const std::string_view segment = rest.substr(segment_start, i - segment_start);
      if (escaped) {  // judged decoded, as it would be redacted
        const std::optional<std::string> decoded = decode_segment(segment);
        if (!decoded || is_token_like(*decoded)) return false;
      } else if ((segment.size() >= kShortestLongToken || dots == 2) && is_token_like(segment)) {
        // Shorter, a segment can only be token-like as a JWT, which has two dots.
        return false;
      }
      escaped = false;
      dots = 0;
      segment_start = i + 1;
      continue;
    }
    const auto c = static_cast<unsigned char>(rest[i]);
    if (c == '?' || c == '#' || has(c, kControl)) return false;
    escaped = escaped || c == '%';
    dots += c == '.' ? 1 : 0;
  }
  return true;
}

}  // namespace mtrace::domain
