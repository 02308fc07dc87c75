// The SSRF guard's address rules: which IP addresses an outbound fetch may connect to, and the
// WHATWG reading of numeric host names ("2130706433", "0177.0.0.1", "0x7f.1" are all 127.0.0.1).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtrace::adapters::fetch {

struct IpAddress {
  int family = 4;                     // 4 or 6
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first 4
  std::string to_string() const;
};

// An IPv4 or IPv6 literal (IPv6 without brackets; a %zone suffix is ignored).
std::optional<IpAddress> parse_ip_literal(std::string_view text);

enum class HostKind { name, ipv4, invalid };
// WHATWG URL host reading: a host whose last label is numeric is an IPv4 address written in
// decimal, octal (leading 0) or hex (0x), with 1 to 4 parts; such a host that does not fit is
// invalid. Other hosts are names.
HostKind read_ipv4_host(std::string_view host, IpAddress& out);

// True for addresses a fetch must not reach unless private networks are allowed: this network,
// private, loopback, link-local, shared (CGNAT), benchmarking, documentation, multicast and reserved
// ranges, and the IPv6 equivalents including IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96),
// discard, ULA (fc00::/7), link-local and multicast.
bool is_blocked(const IpAddress& address);

}  // namespace mtrace::adapters::fetch
