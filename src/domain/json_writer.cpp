#include "domain/json_writer.h"

#include <boost/json/value.hpp>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>

#include "domain/utf8.h"

namespace mtrace::domain {

namespace {
constexpr std::size_t kSinkChunk = 64 * 1024;

// The first index at or after `i` whose byte a JSON string cannot hold as it is: a control
// character, '"', '\\' or a byte of a multi-byte (or invalid) UTF-8 sequence. Eight bytes at a
// time while none is, as most of what the API writes is plain ASCII.
std::size_t plain_ascii_end(std::string_view text, std::size_t i) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  const auto has_zero_byte = [](std::uint64_t w) { return (w - kOnes) & ~w & kHighBits; };
  for (; i + 8 <= text.size(); i += 8) {
    std::uint64_t word;
    std::memcpy(&word, text.data() + i, sizeof word);
    const std::uint64_t special = (word & kHighBits) | ((word - 0x20 * kOnes) & ~word & kHighBits) |
                                  has_zero_byte(word ^ ('"' * kOnes)) | has_zero_byte(word ^ ('\\' * kOnes));
    if (special != 0) break;
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return i;
  }
  return i;
}

}  // namespace

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (has_member_.empty()) return;
  if (has_member_.back()) out_.push_back(',');
  has_member_.back() = 1;
}

void JsonWriter::maybe_flush() {
  if (sink_ && out_.size() >= kSinkChunk) flush();
}

JsonWriter& JsonWriter::open(char bracket) {
  separate();
  out_.push_back(bracket);
  has_member_.push_back(0);
  return *this;
}

JsonWriter& JsonWriter::close(char bracket) {
  out_.push_back(bracket);
  has_member_.pop_back();
  maybe_flush();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  value(name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::literal_key(std::string_view name) {
  assert(plain_ascii_end(name, 0) == name.size());
  separate();
  out_.push_back('"');
  out_.append(name);
  out_.append("\":", 2);
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  separate();
  out_.push_back('"');
  std::size_t plain = 0;  // start of the run of characters that need no escape
  for (std::size_t i = plain_ascii_end(text, 0); i < text.size(); i = plain_ascii_end(text, i + 1)) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = utf8_sequence_length(text, i);
      if (length > 0) {
        i += length - 1;
        continue;
      }
      out_.append(text.substr(plain, i - plain));
      out_ += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not valid UTF-8
      plain = i + 1;
      continue;
    }
    out_.append(text.substr(plain, i - plain));
    plain = i + 1;
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      case '\b': out_ += "\\b"; break;
      case '\f': out_ += "\\f"; break;
      default:
        out_ += "\\u00";
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 0xf]);
    }
  }
  out_.append(text.substr(plain));
  out_.push_back('"');
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  separate();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t n) {
  separate();
  char buffer[24];
  out_.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, n).ptr);
  return *this;
}

JsonWriter& JsonWriter::value(std::uint64_t n) {
  separate();
  char buffer[24];
  out_.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, n).ptr);
  return *this;
}

JsonWriter& JsonWriter::value(double d) {
  if (!std::isfinite(d)) return null();
  if (d == std::trunc(d) && std::abs(d) < 1e15) return value(static_cast<std::int64_t>(d));
  separate();
  // The shortest text takes ~500 instructions; a playlist's durations mostly repeat.
  if (d != last_double_ || last_double_text_.empty()) {
    char buffer[32];
    last_double_text_.assign(buffer, std::to_chars(buffer, buffer + sizeof buffer, d).ptr);
    last_double_ = d;
  }
  out_.append(last_double_text_);
  return *this;
}

JsonWriter& JsonWriter::value(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null: return null();
    case boost::json::kind::bool_: return value(v.get_bool());
    case boost::json::kind::int64: return value(v.get_int64());
    case boost::json::kind::uint64: return value(v.get_uint64());
    case boost::json::kind::double_: return value(v.get_double());
    case boost::json::kind::string: return value(std::string_view(v.get_string()));
    case boost::json::kind::array:
      begin_array();
      for (const auto& item : v.get_array()) value(item);
      return end_array();
    case boost::json::kind::object: return value(v.get_object());
  }
  return null();
}

JsonWriter& JsonWriter::value(const boost::json::object& o) {
  begin_object();
  for (const auto& member : o) {
    key(member.key());
    value(member.value());
  }
  return end_object();
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_.append(json);
  maybe_flush();
  return *this;
}

std::string JsonWriter::take() {
  std::string text = std::move(out_);
  out_.clear();
  return text;
}

void JsonWriter::flush() {
  if (!sink_) return;
  std::fwrite(out_.data(), 1, out_.size(), sink_);
  out_.clear();
}

std::string to_json_text(const boost::json::value& v) { return JsonWriter().value(v).take(); }

std::string to_json_text(const boost::json::object& o) { return JsonWriter().value(o).take(); }

}  // namespace mtrace::domain
