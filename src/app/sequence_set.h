// SequenceSet: the sequence numbers seen for one session, as disjoint closed ranges, so that the
// usual 1, 2, 3, … costs one range however long the session plays. Bounded: past kMaxRanges
// ranges (a client that skips every other number) the lowest range is forgotten, so a number
// that old sent again is no longer taken for a duplicate.
#pragma once

#include <cstdint>
#include <map>

namespace mtrace::app {

class SequenceSet {
 public:
  static constexpr std::size_t kMaxRanges = 256;

  // Adds `n`; returns false when it was already there. Not thread-safe.
  bool insert(std::int64_t n) {
    if (!add(n)) return false;
    if (ranges_.size() > kMaxRanges) ranges_.erase(ranges_.begin());
    return true;
  }
  std::size_t range_count() const { return ranges_.size(); }

 private:
  bool add(std::int64_t n) {
    auto next = ranges_.upper_bound(n);  // first range starting after n
    if (next != ranges_.begin()) {
      auto prev = std::prev(next);
      if (n <= prev->second) return false;
      if (prev->second + 1 == n) {
        prev->second = n;
        if (next != ranges_.end() && next->first == n + 1) {
          prev->second = next->second;
          ranges_.erase(next);
        }
        return true;
      }
    }
    if (next != ranges_.end() && next->first == n + 1) {
      const auto last = next->second;
      ranges_.erase(next);
      ranges_.emplace(n, last);
      return true;
    }
    ranges_.emplace(n, n);
    return true;
  }

  std::map<std::int64_t, std::int64_t> ranges_;  // first -> last
};

}  // namespace mtrace::app
