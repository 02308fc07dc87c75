// The SSE streams over a real SQLite store and the in-process live bus: the Last-Event-ID backfill
// and its bound, live frames after it, heartbeats to open streams only.
#include "adapters/http/live_streams.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <optional>

#include "../../support/temp_dir.h"
#include "adapters/memory/in_process_live_bus.h"
#include "adapters/sqlite/sqlite_event_store.h"

namespace mtrace::adapters::http {
namespace {

constexpr domain::Micros kT0 = 1'800'000'000'000'000;

// What a connection would write, frame by frame.
class RecordedStream final : public EventStream {
 public:
  bool send(std::string bytes) override {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    sent_.push_back(std::move(bytes));
    return true;
  }
  void close() override {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      callbacks.swap(on_close_);
    }
    for (auto& callback : callbacks) callback();
  }
  void on_close(std::function<void()> callback) override {
    std::lock_guard lock(mutex_);
    on_close_.push_back(std::move(callback));
  }
  std::vector<std::string> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }

 private:
  mutable std::mutex mutex_;
  bool closed_ = false;
  std::vector<std::string> sent_;
  std::vector<std::function<void()>> on_close_;
};

class LiveStreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = sqlite::SqliteEventStore::open((dir_.path() / "store.db").string(), {});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened.value());
    streams_.emplace(bus_, *store_);
  }
  // Each connection ends, as its client leaves: its stream lets go of the subscriber.
  void TearDown() override {
    for (const auto& stream : opened_) stream->close();
  }

  // `count` events of one session of `project_id`, ingest sequences first..first+count-1.
  void store_events(int count, const std::string& project_id = "demo", std::int64_t first = 1) {
    ports::AppendBatch batch;
    domain::Session session;
    session.project_id = project_id;
    session.session_id = "s";
    session.started_at = kT0;
    session.last_event_at = kT0;
    session.event_count = count;
    session.correlation_id = "corr-s";
    for (int i = 1; i <= count; ++i) {
      domain::PlaybackEvent event;
      event.event_name = "segment_loaded";
      event.project_id = project_id;
      event.session_id = "s";
      event.client_timestamp = kT0;
      event.server_received_at = kT0;
      event.sequence_number = i;
      event.ingest_sequence = first + i - 1;
      event.sdk = {"test", "1"};
      event.stamp = std::make_shared<const domain::IngestStamp>(
          domain::IngestStamp{"corr-s", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"});
      batch.events.push_back(std::move(event));
    }
    batch.sessions.push_back(session);
    std::promise<domain::Status> committed;
    store_->append(std::move(batch), [&](const domain::Status& status) { committed.set_value(status); });
    ASSERT_TRUE(committed.get_future().get().ok());
  }

  // A stream of `project_id` (empty: every project, as for the admin token).
  std::shared_ptr<RecordedStream> open(std::optional<std::int64_t> last_event_id, const std::string& project_id = "demo") {
    auto stream = std::make_shared<RecordedStream>();
    Exchange exchange;
    exchange.start_stream = [stream](Response) { return stream; };
    streams_->open(std::move(exchange), project_id, last_event_id, {});
    opened_.push_back(stream);
    return stream;
  }

  testing::TempDir dir_;
  std::unique_ptr<sqlite::SqliteEventStore> store_;
  InProcessLiveBus bus_;
  std::optional<LiveStreams> streams_;  // over the store SetUp opens
  std::vector<std::shared_ptr<RecordedStream>> opened_;
};

std::size_t count_frames(const std::vector<std::string>& sent, std::string_view event) {
  return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), [&](const std::string& frame) {
    return frame.find("event: " + std::string(event) + "\n") != std::string::npos;
  }));
}

TEST_F(LiveStreamsTest, BackfillsTheOldestThousandAfterTheLastEventIdAndSaysSo) {
  store_events(1005);
  const auto sent = open(3)->sent();
  ASSERT_GE(sent.size(), 3u);
  EXPECT_EQ(sent[0], ": connected\n\n");
  EXPECT_EQ(sent[1], "event: backfill_truncated\ndata: {\"oldest_ingest_sequence\":4}\n\n");
  EXPECT_EQ(count_frames(sent, "event_appended"), LiveStreams::kMaxBackfill);
  EXPECT_EQ(sent[2].rfind("id: 4\n", 0), 0u) << sent[2];
  EXPECT_EQ(sent.back().rfind("id: 1003\n", 0), 0u) << sent.back();
}

TEST_F(LiveStreamsTest, BackfillsWhatFollowsTheLastEventIdThenSendsLiveFrames) {
  store_events(5);
  const auto stream = open(3);
  auto sent = stream->sent();
  ASSERT_EQ(sent.size(), 3u);  // connected, 4, 5
  EXPECT_EQ(count_frames(sent, "backfill_truncated"), 0u);
  EXPECT_EQ(sent[1].rfind("id: 4\n", 0), 0u);
  EXPECT_EQ(sent[2].rfind("id: 5\n", 0), 0u);

  bus_.publish({{"demo", "event_appended", 6, "{}"}, {"other", "event_appended", 7, "{}"}});
  sent = stream->sent();
  ASSERT_EQ(sent.size(), 4u) << "another project's frame reached the stream";
  EXPECT_EQ(sent[3], "id: 6\nevent: event_appended\ndata: {}\n\n");
}

TEST_F(LiveStreamsTest, AnAdminStreamBackfillsEveryProjectsEvents) {
  store_events(3, "demo", 1);
  store_events(2, "shop", 4);
  const auto sent = open(2, "")->sent();
  ASSERT_EQ(sent.size(), 4u);  // connected, 3 of demo, 4 and 5 of shop
  EXPECT_EQ(sent[1].rfind("id: 3\n", 0), 0u) << sent[1];
  EXPECT_EQ(sent[2].rfind("id: 4\n", 0), 0u) << sent[2];
  EXPECT_NE(sent[3].find(R"("project_id":"shop")"), std::string::npos) << sent[3];
  EXPECT_EQ(open(2)->sent().size(), 2u);  // demo's own stream: only its event 3
}

TEST_F(LiveStreamsTest, HeartbeatsReachOpenStreamsAndClosedOnesAreForgotten) {
  const auto open_one = open(std::nullopt);
  const auto closed_one = open(std::nullopt);
  EXPECT_EQ(streams_->open_count(), 2u);
  closed_one->close();
  streams_->heartbeat();
  EXPECT_EQ(streams_->open_count(), 1u);
  EXPECT_EQ(open_one->sent().back(), ": heartbeat\n\n");
  EXPECT_NE(closed_one->sent().back(), ": heartbeat\n\n");
  EXPECT_EQ(bus_.subscriber_count(), 1u) << "the closed stream still listens to the bus";
}

}  // namespace
}  // namespace mtrace::adapters::http
