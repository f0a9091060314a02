// The pure pieces: phase rules, QoS, requests, pull policy, admission,
// probe resolution, and the Api partition gate.

#include <gtest/gtest.h>

#include "core/kubelet/admission.h"
#include "core/kubelet/pod_status.h"
#include "core/kubelet/probes.h"
#include "tests/unit/kubelet/kubelet_fixture.h"

namespace navarch::kubelet::testing {
namespace {

api::ContainerStatus Running() {
  api::ContainerStatus s;
  s.state.running = api::ContainerStateRunning{kT0};
  return s;
}
api::ContainerStatus Exited(int code) {
  api::ContainerStatus s;
  s.state.terminated = api::ContainerStateTerminated{};
  s.state.terminated->exit_code = code;
  return s;
}
api::ContainerStatus Waiting(std::optional<int> last_exit = std::nullopt) {
  api::ContainerStatus s;
  s.state.waiting = api::ContainerStateWaiting{"CrashLoopBackOff", ""};
  if (last_exit) {
    s.last_state.terminated = api::ContainerStateTerminated{};
    s.last_state.terminated->exit_code = *last_exit;
  }
  return s;
}
api::PodSpec Spec(std::string policy, int containers, int init = 0) {
  api::PodSpec spec;
  spec.restart_policy = std::move(policy);
  for (int i = 0; i < containers; ++i)
    spec.containers.push_back(MakeContainer("c" + std::to_string(i)));
  for (int i = 0; i < init; ++i)
    spec.init_containers.push_back(MakeContainer("i" + std::to_string(i)));
  return spec;
}

TEST(PodPhase, FollowsKubernetesRules) {
  EXPECT_EQ(PodPhase(Spec("Always", 2), {}, {Running(), Waiting()}), "Pending");
  EXPECT_EQ(PodPhase(Spec("Always", 2), {}, {Running(), Running()}), "Running");
  EXPECT_EQ(PodPhase(Spec("Always", 1), {}, {Running()}), "Running");
  EXPECT_EQ(PodPhase(Spec("Always", 1), {}, {Waiting(1)}), "Running");  // crash loop
  EXPECT_EQ(PodPhase(Spec("Always", 1), {}, {Exited(0)}), "Running");
  EXPECT_EQ(PodPhase(Spec("OnFailure", 2), {}, {Exited(0), Exited(0)}), "Succeeded");
  EXPECT_EQ(PodPhase(Spec("OnFailure", 2), {}, {Exited(0), Waiting(1)}), "Running");
  EXPECT_EQ(PodPhase(Spec("Never", 2), {}, {Exited(0), Exited(1)}), "Failed");
  EXPECT_EQ(PodPhase(Spec("Never", 2), {}, {Exited(0), Running()}), "Running");
  EXPECT_EQ(PodPhase(Spec("Never", 1), {}, {}), "Pending");
  // Init containers.
  EXPECT_EQ(PodPhase(Spec("Always", 1, 1), {Running()}, {Waiting()}), "Pending");
  EXPECT_EQ(PodPhase(Spec("Always", 1, 1), {Exited(0)}, {Running()}), "Running");
  EXPECT_EQ(PodPhase(Spec("Never", 1, 1), {Exited(2)}, {Waiting()}), "Failed");
  EXPECT_EQ(PodPhase(Spec("OnFailure", 1, 1), {Exited(2)}, {Waiting()}), "Pending");
}

TEST(PodConditions, KeepTransitionTimeWhileStatusHolds) {
  std::vector<api::PodCondition> prev, conds;
  SetPodCondition(conds, prev, "Ready", true, "", "", kT0);
  prev = conds;
  conds.clear();
  SetPodCondition(conds, prev, "Ready", true, "", "", kT0 + seconds(5));
  EXPECT_EQ(conds.at(0).last_transition_time, kT0);
  SetPodCondition(conds, prev, "Ready", false, "ContainersNotReady", "m", kT0 + seconds(9));
  ASSERT_EQ(conds.size(), 1u);
  EXPECT_EQ(conds.at(0).last_transition_time, kT0 + seconds(9));
  EXPECT_EQ(conds.at(0).status, "False");
}

TEST(PodResources, QosRequestsAndPullPolicy) {
  api::PodSpec spec = Spec("Always", 2, 1);
  EXPECT_EQ(QosClass(spec), "BestEffort");
  spec.containers[0].resources.requests = {{"cpu", api::Quantity::MustParse("100m")}};
  spec.containers[1].resources.limits = {{"cpu", api::Quantity::MustParse("200m")}};
  spec.init_containers[0].resources.requests = {{"cpu", api::Quantity::MustParse("250m")}};
  EXPECT_EQ(QosClass(spec), "Burstable");
  // Requests only (the API defaults them from limits at admission):
  // max(100m + 0, 250m) here; the admitted pod would have 100m + 200m.
  EXPECT_EQ(PodRequests(spec).at("cpu"), api::Quantity::MustParse("250m"));
  api::PodSpec g = Spec("Always", 1);
  g.containers[0].resources.limits = {{"cpu", api::Quantity::MustParse("1")},
                                      {"memory", api::Quantity::MustParse("1Gi")}};
  EXPECT_EQ(QosClass(g), "Guaranteed");

  EXPECT_EQ(ImagePullPolicy(MakeContainer("a", "nginx")), "Always");
  EXPECT_EQ(ImagePullPolicy(MakeContainer("a", "nginx:latest")), "Always");
  EXPECT_EQ(ImagePullPolicy(MakeContainer("a", "nginx:1.25")), "IfNotPresent");
  EXPECT_EQ(ImagePullPolicy(MakeContainer("a", "registry:5000/nginx")), "Always");
  auto never = MakeContainer("a", "nginx");
  never.image_pull_policy = "Never";
  EXPECT_EQ(ImagePullPolicy(never), "Never");
}

TEST(Admission, CountsPodsAndResources) {
  api::Pod pod;
  pod.spec = Spec("Always", 1);
  api::ResourceList alloc = {{"pods", api::Quantity::FromValue(2)}};
  api::Pod a = pod, b = pod;
  EXPECT_TRUE(AdmitPod(pod, {}, alloc, {&a}).admitted);
  auto r = AdmitPod(pod, {}, alloc, {&a, &b});
  EXPECT_FALSE(r.admitted);
  EXPECT_EQ(r.reason, "OutOfpods");
  pod.spec.Mutable().containers[0].resources.requests = {
      {"memory", api::Quantity::MustParse("2Gi")}};
  r = AdmitPod(pod, {}, {{"memory", api::Quantity::MustParse("1Gi")}}, {});
  EXPECT_EQ(r.reason, "OutOfmemory");
}

TEST(Probes, DefaultsAndPortResolution) {
  api::Probe p;
  p.tcp_socket = api::TcpSocketAction{api::IntOrString("metrics"), ""};
  auto d = WithProbeDefaults(p);
  EXPECT_EQ(d.timeout_seconds, 1);
  EXPECT_EQ(d.period_seconds, 10);
  EXPECT_EQ(d.success_threshold, 1);
  EXPECT_EQ(d.failure_threshold, 3);
  auto c = MakeContainer("app");
  auto bad = ResolveProbe(p, c);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"metrics\""), std::string::npos);
  c.ports.push_back(api::ContainerPort{"metrics", 0, 9090, "TCP", ""});
  auto ok = ResolveProbe(p, c);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->type, runtime::ProbeSpec::Type::kTcpSocket);
  EXPECT_EQ(ok->port, 9090);
  EXPECT_EQ(ok->timeout, seconds(1));
  EXPECT_FALSE(ResolveProbe(api::Probe{}, c).ok());
}

}  // namespace
}  // namespace navarch::kubelet::testing
