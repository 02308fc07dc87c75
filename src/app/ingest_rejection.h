// Why an ingest request was refused: the HTTP status, SPEC §8's error code and an English message.
#pragma once

#include <cstdint>
#include <string>

namespace mtrace::app {

struct IngestRejection {
  int http_status = 400;
  std::string code;     // e.g. "invalid_event"
  std::string message;  // names the event index and field at fault
  // How many events mtrace_invalid_events_total counts for this refusal (0: not an invalid batch).
  std::int64_t invalid_events = 0;
};

}  // namespace mtrace::app
