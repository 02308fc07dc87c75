// The spans a playback session exports when it ends (SPEC §8 Traces): one `playback session`
// span on the session's trace, a child `startup` span, a child `rebuffer` span per kept stall,
// and span events for bitrate switches and errors. Pure: no clock, no I/O.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "domain/qoe.h"
#include "domain/qoe/tracker.h"
#include "domain/session.h"
#include "ports/tracer.h"

namespace mtrace::app {

// Times come from the timeline (client time shifted by its clock offset to server time), falling
// back to the session's server times. `new_span_id` mints 16-hex span ids (domain::new_span_id in
// production). The session must have a trace id (32 lowercase hex).
std::vector<ports::Span> session_spans(const domain::Session& session,
                                       const domain::qoe::SessionTimeline& timeline,
                                       const domain::Qoe& qoe,
                                       const std::function<std::string()>& new_span_id);

}  // namespace mtrace::app
