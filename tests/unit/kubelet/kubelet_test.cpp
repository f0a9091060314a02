// The kubelet as a node agent: registration and heartbeats, adoption after a
// restart, admission, an unavailable runtime, an unreachable Api, idle cost.

#include <gtest/gtest.h>

#include "tests/unit/kubelet/kubelet_fixture.h"

namespace navarch::kubelet::testing {
namespace {

TEST_F(KubeletTest, RegistersNodeAndHeartbeatsAtExactTimes) {
  KubeletOptions o = Options();
  o.taints = {api::Taint{"dedicated", "gpu", "NoSchedule", std::nullopt}};
  StartKubelet(o);
  auto node = GetNode();
  ASSERT_TRUE(node);
  EXPECT_EQ(node->metadata.labels.at("zone"), "a");
  EXPECT_EQ(node->metadata.labels.at("kubernetes.io/hostname"), "n1");
  ASSERT_EQ(node->spec.taints.size(), 1u);
  EXPECT_EQ(node->spec.taints[0].key, "dedicated");
  EXPECT_EQ(node->status.capacity.at("cpu"), api::Quantity::MustParse("2"));
  EXPECT_EQ(node->status.capacity.at("pods"), api::Quantity::MustParse("110"));
  EXPECT_EQ(node->status.allocatable.at("memory"), api::Quantity::MustParse("4Gi"));
  EXPECT_EQ(node->status.addresses.size(), 2u);
  EXPECT_EQ(node->status.node_info.kubelet_version, "navarch");
  EXPECT_EQ(node->status.node_info.container_runtime_version, "fake");
  EXPECT_EQ(node->status.daemon_endpoints.kubelet_endpoint.port, 10250);
  ASSERT_EQ(node->status.conditions.size(), 4u);
  const auto* ready = NodeReady(*node);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, "KubeletReady");
  EXPECT_EQ(ready->last_heartbeat_time, kT0);
  EXPECT_EQ(ready->last_transition_time, kT0);
  EXPECT_TRUE(kubelet_->registered());

  clock_.AdvanceTo(kT0 + seconds(9));
  EXPECT_EQ(NodeReady(*GetNode())->last_heartbeat_time, kT0);
  clock_.AdvanceTo(kT0 + seconds(10));
  EXPECT_EQ(NodeReady(*GetNode())->last_heartbeat_time, kT0 + seconds(10));
  EXPECT_EQ(NodeReady(*GetNode())->last_transition_time, kT0);
  clock_.AdvanceTo(kT0 + seconds(60));
  EXPECT_EQ(NodeReady(*GetNode())->last_heartbeat_time, kT0 + seconds(60));
  EXPECT_EQ(kubelet_->stats().node_status_writes, 7u);
}

TEST_F(KubeletTest, ExistingNodeGetsLabelsMergedAndStatusWritten) {
  api::Node node;
  node.metadata.name = "n1";
  node.metadata.labels = {{"zone", "old"}, {"team", "x"}};
  ASSERT_TRUE(api_.Create(node).ok());
  StartKubelet();
  auto got = GetNode();
  EXPECT_EQ(got->metadata.labels.at("zone"), "a");
  EXPECT_EQ(got->metadata.labels.at("team"), "x");
  EXPECT_TRUE(got->spec.taints.empty());  // taints only at creation
  EXPECT_EQ(NodeReady(*got)->status, "True");
}

TEST_F(KubeletTest, ReportPeriodWritesUnchangedStatusLessOften) {
  KubeletOptions o = Options();
  o.node_status.report_period = minutes(1);
  StartKubelet(o);
  clock_.AdvanceTo(kT0 + minutes(5));
  EXPECT_EQ(kubelet_->stats().node_status_writes, 6u);  // +0, +60, ..., +300
  EXPECT_EQ(NodeReady(*GetNode())->last_heartbeat_time, kT0 + minutes(5));
}

TEST_F(KubeletTest, DeletedNodeIsRegisteredAgain) {
  StartKubelet();
  ASSERT_TRUE(api_.Delete<api::Node>("", "n1").ok());
  clock_.Advance(seconds(10));
  ASSERT_TRUE(GetNode());
  EXPECT_EQ(NodeReady(*GetNode())->last_transition_time, kT0 + seconds(10));
}

TEST_F(KubeletTest, RejectsOptionsWithoutNodeName) {
  KubeletOptions o = Options();
  o.node_name.clear();
  Kubelet k(api_, clock_, runtime_, o);
  Status st = k.Start();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("node_name"), std::string::npos);
}

TEST_F(KubeletTest, AdoptsRunningPodsAfterRestartWithoutDuplicates) {
  runtime_.SetImageBehavior("crash:1", {seconds(1), 1});
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app"), MakeContainer("flaky", "crash:1")}));
  clock_.RunUntilIdle();
  clock_.Advance(seconds(11));  // flaky crashed at +1 and was restarted at +11
  ASSERT_EQ(CStatus("web", "flaky").restart_count, 1);
  const auto status_before = GetPod("web")->status;

  // A sandbox of a pod that no longer exists, left by some earlier life.
  runtime::PodSandboxConfig ghost;
  ghost.pod_uid = "ghost-uid";
  ghost.pod_namespace = "default";
  ghost.pod_name = "ghost";
  ghost.node_name = "n1";
  runtime_.RunPodSandbox(ghost, [](Result<runtime::RunPodSandboxResult>) {});
  kubelet_.reset();  // the kubelet process dies; containers keep running
  clock_.RunUntilIdle();
  ASSERT_EQ(runtime_.Sandboxes().size(), 2u);
  runtime_.ClearCalls();

  StartKubelet();
  clock_.RunUntilIdle();
  EXPECT_TRUE(runtime_.CallsStartingWith("RunPodSandbox").empty());
  EXPECT_TRUE(runtime_.CallsStartingWith("CreateContainer").empty());
  EXPECT_EQ(runtime_.CallsStartingWith("RemovePodSandbox"),
            std::vector<std::string>{"RemovePodSandbox sb-2"});
  EXPECT_EQ(kubelet_->stats().pods_adopted, 1u);
  EXPECT_EQ(kubelet_->stats().orphans_removed, 1u);
  EXPECT_EQ(runtime_.Running("app").size(), 1u);
  EXPECT_EQ(runtime_.Running("flaky").size(), 1u);
  // The adopted state reads exactly as before: nothing to write.
  EXPECT_EQ(GetPod("web")->status, status_before);
  EXPECT_EQ(kubelet_->stats().pod_status_writes, 0u);

  // Crashes of adopted containers are handled: the attempt count continues,
  // and the older dead attempt is removed.
  clock_.Advance(seconds(1));  // flaky (started at +11) exits at +12
  clock_.Advance(seconds(10));
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer"),
            std::vector<std::string>{"CreateContainer flaky attempt=2"});
  EXPECT_EQ(CStatus("web", "flaky").restart_count, 2);
  int flaky = 0;
  for (const auto& c : runtime_.Containers())
    flaky += c.name == "flaky";
  EXPECT_EQ(flaky, 2);
}

TEST_F(KubeletTest, GarbageCollectsDeadAttemptsBeyondTheLatestWhenAdopting) {
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  kubelet_.reset();
  clock_.RunUntilIdle();
  // Three dead attempts of "app" beside the running one, as a crashed kubelet
  // might leave them.
  const std::string sandbox = runtime_.Sandboxes().at(0).id;
  const std::string uid = GetPod("web")->metadata.uid;
  for (uint32_t attempt = 1; attempt <= 3; ++attempt) {
    runtime::ContainerConfig cfg;
    cfg.name = "app";
    cfg.image = "app:1";
    cfg.attempt = attempt;
    cfg.labels = {{std::string(runtime::kLabelPodUid), uid},
                  {std::string(runtime::kLabelNodeName), "n1"}};
    runtime_.CreateContainer(sandbox, cfg, [this](Result<runtime::ContainerId> id) {
      ASSERT_TRUE(id.ok()) << id.status();
      runtime_.StartContainer(*id, [this, id = *id](Status) { runtime_.Crash(id, 1); });
    });
  }
  // The original attempt 0 is running; attempts 1..3 are dead. The newest
  // attempt is the container's state; one older dead one is kept.
  clock_.RunUntilIdle();
  runtime_.ClearCalls();
  StartKubelet();
  clock_.RunUntilIdle();
  // Attempt 3 is the newest: its exit is a crash to restart after back-off;
  // attempt 2 is kept for its logs; attempts 1 and 0 are removed.
  EXPECT_EQ(runtime_.CallsStartingWith("RemoveContainer").size(), 2u);
  EXPECT_EQ(CStatus("web", "app").restart_count, 3);
  clock_.Advance(seconds(10));
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer"),
            std::vector<std::string>{"CreateContainer app attempt=4"});
  int left = 0;
  for (const auto& c : runtime_.Containers())
    left += c.name == "app";
  EXPECT_EQ(left, 2);
}

TEST_F(KubeletTest, AdmissionRejectsPodsThatDoNotFit) {
  StartKubelet();
  auto big = MakePod("big", {MakeContainer("app")});
  big.spec.Mutable().containers[0].resources.requests = {
      {"cpu", api::Quantity::MustParse("1500m")}};
  CreatePod(big);
  clock_.RunUntilIdle();
  auto more = MakePod("more", {MakeContainer("app")});
  more.spec.Mutable().containers[0].resources.requests = {{"cpu", api::Quantity::MustParse("1")}};
  CreatePod(more);
  auto elsewhere = MakePod("elsewhere", {MakeContainer("app")});
  elsewhere.spec.Mutable().node_selector = {{"zone", "b"}};
  CreatePod(elsewhere);
  auto here = MakePod("here", {MakeContainer("app")});
  here.spec.Mutable().node_selector = {{"zone", "a"}};
  CreatePod(here);
  clock_.RunUntilIdle();

  EXPECT_EQ(GetPod("big")->status.phase, "Running");
  EXPECT_EQ(GetPod("big")->status.qos_class, "Burstable");
  EXPECT_EQ(GetPod("here")->status.phase, "Running");
  auto p = GetPod("more");
  EXPECT_EQ(p->status.phase, "Failed");
  EXPECT_EQ(p->status.reason, "OutOfcpu");
  EXPECT_EQ(p->status.message,
            "Node didn't have enough resource: cpu, requested: 1, used: 1500m, capacity: 2");
  p = GetPod("elsewhere");
  EXPECT_EQ(p->status.phase, "Failed");
  EXPECT_EQ(p->status.reason, "NodeAffinity");
  EXPECT_EQ(runtime_.CallsStartingWith("RunPodSandbox").size(), 2u);  // big and here
}

TEST_F(KubeletTest, UnavailableRuntimeIsRetriedWithBackoff) {
  runtime_.SetAvailable(false);
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  auto ready = *NodeReady(*GetNode());
  EXPECT_EQ(ready.status, "False");
  EXPECT_EQ(ready.reason, "KubeletNotReady");
  EXPECT_EQ(ready.message,
            "container runtime is down: fake runtime: ListPodSandboxes: the daemon is not "
            "running; start it");
  // Listing retried at +1, +3, +7 s (1 s doubling).
  EXPECT_EQ(runtime_.CallsStartingWith("ListPodSandboxes").size(), 1u);
  clock_.AdvanceTo(kT0 + seconds(1));
  EXPECT_EQ(runtime_.CallsStartingWith("ListPodSandboxes").size(), 2u);
  clock_.AdvanceTo(kT0 + seconds(3));
  EXPECT_EQ(runtime_.CallsStartingWith("ListPodSandboxes").size(), 3u);
  clock_.AdvanceTo(kT0 + seconds(7));
  EXPECT_EQ(runtime_.CallsStartingWith("ListPodSandboxes").size(), 4u);
  EXPECT_EQ(GetPod("web")->status.phase, "Pending");  // as created: not touched yet
  EXPECT_TRUE(GetPod("web")->status.container_statuses.empty());

  runtime_.SetAvailable(true);
  clock_.AdvanceTo(kT0 + seconds(15));
  EXPECT_EQ(GetPod("web")->status.phase, "Running");
  clock_.AdvanceTo(kT0 + seconds(20));
  EXPECT_EQ(NodeReady(*GetNode())->status, "True");

  // Down again while a new pod starts: its sandbox is retried, then runs.
  runtime_.SetAvailable(false);
  CreatePod(MakePod("second", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  EXPECT_EQ(GetPod("second")->status.phase, "Pending");
  clock_.Advance(seconds(7));
  EXPECT_EQ(runtime_.CallsStartingWith("RunPodSandbox default/second").size(), 4u);
  runtime_.SetAvailable(true);
  clock_.Advance(seconds(8));
  EXPECT_EQ(GetPod("second")->status.phase, "Running");
  EXPECT_EQ(GetPod("web")->status.phase, "Running");
  EXPECT_GT(kubelet_->stats().runtime_failures, 0u);
}

TEST_F(KubeletTest, UnreachableApiKeepsPodsRunningAndStatusCatchesUp) {
  runtime_.SetImageBehavior("crash:1", {seconds(30), 1});
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app", "crash:1")}));
  CreatePod(MakePod("gone", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  ASSERT_EQ(GetPod("web")->status.phase, "Running");

  gate_.SetReachable(false);
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(api_.Delete<api::Pod>("default", "gone", now).ok());
  clock_.AdvanceTo(kT0 + seconds(45));
  // The container crashed at +30 and was restarted at +40 all the same.
  ASSERT_EQ(runtime_.Running("app").size(), 2u);  // web's (restarted) and gone's
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer app attempt=1").size(), 1u);
  // The Api did not hear about it; the node's heartbeat is stale.
  EXPECT_EQ(CStatus("web", "app").restart_count, 0);
  EXPECT_EQ(NodeReady(*GetNode())->last_heartbeat_time, kT0);
  EXPECT_GT(kubelet_->stats().api_failures, 0u);

  gate_.SetReachable(true);
  clock_.AdvanceTo(kT0 + seconds(50));
  EXPECT_EQ(NodeReady(*GetNode())->last_heartbeat_time, kT0 + seconds(50));
  auto s = CStatus("web", "app");
  EXPECT_EQ(s.restart_count, 1);
  ASSERT_TRUE(s.state.running);
  EXPECT_EQ(s.state.running->started_at, kT0 + seconds(40));
  // The pod deleted meanwhile was torn down once the kubelet re-listed.
  EXPECT_EQ(runtime_.Running("app").size(), 1u);
  EXPECT_EQ(kubelet_->pod_count(), 1u);
}

// The kubelet's client is limited (kubeAPIQPS / kubeAPIBurst): with a
// budget of one request per second, its registration and list/watch use the
// burst, and the pod's status write waits for the bucket.
TEST_F(KubeletTest, StatusWritesWaitForTheClientsBudget) {
  KubeletOptions o = Options();
  o.client.limits = {1, 1};
  StartKubelet(o);
  CreatePod(MakePod("web", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  EXPECT_NE(GetPod("web")->status.phase, "Running");  // not yet written
  EXPECT_GT(kubelet_->client().stats().waited, 0u);
  clock_.AdvanceTo(kT0 + seconds(10));
  EXPECT_EQ(GetPod("web")->status.phase, "Running");
}

TEST_F(KubeletTest, StatusOverwrittenByOthersIsCorrected) {
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  // Another writer (say, a node lifecycle controller) marks the pod not ready.
  api::Pod pod = *GetPod("web");
  for (auto& c : pod.status.conditions) {
    if (c.type == "Ready") c.status = "False";
  }
  ASSERT_TRUE(api_.UpdateStatus(pod).ok());
  clock_.RunUntilIdle();
  EXPECT_EQ(Condition("web", "Ready"), "True");
}

TEST_F(KubeletTest, IdleKubeletCostsOnlyItsHeartbeats) {
  StartKubelet();
  for (int i = 0; i < 20; ++i)
    CreatePod(MakePod("p" + std::to_string(i), {MakeContainer("app")}));
  clock_.RunUntilIdle();
  // The next heartbeat, and the sweep of the pods' Events (an hour after
  // they were written).
  EXPECT_EQ(clock_.Pending(), 2u);
  const uint64_t before = clock_.Executed();
  const uint64_t writes = kubelet_->stats().pod_status_writes;
  clock_.Advance(hours(1));
  EXPECT_EQ(clock_.Executed() - before, 361u);  // one callback per heartbeat, one sweep
  EXPECT_EQ(kubelet_->stats().pod_status_writes, writes);
}

TEST_F(KubeletTest, StopLeavesContainersRunning) {
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  kubelet_->Stop();
  clock_.Advance(minutes(1));
  EXPECT_EQ(runtime_.Running("app").size(), 1u);
  EXPECT_EQ(clock_.Pending(), 1u);  // only the Events' expiry, the Api's
  // A restart in place adopts them.
  ASSERT_TRUE(kubelet_->Start().ok());
  clock_.RunUntilIdle();
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer").size(), 1u);
  EXPECT_EQ(kubelet_->pod_count(), 1u);
}

}  // namespace
}  // namespace navarch::kubelet::testing

namespace navarch::kubelet::testing {
namespace {

// Heartbeats are jittered as Kubernetes' kubelet jitters them (each period
// stretched by up to 4 %), deterministically: the same seed gives the same
// times, another seed other times.
TEST_F(KubeletTest, HeartbeatsAreJitteredDeterministically) {
  auto times = [](uint64_t seed) {
    runtime::ManualClock clock;
    store::MemoryStore store;
    client::LocalApi api(store, clock);
    FakeRuntime rt(clock);
    KubeletOptions o;
    o.node_name = "n1";
    o.node_status.jitter_seed = seed;
    Kubelet k(api, clock, rt, o);
    EXPECT_TRUE(k.Start().ok());
    std::vector<Time> beats;
    for (int i = 0; i < 600; ++i) {  // 300 s
      clock.AdvanceTo(clock.Now() + milliseconds(500));
      auto node = api.Get<api::Node>("", "n1");
      for (const auto& c : (*node)->status.conditions) {
        if (c.type == "Ready" && (beats.empty() || beats.back() != c.last_heartbeat_time)) {
          beats.push_back(c.last_heartbeat_time);
        }
      }
    }
    return beats;
  };
  const auto a = times(7), again = times(7), b = times(8);
  EXPECT_EQ(a, again);
  EXPECT_NE(a, b);
  // Times are written in whole seconds, so one gap reads 10 or 11 s; over
  // 300 s the stretch adds up (2 % on average): fewer than 30 beats after
  // the first, and more than 10 s apart on average.
  ASSERT_GE(a.size(), 20u);
  for (size_t i = 1; i < a.size(); ++i) {
    const Duration gap = a[i] - a[i - 1];
    EXPECT_GE(gap, seconds(9));
    EXPECT_LE(gap, seconds(11));
  }
  EXPECT_GT(a.back() - a.front(), seconds(10) * static_cast<int64_t>(a.size() - 1));
}

}  // namespace
}  // namespace navarch::kubelet::testing
