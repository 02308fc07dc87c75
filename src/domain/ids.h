// Identifiers minted by the server (correlation ids, trace and span ids) and the W3C
// `traceparent` header (reference backend.md §7.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mtrace::domain {

// Random identifiers from a per-thread generator seeded once from the system CSPRNG. Thread-safe
// (each thread has its own state); cheap enough for the ingest hot path. Not for secrets.
std::string new_uuid_v4();   // "xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx", lowercase
std::string new_trace_id();  // 32 lowercase hex digits, never all zero
std::string new_span_id();   // 16 lowercase hex digits, never all zero

struct TraceParent {
  std::string trace_id;  // 32 lowercase hex, not all zero
  std::string span_id;   // 16 lowercase hex, not all zero
  std::uint8_t flags = 0;
};

// Parses "00-<trace_id>-<span_id>-<flags>": exactly 55 characters, version 00, lowercase hex
// only, trace and span ids not all zero. Anything else is nullopt (the caller starts a root span
// and marks the parse error; it never rejects the request).
std::optional<TraceParent> parse_traceparent(std::string_view header);

// "00-<trace_id>-<span_id>-<flags as 2 lowercase hex>". The ids must already be valid.
std::string format_traceparent(const TraceParent& parent);

}  // namespace mtrace::domain
