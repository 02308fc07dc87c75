#include "app/session_registry.h"

#include <gtest/gtest.h>

#include "app/sequence_set.h"

namespace mtrace::app {
namespace {

using domain::kMicrosPerSecond;
using domain::Micros;
using domain::SessionState;

constexpr domain::Micros kT0 = 1'800'000'000 * kMicrosPerSecond;

domain::PlaybackEvent event(const std::string& session, const std::string& name, std::optional<std::int64_t> sequence,
                            domain::Micros at = kT0) {
  domain::PlaybackEvent e;
  e.event_name = name;
  e.project_id = "demo";
  e.session_id = session;
  e.client_timestamp = at;
  e.sequence_number = sequence;
  return e;
}

SessionChanges apply(SessionRegistry& registry, std::vector<domain::PlaybackEvent>& events, domain::Micros at,
                     const std::string& trace_id = "") {
  SessionChanges out;
  EXPECT_TRUE(registry.apply(events, {at, trace_id, "00f067aa0ba902b7", "Chrome 120", "Linux"}, registry.drops(),
                             [&](SessionChanges& changes) { out = changes; }));
  return out;
}

TEST(SequenceSet, DetectsRepeatsAcrossMergedRanges) {
  SequenceSet seen;
  for (std::int64_t n : {1, 2, 3, 5, 4, 10}) EXPECT_TRUE(seen.insert(n));
  EXPECT_EQ(seen.range_count(), 2u);  // [1,5] and [10,10]
  EXPECT_FALSE(seen.insert(3));
  EXPECT_FALSE(seen.insert(10));
  EXPECT_TRUE(seen.insert(9));
  EXPECT_EQ(seen.range_count(), 2u);
}

// Every other number makes a range each: the set keeps the newest kMaxRanges of them.
TEST(SequenceSet, StaysBoundedAndForgetsTheOldestRangesFirst) {
  SequenceSet seen;
  const auto count = static_cast<std::int64_t>(SequenceSet::kMaxRanges) * 4;
  for (std::int64_t n = 0; n < count; ++n) EXPECT_TRUE(seen.insert(2 * n));
  EXPECT_EQ(seen.range_count(), SequenceSet::kMaxRanges);
  EXPECT_FALSE(seen.insert(2 * (count - 1)));                                                  // newest: still known
  EXPECT_FALSE(seen.insert(2 * (count - static_cast<std::int64_t>(SequenceSet::kMaxRanges))));  // oldest kept
  EXPECT_TRUE(seen.insert(0));                                                                 // forgotten
  EXPECT_EQ(seen.range_count(), SequenceSet::kMaxRanges);
}

TEST(SessionRegistry, CreatesASessionAndAssignsServerFieldsInOrder) {
  SessionRegistry registry;
  registry.restore(41, {});
  std::vector events{event("a", "play_requested", 1), event("a", "playback_started", 2)};
  events[0].meta["content_id"] = "movie-1";
  const auto changes = apply(registry, events, kT0, "4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_EQ(changes.touched.size(), 1u);
  EXPECT_EQ(changes.created, 1u);
  ASSERT_EQ(changes.created_or_moved.size(), 1u);
  const auto& session = changes.touched[0];
  EXPECT_EQ(session.state, SessionState::active);
  EXPECT_EQ(session.event_count, 2);
  EXPECT_EQ(session.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(session.dimensions.content_id, "movie-1");
  EXPECT_EQ(session.dimensions.browser_family, "Chrome 120");
  EXPECT_EQ(session.correlation_id.size(), 36u);
  EXPECT_EQ(events[0].ingest_sequence, 42);
  EXPECT_EQ(events[1].ingest_sequence, 43);
  EXPECT_EQ(events[1].correlation_id(), session.correlation_id);
  EXPECT_EQ(events[1].span_id(), "00f067aa0ba902b7");
}

TEST(SessionRegistry, MintsATraceIdWhenTheClientSentNone) {
  SessionRegistry registry;
  std::vector events{event("b", "paused", 1)};
  const auto changes = apply(registry, events, kT0);
  EXPECT_EQ(changes.touched[0].trace_id.size(), 32u);
  EXPECT_EQ(events[0].trace_id(), changes.touched[0].trace_id);
}

TEST(SessionRegistry, EventsOfOneSessionInABatchShareOneStamp) {
  SessionRegistry registry;
  std::vector events{event("a", "x", 1), event("b", "x", 1), event("a", "y", 2), event("b", "y", 2)};
  const auto changes = apply(registry, events, kT0, "4bf92f3577b34da6a3ce929d0e0e4736");
  ASSERT_EQ(changes.touched.size(), 2u);
  ASSERT_NE(events[0].stamp, nullptr);
  EXPECT_EQ(events[0].stamp, events[2].stamp);
  EXPECT_EQ(events[1].stamp, events[3].stamp);
  EXPECT_NE(events[0].correlation_id(), events[1].correlation_id());
  EXPECT_EQ(events[0].correlation_id(), changes.touched[0].correlation_id);
  EXPECT_EQ(events[1].correlation_id(), changes.touched[1].correlation_id);
  EXPECT_EQ(events[3].trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");

  std::vector next{event("a", "z", 3)};
  apply(registry, next, kT0 + 1);
  EXPECT_NE(next[0].stamp, events[0].stamp);  // another request, another stamp
  EXPECT_EQ(next[0].correlation_id(), events[0].correlation_id());
}

TEST(SessionRegistry, FlagsDuplicatesAndTimeSkewButCountsEveryEvent) {
  SessionRegistry registry;
  std::vector first{event("c", "paused", 1), event("c", "resumed", 2)};
  apply(registry, first, kT0);
  std::vector again{event("c", "resumed", 2, kT0 - 120 * kMicrosPerSecond), event("c", "paused", 3)};
  const auto changes = apply(registry, again, kT0 + kMicrosPerSecond);
  EXPECT_EQ(again[0].delivery, domain::DeliveryStatus::duplicate_suspected);
  EXPECT_TRUE(again[0].time_skew_warning);
  EXPECT_EQ(again[1].delivery, domain::DeliveryStatus::accepted);
  EXPECT_FALSE(again[1].time_skew_warning);
  EXPECT_EQ(changes.touched[0].event_count, 4);
  EXPECT_TRUE(changes.created_or_moved.empty());  // no new session, no state change
}

TEST(SessionRegistry, EndsOnSessionEndedAndFlagsLaterEvents) {
  SessionRegistry registry;
  std::vector ending{event("d", "session_ended", 1)};
  const auto ended = apply(registry, ending, kT0);
  EXPECT_EQ(ended.touched[0].state, SessionState::ended);
  EXPECT_EQ(ended.touched[0].end_source, domain::EndSource::client);
  ASSERT_EQ(ended.ended.size(), 1u);
  std::vector late{event("d", "paused", 2)};
  const auto after = apply(registry, late, kT0 + kMicrosPerSecond);
  EXPECT_TRUE(late[0].after_session_end);
  EXPECT_EQ(after.touched[0].state, SessionState::ended);
  EXPECT_TRUE(after.ended.empty());
}

// A client that numbers its events again from 1 under the same session id still ends it.
TEST(SessionRegistry, ASessionEndedTakenForADuplicateStillEndsTheSession) {
  SessionRegistry registry;
  std::vector first{event("e", "paused", 1)};
  apply(registry, first, kT0);
  std::vector ending{event("e", "session_ended", 1)};
  const auto ended = apply(registry, ending, kT0 + kMicrosPerSecond);
  EXPECT_EQ(ending[0].delivery, domain::DeliveryStatus::duplicate_suspected);
  EXPECT_EQ(ended.touched[0].state, SessionState::ended);
  EXPECT_EQ(ended.touched[0].end_source, domain::EndSource::client);
  EXPECT_EQ(ended.ended.size(), 1u);
}

// The caller found an ended session held; a sweep dropped it before the batch was applied. The
// batch must not start it again: apply refuses, and the caller loads it from the store first.
TEST(SessionRegistry, RefusesToStartASessionDroppedSinceTheCallerLookedForIt) {
  SessionRegistry registry;
  std::vector ending{event("r", "session_ended", 1)};
  apply(registry, ending, kT0);
  const auto drops = registry.drops();
  registry.sweep(kT0 + SessionRegistry::kEndedRetention + kMicrosPerSecond);
  ASSERT_FALSE(registry.find({"demo", "r"}).has_value());

  std::vector late{event("r", "paused", 2)};
  const BatchContext context{kT0 + SessionRegistry::kEndedRetention + 2 * kMicrosPerSecond, "", "00f067aa0ba902b7", "", ""};
  bool committed = false;
  EXPECT_FALSE(registry.apply(late, context, drops, [&](SessionChanges&) { committed = true; }));
  EXPECT_FALSE(committed);
  EXPECT_FALSE(registry.find({"demo", "r"}).has_value());
  // A batch of sessions still held is not refused for it.
  std::vector other{event("s", "paused", 1)};
  apply(registry, other, kT0);
  std::vector held{event("s", "paused", 2)};
  EXPECT_TRUE(registry.apply(held, context, drops, [](SessionChanges&) {}));
}

// A store that refuses a batch at once answers inside apply()'s commit; forgetting the batch's
// sessions there must not wait for the lock apply() holds.
TEST(SessionRegistry, ForgetsFromWithinTheCommitOfABatch) {
  SessionRegistry registry;
  std::vector events{event("refused", "playback_started", 1)};
  registry.apply(events, {kT0, "", "00f067aa0ba902b7", "", ""}, registry.drops(), [&](SessionChanges& changes) {
    for (const auto& session : changes.touched) registry.forget({session.project_id, session.session_id});
  });
  EXPECT_EQ(registry.held({"demo", "refused"}), SessionRegistry::Held::no);
  std::vector again{event("refused", "playback_started", 1)};
  const auto retried = apply(registry, again, kT0 + kMicrosPerSecond);
  EXPECT_EQ(retried.created, 1u);
  EXPECT_EQ(again[0].delivery, domain::DeliveryStatus::accepted);
}

// While an erase is queued, a batch of the session starts a new one (its sequence numbers are not
// duplicates), and a store read begun before the erase is refused as stale.
TEST(SessionRegistry, ABatchDuringAnEraseStartsANewSessionAndAStaleReadIsRefused) {
  SessionRegistry registry;
  std::vector first{event("erased", "playback_started", 1), event("erased", "paused", 2)};
  const domain::Session stored = apply(registry, first, kT0).touched.at(0);
  const SessionKey key{"demo", "erased"};
  const auto before_erase = registry.erasures();

  bool enqueued = false;
  registry.begin_erase(key, [&] { enqueued = true; });
  EXPECT_TRUE(enqueued);
  EXPECT_EQ(registry.held(key), SessionRegistry::Held::yes);  // no store read while it is erased
  EXPECT_FALSE(registry.adopt(stored, before_erase));
  EXPECT_FALSE(registry.load_history(key, {}, before_erase));
  EXPECT_FALSE(registry.find(key).has_value());

  std::vector during{event("erased", "playback_started", 1)};
  const auto changes = apply(registry, during, kT0 + kMicrosPerSecond);
  EXPECT_EQ(changes.created, 1u);
  EXPECT_EQ(changes.touched.at(0).event_count, 1);
  EXPECT_EQ(during[0].delivery, domain::DeliveryStatus::accepted);

  registry.end_erase(key);
  EXPECT_EQ(registry.find(key)->event_count, 1);  // the new session stays
  EXPECT_TRUE(registry.adopt(stored, registry.erasures()));  // held already: nothing replaced
  EXPECT_EQ(registry.find(key)->event_count, 1);
}

TEST(SessionRegistry, EndsAnEraseFromWithinItsEnqueue) {
  SessionRegistry registry;
  const SessionKey key{"demo", "refused"};
  registry.begin_erase(key, [&] { registry.end_erase(key); });  // a store that refuses at once
  EXPECT_EQ(registry.held(key), SessionRegistry::Held::no);
}

TEST(SessionRegistry, SweepsIdleSessionsToStalledThenEnded) {
  SessionRegistry registry;
  std::vector events{event("e", "playback_started", 1)};
  apply(registry, events, kT0);
  EXPECT_TRUE(registry.sweep(kT0 + 59 * kMicrosPerSecond).touched.empty());

  const auto stalled = registry.sweep(kT0 + 61 * kMicrosPerSecond);
  ASSERT_EQ(stalled.touched.size(), 1u);
  EXPECT_EQ(stalled.touched[0].state, SessionState::stalled);
  EXPECT_EQ(registry.counts().stalled, 1);

  std::vector resumed{event("e", "resumed", 2)};
  const auto back = apply(registry, resumed, kT0 + 62 * kMicrosPerSecond);
  EXPECT_EQ(back.touched[0].state, SessionState::active);
  EXPECT_EQ(back.created_or_moved.size(), 1u);

  const auto ended = registry.sweep(kT0 + 62 * kMicrosPerSecond + domain::kEndedAfter + kMicrosPerSecond);
  ASSERT_EQ(ended.touched.size(), 1u);  // active -> stalled -> ended in one pass
  EXPECT_EQ(ended.touched[0].state, SessionState::ended);
  EXPECT_EQ(ended.touched[0].end_source, domain::EndSource::sweeper);
  EXPECT_EQ(ended.ended.size(), 1u);

  registry.sweep(kT0 + 62 * kMicrosPerSecond + domain::kEndedAfter + SessionRegistry::kEndedRetention +
                 2 * kMicrosPerSecond);
  EXPECT_EQ(registry.held({"demo", "e"}), SessionRegistry::Held::no);
}

TEST(SessionRegistry, GoesOnFromTheStoredEventsOfARestoredSession) {
  // Before a restart: a session that stalled for 2 s after it started.
  SessionRegistry before;
  std::vector stored{event("f", "play_requested", 1), event("f", "playback_started", 2),
                     event("f", "rebuffer_started", 3), event("f", "rebuffer_ended", 4)};
  stored[1].client_timestamp = stored[0].client_timestamp + 500'000;
  stored[2].client_timestamp = stored[1].client_timestamp + 10 * kMicrosPerSecond;
  stored[3].client_timestamp = stored[2].client_timestamp + 2 * kMicrosPerSecond;
  const domain::Session written = apply(before, stored, kT0).touched.at(0);
  ASSERT_EQ(written.qoe.rebuffer_count, 1);

  SessionRegistry registry;
  domain::Session open = written;
  open.qoe = {};  // the row's QoE may lag behind its events (written back later, or a crash)
  registry.restore(100, {open});
  const SessionKey key{"demo", "f"};
  EXPECT_EQ(registry.held(key), SessionRegistry::Held::without_history);
  EXPECT_TRUE(registry.load_history(key, stored, registry.erasures()));
  EXPECT_EQ(registry.held(key), SessionRegistry::Held::yes);
  EXPECT_EQ(registry.find(key)->qoe.rebuffer_count, 1);
  EXPECT_EQ(registry.find(key)->qoe.startup_ms, 500);

  std::vector events{event("f", "paused", 3), event("f", "rebuffer_started", 5),
                     event("f", "rebuffer_ended", 6)};
  events[1].client_timestamp = stored[3].client_timestamp + kMicrosPerSecond;
  events[2].client_timestamp = events[1].client_timestamp + kMicrosPerSecond;
  const auto changes = apply(registry, events, kT0 + 20 * kMicrosPerSecond);
  EXPECT_EQ(events[0].delivery, domain::DeliveryStatus::duplicate_suspected);
  EXPECT_EQ(events[1].delivery, domain::DeliveryStatus::accepted);
  EXPECT_EQ(events[0].ingest_sequence, 101);
  const auto& qoe = changes.touched.at(0).qoe;
  EXPECT_EQ(qoe.rebuffer_count, 2);
  EXPECT_EQ(qoe.rebuffer_ms, 3000);
  EXPECT_EQ(qoe.startup_ms, 500);
}

TEST(SessionRegistry, ASessionStillWithoutItsHistoryKeepsItsStoredQoeWhenSweptToEnded) {
  SessionRegistry registry;
  domain::Session open;
  open.project_id = "demo";
  open.session_id = "h";
  open.started_at = open.last_event_at = kT0;
  open.qoe.rebuffer_count = 4;
  registry.restore(10, {open});
  const Micros later = kT0 + domain::kEndedAfter + kMicrosPerSecond;
  const auto ending = registry.ending_without_history(later);
  ASSERT_EQ(ending.size(), 1u);
  EXPECT_EQ(ending[0], (SessionKey{"demo", "h"}));
  EXPECT_TRUE(registry.ending_without_history(kT0 + kMicrosPerSecond).empty());
  const auto ended = registry.sweep(later);
  ASSERT_EQ(ended.touched.size(), 1u);
  EXPECT_EQ(ended.touched[0].state, SessionState::ended);
  EXPECT_EQ(ended.touched[0].qoe.rebuffer_count, 4);
  ASSERT_EQ(ended.ended.size(), 1u);  // counted as ended, without a trace
  EXPECT_FALSE(ended.ended[0].traced);
}

TEST(SessionRegistry, KeepsTheFirstSampleRateOfASession) {
  SessionRegistry registry;
  std::vector events{event("g", "paused", 1), event("g", "paused", 2)};
  events[0].meta["session_sample_rate"] = 0.25;
  events[1].meta["session_sample_rate"] = 0.5;
  const auto changes = apply(registry, events, kT0);
  EXPECT_EQ(changes.touched[0].sample_rate_ppm, 250'000);
  EXPECT_TRUE(changes.sample_rate_drifts.empty());  // the batch's first rate counts, the rest are ignored
}

// A later batch's rate never replaces the first; one more than 100 ppm off it is drift, once per
// batch and session.
TEST(SessionRegistry, CountsASampleRateUnlikeTheSessionsOwnAsDrift) {
  SessionRegistry registry;
  const auto batch = [&](std::vector<double> rates) {
    std::vector<domain::PlaybackEvent> events;
    for (const double rate : rates) {
      events.push_back(event("h", "paused", std::nullopt));
      events.back().meta["session_sample_rate"] = rate;
    }
    return apply(registry, events, kT0);
  };
  EXPECT_TRUE(batch({0.5}).sample_rate_drifts.empty());
  EXPECT_TRUE(batch({0.50005}).sample_rate_drifts.empty());  // 50 ppm off
  EXPECT_TRUE(batch({1.0}).sample_rate_drifts.empty());      // fully sampled says nothing
  const auto drifted = batch({0.25, 0.75});
  EXPECT_EQ(drifted.sample_rate_drifts, std::vector<std::string>{"demo"});
  EXPECT_EQ(drifted.touched[0].sample_rate_ppm, 500'000);
}

}  // namespace
}  // namespace mtrace::app
