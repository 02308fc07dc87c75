// Fuzzes the cursor decoders with arbitrary bytes: never crash, and a cursor that decodes encodes
// back to one that decodes to the same position.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/cursor.h"

using namespace mtrace::app;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto session = decode_session_cursor(input, "demo"); session.ok()) {
    const auto again = decode_session_cursor(encode_session_cursor("demo", session.value()), "demo");
    if (!again.ok() || again.value().started_at != session.value().started_at ||
        again.value().session_id != session.value().session_id) {
      std::abort();
    }
  }
  if (const auto event = decode_event_cursor(input, "demo", "sess"); event.ok()) {
    const auto again =
        decode_event_cursor(encode_event_cursor("demo", "sess", event.value()), "demo", "sess");
    if (!again.ok() || again.value().server_received_at != event.value().server_received_at ||
        again.value().sequence_number != event.value().sequence_number ||
        again.value().ingest_sequence != event.value().ingest_sequence) {
      std::abort();
    }
  }
  if (const auto search = decode_search_cursor(input, "demo"); search.ok()) {
    const auto again = decode_search_cursor(encode_search_cursor("demo", search.value()), "demo");
    if (!again.ok() || again.value() != search.value()) std::abort();
  }
  return 0;
}
