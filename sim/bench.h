#pragma once
// Whole-simulation benchmarks: one synthetic scenario (sim/synthetic.h) of
// NODES nodes and PODS pods — half a replicated service, half batch pods that
// run for 1-5 simulated minutes and succeed — run until idle in a forked
// child process, so that each figure belongs to that benchmark alone. Shared
// by `navarch sim-bench` and the bench/sim_bench program.
//
// What is measured:
//   wall_seconds   steady-clock time of Runner::Run in the child: building the
//                  world, creating every object and simulating to the end.
//   cpu_seconds    the child's user + system CPU time (wait4 rusage): the
//                  figure to compare on a machine shared with other work.
//   peak_rss_bytes the child's peak resident set size (rusage ru_maxrss).
//   events         events the simulation processed (report.events_processed).
// The child exits (`_exit`) as soon as the report is in, without freeing the
// simulated world: at 5,000 nodes that is gigabytes of small objects whose
// release is not part of the simulation, and the process exit returns them.
//
// Wall-clock time is read here to measure a run; the run itself never sees it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace navarch::sim {

struct BenchSize {
  int32_t nodes = 0;
  int32_t pods = 0;
  // "NODESxPODS".
  std::string Name() const;
};

// Parses "500x10000,5000x100000". kInvalidArgument naming the bad item.
Result<std::vector<BenchSize>> ParseBenchSizes(std::string_view list);

struct BenchOptions {
  uint64_t seed = 1;
  // Record every scheduling decision with its explanation (slower).
  bool explain = false;
  // The components record Kubernetes Events (a scenario's api.recordEvents).
  bool record_events = true;
  // The control plane's cost (client limits, request latency, scheduling
  // cost; a scenario's controlPlane); false: controlPlane: ideal.
  bool control_plane_cost = true;
};

struct BenchResult {
  BenchSize size;
  double wall_seconds = 0;
  double cpu_seconds = 0;
  int64_t peak_rss_bytes = 0;
  uint64_t events = 0;
  double sim_seconds = 0;  // simulated time at the end
  int64_t pods_created = 0;
  int64_t pods_running = 0;
  int64_t batch_succeeded = 0;
  bool passed = false;      // every expectation of the synthetic scenario held
  std::string stop_reason;  // "idle", "max-duration", ...

  double EventsPerSecond() const { return wall_seconds > 0 ? events / wall_seconds : 0.0; }
};

// Runs one benchmark in a forked child and waits for it. kInternal when the
// child could not be started or died without a result (the message says how);
// the child's own errors (a scenario the control plane refuses) come back with
// their message.
Result<BenchResult> RunBenchmark(const BenchSize& size, const BenchOptions& options);

// Whether this process allocates with tcmalloc (linked in, as navarch and the
// benchmarks are by default, or preloaded).
bool TcmallocHeap();

// Whether the glibc allocator of this process asks for transparent huge pages
// for its heap (GLIBC_TUNABLES sets glibc.malloc.hugetlb to 1 or 2; false
// under tcmalloc, which ignores it).
bool HugePageHeap();

// The allocator in use, for reports: "tcmalloc (gperftools 2.10)", "glibc
// malloc, transparent huge pages (glibc.malloc.hugetlb=1)" or "glibc malloc".
std::string HeapDescription();

// Re-executes this program (/proc/self/exe with `argv`) with
// glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES, so that glibc's allocator
// asks for transparent huge pages for its heap: a simulation of 100,000 pods
// touches gigabytes of fresh heap, and 4 KiB page faults are then a large
// share of its time. Returns only when it did not re-execute: tcmalloc is the
// allocator, the tunable is already set (or set to something else by the
// user), or exec failed.
void ReexecWithHugePageHeap(const std::vector<std::string>& argv);

}  // namespace navarch::sim
