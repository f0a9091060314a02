// Placeholder: this command is being built; it reports so instead of pretending.
#include <iostream>

#include "cmd/navarch/commands.h"

namespace navarch::cmd {

int RunScheduler(const Args&) {
  std::cerr << "navarch scheduler: not implemented yet (see the status table in README.md)\n";
  return 1;
}

int RunControllerManager(const Args&) {
  std::cerr
      << "navarch controller-manager: not implemented yet (see the status table in README.md)\n";
  return 1;
}

int RunKubelet(const Args&) {
  std::cerr << "navarch kubelet: not implemented yet (see the status table in README.md)\n";
  return 1;
}

int RunUp(const Args&) {
  std::cerr << "navarch up: not implemented yet (see the status table in README.md)\n";
  return 1;
}

}  // namespace navarch::cmd
