#include "domain/user_agent.h"

#include <array>

namespace mtrace::domain {
namespace {

constexpr std::size_t kMaxInspectedBytes = 1024;

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The major version right after the first occurrence of `token` ("Chrome/" -> "126"): at most
// four digits, empty when there are none.
std::string_view major_after(std::string_view text, std::string_view token) {
  const std::size_t at = text.find(token);
  if (at == std::string_view::npos) return {};
  const std::size_t start = at + token.size();
  std::size_t end = start;
  while (end < text.size() && end - start < 4 && is_digit(text[end])) ++end;
  if (end < text.size() && is_digit(text[end])) return {};  // too long to be a version
  return text.substr(start, end - start);
}

std::string family(std::string_view name, std::string_view major) {
  std::string out(name);
  if (!major.empty()) {
    out += ' ';
    out += major;
  }
  return out;
}

bool is_bot(std::string_view ua) {
  static constexpr std::array<std::string_view, 10> kMarkers = {
      "bot", "Bot", "crawler", "Crawler", "spider", "Spider", "Slurp", "curl/", "Wget/",
      "python-requests"};
  for (std::string_view marker : kMarkers) {
    if (contains(ua, marker)) return true;
  }
  return false;
}

std::string browser_family(std::string_view ua) {
  if (is_bot(ua)) return "bot";
  // Order matters: Edge, Opera and Samsung Internet also announce Chrome and Safari; Chrome
  // announces Safari.
  if (contains(ua, "Edg/")) return family("Edge", major_after(ua, "Edg/"));
  if (contains(ua, "EdgA/")) return family("Edge", major_after(ua, "EdgA/"));
  if (contains(ua, "EdgiOS/")) return family("Edge", major_after(ua, "EdgiOS/"));
  if (contains(ua, "OPR/") || contains(ua, "Opera") || contains(ua, "OPiOS/")) return "Opera";
  if (contains(ua, "SamsungBrowser/")) {
    return family("Samsung Internet", major_after(ua, "SamsungBrowser/"));
  }
  if (contains(ua, "Firefox/")) return family("Firefox", major_after(ua, "Firefox/"));
  if (contains(ua, "FxiOS/")) return family("Firefox", major_after(ua, "FxiOS/"));
  if (contains(ua, "CriOS/")) return family("Chrome", major_after(ua, "CriOS/"));
  if (contains(ua, "Chrome/")) return family("Chrome", major_after(ua, "Chrome/"));
  if (contains(ua, "Chromium/")) return family("Chrome", major_after(ua, "Chromium/"));
  if (contains(ua, "Safari/") || contains(ua, "AppleWebKit/")) {
    if (contains(ua, "Version/")) return family("Safari", major_after(ua, "Version/"));
    if (contains(ua, "iPhone") || contains(ua, "iPad") || contains(ua, "Macintosh")) {
      return "Safari";  // WebKit views of iOS apps give no version
    }
  }
  return "other";
}

std::string os_family(std::string_view ua) {
  if (contains(ua, "Windows")) return "Windows";
  if (contains(ua, "iPhone") || contains(ua, "iPad") || contains(ua, "iPod")) {
    // "iPhone OS 17_4 like Mac OS X", "CPU OS 17_4 like Mac OS X" (iPad)
    std::string_view major = major_after(ua, "iPhone OS ");
    if (major.empty()) major = major_after(ua, "CPU OS ");
    return family("iOS", major);
  }
  if (contains(ua, "Android")) return family("Android", major_after(ua, "Android "));
  if (contains(ua, "CrOS")) return "ChromeOS";
  if (contains(ua, "Mac OS X") || contains(ua, "Macintosh")) return "macOS";
  if (contains(ua, "Linux") || contains(ua, "X11")) return "Linux";
  return "other";
}

}  // namespace

ReducedUserAgent reduce_user_agent(std::string_view user_agent) {
  const std::string_view ua = user_agent.substr(0, kMaxInspectedBytes);
  return {browser_family(ua), os_family(ua)};
}

}  // namespace mtrace::domain
