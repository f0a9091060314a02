// navarch bench: scheduler benchmarks in the shape of Kubernetes'
// scheduler_perf, every workload under every scheduler and mode, printed as
// one side-by-side table. The harness is sim/sched_bench.h.
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "sim/bench.h"
#include "sim/sched_bench.h"

namespace navarch::cmd {
namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int RunBench(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "navarch bench: scheduler throughput, latency and placement quality\n"
      "Runs each benchmark under each scheduler in each mode and prints one table.\n"
      "Benchmarks: KIND/<N>Nodes[_<K>] with KIND SchedulingBasic (scheduler_perf's),\n"
      "Plain, NodeSelector, Spread or Mixed; K measured pods (e.g. 10k).\n"
      "Schedulers: spread, binpack, flow, flow-binpack; NAME@PCT samples PCT% of the\n"
      "nodes (@0 = adaptive). Modes: api (in-process Api, memory store, watch-driven\n"
      "Scheduler), sqlite (the same over SQLite), core (the decision core alone).\n"
      "Throughput is wall time on this host, and per CPU second of the measured phase\n"
      "(the figure to compare on a busy machine). See docs/scheduling.md.\n\nOptions");
  std::string benchmarks = "SchedulingBasic/500Nodes,SchedulingBasic/5000Nodes";
  std::string schedulers = "spread,binpack,flow";
  std::string modes = "api";
  std::string format = "markdown";
  uint64_t seed = 1;
  int64_t wave = 1000;
  bool huge_pages = true;
  desc.add_options()("help,h", "show this help")(
      "benchmarks", po::value(&benchmarks)->default_value(benchmarks), "comma-separated list")(
      "scheduler", po::value(&schedulers)->default_value(schedulers), "comma-separated list")(
      "mode", po::value(&modes)->default_value(modes), "comma-separated: api, sqlite, core")(
      "seed", po::value(&seed)->default_value(seed), "seed of node sizes and pod mixes")(
      "wave", po::value(&wave)->default_value(wave),
      "measured pods created (or, in core mode, flow-decided) per wave; 0 = all at once")(
      "format", po::value(&format)->default_value(format), "markdown, csv or json")(
      "huge-pages", po::value(&huge_pages)->default_value(true),
      "back the heap with transparent huge pages (re-runs the program with "
      "GLIBC_TUNABLES=glibc.malloc.hugetlb=1 unless GLIBC_TUNABLES already sets it; only "
      "for glibc malloc: a build with tcmalloc, the default, ignores it); "
      "false keeps the allocator as it is");
  po::positional_options_description pos;
  po::variables_map vm;
  if (int rc = ParseOptions("bench", args, desc, pos, vm); rc >= 0) return rc;
  if (format != "markdown" && format != "csv" && format != "json") {
    std::cerr << "navarch bench: --format " << format << ": use markdown, csv or json\n";
    return 2;
  }
  if (wave < 0) {
    std::cerr << "navarch bench: --wave " << wave << ": give 0 or a positive count\n";
    return 2;
  }
  std::vector<sim::SchedBenchWorkload> workloads;
  for (const auto& name : SplitList(benchmarks)) {
    auto w = sim::ParseSchedBenchWorkload(name);
    if (!w.ok()) {
      std::cerr << "navarch bench: --benchmarks: " << w.status().message() << "\n";
      return 2;
    }
    workloads.push_back(*w);
  }
  if (huge_pages) {
    std::vector<std::string> argv = {"navarch", "bench"};
    argv.insert(argv.end(), args.begin(), args.end());
    sim::ReexecWithHugePageHeap(argv);  // returns only when it did not re-execute
  }
  std::cerr << "navarch bench: heap: " << sim::HeapDescription() << "\n";
  const auto sched_list = SplitList(schedulers);
  const auto mode_list = SplitList(modes);
  if (workloads.empty() || sched_list.empty() || mode_list.empty()) {
    std::cerr << "navarch bench: --benchmarks, --scheduler and --mode need at least one entry\n";
    return 2;
  }
  sim::SchedBenchOptions options;
  options.seed = seed;
  options.wave = wave;
  std::vector<sim::SchedBenchResult> results;
  for (const auto& w : workloads) {
    for (const auto& mode : mode_list) {
      for (const auto& s : sched_list) {
        std::cerr << "navarch bench: " << w.name << " " << s << " " << mode << " ..." << std::flush;
        auto r = sim::RunSchedBench(w, s, mode, options);
        if (!r.ok()) {
          std::cerr << "\nnavarch bench: " << r.status().message() << "\n";
          return 2;
        }
        std::cerr << " " << static_cast<int64_t>(r->pods_per_second) << " pods/s, "
                  << static_cast<int64_t>(r->pods_per_cpu_second) << " pods per CPU second\n";
        results.push_back(std::move(*r));
      }
    }
  }
  auto table = sim::FormatSchedBench(results, format);
  if (!table.ok()) {
    std::cerr << "navarch bench: " << table.status().message() << "\n";
    return 2;
  }
  std::cout << *table;
  return 0;
}

}  // namespace navarch::cmd
