// LiveBus: fans out live-stream frames (SSE) to every subscriber of a project, in this process and,
// with a shared bus (Redis, later), in every replica.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mtrace::ports {

struct LiveFrame {
  std::string project_id;
  std::string event;        // "event_appended" | "session_updated"
  std::int64_t id = 0;      // SSE id: the ingest_sequence for event_appended; 0: no id line
  std::string data;         // compact JSON, one line
};

class LiveSubscriber {
 public:
  virtual ~LiveSubscriber() = default;
  // Called on a publisher's thread. Must not block: copy what is needed and return. A subscriber
  // that cannot keep up drops frames itself (and may close its stream).
  virtual void on_frames(const std::vector<LiveFrame>& frames) = 0;
};

// Keeps a subscription alive; destroying it unsubscribes (after which on_frames is not called).
class LiveSubscription {
 public:
  virtual ~LiveSubscription() = default;
};

class LiveBus {
 public:
  virtual ~LiveBus() = default;
  // Delivers `frames` to the subscribers of each frame's project. Thread-safe; never blocks on a
  // slow subscriber.
  virtual void publish(const std::vector<LiveFrame>& frames) = 0;
  // Whether frames of `project_id` published now would reach anyone: a publisher may skip building
  // frames nobody reads. Thread-safe.
  virtual bool has_subscribers(const std::string& project_id) const = 0;
  // `project_id` empty: every project. The subscriber must outlive the returned subscription.
  virtual std::unique_ptr<LiveSubscription> subscribe(const std::string& project_id,
                                                      LiveSubscriber& subscriber) = 0;
};

}  // namespace mtrace::ports
