// Reduction of a User-Agent header to what the dashboard shows (SPEC §8): browser family and OS
// family, each with a major version where one is meaningful. Nothing else of the header is kept.
#pragma once

#include <string>
#include <string_view>

namespace mtrace::domain {

struct ReducedUserAgent {
  std::string browser_family;  // "Chrome 126", "Firefox 128", "Safari 17", "Edge 125", "Opera",
                               // "Samsung Internet 25", "bot" or "other"
  std::string os_family;       // "Windows", "macOS", "iOS 17", "Android 14", "Linux",
                               // "ChromeOS" or "other"
};

// Looks only at the first 1 KiB of the header, so the work is bounded whatever its size.
// Thread-safe. An empty or unknown header gives {"other", "other"}.
ReducedUserAgent reduce_user_agent(std::string_view user_agent);

}  // namespace mtrace::domain
