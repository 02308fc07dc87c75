#include "analyzer/cmaf/boxes.h"

#include <algorithm>

namespace mtrace::analyzer::cmaf {
namespace {

constexpr std::size_t kMaxBoxesPerLevel = 10'000;

std::uint32_t read_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

bool printable(const std::uint8_t* p) {
  return std::all_of(p, p + 4, [](std::uint8_t c) { return c >= 0x20 && c <= 0x7E; });
}

std::string join_path(const std::string& parent, const std::string& type) {
  return parent.empty() ? type : parent + "/" + type;
}

const Box* find(const std::vector<Box>& boxes, std::string_view type) {
  for (const auto& b : boxes)
    if (b.type == type) return &b;
  return nullptr;
}

std::span<const std::uint8_t> payload(std::span<const std::uint8_t> bytes, const Box& box) {
  return bytes.subspan(box.offset + box.header_size, box.size - box.header_size);
}

std::vector<std::string> read_brands(std::span<const std::uint8_t> payload) {
  std::vector<std::string> brands;
  if (payload.size() < 8 || !printable(payload.data())) return brands;
  brands.emplace_back(reinterpret_cast<const char*>(payload.data()), 4);
  for (std::size_t at = 8; at + 4 <= payload.size() && printable(payload.data() + at); at += 4)
    brands.emplace_back(reinterpret_cast<const char*>(payload.data() + at), 4);
  return brands;
}

bool has_any(const std::vector<std::string>& brands, std::initializer_list<std::string_view> wanted) {
  for (const auto& b : brands)
    for (auto w : wanted)
      if (b == w) return true;
  return false;
}

std::string list(const std::vector<std::string>& brands) {
  std::string out;
  for (const auto& b : brands) out += (out.empty() ? "" : ",") + b;
  return out.empty() ? "none" : out;
}

void fail(SegmentVerdict& v, std::string message, std::string path) {
  v.problems.push_back({"cmaf_box_validation_failed", std::move(message), std::move(path)});
}

// Reads the children of `box` (a container) into v.boxes and returns them.
std::vector<Box> children(std::span<const std::uint8_t> bytes, const Box& box, SegmentVerdict& v) {
  auto kids = read_boxes(payload(bytes, box), box.offset + box.header_size, box.path, v.problems);
  v.boxes.insert(v.boxes.end(), kids.begin(), kids.end());
  return kids;
}

}  // namespace

std::vector<Box> read_boxes(std::span<const std::uint8_t> bytes, std::uint64_t base_offset,
                            const std::string& parent_path, std::vector<BoxProblem>& problems) {
  std::vector<Box> boxes;
  std::uint64_t at = 0;
  const auto invalid = [&](std::string message, std::string path) {
    problems.push_back({"invalid_box_structure", std::move(message), std::move(path)});
  };
  while (at < bytes.size() && boxes.size() < kMaxBoxesPerLevel) {
    const std::uint64_t remaining = bytes.size() - at;
    const std::string where = " at offset " + std::to_string(base_offset + at);
    if (remaining < 8) {
      invalid("Truncated box header" + where + ".", parent_path);
      break;
    }
    const std::uint8_t* p = bytes.data() + at;
    if (!printable(p + 4)) {
      invalid("Box type" + where + " is not printable ASCII.", parent_path);
      break;
    }
    Box box;
    box.type.assign(reinterpret_cast<const char*>(p + 4), 4);
    box.path = join_path(parent_path, box.type);
    box.offset = base_offset + at;
    std::uint64_t size = read_u32(p);
    box.header_size = 8;
    if (size == 1) {
      if (remaining < 16) {
        invalid("Box \"" + box.type + "\"" + where + " has a truncated 64-bit size.", box.path);
        break;
      }
      size = (std::uint64_t{read_u32(p + 8)} << 32) | read_u32(p + 12);
      box.header_size = 16;
    } else if (size == 0) {
      size = remaining;  // extends to the end of the data
    }
    if (size < box.header_size) {
      invalid("Box \"" + box.type + "\"" + where + " has the impossible size " + std::to_string(size) + ".",
              box.path);
      break;
    }
    if (size > remaining) {
      invalid("Box \"" + box.type + "\"" + where + " has size " + std::to_string(size) + " but only " +
                  std::to_string(remaining) + " bytes remain.", box.path);
      break;
    }
    box.size = size;
    boxes.push_back(box);
    at += size;
  }
  return boxes;
}

SegmentVerdict verify_init(std::span<const std::uint8_t> bytes) {
  SegmentVerdict v;
  v.boxes = read_boxes(bytes, 0, "", v.problems);
  const auto top = v.boxes;
  const Box* ftyp = find(top, "ftyp");
  const Box* moov = find(top, "moov");
  if (!ftyp) fail(v, "The init segment has no ftyp box.", "ftyp");
  if (!moov) fail(v, "The init segment has no moov box.", "moov");
  if (ftyp) {
    v.brands = read_brands(payload(bytes, *ftyp));
    if (v.brands.empty())
      fail(v, "The ftyp box is too short to hold brands.", "ftyp");
    else if (!has_any(v.brands, {"cmfc", "cmf2"}))
      fail(v, "ftyp carries no CMAF header brand (cmfc, cmf2); brands: " + list(v.brands) + ".", "ftyp");
  }
  if (moov) {
    const auto kids = children(bytes, *moov, v);
    if (!find(kids, "mvex"))
      fail(v, "moov has no mvex box: the file is not fragmented.", "moov/mvex");
    if (!find(kids, "trak")) fail(v, "moov has no trak box.", "moov/trak");
  }
  return v;
}

SegmentVerdict verify_media(std::span<const std::uint8_t> bytes) {
  SegmentVerdict v;
  v.boxes = read_boxes(bytes, 0, "", v.problems);
  const auto top = v.boxes;
  const Box* moof = find(top, "moof");
  const Box* mdat = find(top, "mdat");
  if (const Box* styp = find(top, "styp")) {
    v.brands = read_brands(payload(bytes, *styp));
    if (!has_any(v.brands, {"cmfs", "cmff", "cmfc", "cmf2", "cmfl"}))
      fail(v, "styp carries no CMAF brand (cmfs, cmff, cmfl, cmfc, cmf2); brands: " + list(v.brands) + ".",
           "styp");
  }
  if (!moof) fail(v, "The media segment has no moof box.", "moof");
  if (!mdat) fail(v, "The media segment has no mdat box.", "mdat");
  if (moof && mdat && mdat->offset < moof->offset)
    fail(v, "mdat comes before the first moof.", "mdat");
  if (moof) {
    const auto kids = children(bytes, *moof, v);
    const Box* traf = find(kids, "traf");
    if (!traf) {
      fail(v, "moof has no traf box.", "moof/traf");
    } else {
      const auto traf_kids = children(bytes, *traf, v);
      if (!find(traf_kids, "tfhd")) fail(v, "traf has no tfhd box.", "moof/traf/tfhd");
      if (!find(traf_kids, "tfdt")) fail(v, "traf has no tfdt box (required by CMAF).", "moof/traf/tfdt");
    }
  }
  return v;
}

}  // namespace mtrace::analyzer::cmaf
