// QoE aggregates over the sessions started in a time range (GET /api/qoe): per time bucket,
// startup percentiles, rebuffer ratio, failure and exit-before-start rates, sessions and watch
// time, optionally broken down by one session dimension. Shape: docs/openapi-qoe.yaml.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/result.h"
#include "ports/event_store.h"

namespace mtrace::app {

enum class QoeDimension : std::uint8_t { none, content_id, player_name, browser_family, os_family };

struct QoeQuery {
  std::optional<std::string> project_id;  // nullopt: every project (admin token)
  domain::Micros from = 0;                // started_at >= from
  domain::Micros until = 0;               // started_at < until
  std::int64_t bucket_s = 3600;
  QoeDimension by = QoeDimension::none;
};

// Builds a query from the raw query-string values (each nullopt when absent): `from` and `until`
// RFC 3339 (defaults: until = now, from = until − 24 h), `bucket` whole seconds (default 3600),
// `by` one of content_id, player_name, browser_family, os_family. Errors (invalid_argument) say
// which parameter is wrong, including a range holding more than kMaxQoeBuckets buckets.
inline constexpr std::int64_t kMaxQoeBuckets = 1000;
domain::Result<QoeQuery> parse_qoe_query(std::optional<std::string> project_id,
                                         std::optional<std::string_view> from,
                                         std::optional<std::string_view> until,
                                         std::optional<std::string_view> bucket,
                                         std::optional<std::string_view> by, domain::Micros now);

struct QoeFigures {
  std::int64_t sessions = 0;
  std::int64_t started = 0;              // sessions with a first frame
  std::int64_t failed = 0;               // fatal playback error
  std::int64_t exited_before_start = 0;  // ended before the first frame without a fatal error
  std::int64_t watch_ms = 0;
  std::int64_t rebuffer_ms = 0;
  std::vector<std::int64_t> startup_samples_ms;  // sorted once the bucket is complete
  double startup_score_sum = 0;
  std::int64_t startup_scores = 0;
  double smoothness_score_sum = 0;
  std::int64_t smoothness_scores = 0;

  void add(const domain::Qoe& qoe);
};

struct QoeGroup {
  std::optional<std::string> value;  // nullopt: sessions without this dimension
  QoeFigures figures;
};

struct QoeBucket {
  domain::Micros start = 0;
  QoeFigures overall;
  std::vector<QoeGroup> groups;        // the largest groups of the whole range, same order
  std::optional<QoeFigures> other;     // every session of the smaller groups
};

struct QoeReport {
  QoeQuery query;
  bool truncated = false;  // the range held more sessions than the row cap; figures cover the first
  std::vector<QoeBucket> buckets;
};

class QoeAggregates {
 public:
  static constexpr std::size_t kDefaultMaxRows = 200'000;
  static constexpr std::size_t kDefaultMaxGroups = 20;

  // `store` must outlive this object.
  explicit QoeAggregates(ports::EventStore& store, std::size_t max_rows = kDefaultMaxRows,
                         std::size_t max_groups = kDefaultMaxGroups);

  // Reads the sessions and aggregates them. Errors: the store's (unavailable → 503).
  domain::Result<QoeReport> run(const QoeQuery& query) const;

 private:
  ports::EventStore& store_;
  std::size_t max_rows_;
  std::size_t max_groups_;
};

std::string_view to_string(QoeDimension dimension);  // "" for none
boost::json::value to_json(const QoeReport& report);

}  // namespace mtrace::app
