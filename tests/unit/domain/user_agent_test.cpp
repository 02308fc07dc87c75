#include "domain/user_agent.h"

#include <gtest/gtest.h>

namespace mtrace::domain {
namespace {

struct Case {
  const char* user_agent;
  const char* browser;
  const char* os;
};

TEST(ReduceUserAgent, RealBrowsers) {
  const Case cases[] = {
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/126.0.0.0 Safari/537.36",
       "Chrome 126", "Windows"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.92",
       "Edge 125", "Windows"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
       "Firefox 128", "Windows"},
      {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.5 Safari/605.1.15",
       "Safari 17", "macOS"},
      {"Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0",
       "Firefox 127", "macOS"},
      {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
       "Safari 17", "iOS 17"},
      {"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/16.6 Mobile/15E148 Safari/604.1",
       "Safari 16", "iOS 16"},
      {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
       "Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
       "Chrome 126", "iOS 17"},
      {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/126.0.6478.71 Mobile Safari/537.36",
       "Chrome 126", "Android 14"},
      {"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
       "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
       "Samsung Internet 25", "Android 14"},
      {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/125.0.0.0 Safari/537.36 OPR/111.0.0.0",
       "Opera", "Windows"},
      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "HeadlessChrome/126.0.6478.126 Safari/537.36",
       "Chrome 126", "Linux"},
      {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
       "Firefox 128", "Linux"},
      {"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/126.0.0.0 Safari/537.36",
       "Chrome 126", "ChromeOS"},
      {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot", "other"},
      {"curl/7.88.1", "bot", "other"},
      {"", "other", "other"},
      {"SomethingElse/1.0", "other", "other"},
  };
  for (const Case& c : cases) {
    const ReducedUserAgent reduced = reduce_user_agent(c.user_agent);
    EXPECT_EQ(reduced.browser_family, c.browser) << c.user_agent;
    EXPECT_EQ(reduced.os_family, c.os) << c.user_agent;
  }
}

TEST(ReduceUserAgent, KeepsOnlyTheMajorVersion) {
  const ReducedUserAgent reduced = reduce_user_agent("Chrome/126.0.6478.126 (Linux; Android 99999)");
  EXPECT_EQ(reduced.browser_family, "Chrome 126");
  EXPECT_EQ(reduced.os_family, "Android");  // five digits are not a version
}

TEST(ReduceUserAgent, LooksOnlyAtTheStartOfAHugeHeader) {
  std::string huge(10 * 1024, 'x');
  huge += " Chrome/126.0 (Windows NT 10.0)";
  const ReducedUserAgent reduced = reduce_user_agent(huge);
  EXPECT_EQ(reduced.browser_family, "other");
  EXPECT_EQ(reduced.os_family, "other");
}

}  // namespace
}  // namespace mtrace::domain
