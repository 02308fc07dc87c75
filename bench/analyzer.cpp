// Analyzer benchmark: parse and check a 10,000- and a 100,000-segment media playlist and an MPD of
// 200 Periods, beside a ceiling measured in the same run on the same bytes (splitting them into
// trimmed lines, the least any playlist parser must do). Target (SPEC §6): <= 1 ms in-process at
// 10,000 segments. `bench_analyzer --write DIR` writes the inputs for bench/analyzer_cli.sh.
#include <benchmark/benchmark.h>

#include <cstring>
#include <fstream>
#include <string>

#include "analyzer/analyze.h"

namespace {

using mtrace::analyzer::analyze;
using mtrace::analyzer::InputInfo;

std::string media_playlist(int segments) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-PLAYLIST-TYPE:VOD\n";
  out.reserve(static_cast<std::size_t>(segments) * 40);
  char line[64];
  for (int i = 0; i < segments; ++i) {
    std::snprintf(line, sizeof line, "#EXTINF:5.997,\nsegment_%06d.ts\n", i);
    out += line;
  }
  return out + "#EXT-X-ENDLIST\n";
}

std::string mpd(int periods) {
  std::string out =
      "<?xml version=\"1.0\"?>\n<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" type=\"static\" "
      "mediaPresentationDuration=\"PT" + std::to_string(periods * 30) + "S\" minBufferTime=\"PT2S\">\n";
  for (int p = 0; p < periods; ++p) {
    out += "<Period id=\"p" + std::to_string(p) + "\" duration=\"PT30S\">\n"
           "<AdaptationSet id=\"0\" mimeType=\"video/mp4\" codecs=\"avc1.64001f\">\n"
           "<SegmentTemplate timescale=\"90000\" initialization=\"p" + std::to_string(p) +
           "/$RepresentationID$/init.mp4\" media=\"p" + std::to_string(p) +
           "/$RepresentationID$/$Time$.m4s\"><SegmentTimeline><S t=\"0\" d=\"180000\" r=\"14\"/></SegmentTimeline></SegmentTemplate>\n"
           "<Representation id=\"v1\" bandwidth=\"800000\" width=\"640\" height=\"360\"/>\n"
           "<Representation id=\"v2\" bandwidth=\"2400000\" width=\"1280\" height=\"720\"/>\n"
           "</AdaptationSet>\n<AdaptationSet id=\"1\" mimeType=\"audio/mp4\" codecs=\"mp4a.40.2\" lang=\"en\">\n"
           "<SegmentTemplate timescale=\"48000\" initialization=\"p" + std::to_string(p) +
           "/a/init.mp4\" media=\"p" + std::to_string(p) + "/a/$Number$.m4s\" duration=\"96000\"/>\n"
           "<Representation id=\"a1\" bandwidth=\"128000\" audioSamplingRate=\"48000\"/>\n"
           "</AdaptationSet>\n</Period>\n";
  }
  return out + "</MPD>\n";
}

// The ceiling: split into lines and trim them, counting non-empty lines.
std::size_t split_lines(const std::string& text) {
  std::size_t count = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = nl ? nl : end;
    const char* a = p;
    const char* b = line_end;
    while (a < b && (*a == ' ' || *a == '\t')) ++a;
    while (b > a && (b[-1] == '\r' || b[-1] == ' ' || b[-1] == '\t')) --b;
    count += a < b;
    p = line_end + 1;
  }
  return count;
}

const InputInfo kInput{"text", "", "https://cdn.example.test/vod/index.m3u8"};

void BM_Ceiling_SplitLines(benchmark::State& state) {
  const auto text = state.range(0) < 0 ? mpd(200) : media_playlist(static_cast<int>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(split_lines(text));
  state.SetLabel("ceiling: split the same bytes into lines");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_ParseAndCheck(benchmark::State& state) {
  const auto text = state.range(0) < 0 ? mpd(200) : media_playlist(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto a = analyze(text, kInput);
    benchmark::DoNotOptimize(a.findings().size());
  }
  state.SetLabel(state.range(0) == 10'000 ? "target <= 1 ms (SPEC 6)" : "");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}

void BM_ResultJson(benchmark::State& state) {
  const auto text = state.range(0) < 0 ? mpd(200) : media_playlist(static_cast<int>(state.range(0)));
  const auto a = analyze(text, kInput);
  for (auto _ : state) benchmark::DoNotOptimize(a.to_json().size());
  state.SetLabel("serialising the result (not part of parse and check)");
}

// -1: the MPD of 200 Periods.
BENCHMARK(BM_Ceiling_SplitLines)->Arg(10'000)->Arg(100'000)->Arg(-1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseAndCheck)->Arg(10'000)->Arg(100'000)->Arg(-1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ResultJson)->Arg(10'000)->Arg(-1)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--write") {
    const std::string dir = argv[2];
    std::ofstream(dir + "/media-10000.m3u8") << media_playlist(10'000);
    std::ofstream(dir + "/media-100000.m3u8") << media_playlist(100'000);
    std::ofstream(dir + "/mpd-200-periods.mpd") << mpd(200);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
