// Findings: what the analyzer reports about a manifest. Each finding has a stable code with a fixed
// severity (the catalog in finding_catalog.h), an English message, and a location: a 1-based line
// (HLS) or an XML path (DASH).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mtrace::analyzer {

enum class Level : std::uint8_t { info, warning, error };

std::string_view to_string(Level level);
std::optional<Level> level_from(std::string_view text);  // "info" | "warning" | "error"

// A finding code and its severity; the constants live in finding_catalog.h.
struct FindingKind {
  std::string_view code;
  Level level;
};

struct Finding {
  std::string_view code;  // points into the static catalog
  Level level = Level::info;
  std::string message;
  std::size_t line = 0;  // 1-based line of the manifest; 0: not tied to a line
  std::string path;      // XML path (DASH); empty for HLS
};

// The findings of one analysis. Each code keeps its first kMaxPerCode findings, however many are
// added (a hostile playlist can break a rule on every line: memory stays bounded); fold_overflow()
// then says, for each code past it, how many more there were.
class Findings {
 public:
  static constexpr std::size_t kMaxPerCode = 100;

  void add(const FindingKind& kind, std::string message, std::size_t line = 0) {
    if (admit(kind.code)) items_.push_back(Finding{kind.code, kind.level, std::move(message), line, {}});
  }
  void add_at(const FindingKind& kind, std::string message, std::string path) {
    if (admit(kind.code)) items_.push_back(Finding{kind.code, kind.level, std::move(message), 0, std::move(path)});
  }
  // Adds one finding per code that had more than kMaxPerCode, after the others, in the order the
  // codes first appeared. Call once, when no more findings come.
  void fold_overflow();

  const std::vector<Finding>& items() const { return items_; }
  std::vector<Finding>& items() { return items_; }

 private:
  bool admit(std::string_view code) { return ++counts_[code] <= kMaxPerCode; }

  std::vector<Finding> items_;
  std::unordered_map<std::string_view, std::size_t> counts_;  // added, kept or not
};

}  // namespace mtrace::analyzer
