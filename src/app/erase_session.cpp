#include "app/erase_session.h"

#include <future>

namespace mtrace::app {

domain::Result<bool> erase_session(const SessionKey& key, SessionRegistry& sessions, ports::EventStore& store) {
  std::promise<domain::Result<bool>> erased;
  auto outcome = erased.get_future();
  sessions.begin_erase(key, [&] {
    store.erase_session(key.project_id, key.session_id, [&](const domain::Result<bool>& result) {
      sessions.end_erase(key);
      if (!result.ok()) sessions.readopt_later(key);  // its row may still be open, and held no more
      erased.set_value(result);
    });
  });
  return outcome.get();
}

}  // namespace mtrace::app
