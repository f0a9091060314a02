#include "cmd/navarch/options.h"

#include <iostream>

namespace navarch::cmd {

int ParseOptions(std::string_view command, const Args& args,
                 const boost::program_options::options_description& desc,
                 const boost::program_options::positional_options_description& positional,
                 boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  try {
    po::store(po::command_line_parser(args).options(desc).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "navarch " << command << ": " << e.what() << "\n"
              << "Run 'navarch " << command << " --help' for usage.\n";
    return 2;
  }
  return -1;
}

}  // namespace navarch::cmd
