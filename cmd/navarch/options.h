#pragma once
// Shared Boost.Program_options plumbing for the subcommands.

#include <boost/program_options.hpp>
#include <string_view>

#include "cmd/navarch/commands.h"

namespace navarch::cmd {

// Parses `args` into `vm` with `desc` (plus `positional`, may be empty).
// Returns -1 to continue, or the exit code to return now: 0 after printing
// --help, 2 after printing a usage error that names the bad flag.
int ParseOptions(std::string_view command, const Args& args,
                 const boost::program_options::options_description& desc,
                 const boost::program_options::positional_options_description& positional,
                 boost::program_options::variables_map& vm);

}  // namespace navarch::cmd
