// Fuzz target: the ingest wire decoder (JSON -> validated domain events) on arbitrary bytes.
// Property: it never crashes, and an accepted batch holds 1..100 events of the token's project.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "app/playback_batch_decoder.h"
#include "domain/event_rules.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto decoded = mtrace::app::decode_playback_batch(body, "demo");
  if (const auto* batch = std::get_if<mtrace::app::DecodedBatch>(&decoded)) {
    if (batch->events.empty() || batch->events.size() > mtrace::domain::kMaxEventsPerBatch) std::abort();
    for (const auto& event : batch->events) {
      if (event.project_id != "demo" || event.session_id.empty()) std::abort();
      if (event.sequence_number && *event.sequence_number < 0) std::abort();
    }
  } else {
    const auto& rejection = std::get<mtrace::app::IngestRejection>(decoded);
    if (rejection.http_status != 400 && rejection.http_status != 401 && rejection.http_status != 422) std::abort();
  }
  return 0;
}
