// Fuzz target: any bytes as an HLS playlist (with a base URL), through parsing, checks, the CMAF
// plan, the JSON result, and the live reload comparison against itself.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <string>

#include "analyzer/analyze.h"
#include "analyzer/hls/live.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtrace::analyzer;
  std::string body(reinterpret_cast<const char*>(data), size);
  if (body.rfind("#EXTM3U", 0) != 0) body.insert(0, "#EXTM3U\n");
  const auto analysis = analyze(std::move(body), InputInfo{"text", "", "https://cdn.example.test/a/b.m3u8"});
  (void)analysis.cmaf_plan();
  boost::system::error_code ec;
  (void)boost::json::parse(analysis.to_json(), ec);
  if (ec) __builtin_trap();  // the result must always be valid JSON
  if (const auto* media = analysis.media_playlist()) {
    const auto snapshot = hls::LiveSnapshot::of(*media);
    (void)hls::compare_reloads(snapshot, snapshot);
  }
  return 0;
}
