// Reload checks between two snapshots of a live media playlist.
#include <gtest/gtest.h>

#include "analyzer/hls/live.h"

namespace mtrace::analyzer::hls {
namespace {

LiveSnapshot snapshot(std::uint64_t ms, std::initializer_list<const char*> uris, std::uint64_t ds = 0,
                      std::string type = "") {
  LiveSnapshot s;
  s.target_duration = 2;
  s.media_sequence = ms;
  s.discontinuity_sequence = ds;
  s.playlist_type = std::move(type);
  for (const char* u : uris) {
    bool disc = u[0] == '!';
    s.segments.push_back({disc ? u + 1 : u, 2.0, disc});
    s.total_duration += 2.0;
  }
  return s;
}

std::vector<std::string_view> codes(const std::vector<Finding>& f) {
  std::vector<std::string_view> out;
  for (const auto& x : f) out.push_back(x.code);
  return out;
}

TEST(Live, SlidingWindowThatAdvancesCorrectlyIsClean) {
  EXPECT_TRUE(compare_reloads(snapshot(10, {"a", "b", "c", "d"}), snapshot(11, {"b", "c", "d", "e"})).empty());
  EXPECT_TRUE(compare_reloads(snapshot(10, {"a", "b"}), snapshot(10, {"a", "b"})).empty());
}

TEST(Live, MediaSequenceMustGrowByTheSegmentsRemoved) {
  EXPECT_EQ(codes(compare_reloads(snapshot(10, {"a", "b", "c", "d"}), snapshot(10, {"b", "c", "d", "e"}))),
            std::vector<std::string_view>{"live_media_sequence_mismatch"});
  EXPECT_EQ(codes(compare_reloads(snapshot(10, {"a", "b"}), snapshot(9, {"a", "b"}))),
            std::vector<std::string_view>{"live_media_sequence_regressed"});
}

TEST(Live, DiscontinuitySequenceCountsRemovedDiscontinuities) {
  const auto before = snapshot(10, {"a", "!b", "c", "d"}, 3);
  EXPECT_TRUE(compare_reloads(before, snapshot(12, {"c", "d", "e", "f"}, 4)).empty());
  EXPECT_EQ(codes(compare_reloads(before, snapshot(12, {"c", "d", "e", "f"}, 3))),
            std::vector<std::string_view>{"live_discontinuity_sequence_mismatch"});
}

// A delta update (EXT-X-SKIP) leaves out its oldest segments: they are not removed, and what it
// lists is compared by sequence number with what the full reload listed.
TEST(Live, ADeltaUpdateIsComparedByTheSegmentsItLists) {
  auto full = snapshot(0, {"a", "!b", "c", "d", "e", "f"}, 0, "EVENT");
  auto delta = snapshot(0, {"e", "f", "g"}, 0, "EVENT");
  delta.skipped = 4;
  EXPECT_TRUE(compare_reloads(full, delta).empty()) << compare_reloads(full, delta)[0].message;
  auto shifted = snapshot(0, {"f", "g", "h"}, 0, "EVENT");
  shifted.skipped = 4;
  EXPECT_EQ(codes(compare_reloads(full, shifted)), std::vector<std::string_view>{"live_media_sequence_mismatch"});
  // A sliding window's delta: one segment removed, three skipped, the discontinuity it removed
  // unknown to a delta `before`, and a short listed tail that is no short window.
  auto window_delta = snapshot(11, {"e", "f", "g"}, 0);
  window_delta.skipped = 3;  // b, c, d
  EXPECT_TRUE(compare_reloads(snapshot(10, {"a", "!b", "c", "d", "e", "f"}, 0), window_delta).empty());
  auto next_delta = snapshot(12, {"f", "g", "h"}, 1);  // b and its discontinuity removed, unseen
  next_delta.skipped = 3;
  EXPECT_TRUE(compare_reloads(window_delta, next_delta).empty());
}

TEST(Live, WindowTypeAndTargetRules) {
  EXPECT_EQ(codes(compare_reloads(snapshot(10, {"a", "b", "c"}), snapshot(11, {"b", "c"}))),
            std::vector<std::string_view>{"live_window_too_short"});
  EXPECT_EQ(codes(compare_reloads(snapshot(0, {"a", "b", "c", "d"}, 0, "EVENT"), snapshot(1, {"b", "c", "d", "e"}, 0, "EVENT"))),
            std::vector<std::string_view>{"live_playlist_type_violated"});
  auto longer = snapshot(10, {"a", "b", "c", "d"});
  longer.target_duration = 4;
  EXPECT_EQ(codes(compare_reloads(snapshot(10, {"a", "b", "c", "d"}), longer)),
            std::vector<std::string_view>{"live_targetduration_changed"});
  auto changed = snapshot(10, {"a", "b", "c", "d"});
  changed.segments[1].duration = 1.0;
  EXPECT_EQ(codes(compare_reloads(snapshot(10, {"a", "b", "c", "d"}), changed)),
            std::vector<std::string_view>{"live_segment_changed"});
}

}  // namespace
}  // namespace mtrace::analyzer::hls
