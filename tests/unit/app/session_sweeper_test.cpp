// The sweeper use case over a real SQLite store and the in-process live bus: idle sessions move
// on, their rows are saved and announced; retention prunes by the configured days.
#include "app/session_sweeper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>

#include "../../support/manual_clock.h"
#include "../../support/temp_dir.h"
#include "adapters/memory/in_process_live_bus.h"
#include "adapters/prometheus/prometheus_metrics.h"
#include "adapters/sqlite/sqlite_event_store.h"

namespace mtrace::app {
namespace {

using domain::kMicrosPerSecond;
using domain::Micros;
using domain::SessionState;

constexpr Micros kT0 = 1'800'000'000 * kMicrosPerSecond;
constexpr Micros kDay = 86'400 * kMicrosPerSecond;

// Collects the frames of one project; waits for them, since the sweeper publishes after the
// store's writer has saved.
class Frames final : public ports::LiveSubscriber {
 public:
  void on_frames(const std::vector<ports::LiveFrame>& frames) override {
    std::lock_guard lock(mutex_);
    frames_.insert(frames_.end(), frames.begin(), frames.end());
    arrived_.notify_all();
  }
  std::vector<ports::LiveFrame> wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, std::chrono::seconds(10), [&] { return frames_.size() >= count; });
    return frames_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<ports::LiveFrame> frames_;
};

class SessionSweeperTest : public ::testing::Test {
 protected:
  void SetUp() override { open_store(); }

  // Opens the store file (again, after a drain) and a sweeper over it and the same registry.
  void open_store() {
    sweeper_.reset();
    store_.reset();
    auto opened = adapters::sqlite::SqliteEventStore::open((dir_.path() / "store.db").string(), {});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened.value());
    sweeper_.emplace(SessionSweeper::Dependencies{registry_, *store_, bus_, metrics_, tracer_, clock_},
                     /*retention_days=*/30);
  }

  // A session whose one event arrived at `at`, known to the registry and saved as ingest does.
  void start_session(const std::string& id, Micros at) {
    domain::PlaybackEvent event;
    event.event_name = "playback_started";
    event.project_id = "demo";
    event.session_id = id;
    event.client_timestamp = at;
    event.sequence_number = 1;
    std::vector events{event};
    std::vector<domain::Session> touched;
    registry_.apply(events, {at, "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", "Chrome", "Linux"},
                    registry_.drops(),
                    [&](SessionChanges& changes) { touched = changes.touched; });
    save(std::move(touched));
  }

  void save(std::vector<domain::Session> sessions) {
    std::promise<domain::Status> saved;
    store_->save_sessions(std::move(sessions), [&](const domain::Status& status) { saved.set_value(status); });
    ASSERT_TRUE(saved.get_future().get().ok());
  }

  std::optional<domain::Session> stored(const std::string& id) {
    auto found = store_->find_session("demo", id);
    EXPECT_TRUE(found.ok());
    return found.ok() ? found.value() : std::nullopt;
  }

  testing::TempDir dir_;
  std::unique_ptr<adapters::sqlite::SqliteEventStore> store_;
  SessionRegistry registry_;
  adapters::InProcessLiveBus bus_;
  adapters::PrometheusMetrics metrics_;
  ports::NoopTraceExporter tracer_;
  testing::ManualClock clock_{kT0};
  std::optional<SessionSweeper> sweeper_;
};

TEST_F(SessionSweeperTest, SavesAndAnnouncesSessionsThatStallAndThenEnd) {
  Frames frames;
  const auto subscription = bus_.subscribe("demo", frames);
  start_session("idle", kT0);

  clock_.set(kT0 + 59 * kMicrosPerSecond);
  EXPECT_EQ(sweeper_->sweep(), 0u);
  clock_.set(kT0 + 61 * kMicrosPerSecond);
  EXPECT_EQ(sweeper_->sweep(), 1u);
  auto seen = frames.wait_for(1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].event, "session_updated");
  EXPECT_NE(seen[0].data.find(R"("state":"stalled")"), std::string::npos) << seen[0].data;
  EXPECT_EQ(stored("idle")->state, SessionState::stalled);

  clock_.set(kT0 + 61 * kMicrosPerSecond + domain::kEndedAfter);
  EXPECT_EQ(sweeper_->sweep(), 1u);
  seen = frames.wait_for(2);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_NE(seen[1].data.find(R"("state":"ended")"), std::string::npos) << seen[1].data;
  const auto ended = stored("idle");
  EXPECT_EQ(ended->state, SessionState::ended);
  EXPECT_EQ(ended->end_source, domain::EndSource::sweeper);
}

// A store that refuses the sweep's save (here: drained, so it refuses at once, from within the
// sweep): the next sweep saves the state again, though nothing changed since.
TEST_F(SessionSweeperTest, SavesAgainAStateTheStoreDidNotKeep) {
  start_session("idle", kT0);
  store_->drain();
  clock_.set(kT0 + 61 * kMicrosPerSecond);
  EXPECT_EQ(sweeper_->sweep(), 1u);
  EXPECT_EQ(registry_.find({"demo", "idle"})->state, SessionState::stalled);

  open_store();
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(stored("idle")->state, SessionState::active);
  Frames frames;
  const auto subscription = bus_.subscribe("demo", frames);
  clock_.set(kT0 + 62 * kMicrosPerSecond);
  EXPECT_EQ(sweeper_->sweep(), 0u);  // no state changed
  ASSERT_EQ(frames.wait_for(1).size(), 1u);
  EXPECT_EQ(stored("idle")->state, SessionState::stalled);
  // Saved once: the sweep after that has nothing to save.
  clock_.set(kT0 + 63 * kMicrosPerSecond);
  sweeper_->sweep();
  store_->drain();  // every save queued has been answered
  EXPECT_EQ(frames.wait_for(1).size(), 1u);
}

// An ended session whose end the store did not keep stays in memory past its retention, until a
// sweep saved it.
TEST_F(SessionSweeperTest, KeepsAnEndedSessionUntilItsEndIsSaved) {
  start_session("gone", kT0);
  const Micros ended_at = kT0 + domain::kEndedAfter + 2 * kMicrosPerSecond;
  clock_.set(kT0 + 61 * kMicrosPerSecond);
  sweeper_->sweep();
  store_->drain();
  clock_.set(ended_at);
  EXPECT_EQ(sweeper_->sweep(), 1u);
  clock_.set(ended_at + SessionRegistry::kEndedRetention + kMicrosPerSecond);
  sweeper_->sweep();  // refused again
  ASSERT_TRUE(registry_.find({"demo", "gone"}).has_value());

  open_store();
  ASSERT_FALSE(HasFatalFailure());
  sweeper_->sweep();
  store_->drain();  // the save has committed
  EXPECT_EQ(stored("gone")->state, SessionState::ended);
  sweeper_->sweep();
  EXPECT_FALSE(registry_.find({"demo", "gone"}).has_value());
}

// A batch the store did not keep makes ingest forget its session; the sweeper adopts it again
// from the store and ends it once it idles, as if it had stayed in memory.
TEST_F(SessionSweeperTest, EndsASessionForgottenAfterABatchTheStoreDidNotKeep) {
  start_session("orphan", kT0);
  registry_.forget({"demo", "orphan"});
  ASSERT_FALSE(registry_.find({"demo", "orphan"}).has_value());
  clock_.set(kT0 + 61 * kMicrosPerSecond + domain::kEndedAfter);
  EXPECT_EQ(sweeper_->sweep(), 1u);
  store_->drain();
  const auto ended = stored("orphan");
  ASSERT_TRUE(ended.has_value());
  EXPECT_EQ(ended->state, SessionState::ended);
  EXPECT_EQ(ended->end_source, domain::EndSource::sweeper);
}

TEST_F(SessionSweeperTest, PrunesSessionsOlderThanTheRetentionDays) {
  start_session("old", kT0);
  start_session("recent", kT0 + 2 * kDay);
  clock_.set(kT0 + 31 * kDay);  // "old" is 31 days old, "recent" 29
  const auto pruned = sweeper_->prune();
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned.value().sessions, 1);
  EXPECT_FALSE(stored("old").has_value());
  EXPECT_TRUE(stored("recent").has_value());
  // The registry let go of it too: the sweep that ends the idle sessions saves only "recent".
  EXPECT_FALSE(registry_.find({"demo", "old"}).has_value());
  EXPECT_EQ(sweeper_->sweep(), 1u);
  store_->drain();
  EXPECT_FALSE(stored("old").has_value());
  EXPECT_EQ(stored("recent")->state, SessionState::ended);
}

}  // namespace
}  // namespace mtrace::app
