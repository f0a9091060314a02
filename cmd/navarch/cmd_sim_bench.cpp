// navarch sim-bench: simulator throughput at cluster scale, LevelDB db_bench
// style. Each benchmark builds a synthetic scenario (sim/synthetic.h) —
// NODES nodes, PODS pods, half of them a replicated service and half batch
// pods that run for 1-5 simulated minutes and succeed — and runs it until
// idle in a forked child, so that each figure (wall time, CPU time and peak
// RSS from wait4's rusage, events/s) belongs to that benchmark alone. The
// measuring is in sim/bench.h, shared with bench/sim_bench.
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "sim/bench.h"

namespace navarch::cmd {

int RunSimBench(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "navarch sim-bench: simulator throughput on synthetic clusters\n"
      "Each benchmark NODESxPODS runs NODES nodes with PODS pods (half a replicated\n"
      "service, half batch pods that complete) until idle, in its own process, and\n"
      "prints wall time, CPU time, peak RSS and events/s.\n\nOptions");
  std::string benchmarks = "500x10000";
  uint64_t seed = 1;
  bool explain = false;
  bool huge_pages = true;
  desc.add_options()("help,h", "show this help")(
      "benchmarks", po::value(&benchmarks)->default_value("500x10000"),
      "comma-separated NODESxPODS list, e.g. 5000x100000,10000x100000")(
      "seed", po::value(&seed)->default_value(1), "random seed")(
      "explain", po::bool_switch(&explain),
      "record every scheduling decision with its explanation (slower)")(
      "huge-pages", po::value(&huge_pages)->default_value(true),
      "back the heap with transparent huge pages (re-runs the program with "
      "GLIBC_TUNABLES=glibc.malloc.hugetlb=1 unless GLIBC_TUNABLES already sets it; only "
      "for glibc malloc: a build with tcmalloc, the default, ignores it); "
      "false keeps the allocator as it is");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = ParseOptions("sim-bench", args, desc, pos, vm); rc >= 0) return rc;

  auto list = sim::ParseBenchSizes(benchmarks);
  if (!list.ok()) {
    std::cerr << "navarch sim-bench: --benchmarks: " << list.status().message() << "\n";
    return 2;
  }
  if (huge_pages) {
    std::vector<std::string> argv = {"navarch", "sim-bench"};
    argv.insert(argv.end(), args.begin(), args.end());
    sim::ReexecWithHugePageHeap(argv);  // returns only when it did not re-execute
  }

  std::printf("heap: %s\n", sim::HeapDescription().c_str());
  std::printf("%-14s %9s %9s %10s %12s %12s %10s %9s %s\n", "benchmark", "wall_s", "cpu_s",
              "peak_rss", "events", "events/s", "sim_time", "pods", "result");
  int failures = 0;
  for (const auto& size : *list) {
    sim::BenchOptions options;
    options.seed = seed;
    options.explain = explain;
    auto r = sim::RunBenchmark(size, options);
    if (!r.ok()) {
      std::printf("%-14s failed: %s\n", size.Name().c_str(), r.status().message().c_str());
      ++failures;
      continue;
    }
    char rss[32], sim_time[32], result[64];
    std::snprintf(rss, sizeof rss, "%.0fMiB", static_cast<double>(r->peak_rss_bytes) / (1 << 20));
    std::snprintf(sim_time, sizeof sim_time, "%.0fs", r->sim_seconds);
    std::snprintf(result, sizeof result, "%s, %s", r->stop_reason.c_str(),
                  r->passed ? "all done" : "expectations failed");
    std::printf("%-14s %9.2f %9.2f %10s %12llu %12.0f %10s %9lld %s\n", size.Name().c_str(),
                r->wall_seconds, r->cpu_seconds, rss, static_cast<unsigned long long>(r->events),
                r->EventsPerSecond(), sim_time, static_cast<long long>(r->pods_created), result);
    std::fflush(stdout);
    if (!r->passed) ++failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace navarch::cmd
