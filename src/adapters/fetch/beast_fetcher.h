// BeastFetcher: the Fetcher port over Boost.Beast with OpenSSL. Each hop parses the URL, reads
// numeric hosts the WHATWG way, resolves names (inside the hop's deadline), checks every address
// against the SSRF rules, and connects only to a checked address, sending the original Host and
// TLS SNI, so a second DNS answer cannot redirect the connection (no DNS rebinding).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ports/fetcher.h"

namespace mtrace::adapters::fetch {

class BeastFetcher final : public ports::Fetcher {
 public:
  // `trusted_addresses`: IP literals reachable even when private networks are refused (e.g. the
  // lab's own loopback address); every other address still goes through the SSRF rules.
  explicit BeastFetcher(std::vector<std::string> trusted_addresses = {});
  ~BeastFetcher() override;
  ports::FetchResult fetch(const ports::FetchRequest& request) override;

 private:
  struct Tls;
  Tls& tls();  // the TLS client context, created on the first https fetch
  std::mutex tls_mutex_;
  std::unique_ptr<Tls> tls_;
  std::vector<std::string> trusted_addresses_;
};

}  // namespace mtrace::adapters::fetch
