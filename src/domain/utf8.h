// UTF-8 validity (RFC 3629), shared by whatever must emit valid text from untrusted bytes.
#pragma once

#include <cstddef>
#include <string_view>

namespace mtrace::domain {

// Length (1-4) of the valid UTF-8 sequence that starts at `s[i]`, or 0 when the bytes there are
// not one: a stray continuation byte, an overlong form, a surrogate, a code point above
// U+10FFFF, or a sequence cut by the end of `s`. Requires i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

}  // namespace mtrace::domain
