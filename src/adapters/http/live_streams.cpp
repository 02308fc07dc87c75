#include "adapters/http/live_streams.h"

#include "app/wire_json.h"
#include "domain/json_writer.h"

namespace mtrace::adapters::http {
namespace {

std::string format_frame(const ports::LiveFrame& frame) {
  std::string out;
  out.reserve(frame.data.size() + 64);
  if (frame.id > 0) out += "id: " + std::to_string(frame.id) + "\n";
  out += "event: " + frame.event + "\ndata: " + frame.data + "\n\n";
  return out;
}

}  // namespace

// Frames that arrive while the backfill is being read are held, then sent without the ones the
// backfill already carried, so a client sees each event once and in order.
class LiveStreams::Subscriber final : public ports::LiveSubscriber,
                                      public std::enable_shared_from_this<Subscriber> {
 public:
  explicit Subscriber(std::shared_ptr<EventStream> stream) : stream_(std::move(stream)) {}

  void on_frames(const std::vector<ports::LiveFrame>& frames) override {
    std::lock_guard lock(mutex_);
    if (backfilling_) {
      held_.insert(held_.end(), frames.begin(), frames.end());
      return;
    }
    send_locked(frames);
  }

  void finish_backfill(const std::vector<ports::LiveFrame>& backfill, std::int64_t last_id) {
    std::lock_guard lock(mutex_);
    send_locked(backfill);
    std::vector<ports::LiveFrame> fresh;
    for (auto& frame : held_) {
      if (frame.id == 0 || frame.id > last_id) fresh.push_back(std::move(frame));
    }
    held_.clear();
    backfilling_ = false;
    send_locked(fresh);
  }

  void send_raw(std::string bytes) {
    std::lock_guard lock(mutex_);
    stream_->send(std::move(bytes));
  }

  void keep(std::unique_ptr<ports::LiveSubscription> subscription) {
    std::lock_guard lock(mutex_);
    subscription_ = std::move(subscription);
  }
  // Ends the subscription outside mutex_: ending it waits for a publish in progress, which may be
  // waiting for mutex_ in on_frames.
  void drop_subscription() {
    std::unique_ptr<ports::LiveSubscription> dropped;
    std::lock_guard lock(mutex_);
    dropped = std::move(subscription_);
  }
  bool closed() const { return closed_; }
  void mark_closed() { closed_ = true; }

 private:
  void send_locked(const std::vector<ports::LiveFrame>& frames) {
    for (const auto& frame : frames) {
      if (!stream_->send(format_frame(frame))) return;
    }
  }

  std::mutex mutex_;
  std::shared_ptr<EventStream> stream_;
  std::unique_ptr<ports::LiveSubscription> subscription_;
  bool backfilling_ = true;
  std::vector<ports::LiveFrame> held_;
  std::atomic<bool> closed_{false};
};

void LiveStreams::open(Exchange exchange, const std::string& project_id,
                       std::optional<std::int64_t> last_event_id,
                       std::vector<std::pair<std::string, std::string>> headers) {
  Response head;
  head.content_type = "text/event-stream; charset=utf-8";
  head.headers = std::move(headers);
  head.with_header("Cache-Control", "no-store").with_header("X-Accel-Buffering", "no");
  auto stream = exchange.start_stream(std::move(head));
  auto subscriber = std::make_shared<Subscriber>(stream);
  // Subscribe before reading the backfill, so nothing falls between the two.
  subscriber->keep(bus_.subscribe(project_id, *subscriber));
  // The connection owns the subscriber until the stream closes.
  stream->on_close([subscriber] {
    subscriber->mark_closed();
    subscriber->drop_subscription();
  });
  {
    std::lock_guard lock(mutex_);
    subscribers_.push_back(subscriber);
  }
  stream->send(": connected\n\n");

  std::vector<ports::LiveFrame> backfill;
  std::int64_t last_id = last_event_id.value_or(0);
  if (last_event_id) {
    auto events = store_.events_after(project_id, *last_event_id, kMaxBackfill + 1);
    if (events.ok()) {
      auto& list = events.value();
      if (list.size() > kMaxBackfill) {
        list.resize(kMaxBackfill);
        backfill.push_back({project_id, "backfill_truncated", 0,
                            "{\"oldest_ingest_sequence\":" + std::to_string(list.front().ingest_sequence) + "}"});
      }
      for (const auto& event : list) {
        backfill.push_back({event.project_id, "event_appended", event.ingest_sequence,
                            domain::to_json_text(app::event_appended_data(event))});
        last_id = event.ingest_sequence;
      }
    }
  }
  subscriber->finish_backfill(backfill, last_id);
}

void LiveStreams::heartbeat() {
  std::vector<std::shared_ptr<Subscriber>> alive;
  {
    std::lock_guard lock(mutex_);
    std::erase_if(subscribers_, [&](const std::weak_ptr<Subscriber>& weak) {
      auto subscriber = weak.lock();
      if (!subscriber || subscriber->closed()) return true;
      alive.push_back(std::move(subscriber));
      return false;
    });
  }
  for (auto& subscriber : alive) subscriber->send_raw(": heartbeat\n\n");
}

std::size_t LiveStreams::open_count() const {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (const auto& weak : subscribers_) {
    if (auto subscriber = weak.lock(); subscriber && !subscriber->closed()) ++count;
  }
  return count;
}

}  // namespace mtrace::adapters::http
