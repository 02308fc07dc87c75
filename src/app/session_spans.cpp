#include "app/session_spans.h"

#include <algorithm>

namespace mtrace::app {

namespace {

using domain::Micros;
using ports::Attribute;
using ports::Span;

void add_if_set(std::vector<Attribute>& out, std::string key, const std::string& value) {
  if (!value.empty()) out.push_back(Attribute{std::move(key), value});
}

template <class T>
void add_if_set(std::vector<Attribute>& out, std::string key, const std::optional<T>& value) {
  if (value) out.push_back(Attribute{std::move(key), *value});
}

std::string_view direction_name(domain::qoe::SwitchDirection direction) {
  switch (direction) {
    case domain::qoe::SwitchDirection::up:
      return "up";
    case domain::qoe::SwitchDirection::down:
      return "down";
    case domain::qoe::SwitchDirection::unknown:
      break;
  }
  return "unknown";
}

std::vector<Attribute> session_attributes(const domain::Session& session, const domain::Qoe& qoe,
                                          const domain::qoe::SessionTimeline& timeline) {
  std::vector<Attribute> out{
      {"session.id", session.session_id},
      {"mtrace.project.id", session.project_id},
      {"mtrace.session.state", std::string{domain::to_string(session.state)}},
      {"mtrace.qoe.started", qoe.started},
      {"mtrace.qoe.exited_before_start", qoe.exited_before_start},
      {"mtrace.qoe.failed", qoe.failed},
      {"mtrace.qoe.rebuffer_count", qoe.rebuffer_count},
      {"mtrace.qoe.rebuffer_ms", qoe.rebuffer_ms},
      {"mtrace.qoe.watch_ms", qoe.watch_ms},
      {"mtrace.qoe.rebuffer_ratio", qoe.rebuffer_ratio},
      {"mtrace.qoe.bitrate_switches", qoe.bitrate_switches},
      {"mtrace.qoe.dropped_frames", qoe.dropped_frames},
  };
  add_if_set(out, "mtrace.session.correlation_id", session.correlation_id);
  add_if_set(out, "mtrace.session.end_source", std::string{domain::to_string(session.end_source)});
  const auto& d = session.dimensions;
  add_if_set(out, "mtrace.content.id", d.content_id);
  add_if_set(out, "mtrace.player.name", d.player_name);
  add_if_set(out, "mtrace.player.version", d.player_version);
  add_if_set(out, "mtrace.browser.family", d.browser_family);
  add_if_set(out, "mtrace.os.family", d.os_family);
  add_if_set(out, "mtrace.qoe.startup_ms", qoe.startup_ms);
  add_if_set(out, "mtrace.qoe.time_weighted_bitrate_bps", qoe.time_weighted_bitrate_bps);
  add_if_set(out, "mtrace.qoe.live_latency_s", qoe.live_latency_s);
  add_if_set(out, "mtrace.qoe.startup_score", qoe.startup_score);
  add_if_set(out, "mtrace.qoe.smoothness_score", qoe.smoothness_score);
  add_if_set(out, "mtrace.qoe.quality_score", qoe.quality_score);
  const std::int64_t not_kept =
      timeline.stalls_not_kept + timeline.switches_not_kept + timeline.errors_not_kept;
  if (not_kept > 0) out.push_back(Attribute{"mtrace.timeline.not_kept", not_kept});
  return out;
}

}  // namespace

std::vector<Span> session_spans(const domain::Session& session,
                                const domain::qoe::SessionTimeline& timeline,
                                const domain::Qoe& qoe,
                                const std::function<std::string()>& new_span_id) {
  const auto server = [&timeline](Micros client) { return client + timeline.clock_offset; };
  const Micros start = timeline.first_event_at ? server(*timeline.first_event_at) : session.started_at;
  Micros end = timeline.ended_at      ? server(*timeline.ended_at)
               : timeline.last_event_at ? server(*timeline.last_event_at)
                                        : session.last_event_at;
  for (const auto& stall : timeline.stalls) end = std::max(end, server(stall.end.value_or(stall.start)));
  end = std::max(end, start);
  const auto clamp = [&](Micros t) { return std::clamp(t, start, end); };

  Span root;
  root.trace_id = session.trace_id;
  root.span_id = new_span_id();
  root.name = "playback session";
  root.kind = ports::SpanKind::internal;
  root.start = start;
  root.end = end;
  root.attributes = session_attributes(session, qoe, timeline);
  if (qoe.failed) {
    root.status = ports::SpanStatusCode::error;
    root.status_message = qoe.failed_before_start ? "fatal error before the first frame"
                                                  : "fatal playback error";
  }
  for (const auto& change : timeline.switches) {
    ports::SpanEvent event{"bitrate_switch", clamp(server(change.at)), {}};
    add_if_set(event.attributes, "bitrate_bps", change.bitrate_bps);
    event.attributes.push_back(Attribute{"direction", std::string{direction_name(change.direction)}});
    root.events.push_back(std::move(event));
  }
  for (const auto& error : timeline.errors) {
    ports::SpanEvent event{"playback_error", clamp(server(error.at)), {{"fatal", error.fatal}}};
    add_if_set(event.attributes, "error_type", error.error_type);
    add_if_set(event.attributes, "error_code", error.error_code);
    root.events.push_back(std::move(event));
  }

  std::vector<Span> spans;
  const auto child = [&](std::string name, Micros from, Micros to) {
    Span span;
    span.trace_id = session.trace_id;
    span.span_id = new_span_id();
    span.parent_span_id = root.span_id;
    span.name = std::move(name);
    span.kind = ports::SpanKind::internal;
    span.start = clamp(from);
    span.end = std::max(span.start, clamp(to));
    return span;
  };
  if (timeline.startup_from && timeline.first_frame_at) {
    Span startup = child("startup", server(*timeline.startup_from), server(*timeline.first_frame_at));
    add_if_set(startup.attributes, "mtrace.qoe.startup_ms", qoe.startup_ms);
    spans.push_back(std::move(startup));
  }
  for (const auto& stall : timeline.stalls) {
    Span rebuffer = child("rebuffer", server(stall.start), stall.end ? server(*stall.end) : end);
    if (!stall.end) rebuffer.attributes.push_back(Attribute{"mtrace.rebuffer.unended", true});
    spans.push_back(std::move(rebuffer));
  }
  spans.insert(spans.begin(), std::move(root));
  return spans;
}

}  // namespace mtrace::app
