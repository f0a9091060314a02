#pragma once
// Small string helpers shared across core/: whitespace trimming, base64 and
// UTF-8 validation.

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace navarch {

// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view TrimWhitespace(std::string_view s);

// Standard base64 (RFC 4648, padding optional, whitespace ignored).
// kInvalidArgument for any other character, naming its position.
Result<std::string> DecodeBase64(std::string_view text);
std::string EncodeBase64(std::string_view bytes);

// UTF-8 (RFC 3629): the offset of the first byte that does not begin a
// well-formed sequence (a stray continuation byte, a truncated sequence, an
// overlong form, a surrogate U+D800..U+DFFF or a code point past U+10FFFF),
// or std::string_view::npos when all of `s` is well-formed.
size_t FindInvalidUtf8(std::string_view s);
inline bool IsValidUtf8(std::string_view s) {
  return FindInvalidUtf8(s) == std::string_view::npos;
}
// `s` with each ill-formed byte replaced by U+FFFD, as Go's encoding/json
// does when it writes a string.
std::string CoerceToUtf8(std::string_view s);
// "name: the value is not valid UTF-8 (byte 0xff at offset 3)" — the error
// every decoder gives for such a string; Ok when `s` is valid.
Status CheckUtf8(std::string_view s, std::string_view what);

}  // namespace navarch
