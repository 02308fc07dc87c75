#include "adapters/sqlite/record_codec.h"

#include <algorithm>
#include <bit>
#include <boost/json.hpp>
#include <cstring>
#include <type_traits>

#include "domain/json_writer.h"

namespace mtrace::adapters::sqlite {
namespace {

namespace json = boost::json;

// An event starts with a flags byte. Without kCompact it is in the first layout: name, SDK name
// and version spelled out, meta as JSON text.
enum EventFlags : std::uint8_t {
  kHasSequence = 1,
  kTimeSkew = 2,
  kAfterEnd = 4,
  kDuplicate = 8,
  kCompact = 16,   // the layout ChunkEncoder writes
  kSameName = 32,  // compact: the previous event's name
  kSameSdk = 64,   // compact: the previous event's SDK name and version
};

// Compact meta: a member count, then per member its key (0 and the key's text for a key not
// numbered yet, else its number from 1) and a typed value.
enum MetaType : std::uint8_t { kNull, kFalse, kTrue, kInt, kUint, kDouble, kString, kNested };
// Keys numbered per chunk, at most: past it a key is spelled out each time it appears.
constexpr std::size_t kMaxNumberedKeys = 64;

std::uint64_t zigzag(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>(value >> 1) ^ -static_cast<std::int64_t>(value & 1);
}

// base + delta and a - b, wrapping instead of overflowing: a corrupt blob may hold any delta.
std::int64_t wrapping_add(std::int64_t base, std::int64_t delta) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(delta));
}
std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}

// Appends to `buffer` at `size`, the bytes written so far; the buffer may be longer. One capacity
// check per field instead of one per byte (std::string::push_back per byte made writing varints
// a third of the chunk encoder's instructions).
class ByteWriter {
 public:
  ByteWriter(std::string& buffer, std::size_t& size) : buffer_(buffer), size_(size) {}

  void byte(std::uint8_t value) {
    *room(1) = static_cast<char>(value);
    ++size_;
  }
  void varint(std::uint64_t value) {
    char* const start = room(10);
    char* p = start;
    while (value >= 0x80) {
      *p++ = static_cast<char>((value & 0x7f) | 0x80);
      value >>= 7;
    }
    *p++ = static_cast<char>(value);
    size_ += static_cast<std::size_t>(p - start);
  }
  void string(std::string_view text) {
    varint(text.size());
    if (text.empty()) return;
    std::memcpy(room(text.size()), text.data(), text.size());
    size_ += text.size();
  }
  void double_bits(double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    char* p = room(8);
    for (int shift = 0; shift < 64; shift += 8) *p++ = static_cast<char>((bits >> shift) & 0xff);
    size_ += 8;
  }

 private:
  char* room(std::size_t bytes) {
    if (buffer_.size() - size_ < bytes) buffer_.resize(std::max(2 * buffer_.size(), size_ + bytes + 256));
    return buffer_.data() + size_;
  }

  std::string& buffer_;
  std::size_t& size_;
};

// Eight bytes at a time: segment URLs share most of their ~60 bytes with the previous one.
std::size_t shared_prefix(std::string_view a, std::string_view b) {
  const auto limit = std::min(a.size(), b.size());
  std::size_t n = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; n + 8 <= limit; n += 8) {
      std::uint64_t x, y;
      std::memcpy(&x, a.data() + n, 8);
      std::memcpy(&y, b.data() + n, 8);
      if (x != y) return n + static_cast<std::size_t>(std::countr_zero(x ^ y)) / 8;
    }
  }
  while (n < limit && a[n] == b[n]) ++n;
  return n;
}

// Bounds-checked reader over a blob; any overrun marks it failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool done() const { return failed_ || position_ == bytes_.size(); }
  bool failed() const { return failed_; }
  std::size_t remaining() const { return bytes_.size() - position_; }

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

  double double_bits() {
    if (bytes_.size() - position_ < 8) {
      failed_ = true;
      return 0;
    }
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= std::uint64_t(static_cast<std::uint8_t>(bytes_[position_++])) << (8 * i);
    return std::bit_cast<double>(bits);
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

void ChunkEncoder::add(const domain::PlaybackEvent& event) {
  const bool same_name = previous_ != nullptr && previous_->event_name == event.event_name;
  const bool same_sdk = previous_ != nullptr && previous_->sdk.name == event.sdk.name &&
                        previous_->sdk.version == event.sdk.version;
  std::uint8_t flags = kCompact;
  if (event.sequence_number) flags |= kHasSequence;
  if (event.time_skew_warning) flags |= kTimeSkew;
  if (event.after_session_end) flags |= kAfterEnd;
  if (event.delivery == domain::DeliveryStatus::duplicate_suspected) flags |= kDuplicate;
  if (same_name) flags |= kSameName;
  if (same_sdk) flags |= kSameSdk;
  ByteWriter out(out_, size_);
  out.byte(flags);
  out.varint(zigzag(wrapping_sub(event.ingest_sequence, first_)));
  if (!same_name) out.string(event.event_name);
  out.varint(zigzag(wrapping_sub(event.client_timestamp, event.server_received_at)));
  if (event.sequence_number) out.varint(zigzag(*event.sequence_number));
  if (!same_sdk) {
    out.string(event.sdk.name);
    out.string(event.sdk.version);
  }
  out.varint(event.meta.size());
  for (const auto& member : event.meta) {
    const std::string_view name = member.key();
    // Events of one kind list their keys in one order, so the key after the last one found is
    // tried before the others.
    auto numbered = next_key_ < keys_.size() && keys_[next_key_].name == name
                        ? keys_.begin() + static_cast<std::ptrdiff_t>(next_key_)
                        : std::find_if(keys_.begin(), keys_.end(), [&](const Key& k) { return k.name == name; });
    Key* key = nullptr;
    if (numbered != keys_.end()) {
      key = &*numbered;
      next_key_ = static_cast<std::size_t>(numbered - keys_.begin()) + 1;
      out.varint(next_key_);
    } else {
      out.varint(0);
      out.string(name);
      if (keys_.size() < kMaxNumberedKeys) {
        key = &keys_.emplace_back(Key{name, {}});
        next_key_ = keys_.size();
      }
    }
    const json::value& value = member.value();
    switch (value.kind()) {
      case json::kind::null: out.byte(kNull); break;
      case json::kind::bool_: out.byte(value.get_bool() ? kTrue : kFalse); break;
      case json::kind::int64:
        out.byte(kInt);
        out.varint(zigzag(value.get_int64()));
        break;
      case json::kind::uint64:
        out.byte(kUint);
        out.varint(value.get_uint64());
        break;
      case json::kind::double_:
        out.byte(kDouble);
        out.double_bits(value.get_double());
        break;
      case json::kind::string: {
        const std::string_view text = value.get_string();
        const std::size_t prefix = key == nullptr ? 0 : shared_prefix(key->last_string, text);
        out.byte(kString);
        out.varint(prefix);
        out.string(text.substr(prefix));
        if (key != nullptr) key->last_string = text;
        break;
      }
      case json::kind::array:
      case json::kind::object:
        out.byte(kNested);
        out.string(json::serialize(value));
        break;
    }
  }
  previous_ = &event;
}

namespace {

// The compact meta of one event; `keys` are the chunk's numbered keys so far.
struct NumberedKey {
  std::string_view name;
  std::string last_string;
};

bool read_meta(Reader& reader, std::vector<NumberedKey>& keys, json::object& meta) {
  const std::uint64_t members = reader.varint();
  // Each member takes two bytes at least: a count beyond the blob is corrupt, not a reservation.
  if (reader.failed() || members > reader.remaining() / 2) return false;
  meta.reserve(static_cast<std::size_t>(members));
  for (std::uint64_t m = 0; m < members; ++m) {
    const std::uint64_t number = reader.varint();
    NumberedKey* key = nullptr;
    std::string_view name;
    if (number == 0) {
      name = reader.string();
      if (keys.size() < kMaxNumberedKeys) key = &keys.emplace_back(NumberedKey{name, {}});
    } else if (number <= keys.size()) {
      key = &keys[static_cast<std::size_t>(number - 1)];
      name = key->name;
    } else {
      return false;
    }
    json::value value;
    switch (reader.byte()) {
      case kNull: break;
      case kFalse: value = false; break;
      case kTrue: value = true; break;
      case kInt: value = unzigzag(reader.varint()); break;
      case kUint: value = reader.varint(); break;
      case kDouble: value = reader.double_bits(); break;
      case kString: {
        const std::uint64_t prefix = reader.varint();
        const std::string_view rest = reader.string();
        const std::string_view last = key == nullptr ? std::string_view() : key->last_string;
        if (prefix > last.size()) return false;
        std::string text;
        text.reserve(static_cast<std::size_t>(prefix) + rest.size());
        text.append(last.substr(0, static_cast<std::size_t>(prefix))).append(rest);
        value = json::string(text);
        if (key != nullptr) key->last_string = std::move(text);
        break;
      }
      case kNested: {
        boost::system::error_code error;
        value = json::parse(reader.string(), error);
        if (error) return false;
        break;
      }
      default: return false;
    }
    if (reader.failed()) return false;
    meta.insert_or_assign(name, std::move(value));
  }
  return true;
}

}  // namespace

domain::Result<std::vector<EncodedEvent>> decode_chunk(std::string_view blob,
                                                       std::int64_t first_ingest_sequence,
                                                       domain::Micros server_received_at) {
  std::vector<EncodedEvent> events;
  std::vector<NumberedKey> keys;
  Reader reader(blob);
  while (!reader.done()) {
    EncodedEvent event;
    const std::uint8_t flags = reader.byte();
    const bool compact = (flags & kCompact) != 0;
    const EncodedEvent* previous = events.empty() ? nullptr : &events.back();
    if ((!compact && (flags & (kSameName | kSameSdk)) != 0) ||
        (previous == nullptr && (flags & (kSameName | kSameSdk)) != 0) || (flags & 0x80) != 0) {
      return corrupt("event chunk");
    }
    event.ingest_sequence = wrapping_add(first_ingest_sequence, unzigzag(reader.varint()));
    event.event_name = (flags & kSameName) != 0 ? previous->event_name : reader.string();
    event.client_timestamp = wrapping_add(server_received_at, unzigzag(reader.varint()));
    if ((flags & kHasSequence) != 0) event.sequence_number = unzigzag(reader.varint());
    if ((flags & kSameSdk) != 0) {
      event.sdk_name = previous->sdk_name;
      event.sdk_version = previous->sdk_version;
    } else {
      event.sdk_name = reader.string();
      event.sdk_version = reader.string();
    }
    if (compact) {
      if (!read_meta(reader, keys, event.meta)) return corrupt("event chunk");
    } else {
      event.meta_json = reader.string();
    }
    event.time_skew_warning = (flags & kTimeSkew) != 0;
    event.after_session_end = (flags & kAfterEnd) != 0;
    event.duplicate_suspected = (flags & kDuplicate) != 0;
    if (reader.failed()) return corrupt("event chunk");
    events.push_back(std::move(event));
  }
  return events;
}

void move_event_fields(EncodedEvent& encoded, domain::Micros server_received_at,
                       domain::PlaybackEvent& event) {
  event.event_name = encoded.event_name;
  event.client_timestamp = encoded.client_timestamp;
  event.sequence_number = encoded.sequence_number;
  event.sdk = {std::string(encoded.sdk_name), std::string(encoded.sdk_version)};
  event.server_received_at = server_received_at;
  event.ingest_sequence = encoded.ingest_sequence;
  event.time_skew_warning = encoded.time_skew_warning;
  event.after_session_end = encoded.after_session_end;
  event.delivery = encoded.duplicate_suspected ? domain::DeliveryStatus::duplicate_suspected
                                               : domain::DeliveryStatus::accepted;
  event.meta = std::move(encoded.meta);
}

domain::Status parse_meta(std::string_view meta_json, domain::PlaybackEvent& event) {
  if (meta_json.empty()) return domain::Ok{};
  boost::system::error_code error;
  json::value value = json::parse(meta_json, error);
  if (error || !value.is_object()) return corrupt("event meta");
  event.meta = std::move(value.as_object());
  return domain::Ok{};
}

std::string encode_chunk_ids(const std::vector<std::int64_t>& ascending) {
  std::string bytes;
  std::size_t size = 0;
  ByteWriter out(bytes, size);
  std::int64_t previous = 0;
  for (const std::int64_t id : ascending) {
    out.varint(static_cast<std::uint64_t>(wrapping_sub(id, previous)));
    previous = id;
  }
  bytes.resize(size);
  return bytes;
}

domain::Result<std::vector<std::int64_t>> decode_chunk_ids(std::string_view blob) {
  Reader reader(blob);
  std::vector<std::int64_t> ids;
  std::int64_t previous = 0;
  while (!reader.done()) {
    previous = wrapping_add(previous, static_cast<std::int64_t>(reader.varint()));
    ids.push_back(previous);
  }
  if (reader.failed()) return corrupt("chunk ids");
  return ids;
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
