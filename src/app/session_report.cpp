#include "app/session_report.h"

#include "app/session_spans.h"
#include "domain/ids.h"

namespace mtrace::app {

void report_sessions(const SessionChanges& changes, ports::Metrics& metrics, ports::TraceExporter& tracer) {
  for (std::size_t i = 0; i < changes.created; ++i) metrics.session_started();
  for (const auto seconds : changes.startups_s) metrics.startup_observed(seconds);
  for (const auto seconds : changes.stalls_s) metrics.stall_observed(seconds);
  for (const auto& project_id : changes.sample_rate_drifts) metrics.sample_rate_drift(project_id);
  for (const auto& ended : changes.ended) {
    metrics.session_ended(ended.session.qoe);
    if (ended.traced) tracer.export_spans(session_spans(ended.session, ended.timeline, ended.session.qoe, domain::new_span_id));
  }
}

}  // namespace mtrace::app
