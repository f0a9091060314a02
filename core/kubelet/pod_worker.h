#pragma once
// PodWorker: the kubelet's state machine for one pod bound to its node.
//
// It drives the ContainerRuntime towards the pod's spec — sandbox, then init
// containers one at a time in order (each to successful completion), then
// every app container — and keeps it there: restarts per restartPolicy with
// crash back-off, runs liveness / readiness / startup probes, and tears the
// pod down when it is deleted. It never writes the Api's pod status itself:
// it marks its status dirty through the host, and the Kubelet builds the
// status with BuildStatus() and writes it when it changed.
//
// Level-triggered. Every input (a pod update, a container event, an
// operation's completion, a timer) changes the worker's record of the world
// and requests one Sync() (posted on the loop, coalesced); Sync() compares
// that record with the spec and starts the next runtime operations. At most
// one runtime operation per container (and one for the sandbox) is in
// flight; a completion for an operation that was superseded is ignored (each
// operation carries a token).
//
// Cost. An idle pod costs nothing: no polling. Containers without probes
// have no timers; a container with probes has one timer per probe. One
// wake-up timer per pod covers every back-off and retry.
//
// Lifetime. Workers are owned by the Kubelet through shared_ptr; every
// callback holds a weak_ptr, so a destroyed worker (kubelet stopped) is never
// touched. Single-threaded, on the Clock's loop.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/event_recorder.h"
#include "core/kubelet/backoff.h"
#include "core/kubelet/options.h"
#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"

namespace navarch::kubelet {

// What a worker needs from its kubelet.
struct WorkerEnv {
  client::Api* api = nullptr;  // the kubelet's (gated) Api
  runtime::Clock* clock = nullptr;
  runtime::ContainerRuntime* runtime = nullptr;
  const KubeletOptions* options = nullptr;
  std::string host_ip;
  // Images this kubelet pulled (IfNotPresent pulls only the first time).
  std::set<std::string>* pulled_images = nullptr;
  // The pod's status may have changed: the kubelet should (re)build and
  // write it. Called with the pod's uid.
  std::function<void(const std::string&)> status_dirty;
  // The worker finished tearing the pod down and may be destroyed.
  std::function<void(const std::string&)> finished;
  // The outcome of a runtime call (ok or an error), for node health.
  std::function<void(const Status&)> runtime_result;
  // Where the pod's Events go (Pulling, Pulled, Created, Started, Killing,
  // BackOff, Unhealthy, Failed); null = nowhere.
  client::EventRecorder* recorder = nullptr;
};

// What the runtime still holds for one pod when a kubelet starts.
struct AdoptedPod {
  std::vector<runtime::PodSandboxStatus> sandboxes;
  std::vector<runtime::ContainerStatus> containers;
};

class PodWorker : public std::enable_shared_from_this<PodWorker> {
 public:
  enum class Mode {
    kRunning,      // driving the pod towards its spec
    kRejected,     // failed admission: never started
    kTerminal,     // Succeeded or Failed: nothing restarts; the sandbox is stopped
    kTerminating,  // deletionTimestamp set, or the pod left the Api
    kFinished,     // torn down; the kubelet drops the worker
  };

  PodWorker(WorkerEnv& env, std::shared_ptr<const api::Pod> pod);
  ~PodWorker();
  PodWorker(const PodWorker&) = delete;
  PodWorker& operator=(const PodWorker&) = delete;

  // Before the first Sync: take over what a previous kubelet left in the
  // runtime for this pod (its newest sandbox and each container's newest
  // attempt; everything older is removed, keeping one dead attempt per
  // container).
  void Adopt(const AdoptedPod& adopted);
  // Before the first Sync: never start the pod; report phase Failed.
  void Reject(std::string reason, std::string message);
  // Before the first Sync: the Api already says Succeeded/Failed; run nothing.
  void MarkTerminal();

  // A new state of the pod from the Api (resource_version non-decreasing).
  // `own_status_write`: `pod` is the object of the worker's last status
  // write; unless its spec or deletion changed too, the worker only keeps it
  // (no sync, no status flush).
  void UpdatePod(std::shared_ptr<const api::Pod> pod, bool own_status_write = false);
  // The pod left the Api (deleted outright, or no longer bound here): tear
  // it down without writing to the Api.
  void PodRemoved();
  // A container event from the runtime for one of this pod's containers.
  void OnContainerEvent(const runtime::ContainerEvent& ev);

  // Requests a Sync() on the loop (coalesced).
  void RequestSync();

  // The status the pod should have, given `previous` (what the Api holds as
  // far as the kubelet knows; used for transition times and startTime).
  api::PodStatus BuildStatus(const api::PodStatus& previous) const;

  // The status last known to be in the Api: that of the pod object last
  // read or written (kept as that object, shared with the informer and the
  // store, rather than as a copy). The kubelet compares BuildStatus() with it.
  const api::PodStatus& reported() const { return reported_->status; }
  // Whether `pod` is the object reported() comes from.
  bool IsReported(const api::Pod& pod) const { return reported_.get() == &pod; }
  // Ignored when `pod` is older than the object already held.
  void SetReported(std::shared_ptr<const api::Pod> pod);

  const std::string& uid() const { return uid_; }
  // PodRequests() of the pod's spec, computed once per spec.
  const api::ResourceList& requests() const { return requests_; }
  const std::shared_ptr<const api::Pod>& pod() const { return pod_; }
  Mode mode() const { return mode_; }
  // Whether the pod counts against the node's resources (admission).
  bool HoldsResources() const { return mode_ == Mode::kRunning || mode_ == Mode::kTerminating; }

 private:
  enum class CState { kNone, kPulling, kCreating, kStarting, kRunning, kExited };
  struct ProbeRunner {
    api::Probe probe;  // with defaults
    std::optional<runtime::ProbeSpec> spec;
    std::string spec_error;  // why the probe cannot be resolved
    int successes = 0;
    int failures = 0;
    bool result = false;
    bool in_flight = false;
    Time next_at;
    runtime::TimerId timer = 0;
  };
  enum class ProbeKind { kLiveness, kReadiness, kStartup };
  struct Probes {
    std::optional<ProbeRunner> liveness, readiness, startup;
    ProbeRunner* Get(ProbeKind kind);
  };
  struct Ctr {
    bool init = false;
    size_t index = 0;
    std::string name;
    CState state = CState::kNone;
    uint64_t token = 0;       // bumped by every operation started
    runtime::ContainerId id;  // the newest attempt's container
    bool has_attempt = false;
    uint32_t attempt = 0;       // attempt of `id` (== restartCount)
    uint32_t next_attempt = 0;  // attempt number of the next container created
    Time started_at, finished_at;
    int32_t exit_code = 0;
    std::string exit_reason, exit_message;
    std::string image_ref;
    bool stopping = false;
    // Why it is waiting when not running (an error of the last attempt).
    std::string waiting_reason, waiting_message;
    std::optional<api::ContainerStateTerminated> last_terminated;
    runtime::ContainerId previous_dead;  // one dead attempt kept for its logs
    Backoff crash, retry;
    Time restart_at, retry_at;
    bool ready = false;
    bool started = false;
    std::unique_ptr<Probes> probes;  // null when the container has no probes
  };

  const api::Container& SpecOf(const Ctr& c) const;
  Ctr* FindById(const runtime::ContainerId& id);
  std::weak_ptr<PodWorker> Weak() { return weak_from_this(); }
  Time Now() const { return env_.clock->Now(); }
  void Dirty() { env_.status_dirty(uid_); }
  void WakeAt(Time when);
  bool Terminating() const { return mode_ == Mode::kTerminating || mode_ == Mode::kFinished; }

  void Sync();
  void SyncRunning();
  void SyncTerminal();
  void SyncTerminating();
  void SyncContainer(Ctr& c);
  bool ShouldRestart(const Ctr& c) const;
  void EnterTerminating();

  // Sandbox.
  void RunSandbox();
  // Writes runtime::kPublishedPortsAnnotation on the pod when the runtime
  // published its ports on the host (a metadata update, retried on conflict;
  // nothing when the value is already there).
  void RecordPublishedPorts(const std::vector<runtime::PortMapping>& ports);
  void LoseSandbox();
  // Containers.
  void StartAttempt(Ctr& c);
  void Create(Ctr& c);
  void Refresh(Ctr& c);
  void Apply(Ctr& c, const runtime::ContainerStatus& st);
  void OnRunning(Ctr& c, Time started_at);
  // `started_at` zero: as last seen running (or `finished_at` if never).
  void OnExited(Ctr& c, int32_t exit_code, std::string reason, std::string message, Time started_at,
                Time finished_at);
  // Stops the container; `why` is the Killing Event's message ("" = the
  // plain "Stopping container NAME").
  void Kill(Ctr& c, Duration grace, std::string why = {});
  void FailOp(Ctr& c, std::string reason, const Status& status);
  // Records an Event on the pod about container `c`.
  void Event(const Ctr& c, std::string_view type, std::string_view reason, std::string message);
  void RemoveQuietly(const runtime::ContainerId& id);
  // Probes (pod_worker_probes.cpp).
  void StartProbes(Ctr& c);
  void StopProbes(Ctr& c);
  void ArmProbe(Ctr& c, ProbeKind kind);
  void RunProbe(size_t slot, ProbeKind kind, runtime::ContainerId id);
  void OnProbeResult(Ctr& c, ProbeKind kind, const Result<runtime::ProbeResult>& r);
  // Status pieces.
  api::ContainerStatus StatusOf(const Ctr& c, bool init_pending) const;
  Duration PodGrace() const;
  api::ContainerStateTerminated TerminatedOf(const Ctr& c) const;
  size_t SlotOf(const Ctr& c) const { return c.init ? c.index : init_count_ + c.index; }
  Ctr& AtSlot(size_t slot) { return ctrs_[slot]; }

  WorkerEnv& env_;
  std::shared_ptr<const api::Pod> pod_;
  const std::string uid_;
  Mode mode_ = Mode::kRunning;
  bool remove_from_api_ = true;  // kTerminating: delete the pod object at the end
  std::string reject_reason_, reject_message_;
  Time first_seen_;

  std::shared_ptr<const api::Pod> reported_;  // never null
  // Derived from pod_'s spec; recomputed when an update brings a new spec.
  api::ResourceList requests_;
  std::string qos_class_;
  uint64_t reported_revision_ = 0;

  // Sandbox.
  enum class SState { kNone, kCreating, kReady, kStopping, kStopped, kRemoving, kRemoved };
  SState sandbox_state_ = SState::kNone;
  runtime::SandboxId sandbox_id_;
  std::string pod_ip_;
  uint32_t sandbox_attempt_ = 0;
  uint64_t sandbox_token_ = 0;
  Backoff sandbox_retry_;
  Time sandbox_retry_at_;
  bool deleting_ = false;  // the final Api delete is in flight or scheduled
  Backoff api_retry_;
  Time api_retry_at_;

  size_t init_count_ = 0;
  std::vector<Ctr> ctrs_;  // init containers, then app containers; never resized

  bool sync_posted_ = false;
  runtime::TimerId wake_timer_ = 0;
  Time wake_at_;
};

}  // namespace navarch::kubelet
