#pragma once
// Scheduler benchmarks in the shape of Kubernetes' scheduler_perf: build a
// cluster of N nodes, place M initial pods, then time K measured pods, under
// one scheduler and one mode, and report throughput, decision latency and
// placement quality. `navarch bench` drives it (cmd/navarch/cmd_bench.cpp).
//
// Workloads (names "<Kind>/<N>Nodes" or "<Kind>/<N>Nodes_<K>", K measured
// pods, e.g. "10k" or "2500"):
//   SchedulingBasic  the exact mirror of scheduler_perf's SchedulingBasic:
//                    nodes 4 cpu / 32Gi / 110 pods (one zone label per node
//                    group of scheduler_perf: none), pods requesting and
//                    limited to 100m / 500Mi with containerPort 80 (no host
//                    port). 500Nodes = 500 nodes, 500 initial, 1,000
//                    measured; 5000Nodes = 5,000 nodes, 1,000 initial, 1,000
//                    measured. Other sizes: 1,000 initial, 1,000 measured.
//   Plain            heterogeneous nodes (4/16Gi, 8/32Gi, 16/64Gi, 32/128Gi,
//                    110 pods) in 3 zones; pods of 250m / 512Mi from 20
//                    replication controllers. N/2 initial pods (at most
//                    20,000); K defaults to 10,000.
//   NodeSelector     as Plain; a quarter of the nodes are labelled
//                    disk=ssd and the measured pods select them.
//   Spread           as Plain; the measured pods belong to 5 controllers, so
//                    SelectorSpread matters (zone and node skew).
//   Mixed            as Plain with pods of three sizes (250m/1Gi, 1/4Gi,
//                    6/24Gi) whose measured demand exceeds what is free by
//                    about 10%: fragmentation and unschedulable pods show.
//
// Modes:
//   api     end to end through the in-process Api: LocalApi over a
//           MemoryStore, the real watch-driven Scheduler on a ManualClock.
//           Pods are created in waves; a pod counts when the harness's own
//           watch sees it bound. Throughput = measured pods / wall time from
//           the first create to the last bind; latency = created -> seen bound.
//   sqlite  the same over a SqliteStore (sync=normal) in a temporary file.
//   core    the decision core alone: NodeTable + Decider (one Decide and an
//           assumption per pod) or FlowDecider (one round per wave); latency
//           is per decision, for flow the duration of the pod's round.
//
// Schedulers: a built-in profile name (spread, binpack, flow, flow-binpack),
// optionally "@PCT" for node sampling (percentage_of_nodes_to_score; @0 =
// adaptive as in Kubernetes), e.g. "spread@0".
//
// Quality (over the cluster after the measured pods):
//   cpu/mem utilisation  requested / allocatable, all nodes;
//   unschedulable        measured pods left unbound;
//   fragmented           of those, pods that would fit in the aggregate free
//                        cpu, memory and pod slots (taken greedily in order);
//   zone skew            max over spread groups of (most - fewest pods of the
//                        group in one zone), over zones with schedulable nodes;
//   node skew            max over spread groups of (most - fewest pods of the
//                        group on one node that could take one); without
//                        spread groups (SchedulingBasic), most - fewest pods
//                        on one schedulable node.
//
// Throughput and latency are wall time on the host (steady_clock); the
// measured phase's CPU time (this thread's) is reported beside it. These are
// the only clocks read here; the cluster runs in virtual time.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/pod_info.h"
#include "sim/report.h"

namespace navarch::sim {

struct SchedBenchWorkload {
  std::string name;
  std::string kind;  // SchedulingBasic | Plain | NodeSelector | Spread | Mixed
  int64_t nodes = 0;
  int64_t initial_pods = 0;
  int64_t measured_pods = 0;
};

// Parses a workload name (see above); kInvalidArgument saying what is wrong.
Result<SchedBenchWorkload> ParseSchedBenchWorkload(const std::string& name);
// The kinds, for help texts.
std::vector<std::string> SchedBenchKinds();

struct SchedBenchOptions {
  uint64_t seed = 1;
  // Pods created (api, sqlite) or decided (core, flow rounds) per wave;
  // 0 = all measured pods in one wave.
  int64_t wave = 1000;
  // Directory for the sqlite mode's temporary database.
  std::string temp_dir = "/tmp";
  // Called once at the end of a run with the node table the quality columns
  // were computed from (core: the decision core's table; api/sqlite: the
  // Scheduler's cache, every placed pod in it) — for tests that check each
  // node's requests against its allocatable. Not timed.
  std::function<void(const scheduler::NodeTable&)> on_finish;
};

struct SchedBenchResult {
  std::string workload;
  std::string scheduler;
  std::string mode;
  int64_t nodes = 0;
  int64_t initial_pods = 0;
  int64_t measured_pods = 0;
  int64_t scheduled = 0;  // measured pods bound / placed
  double seconds = 0;     // wall time of the measured phase
  double setup_seconds = 0;
  double pods_per_second = 0;
  // CPU time of this thread in the measured phase (everything of a run —
  // Api, store, watches, Scheduler — runs on the calling thread), and
  // measured pods per CPU second: the figure to compare on a machine shared
  // with other work, where wall time includes waiting for a core.
  double cpu_seconds = 0;
  double pods_per_cpu_second = 0;
  double latency_p50_us = 0;
  double latency_p99_us = 0;
  double cpu_utilisation = 0;  // 0..1
  double memory_utilisation = 0;
  int64_t unschedulable = 0;
  int64_t fragmented = 0;
  int64_t zone_skew = 0;
  int64_t node_skew = 0;
  // Flow only: rounds, and the longest round's wall time.
  int64_t flow_rounds = 0;
  double flow_max_round_ms = 0;
};

// Runs one workload under one scheduler in one mode ("api", "sqlite",
// "core"). kInvalidArgument for an unknown scheduler or mode.
Result<SchedBenchResult> RunSchedBench(const SchedBenchWorkload& workload,
                                       const std::string& scheduler, const std::string& mode,
                                       const SchedBenchOptions& options);

// The quality columns of `result` (cpu/memory utilisation, unschedulable,
// fragmented, zone and node skew; see the top of this file) from the node
// table after placement and the measured pods left unbound, in the order
// they were created (fragmentation takes the aggregate free capacity
// greedily in that order). Overwrites exactly those fields.
void ComputeSchedBenchQuality(const scheduler::NodeTable& table,
                              const std::vector<const scheduler::PodInfo*>& unbound,
                              SchedBenchResult& result);

// kube-scheduler's figure for a workload measured on this machine with its
// own scheduler_perf (pods/s), or 0 when none was measured.
double KubeSchedulerReference(const std::string& workload);

// The side-by-side table: format "markdown", "csv" or "json". CSV follows
// RFC 4180 (a cell holding a comma, quote or line break is quoted, quotes
// doubled); JSON is an array of objects, one per result.
Result<std::string> FormatSchedBench(const std::vector<SchedBenchResult>& results,
                                     const std::string& format);

// ---- navarch sim --compare ------------------------------------------------

// One scenario run under one scheduler, for the comparison table.
struct SimComparisonRow {
  std::string scheduler;
  const Report* report = nullptr;
  double wall_seconds = 0;  // host time of the run
};

// The side-by-side table of runs of one scenario: wall time, pods created /
// scheduled / left pending, scheduling and startup latency (simulated time,
// p50/p99), cpu and memory utilisation (mean and final), node skew (max over
// controllers of most - fewest running pods of the controller on one ready
// node) and the expectations passed. Format "markdown", "csv" or "json".
Result<std::string> FormatSimComparison(const std::vector<SimComparisonRow>& rows,
                                        const std::string& format);

}  // namespace navarch::sim
