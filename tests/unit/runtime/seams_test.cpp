// The ContainerRuntime and CloudProvider seams: stable state names, and a
// minimal implementation showing the callback contract (completion later, on
// the Clock's loop, never inline) can be met with a Clock alone.

#include <gtest/gtest.h>

#include "core/runtime/cloud_provider.h"
#include "core/runtime/container_runtime.h"
#include "core/runtime/manual_clock.h"

namespace navarch::runtime {
namespace {

TEST(SeamNamesTest, ContainerAndMachineStates) {
  EXPECT_EQ(ContainerStateName(ContainerState::kCreated), "created");
  EXPECT_EQ(ContainerStateName(ContainerState::kRunning), "running");
  EXPECT_EQ(ContainerStateName(ContainerState::kExited), "exited");
  EXPECT_EQ(ContainerStateName(ContainerState::kUnknown), "unknown");
  EXPECT_EQ(MachineStateName(MachineState::kProvisioning), "provisioning");
  EXPECT_EQ(MachineStateName(MachineState::kRunning), "running");
  EXPECT_EQ(MachineStateName(MachineState::kStopping), "stopping");
}

// A runtime with no capabilities at all: every call completes, later, with
// kNotSupported or kNotFound.
class NullRuntime final : public ContainerRuntime {
 public:
  explicit NullRuntime(Clock& clock) : clock_(clock) {}
  std::string Describe() const override { return "null"; }
  void SetEventHandler(ContainerEventHandler) override {}
  void RunPodSandbox(const PodSandboxConfig&, Callback<RunPodSandboxResult> done) override {
    Later(std::move(done), NotSupported("null runtime runs nothing"));
  }
  void StopPodSandbox(const SandboxId& id, Duration, StatusCallback done) override {
    Later(std::move(done), NotFound("sandbox " + id));
  }
  void RemovePodSandbox(const SandboxId& id, StatusCallback done) override {
    Later(std::move(done), NotFound("sandbox " + id));
  }
  void ListPodSandboxes(const SandboxFilter&,
                        Callback<std::vector<PodSandboxStatus>> done) override {
    clock_.Post([done = std::move(done)] { done(std::vector<PodSandboxStatus>{}); });
  }
  void CreateContainer(const SandboxId& sandbox, const ContainerConfig&,
                       Callback<ContainerId> done) override {
    Later(std::move(done), NotFound("sandbox " + sandbox));
  }
  void StartContainer(const ContainerId& id, StatusCallback done) override {
    Later(std::move(done), NotFound("container " + id));
  }
  void StopContainer(const ContainerId& id, Duration, StatusCallback done) override {
    Later(std::move(done), NotFound("container " + id));
  }
  void RemoveContainer(const ContainerId& id, StatusCallback done) override {
    Later(std::move(done), NotFound("container " + id));
  }
  void ListContainers(const ContainerFilter&,
                      Callback<std::vector<ContainerStatus>> done) override {
    clock_.Post([done = std::move(done)] { done(std::vector<ContainerStatus>{}); });
  }
  void GetContainerStatus(const ContainerId& id, Callback<ContainerStatus> done) override {
    Later(std::move(done), NotFound("container " + id));
  }
  std::unique_ptr<LogStream> ContainerLogs(const ContainerId& id, const LogOptions&, LogSink,
                                           StatusCallback done) override {
    Later(std::move(done), NotFound("container " + id));
    return nullptr;
  }
  void Exec(const ContainerId&, const std::vector<std::string>&, Duration,
            Callback<ExecResult> done) override {
    Later(std::move(done), NotSupported("exec"));
  }
  void Probe(const ContainerId&, const ProbeSpec&, Callback<ProbeResult> done) override {
    Later(std::move(done), NotSupported("probe"));
  }
  void PullImage(const std::string&, Callback<std::string> done) override {
    Later(std::move(done), NotSupported("pull"));
  }

 private:
  template <class Fn>
  void Later(Fn done, Status status) {
    clock_.Post([done = std::move(done), status = std::move(status)] { done(status); });
  }
  Clock& clock_;
};

TEST(ContainerRuntimeContractTest, CompletionsRunOnTheLoopNotInline) {
  ManualClock clock;
  NullRuntime rt(clock);
  ContainerRuntime& runtime = rt;
  Code run = Code::kOk;
  bool listed = false;
  runtime.RunPodSandbox(PodSandboxConfig{.pod_name = "web"},
                        [&](Result<RunPodSandboxResult> r) { run = r.code(); });
  runtime.ListContainers(
      {}, [&](Result<std::vector<ContainerStatus>> r) { listed = r.ok() && r->empty(); });
  EXPECT_EQ(run, Code::kOk);
  EXPECT_FALSE(listed);
  clock.RunUntilIdle();
  EXPECT_EQ(run, Code::kNotSupported);
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace navarch::runtime
