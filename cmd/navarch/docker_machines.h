#pragma once
// DockerMachines: the scenario runner's MachineBackend (sim/machine_backend.h)
// on the local dockerd, for `navarch run SCENARIO --backend docker`.
//
// Each scenario machine gets its own DockerRuntime (a kubelet per machine,
// all on one AsioClock driven by the calling thread); every sandbox and
// container of the run carries the label io.navarch.run=<run id>, so that
// Cleanup() finds exactly what this run created. A machine that fails or is
// removed loses its containers (PowerOff removes its sandboxes, which takes
// their containers with them); when it recovers, its kubelet starts again on
// the same runtime and restarts the pods still bound to it.
//
// What Check() refuses (before anything runs, each problem on its own line,
// naming the scenario file, line and field, and the backend):
//   * partitionNode/Rack/Zone and healNode/Rack/Zone events — every kubelet
//     of the run shares this host's network and process, so one cannot be
//     cut off from the API;
//   * a `runtime:` section — it describes simulated containers (latencies,
//     run durations, exit codes, crash and probe outcomes); on Docker the
//     containers' own commands decide;
//   * `api.watchLatency` — a simulated API delay;
//   * a container image (or the sandbox image) not present locally — no
//     registry is reachable; scripts/build-images builds navarch/pause:1 and
//     navarch/busybox:1;
//   * more machines than max_nodes, or more containers (sandboxes included,
//     every replication controller at the largest size it is given) than
//     max_containers.
//
// Cleanup() runs on a clock of its own: the run's clock may still hold
// callbacks of the destroyed world (timers nobody cancelled), which must never
// run again.
//
// Interrupts. SIGINT and SIGTERM end RunUntil() with kInterrupted (the Runner
// then writes its report as of that moment); Cleanup() still runs.
//
// Threading: one thread — the caller's — runs the loop inside Check(),
// RunUntil() and Cleanup(); nothing else may run it meanwhile.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/signal_set.hpp>

#include "backends/docker/docker_runtime.h"
#include "backends/realtime/asio_clock.h"
#include "sim/machine_backend.h"

namespace navarch::cmd {

// The label every sandbox and container of a `navarch run` carries.
inline constexpr const char* kRunLabel = "io.navarch.run";

struct DockerMachinesOptions {
  // Socket and sandbox image; extra_labels get kRunLabel added.
  docker::DockerOptions docker;
  // The value of kRunLabel (unique per run; the caller picks it).
  std::string run_id;
  int64_t max_containers = 200;
  int64_t max_nodes = 20;
  // How often RunUntil() checks its predicate.
  Duration poll = milliseconds(100);
};

class DockerMachines final : public sim::MachineBackend {
 public:
  explicit DockerMachines(DockerMachinesOptions options);
  ~DockerMachines() override;
  DockerMachines(const DockerMachines&) = delete;
  DockerMachines& operator=(const DockerMachines&) = delete;

  // Reaches dockerd. kUnavailable "cannot reach dockerd ..." when it does
  // not answer; kInvalidArgument for bad options.
  Status Connect();

  std::string_view name() const override { return "docker"; }
  Status Check(const sim::Scenario& scenario) override;
  runtime::Clock& clock() override { return clock_; }
  runtime::ContainerRuntime& RuntimeFor(const sim::SimMachine& machine) override;
  void PowerOff(const std::string& node) override;
  Stop RunUntil(Time deadline, const std::function<bool()>& done) override;

  // Removes every sandbox and container labelled with this run's id (on
  // every node), waiting at most `timeout`. Returns how many were removed;
  // kUnavailable if dockerd did not answer in time.
  Result<int> Cleanup(Duration timeout = seconds(60));

  bool interrupted() const { return interrupted_.load(); }

 private:
  // Runs `call` on `clock`'s loop (this thread) until it completes or `timeout`.
  template <class T>
  static Result<T> Await(realtime::AsioClock& clock,
                         const std::function<void(runtime::Callback<T>)>& call, Duration timeout);
  static Status AwaitStatus(realtime::AsioClock& clock,
                            const std::function<void(runtime::StatusCallback)>& call,
                            Duration timeout);
  void WaitForSignal();

  DockerMachinesOptions options_;
  realtime::AsioClock clock_;
  boost::asio::signal_set signals_;
  std::atomic<bool> interrupted_{false};
  std::unique_ptr<docker::DockerRuntime> control_;                          // checks and cleanup
  std::map<std::string, std::unique_ptr<docker::DockerRuntime>> runtimes_;  // by machine
};

// How many containers (pod sandboxes included) a scenario may run at once on
// Docker: every pod object, plus every replication controller at the largest
// replica count it is created, applied or scaled to. Exposed for tests.
int64_t EstimateContainers(const sim::Scenario& scenario);

}  // namespace navarch::cmd
