// Fuzz target: any bytes as a DASH MPD, through pugixml, inheritance, templates, timelines, the
// CMAF plan and the JSON result.
#include <boost/json/parse.hpp>
#include <cstdint>
#include <string>

#include "analyzer/analyze.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mtrace::analyzer;
  std::string body(reinterpret_cast<const char*>(data), size);
  if (body.find("MPD") == std::string::npos) body.insert(0, "<MPD>");
  const auto analysis = analyze(std::move(body), InputInfo{"text", "", "https://cdn.example.test/dash/m.mpd"});
  (void)analysis.cmaf_plan();
  boost::system::error_code ec;
  (void)boost::json::parse(analysis.to_json(), ec);
  if (ec) __builtin_trap();  // the result must always be valid JSON
  return 0;
}
