#include "analyzer/finding.h"

namespace mtrace::analyzer {

std::string_view to_string(Level level) {
  switch (level) {
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "info";
}

void Findings::fold_overflow() {
  const std::size_t kept = items_.size();
  for (std::size_t i = 0; i < kept; ++i) {
    const auto code = items_[i].code;
    auto& count = counts_[code];
    if (count <= kMaxPerCode) continue;
    const Level level = items_[i].level;
    items_.push_back(Finding{code, level,
                             std::to_string(count - kMaxPerCode) + " more findings of " + std::string(code) +
                                 " are not listed.",
                             0, {}});
    count = kMaxPerCode;  // folded once
  }
}

std::optional<Level> level_from(std::string_view text) {
  if (text == "info") return Level::info;
  if (text == "warning") return Level::warning;
  if (text == "error") return Level::error;
  return std::nullopt;
}

}  // namespace mtrace::analyzer
