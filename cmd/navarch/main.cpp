// navarch: the one binary. Subcommands wire core + sim + backends.
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "version") {
    std::cout << "navarch " << NAVARCH_VERSION << "\n";
    return 0;
  }
  std::cerr << "usage: navarch version\n";
  return 2;
}
