// The API's JSON shapes of sessions and events (reference/backend.md §3.5, docs/decisions.md):
// one definition shared by the read endpoints and the live stream.
#pragma once

#include <boost/json/object.hpp>

#include "domain/event.h"
#include "domain/qoe.h"
#include "domain/session.h"

namespace mtrace::app {

boost::json::object session_to_json(const domain::Session& session);
boost::json::object event_to_json(const domain::PlaybackEvent& event);
boost::json::object qoe_to_json(const domain::Qoe& qoe);
// The data of a live-stream `event_appended` frame.
boost::json::object event_appended_data(const domain::PlaybackEvent& event);

// {"error":code,"message":message}, serialized.
std::string error_body(std::string_view code, std::string_view message);

}  // namespace mtrace::app
