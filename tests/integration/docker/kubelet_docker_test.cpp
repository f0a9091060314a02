// A real Kubelet driving a real dockerd through DockerRuntime: pods start,
// containers of one pod share localhost, crashes restart with back-off,
// probes restart and gate readiness, logs, adoption by a restarted kubelet,
// deletion, missing images.

#include <algorithm>
#include <set>

#include "tests/integration/docker/docker_fixture.h"

namespace navarch::docker::testing {
namespace {

using runtime::ContainerState;

TEST_F(DockerTest, PodStartsWithItsSandboxIpAndLabels) {
  StartKubelet();
  auto pod = CreatePod(MakePod("sleeper", {Shell("main", "exec sleep 3600")}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor([&] {
    auto s = CStatus("sleeper", "main");
    return s && s->state.running && GetPod("sleeper")->status.phase == "Running";
  })) << Describe("sleeper");
  const std::string pod_ip = OnLoop([&] { return GetPod("sleeper")->status.pod_ip; });
  EXPECT_EQ(pod_ip.rfind("172.", 0), 0u)
      << "pod IP " << pod_ip << " should be on the docker bridge";

  auto ctrs = PodContainers(pod->metadata.uid);
  ASSERT_EQ(ctrs.size(), 1u);
  EXPECT_EQ(ctrs[0].state, ContainerState::kRunning);
  EXPECT_EQ(ctrs[0].name, "main");
  EXPECT_EQ(ctrs[0].image, kBusybox);
  EXPECT_EQ(ctrs[0].attempt, 0u);
  EXPECT_EQ(ctrs[0].labels.at(std::string(runtime::kLabelNodeName)), node_);
  EXPECT_EQ(ctrs[0].labels.at(std::string(runtime::kLabelPodName)), "sleeper");
  EXPECT_EQ(ctrs[0].labels.at(std::string(runtime::kLabelAttempt)), "0");
  EXPECT_EQ(OnLoop([&] { return CStatus("sleeper", "main")->container_id; }), ctrs[0].id);

  auto sbs = RuntimeCall<std::vector<runtime::PodSandboxStatus>>([&](auto done) {
    runtime_->ListPodSandboxes(runtime::SandboxFilter{.labels = PodLabels(pod->metadata.uid)},
                               done);
  });
  ASSERT_TRUE(sbs.ok()) << sbs.status();
  ASSERT_EQ(sbs->size(), 1u);
  EXPECT_EQ((*sbs)[0].state, runtime::SandboxState::kReady);
  EXPECT_EQ((*sbs)[0].pod_ip, pod_ip);
  EXPECT_EQ((*sbs)[0].pod_name, "sleeper");
  EXPECT_EQ(ctrs[0].sandbox_id, (*sbs)[0].id);
}

TEST_F(DockerTest, ContainersOfOnePodTalkOverLocalhostAndHttpReadinessPasses) {
  StartKubelet();
  api::Container web = Shell("web",
                             "mkdir -p /www && echo hello-from-web > /www/index.html && "
                             "exec httpd -f -p 8080 -h /www");
  web.ports.push_back(api::ContainerPort{.name = "http", .container_port = 8080});
  api::Probe ready;
  ready.http_get = api::HttpGetAction{.path = "/index.html", .port = "http"};
  ready.period_seconds = 1;
  web.readiness_probe = ready;
  api::Container client = Shell("client",
                                "until wget -q -O - http://127.0.0.1:8080/; do sleep 0.2; done; "
                                "exec sleep 3600");
  auto pod = CreatePod(MakePod("pair", {web, client}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor([&] { return Condition("pair", "Ready") == "True"; }, seconds(40)))
      << Describe("pair");
  std::string client_id = OnLoop([&] { return CStatus("pair", "client")->container_id; });
  std::string out;
  ASSERT_TRUE(Eventually(
      [&] {
        out = Logs(client_id);
        return out.find("hello-from-web") != std::string::npos;
      },
      seconds(20)))
      << "client log: " << out;
}

TEST_F(DockerTest, CrashingContainerRestartsWithGrowingBackoff) {
  StartKubelet();
  auto pod = CreatePod(MakePod("crasher", {Shell("main", "echo crashing; exit 3")}));
  ASSERT_TRUE(pod);
  // Record when each restart count is first seen.
  std::vector<std::chrono::steady_clock::time_point> seen;
  int last = -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (last < 3 && std::chrono::steady_clock::now() < deadline) {
    int count = OnLoop([&] {
      auto s = CStatus("crasher", "main");
      return s ? s->restart_count : -1;
    });
    if (count > last) {
      last = count;
      seen.push_back(std::chrono::steady_clock::now());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(last, 3) << Describe("crasher");
  ASSERT_GE(seen.size(), 4u);
  // Back-off 1s, 2s, 4s: every gap is longer than the one before it.
  auto gap = [&](size_t i) { return seen[i + 1] - seen[i]; };
  EXPECT_LT(gap(1), gap(2));
  auto status = OnLoop([&] { return *CStatus("crasher", "main"); });
  ASSERT_TRUE(status.last_state.terminated) << Describe("crasher");
  EXPECT_EQ(status.last_state.terminated->exit_code, 3);
  EXPECT_EQ(status.last_state.terminated->reason, "Error");
  // Old attempts are collected: at most the newest and one dead one remain.
  EXPECT_LE(PodContainers(pod->metadata.uid).size(), 2u);
}

TEST_F(DockerTest, FailingExecLivenessProbeRestartsTheContainer) {
  StartKubelet();
  api::Container c =
      Shell("main", "touch /tmp/healthy; (sleep 2; rm -f /tmp/healthy) & exec sleep 3600");
  api::Probe live;
  live.exec = api::ExecAction{{"test", "-f", "/tmp/healthy"}};
  live.period_seconds = 1;
  live.failure_threshold = 1;
  live.termination_grace_period_seconds = 1;
  c.liveness_probe = live;
  auto pod = CreatePod(MakePod("unhealthy", {c}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto s = CStatus("unhealthy", "main");
        return s && s->restart_count >= 1 && s->state.running;
      },
      seconds(40)))
      << Describe("unhealthy");
  auto s = OnLoop([&] { return *CStatus("unhealthy", "main"); });
  ASSERT_TRUE(s.last_state.terminated);
}

TEST_F(DockerTest, ReadinessFlipsThePodReadyCondition) {
  StartKubelet();
  api::Container c = Shell("main", "mkdir -p /www && exec httpd -f -p 8080 -h /www");
  c.ports.push_back(api::ContainerPort{.container_port = 8080});
  api::Probe ready;
  ready.http_get = api::HttpGetAction{.path = "/ready", .port = 8080};
  ready.period_seconds = 1;
  ready.failure_threshold = 1;
  c.readiness_probe = ready;
  auto pod = CreatePod(MakePod("flip", {c}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor([&] { return PodRunning("flip"); })) << Describe("flip");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Condition("flip", "Ready"), "False");  // /ready is 404

  const std::string id = OnLoop([&] { return CStatus("flip", "main")->container_id; });
  auto touch = RuntimeCall<runtime::ExecResult>([&](auto done) {
    runtime_->Exec(id, {"touch", "/www/ready"}, seconds(5), done);
  });
  ASSERT_TRUE(touch.ok()) << touch.status();
  EXPECT_EQ(touch->exit_code, 0);
  ASSERT_TRUE(WaitFor([&] { return Condition("flip", "Ready") == "True"; }, seconds(15)))
      << Describe("flip");

  auto rm = RuntimeCall<runtime::ExecResult>([&](auto done) {
    runtime_->Exec(id, {"rm", "/www/ready"}, seconds(5), done);
  });
  ASSERT_TRUE(rm.ok()) << rm.status();
  ASSERT_TRUE(WaitFor([&] { return Condition("flip", "Ready") == "False"; }, seconds(15)))
      << Describe("flip");
  EXPECT_EQ(OnLoop([&] { return CStatus("flip", "main")->restart_count; }), 0);
}

TEST_F(DockerTest, LogsReturnOutputAndTail) {
  StartKubelet();
  auto pod = CreatePod(MakePod(
      "talker", {Shell("main", "for i in 1 2 3 4 5; do echo line$i; done; exec sleep 3600")}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor([&] { return PodRunning("talker"); })) << Describe("talker");
  const std::string id = OnLoop([&] { return CStatus("talker", "main")->container_id; });
  ASSERT_TRUE(Eventually([&] { return Logs(id) == "line1\nline2\nline3\nline4\nline5\n"; }))
      << Logs(id);
  EXPECT_EQ(Logs(id, 2), "line4\nline5\n");
}

TEST_F(DockerTest, RestartedKubeletAdoptsRunningContainers) {
  StartKubelet();
  auto pod = CreatePod(
      MakePod("survivor", {Shell("a", "exec sleep 3600"), Shell("b", "exec sleep 3600")}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor([&] {
    auto a = CStatus("survivor", "a");
    auto b = CStatus("survivor", "b");
    return a && b && a->state.running && b->state.running;
  })) << Describe("survivor");
  auto before = PodContainers(pod->metadata.uid);
  ASSERT_EQ(before.size(), 2u);

  // The kubelet process "dies": a new runtime client and a new kubelet.
  OnLoop([&] {
    kubelet_->Stop();
    kubelet_.reset();
    runtime_.reset();
  });
  auto rt = OnLoop([&] { return DockerRuntime::Connect(clock_, Options()); });
  ASSERT_TRUE(rt.ok()) << rt.status();
  runtime_ = std::move(*rt);
  StartKubelet();
  ASSERT_TRUE(WaitFor([&] { return kubelet_->stats().pods_adopted == 1; })) << Describe("survivor");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto after = PodContainers(pod->metadata.uid);
  ASSERT_EQ(after.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].state, ContainerState::kRunning);
  }
  EXPECT_EQ(OnLoop([&] { return CStatus("survivor", "a")->restart_count; }), 0);
  auto sbs = RuntimeCall<std::vector<runtime::PodSandboxStatus>>([&](auto done) {
    runtime_->ListPodSandboxes(runtime::SandboxFilter{.labels = PodLabels(pod->metadata.uid)},
                               done);
  });
  ASSERT_TRUE(sbs.ok());
  EXPECT_EQ(sbs->size(), 1u);
}

TEST_F(DockerTest, DeletingThePodRemovesItsContainers) {
  StartKubelet();
  auto pod = CreatePod(MakePod("doomed", {Shell("main", "exec sleep 3600")}));
  ASSERT_TRUE(pod);
  ASSERT_TRUE(WaitFor([&] { return PodRunning("doomed"); })) << Describe("doomed");
  ASSERT_EQ(PodContainers(pod->metadata.uid).size(), 1u);
  OnLoop([&] {
    auto r = api_.Delete<api::Pod>("default", "doomed");
    EXPECT_TRUE(r.ok()) << r.status();
  });
  ASSERT_TRUE(WaitFor([&] { return GetPod("doomed") == nullptr; }, seconds(30)));
  // The sandbox may be removed just after the pod object.
  size_t left = 0;
  EXPECT_TRUE(Eventually(
      [&] {
        auto sbs = RuntimeCall<std::vector<runtime::PodSandboxStatus>>([&](auto done) {
          runtime_->ListPodSandboxes(runtime::SandboxFilter{.labels = PodLabels(pod->metadata.uid)},
                                     done);
        });
        left = (sbs.ok() ? sbs->size() : 1) + PodContainers(pod->metadata.uid).size();
        return left == 0;
      },
      seconds(10)))
      << left << " sandboxes and containers of the deleted pod remain";
}

TEST_F(DockerTest, MissingImageFailsWithTheReasonInPodStatus) {
  StartKubelet();
  api::Container c;
  c.name = "main";
  c.image = "navarch/not-built:404";
  auto pod = CreatePod(MakePod("imageless", {c}));
  ASSERT_TRUE(pod);
  std::string message;
  ASSERT_TRUE(WaitFor([&] {
    auto s = CStatus("imageless", "main");
    if (!s || !s->state.waiting) return false;
    message = s->state.waiting->message;
    return s->state.waiting->reason == kubelet::kReasonErrImagePull ||
           s->state.waiting->reason == "ImagePullBackOff";
  })) << Describe("imageless");
  EXPECT_NE(message.find("navarch/not-built:404"), std::string::npos) << message;
  EXPECT_NE(message.find("not present locally"), std::string::npos) << message;
  for (const auto& ctr : PodContainers(pod->metadata.uid)) {
    ADD_FAILURE() << "unexpected container " << ctr.name << " image " << ctr.image << " state "
                  << runtime::ContainerStateName(ctr.state) << " " << ctr.reason << " "
                  << ctr.message;
  }
}

}  // namespace
}  // namespace navarch::docker::testing
