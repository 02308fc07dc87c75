// Tracing: finished spans handed to an exporter (adapters/otlp sends them as OTLP/HTTP JSON;
// SPEC §8 Traces). Spans are plain values built by the use cases; nothing here does I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/timestamp.h"

namespace mtrace::ports {

// Values as in opentelemetry-proto trace.proto (the OTLP JSON encoding sends the integers).
enum class SpanKind : std::uint8_t {
  unspecified = 0,
  internal = 1,
  server = 2,
  client = 3,
  producer = 4,
  consumer = 5
};
enum class SpanStatusCode : std::uint8_t { unset = 0, ok = 1, error = 2 };

using AttributeValue = std::variant<std::string, std::int64_t, double, bool>;

struct Attribute {
  std::string key;
  AttributeValue value;
};

struct SpanEvent {
  std::string name;
  domain::Micros time = 0;
  std::vector<Attribute> attributes;
};

struct Span {
  std::string trace_id;        // 32 lowercase hex, not all zero
  std::string span_id;         // 16 lowercase hex, not all zero
  std::string parent_span_id;  // 16 lowercase hex, or empty for a root span
  // The sampled flag of the remote parent context (the SDK's traceparent) when there is one:
  // parentbased_* samplers follow it.
  std::optional<bool> parent_sampled;
  std::string name;
  SpanKind kind = SpanKind::internal;
  domain::Micros start = 0;  // µs since the epoch
  domain::Micros end = 0;    // >= start
  std::vector<Attribute> attributes;
  std::vector<SpanEvent> events;
  SpanStatusCode status = SpanStatusCode::unset;
  std::string status_message;  // only with SpanStatusCode::error
};

// Thread safety: export_spans may be called from any thread at the same time.
class TraceExporter {
 public:
  virtual ~TraceExporter() = default;

  // Takes ownership of `spans` and returns at once: O(spans.size()), never blocks on the network
  // or on a lock held during I/O. Spans that cannot be queued are dropped and counted (the
  // Metrics port's otlp_spans_dropped); there is no error to handle.
  virtual void export_spans(std::vector<Span> spans) = 0;
  // False when exported spans go nowhere: callers may skip building them.
  virtual bool enabled() const { return true; }
};

// The exporter when tracing is off: drops everything at no cost.
class NoopTraceExporter final : public TraceExporter {
 public:
  void export_spans(std::vector<Span>) override {}
  bool enabled() const override { return false; }
};

}  // namespace mtrace::ports
