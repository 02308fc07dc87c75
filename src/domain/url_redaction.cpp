#include "domain/url_redaction.h"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <optional>

namespace mtrace::domain {
namespace {

constexpr std::string_view kRedacted = ":redacted";

bool is_alpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_hex(unsigned char c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
bool is_token_char(unsigned char c) { return is_alpha(c) || is_digit(c) || c == '_' || c == '-'; }
bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

unsigned hex_value(unsigned char c) {
  return is_digit(c) ? c - '0' : static_cast<unsigned>((c | 0x20) - 'a' + 10);
}

// Characters a path segment keeps unescaped: RFC 3986 pchar without '%'.
bool is_segment_char(unsigned char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~': case '!': case '$': case '&': case '\'': case '(':
    case ')': case '*': case '+': case ',': case ';': case '=': case ':': case '@':
      return true;
    default:
      return false;
  }
}

// Characters a reg-name host may hold besides percent escapes (bytes >= 0x80 pass: IDN hosts).
bool is_host_char(unsigned char c) {
  return c >= 0x80 || (is_segment_char(c) && c != ':' && c != '@');
}

// Length of the URI scheme at the start of `value` when one is followed by ':', else 0.
std::size_t scheme_length(std::string_view value) {
  if (value.empty() || !is_alpha(static_cast<unsigned char>(value[0]))) return 0;
  for (std::size_t i = 1; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == ':') return i;
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return 0;
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
    if (is_control(c)) return std::nullopt;
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
  std::string_view host = authority;
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    for (unsigned char c : authority.substr(colon + 1)) {
      if (!is_digit(c)) return std::nullopt;
    }
  }
  if (!valid_host(host)) return std::nullopt;
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

bool is_even_hex_token(std::string_view s) {
  if (s.size() < 32 || s.size() % 2 != 0) return false;
  for (unsigned char c : s) {
    if (!is_hex(c)) return false;
  }
  return true;
}

bool is_jwt_like(std::string_view s) {
  int dots = 0;
  std::size_t part_length = 0;
  for (unsigned char c : s) {
    if (c == '.') {
      if (part_length == 0 || ++dots > 2) return false;
      part_length = 0;
    } else if (is_token_char(c)) {
      ++part_length;
    } else {
      return false;
    }
  }
  return dots == 2 && part_length > 0;
}

// At least 24 characters (UTF-8 code points; a stray byte counts as one) of which >= 80 % are
// [A-Za-z0-9_-].
bool is_mostly_token_chars(std::string_view s) {
  std::size_t characters = 0;
  std::size_t token_characters = 0;
  for (unsigned char c : s) {
    if ((c & 0xc0) == 0x80) continue;  // continuation byte of a multi-byte character
    ++characters;
    if (is_token_char(c)) ++token_characters;
  }
  return characters >= 24 && token_characters * 5 >= characters * 4;
}

bool is_token_like(std::string_view segment) {
  return is_even_hex_token(segment) || is_jwt_like(segment) || is_mostly_token_chars(segment);
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

void redact_value(boost::json::value& value, std::string_view key) {
  if (auto* text = value.if_string()) {
    const std::string_view view(text->data(), text->size());
    if (needs_redaction(key, view)) *text = redact_url(view);
  } else if (auto* object = value.if_object()) {
    redact_meta_urls(*object);
  } else if (auto* array = value.if_array()) {
    for (auto& element : *array) redact_value(element, key);
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

void redact_meta_urls(boost::json::object& meta) {
  for (auto& entry : meta) {
    const std::string_view key(entry.key().data(), entry.key().size());
    if (key == kRedactedUrlKey) continue;
    redact_value(entry.value(), key);
  }
}

bool is_redacted_url(std::string_view value) {
  const std::optional<ParsedUrl> url = parse_hierarchical(value);
  if (!url || url->has_userinfo || url->has_query || url->has_fragment) return false;
  if (url->path.empty()) return true;
  return for_each_segment(url->path, [](std::string_view segment) {
    if (segment.find('%') == std::string_view::npos) return !is_token_like(segment);  // decodes to itself
    const std::optional<std::string> decoded = decode_segment(segment);
    return decoded && !is_token_like(*decoded);
  });
}

}  // namespace mtrace::domain
