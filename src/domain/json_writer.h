// A streaming JSON writer: appends text as the caller walks its data, with no document tree in
// between. For large results (an analysis of 100,000 segments) where building a Boost.JSON value
// first would cost more than the analysis itself.
//
// Strings are written as given, with '"', '\\' and control characters escaped, and every byte
// that is not part of valid UTF-8 replaced by U+FFFD, so the output is always valid JSON.
// Doubles use the shortest text that reads back to the same value ("5.997", "100"); NaN and
// infinities become null. The caller keeps the structure balanced; the writer only places
// the commas. Not thread-safe.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace mtrace::domain {

class JsonWriter {
 public:
  // Collects the text; take() returns it.
  JsonWriter() = default;
  // Writes to `sink` in pieces of about 64 KiB; flush() writes the rest. The sink is not owned.
  explicit JsonWriter(std::FILE* sink) : sink_(sink) {}

  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }
  // The key of the next member; the value follows with one of the calls below.
  JsonWriter& key(std::string_view name);
  // A key spelled out in the code (a string literal, plain ASCII with nothing to escape): copied
  // as it is, without key(std::string_view)'s scan for characters to escape.
  template <std::size_t N>
  JsonWriter& key(const char (&name)[N]) {
    return literal_key(std::string_view(name, N - 1));
  }

  JsonWriter& value(std::string_view text);
  JsonWriter& value(const char* text) { return value(std::string_view(text)); }
  JsonWriter& value(const std::string& text) { return value(std::string_view(text)); }
  JsonWriter& value(bool b);
  JsonWriter& value(std::int64_t n);
  JsonWriter& value(std::uint64_t n);
  JsonWriter& value(int n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(unsigned n) { return value(static_cast<std::uint64_t>(n)); }
  JsonWriter& value(long long n) { return value(static_cast<std::int64_t>(n)); }
  JsonWriter& value(unsigned long long n) { return value(static_cast<std::uint64_t>(n)); }
  JsonWriter& value(double d);
  JsonWriter& null();
  // A Boost.JSON value, written with the same rules (its strings are made valid UTF-8 too).
  JsonWriter& value(const boost::json::value& v);
  JsonWriter& value(const boost::json::object& o);
  // A value that is already JSON text (trusted to be well formed).
  JsonWriter& raw(std::string_view json);

  // key(name) then value(v).
  template <typename T>
  JsonWriter& member(std::string_view name, const T& v) {
    key(name);
    return value(v);
  }
  template <std::size_t N, typename T>
  JsonWriter& member(const char (&name)[N], const T& v) {
    key(name);
    return value(v);
  }

  // The text written so far (collecting writer); leaves the writer empty.
  std::string take();
  // Writes what is buffered to the sink (sink writer).
  void flush();

 private:
  JsonWriter& literal_key(std::string_view name);
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);
  void separate();
  void maybe_flush();

  std::string out_;
  std::FILE* sink_ = nullptr;
  std::vector<unsigned char> has_member_;  // one per open object or array: 1 once it has one
  bool after_key_ = false;
  double last_double_ = 0;  // the last non-integral double written, and its text
  std::string last_double_text_;
};

// `v` as JSON text with the writer's rules: what the API sends, so that doubles read "0.25" and
// "0" rather than Boost.JSON 1.81's "2.5E-1" and "0E0".
std::string to_json_text(const boost::json::value& v);
std::string to_json_text(const boost::json::object& o);

}  // namespace mtrace::domain
