// navarch: the one binary. Subcommands wire core + sim + backends; each lives
// in its own cmd_*.cpp and is listed once in kCommands below.
#include <cstring>
#include <exception>
#include <iostream>
#include <string_view>

#include "cmd/navarch/commands.h"

namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const navarch::cmd::Args&);
};

constexpr Command kCommands[] = {
    {"validate", "check Kubernetes v1 manifests; print every error with file and line",
     navarch::cmd::RunValidate},
    {"sim", "run a scenario in the simulator; summary, report.json, results.db",
     navarch::cmd::RunSim},
    {"sim-bench", "simulator throughput on synthetic clusters (wall time, RSS, events/s)",
     navarch::cmd::RunSimBench},
    {"bench", "compare schedulers on scheduler_perf-style workloads (pods/s, latency, quality)",
     navarch::cmd::RunBench},
    {"apiserver", "serve the Kubernetes v1 API over HTTPS for kubectl, store in SQLite",
     navarch::cmd::RunApiserver},
    {"scheduler", "run the scheduler against an API server", navarch::cmd::RunScheduler},
    {"controller-manager", "run the replication, node lifecycle and endpoints controllers",
     navarch::cmd::RunControllerManager},
    {"kubelet", "run a node agent (runtime sim or docker)", navarch::cmd::RunKubelet},
    {"proxy", "forward Service ports on 127.0.0.1 to ready endpoints", navarch::cmd::RunProxy},
    {"up", "all-in-one cluster: API server, scheduler, controllers and kubelets",
     navarch::cmd::RunUp},
    {"run", "run a scenario on a backend (sim or docker) in real time", navarch::cmd::RunRun},
    {"compare", "two runs' reports side by side (sim vs docker, two seeds), B - A per figure",
     navarch::cmd::RunCompare},
    {"calibrate", "measure the local Docker engine; write a runtime model for the simulator",
     navarch::cmd::RunCalibrate},
    {"version", "print the navarch version", navarch::cmd::RunVersion},
};

void PrintUsage(std::ostream& os) {
  os << "usage: navarch <command> [options]\n\ncommands:\n";
  for (const auto& c : kCommands) {
    os << "  " << c.name << std::string(c.name.size() < 20 ? 20 - c.name.size() : 1, ' ')
       << c.summary << "\n";
  }
  os << "\nRun 'navarch <command> --help' for a command's options.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return 2;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(std::cout);
    return 0;
  }
  if (name == "--version") name = "version";
  for (const auto& c : kCommands) {
    if (c.name != name) continue;
    navarch::cmd::Args args(argv + 2, argv + argc);
    try {
      return c.run(args);
    } catch (const std::exception& e) {
      std::cerr << "navarch " << name << ": " << e.what() << "\n";
      return 2;
    }
  }
  std::cerr << "navarch: unknown command '" << name << "'\n\n";
  PrintUsage(std::cerr);
  return 2;
}
