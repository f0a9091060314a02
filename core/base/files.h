#pragma once
// Reading a whole file that a user names (a manifest, a scenario, a
// kubeconfig), bounded so that naming a huge file cannot exhaust memory.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace navarch {

// The contents of `path`. Errors name `what` and the path: kNotFound when it
// cannot be opened, kInvalidArgument when it is larger than `max_bytes`
// (checked before reading) or is not a regular file.
Result<std::string> ReadBoundedFile(const std::string& path, size_t max_bytes,
                                    std::string_view what);

}  // namespace navarch
