#include "adapters/sqlite/record_codec.h"

#include <boost/json.hpp>

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

std::int64_t get_int(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_int64() ? value->get_int64() : 0;
}

bool get_bool(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->get_bool();
}

std::optional<double> get_double(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->to_number<double>();
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
  json::object object;
  const auto put_int = [&](std::string_view key, std::int64_t value) {
    if (value != 0) object[key] = value;
  };
  const auto put_flag = [&](std::string_view key, bool value) {
    if (value) object[key] = true;
  };
  const auto put_real = [&](std::string_view key, const std::optional<double>& value) {
    if (value) object[key] = *value;
  };
  if (qoe.startup_ms) object["startup_ms"] = *qoe.startup_ms;
  put_flag("started", qoe.started);
  put_flag("exited_before_start", qoe.exited_before_start);
  put_flag("failed", qoe.failed);
  put_flag("failed_before_start", qoe.failed_before_start);
  put_int("rebuffer_count", qoe.rebuffer_count);
  put_int("rebuffer_ms", qoe.rebuffer_ms);
  put_int("watch_ms", qoe.watch_ms);
  if (qoe.rebuffer_ratio != 0) object["rebuffer_ratio"] = qoe.rebuffer_ratio;
  if (qoe.rebuffer_per_minute != 0) object["rebuffer_per_minute"] = qoe.rebuffer_per_minute;
  put_int("bitrate_switches", qoe.bitrate_switches);
  put_int("switches_up", qoe.switches_up);
  put_int("switches_down", qoe.switches_down);
  put_real("average_bitrate_bps", qoe.average_bitrate_bps);
  put_real("time_weighted_bitrate_bps", qoe.time_weighted_bitrate_bps);
  put_int("dropped_frames", qoe.dropped_frames);
  put_int("decoded_frames", qoe.decoded_frames);
  put_real("live_latency_s", qoe.live_latency_s);
  put_real("startup_score", qoe.startup_score);
  put_real("smoothness_score", qoe.smoothness_score);
  put_real("quality_score", qoe.quality_score);
  return json::serialize(object);
}

domain::Result<domain::Qoe> decode_qoe(std::string_view text) {
  boost::system::error_code error;
  const json::value value = json::parse(text, error);
  if (error || !value.is_object()) return corrupt("session qoe");
  const json::object& object = value.get_object();
  domain::Qoe qoe;
  if (const auto* startup = object.if_contains("startup_ms"); startup && startup->is_int64()) {
    qoe.startup_ms = startup->get_int64();
  }
  qoe.started = get_bool(object, "started");
  qoe.exited_before_start = get_bool(object, "exited_before_start");
  qoe.failed = get_bool(object, "failed");
  qoe.failed_before_start = get_bool(object, "failed_before_start");
  qoe.rebuffer_count = get_int(object, "rebuffer_count");
  qoe.rebuffer_ms = get_int(object, "rebuffer_ms");
  qoe.watch_ms = get_int(object, "watch_ms");
  qoe.rebuffer_ratio = get_double(object, "rebuffer_ratio").value_or(0);
  qoe.rebuffer_per_minute = get_double(object, "rebuffer_per_minute").value_or(0);
  qoe.bitrate_switches = get_int(object, "bitrate_switches");
  qoe.switches_up = get_int(object, "switches_up");
  qoe.switches_down = get_int(object, "switches_down");
  qoe.average_bitrate_bps = get_double(object, "average_bitrate_bps");
  qoe.time_weighted_bitrate_bps = get_double(object, "time_weighted_bitrate_bps");
  qoe.dropped_frames = get_int(object, "dropped_frames");
  qoe.decoded_frames = get_int(object, "decoded_frames");
  qoe.live_latency_s = get_double(object, "live_latency_s");
  qoe.startup_score = get_double(object, "startup_score");
  qoe.smoothness_score = get_double(object, "smoothness_score");
  qoe.quality_score = get_double(object, "quality_score");
  return qoe;
}

}  // namespace mtrace::adapters::sqlite
