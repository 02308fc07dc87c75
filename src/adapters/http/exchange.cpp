#include "adapters/http/exchange.h"

#include <arpa/inet.h>

#include "analyzer/text.h"
#include "app/wire_json.h"

namespace mtrace::adapters::http {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() &&
               hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

void Request::set_target(std::string_view target) {
  bool absolute = false;
  const auto scheme_end = target.find("://");
  if (!target.empty() && target.front() != '/' && scheme_end != std::string_view::npos &&
      (analyzer::text::iequals(target.substr(0, scheme_end), "http") ||
       analyzer::text::iequals(target.substr(0, scheme_end), "https"))) {
    const auto after_authority = target.find_first_of("/?", scheme_end + 3);
    target = after_authority == std::string_view::npos ? std::string_view{} : target.substr(after_authority);
    absolute = true;
  }
  const auto question = target.find('?');
  path = std::string(target.substr(0, question));
  if (absolute && path.empty()) path = "/";
  query = question == std::string_view::npos ? std::string() : std::string(target.substr(question + 1));
}

std::optional<std::string> Request::forwarded_client_address() const {
  std::string_view forwarded;
  for (const auto& [name, value] : headers) {
    if (name == "x-forwarded-for") forwarded = value;
  }
  const auto last = forwarded.rfind(',');
  auto entry = forwarded.substr(last == std::string_view::npos ? 0 : last + 1);
  while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
  while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
  if (entry.empty() || entry.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string text(entry);
  unsigned char address[sizeof(in6_addr)];
  char canonical[INET6_ADDRSTRLEN];
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, text.c_str(), address) == 1 && inet_ntop(family, address, canonical, sizeof canonical)) {
      return std::string(canonical);
    }
  }
  return std::nullopt;
}

std::string_view Request::header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    const auto key = pair.substr(0, eq);
    if (percent_decode(key, true) != name) continue;
    return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

Response Response::json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  return json(status, app::error_body(code, message));
}

Response& Response::with_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

}  // namespace mtrace::adapters::http
