// Placeholder: this command is being built; it reports so instead of pretending.
#include <iostream>

#include "cmd/navarch/commands.h"

namespace navarch::cmd {

int RunProxy(const Args&) {
  std::cerr << "navarch proxy: not implemented yet (see the status table in README.md)\n";
  return 1;
}

}  // namespace navarch::cmd
