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
  boost::json::object meta;    // decoded, for events of the compact layout
  std::string_view meta_json;  // events of the first layout: meta as JSON text ("" for none)
  bool time_skew_warning = false;
  bool after_session_end = false;
  bool duplicate_suspected = false;
};

// Builds the blob of one chunk, event by event. Chunk fields (project, session, received time,
// correlation, trace and span ids) are not encoded. Each event is written in the compact layout:
// an event name or SDK equal to the previous event's is not repeated, and meta is binary, its
// keys numbered in the chunk and each string value sharing its prefix with the previous value of
// the same key (segment URLs differ in a few characters). A batch of the benchmark's segment
// events takes a third of the first layout's bytes (550 instead of 1,760), and the writer, the WAL
// and the checkpoints move that much less.
// The encoder keeps views of the events it was given: they must outlive it. bytes() views the
// encoder's buffer: valid until the next add() or the encoder's end.
class ChunkEncoder {
 public:
  explicit ChunkEncoder(std::int64_t first_ingest_sequence) : first_(first_ingest_sequence) {}
  void add(const domain::PlaybackEvent& event);
  std::string_view bytes() const { return {out_.data(), size_}; }

 private:
  struct Key {
    std::string_view name;
    std::string_view last_string;  // the previous string value of this key, for its prefix
  };
  std::int64_t first_;
  std::string out_;     // longer than what was written: see ByteWriter in record_codec.cpp
  std::size_t size_ = 0;  // the bytes written
  const domain::PlaybackEvent* previous_ = nullptr;
  std::vector<Key> keys_;
  std::size_t next_key_ = 0;  // the key after the last one found, the likely next one
};

// Decodes a whole chunk, of either layout (a database written by an older build keeps its
// chunks). Bytes that do not decode give ErrorCode::internal (a corrupt row), never a read out
// of bounds or an allocation larger than the blob allows.
domain::Result<std::vector<EncodedEvent>> decode_chunk(std::string_view blob,
                                                       std::int64_t first_ingest_sequence,
                                                       domain::Micros server_received_at);

// The fields of `encoded` that the chunk stored per event, moved into `event` (its meta too, for
// the compact layout); `server_received_at` is the chunk's. The chunk fields (project, session,
// correlation, trace and span ids) and first-layout meta (`encoded.meta_json`) are the caller's.
void move_event_fields(EncodedEvent& encoded, domain::Micros server_received_at,
                       domain::PlaybackEvent& event);

// Parses the meta JSON text of a first-layout event into `event.meta`.
domain::Status parse_meta(std::string_view meta_json, domain::PlaybackEvent& event);

// The chunk ids of a name_chunks or project_chunks row (chunk_list_index.h): `ascending` sorted
// and distinct, each written as its distance from the previous one. Bytes that do not decode give
// ErrorCode::internal.
std::string encode_chunk_ids(const std::vector<std::int64_t>& ascending);
domain::Result<std::vector<std::int64_t>> decode_chunk_ids(std::string_view blob);

std::string encode_qoe(const domain::Qoe& qoe);
domain::Result<domain::Qoe> decode_qoe(std::string_view json);

}  // namespace mtrace::adapters::sqlite
