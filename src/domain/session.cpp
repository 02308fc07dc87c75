#include "domain/session.h"

namespace mtrace::domain {

std::string_view to_string(SessionState state) {
  switch (state) {
    case SessionState::active: return "active";
    case SessionState::stalled: return "stalled";
    case SessionState::ended: return "ended";
  }
  return "active";
}

std::optional<SessionState> session_state_from(std::string_view text) {
  if (text == "active") return SessionState::active;
  if (text == "stalled") return SessionState::stalled;
  if (text == "ended") return SessionState::ended;
  return std::nullopt;
}

std::string_view to_string(EndSource source) {
  switch (source) {
    case EndSource::none: return "";
    case EndSource::client: return "client";
    case EndSource::sweeper: return "sweeper";
  }
  return "";
}

}  // namespace mtrace::domain
