// navarch sim SCENARIO: run a scenario in the discrete-event simulator, print
// a summary, and write report.json and results.db.
//
// The progress bar is the one place that reads a wall clock (for its
// events/s figure); it only observes the run.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/navarch/cmd_kubelet_runtime.h"
#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "sim/report.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/sched_bench.h"

namespace navarch::cmd {

namespace {

// Draws "[#####.....]  3m20s / 15m0s  1.2M events  850k events/s" on stderr.
class ProgressBar {
 public:
  ProgressBar() : started_(std::chrono::steady_clock::now()) {}

  void Draw(const sim::RunProgress& p) {
    const double total = static_cast<double>(p.horizon.count());
    double frac = total > 0 ? static_cast<double>(p.elapsed.count()) / total : 1;
    if (p.done || frac > 1) frac = p.done ? 1 : std::min(frac, 1.0);
    const int width = 30;
    const int filled = static_cast<int>(frac * width);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double rate = wall > 0 ? static_cast<double>(p.events) / wall : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    std::fprintf(stderr,
                 "\r[%s] %s / %s  %llu events  %.0f events/s  %lld running  %lld pending\033[K",
                 bar.c_str(), FormatDuration(p.elapsed).c_str(), FormatDuration(p.horizon).c_str(),
                 static_cast<unsigned long long>(p.events), rate,
                 static_cast<long long>(p.pods_running), static_cast<long long>(p.pods_pending));
    if (p.done) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  std::chrono::steady_clock::time_point started_;
};

}  // namespace

int RunSim(const Args& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "navarch sim SCENARIO: run a scenario in the deterministic simulator\n"
      "Prints a summary, writes DIR/report.json and DIR/results.db. Exit code 0 when\n"
      "every expectation passed, 1 when one failed, 2 for a usage error or an invalid\n"
      "scenario (every problem printed as FILE:LINE: FIELD: MESSAGE).\n\nOptions");
  std::string scenario_path, profile, out, compare, format, runtime_model;
  uint64_t seed = 0;
  double scale = 1;
  std::string sample = "10s";
  bool no_progress = false;
  desc.add_options()("help,h", "show this help")("seed", po::value(&seed),
                                                 "random seed (default: the scenario's)")(
      "scheduler", po::value(&profile),
      "scheduler profile: spread, binpack, flow or flow-binpack (default: the scenario's)")(
      "compare", po::value(&compare),
      "run the scenario once per listed profile (e.g. spread,binpack,flow) and print a "
      "comparison table; reports go to DIR/<profile>/")(
      "format", po::value(&format)->default_value("markdown"),
      "comparison table format: markdown, csv or json (with --compare)")(
      "out", po::value(&out), "output directory (default: out/<scenario name>)")(
      "scale", po::value(&scale)->default_value(1.0),
      "shrink node groups and replicas by this factor in (0, 1] for a quick run")(
      "sample-interval", po::value(&sample)->default_value("10s"),
      "time-series sampling period in simulated time")("no-progress", po::bool_switch(&no_progress),
                                                       "never draw the progress bar")(
      "runtime-model", po::value(&runtime_model),
      "replace the scenario's runtime: section with this file's (e.g. one written by "
      "navarch calibrate)")("scenario", po::value(&scenario_path), "scenario file (positional)");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  if (int rc = ParseOptions("sim", args, desc, pos, vm); rc >= 0) return rc;
  auto interval = ParseSampleInterval("sim", sample);
  if (!interval) return 2;

  auto scenario = LoadScenarioArg("sim", scenario_path);
  if (!scenario) return 2;
  std::optional<sim::RuntimeModel> model;
  if (!runtime_model.empty()) {
    auto m = LoadRuntimeModel(runtime_model);
    if (!m.ok()) {
      std::cerr << "navarch sim: --runtime-model: " << m.status().message() << "\n";
      return 2;
    }
    model = std::move(*m);
    scenario->runtime = *model;
  }
  if (out.empty()) out = "out/" + scenario->name;

  if (!compare.empty()) {
    if (vm.count("scheduler")) {
      std::cerr << "navarch sim: --compare and --scheduler exclude each other; list every "
                   "profile in --compare\n";
      return 2;
    }
    if (format != "markdown" && format != "csv" && format != "json") {
      std::cerr << "navarch sim: --format " << format << ": use markdown, csv or json\n";
      return 2;
    }
    std::vector<std::string> names;
    std::stringstream list(compare);
    for (std::string item; std::getline(list, item, ',');) {
      if (!item.empty()) names.push_back(item);
    }
    if (names.empty()) {
      std::cerr << "navarch sim: --compare: list at least one profile, e.g. spread,binpack,flow\n";
      return 2;
    }
    std::vector<sim::Report> reports;
    std::vector<double> walls;
    reports.reserve(names.size());
    bool all_passed = true;
    for (const auto& name : names) {
      auto again = sim::LoadScenarioFile(scenario_path);
      if (!again.ok()) {
        std::cerr << again.status().message() << "\n";
        return 2;
      }
      if (model) again->runtime = *model;
      sim::RunnerOptions options;
      if (vm.count("seed")) options.seed = seed;
      options.scheduler_profile = name;
      options.scale = scale;
      options.sample_interval = *interval;
      std::cerr << "navarch sim: " << scenario->name << " with " << name << " ...\n";
      const auto started = std::chrono::steady_clock::now();
      sim::Runner runner(std::move(*again), std::move(options));
      auto report = runner.Run();
      walls.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (!report.ok()) {
        std::cerr << "navarch sim: --compare " << name << ": " << report.status().message() << "\n";
        return 2;
      }
      all_passed &= report->Passed();
      const std::string dir = out + "/" + name;
      if (Status st = sim::WriteReportFiles(*report, dir); !st.ok()) {
        std::cerr << "navarch sim: " << st.message() << "\n";
        return 2;
      }
      reports.push_back(std::move(*report));
    }
    std::vector<sim::SimComparisonRow> rows;
    for (size_t i = 0; i < names.size(); ++i)
      rows.push_back({names[i], &reports[i], walls[i]});
    auto table = sim::FormatSimComparison(rows, format);
    if (!table.ok()) {
      std::cerr << "navarch sim: " << table.status().message() << "\n";
      return 2;
    }
    std::cout << "scenario " << scenario->name << " (seed " << reports.front().seed
              << "), one run per scheduler; latencies in simulated time, wall s on this host\n"
              << *table << "wrote " << out << "/<profile>/report.json and results.db\n";
    return all_passed ? 0 : 1;
  }

  sim::RunnerOptions options;
  if (vm.count("seed")) options.seed = seed;
  if (vm.count("scheduler")) options.scheduler_profile = profile;
  options.scale = scale;
  options.sample_interval = *interval;
  std::optional<ProgressBar> bar;
  if (!no_progress && isatty(STDERR_FILENO)) {
    bar.emplace();
    options.progress = [&bar](const sim::RunProgress& p) { bar->Draw(p); };
  }

  sim::Runner runner(std::move(*scenario), std::move(options));
  auto report = runner.Run();
  if (!report.ok()) {
    std::cerr << "navarch sim: " << report.status().message() << "\n";
    return 2;
  }
  std::cout << sim::SummaryTable(*report, isatty(STDOUT_FILENO) != 0);
  if (Status st = sim::WriteReportFiles(*report, out); !st.ok()) {
    std::cerr << "navarch sim: " << st.message() << "\n";
    return 2;
  }
  std::cout << "wrote " << out << "/report.json and " << out << "/results.db\n";
  return report->Passed() ? 0 : 1;
}

}  // namespace navarch::cmd
