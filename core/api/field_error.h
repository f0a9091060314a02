#pragma once
// A problem found at one field of an object: the decoders and Validate()
// report every problem as one of these.

#include <string>

namespace navarch::api {

struct FieldError {
  std::string path;     // "spec.containers[0].image"; empty for the whole document
  std::string message;  // "required", "unknown field", ...
  bool operator==(const FieldError&) const = default;
};

}  // namespace navarch::api
