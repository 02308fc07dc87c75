// QoeAggregates over sessions from an in-test store; figures worked out by hand.
#include "app/qoe_aggregates.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace mtrace::app {
namespace {

using domain::Micros;
using domain::kMicrosPerSecond;

constexpr Micros kHour = 3600 * kMicrosPerSecond;
const Micros kFrom = *domain::parse_rfc3339("2026-04-28T00:00:00Z");

// Answers sessions_started_between from a list; every other method is unused here.
class FakeStore final : public ports::EventStore {
 public:
  std::vector<domain::Session> sessions;
  std::optional<std::string> asked_project;
  std::size_t asked_max_rows = 0;
  bool down = false;

  domain::Result<std::vector<domain::Session>> sessions_started_between(
      const std::optional<std::string>& project_id, Micros from, Micros until,
      std::size_t max_rows) override {
    if (down) return domain::Error{domain::ErrorCode::unavailable, "store down"};
    asked_project = project_id;
    asked_max_rows = max_rows;
    std::vector<domain::Session> out;
    for (const auto& s : sessions) {
      if (s.started_at >= from && s.started_at < until && out.size() < max_rows) out.push_back(s);
    }
    return out;
  }

  void append_shared(std::shared_ptr<const ports::AppendBatch>, ports::AppendDone) override { unused(); }
  void save_sessions(std::vector<domain::Session>, ports::AppendDone) override { unused(); }
  domain::Result<ports::SessionPage> list_sessions(const ports::SessionListQuery&) override {
    return unused();
  }
  domain::Result<std::optional<domain::Session>> find_session(const std::string&,
                                                              const std::string&) override {
    return unused();
  }
  domain::Result<ports::EventPage> list_events(const ports::EventListQuery&) override {
    return unused();
  }
  domain::Result<ports::EventSearchPage> search_events(const ports::EventSearchQuery&) override {
    return unused();
  }
  domain::Result<std::vector<domain::PlaybackEvent>> events_after(const std::string&,
                                                                  std::int64_t,
                                                                  std::size_t) override {
    return unused();
  }
  void erase_session(const std::string&, const std::string&, ports::EraseDone) override { unused(); }
  domain::Result<ports::PruneResult> prune_before(Micros) override { return unused(); }
  domain::Result<std::vector<domain::Session>> load_open_sessions() override { return unused(); }
  domain::Result<std::int64_t> max_ingest_sequence() override { return unused(); }
  domain::Result<std::vector<domain::PlaybackEvent>> session_events(const std::string&,
                                                                     const std::string&) override {
    return unused();
  }
  domain::Result<std::optional<domain::Session>> find_session_by_correlation(
      const std::string&, const std::string&) override {
    return unused();
  }
  domain::Status save_analysis(const ports::StoredAnalysis&) override { return unused(); }
  domain::Result<std::vector<ports::StoredAnalysis>> list_analyses(const std::string&,
                                                                   const std::string&) override {
    return unused();
  }
  domain::Status ping() override { return unused(); }
  void drain() override {}

 private:
  static domain::Error unused() {
    ADD_FAILURE() << "unexpected store call";
    return domain::Error{domain::ErrorCode::internal, "unused"};
  }
};

domain::Session session(Micros started_at, std::string content_id, std::optional<std::int64_t> startup_ms,
                        std::int64_t watch_ms, std::int64_t rebuffer_ms, bool failed = false,
                        bool exited = false) {
  domain::Session s;
  s.started_at = started_at;
  s.dimensions.content_id = std::move(content_id);
  s.qoe.startup_ms = startup_ms;
  s.qoe.started = startup_ms.has_value();
  s.qoe.watch_ms = watch_ms;
  s.qoe.rebuffer_ms = rebuffer_ms;
  s.qoe.failed = failed;
  s.qoe.failed_before_start = failed && !startup_ms;
  s.qoe.exited_before_start = exited;
  return s;
}

std::vector<domain::Session> hours_of_sessions() {
  std::vector<domain::Session> out;
  // Hour 0: ten sessions with startups 100..1000 ms, 60 s watched each, 3 s of stalls in all.
  for (int i = 1; i <= 10; ++i) {
    out.push_back(session(kFrom + i * kMicrosPerSecond, "a", i * 100, 60'000, i <= 3 ? 1000 : 0));
  }
  // Hour 1: a failure before start (not an exit before start), a plain exit before start, two
  // plays of 40 s, one of which fails later.
  out.push_back(session(kFrom + kHour, "a", std::nullopt, 0, 0, true, true));
  out.push_back(session(kFrom + kHour + 1, "", std::nullopt, 0, 0, false, true));
  out.push_back(session(kFrom + kHour + 2, "b", 2000, 40'000, 0));
  out.push_back(session(kFrom + kHour + 3, "b", 2000, 40'000, 0, true));
  return out;
}

boost::json::object run_json(FakeStore& store, std::optional<std::string_view> by,
                             std::size_t max_groups = QoeAggregates::kDefaultMaxGroups) {
  const auto query = parse_qoe_query("demo", "2026-04-28T00:00:00Z", "2026-04-28T03:00:00Z",
                                     "3600", by, 0);
  EXPECT_TRUE(query.ok());
  const auto report = QoeAggregates(store, QoeAggregates::kDefaultMaxRows, max_groups).run(query.value());
  EXPECT_TRUE(report.ok());
  return to_json(report.value()).as_object();
}

TEST(QoeAggregates, FiguresPerBucket) {
  FakeStore store;
  store.sessions = hours_of_sessions();
  const auto out = run_json(store, std::nullopt);
  EXPECT_EQ(store.asked_project, "demo");
  EXPECT_EQ(out.at("from"), "2026-04-28T00:00:00.000Z");
  EXPECT_EQ(out.at("bucket_s"), 3600);
  EXPECT_TRUE(out.at("by").is_null());
  EXPECT_EQ(out.at("truncated"), false);
  const auto& buckets = out.at("buckets").as_array();
  ASSERT_EQ(buckets.size(), 3u);  // the empty third hour is there too

  const auto& h0 = buckets[0].as_object();
  EXPECT_EQ(h0.at("start"), "2026-04-28T00:00:00.000Z");
  EXPECT_EQ(h0.at("sessions"), 10);
  EXPECT_EQ(h0.at("started"), 10);
  EXPECT_EQ(h0.at("watch_ms"), 600'000);
  EXPECT_EQ(h0.at("rebuffer_ms"), 3000);
  EXPECT_DOUBLE_EQ(h0.at("rebuffer_ratio").as_double(), 0.005);
  EXPECT_DOUBLE_EQ(h0.at("failure_rate").as_double(), 0.0);
  // Nearest rank over 100..1000: ranks 5, 9 and 10.
  EXPECT_DOUBLE_EQ(h0.at("startup_ms").at("p50").as_double(), 500);
  EXPECT_DOUBLE_EQ(h0.at("startup_ms").at("p90").as_double(), 900);
  EXPECT_DOUBLE_EQ(h0.at("startup_ms").at("p95").as_double(), 1000);
  EXPECT_FALSE(h0.contains("groups"));

  const auto& h1 = buckets[1].as_object();
  EXPECT_EQ(h1.at("start"), "2026-04-28T01:00:00.000Z");
  EXPECT_EQ(h1.at("sessions"), 4);
  EXPECT_EQ(h1.at("started"), 2);
  EXPECT_DOUBLE_EQ(h1.at("failure_rate").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(h1.at("exit_before_start_rate").as_double(), 0.25);
  EXPECT_DOUBLE_EQ(h1.at("rebuffer_ratio").as_double(), 0.0);
  EXPECT_DOUBLE_EQ(h1.at("startup_ms").at("p95").as_double(), 2000);

  const auto& h2 = buckets[2].as_object();
  EXPECT_EQ(h2.at("sessions"), 0);
  EXPECT_TRUE(h2.at("rebuffer_ratio").is_null());
  EXPECT_TRUE(h2.at("failure_rate").is_null());
  EXPECT_TRUE(h2.at("startup_ms").is_null());
}

TEST(QoeAggregates, BrokenDownByADimensionWithACap) {
  FakeStore store;
  store.sessions = hours_of_sessions();
  // Sizes: a 11, b 2, unknown 1. With one group, "a" keeps its figures, the rest is "other".
  const auto out = run_json(store, "content_id", 1);
  EXPECT_EQ(out.at("by"), "content_id");
  const auto& h1 = out.at("buckets").at(1).as_object();
  ASSERT_EQ(h1.at("groups").as_array().size(), 1u);
  const auto& a = h1.at("groups").at(0).as_object();
  EXPECT_EQ(a.at("value"), "a");
  EXPECT_EQ(a.at("sessions"), 1);
  EXPECT_DOUBLE_EQ(a.at("failure_rate").as_double(), 1.0);
  EXPECT_EQ(h1.at("other").at("sessions"), 3);
  EXPECT_TRUE(out.at("buckets").at(0).at("other").is_null());

  const auto all = run_json(store, "content_id");
  const auto& groups = all.at("buckets").at(1).at("groups").as_array();
  ASSERT_EQ(groups.size(), 3u);  // a, b, and sessions without a content id
  EXPECT_EQ(groups[0].at("value"), "a");
  EXPECT_EQ(groups[1].at("value"), "b");
  EXPECT_TRUE(groups[2].at("value").is_null());
  EXPECT_EQ(groups[1].at("sessions"), 2);
}

TEST(QoeAggregates, TruncatedAtTheRowCapAndStoreErrorsPassThrough) {
  FakeStore store;
  store.sessions = hours_of_sessions();
  const auto query = parse_qoe_query(std::nullopt, "2026-04-28T00:00:00Z", "2026-04-28T03:00:00Z",
                                     std::nullopt, std::nullopt, 0);
  ASSERT_TRUE(query.ok());
  const auto report = QoeAggregates(store, 5).run(query.value());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(store.asked_max_rows, 5u);
  EXPECT_TRUE(report.value().truncated);
  EXPECT_EQ(report.value().buckets[0].overall.sessions, 5);

  store.down = true;
  const auto failed = QoeAggregates(store).run(query.value());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, domain::ErrorCode::unavailable);
}

TEST(QoeAggregates, QueryParameters) {
  const Micros now = kFrom + 48 * kHour;
  auto q = parse_qoe_query(std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, now);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q.value().until, now);
  EXPECT_EQ(q.value().from, now - 24 * kHour);
  EXPECT_EQ(q.value().bucket_s, 3600);
  EXPECT_EQ(q.value().by, QoeDimension::none);

  const auto error = [now](std::optional<std::string_view> from, std::optional<std::string_view> until,
                           std::optional<std::string_view> bucket, std::optional<std::string_view> by) {
    auto r = parse_qoe_query(std::nullopt, from, until, bucket, by, now);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string{} : r.error().message;
  };
  EXPECT_EQ(error("yesterday", std::nullopt, std::nullopt, std::nullopt).rfind("from", 0), 0u);
  EXPECT_EQ(error(std::nullopt, "2026-13-01T00:00:00Z", std::nullopt, std::nullopt).rfind("until", 0), 0u);
  EXPECT_EQ(error("2026-04-29T00:00:00Z", "2026-04-28T00:00:00Z", std::nullopt, std::nullopt)
                .rfind("from", 0), 0u);
  EXPECT_EQ(error(std::nullopt, std::nullopt, "0", std::nullopt).rfind("bucket", 0), 0u);
  EXPECT_EQ(error(std::nullopt, std::nullopt, "1h", std::nullopt).rfind("bucket", 0), 0u);
  EXPECT_EQ(error(std::nullopt, std::nullopt, "60", std::nullopt).rfind("bucket", 0), 0u);  // 1440 buckets
  EXPECT_EQ(error(std::nullopt, std::nullopt, std::nullopt, "session_id").rfind("by", 0), 0u);
  EXPECT_TRUE(parse_qoe_query(std::nullopt, std::nullopt, std::nullopt, "87", "os_family", now).ok());
}

}  // namespace
}  // namespace mtrace::app
