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

std::optional<Level> level_from(std::string_view text) {
  if (text == "info") return Level::info;
  if (text == "warning") return Level::warning;
  if (text == "error") return Level::error;
  return std::nullopt;
}

}  // namespace mtrace::analyzer
