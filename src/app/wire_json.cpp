#include "app/wire_json.h"

#include "domain/json_writer.h"

namespace mtrace::app {
namespace {

using domain::format_rfc3339_millis;

template <class T>
void put_optional(boost::json::object& out, std::string_view key, const std::optional<T>& value) {
  if (value) out[key] = *value;
}

}  // namespace

boost::json::object qoe_to_json(const domain::Qoe& qoe) {
  boost::json::object out;
  domain::visit_qoe_fields(qoe, [&](std::string_view name, const auto& field) {
    if constexpr (requires { field.has_value(); }) {
      if (field) out[name] = *field;  // absent values are left out
    } else {
      out[name] = field;
    }
  });
  return out;
}

boost::json::object session_to_json(const domain::Session& session) {
  boost::json::object out;
  out["session_id"] = session.session_id;
  out["project_id"] = session.project_id;
  out["state"] = to_string(session.state);
  out["started_at"] = format_rfc3339_millis(session.started_at);
  out["last_event_at"] = format_rfc3339_millis(session.last_event_at);
  if (session.ended_at) out["ended_at"] = format_rfc3339_millis(*session.ended_at);
  if (session.end_source == domain::EndSource::none) {
    out["end_source"] = nullptr;
  } else {
    out["end_source"] = to_string(session.end_source);
  }
  out["event_count"] = session.event_count;
  out["correlation_id"] = session.correlation_id;
  if (!session.trace_id.empty()) out["trace_id"] = session.trace_id;
  boost::json::array absent;
  for (const auto& signal : session.network_signal_absent) {
    absent.push_back({{"kind", signal.network_kind}, {"adapter", signal.adapter}, {"reason", signal.reason}});
  }
  out["network_signal_absent"] = std::move(absent);
  if (session.sample_rate_ppm > 0 && session.sample_rate_ppm < domain::kFullSampleRatePpm) {
    out["sample_rate_ppm"] = session.sample_rate_ppm;
    out["sample_rate"] = double(session.sample_rate_ppm) / 1e6;
  }
  const auto& d = session.dimensions;
  out["dimensions"] = {{"content_id", d.content_id},         {"content_title", d.content_title},
                       {"player_name", d.player_name},       {"player_version", d.player_version},
                       {"browser_family", d.browser_family}, {"os_family", d.os_family}};
  out["error_count"] = session.error_count;
  if (!session.last_error_code.empty()) out["last_error_code"] = session.last_error_code;
  out["qoe"] = qoe_to_json(session.qoe);
  return out;
}

boost::json::object event_to_json(const domain::PlaybackEvent& event) {
  boost::json::object out;
  out["event_name"] = event.event_name;
  out["project_id"] = event.project_id;
  out["session_id"] = event.session_id;
  out["client_timestamp"] = format_rfc3339_millis(event.client_timestamp);
  out["server_received_at"] = format_rfc3339_millis(event.server_received_at);
  out["ingest_sequence"] = event.ingest_sequence;
  if (event.sequence_number) out["sequence_number"] = *event.sequence_number;
  out["sdk"] = {{"name", event.sdk.name}, {"version", event.sdk.version}};
  if (!event.meta.empty()) out["meta"] = event.meta;
  out["correlation_id"] = event.correlation_id();
  if (!event.trace_id().empty()) out["trace_id"] = event.trace_id();
  if (event.time_skew_warning) out["time_skew_warning"] = true;
  out["delivery_status"] =
      event.delivery == domain::DeliveryStatus::accepted ? "accepted" : "duplicate_suspected";
  if (event.after_session_end) out["after_session_end"] = true;
  return out;
}

boost::json::object event_appended_data(const domain::PlaybackEvent& event) {
  boost::json::object data{{"project_id", event.project_id},
                           {"session_id", event.session_id},
                           {"ingest_sequence", event.ingest_sequence},
                           {"event_name", event.event_name},
                           {"server_received_at", format_rfc3339_millis(event.server_received_at)}};
  if (event.time_skew_warning) data["time_skew_warning"] = true;
  return data;
}

std::string error_body(std::string_view code, std::string_view message) {
  boost::json::object body{{"error", code}, {"message", message}};
  return domain::to_json_text(body);
}

}  // namespace mtrace::app
