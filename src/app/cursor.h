// Opaque page cursors of the read API (reference backend.md §3.6): base64url without padding of
// compact JSON with version 3, the project id, and the position as integers (microseconds), so
// a cursor only works for the project (and session) it was issued for. Decoding is strict.
//   sessions: {"v":3,"pid":P,"sa":started_at,"sid":session_id}; across projects (P "*"), also
//             "spid":project_id
//   events:   {"v":3,"pid":P,"sid":session_id,"rcv":server_received_at[,"seq":n],"ing":n}
//   search:   {"v":3,"pid":P,"before":ingest_sequence}
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "ports/event_store.h"

namespace mtrace::app {

// Cursors longer than this are rejected as malformed before any decoding.
inline constexpr std::size_t kMaxCursorBytes = 4096;

enum class CursorError : std::uint8_t {
  malformed,  // not base64url/JSON, unknown or missing field, wrong project or session
  legacy,     // version missing, 1 or 2: issued by an older server
};

// The `error` code of the 400 body: "cursor_invalid_malformed" / "cursor_invalid_legacy".
std::string_view cursor_error_code(CursorError error);
// The reference's `reason` text for that code.
std::string_view cursor_error_reason(CursorError error);

template <class T>
class [[nodiscard]] CursorResult {
 public:
  CursorResult(T value) : state_(std::move(value)) {}    // NOLINT: implicit by design
  CursorResult(CursorError error) : state_(error) {}     // NOLINT
  bool ok() const { return state_.index() == 0; }
  const T& value() const { return std::get<0>(state_); }
  CursorError error() const { return std::get<1>(state_); }

 private:
  std::variant<T, CursorError> state_;
};

// The scope of a read of every project (the admin token): no project id can be "*".
inline constexpr std::string_view kEveryProject = "*";

// project_id is the scope the page was read in: a project's id, or kEveryProject. Decoders check
// that it matches the cursor's exactly.
std::string encode_session_cursor(std::string_view project_id,
                                  const ports::SessionPosition& position);
std::string encode_event_cursor(std::string_view project_id, std::string_view session_id,
                                const ports::EventPosition& position);
std::string encode_search_cursor(std::string_view project_id,
                                 std::int64_t before_ingest_sequence);

CursorResult<ports::SessionPosition> decode_session_cursor(std::string_view cursor,
                                                           std::string_view project_id);
CursorResult<ports::EventPosition> decode_event_cursor(std::string_view cursor,
                                                       std::string_view project_id,
                                                       std::string_view session_id);
CursorResult<std::int64_t> decode_search_cursor(std::string_view cursor,
                                                std::string_view project_id);

}  // namespace mtrace::app
