#include "domain/ids.h"

#include <openssl/rand.h>

#include <array>
#include <random>

namespace mtrace::domain {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// xoshiro256** (Blackman and Vigna): fast, statistically strong, seeded from the system CSPRNG.
class Generator {
 public:
  Generator() {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(state_.data()),
                   static_cast<int>(sizeof(state_))) != 1) {
      std::random_device device;
      for (auto& word : state_) word = (std::uint64_t{device()} << 32) ^ device();
    }
    if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 1;  // the one bad seed
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> state_{};
};

Generator& generator() {
  thread_local Generator instance;
  return instance;
}

void append_hex(std::string& out, std::uint64_t value, int digits) {
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out += kHex[(value >> shift) & 0xf];
}

// A non-zero random word, so that ids made of it are never all zero.
std::uint64_t nonzero_word() {
  std::uint64_t value = 0;
  while (value == 0) value = generator().next();
  return value;
}

bool is_lower_hex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_all_zero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

unsigned hex_value(char c) { return c <= '9' ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10); }

}  // namespace

std::string new_uuid_v4() {
  std::uint64_t high = generator().next();
  std::uint64_t low = generator().next();
  high = (high & ~std::uint64_t{0xf000}) | 0x4000;                // version 4
  low = (low & ~(std::uint64_t{0xc} << 60)) | (std::uint64_t{0x8} << 60);  // variant 10xx
  std::string out;
  out.reserve(36);
  append_hex(out, high >> 32, 8);
  out += '-';
  append_hex(out, (high >> 16) & 0xffff, 4);
  out += '-';
  append_hex(out, high & 0xffff, 4);
  out += '-';
  append_hex(out, low >> 48, 4);
  out += '-';
  append_hex(out, low & 0xffff'ffff'ffff, 12);
  return out;
}

std::string new_trace_id() {
  std::string out;
  out.reserve(32);
  append_hex(out, generator().next(), 16);
  append_hex(out, nonzero_word(), 16);
  return out;
}

std::string new_span_id() {
  std::string out;
  out.reserve(16);
  append_hex(out, nonzero_word(), 16);
  return out;
}

std::optional<TraceParent> parse_traceparent(std::string_view header) {
  // 2 + 1 + 32 + 1 + 16 + 1 + 2
  if (header.size() != 55 || header.substr(0, 3) != "00-" || header[35] != '-' ||
      header[52] != '-') {
    return std::nullopt;
  }
  const std::string_view trace_id = header.substr(3, 32);
  const std::string_view span_id = header.substr(36, 16);
  const std::string_view flags = header.substr(53, 2);
  if (!is_lower_hex(trace_id) || !is_lower_hex(span_id) || !is_lower_hex(flags) ||
      is_all_zero(trace_id) || is_all_zero(span_id)) {
    return std::nullopt;
  }
  return TraceParent{std::string(trace_id), std::string(span_id),
                     static_cast<std::uint8_t>(hex_value(flags[0]) * 16 + hex_value(flags[1]))};
}

std::string format_traceparent(const TraceParent& parent) {
  std::string out;
  out.reserve(55);
  out += "00-";
  out += parent.trace_id;
  out += '-';
  out += parent.span_id;
  out += '-';
  append_hex(out, parent.flags, 2);
  return out;
}

}  // namespace mtrace::domain
