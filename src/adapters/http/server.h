// HttpServer: the Beast/Asio HTTP/1.1 server. One Connection object per TCP connection with small
// do_x/on_x steps and lifetime by shared_from_this (Beast's http_server_async pattern); the
// routes stay behind the Beast-free Handler of exchange.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "adapters/http/exchange.h"
#include "domain/result.h"

namespace mtrace::adapters::http {

struct ServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: any free port
  int threads = 2;
  std::size_t max_connections = 10'000;  // further connections are closed at once
  std::chrono::seconds header_timeout{10};  // a request's whole header, from its first byte
  std::chrono::seconds body_timeout{30};
  std::chrono::seconds idle_timeout{60};    // keep-alive: until the next request's first byte
  std::size_t header_limit = 16 * 1024;
  std::size_t stream_buffer_limit = 1024 * 1024;  // bytes an event stream may fall behind
};

class HttpServer {
 public:
  // `handler` is called on a server thread for every request; `body_limit` after its headers.
  HttpServer(ServerOptions options, Handler handler, BodyLimit body_limit);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Returns the bound port (the real one when port 0 was asked), or an error
  // (ErrorCode::unavailable) naming the address when it cannot bind.
  domain::Result<std::uint16_t> listen();
  // Starts accepting on `threads` threads; returns at once.
  void start();
  // Stops accepting, closes idle connections and event streams, waits up to `grace` for requests
  // in flight (their responses are still sent), then stops the threads. Idempotent.
  void shutdown(std::chrono::milliseconds grace);

  std::size_t open_connections() const;
  std::size_t requests_in_flight() const;

  struct State;  // defined in server.cpp, shared with its connections

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mtrace::adapters::http
