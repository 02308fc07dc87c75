// Fetcher: outbound HTTP(S) GETs of manifests and media segments, behind the SSRF guard.
// Implementation: adapters/fetch (Boost.Beast + OpenSSL). Tests use fakes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace mtrace::ports {

struct FetchPolicy {
  // Whole request including DNS, connect, TLS, headers and body, per hop.
  std::chrono::milliseconds timeout{10'000};
  std::uint64_t max_bytes = 5'000'000;  // body limit; a larger body fails with too_large
  unsigned max_redirects = 5;
  // false: addresses in private, loopback, link-local, multicast and reserved ranges are refused
  // (every candidate address of every hop, including redirects).
  bool allow_private_networks = false;
  // Accepted Content-Type main types (lowercase); an empty or absent header is accepted.
  // Empty list: any type.
  std::vector<std::string> content_types;
  std::string accept;  // the Accept header
};

struct FetchRequest {
  std::string url;  // absolute http or https URL
  FetchPolicy policy;
  // Byte range to ask for (Range: bytes=offset-(offset+length-1)); the answer must be a 206 with
  // exactly `length` bytes.
  std::optional<std::uint64_t> range_offset;
  std::uint64_t range_length = 0;
  bool head_only = false;  // HEAD instead of GET: only the status matters, the body is empty
};

struct FetchResponse {
  int status = 0;
  std::string final_url;     // after redirects
  std::string content_type;  // main type, lowercase, without parameters ("" when absent)
  std::string body;
};

struct FetchError {
  enum class Kind {
    invalid_url,  // the URL does not parse
    blocked,      // scheme, credentials, DNS failure or empty answer, blocked address, redirect limit
    failed,       // timeout, network/TLS error, non-2xx status, bad redirect, content type, range
    too_large,    // body above max_bytes
  };
  Kind kind = Kind::failed;
  std::string reason;   // stable short reason: "ip_blocked", "timeout", "http_status", ...
  std::string message;  // English, for people
  // Context for error details; unset fields are empty / 0.
  int hop = -1;
  std::string url, host, address;
  int family = 0;  // 4 or 6 with `address`
  int status = 0;
  std::string content_type;
};

using FetchResult = std::variant<FetchResponse, FetchError>;

// Thread safety: fetch() may be called from several threads at the same time; each call blocks
// its caller until the response or an error (bounded by policy.timeout per hop).
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Follows redirects (at most policy.max_redirects), checking every hop's URL and resolved
  // addresses again, and connects to the address that was checked (no second DNS lookup).
  // Never throws for network or input problems: they come back as FetchError.
  virtual FetchResult fetch(const FetchRequest& request) = 0;
};

}  // namespace mtrace::ports
