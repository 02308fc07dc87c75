// Fuzzes the stored event chunk decoder with arbitrary bytes (a corrupt or foreign database row):
// never crash, and a chunk that decodes encodes again (compact layout) to bytes that decode to
// the same events and encode to the very same bytes. The same bytes as a name_chunks row's chunk
// ids: never crash, and ids that decode ascending and distinct encode to bytes that decode to them.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/sqlite/record_codec.h"

using namespace mtrace::adapters::sqlite;
using mtrace::domain::PlaybackEvent;

namespace {

constexpr std::int64_t kFirst = 1000;
constexpr mtrace::domain::Micros kReceived = 1'767'225'600'000'000;

// The events of a decoded chunk, or nothing when a first-layout meta is not a JSON object.
std::optional<std::vector<PlaybackEvent>> events_of(std::vector<EncodedEvent> decoded) {
  std::vector<PlaybackEvent> events;
  for (auto& encoded : decoded) {
    PlaybackEvent& e = events.emplace_back();
    move_event_fields(encoded, kReceived, e);
    if (!parse_meta(encoded.meta_json, e).ok()) return std::nullopt;
  }
  return events;
}

std::string encode(const std::vector<PlaybackEvent>& events) {
  ChunkEncoder encoder(kFirst);
  for (const auto& e : events) encoder.add(e);
  return std::string(encoder.bytes());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (const auto ids = decode_chunk_ids(bytes);
      ids.ok() && std::adjacent_find(ids.value().begin(), ids.value().end(),
                                     [](auto a, auto b) { return a >= b; }) == ids.value().end()) {
    const auto again = decode_chunk_ids(encode_chunk_ids(ids.value()));
    if (!again.ok() || again.value() != ids.value()) std::abort();
  }
  auto decoded = decode_chunk(bytes, kFirst, kReceived);
  if (!decoded.ok()) return 0;
  const auto events = events_of(std::move(decoded.value()));
  if (!events) return 0;
  const std::string once = encode(*events);
  auto again = decode_chunk(once, kFirst, kReceived);
  if (!again.ok()) std::abort();
  const auto reread = events_of(std::move(again.value()));
  if (!reread || reread->size() != events->size()) std::abort();
  for (std::size_t i = 0; i < events->size(); ++i) {
    const auto& a = (*events)[i];
    const auto& b = (*reread)[i];
    if (a.event_name != b.event_name || a.ingest_sequence != b.ingest_sequence ||
        a.client_timestamp != b.client_timestamp || a.sequence_number != b.sequence_number ||
        a.sdk.name != b.sdk.name || a.sdk.version != b.sdk.version || a.delivery != b.delivery ||
        a.time_skew_warning != b.time_skew_warning || a.after_session_end != b.after_session_end ||
        a.meta.size() != b.meta.size()) {
      std::abort();
    }
  }
  if (encode(*reread) != once) std::abort();
  return 0;
}
