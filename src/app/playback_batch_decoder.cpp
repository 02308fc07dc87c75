#include "app/playback_batch_decoder.h"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <limits>
#include <memory>

#include "domain/event_rules.h"
#include "domain/url_redaction.h"

namespace mtrace::app {
namespace {

namespace json = boost::json;
constexpr std::size_t kMaxIdBytes = 128;
constexpr std::size_t kMaxNestingDepth = 16;

struct Fault {
  IngestRejection rejection;
};

[[noreturn]] void fail(int status, std::string code, std::string message) {
  throw Fault{{status, std::move(code), std::move(message), 0}};
}

// Where a member sits, for error messages: "events[3].sdk.name", "schema_version". Spelled out only
// when a message needs it, so a valid batch builds no path strings.
struct Where {
  std::string_view array;  // "events", "session_boundaries", or "" for a member of the batch
  std::size_t index = 0;
  std::string_view member;
  operator std::string() const {
    if (array.empty()) return std::string(member);
    return std::string(array) + "[" + std::to_string(index) + "]." + std::string(member);
  }
};

Where where(std::size_t index, std::string_view member) { return {"events", index, member}; }

std::string operator+(const Where& path, std::string_view text) { return std::string(path).append(text); }

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

// Boost.JSON reads a number beyond a double's range (1e309) as an infinity, which JSON cannot
// carry back out: the reference's decoder refuses such a body, and so does this one.
bool numbers_finite(const json::value& value) {
  switch (value.kind()) {
    case json::kind::double_: return std::isfinite(value.get_double());
    case json::kind::array:
      for (const auto& item : value.get_array())
        if (!numbers_finite(item)) return false;
      return true;
    case json::kind::object:
      for (const auto& member : value.get_object())
        if (!numbers_finite(member.value())) return false;
      return true;
    default: return true;
  }
}

// A string member (`value` is null when absent): absent or null gives "", another type is a 400
// (as a JSON type error).
std::string_view string_value(const json::value* value, const Where& path) {
  if (value == nullptr || value->is_null()) return {};
  const auto* text = value->if_string();
  if (text == nullptr) fail(400, "invalid_json", path + " must be a string");
  return *text;
}

std::string_view string_member(const json::object& object, std::string_view key, const Where& path) {
  return string_value(object.if_contains(key), path);
}

// A required identifier: non-empty after trimming, bounded, no control characters. `checked` is
// the same member of the batch's previous event (null for the first), which the events of a batch
// nearly always repeat: text equal to it passed these checks already.
std::string required_id(const json::value* value, const Where& path, const std::string* checked) {
  const auto raw = string_value(value, path);
  if (checked != nullptr && raw == *checked) return *checked;
  const auto text = trim(raw);
  if (text.empty()) fail(422, "invalid_event", path + " is required");
  if (text.size() > kMaxIdBytes) {
    fail(422, "invalid_event", path + " is longer than " + std::to_string(kMaxIdBytes) + " bytes");
  }
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) fail(422, "invalid_event", path + " contains control characters");
  }
  return std::string(text);
}

// The members of an event the wire format knows, found in one pass over the object (a lookup
// each would scan it once per member). Null where absent; the parser keeps the last of
// duplicate keys, as a lookup would find.
struct EventMembers {
  const json::value* event_name = nullptr;
  const json::value* project_id = nullptr;
  const json::value* session_id = nullptr;
  const json::value* client_timestamp = nullptr;
  const json::value* sequence_number = nullptr;
  const json::value* sdk = nullptr;
  json::value* meta = nullptr;
};

EventMembers members_of(json::object& object) {
  EventMembers members;
  for (auto& member : object) {
    const std::string_view key = member.key();
    json::value* value = &member.value();
    if (key == "event_name") {
      members.event_name = value;
    } else if (key == "project_id") {
      members.project_id = value;
    } else if (key == "session_id") {
      members.session_id = value;
    } else if (key == "client_timestamp") {
      members.client_timestamp = value;
    } else if (key == "sequence_number") {
      members.sequence_number = value;
    } else if (key == "sdk") {
      members.sdk = value;
    } else if (key == "meta") {
      members.meta = value;
    }
  }
  return members;
}

json::object& event_object(json::value& value, std::size_t index) {
  auto* object = value.if_object();
  if (object == nullptr) fail(400, "invalid_json", "events[" + std::to_string(index) + "] must be an object");
  return *object;
}

// What the reference's decoder refuses before any rule runs (400): a member of the wrong type, a
// sequence number beyond int64, a number beyond a double's range in meta. Absent and null pass.
void check_event_types(const EventMembers& members, std::size_t index) {
  for (const auto& [value, name] : {std::pair{members.event_name, "event_name"},
                                    std::pair{members.project_id, "project_id"},
                                    std::pair{members.session_id, "session_id"},
                                    std::pair{members.client_timestamp, "client_timestamp"}}) {
    string_value(value, where(index, name));
  }
  if (const auto* sdk = members.sdk; sdk != nullptr && !sdk->is_null()) {
    if (!sdk->is_object()) fail(400, "invalid_json", where(index, "sdk") + " must be an object");
    string_member(sdk->get_object(), "name", where(index, "sdk.name"));
    string_member(sdk->get_object(), "version", where(index, "sdk.version"));
  }
  if (const auto* sequence = members.sequence_number; sequence != nullptr && !sequence->is_null()) {
    if (sequence->is_uint64() && sequence->get_uint64() > std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
      fail(400, "invalid_json", where(index, "sequence_number") + " is beyond a 64-bit integer");
    }
    if (!sequence->is_int64() && !sequence->is_uint64()) {
      fail(400, "invalid_json", where(index, "sequence_number") + " must be an integer");
    }
  }
  if (const auto* meta = members.meta; meta != nullptr && !meta->is_null()) {
    if (!meta->is_object()) fail(400, "invalid_json", where(index, "meta") + " must be an object");
    if (!numbers_finite(*meta)) fail(400, "invalid_json", where(index, "meta") + " holds a number out of range");
  }
}

// Checks in the reference's order: types (400), then required members (422), then the project
// (401), then each member's format (422); so an event of another project is a 401 however
// malformed its timestamp or meta. `previous` is the batch's previous event, already decoded
// (null for the first).
domain::PlaybackEvent decode_event(json::value& value, std::size_t index, std::string_view project_id,
                                   const domain::PlaybackEvent* previous) {
  const EventMembers members = members_of(event_object(value, index));
  check_event_types(members, index);

  domain::PlaybackEvent event;
  const bool first = previous == nullptr;
  event.event_name = required_id(members.event_name, where(index, "event_name"),
                                 first ? nullptr : &previous->event_name);
  event.project_id = required_id(members.project_id, where(index, "project_id"),
                                 first ? nullptr : &previous->project_id);
  event.session_id = required_id(members.session_id, where(index, "session_id"),
                                 first ? nullptr : &previous->session_id);
  const auto timestamp = string_value(members.client_timestamp, where(index, "client_timestamp"));
  if (trim(timestamp).empty()) fail(422, "invalid_event", where(index, "client_timestamp") + " is required");
  const auto* sdk = members.sdk;
  if (sdk == nullptr || !sdk->is_object()) fail(422, "invalid_event", where(index, "sdk") + " is required");
  event.sdk.name = required_id(sdk->get_object().if_contains("name"), where(index, "sdk.name"),
                               first ? nullptr : &previous->sdk.name);
  event.sdk.version = required_id(sdk->get_object().if_contains("version"), where(index, "sdk.version"),
                                  first ? nullptr : &previous->sdk.version);

  // An exact compare, as the reference's: " demo" is not the project "demo".
  if (string_value(members.project_id, where(index, "project_id")) != project_id) {
    fail(401, "project_mismatch", where(index, "project_id") + " is not the token's project");
  }

  if ((first || event.event_name != previous->event_name) &&
      !domain::is_valid_event_name(event.event_name)) {
    fail(422, "invalid_event",
         where(index, "event_name") + " must be a known name or match ^[a-z][a-z0-9_.]{0,63}$");
  }
  const auto parsed = domain::parse_rfc3339(timestamp);
  if (!parsed) fail(422, "invalid_event", where(index, "client_timestamp") + " is not RFC 3339");
  event.client_timestamp = *parsed;

  if (const auto* sequence = members.sequence_number; sequence != nullptr && !sequence->is_null()) {
    event.sequence_number = sequence->is_int64() ? sequence->get_int64()
                                                 : static_cast<std::int64_t>(sequence->get_uint64());
    if (*event.sequence_number < 0) {
      fail(422, "invalid_event", where(index, "sequence_number") + " must be >= 0");
    }
  }

  if (auto* meta = members.meta; meta != nullptr && !meta->is_null()) {
    json::object& fields = meta->get_object();
    if (auto problem = domain::check_reserved_meta(fields)) {
      fail(422, "invalid_event", where(index, "meta") + ": " + *problem);
    }
    domain::redact_meta_urls(fields);
    // Move-constructed (assignment would copy into the member's storage): the event points into
    // the batch's arena and the nodes move uncopied.
    std::destroy_at(&event.meta);
    std::construct_at(&event.meta, std::move(fields));
  }
  return event;
}

constexpr std::string_view kBoundaryMembers[] = {"kind",    "project_id", "session_id",      "network_kind",
                                                 "adapter", "reason",     "client_timestamp"};

// The batch's boundaries, null when absent or null.
const json::array* boundaries_of(const json::object& batch) {
  const auto* value = batch.if_contains("session_boundaries");
  if (value == nullptr || value->is_null()) return nullptr;
  if (!value->is_array()) fail(400, "invalid_json", "session_boundaries must be an array");
  return &value->get_array();
}

const json::object& check_boundary_types(const json::value& value, std::size_t index) {
  const auto* object = value.if_object();
  if (object == nullptr) fail(400, "invalid_json", "session_boundaries[" + std::to_string(index) + "] must be an object");
  for (const auto key : kBoundaryMembers) string_member(*object, key, Where{"session_boundaries", index, key});
  return *object;
}

domain::SessionBoundary decode_boundary(const json::value& value, std::size_t index,
                                        std::string_view project_id,
                                        const std::vector<domain::PlaybackEvent>& events) {
  const std::string path = "session_boundaries[" + std::to_string(index) + "]";
  const auto& object = check_boundary_types(value, index);
  auto field = [&](std::string_view key) {
    const Where at{"session_boundaries", index, key};
    const auto text = string_member(object, key, at);
    if (text.empty()) fail(422, "invalid_boundary", at + " is required");
    if (text.size() > kMaxIdBytes) fail(422, "invalid_boundary", at + " is too long");
    return std::string(text);
  };
  domain::SessionBoundary boundary;
  boundary.kind = field("kind");
  boundary.project_id = field("project_id");
  boundary.session_id = field("session_id");
  boundary.network_kind = field("network_kind");
  boundary.adapter = field("adapter");
  boundary.reason = field("reason");
  const auto timestamp = field("client_timestamp");
  if (boundary.project_id != project_id) fail(422, "invalid_boundary", path + ".project_id is not the token's project");
  if (auto problem = domain::check_boundary_fields(boundary.kind, boundary.network_kind,
                                                   boundary.adapter, boundary.reason)) {
    fail(422, "invalid_boundary", path + ": " + *problem);
  }
  bool session_in_batch = false;
  for (const auto& event : events) session_in_batch = session_in_batch || event.session_id == boundary.session_id;
  if (!session_in_batch) fail(422, "invalid_boundary", path + ".session_id has no event in this batch");
  const auto parsed = domain::parse_rfc3339(timestamp);
  if (!parsed) fail(422, "invalid_boundary", path + ".client_timestamp is not RFC 3339");
  boundary.client_timestamp = *parsed;
  return boundary;
}

DecodedBatch decode_events(const json::object& batch, json::array& events, std::string_view project_id);

// Fails with the batch's first type error, if it holds one. The reference decodes the whole body
// before any rule runs, so a type error anywhere outranks a rule's refusal of an earlier event;
// this runs only for a batch a rule refused.
void check_batch_types(const json::object& batch, json::array& events) {
  for (std::size_t i = 0; i < events.size(); ++i) check_event_types(members_of(event_object(events[i], i)), i);
  if (const auto* boundaries = boundaries_of(batch)) {
    for (std::size_t i = 0; i < boundaries->size(); ++i) check_boundary_types((*boundaries)[i], i);
  }
}

DecodedBatch decode(std::string_view body, std::string_view project_id) {
  json::parse_options options;
  options.max_depth = kMaxNestingDepth;
  boost::system::error_code ec;
  // One arena per batch: the tree and then the events' meta objects live in it, and it is freed
  // with the batch (once the store has it). About twice the body's size; allocation is a pointer
  // bump and release is one call, not one per node. The tree's storage points to it without
  // owning it: values then copy no reference count, and destroying one does nothing.
  auto arena = std::make_shared<json::monotonic_resource>(2 * body.size() + 1024);
  auto root = json::parse(body, ec, json::storage_ptr(arena.get()), options);
  if (ec) fail(400, "invalid_json", "the body is not valid JSON: " + ec.message());
  auto* batch = root.if_object();
  if (batch == nullptr) fail(400, "invalid_json", "the body must be a JSON object");

  json::array empty;
  json::array* events = &empty;
  if (auto* value = batch->if_contains("events"); value != nullptr && !value->is_null()) {
    events = value->if_array();
    if (events == nullptr) fail(400, "invalid_json", "events must be an array");
  }
  try {
    auto decoded = decode_events(*batch, *events, project_id);
    decoded.meta_memory = std::move(arena);
    return decoded;
  } catch (Fault& fault) {
    auto& rejection = fault.rejection;
    if (rejection.code != "invalid_json") check_batch_types(*batch, *events);
    // A batch refused by a rule counts all its events as invalid (reference §2.5).
    if (rejection.http_status == 422 || rejection.code == "unsupported_schema_version") {
      rejection.invalid_events = static_cast<std::int64_t>(events->size());
    }
    throw;
  }
}

DecodedBatch decode_events(const json::object& batch, json::array& events_array, std::string_view project_id) {
  auto* events = &events_array;
  const auto schema = string_member(batch, "schema_version", Where{"", 0, "schema_version"});
  if (schema != "1.0") fail(400, "unsupported_schema_version", "schema_version must be \"1.0\"");
  if (events->empty()) fail(422, "batch_empty", "a batch needs at least one event");
  if (events->size() > domain::kMaxEventsPerBatch) {
    fail(422, "batch_too_large",
         "a batch holds at most " + std::to_string(domain::kMaxEventsPerBatch) + " events");
  }

  DecodedBatch decoded;
  decoded.events.reserve(events->size());
  for (std::size_t i = 0; i < events->size(); ++i) {
    decoded.events.push_back(
        decode_event((*events)[i], i, project_id, i > 0 ? &decoded.events.back() : nullptr));
  }

  if (const auto* boundaries = boundaries_of(batch)) {
    if (boundaries->size() > domain::kMaxBoundariesPerBatch) {
      fail(422, "invalid_boundary",
           "a batch holds at most " + std::to_string(domain::kMaxBoundariesPerBatch) + " session_boundaries");
    }
    for (std::size_t i = 0; i < boundaries->size(); ++i) {
      decoded.boundaries.push_back(decode_boundary((*boundaries)[i], i, project_id, decoded.events));
    }
  }
  return decoded;
}

}  // namespace

std::variant<DecodedBatch, IngestRejection> decode_playback_batch(std::string_view body,
                                                                  std::string_view project_id) {
  try {
    return decode(body, project_id);
  } catch (Fault& fault) {
    return std::move(fault.rejection);
  }
}

}  // namespace mtrace::app
