// The SSRF address rules and the WHATWG reading of numeric hosts.
#include <gtest/gtest.h>

#include "adapters/fetch/ssrf.h"

namespace mtrace::adapters::fetch {
namespace {

bool blocked(const char* literal) {
  auto a = parse_ip_literal(literal);
  EXPECT_TRUE(a) << literal;
  return a && is_blocked(*a);
}

TEST(Ssrf, BlocksPrivateLoopbackLinkLocalAndReserved) {
  for (const char* a : {"127.0.0.1", "127.255.0.1", "10.0.0.5", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                        "255.255.255.255", "198.18.0.1", "192.0.2.1", "::1", "::", "fe80::1",
                        "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:8.8.8.8",
                        "64:ff9b::a00:1", "2001:db8::1", "fe80::1%eth0"})
    EXPECT_TRUE(blocked(a)) << a;
}

TEST(Ssrf, AllowsPublicAddresses) {
  for (const char* a : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888",
                        "2a00:1450:4001::1"})
    EXPECT_FALSE(blocked(a)) << a;
}

TEST(Ssrf, NumericHostsAreReadTheWhatwgWay) {
  IpAddress a;
  for (const char* host : {"2130706433", "0177.0.0.1", "0x7f.1", "127.1", "0x7F000001", "127.0.0.1."}) {
    ASSERT_EQ(read_ipv4_host(host, a), HostKind::ipv4) << host;
    EXPECT_EQ(a.to_string(), "127.0.0.1") << host;
  }
  EXPECT_EQ(read_ipv4_host("cdn.example.test", a), HostKind::name);
  EXPECT_EQ(read_ipv4_host("1.2.3.example", a), HostKind::name);
  EXPECT_EQ(read_ipv4_host("256.0.0.1", a), HostKind::invalid);
  EXPECT_EQ(read_ipv4_host("1.2.3.4.5", a), HostKind::invalid);
  EXPECT_EQ(read_ipv4_host("09.0.0.1", a), HostKind::invalid);
  EXPECT_EQ(read_ipv4_host("4294967296", a), HostKind::invalid);
}

}  // namespace
}  // namespace mtrace::adapters::fetch
