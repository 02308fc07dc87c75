// URL redaction of event meta before it is stored (reference backend.md §5.6): keep where a
// request went (scheme, host, path), drop what identifies a viewer or carries a secret (userinfo,
// query, fragment, token-like path segments). Pure functions, thread-safe, linear in the input.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace mtrace::domain {

// The meta key that the SDK fills with an already redacted URL: validated, never rewritten.
inline constexpr std::string_view kRedactedUrlKey = "network.redacted_url";

// Returns "scheme://host[:port]/path" with userinfo, query and fragment dropped and every
// token-like path segment (hex >= 32 digits, JWT-like a.b.c, or >= 24 characters of which >= 80 %
// are [A-Za-z0-9_-]) or badly percent-encoded segment replaced by ":redacted". The scheme is
// lowercased. A value that does not parse as an absolute URL with a host becomes ":redacted".
std::string redact_url(std::string_view value);

// True for the keys whose string values are always URLs: url, uri, manifest_url, segment_url,
// media_url, network.url, request.url, response.url (ASCII case-insensitive).
bool is_url_key(std::string_view key);

// True when a meta string value must go through redact_url: a URL key with a non-empty value,
// or a value that contains "://" or starts with a URI scheme ("mailto:x", "foo:bar").
bool needs_redaction(std::string_view key, std::string_view value);

// Redacts, in place, every string value of `meta` that needs it, except kRedactedUrlKey.
// Values nested in objects and arrays are redacted too (an array element under its array's key),
// so a URL cannot slip through by being wrapped. Recursion depth is the parser's depth limit.
void redact_meta_urls(boost::json::object& meta);

// The kRedactedUrlKey check: true when `value` parses with scheme and host, has no userinfo,
// query or fragment, and no token-like or badly encoded path segment. The empty string is the
// caller's business (the reserved-meta rule allows it).
bool is_redacted_url(std::string_view value);

}  // namespace mtrace::domain
