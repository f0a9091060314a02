#pragma once
// Runner: runs one Scenario in the discrete-event simulator and produces its
// Report. It wires the *real* control plane to simulated seams:
//
//   Engine        virtual clock (ManualClock) and seeded Rng streams
//   MemoryStore   + LocalApi (encode_values = false; the scenario's watch
//                 latency, as its mean, is LocalApi's watch delay)
//   Scheduler     with the scenario's profile (or the override)
//   controllers   ReplicationManager, NodeLifecycleController (the scenario's
//                 grace period, eviction timeout and rates), EndpointsController,
//                 sharing one InformerSet
//   SimCloud      the scenario's node groups; per machine a SimRuntime
//                 (stream "runtime/<node>") and a Kubelet, started when the
//                 machine comes up, stopped (and its runtime powered off) when
//                 it goes down, cut from the Api while partitioned
//   Metrics       watches the Api like an outside observer; the scheduler's
//                 decision observer feeds it too
//
// The runner also plays two parts of a cluster that have no controller in
// core/ yet: when a machine is removed from the cloud it deletes the Node
// and force-deletes the pods bound to it (the cloud node controller and the
// pod garbage collector of Kubernetes).
//
// Timeline. At t=0 the cloud bootstraps its machines, their kubelets start
// and register their Nodes, and then the scenario's objects are created (in
// file order). Each scenario event runs at its time
// (events at the same time in file order); an event that fails at run time
// (an object that already exists, a node already gone) is recorded with its
// error and the run goes on. Expectations with `by` are checked at that time,
// the others at the end. The time series is sampled every sample_interval
// from t=0, and once more at the end.
//
// End. With `duration`, the run stops at that time. With run-until-idle it
// stops as soon as the simulated world is idle — no scenario event or
// expectation check left, no machine booting, the scheduler has no pod it
// could still place (active or back-off; unschedulable pods do not count),
// every replication controller has its replicas, and no pod is starting or
// terminating on a node that is alive — or at max_duration. Periodic work
// (heartbeats, resyncs) does not keep a run alive.
//
// Scale. RunnerOptions::scale (0 < scale <= 1) shrinks a scenario for quick
// runs: node group counts and size ranges, ReplicationController replicas
// (objects, applied manifests, scale events), addNodes counts and the
// at_least of runningReplicas and readyNodes expectations are multiplied by
// it (rounded, at least 1). Events naming nodes beyond the
// shrunken groups then fail at run time and are recorded as such.
//
// Backends. RunnerOptions::backend replaces the simulated machines and the
// virtual clock (sim/machine_backend.h: Docker containers in real time);
// everything else above holds, except that on a real clock the run is as
// deterministic as the real world is.
//
// Determinism: nothing reads a wall clock; the same scenario, seed and
// options give the same Report (and the same report.json bytes). The
// progress callback only observes.
//
// Threading: single-threaded. A Runner runs once.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/base/status.h"
#include "core/base/time.h"
#include "sim/report.h"
#include "sim/scenario.h"

namespace navarch::store {
class Store;
}

namespace navarch::sim {

class MachineBackend;

struct RunProgress {
  Duration elapsed{};  // simulated time since the start
  Duration horizon{};  // the end (duration or max_duration)
  uint64_t events = 0;
  int64_t pods_running = 0;
  int64_t pods_pending = 0;
  bool done = false;  // the last call of a run
};

struct RunnerOptions {
  // Overrides the scenario's seed.
  std::optional<uint64_t> seed;
  // Overrides the scenario's scheduler profile ("spread", "binpack").
  std::optional<std::string> scheduler_profile;
  // Time-series sampling period (simulated time).
  Duration sample_interval = seconds(10);
  // See "Scale" above.
  double scale = 1.0;
  // Keep one record per scheduling attempt, with its explanation (the
  // scheduler then explains every decision: slower on large clusters).
  bool record_decisions = true;
  // Keep one row per pod in the report.
  bool record_pods = true;
  // Called about every `progress_every` events, and once at the end.
  std::function<void(const RunProgress&)> progress;
  uint64_t progress_every = 50'000;
  // Keep the simulated world until the Runner is destroyed instead of
  // freeing it at the end of Run(). A benchmark that measures Run() and then
  // exits the process without destroying the Runner skips the teardown.
  bool defer_teardown = false;
  // Where machines run their containers and which clock drives the run
  // (sim/machine_backend.h). Null: the simulator. Must outlive the Runner.
  // With a backend: the run is in that clock's time, events_processed is 0,
  // an interrupted run ends with stop_reason "interrupted", and the
  // scenario's api.watchLatency is not applied (Check() refuses it).
  MachineBackend* backend = nullptr;
  // The store behind the Api. Null: an in-memory store of the run's own.
  // Given: values are encoded as JSON (any Store works). Must outlive the
  // Runner.
  store::Store* store = nullptr;
};

class Runner {
 public:
  Runner(Scenario scenario, RunnerOptions options = {});
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Builds the world and runs it to the end. kInvalidArgument for options or
  // a scenario the control plane refuses (bad scale, unknown profile or
  // plugin, an initial object the Api rejects); every such problem named.
  Result<Report> Run();

 private:
  class World;
  Scenario scenario_;
  RunnerOptions options_;
  bool ran_ = false;
  std::unique_ptr<World> world_;  // only with RunnerOptions::defer_teardown
};

// Applies RunnerOptions::scale to a scenario (exposed for tests).
Status ScaleScenario(Scenario& scenario, double scale);

}  // namespace navarch::sim
