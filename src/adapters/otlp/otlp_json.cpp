#include "adapters/otlp/otlp_json.h"

#include <cmath>
#include <string_view>

#include "domain/json_writer.h"

namespace mtrace::adapters::otlp {

namespace {

// Written as a stream: the exporter encodes one request per batch of spans, hundreds of spans a
// second per playback session at peak ingest, and a document tree would cost more than the text.
// domain::JsonWriter escapes strings and replaces bytes that are not valid UTF-8.

void write_nanos(domain::JsonWriter& out, std::string_view key, domain::Micros micros) {
  out.member(key, std::to_string(micros * 1000));
}

void write_any_value(domain::JsonWriter& out, const ports::AttributeValue& value) {
  out.begin_object();
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out.member("stringValue", v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out.member("intValue", std::to_string(v));
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(v)) {
            out.member("doubleValue", v);
          } else {  // the proto3 JSON spellings
            out.member("doubleValue", std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
          }
        } else {
          out.member("boolValue", v);
        }
      },
      value);
  out.end_object();
}

void write_attributes(domain::JsonWriter& out, const std::vector<ports::Attribute>& list) {
  out.key("attributes").begin_array();
  for (const auto& attribute : list) {
    out.begin_object().member("key", attribute.key).key("value");
    write_any_value(out, attribute.value);
    out.end_object();
  }
  out.end_array();
}

void write_span(domain::JsonWriter& out, const ports::Span& span) {
  out.begin_object();
  out.member("traceId", span.trace_id).member("spanId", span.span_id);
  if (!span.parent_span_id.empty()) out.member("parentSpanId", span.parent_span_id);
  out.member("name", span.name).member("kind", static_cast<int>(span.kind));
  write_nanos(out, "startTimeUnixNano", span.start);
  write_nanos(out, "endTimeUnixNano", span.end);
  if (!span.attributes.empty()) write_attributes(out, span.attributes);
  if (!span.events.empty()) {
    out.key("events").begin_array();
    for (const auto& event : span.events) {
      out.begin_object();
      write_nanos(out, "timeUnixNano", event.time);
      out.member("name", event.name);
      if (!event.attributes.empty()) write_attributes(out, event.attributes);
      out.end_object();
    }
    out.end_array();
  }
  if (span.status != ports::SpanStatusCode::unset) {
    out.key("status").begin_object().member("code", static_cast<int>(span.status));
    if (!span.status_message.empty()) out.member("message", span.status_message);
    out.end_object();
  }
  out.end_object();
}

}  // namespace

std::string encode_trace_request(const std::vector<ports::Attribute>& resource,
                                 const std::vector<ports::Span>& spans) {
  domain::JsonWriter out;
  out.begin_object().key("resourceSpans").begin_array().begin_object();
  out.key("resource").begin_object();
  write_attributes(out, resource);
  out.end_object();
  out.key("scopeSpans").begin_array().begin_object();
  out.key("scope").begin_object().member("name", kScopeName).end_object();
  out.key("spans").begin_array();
  for (const auto& span : spans) write_span(out, span);
  out.end_array();
  out.end_object().end_array();  // scopeSpans
  out.end_object().end_array();  // resourceSpans
  out.end_object();
  return out.take();
}

}  // namespace mtrace::adapters::otlp
