#pragma once
// Small string helpers shared across core/: whitespace trimming and base64.

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

}  // namespace navarch
