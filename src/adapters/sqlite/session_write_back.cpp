#include "adapters/sqlite/session_write_back.h"

#include <algorithm>
#include <unordered_map>

namespace mtrace::adapters::sqlite {
namespace {

// Rows written back by one transaction at most: bounds the pause a large backlog (after a burst,
// or an idle writer) adds to the batches of that transaction.
constexpr std::size_t kMaxSlice = 256;

}  // namespace

void SessionWriteBack::stage_deferred(std::int64_t key, Aggregates values, std::int64_t first_chunk) {
  staged_.push_back({Staged::Kind::deferred, key, std::move(values), first_chunk});
}

void SessionWriteBack::stage_written(std::int64_t key, const Aggregates& values) {
  staged_.push_back({Staged::Kind::written, key, values, 0});
}

void SessionWriteBack::stage_erased(std::int64_t key) {
  staged_.push_back({Staged::Kind::erased, key, {}, 0});
}

void SessionWriteBack::discard() { staged_.clear(); }

void SessionWriteBack::mark_written(std::int64_t key, Entry& entry) {
  if (!entry.behind) return;
  behind_.erase({entry.first_chunk, key});
  entry.behind = false;
  written_.push_back(key);
}

void SessionWriteBack::publish() {
  std::lock_guard lock(mutex_);
  for (Staged& record : staged_) {
    switch (record.kind) {
      case Staged::Kind::deferred: {
        Entry& entry = entries_[record.key];
        entry.values = std::move(record.values);
        if (!entry.behind) {
          entry.behind = true;
          entry.first_chunk = record.first_chunk;
          behind_.insert({entry.first_chunk, record.key});
        }
        break;
      }
      case Staged::Kind::written: {
        const auto found = entries_.find(record.key);
        if (found == entries_.end()) break;
        found->second.values = std::move(record.values);
        mark_written(record.key, found->second);
        break;
      }
      case Staged::Kind::erased: {
        const auto found = entries_.find(record.key);
        if (found == entries_.end()) break;
        // The key may be given to a new session: its entry goes at once. A reader still holding
        // the erased row then shows its last written aggregates, which are only a little stale.
        if (found->second.behind) behind_.erase({found->second.first_chunk, record.key});
        entries_.erase(found);
        break;
      }
    }
  }
  staged_.clear();
}

std::vector<SessionWriteBack::Row> SessionWriteBack::next_slice(
    std::chrono::steady_clock::time_point now) {
  std::vector<Row> slice;
  if (behind_.empty()) {
    last_slice_ = now;
    slice_budget_ = 0;
    return slice;
  }
  // Each transaction writes back the share of the rows behind that the time since the last one
  // is of `interval`; fractions carry over, so slow and fast transaction rates both keep pace.
  const double elapsed = last_slice_ ? std::chrono::duration<double>(now - *last_slice_).count()
                                     : std::chrono::duration<double>(interval_).count();
  last_slice_ = now;
  slice_budget_ += static_cast<double>(behind_.size()) * elapsed /
                   std::chrono::duration<double>(interval_).count();
  const auto wanted = std::min<std::size_t>(kMaxSlice, static_cast<std::size_t>(slice_budget_));
  slice_budget_ = std::min(slice_budget_ - static_cast<double>(wanted), static_cast<double>(kMaxSlice));
  if (wanted == 0) return slice;
  auto it = entries_.lower_bound(slice_cursor_);
  for (std::size_t visited = 0; slice.size() < wanted && visited < entries_.size(); ++visited) {
    if (it == entries_.end()) it = entries_.begin();
    if (it->second.behind) slice.emplace_back(it->first, it->second.values);
    ++it;
  }
  slice_cursor_ = it == entries_.end() ? 0 : it->first;
  return slice;
}

std::vector<SessionWriteBack::Row> SessionWriteBack::all_behind() const {
  std::vector<Row> rows;
  rows.reserve(behind_.size());
  for (const auto& [key, entry] : entries_) {
    if (entry.behind) rows.emplace_back(key, entry.values);
  }
  return rows;
}

std::optional<std::int64_t> SessionWriteBack::recount_from() const {
  // The rows the staged records change: the first chunk they will be missing, if still behind.
  std::unordered_map<std::int64_t, std::optional<std::int64_t>> changed;
  for (const Staged& record : staged_) {
    if (record.kind != Staged::Kind::deferred) {
      changed[record.key] = std::nullopt;
      continue;
    }
    const auto [row, added] = changed.try_emplace(record.key);
    if (added) {
      const auto entry = entries_.find(record.key);
      row->second = entry != entries_.end() && entry->second.behind ? entry->second.first_chunk
                                                                    : record.first_chunk;
    } else if (!row->second) {
      row->second = record.first_chunk;
    }
  }
  std::optional<std::int64_t> from;
  for (const auto& [first_chunk, key] : behind_) {
    if (!changed.contains(key)) {
      from = first_chunk;
      break;
    }
  }
  for (const auto& [key, first_chunk] : changed) {
    if (first_chunk && (!from || *first_chunk < *from)) from = first_chunk;
  }
  return from;
}

void SessionWriteBack::forget_written() {
  if (written_.empty()) return;
  std::unique_lock gate(forget_gate_, std::try_to_lock);
  if (!gate.owns_lock()) return;
  std::lock_guard lock(mutex_);
  for (const std::int64_t key : written_) {
    const auto found = entries_.find(key);
    if (found != entries_.end() && !found->second.behind) entries_.erase(found);
  }
  written_.clear();
}

void SessionWriteBack::overlay(std::int64_t key, domain::Session& session) const {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find(key);
  if (found == entries_.end()) return;
  const Aggregates& values = found->second.values;
  session.event_count = values.event_count;
  session.last_event_at = values.last_event_at;
  session.qoe = values.qoe;
}

}  // namespace mtrace::adapters::sqlite
