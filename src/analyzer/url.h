// URL resolution for manifest references (RFC 3986 §5 via Boost.URL), with a fast path for the
// common case of a plain relative path, so a 100,000-segment playlist resolves quickly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mtrace::analyzer {

class UrlResolver {
 public:
  // `base` must be an absolute URL; otherwise (or when empty) nothing resolves.
  explicit UrlResolver(std::string_view base);

  bool has_base() const { return valid_; }
  const std::string& base() const { return base_; }

  // The absolute URL of `reference`, or nullopt when the base is missing or either does not parse.
  std::optional<std::string> resolve(std::string_view reference) const;
  // Whether resolve() would succeed, without building the URL when that is cheap to know.
  bool resolvable(std::string_view reference) const;

 private:
  std::string base_;
  std::string directory_;  // base up to and including the last '/' of its path, no query
  bool valid_ = false;
};

// True for an absolute URL with scheme http or https (case-insensitive).
bool is_http_url(std::string_view url);

}  // namespace mtrace::analyzer
