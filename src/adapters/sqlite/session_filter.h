// SessionFilter: the sessions the store may hold, so that looking up one it surely does not hold
// (a new viewer's first batch, which the ingest use case looks up before it creates the session)
// opens no read transaction. A read transaction costs an HTTP thread two file-lock system calls
// and re-reads of the index pages the writer changed since the connection's last read.
//
// A Bloom filter: it never answers "no" for a session it was given; it answers "maybe" for ~1 in
// 400 others while it holds half its capacity, and more often past it (each "maybe" costs the
// lookup the store would have done without it). Bits are only ever set, so an erased or pruned
// session stays "maybe". Thread-safe: add() and may_hold() on any thread, without locks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace mtrace::adapters::sqlite {

class SessionFilter {
 public:
  // Room for `capacity` sessions at ~1 in 400 false "maybe"s: 8 bits each, rounded up to a power
  // of two, at least 1 MiB (the store asks for twice what it holds: 32 MiB at 10 million).
  explicit SessionFilter(std::uint64_t capacity);

  void add(std::string_view project_id, std::string_view session_id);
  // False only for a session never added, and only once mark_complete() was called: until then
  // the sessions stored before the store opened are still being added, and every answer is true.
  bool may_hold(std::string_view project_id, std::string_view session_id) const;
  void mark_complete();
  bool complete() const { return complete_.load(std::memory_order_acquire); }

 private:
  static constexpr int kProbes = 4;
  struct Probes {
    std::uint64_t first;
    std::uint64_t step;
  };
  static Probes probes_of(std::string_view project_id, std::string_view session_id);

  std::uint64_t bit_mask_ = 0;  // bits - 1; bits is a power of two
  std::unique_ptr<std::atomic<std::uint64_t>[]> words_;
  std::atomic<bool> complete_{false};
};

}  // namespace mtrace::adapters::sqlite
