// Reports what a batch or a sweep did to sessions: metrics (starts, startup times, stalls, ends)
// and, for each session that ended, its spans on the session's trace (SPEC §8).
#pragma once

#include "app/session_registry.h"
#include "ports/metrics.h"
#include "ports/tracer.h"

namespace mtrace::app {

void report_sessions(const SessionChanges& changes, ports::Metrics& metrics, ports::TraceExporter& tracer);

}  // namespace mtrace::app
