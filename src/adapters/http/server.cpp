// The only translation unit that instantiates Beast's server side.
#include "adapters/http/server.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace mtrace::adapters::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
// A connection's socket and stream carry their io_context's executor type, not the type-erased
// any_io_executor: every async step would otherwise copy and destroy a polymorphic executor.
using Executor = net::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Stream = beast::basic_stream<tcp, Executor>;

class Connection;

}  // namespace

// One io_context per thread, each run by its own thread: a connection lives on one of them, so
// its handlers never run concurrently without a strand (a strand's locking and type-erased
// executor copies cost more per request than the rest of the HTTP work). Other threads (the
// store's writer answering a request, event streams) post to the connection's io_context.
// Members are declared so that the io_contexts are destroyed before what their pending handlers
// (connections) touch in their destructors.
struct HttpServer::State {
  using Work = net::executor_work_guard<net::io_context::executor_type>;

  State(ServerOptions server_options, Handler request_handler, BodyLimit limit)
      : options(std::move(server_options)),
        handler(std::move(request_handler)),
        body_limit(std::move(limit)),
        contexts(make_contexts(std::max(options.threads, 1))),
        acceptor(*contexts.front()),
        accept_backoff(*contexts.front()) {
    for (auto& context : contexts) work.push_back(net::make_work_guard(*context));
  }

  static std::vector<std::unique_ptr<net::io_context>> make_contexts(int count) {
    std::vector<std::unique_ptr<net::io_context>> made;
    for (int i = 0; i < count; ++i) made.push_back(std::make_unique<net::io_context>(1));
    return made;
  }
  // The io_context of the next accepted connection (round robin).
  net::io_context& next_context() { return *contexts[next_connection++ % contexts.size()]; }

  void do_accept();
  void on_accept(beast::error_code ec, Socket socket);

  ServerOptions options;
  Handler handler;
  BodyLimit body_limit;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex connections_mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> live_connections;
  std::vector<std::unique_ptr<net::io_context>> contexts;
  std::vector<Work> work;  // keeps each context running while it has no connection
  std::size_t next_connection = 0;  // only the accepting context touches it
  tcp::acceptor acceptor;
  net::steady_timer accept_backoff;  // out of file descriptors: retry accepting a bit later
  std::vector<std::thread> threads;
};

namespace {

// Initial capacity of a connection's read buffer. Beast reads at most the free capacity (and at
// least 512 bytes) per call, so a typical ingest request (~3 KiB) arrives in one read, not six.
constexpr std::size_t kReadBufferBytes = 8 * 1024;
// What the read buffer may hold beyond a whole header: pipelined requests and chunk framing.
constexpr std::size_t kUnparsedSlackBytes = 64 * 1024;

// The lowercase name of a header the routes read, or "" for any other header.
std::string_view kept_header_name(std::string_view name) {
  static constexpr std::string_view kKept[] = {
      "origin", "host", "x-mtrace-token", "user-agent", "traceparent", "x-forwarded-for",
      "last-event-id", "content-type", "access-control-request-method", "access-control-request-headers"};
  for (const auto kept : kKept) {
    if (beast::iequals(name, kept)) return kept;
  }
  return {};
}

// Appends a response head to `out` as the bytes it is sent as; one write sends it with the body.
// (Beast's serializer would first allocate each header as a field of a message, then walk them
// as a buffer sequence.) `connection` is the Connection header's value, empty where HTTP/1.1's
// default (keep the connection open) says it. `with_length` is false for an event stream, whose
// body has no end.
void append_response_head(std::string& out, const Response& response, std::string_view connection,
                          bool with_length) {
  out.append("HTTP/1.1 ").append(std::to_string(response.status)).append(" ");
  out.append(bhttp::obsolete_reason(static_cast<bhttp::status>(response.status)));
  out.append("\r\nServer: mtrace\r\n");
  if (!response.content_type.empty()) out.append("Content-Type: ").append(response.content_type).append("\r\n");
  for (const auto& [name, value] : response.headers) out.append(name).append(": ").append(value).append("\r\n");
  if (with_length) out.append("Content-Length: ").append(std::to_string(response.body.size())).append("\r\n");
  if (!connection.empty()) out.append("Connection: ").append(connection).append("\r\n");
  out.append("\r\n");
}

// Statuses that carry no body, and so no Content-Length (RFC 9110 §8.6, §15.4.5).
bool bodiless(int status) { return status / 100 == 1 || status == 204 || status == 304; }

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Socket&& socket, std::shared_ptr<HttpServer::State> state)
      : stream_(std::move(socket)),
        state_(std::move(state)),
        // Bytes read but not yet parsed: a header, or the line of a chunk or a trailer, which Beast
        // does not bound by itself. Past this the read fails and the request gets 400.
        buffer_(state_->options.header_limit + kUnparsedSlackBytes) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_address_ = endpoint.address().to_string();
  }

  ~Connection() { --state_->connections; }

  void start() {
    buffer_.reserve(kReadBufferBytes);
    {
      std::lock_guard lock(state_->connections_mutex);
      state_->live_connections.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read_header(); });
  }

  // Shutdown: closes the connection unless a response is being produced or written.
  void close_unless_busy() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_ || self->streaming_) self->do_close();
    });
  }

  // Event-stream side, called on the connection's io_context.
  void enqueue_stream_bytes(std::string bytes) {
    if (closed_) return;
    out_.push_back(std::move(bytes));
    if (!writing_) do_write_stream();
  }
  void on_stream_close(std::function<void()> callback) {
    if (closed_) {
      callback();
    } else {
      close_callbacks_.push_back(std::move(callback));
    }
  }
  Executor executor() { return stream_.get_executor(); }

  // Bytes handed to the event stream and not yet written to the socket.
  std::atomic<std::size_t> stream_backlog{0};
  void close_on_own_thread() {
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->do_close(); });
  }

 private:
  void do_read_header() {
    if (state_->stopping) return do_close();
    busy_ = false;
    // A kept-alive connection may idle until its next request begins; from its first byte on, the
    // header has the same deadline as a first request's.
    if (served_ > 0 && buffer_.size() == 0) return do_await_request();
    do_read_request_header();
  }

  void do_await_request() {
    stream_.expires_after(state_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(std::max(buffer_.capacity(), kReadBufferBytes)),
                            beast::bind_front_handler(&Connection::on_request_begun, shared_from_this()));
  }

  void on_request_begun(beast::error_code ec, std::size_t bytes) {
    if (ec) return do_close();
    buffer_.commit(bytes);
    do_read_request_header();
  }

  void do_read_request_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(state_->options.header_limit));
    // The route's body limit is known only once the header is read (on_header); Beast's default
    // (1 MiB) would refuse a longer Content-Length while reading the header, as a malformed request.
    parser_->body_limit(boost::none);
    stream_.expires_after(state_->options.header_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Connection::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    if (ec) return answer_malformed_or_close(ec);
    busy_ = true;
    const auto& message = parser_->get();
    request_ = Request{};
    request_.method = std::string(message.method_string());
    request_.set_target(message.target());
    for (const auto& field : message) {
      // Only the headers a route reads are copied (lowercased), the rest stay in the parser.
      const auto name = kept_header_name(field.name_string());
      if (!name.empty()) request_.headers.emplace_back(std::string(name), std::string(field.value()));
    }
    request_.peer_address = peer_address_;
    keep_alive_ = message.keep_alive();
    http10_ = message.version() == 10;

    const std::size_t limit = state_->body_limit(request_);
    const auto length = parser_->content_length();
    if (length && *length > limit) {
      // The body is not read: answer and close, so the unread bytes go nowhere.
      request_.body_too_large = true;
      keep_alive_ = false;
      return dispatch_request();
    }
    if (parser_->is_done()) return dispatch_request();
    parser_->body_limit(limit);
    stream_.expires_after(state_->options.body_timeout);
    if (beast::iequals(message[bhttp::field::expect], "100-continue")) {
      // The client waits for this before it sends the body (RFC 9110 §10.1.1).
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return net::async_write(stream_, net::buffer(kContinue),
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->do_close();
                                self->do_read_body();
                              });
    }
    do_read_body();
  }

  void do_read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Connection::on_body, shared_from_this()));
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) {
      request_.body_too_large = true;
      keep_alive_ = false;
      return dispatch_request();
    }
    if (ec) return answer_malformed_or_close(ec);
    request_.body = std::move(parser_->get().body());
    dispatch_request();
  }

  // A request Beast could not parse gets 400 (431 for an oversized header) and the connection
  // closes, since the bytes after it cannot be framed. A timeout or a client gone just closes.
  void answer_malformed_or_close(beast::error_code ec) {
    if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category() ||
        ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return do_close();
    }
    busy_ = true;
    keep_alive_ = false;
    request_ = Request{};  // not the previous request's: its method decides whether a body is sent
    ++state_->in_flight;
    if (ec == bhttp::error::header_limit) {
      return do_write(Response::error(431, "header_too_large", "the request header is too large"));
    }
    do_write(Response::error(400, "bad_request", "malformed HTTP request: " + ec.message()));
  }

  void dispatch_request() {
    stream_.expires_never();  // the handler may wait for the store; writes set their own deadline
    ++state_->in_flight;
    ++served_;
    auto self = shared_from_this();
    Exchange exchange;
    exchange.respond = [self](Response response) {
      net::post(self->stream_.get_executor(),
                [self, response = std::move(response)]() mutable { self->do_write(std::move(response)); });
    };
    exchange.start_stream = [self](Response head) -> std::shared_ptr<EventStream> {
      auto stream = std::make_shared<ConnectionStreamHandle>(self, self->state_->options.stream_buffer_limit);
      net::post(self->stream_.get_executor(),
                [self, head = std::move(head)]() mutable { self->do_write_stream_head(std::move(head)); });
      return stream;
    };
    state_->handler(request_, std::move(exchange));
  }

  void do_write(Response response) {
    const bool keep_alive = keep_alive_ && !state_->stopping;
    const bool with_length = !bodiless(response.status);
    response_head_.clear();  // keeps its capacity for the next response
    // HTTP/1.0 closes unless the answer says otherwise (RFC 9112 §9.3).
    const std::string_view connection = !keep_alive ? "close" : http10_ ? "keep-alive" : "";
    append_response_head(response_head_, response, connection, with_length);
    // A HEAD answer says how long the GET body would be, and sends none (RFC 9110 §9.3.2).
    response_body_ = with_length && request_.method != "HEAD" ? std::move(response.body) : std::string();
    const std::array<net::const_buffer, 2> bytes{net::buffer(response_head_), net::buffer(response_body_)};
    stream_.expires_after(state_->options.body_timeout);
    net::async_write(stream_, bytes,
                     [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                       self->on_write(ec, keep_alive);
                     });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    --state_->in_flight;
    if (ec || !keep_alive) return do_close();
    do_read_header();
  }

  // --- event streams -------------------------------------------------------------------------
  void do_write_stream_head(Response head) {
    streaming_ = true;
    --state_->in_flight;  // a stream is not a request in flight: shutdown closes it
    // A HEAD gets the stream's head alone, and the connection closes: its body would never end.
    const bool head_only = request_.method == "HEAD";
    response_head_.clear();
    append_response_head(response_head_, head, head_only ? "close" : "", false);
    writing_ = true;
    stream_.expires_never();
    net::async_write(stream_, net::buffer(response_head_), [self = shared_from_this(), head_only](beast::error_code ec,
                                                                                                   std::size_t) {
      self->writing_ = false;
      if (ec || head_only) return self->do_close();
      self->do_watch_client();
      if (!self->out_.empty()) self->do_write_stream();
    });
  }

  // The client sends nothing on an event stream; a read completes only when it goes away.
  void do_watch_client() {
    stream_.socket().async_read_some(net::buffer(discard_),
                                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                       if (ec) return self->do_close();
                                       self->do_watch_client();
                                     });
  }

  void do_write_stream() {
    if (closed_ || out_.empty() || !streaming_) return;
    writing_ = true;
    net::async_write(stream_.socket(), net::buffer(out_.front()),
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       if (ec) return self->do_close();
                       self->stream_backlog -= self->out_.front().size();
                       self->out_.pop_front();
                       self->do_write_stream();
                     });
  }

  void do_close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    auto callbacks = std::move(close_callbacks_);
    for (auto& callback : callbacks) callback();
    std::lock_guard lock(state_->connections_mutex);
    state_->live_connections.erase(this);
  }

 private:
  Stream stream_;
  std::shared_ptr<HttpServer::State> state_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;
  std::string response_head_;  // the response being written (one at a time): its head
  std::string response_body_;  // and its body
  std::string peer_address_;
  bool keep_alive_ = true;
  bool http10_ = false;  // the request is HTTP/1.0
  bool busy_ = false;
  bool streaming_ = false;
  bool writing_ = false;
  bool closed_ = false;
  std::size_t served_ = 0;
  std::deque<std::string> out_;
  std::vector<std::function<void()>> close_callbacks_;
  std::array<char, 64> discard_{};

 public:
  // The EventStream a handler holds: thread-safe, bounded by the bytes not yet written.
  class ConnectionStreamHandle final : public EventStream {
   public:
    ConnectionStreamHandle(std::shared_ptr<Connection> connection, std::size_t limit)
        : connection_(std::move(connection)), limit_(limit) {}
    ~ConnectionStreamHandle() override { close(); }

    bool send(std::string bytes) override {
      if (closed_) return false;
      const auto size = bytes.size();
      if (connection_->stream_backlog.load() + size > limit_) {
        close();  // too slow: the client reconnects with Last-Event-ID
        return false;
      }
      connection_->stream_backlog += size;
      net::post(connection_->executor(), [connection = connection_, bytes = std::move(bytes)]() mutable {
        connection->enqueue_stream_bytes(std::move(bytes));
      });
      return true;
    }
    void close() override {
      if (closed_.exchange(true)) return;
      connection_->close_on_own_thread();
    }
    void on_close(std::function<void()> callback) override {
      net::post(connection_->executor(), [connection = connection_, callback = std::move(callback)]() mutable {
        connection->on_stream_close(std::move(callback));
      });
    }

   private:
    std::shared_ptr<Connection> connection_;
    const std::size_t limit_;
    std::atomic<bool> closed_{false};
  };
};

}  // namespace

void HttpServer::State::do_accept() {
  acceptor.async_accept(next_context(), [this](beast::error_code ec, Socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void HttpServer::State::on_accept(beast::error_code ec, Socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space) {
    accept_backoff.expires_after(std::chrono::milliseconds(50));
    accept_backoff.async_wait([this](beast::error_code) {
      if (!stopping) do_accept();
    });
    return;
  }
  if (!ec) {
    if (connections.load() >= options.max_connections) {
      socket.close(ec);  // over the bound: refuse rather than grow
    } else {
      ++connections;
      // The server outlives every connection: shutdown joins the threads first.
      std::shared_ptr<State> unowned(this, [](State*) {});
      std::make_shared<Connection>(std::move(socket), std::move(unowned))->start();
    }
  }
  do_accept();
}

HttpServer::HttpServer(ServerOptions options, Handler handler, BodyLimit body_limit)
    : state_(std::make_shared<State>(std::move(options), std::move(handler), std::move(body_limit))) {}

HttpServer::~HttpServer() { shutdown(std::chrono::milliseconds(0)); }

domain::Result<std::uint16_t> HttpServer::listen() {
  beast::error_code ec;
  const auto address = net::ip::make_address(state_->options.address, ec);
  if (ec) return domain::Error{domain::ErrorCode::invalid_argument, "bad listen address '" + state_->options.address + "'"};
  const tcp::endpoint endpoint(address, state_->options.port);
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return domain::Error{domain::ErrorCode::unavailable,
                         "cannot listen on " + state_->options.address + ":" +
                             std::to_string(state_->options.port) + ": " + ec.message()};
  }
  return acceptor.local_endpoint().port();
}

void HttpServer::start() {
  state_->do_accept();
  for (std::size_t i = 0; i < state_->contexts.size(); ++i) {
    state_->threads.emplace_back([state = state_, context = state_->contexts[i].get(), i] {
      pthread_setname_np(pthread_self(), ("http-" + std::to_string(i)).c_str());
      context->run();
    });
  }
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  auto& state = *state_;
  if (state.stopping.exchange(true)) {
    for (auto& thread : state.threads) {
      if (thread.joinable()) thread.join();
    }
    return;
  }
  net::post(state.acceptor.get_executor(), [&state] {
    beast::error_code ec;
    state.acceptor.close(ec);
  });
  {
    std::lock_guard lock(state.connections_mutex);
    for (auto& [raw, weak] : state.live_connections) {
      if (auto connection = weak.lock()) connection->close_unless_busy();
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (state.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  state.work.clear();
  for (auto& context : state.contexts) context->stop();
  for (auto& thread : state.threads) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t HttpServer::open_connections() const { return state_->connections.load(); }
std::size_t HttpServer::requests_in_flight() const { return state_->in_flight.load(); }

}  // namespace mtrace::adapters::http
