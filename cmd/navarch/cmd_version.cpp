#include <iostream>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"

namespace navarch::cmd {

int RunVersion(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc("navarch version: print the version\n\nOptions");
  desc.add_options()("help,h", "show this help");
  po::variables_map vm;
  if (int rc = ParseOptions("version", args, desc, {}, vm); rc >= 0) return rc;
  std::cout << "navarch " << NAVARCH_VERSION << "\n";
  return 0;
}

}  // namespace navarch::cmd
