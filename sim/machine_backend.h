#pragma once
// MachineBackend: where the machines of a scenario run their containers and
// which clock drives the run — the seam that lets one Runner play a scenario
// either in the simulator or on real hosts.
//
// Without a backend (RunnerOptions::backend == nullptr) the Runner is the
// simulator: the Engine's virtual clock, one SimRuntime per machine, and a
// run that jumps from instant to instant. With a backend the Runner builds
// the same control plane, the same SimCloud (machine names, labels,
// capacity, zones and racks, boot latency of added machines, failures) and
// the same Metrics, but
//   * every component runs on backend.clock() (real time),
//   * a machine that comes up gets its kubelet's runtime from RuntimeFor(),
//   * a machine that goes down (failed, removed) is PowerOff()ed after its
//     kubelet stopped, and
//   * the run advances by RunUntil() instead of the Engine.
//
// Contract for implementations:
//   Check()     called once before anything is built, with the scenario as
//               it will run (after scaling): every feature the backend cannot
//               provide is kInvalidArgument naming the scenario field or
//               event, the backend and what to do instead — never silently
//               ignored.
//   RuntimeFor  called on the loop the first time a machine comes up; the
//               runtime stays owned by the backend and is reused when the
//               machine comes up again, so it outlives every kubelet of the
//               run.
//   PowerOff    called on the loop after the machine's kubelet stopped: its
//               containers stop and go away (asynchronously; the backend
//               keeps the work alive until it is destroyed).
//   RunUntil    runs the clock's loop on the calling thread until `done()`
//               holds (it is checked periodically on the loop, at least
//               every few hundred milliseconds), `deadline` passes or the run
//               is interrupted (e.g. by Ctrl-C).
//
// Threading: everything on the calling thread, which runs the loop.

#include <functional>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/base/time.h"
#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"

namespace navarch::sim {

struct Scenario;
struct SimMachine;

class MachineBackend {
 public:
  virtual ~MachineBackend() = default;

  // "docker": names the backend in reports and messages.
  virtual std::string_view name() const = 0;
  // See above.
  virtual Status Check(const Scenario& scenario) = 0;
  virtual runtime::Clock& clock() = 0;
  virtual runtime::ContainerRuntime& RuntimeFor(const SimMachine& machine) = 0;
  virtual void PowerOff(const std::string& node) = 0;

  enum class Stop {
    kDone,         // done() held
    kDeadline,     // the deadline passed first
    kInterrupted,  // the run was interrupted
  };
  virtual Stop RunUntil(Time deadline, const std::function<bool()>& done) = 0;
};

}  // namespace navarch::sim
