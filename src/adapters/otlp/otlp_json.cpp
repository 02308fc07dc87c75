#include "adapters/otlp/otlp_json.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <string_view>

#include "domain/utf8.h"

namespace mtrace::adapters::otlp {

namespace {

namespace json = boost::json;

json::string valid_utf8(std::string_view s) {
  json::string out;
  out.reserve(s.size());
  while (!s.empty()) {
    const std::size_t length = domain::utf8_sequence_length(s, 0);
    if (length == 0) {
      out.append("\xEF\xBF\xBD");
      s.remove_prefix(1);
    } else {
      out.append(s.substr(0, length));
      s.remove_prefix(length);
    }
  }
  return out;
}

json::string nanos(domain::Micros micros) { return json::string(std::to_string(micros * 1000)); }

json::object any_value(const ports::AttributeValue& value) {
  json::object out;
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out["stringValue"] = valid_utf8(v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out["intValue"] = json::string(std::to_string(v));
        } else if constexpr (std::is_same_v<T, double>) {
          if (std::isfinite(v)) {
            out["doubleValue"] = v;
          } else {  // the proto3 JSON spellings
            out["doubleValue"] = std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
          }
        } else {
          out["boolValue"] = v;
        }
      },
      value);
  return out;
}

json::array attributes(const std::vector<ports::Attribute>& list) {
  json::array out;
  out.reserve(list.size());
  for (const auto& attribute : list) {
    out.push_back(json::object{{"key", valid_utf8(attribute.key)},
                               {"value", any_value(attribute.value)}});
  }
  return out;
}

json::object span_json(const ports::Span& span) {
  json::object out;
  out["traceId"] = span.trace_id;
  out["spanId"] = span.span_id;
  if (!span.parent_span_id.empty()) out["parentSpanId"] = span.parent_span_id;
  out["name"] = valid_utf8(span.name);
  out["kind"] = static_cast<int>(span.kind);
  out["startTimeUnixNano"] = nanos(span.start);
  out["endTimeUnixNano"] = nanos(span.end);
  if (!span.attributes.empty()) out["attributes"] = attributes(span.attributes);
  if (!span.events.empty()) {
    json::array events;
    events.reserve(span.events.size());
    for (const auto& event : span.events) {
      json::object e{{"timeUnixNano", nanos(event.time)}, {"name", valid_utf8(event.name)}};
      if (!event.attributes.empty()) e["attributes"] = attributes(event.attributes);
      events.push_back(std::move(e));
    }
    out["events"] = std::move(events);
  }
  if (span.status != ports::SpanStatusCode::unset) {
    json::object status{{"code", static_cast<int>(span.status)}};
    if (!span.status_message.empty()) status["message"] = valid_utf8(span.status_message);
    out["status"] = std::move(status);
  }
  return out;
}

}  // namespace

std::string encode_trace_request(const std::vector<ports::Attribute>& resource,
                                 const std::vector<ports::Span>& spans) {
  json::array span_list;
  span_list.reserve(spans.size());
  for (const auto& span : spans) span_list.push_back(span_json(span));
  json::object scope_spans{{"scope", json::object{{"name", kScopeName}}},
                           {"spans", std::move(span_list)}};
  json::object resource_spans{{"resource", json::object{{"attributes", attributes(resource)}}},
                              {"scopeSpans", json::array{std::move(scope_spans)}}};
  return json::serialize(json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

}  // namespace mtrace::adapters::otlp
