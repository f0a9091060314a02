#pragma once
// FakeRuntime: a deterministic in-memory ContainerRuntime for kubelet tests.
//
// Every operation completes through the Clock (Post, or After(latency)),
// never inline. Containers run until told otherwise: an image's behaviour
// says after how long its containers exit and with which code. Ids are
// sequential ("sb-1", "c-1", ...), so two runs are identical. Every call is
// recorded in `calls()` in order, for tests that pin the kubelet's sequence.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"

namespace navarch::kubelet::testing {

class FakeRuntime final : public runtime::ContainerRuntime {
 public:
  struct ImageBehavior {
    // How long a container of this image runs before exiting on its own;
    // negative = until stopped.
    Duration run_for = Duration(-1);
    int32_t exit_code = 0;
  };

  explicit FakeRuntime(runtime::Clock& clock) : clock_(clock) {}

  // --- Knobs ---------------------------------------------------------------
  // Images present locally without a pull.
  void AddLocalImage(const std::string& image) { local_images_.insert(image); }
  // Images a pull can fetch (others fail with kNotFound and a message).
  void AddRegistryImage(const std::string& image) { registry_images_.insert(image); }
  void SetImageBehavior(const std::string& image, ImageBehavior b) { behaviors_[image] = b; }
  // false: every call fails with kUnavailable (like a stopped daemon).
  void SetAvailable(bool available) { available_ = available; }
  // The result of probes of container `container_name` whose exec command
  // starts with `key` (or whose httpGet path is `key`). Default: success.
  void SetProbeResult(const std::string& container_name, const std::string& key, bool success) {
    probe_results_[container_name + "|" + key] = success;
  }
  // Delay of every completion (default: posted at once).
  void SetLatency(Duration d) { latency_ = d; }
  // Makes a running container exit now, as a crash would.
  void Crash(const runtime::ContainerId& id, int32_t exit_code);

  // --- Introspection -------------------------------------------------------
  const std::vector<std::string>& calls() const { return calls_; }
  void ClearCalls() { calls_.clear(); }
  // Calls whose text starts with `prefix`.
  std::vector<std::string> CallsStartingWith(const std::string& prefix) const;
  std::vector<runtime::ContainerStatus> Containers() const;
  std::vector<runtime::PodSandboxStatus> Sandboxes() const;
  // Running containers named `name`.
  std::vector<runtime::ContainerStatus> Running(const std::string& name) const;
  int probes_run() const { return probes_run_; }

  // --- ContainerRuntime ----------------------------------------------------
  std::string Describe() const override { return "fake"; }
  void SetEventHandler(runtime::ContainerEventHandler handler) override {
    handler_ = std::move(handler);
  }
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
  struct Ctr {
    runtime::ContainerStatus status;
    runtime::TimerId exit_timer = 0;
  };
  template <class F>
  void Complete(F fn) {
    if (latency_.count() == 0) {
      clock_.Post(std::move(fn));
    } else {
      clock_.After(latency_, std::move(fn));
    }
  }
  Status Down(const std::string& what) const;
  void Exit(Ctr& c, int32_t exit_code, std::string reason);
  void Emit(runtime::ContainerEvent::Type type, const Ctr& c);
  static bool Matches(const runtime::RuntimeLabels& want, const runtime::RuntimeLabels& have);

  runtime::Clock& clock_;
  runtime::ContainerEventHandler handler_;
  bool available_ = true;
  Duration latency_{0};
  std::set<std::string> local_images_, registry_images_;
  std::map<std::string, ImageBehavior> behaviors_;
  std::map<std::string, bool> probe_results_;
  std::map<runtime::SandboxId, runtime::PodSandboxStatus> sandboxes_;
  std::map<runtime::SandboxId, std::vector<runtime::PortMapping>> sandbox_ports_;
  std::map<runtime::ContainerId, Ctr> containers_;
  uint64_t next_sandbox_ = 1, next_container_ = 1, next_ip_ = 2;
  std::vector<std::string> calls_;
  int probes_run_ = 0;
};

}  // namespace navarch::kubelet::testing
