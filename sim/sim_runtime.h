#pragma once
// SimRuntime: the simulated ContainerRuntime of one node. Operations complete
// in virtual time with latencies drawn from a shared RuntimeModel; containers
// run, exit, crash and answer probes as the model says. It follows the
// contract of core/runtime/container_runtime.h: every completion and every
// container event is delivered later on the Clock, never inline.
//
// Timing of the operations:
//   RunPodSandbox     model.sandbox_start
//   PullImage         the image's pull latency; immediate when cached on this
//                     node; concurrent pulls of one image share one download
//   CreateContainer   next loop turn (the image must have been pulled)
//   StartContainer    behaviour.container_start; then the container runs
//   StopContainer     behaviour.container_stop, cut to the timeout: a
//                     container that stops within it exits with code 0
//                     ("Completed"); one still running at the timeout is
//                     killed (137, "Error")
//   StopPodSandbox    stops every container as above, then the sandbox is
//                     NotReady and its IP released
//   Remove*, List*, GetContainerStatus, Probe, Exec, ContainerLogs
//                     next loop turn
//
// While running, a container exits on its own as its ContainerBehaviour says
// (run duration, exit code, failure probability, crash). Each start draws, in
// this order: the start-failure coin; then, once running, the run duration
// and the failure coin (only with a run duration), the crash coin and (if it
// crashes) the crash time.
//
// Pod IPs come from options.pod_ip_prefix + 1..254 (the lowest free); pods
// with host_network get options.node_ip. Logs are synthetic (a line when the
// container starts and one when it exits); follow is kNotSupported.
//
// Machine failure. PowerOff() models the node going down: every sandbox and
// container disappears at once, pending operations are abandoned (their
// callbacks never run) and the event handler is dropped; until PowerOn(),
// every call fails with kUnavailable. Pulled images survive (the disk does).
//
// Destroying the runtime cancels everything it scheduled.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"
#include "core/runtime/rng.h"
#include "sim/runtime_model.h"

namespace navarch::sim {

// The starts in progress on one container engine (see
// RuntimeModel::start_contention): shared by the runtimes of every node when
// the model's engine is shared.
struct EngineLoad {
  int starting = 0;
};

struct SimRuntimeOptions {
  // The engine this node's starts contend on; null: a private one.
  std::shared_ptr<EngineLoad> engine;
  std::string node_name;
  std::string node_ip = "10.0.0.1";
  std::string pod_ip_prefix = "10.128.0.";
  // Whether a sandbox's containers are batch containers is decided by the
  // pod's restart policy, which the kubelet passes in PodSandboxConfig: the
  // simulated runtime never reads the Api.
};

// Counters for reports and tests.
struct SimRuntimeStats {
  uint64_t sandboxes_created = 0;
  uint64_t images_pulled = 0;  // downloads, not cache hits
  uint64_t containers_started = 0;
  uint64_t containers_exited = 0;
  uint64_t containers_crashed = 0;
  uint64_t probes_run = 0;
  uint64_t probes_failed = 0;
};

class SimRuntime final : public runtime::ContainerRuntime {
 public:
  // `model` must outlive the runtime; `rng` is this node's own stream
  // (Engine::Stream("runtime/" + node)).
  SimRuntime(runtime::Clock& clock, const RuntimeModel& model, runtime::Rng rng,
             SimRuntimeOptions options);
  ~SimRuntime() override;
  SimRuntime(const SimRuntime&) = delete;
  SimRuntime& operator=(const SimRuntime&) = delete;

  void PowerOff();
  void PowerOn();
  bool powered() const { return powered_; }

  const SimRuntimeStats& stats() const { return stats_; }
  size_t sandbox_count() const { return sandboxes_.size(); }
  size_t running_containers() const;
  bool HasImage(const std::string& image) const { return images_.count(image) > 0; }

  // --- runtime::ContainerRuntime ---
  std::string Describe() const override;
  void SetEventHandler(runtime::ContainerEventHandler handler) override;
  void RunPodSandbox(const runtime::PodSandboxConfig& config,
                     runtime::Callback<runtime::RunPodSandboxResult> done) override;
  void StopPodSandbox(const runtime::SandboxId& id, Duration grace_period,
                      runtime::StatusCallback done) override;
  void RemovePodSandbox(const runtime::SandboxId& id, runtime::StatusCallback done) override;
  void ListPodSandboxes(const runtime::SandboxFilter& filter,
                        runtime::Callback<std::vector<runtime::PodSandboxStatus>> done) override;
  void CreateContainer(const runtime::SandboxId& sandbox, const runtime::ContainerConfig& config,
                       runtime::Callback<runtime::ContainerId> done) override;
  void StartContainer(const runtime::ContainerId& id, runtime::StatusCallback done) override;
  void StopContainer(const runtime::ContainerId& id, Duration timeout,
                     runtime::StatusCallback done) override;
  void RemoveContainer(const runtime::ContainerId& id, runtime::StatusCallback done) override;
  void ListContainers(const runtime::ContainerFilter& filter,
                      runtime::Callback<std::vector<runtime::ContainerStatus>> done) override;
  void GetContainerStatus(const runtime::ContainerId& id,
                          runtime::Callback<runtime::ContainerStatus> done) override;
  std::unique_ptr<runtime::LogStream> ContainerLogs(const runtime::ContainerId& id,
                                                    const runtime::LogOptions& options,
                                                    runtime::LogSink sink,
                                                    runtime::StatusCallback done) override;
  void Exec(const runtime::ContainerId& id, const std::vector<std::string>& command,
            Duration timeout, runtime::Callback<runtime::ExecResult> done) override;
  void Probe(const runtime::ContainerId& id, const runtime::ProbeSpec& probe,
             runtime::Callback<runtime::ProbeResult> done) override;
  void PullImage(const std::string& image, runtime::Callback<std::string> done) override;

 private:
  struct Sandbox {
    runtime::PodSandboxStatus status;
    std::string restart_policy;
    std::vector<runtime::PortMapping> host_ports;
    std::vector<runtime::ContainerId> containers;
    uint32_t ip_slot = 0;  // 0: none (host network or released)
  };
  struct Container {
    runtime::ContainerStatus status;
    ContainerBehaviour behaviour;
    uint64_t exit_token = 0;  // the scheduled exit (run end, crash, stop); 0 = none
    Time exit_at;
    bool starting = false;
    std::vector<std::pair<Time, std::string>> log;
  };

  // The latency of a start sampled as `base` under the engine's current load;
  // the start counts as in progress until EndStart().
  Duration BeginStart(Duration base);
  void EndStart();
  int starting_ = 0;  // this runtime's starts in progress (on options_.engine)

  // Runs `fn` at `when` unless cancelled or the runtime powers off / dies.
  uint64_t Schedule(Time when, std::function<void()> fn);
  uint64_t Post(std::function<void()> fn) { return Schedule(clock_.Now(), std::move(fn)); }
  void CancelScheduled(uint64_t token);
  template <class T>
  void Reply(runtime::Callback<T> done, Result<T> result) {
    Post([done = std::move(done), r = std::move(result)]() mutable { done(std::move(r)); });
  }
  void ReplyStatus(runtime::StatusCallback done, Status status) {
    Post([done = std::move(done), s = std::move(status)] { done(s); });
  }
  Status Down() const;
  Status UnknownSandbox(const runtime::SandboxId& id) const;
  Status UnknownContainer(const runtime::ContainerId& id) const;

  void Emit(runtime::ContainerEvent::Type type, const Container& c);
  void BeginRun(const runtime::ContainerId& id);
  // Ends a running container now with the given outcome.
  void Exit(const runtime::ContainerId& id, int32_t exit_code, const std::string& reason,
            const std::string& message);
  // Schedules (or keeps) a stop of a running container; returns when it exits.
  Time StopRunning(const runtime::ContainerId& id, Duration timeout);
  void RemoveNow(const runtime::ContainerId& id);
  uint32_t AllocateIpSlot();
  std::string Where(const Container& c) const;

  runtime::Clock& clock_;
  const RuntimeModel& model_;
  runtime::Rng rng_;
  SimRuntimeOptions options_;
  bool powered_ = true;
  runtime::ContainerEventHandler handler_;
  std::map<runtime::SandboxId, Sandbox> sandboxes_;
  std::map<runtime::ContainerId, Container> containers_;
  std::map<std::string, std::string> images_;  // image -> content address
  std::map<std::string, std::vector<runtime::Callback<std::string>>> pulls_in_flight_;
  std::set<uint32_t> used_ip_slots_;
  uint64_t next_sandbox_ = 1;
  uint64_t next_container_ = 1;
  uint64_t next_token_ = 1;
  std::map<uint64_t, runtime::TimerId> pending_;
  SimRuntimeStats stats_;
};

}  // namespace navarch::sim
