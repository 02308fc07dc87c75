// A tiny HTTP/1.1 server on 127.0.0.1 and a free port for tests: one thread, one connection at a
// time, the handler returns the whole raw response for the request head it gets. Given a
// TestCertificate, it speaks HTTPS instead.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace mtrace::testing {

// A fresh self-signed certificate (P-256, valid for an hour) for "localhost" and 127.0.0.1. A
// client trusts it through its PEM text, e.g. in the file SSL_CERT_FILE names.
class TestCertificate {
 public:
  TestCertificate() : key_(EVP_EC_gen("P-256"), &EVP_PKEY_free), certificate_(X509_new(), &X509_free) {
    X509* cert = certificate_.get();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key_.get());
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, cert, cert, nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                     std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
      X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
      X509_add_ext(cert, extension, -1);
      X509_EXTENSION_free(extension);
    }
    X509_sign(cert, key_.get(), EVP_sha256());
  }
  std::string pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, certificate_.get());
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    std::string text(data, static_cast<std::size_t>(length));
    BIO_free(bio);
    return text;
  }
  EVP_PKEY* key() const { return key_.get(); }
  X509* certificate() const { return certificate_.get(); }

 private:
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key_;
  std::unique_ptr<X509, decltype(&X509_free)> certificate_;
};

class LoopbackHttpServer {
 public:
  using Handler = std::function<std::string(const std::string& request_head)>;

  explicit LoopbackHttpServer(Handler handler, const TestCertificate* tls = nullptr)
      : handler_(std::move(handler)), tls_(nullptr, &SSL_CTX_free) {
    if (tls != nullptr) {
      ::signal(SIGPIPE, SIG_IGN);  // SSL_write to a client that went away must not end the test
      tls_.reset(SSL_CTX_new(TLS_server_method()));
      SSL_CTX_use_certificate(tls_.get(), tls->certificate());
      SSL_CTX_use_PrivateKey(tls_.get(), tls->key());
    }
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  // http://127.0.0.1:PORT/path, or https://localhost:PORT/path (the certificate's name).
  std::string url(const std::string& path) const {
    return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_) + path;
  }

  static std::string response(int status, const std::string& content_type, const std::string& body,
                              const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n" +
           extra_headers + "\r\n" + body;
  }
  // The request path of a request head ("GET /a HTTP/1.1..." -> "/a").
  static std::string path_of(const std::string& head) {
    const auto start = head.find(' ') + 1;
    return head.substr(start, head.find(' ', start) - start);
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const timeval two_seconds{2, 0};  // a stalled client cannot hold the server
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
      std::unique_ptr<SSL, decltype(&SSL_free)> ssl(tls_ ? SSL_new(tls_.get()) : nullptr, &SSL_free);
      if (ssl) SSL_set_fd(ssl.get(), client);
      if (!ssl || SSL_accept(ssl.get()) == 1) answer(client, ssl.get());
      ::shutdown(client, SHUT_RDWR);
      ::close(client);
    }
  }

  // Reads a request head and sends the handler's reply, over TLS when `ssl` is set.
  void answer(int client, SSL* ssl) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      const auto n = ssl ? SSL_read(ssl, buffer, sizeof buffer) : ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      head.append(buffer, static_cast<std::size_t>(n));
    }
    const std::string reply = handler_(head);
    std::size_t sent = 0;
    while (sent < reply.size()) {
      const auto n = ssl ? SSL_write(ssl, reply.data() + sent, static_cast<int>(reply.size() - sent))
                         : ::send(client, reply.data() + sent, reply.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
  }

  Handler handler_;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace mtrace::testing
