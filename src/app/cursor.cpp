#include "app/cursor.h"

#include <array>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <initializer_list>
#include <optional>

namespace mtrace::app {
namespace {

constexpr std::int64_t kVersion = 3;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16 |
                            static_cast<std::uint8_t>(bytes[i + 1]) << 8 |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    if (rest == 2) out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict: the URL-safe alphabet only, no padding, no leftover bits.
std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string encode(const boost::json::object& fields) {
  return base64url_encode(boost::json::serialize(fields));
}

boost::json::object header(std::string_view project_id) {
  boost::json::object fields;
  fields["v"] = kVersion;
  fields["pid"] = project_id;
  return fields;
}

// The decoded JSON object of a version-3 cursor of `project_id` whose keys are all among
// "v", "pid" and `keys`, or the reason it is not one.
CursorResult<boost::json::object> open_cursor(std::string_view cursor, std::string_view project_id,
                                              std::initializer_list<std::string_view> keys) {
  if (cursor.empty() || cursor.size() > kMaxCursorBytes) return CursorError::malformed;
  const std::optional<std::string> json = base64url_decode(cursor);
  if (!json) return CursorError::malformed;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(*json, ec);
  if (ec || !value.is_object()) return CursorError::malformed;
  boost::json::object& fields = value.as_object();

  const boost::json::value* version = fields.if_contains("v");
  if (version == nullptr) return CursorError::legacy;
  if (!version->is_int64()) return CursorError::malformed;
  if (version->get_int64() == 1 || version->get_int64() == 2) return CursorError::legacy;
  if (version->get_int64() != kVersion) return CursorError::malformed;

  for (const auto& entry : fields) {
    const std::string_view key(entry.key().data(), entry.key().size());
    bool known = key == "v" || key == "pid";
    for (std::string_view allowed : keys) known = known || key == allowed;
    if (!known) return CursorError::malformed;
  }
  const boost::json::value* pid = fields.if_contains("pid");
  if (pid == nullptr || !pid->is_string() || pid->get_string() != project_id) {
    return CursorError::malformed;
  }
  return std::move(fields);
}

std::optional<std::int64_t> integer(const boost::json::object& fields, std::string_view key) {
  const boost::json::value* value = fields.if_contains(key);
  if (value == nullptr || !value->is_int64()) return std::nullopt;
  return value->get_int64();
}

std::optional<std::string_view> non_empty_string(const boost::json::object& fields,
                                                 std::string_view key) {
  const boost::json::value* value = fields.if_contains(key);
  if (value == nullptr || !value->is_string() || value->get_string().empty()) return std::nullopt;
  return std::string_view(value->get_string().data(), value->get_string().size());
}

}  // namespace

std::string_view cursor_error_code(CursorError error) {
  return error == CursorError::legacy ? "cursor_invalid_legacy" : "cursor_invalid_malformed";
}

std::string_view cursor_error_reason(CursorError error) {
  return error == CursorError::legacy
             ? "process_instance_id-based cursor no longer supported; reload snapshot"
             : "cursor token failed to decode or violates v:2 schema";
}

std::string encode_session_cursor(std::string_view project_id,
                                  const ports::SessionPosition& position) {
  boost::json::object fields = header(project_id);
  fields["sa"] = position.started_at;
  fields["sid"] = position.session_id;
  if (project_id == kEveryProject) fields["spid"] = position.project_id;
  return encode(fields);
}

std::string encode_event_cursor(std::string_view project_id, std::string_view session_id,
                                const ports::EventPosition& position) {
  boost::json::object fields = header(project_id);
  fields["sid"] = session_id;
  fields["rcv"] = position.server_received_at;
  if (position.sequence_number) fields["seq"] = *position.sequence_number;
  fields["ing"] = position.ingest_sequence;
  return encode(fields);
}

std::string encode_search_cursor(std::string_view project_id, std::int64_t before_ingest_sequence) {
  boost::json::object fields = header(project_id);
  fields["before"] = before_ingest_sequence;
  return encode(fields);
}

CursorResult<ports::SessionPosition> decode_session_cursor(std::string_view cursor,
                                                           std::string_view project_id) {
  auto opened = open_cursor(cursor, project_id, {"sa", "sid", "spid"});
  if (!opened.ok()) return opened.error();
  const auto started_at = integer(opened.value(), "sa");
  const auto session_id = non_empty_string(opened.value(), "sid");
  if (!started_at || !session_id) return CursorError::malformed;
  const bool every_project = project_id == kEveryProject;
  ports::SessionPosition position{*started_at, std::string(*session_id), every_project ? "" : std::string(project_id)};
  // A list across projects names the last session's project; within one it is implied. An
  // admin cursor without it (from before it was added) resumes before every project's.
  if (const auto* last_project = opened.value().if_contains("spid")) {
    if (!every_project || !last_project->is_string()) return CursorError::malformed;
    position.project_id = std::string(last_project->get_string());
  }
  return position;
}

CursorResult<ports::EventPosition> decode_event_cursor(std::string_view cursor,
                                                       std::string_view project_id,
                                                       std::string_view session_id) {
  auto opened = open_cursor(cursor, project_id, {"sid", "rcv", "seq", "ing"});
  if (!opened.ok()) return opened.error();
  const boost::json::object& fields = opened.value();
  const auto cursor_session = non_empty_string(fields, "sid");
  const auto received_at = integer(fields, "rcv");
  const auto ingest_sequence = integer(fields, "ing");
  if (!cursor_session || *cursor_session != session_id || !received_at || !ingest_sequence) {
    return CursorError::malformed;
  }
  ports::EventPosition position{*received_at, std::nullopt, *ingest_sequence};
  if (fields.contains("seq")) {
    position.sequence_number = integer(fields, "seq");
    if (!position.sequence_number) return CursorError::malformed;
  }
  return position;
}

CursorResult<std::int64_t> decode_search_cursor(std::string_view cursor,
                                                std::string_view project_id) {
  auto opened = open_cursor(cursor, project_id, {"before"});
  if (!opened.ok()) return opened.error();
  const auto before = integer(opened.value(), "before");
  if (!before) return CursorError::malformed;
  return *before;
}

}  // namespace mtrace::app
