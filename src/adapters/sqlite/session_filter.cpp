#include "adapters/sqlite/session_filter.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace mtrace::adapters::sqlite {
namespace {

constexpr std::uint64_t kMinBits = std::uint64_t{1} << 23;  // 1 MiB

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

SessionFilter::SessionFilter(std::uint64_t capacity) {
  const std::uint64_t bits = std::bit_ceil(std::max(kMinBits, capacity * 8));
  bit_mask_ = bits - 1;
  words_ = std::make_unique<std::atomic<std::uint64_t>[]>(bits / 64);  // zeroed
}

SessionFilter::Probes SessionFilter::probes_of(std::string_view project_id, std::string_view session_id) {
  const std::hash<std::string_view> hash;
  const std::uint64_t h = mix(hash(session_id) ^ mix(hash(project_id) + 0x9E3779B97F4A7C15ull));
  return {h, mix(h) | 1};  // double hashing: probe i at first + i * step
}

void SessionFilter::add(std::string_view project_id, std::string_view session_id) {
  auto [bit, step] = probes_of(project_id, session_id);
  for (int i = 0; i < kProbes; ++i, bit += step) {
    const std::uint64_t at = bit & bit_mask_;
    words_[at / 64].fetch_or(std::uint64_t{1} << (at % 64), std::memory_order_relaxed);
  }
}

bool SessionFilter::may_hold(std::string_view project_id, std::string_view session_id) const {
  if (!complete()) return true;
  auto [bit, step] = probes_of(project_id, session_id);
  for (int i = 0; i < kProbes; ++i, bit += step) {
    const std::uint64_t at = bit & bit_mask_;
    if ((words_[at / 64].load(std::memory_order_relaxed) & (std::uint64_t{1} << (at % 64))) == 0) return false;
  }
  return true;
}

void SessionFilter::mark_complete() { complete_.store(true, std::memory_order_release); }

}  // namespace mtrace::adapters::sqlite
