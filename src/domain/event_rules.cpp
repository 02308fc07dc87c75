#include "domain/event_rules.h"

#include <array>
#include <boost/json/value.hpp>
#include <cmath>
#include <initializer_list>

#include "domain/url_redaction.h"

namespace mtrace::domain {
namespace {

constexpr std::array<std::string_view, 16> kKnownEventNames = {
    "manifest_loaded",       "segment_loaded",   "playback_started", "bitrate_switch",
    "rebuffer_started",      "rebuffer_ended",   "playback_error",   "startup_time_measured",
    "metrics_sampled",       "session_ended",    "startup_completed", "play_requested",
    "paused",                "resumed",          "seek_started",     "seek_ended"};

constexpr std::array<std::string_view, 6> kUnavailableReasons = {
    "native_hls_unavailable",      "hlsjs_signal_unavailable", "browser_api_unavailable",
    "resource_timing_unavailable", "cors_timing_blocked",      "service_worker_opaque"};

bool one_of(std::string_view value, std::initializer_list<std::string_view> allowed) {
  for (std::string_view candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

bool is_unavailable_reason(std::string_view value) {
  // Every member of the enum matches ^[a-z0-9_]{1,64}$, so membership implies the pattern.
  for (std::string_view candidate : kUnavailableReasons) {
    if (value == candidate) return true;
  }
  return false;
}

// ^[a-z0-9_-]{1,64}$
bool is_run_id(std::string_view value) {
  if (value.empty() || value.size() > 64) return false;
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

std::optional<std::string_view> string_of(const boost::json::value& value) {
  if (const auto* text = value.if_string()) return std::string_view(text->data(), text->size());
  return std::nullopt;
}

std::optional<double> number_of(const boost::json::value& value) {
  if (const auto* i = value.if_int64()) return static_cast<double>(*i);
  if (const auto* u = value.if_uint64()) return static_cast<double>(*u);
  if (const auto* d = value.if_double()) return *d;
  return std::nullopt;
}

bool is_non_negative_integral(const boost::json::value& value) {
  if (const auto* i = value.if_int64()) return *i >= 0;
  if (value.is_uint64()) return true;
  if (const auto* d = value.if_double()) return std::isfinite(*d) && *d >= 0 && std::trunc(*d) == *d;
  return false;
}

std::string must_be(std::string_view key, std::string_view what) {
  std::string message = "meta key \"";
  message += key;
  message += "\" must be ";
  message += what;
  return message;
}

std::optional<std::string> check_string_in(std::string_view key, const boost::json::value& value,
                                           std::initializer_list<std::string_view> allowed,
                                           std::string_view description) {
  const auto text = string_of(value);
  if (text && one_of(*text, allowed)) return std::nullopt;
  return must_be(key, description);
}

std::optional<std::string> check_network_key(std::string_view key, const boost::json::value& value,
                                             const boost::json::object& meta) {
  if (key == "network.kind") {
    return check_string_in(key, value, {"manifest", "segment"}, "\"manifest\" or \"segment\"");
  }
  if (key == "network.detail_status") {
    return check_string_in(key, value, {"available", "network_detail_unavailable"},
                           "\"available\" or \"network_detail_unavailable\"");
  }
  if (key == "network.unavailable_reason") {
    const auto text = string_of(value);
    if (!text || !is_unavailable_reason(*text)) {
      return must_be(key, "one of the network-unavailable reasons");
    }
    const auto* status = meta.if_contains("network.detail_status");
    const auto status_text = status ? string_of(*status) : std::nullopt;
    if (!status_text || *status_text != "network_detail_unavailable") {
      return must_be(key, "accompanied by network.detail_status \"network_detail_unavailable\"");
    }
    return std::nullopt;
  }
  if (key == kRedactedUrlKey) {
    const auto text = string_of(value);
    if (!text) return must_be(key, "a string");
    if (!text->empty() && !is_redacted_url(*text)) {
      return must_be(key, "a redacted URL (scheme and host, no credentials, query, fragment or "
                          "token-like path segment)");
    }
  }
  return std::nullopt;  // other network.* keys are free-form
}

std::optional<std::string> check_webrtc_key(std::string_view key, const boost::json::value& value) {
  if (key == "webrtc.peer_connection_run_id") {
    const auto text = string_of(value);
    if (text && is_run_id(*text)) return std::nullopt;
    return must_be(key, "1-64 characters of [a-z0-9_-]");
  }
  // The reference's counters, then the receiver statistics SPEC §8 adds for WebRTC players.
  if (one_of(key, {"webrtc.sample_id", "webrtc.packets_lost", "webrtc.bytes_received", "webrtc.bytes_sent",
                   "webrtc.jitter_ms", "webrtc.rtt_ms", "webrtc.frames_decoded", "webrtc.frames_dropped",
                   "webrtc.freeze_count", "webrtc.total_freezes_duration_ms"})) {
    if (is_non_negative_integral(value)) return std::nullopt;
    return must_be(key, "a non-negative integer");
  }
  if (key == "webrtc.fps") {
    const auto fps = number_of(value);
    if (fps && std::isfinite(*fps) && *fps >= 0) return std::nullopt;
    return must_be(key, "a non-negative number");
  }
  if (key == "webrtc.connection_state") {
    return check_string_in(key, value,
                           {"new", "connecting", "connected", "disconnected", "failed", "closed"},
                           "a RTCPeerConnectionState");
  }
  if (key == "webrtc.ice_state") {
    return check_string_in(
        key, value,
        {"new", "checking", "connected", "completed", "failed", "disconnected", "closed"},
        "a RTCIceConnectionState");
  }
  if (key == "webrtc.dtls_state") {
    return check_string_in(key, value, {"new", "connecting", "connected", "closed", "failed"},
                           "a RTCDtlsTransportState");
  }
  if (key == "webrtc.error_code") {
    return check_string_in(key, value,
                           {"whep_signaling_failed", "whep_sdp_invalid", "webrtc_no_tracks",
                            "peer_connection_failed", "webrtc_destroyed_before_connected"},
                           "a known WebRTC error code");
  }
  if (key == "webrtc.error_detail") {
    const auto text = string_of(value);
    if (text && text->size() <= 256) return std::nullopt;
    return must_be(key, "a string of at most 256 bytes");
  }
  std::string message = "meta key \"";
  message += key;
  message += "\" is not an allowed webrtc.* key";
  return message;
}

}  // namespace

std::span<const std::string_view> known_event_names() { return kKnownEventNames; }

bool is_valid_event_name(std::string_view name) {
  for (std::string_view known : kKnownEventNames) {
    if (name == known) return true;
  }
  if (name.empty() || name.size() > 64 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) return false;
  }
  return true;
}

std::optional<std::string> check_reserved_meta(const boost::json::object& meta) {
  for (const auto& entry : meta) {
    const std::string_view key(entry.key().data(), entry.key().size());
    const boost::json::value& value = entry.value();
    std::optional<std::string> problem;
    if (key.starts_with("network.")) {
      problem = check_network_key(key, value, meta);
    } else if (key.starts_with("timing.")) {
      const auto text = string_of(value);
      if (!(number_of(value) || (text && parse_rfc3339(*text)))) {
        problem = must_be(key, "a number or an RFC 3339 timestamp");
      }
    } else if (key == "session_sample_rate") {
      const auto rate = number_of(value);
      if (!rate || !std::isfinite(*rate) || *rate <= 0 || *rate > 1) {
        problem = must_be(key, "a number in (0, 1]");
      }
    } else if (key.starts_with("webrtc.")) {
      problem = check_webrtc_key(key, value);
    }
    if (problem) return problem;
  }
  return std::nullopt;
}

std::optional<std::string> check_boundary_fields(std::string_view kind,
                                                 std::string_view network_kind,
                                                 std::string_view adapter,
                                                 std::string_view reason) {
  if (kind != "network_signal_absent") {
    return "session boundary kind must be \"network_signal_absent\"";
  }
  if (!one_of(network_kind, {"manifest", "segment"})) {
    return "session boundary network_kind must be \"manifest\" or \"segment\"";
  }
  if (!one_of(adapter, {"hls.js", "native_hls", "unknown"})) {
    return "session boundary adapter must be \"hls.js\", \"native_hls\" or \"unknown\"";
  }
  if (!is_unavailable_reason(reason)) {
    return "session boundary reason must be one of the network-unavailable reasons";
  }
  return std::nullopt;
}

}  // namespace mtrace::domain
