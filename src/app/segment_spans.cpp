#include "app/segment_spans.h"

#include <cmath>
#include <optional>
#include <utility>

#include "domain/meta_values.h"

namespace mtrace::app {
namespace {

using domain::Micros;

// Server time minus client time for each session of a batch, from its last event there.
class ClockOffsets {
 public:
  explicit ClockOffsets(const std::vector<domain::PlaybackEvent>& events) {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (!find(it->session_id)) offsets_.emplace_back(it->session_id, it->server_received_at - it->client_timestamp);
    }
  }
  Micros of(std::string_view session_id) const { return find(session_id).value_or(0); }

 private:
  std::optional<Micros> find(std::string_view session_id) const {
    for (const auto& [session, offset] : offsets_) {
      if (session == session_id) return offset;
    }
    return std::nullopt;
  }
  std::vector<std::pair<std::string_view, Micros>> offsets_;  // a batch holds few sessions
};

void add_text(std::vector<ports::Attribute>& out, std::string key, const boost::json::object& meta,
              std::string_view member) {
  if (const auto* value = meta.if_contains(member); value != nullptr && value->is_string() && !value->get_string().empty()) {
    out.push_back({std::move(key), std::string(value->get_string())});
  }
}

void add_number(std::vector<ports::Attribute>& out, std::string key, const boost::json::object& meta,
                std::string_view member, double max) {
  if (const auto number = domain::meta_number(meta, member, max)) {
    out.push_back({std::move(key), static_cast<std::int64_t>(std::llround(*number))});
  }
}

}  // namespace

std::vector<ports::Span> segment_spans(const std::vector<domain::PlaybackEvent>& events,
                                       const std::function<std::string()>& new_span_id) {
  std::vector<ports::Span> spans;
  const ClockOffsets offsets(events);
  for (const auto& event : events) {
    if (event.event_name != "segment_loaded" || event.stamp == nullptr) continue;
    const auto& meta = event.meta;
    ports::Span span;
    span.trace_id = event.stamp->trace_id;
    span.span_id = new_span_id();
    span.parent_span_id = event.stamp->span_id;
    span.name = "segment request";
    span.kind = ports::SpanKind::client;
    span.end = event.client_timestamp + offsets.of(event.session_id);
    const auto loading_ms = domain::meta_number(meta, "duration_ms", domain::kMaxDurationMs).value_or(0);
    span.start = span.end - static_cast<Micros>(std::llround(loading_ms * 1000));
    span.attributes.push_back({"session.id", event.session_id});
    add_text(span.attributes, "url.full", meta, "network.redacted_url");
    add_number(span.attributes, "http.response.body.size", meta, "bytes", 1e15);
    add_text(span.attributes, "mtrace.segment.media_type", meta, "media_type");
    add_number(span.attributes, "mtrace.segment.level", meta, "level", 1e6);
    if (const auto seconds = domain::meta_number(meta, "segment_duration_s", 86'400)) {
      span.attributes.push_back({"mtrace.segment.duration_s", *seconds});
    }
    if (const auto* init = meta.if_contains("is_init"); init != nullptr && init->is_bool()) {
      span.attributes.push_back({"mtrace.segment.is_init", init->get_bool()});
    }
    spans.push_back(std::move(span));
  }
  return spans;
}

}  // namespace mtrace::app
