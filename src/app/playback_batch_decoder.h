// Decodes and validates the ingest wire format (`schema_version "1.0"`, reference/backend.md §2,
// with SPEC §3's fixes) into domain events. Pure: no clock, no store; one call per request body.
#pragma once

#include <memory>
#include <string_view>
#include <variant>
#include <vector>

#include "app/ingest_rejection.h"
#include "domain/event.h"

namespace mtrace::app {

struct DecodedBatch {
  // Client fields validated, meta URL-redacted, client_timestamp parsed. Server fields unset.
  // The memory of the events' meta objects (a monotonic arena their storage points to without
  // owning it); whoever keeps the events keeps this beside them (ports::AppendBatch::meta_memory).
  std::shared_ptr<const void> meta_memory;
  std::vector<domain::PlaybackEvent> events;
  // Validated; server_received_at unset.
  std::vector<domain::SessionBoundary> boundaries;
};

// Decodes `body` for the project the ingest token resolved to. All-or-nothing: the first fault
// rejects the whole batch. Statuses: 400 malformed JSON, wrong types or schema_version; 401 an
// event of another project; 422 empty or oversized batch, a field, meta key, timestamp or boundary
// that breaks a rule. Bounded work: nesting depth is capped, sizes were capped by the caller.
std::variant<DecodedBatch, IngestRejection> decode_playback_batch(std::string_view body,
                                                                  std::string_view project_id);

}  // namespace mtrace::app
