// The only translation unit of the OTLP adapter that instantiates Asio and Beast.
#include "adapters/otlp/http_post.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>

namespace mtrace::adapters::otlp {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

constexpr std::size_t kMaxResponseBody = 64 * 1024;

std::optional<std::chrono::seconds> delta_seconds(std::string_view text) {
  std::int64_t seconds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec != std::errc{} || end != text.data() + text.size() || seconds < 0) return std::nullopt;
  return std::chrono::seconds{seconds};
}

}  // namespace

struct HttpPoster::Connection {
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;  // open between requests when the collector keeps it
  beast::flat_buffer buffer;
};

namespace {

// Sends `request` on the open stream or a new one; with `reused` set, the stream served an
// earlier request.
asio::awaitable<void> exchange(HttpPoster::Connection& connection, const HttpEndpoint& endpoint,
                               http::request<http::string_body>& request,
                               std::chrono::steady_clock::time_point deadline, HttpResult& result) {
  auto executor = co_await asio::this_coro::executor;
  for (bool reused = connection.stream.has_value();; reused = false) {
    if (!connection.stream) {
      tcp::resolver resolver(executor);
      const auto addresses = co_await resolver.async_resolve(
          endpoint.host, std::to_string(endpoint.port), asio::use_awaitable);
      connection.stream.emplace(executor);
      connection.buffer.clear();
      connection.stream->expires_at(deadline);
      co_await connection.stream->async_connect(addresses, asio::use_awaitable);
    }
    auto& stream = *connection.stream;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBody);
    beast::error_code ec;
    stream.expires_at(deadline);
    co_await http::async_write(stream, request, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) {
      stream.expires_at(deadline);
      co_await http::async_read(stream, connection.buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      connection.stream.reset();
      // A kept connection the collector closed meanwhile: nothing was answered, send it again.
      if (reused && !parser.got_some() && ec != beast::error::timeout) continue;
      throw boost::system::system_error(ec);
    }
    const auto& response = parser.get();
    result.status = static_cast<int>(response.result_int());
    if (const auto it = response.find(http::field::retry_after); it != response.end()) {
      result.retry_after = delta_seconds(it->value());
    }
    if (!response.keep_alive()) {
      beast::error_code ignored;
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      connection.stream.reset();
    }
    co_return;
  }
}

}  // namespace

HttpPoster::HttpPoster(HttpEndpoint endpoint) : endpoint_(std::move(endpoint)) {}

HttpPoster::~HttpPoster() = default;

HttpResult HttpPoster::post_json(const std::vector<std::pair<std::string, std::string>>& headers,
                                 std::string body, std::chrono::milliseconds timeout) {
  http::request<http::string_body> request{http::verb::post, endpoint_.target, 11};
  request.set(http::field::host, endpoint_.host_header);
  request.set(http::field::content_type, "application/json");
  request.set(http::field::user_agent, "mtrace-otlp");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = std::move(body);
  request.keep_alive(true);
  request.prepare_payload();

  if (!connection_) connection_ = std::make_unique<Connection>();
  HttpResult result;
  bool failed = false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto& io = connection_->io;
  io.restart();
  asio::co_spawn(io, exchange(*connection_, endpoint_, request, deadline, result),
                 [&result, &failed](std::exception_ptr failure) {
                   if (!failure) return;
                   failed = true;
                   try {
                     std::rethrow_exception(failure);
                   } catch (const std::exception& e) {
                     result.status = 0;
                     result.error = e.what();
                   }
                 });
  // The stream's own expiry covers connect, write and read; this bounds the resolve too.
  io.run_until(deadline + std::chrono::milliseconds{50});
  if (!io.stopped()) {
    result.status = 0;
    result.error = "timed out";
    failed = true;
  }
  // After a failure nothing of the connection is kept: its pending operations go with it.
  if (failed) connection_.reset();
  return result;
}

}  // namespace mtrace::adapters::otlp
