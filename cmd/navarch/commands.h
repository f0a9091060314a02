#pragma once
// The navarch subcommands. Each Run* function parses its own arguments with
// Boost.Program_options, prints `--help`, and returns the process exit code:
// 0 success, 1 the command ran and found a failure (invalid manifest, failed
// expectation), 2 a usage error (unknown flag, missing argument).

#include <string>
#include <vector>

namespace navarch::cmd {

// Arguments after the subcommand name.
using Args = std::vector<std::string>;

int RunVersion(const Args& args);
int RunValidate(const Args& args);
int RunSim(const Args& args);
int RunSimBench(const Args& args);
int RunBench(const Args& args);      // cmd_bench.cpp
int RunApiserver(const Args& args);  // cmd_apiserver.cpp
int RunScheduler(const Args& args);  // cmd_components.cpp
int RunControllerManager(const Args& args);
int RunKubelet(const Args& args);
int RunUp(const Args& args);
int RunProxy(const Args& args);      // cmd_proxy.cpp
int RunRun(const Args& args);        // cmd_run.cpp
int RunCompare(const Args& args);    // cmd_compare.cpp
int RunCalibrate(const Args& args);  // cmd_calibrate.cpp

}  // namespace navarch::cmd
