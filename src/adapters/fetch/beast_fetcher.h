// BeastFetcher: the Fetcher port over Boost.Beast with OpenSSL. Each hop parses the URL, reads
// numeric hosts the WHATWG way, resolves names (inside the hop's deadline), checks every address
// against the SSRF rules, and connects only to a checked address, sending the original Host and
// TLS SNI, so a second DNS answer cannot redirect the connection (no DNS rebinding).
#pragma once

#include <memory>
#include <mutex>

#include "ports/fetcher.h"

namespace mtrace::adapters::fetch {

class BeastFetcher final : public ports::Fetcher {
 public:
  BeastFetcher();
  ~BeastFetcher() override;
  ports::FetchResult fetch(const ports::FetchRequest& request) override;

 private:
  struct Tls;
  Tls& tls();  // the TLS client context, created on the first https fetch
  std::mutex tls_mutex_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace mtrace::adapters::fetch
