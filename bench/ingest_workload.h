// The request bodies of the SPEC §8 ingest workload, shared by the load generator
// (ingest_load.cpp) and the decoder benchmark (ingest_decode.cpp): 10,000 sessions interleaved,
// request k one batch of 10 events of session k % sessions with increasing sequence numbers.
#pragma once

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

namespace mtrace::bench {

constexpr int kEventsPerBatch = 10;

inline void append_number(std::string& out, std::uint64_t n) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, n).ptr;
  out.append(text, end);
}

inline void append_hex(std::string& out, std::uint64_t n, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(n >> (4 * i)) & 0xf]);
}

inline std::uint64_t mix(std::uint64_t x) {  // splitmix64 finalizer: stable ids from an index
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Request k carries the (k / sessions)-th batch of session k % sessions: its sequence numbers
// are batch*10 .. batch*10+9. A session's first batch starts playback (dimensions in the first
// event's meta); later ones are segment loads, a periodic sample and now and then a bitrate switch.
class IngestWorkload {
 public:
  IngestWorkload(int sessions, std::string project) : sessions_(sessions), project_(std::move(project)) {
    session_ids_.reserve(std::size_t(sessions));
    trace_ids_.reserve(std::size_t(sessions));
    for (int s = 0; s < sessions; ++s) {
      const auto a = mix(std::uint64_t(s) * 2 + 1), b = mix(std::uint64_t(s) * 2 + 2);
      std::string id;
      append_hex(id, a >> 32, 8), id += '-', append_hex(id, (a >> 16) & 0xffff, 4), id += "-4";
      append_hex(id, a & 0xfff, 3), id += "-8", append_hex(id, (b >> 48) & 0xfff, 3), id += '-';
      append_hex(id, b & 0xffffffffffffull, 12);
      session_ids_.push_back(std::move(id));
      std::string trace;
      append_hex(trace, b, 16), append_hex(trace, a, 16);
      trace_ids_.push_back(std::move(trace));
    }
  }

  // The JSON body of request k; valid until the next call.
  const std::string& body(std::uint64_t k) {
    const auto session = std::size_t(k % std::uint64_t(sessions_));
    const auto batch = k / std::uint64_t(sessions_);
    body_.clear();
    body_ += R"({"schema_version":"1.0","events":[)";
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    for (int j = 0; j < kEventsPerBatch; ++j) {
      if (j) body_ += ',';
      append_event(session, batch, j, now_ms - (kEventsPerBatch - 1 - j) * 40);
    }
    body_ += "]}";
    return body_;
  }

  // The W3C trace id of request k's session (its traceparent header).
  const std::string& trace_id(std::uint64_t k) const {
    return trace_ids_[std::size_t(k % std::uint64_t(sessions_))];
  }

 private:
  void append_event(std::size_t session, std::uint64_t batch, int j, std::int64_t at_ms) {
    const std::uint64_t sequence = batch * kEventsPerBatch + std::uint64_t(j);
    const char* name = "segment_loaded";
    if (batch == 0 && j < 3) {
      static constexpr const char* kStart[] = {"play_requested", "manifest_loaded", "playback_started"};
      name = kStart[j];
    } else if (j == kEventsPerBatch - 1) {
      name = "metrics_sampled";
    } else if (j == kEventsPerBatch - 2 && batch % 5 == 4) {
      name = "bitrate_switch";
    }
    body_ += R"({"event_name":")", body_ += name;
    body_ += R"(","project_id":")", body_ += project_;
    body_ += R"(","session_id":")", body_ += session_ids_[session];
    body_ += R"(","client_timestamp":")", append_timestamp(at_ms);
    body_ += R"(","sequence_number":)", append_number(body_, sequence);
    body_ += R"(,"sdk":{"name":"@m-trace/player-sdk","version":"0.1.0"},"meta":{)";
    const bool high = (batch / 5) % 2 == 1;
    const std::string_view name_view = name;
    if (name_view == "play_requested") {
      body_ += R"("content_id":"vod-)", append_number(body_, session % 50);
      body_ += R"(","content_title":"Big Buck Bunny","player_name":"hls.js","player_version":"1.5.13"})";
    } else if (name_view == "manifest_loaded") {
      body_ += R"("network.kind":"manifest","network.redacted_url":"https://cdn.example.com/vod/master.m3u8",)"
               R"("duration_ms":84})";
    } else if (name_view == "playback_started") {
      body_ += R"("startup_ms":)", append_number(body_, 600 + session % 900), body_ += '}';
    } else if (name_view == "metrics_sampled") {
      body_ += R"("buffer_length_s":12.4,"playhead_s":)", append_number(body_, batch * 18 + 2);
      body_ += R"(,"dropped_frames":)", append_number(body_, batch / 3);
      body_ += R"(,"decoded_frames":)", append_number(body_, batch * 432 + 48);
      body_ += R"(,"bitrate_bps":)", body_ += high ? "1000000" : "400000", body_ += '}';
    } else if (name_view == "bitrate_switch") {
      body_ += high ? R"("bitrate_bps":400000,"width":320,"height":180,"level":0,"direction":"down"})"
                    : R"("bitrate_bps":1000000,"width":640,"height":360,"level":1,"direction":"up"})";
    } else {
      body_ += R"("network.kind":"segment","network.redacted_url":"https://cdn.example.com/vod/)";
      body_ += high ? "high" : "low", body_ += "/seg_", append_number(body_, sequence), body_ += R"(.m4s",)";
      body_ += R"("duration_ms":)", append_number(body_, 40 + sequence % 200);
      body_ += R"(,"bytes":)", append_number(body_, high ? 250'000 + sequence % 999 : 100'000 + sequence % 999);
      body_ += R"(,"bitrate_bps":)", body_ += high ? "1000000" : "400000", body_ += '}';
    }
    body_ += '}';
  }

  void append_timestamp(std::int64_t at_ms) {
    const std::time_t second = at_ms / 1000;
    if (second != cached_second_) {
      std::tm utc{};
      gmtime_r(&second, &utc);
      char text[32];
      std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
      cached_prefix_ = text;
      cached_second_ = second;
    }
    body_ += cached_prefix_;
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03dZ", int(at_ms % 1000));
    body_ += fraction;
  }

  int sessions_;
  std::string project_;
  std::vector<std::string> session_ids_;
  std::vector<std::string> trace_ids_;
  std::string body_;
  std::time_t cached_second_ = -1;
  std::string cached_prefix_;
};

}  // namespace mtrace::bench
