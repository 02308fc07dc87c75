// Encodings of what the SQLite store keeps in blobs and JSON columns: an event chunk (the events
// of one session from one batch, schema.cpp explains why) and a session's QoE.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/event.h"
#include "domain/qoe.h"
#include "domain/result.h"

namespace mtrace::adapters::sqlite {

// The fields of an event that differ within a chunk. Views point into the decoded blob.
struct EncodedEvent {
  std::int64_t ingest_sequence = 0;
  std::string_view event_name;
  domain::Micros client_timestamp = 0;
  std::optional<std::int64_t> sequence_number;
  std::string_view sdk_name;
  std::string_view sdk_version;
  std::string_view meta_json;  // empty when the event had no meta
  bool time_skew_warning = false;
  bool after_session_end = false;
  bool duplicate_suspected = false;
};

// Appends the encoding of `event` to `out`. Chunk fields (project, session, received time,
// correlation, trace and span ids) are not encoded. `first_ingest_sequence` is the chunk's.
void encode_event(const domain::PlaybackEvent& event, std::int64_t first_ingest_sequence,
                  std::string& out);

// Decodes a whole chunk. Bytes that do not decode give ErrorCode::internal (a corrupt row),
// never a read out of bounds.
domain::Result<std::vector<EncodedEvent>> decode_chunk(std::string_view blob,
                                                       std::int64_t first_ingest_sequence,
                                                       domain::Micros server_received_at);

// Parses meta JSON written by encode_event into `event.meta`.
domain::Status parse_meta(std::string_view meta_json, domain::PlaybackEvent& event);

std::string encode_qoe(const domain::Qoe& qoe);
domain::Result<domain::Qoe> decode_qoe(std::string_view json);

}  // namespace mtrace::adapters::sqlite
