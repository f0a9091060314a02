// Whole simulations: synthetic clusters of NODES nodes and PODS pods (half a
// replicated service, half batch pods that run 1-5 simulated minutes and
// succeed), each run until idle in a forked child (sim/bench.h):
//
//   BM_Sim/<NODES>x<PODS>   iteration time = wall time of the run; counters:
//                           cpu_s (the child's user + system CPU), peak_rss_MiB,
//                           events, events_per_s, sim_s (simulated time),
//                           pods, passed (1 when every pod ran and every batch
//                           pod succeeded)
//
//   sim_bench [--benchmarks=500x10000,5000x100000] [--seed=1] [--explain]
//             [--huge-pages=0|1] [--record-events=0|1] [--control-plane=default|ideal]
//             [Google Benchmark flags]
//
// Each size runs once (a run of 100,000 pods takes tens of seconds; compare
// CPU time as well as wall time on a shared machine). --huge-pages=1 (the
// default) re-runs the program with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, as
// `navarch sim-bench` does. A run whose expectations fail, or that fails to
// run, is reported as an error of its benchmark and makes the exit status 1.

#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "sim/bench.h"

namespace navarch::sim {
namespace {

struct Flags {
  std::string benchmarks = "500x10000";
  uint64_t seed = 1;
  bool explain = false;
  bool huge_pages = true;
  bool record_events = true;
  bool control_plane_cost = true;
};

// `failures` counts runs that failed or missed their expectations.
void RunSize(benchmark::State& state, BenchSize size, BenchOptions options, int* failures) {
  for (auto _ : state) {
    auto r = RunBenchmark(size, options);
    if (!r.ok()) {
      ++*failures;
      state.SkipWithError(r.status().message().c_str());
      break;
    }
    state.SetIterationTime(r->wall_seconds);
    state.counters["cpu_s"] = r->cpu_seconds;
    state.counters["peak_rss_MiB"] = static_cast<double>(r->peak_rss_bytes) / (1 << 20);
    state.counters["events"] = static_cast<double>(r->events);
    state.counters["events_per_s"] = r->EventsPerSecond();
    state.counters["sim_s"] = r->sim_seconds;
    state.counters["pods"] = static_cast<double>(r->pods_created);
    state.counters["passed"] = r->passed ? 1 : 0;
    if (!r->passed) {
      ++*failures;
      state.SkipWithError(("expectations failed (stopped: " + r->stop_reason + ")").c_str());
      break;
    }
  }
}

bool ParseBool(const std::string& text, bool& out) {
  if (text == "1" || text == "true") {
    out = true;
  } else if (text == "0" || text == "false") {
    out = false;
  } else {
    return false;
  }
  return true;
}

}  // namespace
}  // namespace navarch::sim

int main(int argc, char** argv) {
  using navarch::sim::Flags;
  Flags flags;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--benchmarks=", 0) == 0) {
      flags.benchmarks = arg.substr(13);
    } else if (arg.rfind("--seed=", 0) == 0) {
      try {
        flags.seed = std::stoull(arg.substr(7));
      } catch (const std::exception&) {
        std::cerr << "sim_bench: --seed: \"" << arg.substr(7) << "\" is not a number\n";
        return 2;
      }
    } else if (arg == "--explain") {
      flags.explain = true;
    } else if (arg.rfind("--record-events=", 0) == 0) {
      if (!navarch::sim::ParseBool(arg.substr(16), flags.record_events)) {
        std::cerr << "sim_bench: --record-events: use 1 or 0\n";
        return 2;
      }
    } else if (arg.rfind("--control-plane=", 0) == 0) {
      const std::string v = arg.substr(16);
      if (v != "default" && v != "ideal") {
        std::cerr << "sim_bench: --control-plane: use default or ideal\n";
        return 2;
      }
      flags.control_plane_cost = v == "default";
    } else if (arg.rfind("--huge-pages=", 0) == 0) {
      if (!navarch::sim::ParseBool(arg.substr(13), flags.huge_pages)) {
        std::cerr << "sim_bench: --huge-pages: use 1 or 0\n";
        return 2;
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  auto sizes = navarch::sim::ParseBenchSizes(flags.benchmarks);
  if (!sizes.ok()) {
    std::cerr << "sim_bench: --benchmarks: " << sizes.status().message() << "\n";
    return 2;
  }
  if (flags.huge_pages) {
    navarch::sim::ReexecWithHugePageHeap(std::vector<std::string>(argv, argv + argc));
  }
  std::printf("heap: %s\n", navarch::sim::HeapDescription().c_str());
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;
  navarch::sim::BenchOptions options;
  options.seed = flags.seed;
  options.explain = flags.explain;
  options.record_events = flags.record_events;
  options.control_plane_cost = flags.control_plane_cost;
  int failures = 0;
  for (const auto& size : *sizes) {
    benchmark::RegisterBenchmark(("BM_Sim/" + size.Name()).c_str(), navarch::sim::RunSize, size,
                                 options, &failures)
        ->Iterations(1)
        ->UseManualTime()
        ->Unit(benchmark::kSecond);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return failures == 0 ? 0 : 1;
}
