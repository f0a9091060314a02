#pragma once
// Inputs that once hurt a reader, shared by the tests of every reader.

#include <string>
#include <string_view>

namespace navarch::testing {

// `prefix` followed by `levels` mappings entries, each a list of ten aliases
// of the one before: 10^levels scalars when expanded, under 1 KB of text
// ("billion laughs").
inline std::string AliasBomb(std::string_view prefix, int levels = 10) {
  std::string text(prefix);
  text += "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i < levels; ++i) {
    text += "x" + std::to_string(i) + ": &x" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k)
      text += std::string(k ? ", " : "") + "*x" + std::to_string(i - 1);
    text += "]\n";
  }
  return text;
}

}  // namespace navarch::testing
