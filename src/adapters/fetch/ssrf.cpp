#include "adapters/fetch/ssrf.h"

#include <arpa/inet.h>

#include <vector>

namespace mtrace::adapters::fetch {
namespace {

struct Cidr {
  std::array<std::uint8_t, 16> prefix;
  int bits;
};

bool in(const IpAddress& a, const std::array<std::uint8_t, 16>& prefix, int bits) {
  for (int i = 0; i < bits; ++i) {
    const int byte = i / 8, bit = 7 - i % 8;
    if (((a.bytes[byte] >> bit) & 1) != ((prefix[byte] >> bit) & 1)) return false;
  }
  return true;
}

constexpr std::array<std::uint8_t, 16> v4(std::uint8_t a, std::uint8_t b = 0, std::uint8_t c = 0) {
  return {a, b, c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
}

const Cidr kBlockedV4[] = {
    {v4(0), 8},        {v4(10), 8},         {v4(100, 64), 10}, {v4(127), 8},
    {v4(169, 254), 16}, {v4(172, 16), 12},  {v4(192, 0, 0), 24}, {v4(192, 0, 2), 24},
    {v4(192, 88, 99), 24}, {v4(192, 168), 16}, {v4(198, 18), 15}, {v4(198, 51, 100), 24},
    {v4(203, 0, 113), 24}, {v4(224), 4},   {v4(240), 4},
};

const Cidr kBlockedV6[] = {
    {{}, 128},                                                      // ::
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},         // ::1
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96},               // IPv4-mapped
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 96},                     // IPv4-compatible (deprecated)
    {{0, 0x64, 0xff, 0x9b}, 96},                                    // NAT64
    {{0x01, 0x00}, 64},                                             // discard
    {{0x20, 0x01, 0x0d, 0xb8}, 32},                                 // documentation
    {{0xfc}, 7},                                                    // unique local
    {{0xfe, 0x80}, 10},                                             // link-local
    {{0xfe, 0xc0}, 10},                                             // site-local (deprecated)
    {{0xff}, 8},                                                    // multicast
};

std::optional<std::uint64_t> parse_ipv4_part(std::string_view part) {
  if (part.empty()) return std::nullopt;
  int base = 10;
  if (part.size() >= 2 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
  } else if (part.size() >= 2 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  std::uint64_t value = 0;
  for (char c : part) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return std::nullopt;
    if (digit >= base) return std::nullopt;
    value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(digit);
    if (value > 0xFFFFFFFFull) return std::nullopt;
  }
  return value;
}

bool looks_numeric(std::string_view label) {
  if (label.empty()) return false;
  if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) return true;
  for (char c : label)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::string IpAddress::to_string() const {
  char buffer[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == 4 ? AF_INET : AF_INET6, bytes.data(), buffer, sizeof buffer);
  return buffer;
}

std::optional<IpAddress> parse_ip_literal(std::string_view text) {
  std::string host(text.substr(0, text.find('%')));
  IpAddress out;
  if (inet_pton(AF_INET, host.c_str(), out.bytes.data()) == 1) return out;
  out.family = 6;
  if (inet_pton(AF_INET6, host.c_str(), out.bytes.data()) == 1) return out;
  return std::nullopt;
}

HostKind read_ipv4_host(std::string_view host, IpAddress& out) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  std::vector<std::string_view> labels;
  while (true) {
    const auto dot = host.find('.');
    labels.push_back(host.substr(0, dot));
    if (dot == std::string_view::npos) break;
    host.remove_prefix(dot + 1);
  }
  if (!looks_numeric(labels.back())) return HostKind::name;
  if (labels.size() > 4) return HostKind::invalid;
  std::vector<std::uint64_t> parts;
  for (auto label : labels) {
    auto v = parse_ipv4_part(label);
    if (!v) return HostKind::invalid;
    parts.push_back(*v);
  }
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    if (parts[i] > 255) return HostKind::invalid;
  const int last_bytes = 5 - static_cast<int>(parts.size());
  if (parts.back() >= (std::uint64_t{1} << (8 * last_bytes))) return HostKind::invalid;
  std::uint32_t value = static_cast<std::uint32_t>(parts.back());
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    value |= static_cast<std::uint32_t>(parts[i]) << (8 * (3 - i));
  out = IpAddress{};
  out.bytes[0] = static_cast<std::uint8_t>(value >> 24);
  out.bytes[1] = static_cast<std::uint8_t>(value >> 16);
  out.bytes[2] = static_cast<std::uint8_t>(value >> 8);
  out.bytes[3] = static_cast<std::uint8_t>(value);
  return HostKind::ipv4;
}

bool is_blocked(const IpAddress& address) {
  if (address.family == 4) {
    for (const auto& c : kBlockedV4)
      if (in(address, c.prefix, c.bits)) return true;
    return false;
  }
  for (const auto& c : kBlockedV6)
    if (in(address, c.prefix, c.bits)) return true;
  return false;
}

}  // namespace mtrace::adapters::fetch
