// Erasing a session on request (DELETE /api/stream-sessions/{id}, GDPR): its events, boundaries
// and analyses leave the store, and the registry forgets it, in one order with every batch.
#pragma once

#include "app/session_registry.h"
#include "domain/result.h"
#include "ports/event_store.h"

namespace mtrace::app {

// Erases what the store holds of the session when the erase reaches the writer: every batch applied
// before the call, and nothing applied after it (a batch arriving meanwhile starts a new session).
// Waits for the store. Returns false when the store held no such session; an error, with nothing
// erased, when the store is unavailable. Thread-safe.
domain::Result<bool> erase_session(const SessionKey& key, SessionRegistry& sessions, ports::EventStore& store);

}  // namespace mtrace::app
