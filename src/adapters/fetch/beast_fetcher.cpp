#include "adapters/fetch/beast_fetcher.h"

#include <netdb.h>
#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <condition_variable>
#include <thread>

#include "adapters/fetch/ssrf.h"
#include "analyzer/text.h"

namespace mtrace::adapters::fetch {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using ports::FetchError;

struct BeastFetcher::Tls {
  asio::ssl::context context{asio::ssl::context::tls_client};
};

namespace {

FetchError error(FetchError::Kind kind, std::string reason, std::string message, int hop,
                 const std::string& url) {
  FetchError e;
  e.kind = kind;
  e.reason = std::move(reason);
  e.message = std::move(message);
  e.hop = hop;
  e.url = url;
  return e;
}

struct Resolved {
  int rc = 0;
  std::vector<IpAddress> addresses;
};

// getaddrinfo on a detached thread, so the deadline also bounds DNS: a lookup that outlives it
// finishes in the background and its answer is dropped.
std::optional<Resolved> resolve(const std::string& host, Clock::time_point deadline) {
  struct State {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    Resolved result;
  };
  auto state = std::make_shared<State>();
  std::thread([state, host] {
    Resolved r;
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    r.rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    for (auto* p = list; r.rc == 0 && p; p = p->ai_next) {
      IpAddress a;
      if (p->ai_family == AF_INET) {
        a.family = 4;
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, 4);
      } else if (p->ai_family == AF_INET6) {
        a.family = 6;
        std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, 16);
      } else {
        continue;
      }
      r.addresses.push_back(a);
    }
    if (list) freeaddrinfo(list);
    std::lock_guard lock(state->mutex);
    state->result = std::move(r);
    state->done = true;
    state->done_cv.notify_all();
  }).detach();
  std::unique_lock lock(state->mutex);
  if (!state->done_cv.wait_until(lock, deadline, [&] { return state->done; })) return std::nullopt;
  return state->result;
}

asio::ip::address to_asio(const IpAddress& a) {
  if (a.family == 4) {
    asio::ip::address_v4::bytes_type b;
    std::copy_n(a.bytes.begin(), 4, b.begin());
    return asio::ip::address_v4(b);
  }
  asio::ip::address_v6::bytes_type b;
  std::copy_n(a.bytes.begin(), 16, b.begin());
  return asio::ip::address_v6(b);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Exchange {
  boost::system::error_code ec;
  std::string stage;  // where ec happened: connect, tls, write, read
  http::response<http::string_body> response;
};

// Connects to the pinned addresses in turn, then writes the request and reads the response.
template <class Stream>
asio::awaitable<void> run_exchange(Stream& stream, beast::tcp_stream& tcp,
                                   const std::vector<asio::ip::tcp::endpoint>& endpoints,
                                   const http::request<http::empty_body>& request,
                                   http::response_parser<http::string_body>& parser, Exchange& out,
                                   bool tls) {
  auto token = asio::redirect_error(asio::use_awaitable, out.ec);
  out.stage = "connect";
  for (const auto& endpoint : endpoints) {
    co_await tcp.async_connect(endpoint, token);
    if (!out.ec) break;
    if (out.ec == beast::error::timeout) co_return;
  }
  if (out.ec) co_return;
  if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
    if (tls) {
      out.stage = "tls";
      co_await stream.async_handshake(asio::ssl::stream_base::client, token);
      if (out.ec) co_return;
    }
  }
  out.stage = "write";
  co_await http::async_write(stream, request, token);
  if (out.ec) co_return;
  out.stage = "read";
  beast::flat_buffer buffer;
  co_await http::async_read(stream, buffer, parser, token);
  if (!out.ec) out.response = parser.release();
}

}  // namespace

BeastFetcher::BeastFetcher(std::vector<std::string> trusted_addresses) {
  for (const auto& text : trusted_addresses)
    if (auto a = parse_ip_literal(text)) trusted_addresses_.push_back(a->to_string());
}
BeastFetcher::~BeastFetcher() = default;

BeastFetcher::Tls& BeastFetcher::tls() {
  std::lock_guard lock(tls_mutex_);
  if (!tls_) {
    tls_ = std::make_unique<Tls>();
    tls_->context.set_default_verify_paths();
    tls_->context.set_verify_mode(asio::ssl::verify_peer);
  }
  return *tls_;
}

ports::FetchResult BeastFetcher::fetch(const ports::FetchRequest& request) {
  const auto& policy = request.policy;
  std::string url = request.url;
  for (int hop = 0; hop <= static_cast<int>(policy.max_redirects); ++hop) {
    const auto deadline = Clock::now() + policy.timeout;
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed)
      return error(FetchError::Kind::invalid_url, "url_unparseable", "The URL does not parse.", hop, url);
    const auto scheme = parsed->scheme_id();
    const bool https = scheme == boost::urls::scheme::https;
    if (scheme != boost::urls::scheme::http && !https)
      return error(FetchError::Kind::blocked, "scheme_not_allowed",
                   "Only http and https URLs are fetched.", hop, url);
    if (parsed->has_userinfo())
      return error(FetchError::Kind::blocked, "credentials_in_url",
                   "URLs with credentials are not fetched.", hop, url);
    std::string host = lower(parsed->encoded_host().decode());
    if (host.empty())
      return error(FetchError::Kind::blocked, "host_missing", "The URL has no host.", hop, url);
    const std::string port_text(parsed->port());
    const auto port = port_text.empty() ? (https ? 443 : 80) : std::atoi(port_text.c_str());
    if (port <= 0 || port > 65535)
      return error(FetchError::Kind::invalid_url, "port_invalid", "The URL's port is invalid.", hop, url);

    // Candidate addresses: a literal, a WHATWG numeric host, or the DNS answer.
    std::vector<IpAddress> candidates;
    bool is_name = false;
    if (parsed->host_type() == boost::urls::host_type::ipv6) {
      auto a = parse_ip_literal(parsed->encoded_host_address().decode());
      if (!a) return error(FetchError::Kind::invalid_url, "ip_unparseable", "The IPv6 host does not parse.", hop, url);
      candidates.push_back(*a);
    } else {
      IpAddress a;
      switch (read_ipv4_host(host, a)) {
        case HostKind::invalid:
          return error(FetchError::Kind::invalid_url, "ip_unparseable", "The numeric host is not an IPv4 address.", hop, url);
        case HostKind::ipv4:
          candidates.push_back(a);
          host = a.to_string();
          break;
        case HostKind::name: {
          is_name = true;
          auto answer = resolve(host, deadline);
          if (!answer) {
            auto e = error(FetchError::Kind::failed, "timeout", "DNS lookup timed out.", hop, url);
            e.host = host;
            return e;
          }
          if (answer->rc != 0 || answer->addresses.empty()) {
            auto e = error(FetchError::Kind::blocked, answer->rc ? "dns_failed" : "dns_empty",
                           answer->rc ? std::string("DNS lookup failed: ") + gai_strerror(answer->rc) + "."
                                      : "DNS returned no address.", hop, url);
            e.host = host;
            return e;
          }
          candidates = std::move(answer->addresses);
        }
      }
    }
    if (!policy.allow_private_networks) {
      for (const auto& a : candidates) {
        if (!is_blocked(a) || std::find(trusted_addresses_.begin(), trusted_addresses_.end(),
                                         a.to_string()) != trusted_addresses_.end())
          continue;
        auto e = error(FetchError::Kind::blocked, "ip_blocked",
                       "The address " + a.to_string() + " of " + host +
                           " is private, loopback, link-local or reserved; it is not fetched.", hop, url);
        e.host = host;
        e.address = a.to_string();
        e.family = a.family;
        return e;
      }
    }

    std::vector<asio::ip::tcp::endpoint> endpoints;
    for (const auto& a : candidates) endpoints.emplace_back(to_asio(a), static_cast<unsigned short>(port));
    http::request<http::empty_body> req{request.head_only ? http::verb::head : http::verb::get,
                                        std::string(parsed->encoded_target().empty() ? "/" : parsed->encoded_target()), 11};
    std::string host_header(parsed->encoded_host());
    if (!port_text.empty()) host_header += ":" + port_text;
    req.set(http::field::host, host_header);
    req.set(http::field::user_agent, "mtrace-analyzer");
    req.set(http::field::accept_encoding, "identity");
    req.set(http::field::connection, "close");
    if (!policy.accept.empty()) req.set(http::field::accept, policy.accept);
    if (request.range_offset)
      req.set(http::field::range, "bytes=" + std::to_string(*request.range_offset) + "-" +
                                       std::to_string(*request.range_offset + request.range_length - 1));

    http::response_parser<http::string_body> parser;
    parser.header_limit(64 * 1024);
    parser.body_limit(policy.max_bytes);
    if (request.head_only) parser.skip(true);
    Exchange exchange;
    asio::io_context ioc;
    if (https) {
      beast::ssl_stream<beast::tcp_stream> stream(ioc, tls().context);
      if (is_name) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
      stream.set_verify_callback(asio::ssl::host_name_verification(host));
      beast::get_lowest_layer(stream).expires_at(deadline);
      asio::co_spawn(ioc, run_exchange(stream, beast::get_lowest_layer(stream), endpoints, req, parser, exchange, true),
                     asio::detached);
      ioc.run();
    } else {
      beast::tcp_stream stream(ioc);
      stream.expires_at(deadline);
      asio::co_spawn(ioc, run_exchange(stream, stream, endpoints, req, parser, exchange, false), asio::detached);
      ioc.run();
    }
    if (exchange.ec) {
      if (exchange.ec == http::error::body_limit)
        return error(FetchError::Kind::too_large, "too_large",
                     "The body is larger than " + std::to_string(policy.max_bytes) + " bytes.", hop, url);
      if (exchange.ec == beast::error::timeout)
        return error(FetchError::Kind::failed, "timeout",
                     "No complete answer within " + std::to_string(policy.timeout.count()) + " ms.", hop, url);
      return error(FetchError::Kind::failed, "network",
                   "Network error while " + exchange.stage + ": " + exchange.ec.message() + ".", hop, url);
    }
    auto& response = exchange.response;
    const int status = static_cast<int>(response.result_int());
    if (status >= 300 && status < 400) {
      const auto location = response[http::field::location];
      if (location.empty()) {
        auto e = error(FetchError::Kind::failed, "redirect_without_location",
                       "Redirect " + std::to_string(status) + " without Location.", hop, url);
        e.status = status;
        return e;
      }
      auto ref = boost::urls::parse_uri_reference(location);
      boost::urls::url next;
      if (!ref || !boost::urls::resolve(*parsed, *ref, next)) {
        auto e = error(FetchError::Kind::failed, "redirect_unparseable",
                       "The redirect Location does not parse.", hop, url);
        e.status = status;
        return e;
      }
      url = std::string(next.buffer());
      continue;
    }
    if (status < 200 || status > 299 || (request.range_offset && status != 206)) {
      auto e = error(FetchError::Kind::failed, "http_status",
                     "HTTP status " + std::to_string(status) +
                         (request.range_offset ? " (a range request needs 206)." : " is not a success."),
                     hop, url);
      e.status = status;
      return e;
    }
    ports::FetchResponse out;
    out.status = status;
    out.final_url = url;
    const auto type = response[http::field::content_type];
    out.content_type = lower(analyzer::text::trim(type.substr(0, type.find(';'))));
    if (!out.content_type.empty() && !policy.content_types.empty() &&
        std::find(policy.content_types.begin(), policy.content_types.end(), out.content_type) ==
            policy.content_types.end()) {
      auto e = error(FetchError::Kind::failed, "content_type",
                     "Content-Type \"" + out.content_type + "\" is not accepted.", hop, url);
      e.content_type = out.content_type;
      return e;
    }
    out.body = std::move(response.body());
    if (request.range_offset && out.body.size() != request.range_length)
      return error(FetchError::Kind::failed, "range_length",
                   "The range answer has " + std::to_string(out.body.size()) + " bytes, not " +
                       std::to_string(request.range_length) + ".", hop, url);
    return out;
  }
  auto e = error(FetchError::Kind::blocked, "redirect_limit",
                 "More than " + std::to_string(policy.max_redirects) + " redirects.",
                 static_cast<int>(policy.max_redirects), url);
  return e;
}

}  // namespace mtrace::adapters::fetch
