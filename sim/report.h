#pragma once
// Report: the outcome of one simulation run — summary figures, latencies,
// utilisation, recoveries, expectation verdicts, the scenario events as they
// were applied, the time series, one row per pod and one per scheduling
// decision — and its three renderings:
//
//   ReportJson()      report.json: deterministic (same scenario + seed ⇒
//                     byte-identical text), keys in a fixed order, no
//                     wall-clock fields; durations and times are seconds of
//                     simulated time with exactly three decimals, ratios with
//                     exactly four. Scheduling decisions are left out (they
//                     are in results.db).
//   WriteResultsDb()  results.db: SQLite tables run, series, pods,
//                     decisions, events, expectations, recoveries (schema in
//                     docs/sim.md). An existing file is replaced.
//   SummaryTable()    the human summary `navarch sim` prints.
//
// Times in a report are durations since the start of the run.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"
#include "sim/metrics.h"

namespace navarch::sim {

struct LatencySummary {
  int64_t count = 0;
  Duration p50{}, p90{}, p99{}, max{}, mean{};
};
// Nearest-rank percentiles of `values` (sorted or not).
LatencySummary Summarize(std::vector<Duration> values);
// The nearest-rank `percentile` (0-100] of sorted `values`; 0 when empty.
Duration Percentile(const std::vector<Duration>& sorted, double percentile);

struct UtilisationSummary {
  double cpu_mean = 0, cpu_peak = 0, cpu_final = 0;
  double memory_mean = 0, memory_peak = 0, memory_final = 0;
};

// A scenario event as the runner applied it.
struct EventRecord {
  std::string path;  // "events[2]"
  std::string type;  // "failNode"
  Duration at{};
  std::string target;  // what it acted on ("node-3", "ReplicationController default/web")
  std::string result;  // "ok" or the error
};

struct ExpectationResult {
  std::string path;  // "expect[1]"
  std::string type;  // "runningReplicas"
  int line = 0;
  std::string description;  // "runningReplicas app=web >= 3 by 2m"
  Duration checked_at{};
  bool passed = false;
  std::string message;  // the observed value, and why it failed
};

// One pod's life, flattened. `phase` is the last phase observed, or
// "Terminating" (being deleted) or "Deleted".
struct PodRow {
  std::string namespace_, name, controller, node, phase;
  Duration created{};
  std::optional<Duration> scheduled, started, ready, finished, deleted;
  // Deleted with a DisruptionTarget condition: when, and its reason
  // ("DeletionByTaintManager").
  std::optional<Duration> evicted;
  std::string eviction_reason;
  int32_t restarts = 0;
  int32_t scheduling_attempts = 0;
  int64_t cpu_millis = 0, memory_bytes = 0;
};

struct Report {
  // The scenario and how it was run.
  std::string scenario;
  std::string description;
  uint64_t seed = 0;
  std::string scheduler_profile;
  Duration horizon{};
  bool run_until_idle = false;
  double scale = 1;

  // How the run ended.
  std::string stop_reason;  // "duration", "idle", "max-duration", "drained"
  Duration ended_at{};
  uint64_t events_processed = 0;

  // Pods: totals over the run, and the state at the end.
  int64_t pods_created = 0, pods_scheduled = 0, pods_started = 0;
  int64_t pods_succeeded_total = 0, pods_failed_total = 0, pods_deleted = 0;
  int64_t pods_evicted = 0;
  int64_t pods_pending = 0, pods_running = 0, pods_succeeded = 0, pods_failed = 0;
  int64_t pods_terminating = 0;
  int64_t restarts = 0;
  int64_t nodes = 0, nodes_ready = 0;

  LatencySummary scheduling_latency;  // created -> bound
  LatencySummary startup_latency;     // created -> Running
  UtilisationSummary utilisation;

  struct SchedulerFigures {
    uint64_t attempts = 0, scheduled = 0, unschedulable = 0, bind_errors = 0;
  } scheduler;

  std::vector<Recovery> recoveries;
  std::vector<ExpectationResult> expectations;
  std::vector<EventRecord> events;
  std::vector<SeriesSample> series;
  std::vector<PodRow> pods;
  std::vector<DecisionRecord> decisions;
  // What changed, in order (results.db `timeline`).
  std::vector<TimelineEntry> timeline;
  // The Kubernetes Events in the Api at the end, by first time (results.db
  // `kube_events`); shared with the store, not copied. `start` is the run's
  // start, for their times.
  std::vector<std::shared_ptr<const api::Event>> kube_events;
  Time start;

  // True when every expectation passed.
  bool Passed() const;
};

// "12.345": seconds with exactly three decimals (rounded to the millisecond).
std::string FormatSeconds(Duration d);

std::string ReportJson(const Report& report);
Status WriteResultsDb(const Report& report, const std::string& path);
// Creates `dir` if needed and writes report.json and results.db into it.
Status WriteReportFiles(const Report& report, const std::string& dir);
// `color`: mark expectations with ✓/✗ (always) and ANSI colours (if true).
std::string SummaryTable(const Report& report, bool color = false);

}  // namespace navarch::sim
