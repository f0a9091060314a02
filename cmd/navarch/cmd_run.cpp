// navarch run SCENARIO --backend sim|docker: one scenario file, two worlds.
//
//   --backend sim      exactly `navarch sim` (every sim flag applies).
//   --backend docker   the same Runner — control plane, SimCloud machines,
//                      scenario events, expectations, Metrics and Report —
//                      in real time on the local dockerd: one kubelet with a
//                      DockerRuntime per scenario machine (DockerMachines).
//
// The Docker run writes the same report.json / results.db / summary as the
// simulator; its times are wall-clock durations since the start of the run.
// Every container it created is removed at the end, also after Ctrl-C.
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/docker_machines.h"
#include "cmd/navarch/options.h"
#include "core/store/store.h"
#include "sim/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace navarch::cmd {

namespace po = boost::program_options;

namespace {

int RunDocker(const Args& args) {
  po::options_description desc(
      "navarch run SCENARIO --backend docker: run a scenario in real time on the local dockerd\n"
      "The control plane of `navarch sim` drives one kubelet per scenario machine, each with\n"
      "real containers; events happen at their real times. Prints the same summary and writes\n"
      "DIR/report.json and DIR/results.db (times are wall-clock seconds since the start).\n"
      "Refused before the run (exit code 2): partition/heal events, a runtime: section,\n"
      "api.watchLatency, images not present locally, scenarios larger than the limits below.\n"
      "Every container of the run is removed at the end and on Ctrl-C. Exit code 0 when\n"
      "every expectation passed, 1 when one failed, 2 for a usage error or a refused\n"
      "scenario, 130 when interrupted.\n\nOptions");
  std::string scenario_path, profile, out, backend, store_path, sample = "10s";
  uint64_t seed = 0;
  double scale = 1;
  DockerMachinesOptions dm;
  desc.add_options()("help,h", "show this help")("backend", po::value(&backend), "sim or docker")(
      "seed", po::value(&seed), "random seed (default: the scenario's)")(
      "scheduler", po::value(&profile),
      "scheduler profile: spread, binpack, flow or flow-binpack (default: the scenario's)")(
      "out", po::value(&out), "output directory (default: out/<scenario name>-docker)")(
      "scale", po::value(&scale)->default_value(1.0),
      "shrink node groups and replicas by this factor in (0, 1]")(
      "sample-interval", po::value(&sample)->default_value("10s"), "time-series sampling period")(
      "store", po::value(&store_path),
      "keep the run's API objects in this SQLite file (default: in memory)")(
      "max-containers", po::value(&dm.max_containers)->default_value(dm.max_containers),
      "refuse scenarios that would run more containers at once (sandboxes included)")(
      "max-nodes", po::value(&dm.max_nodes)->default_value(dm.max_nodes),
      "refuse scenarios with more machines (each is a kubelet in this process)")(
      "docker-socket", po::value(&dm.docker.socket)->default_value(dm.docker.socket),
      "dockerd's unix socket")(
      "sandbox-image", po::value(&dm.docker.sandbox_image)->default_value(dm.docker.sandbox_image),
      "image of every pod sandbox")("scenario", po::value(&scenario_path),
                                    "scenario file (positional)");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  if (int rc = ParseOptions("run", args, desc, pos, vm); rc >= 0) return rc;
  auto interval = ParseSampleInterval("run", sample);
  if (!interval) return 2;
  if (dm.max_containers < 1 || dm.max_nodes < 1) {
    std::cerr << "navarch run: --max-containers and --max-nodes must be at least 1\n";
    return 2;
  }
  auto scenario = LoadScenarioArg("run", scenario_path);
  if (!scenario) return 2;
  if (out.empty()) out = "out/" + scenario->name + "-docker";
  const std::string name = scenario->name;

  std::unique_ptr<store::Store> store;
  if (!store_path.empty()) {
    auto opened = store::OpenStore("sqlite:" + store_path);
    if (!opened.ok()) {
      std::cerr << "navarch run: --store: " << opened.status().message() << "\n";
      return 2;
    }
    store = std::move(*opened);
  }

  std::random_device rd;
  dm.run_id = "run-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1'000'000);
  DockerMachines machines(dm);
  if (Status st = machines.Connect(); !st.ok()) {
    std::cerr << "navarch run: " << st.message() << "\n";
    return st.code() == Code::kInvalidArgument ? 2 : 1;
  }

  sim::RunnerOptions options;
  if (vm.count("seed")) options.seed = seed;
  if (vm.count("scheduler")) options.scheduler_profile = profile;
  options.scale = scale;
  options.sample_interval = *interval;
  options.backend = &machines;
  options.store = store.get();
  std::cerr << "navarch run: " << name << " on docker (run " << dm.run_id << ", until "
            << (scenario->run_until_idle ? "idle, at most " : "")
            << FormatDuration(scenario->Horizon()) << "; Ctrl-C stops and cleans up)\n";

  Result<sim::Report> report = InvalidArgument("not run");
  {
    sim::Runner runner(std::move(*scenario), std::move(options));
    report = runner.Run();
  }
  auto cleaned = machines.Cleanup();
  if (!cleaned.ok()) {
    std::cerr << "navarch run: cleanup: " << cleaned.status().message()
              << "; remove what is left with: docker ps -aq --filter label=" << kRunLabel << "="
              << dm.run_id << " | xargs -r docker rm -f\n";
  } else if (*cleaned > 0) {
    std::cerr << "navarch run: removed " << *cleaned << " containers of the run\n";
  }
  if (!report.ok()) {
    std::cerr << "navarch run: " << report.status().message() << "\n";
    return 2;
  }
  std::cout << "backend docker (real time on this host)\n"
            << sim::SummaryTable(*report, isatty(STDOUT_FILENO) != 0);
  if (Status st = sim::WriteReportFiles(*report, out); !st.ok()) {
    std::cerr << "navarch run: " << st.message() << "\n";
    return 2;
  }
  std::cout << "wrote " << out << "/report.json and " << out << "/results.db\n";
  if (report->stop_reason == "interrupted" || machines.interrupted()) return 130;
  return report->Passed() ? 0 : 1;
}

}  // namespace

int RunRun(const Args& args) {
  // The backend decides which options apply: find it first.
  std::string backend = "sim";
  Args rest;
  bool help = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--backend" && i + 1 < args.size()) {
      backend = args[++i];
    } else if (a.rfind("--backend=", 0) == 0) {
      backend = a.substr(10);
    } else {
      if (a == "--help" || a == "-h") help = true;
      rest.push_back(a);
    }
  }
  if (backend == "sim") {
    if (help) {
      std::cout << "navarch run SCENARIO --backend sim|docker\n"
                   "  --backend sim (the default) is `navarch sim`; its options follow.\n"
                   "  --backend docker runs the scenario on the local dockerd: see\n"
                   "  `navarch run --backend docker --help`.\n\n";
    }
    return RunSim(rest);
  }
  if (backend == "docker") return RunDocker(args);
  std::cerr << "navarch run: --backend " << backend << ": use sim or docker\n";
  return 2;
}

}  // namespace navarch::cmd
