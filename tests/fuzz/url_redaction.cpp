// Fuzzes URL redaction with arbitrary bytes: never crashes, and whatever it produces is either the
// ":redacted" marker or a URL that passes the network.redacted_url check and redacts to itself.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "domain/url_redaction.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string redacted = mtrace::domain::redact_url(input);
  if (redacted != ":redacted") {
    if (!mtrace::domain::is_redacted_url(redacted)) std::abort();
    if (mtrace::domain::redact_url(redacted) != redacted) std::abort();
  }
  (void)mtrace::domain::is_redacted_url(input);
  (void)mtrace::domain::needs_redaction(input, input);
  return 0;
}
