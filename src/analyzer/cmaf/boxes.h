// ISO-BMFF box reading (ISO/IEC 14496-12) and the CMAF checks (ISO/IEC 23000-19) of an init segment
// and a media segment. Reads only within the given bytes; never trusts a size field.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mtrace::analyzer::cmaf {

struct Box {
  std::string type;       // four printable characters
  std::string path;       // "moof/traf/tfdt"
  std::uint64_t offset = 0;  // absolute, from the start of the segment
  std::uint64_t size = 0;
  std::uint64_t header_size = 0;
};

struct BoxProblem {
  std::string code;  // "invalid_box_structure" | "cmaf_box_validation_failed"
  std::string message;
  std::string box_path;
};

struct SegmentVerdict {
  std::vector<Box> boxes;             // top level, then the children read for the checks
  std::vector<BoxProblem> problems;   // empty: the segment passed
  std::vector<std::string> brands;    // major brand first, then the compatible brands
  bool passed() const { return problems.empty(); }
};

// Reads the boxes of `bytes` (one level). Stops at the first malformed box and reports it.
std::vector<Box> read_boxes(std::span<const std::uint8_t> bytes, std::uint64_t base_offset,
                            const std::string& parent_path, std::vector<BoxProblem>& problems);

// CMAF header: ftyp with brand cmfc or cmf2 (major or compatible), and moov with mvex.
SegmentVerdict verify_init(std::span<const std::uint8_t> bytes);
// CMAF fragment(s): moof with traf and tfdt, then mdat. A styp, when present, must carry a CMAF
// brand (cmfs, cmff, cmfc, cmf2, cmfl).
SegmentVerdict verify_media(std::span<const std::uint8_t> bytes);

}  // namespace mtrace::analyzer::cmaf
