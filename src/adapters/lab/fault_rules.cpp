#include "adapters/lab/fault_rules.h"

#include <fnmatch.h>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>

#include "domain/json_writer.h"

namespace mtrace::adapters::lab {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxPatternLength = 256;
constexpr std::int64_t kMaxCount = 1'000'000;

domain::Error invalid(std::string message) {
  return domain::Error{domain::ErrorCode::invalid_argument, std::move(message)};
}

std::optional<std::int64_t> integer_of(const json::value& value) {
  if (value.is_int64()) return value.as_int64();
  if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value.as_uint64());
  }
  return std::nullopt;
}

}  // namespace

domain::Result<FaultRule> parse_fault_rule(std::string_view text) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return invalid("the body must be a JSON object");
  FaultRule rule;
  bool has_pattern = false;
  for (const auto& [key, value] : parsed.as_object()) {
    if (key == "segment_pattern") {
      if (!value.is_string() || value.as_string().empty() || value.as_string().size() > kMaxPatternLength) {
        return invalid("segment_pattern must be a non-empty string of at most 256 characters");
      }
      rule.segment_pattern = std::string(value.as_string());
      has_pattern = true;
    } else if (key == "delay_ms") {
      const auto delay = integer_of(value);
      if (!delay || *delay < 0 || *delay > kMaxDelayMs) return invalid("delay_ms must be an integer in 0..60000");
      rule.delay_ms = static_cast<int>(*delay);
    } else if (key == "status") {
      const auto status = integer_of(value);
      if (!status || *status < 400 || *status > 599) return invalid("status must be an integer in 400..599");
      rule.status = static_cast<int>(*status);
    } else if (key == "count") {
      const auto count = integer_of(value);
      if (!count || *count < 1 || *count > kMaxCount) return invalid("count must be an integer in 1..1000000");
      rule.remaining = *count;
    } else {
      return invalid("unknown field " + std::string(key));
    }
  }
  if (!has_pattern) return invalid("segment_pattern is required");
  if (rule.delay_ms == 0 && rule.status == 0) return invalid("a rule needs delay_ms or status");
  return rule;
}

domain::Status FaultRules::add(FaultRule rule) {
  std::lock_guard lock(mutex_);
  if (rules_.size() >= kMaxFaultRules) return invalid("at most 32 fault rules; DELETE /lab/faults first");
  rules_.push_back(std::move(rule));
  return domain::Ok{};
}

void FaultRules::clear() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

std::optional<FaultAction> FaultRules::take(std::string_view path) {
  const std::string subject(path);
  std::lock_guard lock(mutex_);
  for (auto rule = rules_.begin(); rule != rules_.end(); ++rule) {
    if (fnmatch(rule->segment_pattern.c_str(), subject.c_str(), 0) != 0) continue;
    FaultAction action{rule->delay_ms, rule->status};
    if (rule->remaining > 0 && --rule->remaining == 0) rules_.erase(rule);
    return action;
  }
  return std::nullopt;
}

std::string FaultRules::to_json() const {
  json::array rules;
  std::lock_guard lock(mutex_);
  for (const auto& rule : rules_) {
    json::object entry{{"segment_pattern", rule.segment_pattern}, {"delay_ms", rule.delay_ms}};
    if (rule.status != 0) entry["status"] = rule.status;
    if (rule.remaining > 0) entry["remaining"] = rule.remaining;
    rules.push_back(std::move(entry));
  }
  return domain::to_json_text(json::object{{"rules", std::move(rules)}});
}

}  // namespace mtrace::adapters::lab
