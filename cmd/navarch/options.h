#pragma once
// Shared Boost.Program_options plumbing for the subcommands.

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cmd/navarch/commands.h"
#include "core/base/time.h"
#include "sim/scenario.h"

namespace navarch::cmd {

// Parses `args` into `vm` with `desc` (plus `positional`, may be empty).
// Returns -1 to continue, or the exit code to return now: 0 after printing
// --help, 2 after printing a usage error that names the bad flag.
int ParseOptions(std::string_view command, const Args& args,
                 const boost::program_options::options_description& desc,
                 const boost::program_options::positional_options_description& positional,
                 boost::program_options::variables_map& vm);

// --sample-interval: a positive duration ("10s", "1m"). Prints a usage error
// naming `command` and returns nullopt otherwise.
std::optional<Duration> ParseSampleInterval(std::string_view command, const std::string& text);

// The positional scenario file, loaded. Prints the error (no file given, or
// the loader's message with file and line) and returns nullopt otherwise.
std::optional<sim::Scenario> LoadScenarioArg(std::string_view command, const std::string& path);

}  // namespace navarch::cmd
