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

std::optional<Duration> ParseSampleInterval(std::string_view command, const std::string& text) {
  auto interval = ParseDuration(text);
  if (!interval.ok() || *interval <= Duration{0}) {
    std::cerr << "navarch " << command << ": --sample-interval " << text
              << ": give a positive duration such as 10s or 1m\n";
    return std::nullopt;
  }
  return *interval;
}

std::optional<sim::Scenario> LoadScenarioArg(std::string_view command, const std::string& path) {
  if (path.empty()) {
    std::cerr << "navarch " << command << ": no scenario file given\nRun 'navarch " << command
              << " --help' for usage.\n";
    return std::nullopt;
  }
  auto scenario = sim::LoadScenarioFile(path);
  if (!scenario.ok()) {
    std::string text = scenario.status().message();
    if (!text.empty() && text.back() != '\n') text += '\n';
    std::cerr << text;
    return std::nullopt;
  }
  return std::move(*scenario);
}

}  // namespace navarch::cmd
