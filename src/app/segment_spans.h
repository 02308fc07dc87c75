// The spans of the segment requests a batch reports (SPEC §8 Traces, opt-in with
// MTRACE_TRACE_SEGMENTS=1): one client span per `segment_loaded` event, a child of the server
// span of the ingest request that carried it, on the session's trace. A span lasts the event's
// `duration_ms` and ends when the player had the segment, in server time: client time shifted
// by the offset of the session's last event in the batch (as the session's own spans are).
// Pure: no clock, no I/O.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "domain/event.h"
#include "ports/tracer.h"

namespace mtrace::app {

// `events` are a stored batch's (server fields and stamps assigned). `new_span_id` mints 16-hex
// span ids (domain::new_span_id in production).
std::vector<ports::Span> segment_spans(const std::vector<domain::PlaybackEvent>& events,
                                       const std::function<std::string()>& new_span_id);

}  // namespace mtrace::app
