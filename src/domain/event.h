// A playback event as the ingest use case accepts it and as the store keeps and returns it.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/timestamp.h"

namespace mtrace::domain {

struct SdkInfo {
  std::string name;
  std::string version;
};

enum class DeliveryStatus : std::uint8_t {
  accepted,
  duplicate_suspected,  // same (project, session, sequence_number) already seen (SPEC §8 scope)
};

// What the server stamps on the events one request brought for one session. Those events share
// one (the store keeps it once per chunk of them), so stamping a batch copies no string per event.
struct IngestStamp {
  std::string correlation_id;  // the session's
  std::string trace_id;        // 32 lowercase hex: the batch's trace (SPEC §8)
  std::string span_id;         // 16 lowercase hex: the server span of the ingest request
  bool operator==(const IngestStamp&) const = default;
};

struct PlaybackEvent {
  // From the client (validated).
  std::string event_name;
  std::string project_id;
  std::string session_id;
  Micros client_timestamp = 0;
  std::optional<std::int64_t> sequence_number;  // >= 0 when present
  SdkInfo sdk;
  // URL values already redacted; empty when the client sent none. Its storage may be an arena
  // that the batch holding the event owns (ports::AppendBatch::meta_memory): a copy meant to
  // outlive the batch goes into storage of its own.
  boost::json::object meta;

  // Assigned by the server.
  Micros server_received_at = 0;   // one value for the whole batch
  std::int64_t ingest_sequence = 0;  // unique, increasing in commit order within one process
  std::shared_ptr<const IngestStamp> stamp;  // null until the server stamped the event
  bool time_skew_warning = false;  // |server_received_at - client_timestamp| > 60 s
  bool after_session_end = false;  // arrived after its session had ended
  DeliveryStatus delivery = DeliveryStatus::accepted;

  // The stamp's fields, empty when unstamped.
  std::string_view correlation_id() const { return stamp ? std::string_view(stamp->correlation_id) : ""; }
  std::string_view trace_id() const { return stamp ? std::string_view(stamp->trace_id) : ""; }
  std::string_view span_id() const { return stamp ? std::string_view(stamp->span_id) : ""; }
};

// A `session_boundaries[]` entry (reference backend.md §2.4). Upserted on
// (project_id, session_id, kind, network_kind, adapter, reason).
struct SessionBoundary {
  std::string kind;  // always "network_signal_absent"
  std::string project_id;
  std::string session_id;
  std::string network_kind;  // manifest | segment
  std::string adapter;       // hls.js | native_hls | unknown
  std::string reason;
  Micros client_timestamp = 0;
  Micros server_received_at = 0;
};

}  // namespace mtrace::domain
