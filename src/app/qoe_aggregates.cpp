#include "app/qoe_aggregates.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <cmath>
#include <map>

namespace mtrace::app {

namespace {

namespace json = boost::json;
using domain::Error;
using domain::ErrorCode;
using domain::Micros;
using domain::kMicrosPerSecond;

constexpr Micros kDefaultRange = 24 * 3600 * kMicrosPerSecond;

Error invalid(std::string_view parameter, std::string_view why) {
  return Error{ErrorCode::invalid_argument, std::string{parameter} + ": " + std::string{why}};
}

const std::string& dimension_value(const domain::Session& session, QoeDimension by) {
  const auto& d = session.dimensions;
  switch (by) {
    case QoeDimension::content_id:
      return d.content_id;
    case QoeDimension::player_name:
      return d.player_name;
    case QoeDimension::browser_family:
      return d.browser_family;
    case QoeDimension::os_family:
    case QoeDimension::none:
      break;
  }
  return d.os_family;
}

// Nearest-rank percentile of sorted samples.
double percentile(const std::vector<std::int64_t>& sorted, double p) {
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return static_cast<double>(sorted[std::max<std::size_t>(rank, 1) - 1]);
}

json::value ratio(std::int64_t part, std::int64_t whole) {
  if (whole == 0) return nullptr;
  return static_cast<double>(part) / static_cast<double>(whole);
}

json::value mean(double sum, std::int64_t n) {
  if (n == 0) return nullptr;
  return sum / static_cast<double>(n);
}

json::object figures_json(const QoeFigures& f) {
  json::value startup = nullptr;
  if (!f.startup_samples_ms.empty()) {
    startup = json::object{{"p50", percentile(f.startup_samples_ms, 50)},
                           {"p90", percentile(f.startup_samples_ms, 90)},
                           {"p95", percentile(f.startup_samples_ms, 95)}};
  }
  return json::object{{"sessions", f.sessions},
                      {"started", f.started},
                      {"watch_ms", f.watch_ms},
                      {"rebuffer_ms", f.rebuffer_ms},
                      {"rebuffer_ratio", ratio(f.rebuffer_ms, f.watch_ms)},
                      {"failure_rate", ratio(f.failed, f.sessions)},
                      {"exit_before_start_rate", ratio(f.exited_before_start, f.sessions)},
                      {"startup_ms", std::move(startup)},
                      {"startup_score_avg", mean(f.startup_score_sum, f.startup_scores)},
                      {"smoothness_score_avg", mean(f.smoothness_score_sum, f.smoothness_scores)}};
}

void finish(QoeFigures& f) { std::sort(f.startup_samples_ms.begin(), f.startup_samples_ms.end()); }

}  // namespace

std::string_view to_string(QoeDimension dimension) {
  switch (dimension) {
    case QoeDimension::content_id:
      return "content_id";
    case QoeDimension::player_name:
      return "player_name";
    case QoeDimension::browser_family:
      return "browser_family";
    case QoeDimension::os_family:
      return "os_family";
    case QoeDimension::none:
      break;
  }
  return "";
}

domain::Result<QoeQuery> parse_qoe_query(std::optional<std::string> project_id,
                                         std::optional<std::string_view> from,
                                         std::optional<std::string_view> until,
                                         std::optional<std::string_view> bucket,
                                         std::optional<std::string_view> by, Micros now) {
  QoeQuery query;
  query.project_id = std::move(project_id);
  query.until = now;
  if (until) {
    const auto parsed = domain::parse_rfc3339(*until);
    if (!parsed) return invalid("until", "expected an RFC 3339 date-time");
    query.until = *parsed;
  }
  query.from = query.until - kDefaultRange;
  if (from) {
    const auto parsed = domain::parse_rfc3339(*from);
    if (!parsed) return invalid("from", "expected an RFC 3339 date-time");
    query.from = *parsed;
  }
  if (query.from >= query.until) return invalid("from", "must be before until");
  if (bucket) {
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(bucket->data(), bucket->data() + bucket->size(), seconds);
    if (ec != std::errc{} || end != bucket->data() + bucket->size() || seconds <= 0 ||
        seconds > 366 * 24 * 3600) {
      return invalid("bucket", "expected whole seconds, 1 to 31622400");
    }
    query.bucket_s = seconds;
  }
  const Micros width = query.until - query.from;
  if ((width + query.bucket_s * kMicrosPerSecond - 1) / (query.bucket_s * kMicrosPerSecond) >
      kMaxQoeBuckets) {
    return invalid("bucket", "the range holds more than 1000 buckets");
  }
  if (by) {
    bool known = false;
    for (const auto d : {QoeDimension::content_id, QoeDimension::player_name,
                         QoeDimension::browser_family, QoeDimension::os_family}) {
      if (*by == to_string(d)) {
        query.by = d;
        known = true;
      }
    }
    if (!known) return invalid("by", "one of content_id, player_name, browser_family, os_family");
  }
  return query;
}

void QoeFigures::add(const domain::Qoe& qoe) {
  ++sessions;
  started += qoe.started ? 1 : 0;
  failed += qoe.failed ? 1 : 0;
  exited_before_start += qoe.exited_before_start && !qoe.failed_before_start ? 1 : 0;
  watch_ms += std::max<std::int64_t>(qoe.watch_ms, 0);
  rebuffer_ms += std::max<std::int64_t>(qoe.rebuffer_ms, 0);
  if (qoe.startup_ms && *qoe.startup_ms >= 0) startup_samples_ms.push_back(*qoe.startup_ms);
  if (qoe.startup_score) {
    startup_score_sum += *qoe.startup_score;
    ++startup_scores;
  }
  if (qoe.smoothness_score) {
    smoothness_score_sum += *qoe.smoothness_score;
    ++smoothness_scores;
  }
}

QoeAggregates::QoeAggregates(ports::EventStore& store, std::size_t max_rows,
                             std::size_t max_groups)
    : store_(store), max_rows_(max_rows), max_groups_(max_groups) {}

domain::Result<QoeReport> QoeAggregates::run(const QoeQuery& query) const {
  auto rows = store_.sessions_started_between(query.project_id, query.from, query.until, max_rows_);
  if (!rows) return rows.error();
  const auto& sessions = rows.value();

  QoeReport report;
  report.query = query;
  report.truncated = sessions.size() >= max_rows_;
  const Micros width = query.bucket_s * kMicrosPerSecond;
  const auto count = static_cast<std::size_t>((query.until - query.from + width - 1) / width);
  report.buckets.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    report.buckets[i].start = query.from + static_cast<Micros>(i) * width;
  }

  // The largest groups over the whole range keep their own figures; the rest share "other".
  std::map<std::string_view, std::size_t> group_index;
  if (query.by != QoeDimension::none) {
    std::map<std::string_view, std::int64_t> sizes;
    for (const auto& s : sessions) ++sizes[dimension_value(s, query.by)];
    std::vector<std::pair<std::string_view, std::int64_t>> ranked(sizes.begin(), sizes.end());
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    ranked.resize(std::min(ranked.size(), max_groups_));
    for (std::size_t i = 0; i < ranked.size(); ++i) group_index[ranked[i].first] = i;
    for (auto& bucket : report.buckets) {
      for (const auto& [value, _] : ranked) {
        QoeGroup group;
        if (!value.empty()) group.value = std::string{value};
        bucket.groups.push_back(std::move(group));
      }
    }
  }

  for (const auto& session : sessions) {
    if (session.started_at < query.from || session.started_at >= query.until) continue;
    auto& bucket = report.buckets[static_cast<std::size_t>((session.started_at - query.from) / width)];
    bucket.overall.add(session.qoe);
    if (query.by == QoeDimension::none) continue;
    const auto it = group_index.find(dimension_value(session, query.by));
    if (it != group_index.end()) {
      bucket.groups[it->second].figures.add(session.qoe);
    } else {
      if (!bucket.other) bucket.other.emplace();
      bucket.other->add(session.qoe);
    }
  }
  for (auto& bucket : report.buckets) {
    finish(bucket.overall);
    for (auto& group : bucket.groups) finish(group.figures);
    if (bucket.other) finish(*bucket.other);
  }
  return report;
}

json::value to_json(const QoeReport& report) {
  json::array buckets;
  buckets.reserve(report.buckets.size());
  for (const auto& bucket : report.buckets) {
    json::object b = figures_json(bucket.overall);
    b["start"] = domain::format_rfc3339_millis(bucket.start);
    if (report.query.by != QoeDimension::none) {
      json::array groups;
      for (const auto& group : bucket.groups) {
        json::object g = figures_json(group.figures);
        g["value"] = group.value ? json::value(*group.value) : json::value(nullptr);
        groups.push_back(std::move(g));
      }
      b["groups"] = std::move(groups);
      b["other"] = bucket.other ? json::value(figures_json(*bucket.other)) : json::value(nullptr);
    }
    buckets.push_back(std::move(b));
  }
  const auto by = to_string(report.query.by);
  return json::object{{"from", domain::format_rfc3339_millis(report.query.from)},
                      {"until", domain::format_rfc3339_millis(report.query.until)},
                      {"bucket_s", report.query.bucket_s},
                      {"by", by.empty() ? json::value(nullptr) : json::value(by)},
                      {"truncated", report.truncated},
                      {"buckets", std::move(buckets)}};
}

}  // namespace mtrace::app
