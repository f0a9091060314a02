// navarch sim-bench: simulator throughput at cluster scale, LevelDB db_bench
// style. Each benchmark builds a synthetic scenario (sim/synthetic.h) —
// NODES nodes, PODS pods, half of them a replicated service and half batch
// pods that run for 1-5 simulated minutes and succeed — and runs it until
// idle in a forked child, so that each figure (wall time, peak RSS from
// wait4's rusage, events/s) belongs to that benchmark alone.
//
// Wall-clock time is read here, in cmd/, to measure the run; the run itself
// never sees it.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "sim/runner.h"
#include "sim/synthetic.h"

namespace navarch::cmd {

namespace {

struct BenchResult {
  double wall_seconds = 0;
  uint64_t events = 0;
  double sim_seconds = 0;
  long long pods_created = 0, pods_running = 0, batch_succeeded = 0;
  int passed = 0;
  char stop[32] = {};
};

// Runs one benchmark in this process; fills `out`.
bool RunOne(int32_t nodes, int32_t pods, uint64_t seed, bool explain, BenchResult& out) {
  sim::SyntheticSpec spec;
  spec.name = "bench-" + std::to_string(nodes) + "x" + std::to_string(pods);
  spec.seed = seed;
  spec.nodes = nodes;
  spec.service_pods = pods / 2;
  spec.batch_pods = pods - pods / 2;
  auto scenario = sim::SyntheticScenario(spec);
  if (!scenario.ok()) {
    std::cerr << scenario.status().message() << "\n";
    return false;
  }
  sim::RunnerOptions options;
  options.record_decisions = explain;
  options.sample_interval = seconds(10);
  const auto t0 = std::chrono::steady_clock::now();
  sim::Runner runner(std::move(*scenario), options);
  auto report = runner.Run();
  const auto t1 = std::chrono::steady_clock::now();
  if (!report.ok()) {
    std::cerr << report.status().message() << "\n";
    return false;
  }
  out.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
  out.events = report->events_processed;
  out.sim_seconds = static_cast<double>(report->ended_at.count()) / 1e9;
  out.pods_created = report->pods_created;
  out.pods_running = report->pods_running;
  out.batch_succeeded = report->pods_succeeded_total;
  out.passed = report->Passed() ? 1 : 0;
  std::snprintf(out.stop, sizeof out.stop, "%s", report->stop_reason.c_str());
  return true;
}

bool ParseBench(const std::string& text, int32_t& nodes, int32_t& pods) {
  auto x = text.find('x');
  if (x == std::string::npos) return false;
  try {
    nodes = std::stoi(text.substr(0, x));
    pods = std::stoi(text.substr(x + 1));
  } catch (const std::exception&) {
    return false;
  }
  return nodes > 0 && pods >= 0;
}

}  // namespace

int RunSimBench(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "navarch sim-bench: simulator throughput on synthetic clusters\n"
      "Each benchmark NODESxPODS runs NODES nodes with PODS pods (half a replicated\n"
      "service, half batch pods that complete) until idle, in its own process, and\n"
      "prints wall time, peak RSS and events/s.\n\nOptions");
  std::string benchmarks = "500x10000";
  uint64_t seed = 1;
  bool explain = false;
  desc.add_options()("help,h", "show this help")(
      "benchmarks", po::value(&benchmarks)->default_value("500x10000"),
      "comma-separated NODESxPODS list, e.g. 5000x100000,10000x100000")(
      "seed", po::value(&seed)->default_value(1), "random seed")(
      "explain", po::bool_switch(&explain),
      "record every scheduling decision with its explanation (slower)");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = ParseOptions("sim-bench", args, desc, pos, vm); rc >= 0) return rc;

  std::vector<std::pair<int32_t, int32_t>> list;
  std::stringstream ss(benchmarks);
  for (std::string item; std::getline(ss, item, ',');) {
    int32_t nodes = 0, pods = 0;
    if (!ParseBench(item, nodes, pods)) {
      std::cerr << "navarch sim-bench: --benchmarks: \"" << item
                << "\" is not NODESxPODS (e.g. 5000x100000)\n";
      return 2;
    }
    list.emplace_back(nodes, pods);
  }

  std::printf("%-14s %9s %10s %12s %12s %10s %9s %s\n", "benchmark", "wall_s", "peak_rss", "events",
              "events/s", "sim_time", "pods", "result");
  int failures = 0;
  for (auto [nodes, pods] : list) {
    int fds[2];
    if (pipe(fds) != 0) return 2;
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      BenchResult r;
      bool ok = RunOne(nodes, pods, seed, explain, r);
      if (ok) (void)!write(fds[1], &r, sizeof r);
      close(fds[1]);
      _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    BenchResult r;
    const bool got = read(fds[0], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    close(fds[0]);
    int status = 0;
    struct rusage usage {};
    wait4(pid, &status, 0, &usage);
    const std::string name = std::to_string(nodes) + "x" + std::to_string(pods);
    if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::printf("%-14s failed\n", name.c_str());
      ++failures;
      continue;
    }
    const double rss_mib = static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss: KiB
    char rss[32], sim_time[32], result[64];
    std::snprintf(rss, sizeof rss, "%.0fMiB", rss_mib);
    std::snprintf(sim_time, sizeof sim_time, "%.0fs", r.sim_seconds);
    std::snprintf(result, sizeof result, "%s, %s", r.stop,
                  r.passed ? "all done" : "expectations failed");
    std::printf("%-14s %9.2f %10s %12llu %12.0f %10s %9lld %s\n", name.c_str(), r.wall_seconds, rss,
                static_cast<unsigned long long>(r.events),
                r.wall_seconds > 0 ? static_cast<double>(r.events) / r.wall_seconds : 0.0, sim_time,
                r.pods_created, result);
    if (!r.passed) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace navarch::cmd
