#include "adapters/sqlite/record_codec.h"

#include <boost/json.hpp>
#include <type_traits>

#include "domain/json_writer.h"

namespace mtrace::adapters::sqlite {
namespace {

namespace json = boost::json;

enum EventFlags : std::uint8_t {
  kHasSequence = 1,
  kTimeSkew = 2,
  kAfterEnd = 4,
  kDuplicate = 8,
};

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

void put_varint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_string(std::string_view text, std::string& out) {
  put_varint(text.size(), out);
  out.append(text);
}

// Bounds-checked reader over a blob; any overrun marks it failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return failed_ || position_ == bytes_.size(); }
  bool failed() const { return failed_; }

  std::uint64_t varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (position_ >= bytes_.size()) break;
      const auto byte = static_cast<std::uint8_t>(bytes_[position_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    failed_ = true;
    return 0;
  }

  std::uint8_t byte() {
    if (position_ >= bytes_.size()) {
      failed_ = true;
      return 0;
    }
    return static_cast<std::uint8_t>(bytes_[position_++]);
  }

  std::string_view string() {
    const std::uint64_t size = varint();
    if (failed_ || size > bytes_.size() - position_) {
      failed_ = true;
      return {};
    }
    const std::string_view text = bytes_.substr(position_, size);
    position_ += size;
    return text;
  }

 private:
  std::string_view bytes_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

domain::Error corrupt(std::string_view what) {
  return {domain::ErrorCode::internal, "corrupt stored " + std::string(what)};
}

}  // namespace

void encode_event(const domain::PlaybackEvent& event, std::int64_t first_ingest_sequence,
                  std::string& out) {
  std::uint8_t flags = 0;
  if (event.sequence_number) flags |= kHasSequence;
  if (event.time_skew_warning) flags |= kTimeSkew;
  if (event.after_session_end) flags |= kAfterEnd;
  if (event.delivery == domain::DeliveryStatus::duplicate_suspected) flags |= kDuplicate;
  out.push_back(static_cast<char>(flags));
  put_varint(zigzag(event.ingest_sequence - first_ingest_sequence), out);
  put_string(event.event_name, out);
  put_varint(zigzag(event.client_timestamp - event.server_received_at), out);
  if (event.sequence_number) put_varint(zigzag(*event.sequence_number), out);
  put_string(event.sdk.name, out);
  put_string(event.sdk.version, out);
  put_string(event.meta.empty() ? std::string() : json::serialize(event.meta), out);
}

domain::Result<std::vector<EncodedEvent>> decode_chunk(std::string_view blob,
                                                       std::int64_t first_ingest_sequence,
                                                       domain::Micros server_received_at) {
  std::vector<EncodedEvent> events;
  Reader reader(blob);
  while (!reader.done()) {
    EncodedEvent event;
    const std::uint8_t flags = reader.byte();
    event.ingest_sequence = first_ingest_sequence + unzigzag(reader.varint());
    event.event_name = reader.string();
    event.client_timestamp = server_received_at + unzigzag(reader.varint());
    if ((flags & kHasSequence) != 0) event.sequence_number = unzigzag(reader.varint());
    event.sdk_name = reader.string();
    event.sdk_version = reader.string();
    event.meta_json = reader.string();
    event.time_skew_warning = (flags & kTimeSkew) != 0;
    event.after_session_end = (flags & kAfterEnd) != 0;
    event.duplicate_suspected = (flags & kDuplicate) != 0;
    if (reader.failed()) return corrupt("event chunk");
    events.push_back(event);
  }
  return events;
}

domain::Status parse_meta(std::string_view meta_json, domain::PlaybackEvent& event) {
  if (meta_json.empty()) return domain::Ok{};
  boost::system::error_code error;
  json::value value = json::parse(meta_json, error);
  if (error || !value.is_object()) return corrupt("event meta");
  event.meta = std::move(value.as_object());
  return domain::Ok{};
}

std::string encode_qoe(const domain::Qoe& qoe) {
  // Only values that differ from a fresh Qoe are written: session rows stay small, and the
  // writer rewrites one with every batch.
  domain::JsonWriter out;
  out.begin_object();
  domain::visit_qoe_fields(qoe, [&](std::string_view name, const auto& field) {
    if constexpr (requires { field.has_value(); }) {
      if (field) out.member(name, *field);
    } else if (field != std::remove_cvref_t<decltype(field)>{}) {
      out.member(name, field);
    }
  });
  out.end_object();
  return out.take();
}

domain::Result<domain::Qoe> decode_qoe(std::string_view text) {
  boost::system::error_code error;
  const json::value value = json::parse(text, error);
  if (error || !value.is_object()) return corrupt("session qoe");
  const json::object& object = value.get_object();
  domain::Qoe qoe;
  domain::visit_qoe_fields(qoe, [&](std::string_view name, auto& field) {
    using Field = std::remove_cvref_t<decltype(field)>;
    const json::value* stored = object.if_contains(name);
    if (stored == nullptr) return;
    if constexpr (std::is_same_v<Field, bool>) {
      if (stored->is_bool()) field = stored->get_bool();
    } else if constexpr (std::is_same_v<Field, std::int64_t> || std::is_same_v<Field, std::optional<std::int64_t>>) {
      if (stored->is_int64()) field = stored->get_int64();
    } else if (stored->is_number()) {  // double or std::optional<double>; integral text reads too
      field = stored->to_number<double>();
    }
  });
  return qoe;
}

}  // namespace mtrace::adapters::sqlite
