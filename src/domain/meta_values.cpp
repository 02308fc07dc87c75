#include "domain/meta_values.h"

#include <cmath>

namespace mtrace::domain {

std::optional<double> meta_number(const boost::json::object& meta, std::string_view key, double max) {
  const auto* value = meta.if_contains(key);
  if (value == nullptr) return std::nullopt;
  double x = 0;
  if (const auto* d = value->if_double()) {
    x = *d;
  } else if (const auto* i = value->if_int64()) {
    x = static_cast<double>(*i);
  } else if (const auto* u = value->if_uint64()) {
    x = static_cast<double>(*u);
  } else {
    return std::nullopt;
  }
  if (!std::isfinite(x) || x < 0 || x > max) return std::nullopt;
  return x;
}

}  // namespace mtrace::domain
