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

// Decodes `body` for the project the ingest token resolved to. All-or-nothing: one fault rejects
// the whole batch. Statuses, in the reference's precedence: 400 malformed JSON or a member of the
// wrong type anywhere in the batch, then 400 a wrong schema_version; then, event by event, 422 a
// required member missing, 401 a project_id that is not exactly the token's, 422 a name, timestamp,
// sequence number or meta key that breaks a rule; 422 an empty or oversized batch or a bad
// boundary. Bounded work: nesting depth is capped, sizes were capped by the caller.
std::variant<DecodedBatch, IngestRejection> decode_playback_batch(std::string_view body,
                                                                  std::string_view project_id);

}  // namespace mtrace::app
