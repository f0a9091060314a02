// Pod lifecycle on one node: start, status, restarts with back-off, restart
// policies, probes, init containers, deletion.

#include <gtest/gtest.h>

#include "tests/unit/kubelet/kubelet_fixture.h"

namespace navarch::kubelet::testing {
namespace {

TEST_F(KubeletTest, PodGoesPendingThenRunningWithContainerStatuses) {
  StartKubelet();
  runtime_.SetLatency(seconds(1));
  CreatePod(MakePod("web", {MakeContainer("app"), MakeContainer("sidecar")}));
  clock_.RunUntilIdle();
  // Sandbox requested, nothing finished yet: Pending, containers creating.
  auto pod = GetPod("web");
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->status.phase, "Pending");
  EXPECT_EQ(pod->status.host_ip, "192.168.0.10");
  EXPECT_EQ(pod->status.start_time, kT0);
  ASSERT_EQ(pod->status.container_statuses.size(), 2u);
  ASSERT_TRUE(pod->status.container_statuses[0].state.waiting);
  EXPECT_EQ(pod->status.container_statuses[0].state.waiting->reason, "ContainerCreating");
  EXPECT_EQ(Condition("web", "PodScheduled"), "True");
  EXPECT_EQ(Condition("web", "Initialized"), "True");
  EXPECT_EQ(Condition("web", "Ready"), "False");
  EXPECT_EQ(Condition("web", "ContainersReady"), "False");

  // +1 s sandbox; +2 s pull (each container); +3 s create; StartContainer
  // at +3 s completes at +4 s; its status read completes at +5 s.
  clock_.Advance(seconds(4));
  EXPECT_EQ(GetPod("web")->status.phase, "Pending");
  clock_.Advance(seconds(1));
  pod = GetPod("web");
  EXPECT_EQ(pod->status.phase, "Running");
  EXPECT_EQ(pod->status.pod_ip, "10.0.0.2");
  ASSERT_EQ(pod->status.pod_ips.size(), 1u);
  for (const auto& name : {"app", "sidecar"}) {
    auto s = CStatus("web", name);
    ASSERT_TRUE(s.state.running) << name;
    EXPECT_EQ(s.state.running->started_at, kT0 + seconds(3));
    EXPECT_TRUE(s.ready);
    EXPECT_EQ(s.started, true);
    EXPECT_EQ(s.restart_count, 0);
    EXPECT_EQ(s.image, "app:1");
    EXPECT_EQ(s.image_id, "sha256:app:1");
    EXPECT_FALSE(s.container_id.empty());
  }
  EXPECT_EQ(Condition("web", "Ready"), "True");
  EXPECT_EQ(Condition("web", "ContainersReady"), "True");
  EXPECT_EQ(pod->status.qos_class, "BestEffort");
  EXPECT_EQ(runtime_.CallsStartingWith("RunPodSandbox"),
            std::vector<std::string>{"RunPodSandbox default/web attempt=0"});
  // The image is pulled once per kubelet (IfNotPresent for a tagged image):
  // both containers asked before the first pull finished.
  EXPECT_EQ(runtime_.CallsStartingWith("PullImage").size(), 2u);

  // Nothing more happens while all is well: the status is not rewritten.
  const uint64_t writes = kubelet_->stats().pod_status_writes;
  const std::string rv = GetPod("web")->metadata.resource_version;
  clock_.Advance(minutes(5));
  EXPECT_EQ(kubelet_->stats().pod_status_writes, writes);
  EXPECT_EQ(GetPod("web")->metadata.resource_version, rv);
}

TEST_F(KubeletTest, BatchPodSucceedsAndReleasesItsSandbox) {
  runtime_.SetImageBehavior("batch:1", {seconds(5), 0});
  StartKubelet();
  CreatePod(MakePod("job", {MakeContainer("work", "batch:1")}, "OnFailure"));
  clock_.RunUntilIdle();
  EXPECT_EQ(GetPod("job")->status.phase, "Running");
  clock_.Advance(seconds(5));
  auto pod = GetPod("job");
  EXPECT_EQ(pod->status.phase, "Succeeded");
  auto s = CStatus("job", "work");
  ASSERT_TRUE(s.state.terminated);
  EXPECT_EQ(s.state.terminated->exit_code, 0);
  EXPECT_EQ(s.state.terminated->reason, "Completed");
  EXPECT_EQ(s.state.terminated->started_at, kT0);
  EXPECT_EQ(s.state.terminated->finished_at, kT0 + seconds(5));
  EXPECT_EQ(s.restart_count, 0);
  const auto* ready = FindPodCondition(pod->status.conditions, "Ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, "PodCompleted");
  EXPECT_EQ(runtime_.CallsStartingWith("StopPodSandbox").size(), 1u);
  // Never restarted.
  clock_.Advance(minutes(10));
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer").size(), 1u);
  EXPECT_EQ(GetPod("job")->status.phase, "Succeeded");
}

TEST_F(KubeletTest, CrashingContainerRestartsWithExponentialBackoff) {
  runtime_.SetImageBehavior("crash:1", {seconds(1), 2});
  StartKubelet();
  CreatePod(MakePod("loop", {MakeContainer("app", "crash:1")}));
  clock_.RunUntilIdle();
  ASSERT_TRUE(CStatus("loop", "app").state.running);

  // Exit at +1 s; back-off 10 s; then 20 s, 40 s, 80 s after each exit.
  Time t = kT0;
  Duration backoff = seconds(10);
  for (int restart = 1; restart <= 4; ++restart) {
    clock_.AdvanceTo(t + seconds(1));
    auto s = CStatus("loop", "app");
    ASSERT_TRUE(s.state.waiting) << "restart " << restart;
    EXPECT_EQ(s.state.waiting->reason, "CrashLoopBackOff");
    EXPECT_NE(s.state.waiting->message.find("back-off " + FormatDuration(backoff)),
              std::string::npos)
        << s.state.waiting->message;
    ASSERT_TRUE(s.last_state.terminated);
    EXPECT_EQ(s.last_state.terminated->exit_code, 2);
    EXPECT_EQ(s.last_state.terminated->finished_at, t + seconds(1));
    EXPECT_EQ(s.restart_count, restart - 1);
    EXPECT_EQ(GetPod("loop")->status.phase, "Running");  // restartPolicy Always
    EXPECT_EQ(Condition("loop", "Ready"), "False");

    clock_.AdvanceTo(t + seconds(1) + backoff - seconds(1));
    EXPECT_FALSE(CStatus("loop", "app").state.running);
    t = t + seconds(1) + backoff;
    clock_.AdvanceTo(t);
    s = CStatus("loop", "app");
    ASSERT_TRUE(s.state.running) << "restart " << restart;
    EXPECT_EQ(s.state.running->started_at, t);
    EXPECT_EQ(s.restart_count, restart);
    ASSERT_TRUE(s.last_state.terminated);
    EXPECT_EQ(s.last_state.terminated->exit_code, 2);
    backoff *= 2;
  }
  EXPECT_EQ(
      runtime_.CallsStartingWith("CreateContainer"),
      (std::vector<std::string>{"CreateContainer app attempt=0", "CreateContainer app attempt=1",
                                "CreateContainer app attempt=2", "CreateContainer app attempt=3",
                                "CreateContainer app attempt=4"}));
  // Dead attempts are garbage-collected: the running one and one dead kept.
  int kept = 0;
  for (const auto& c : runtime_.Containers())
    kept += c.name == "app";
  EXPECT_EQ(kept, 2);
}

TEST_F(KubeletTest, BackoffIsCappedAndResetsAfterALongRun) {
  KubeletOptions o = Options();
  o.crash_backoff = {seconds(10), seconds(30), minutes(1)};
  StartKubelet(o);
  CreatePod(MakePod("p", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  auto crash_after = [&](Duration run) {
    clock_.Advance(run);
    runtime_.Crash(runtime_.Running("app").at(0).id, 1);
    clock_.RunUntilIdle();
  };
  // 10 s, 20 s, then capped at 30 s.
  for (Duration expected : {seconds(10), seconds(20), seconds(30), seconds(30)}) {
    crash_after(seconds(2));
    clock_.Advance(expected - seconds(1));
    EXPECT_TRUE(runtime_.Running("app").empty());
    clock_.Advance(seconds(1));
    EXPECT_EQ(runtime_.Running("app").size(), 1u);
  }
  // A run of reset_after (1 min) starts over at 10 s.
  crash_after(minutes(1));
  clock_.Advance(seconds(10));
  EXPECT_EQ(runtime_.Running("app").size(), 1u);
  EXPECT_EQ(CStatus("p", "app").restart_count, 5);
}

TEST_F(KubeletTest, RestartPolicies) {
  runtime_.AddRegistryImage("ok:1");
  runtime_.AddRegistryImage("bad:1");
  runtime_.SetImageBehavior("ok:1", {seconds(3), 0});
  runtime_.SetImageBehavior("bad:1", {seconds(3), 1});
  StartKubelet();
  CreatePod(MakePod("onfailure-ok", {MakeContainer("c", "ok:1")}, "OnFailure"));
  CreatePod(MakePod("onfailure-bad", {MakeContainer("c", "bad:1")}, "OnFailure"));
  CreatePod(MakePod("never-bad", {MakeContainer("c", "bad:1")}, "Never"));
  CreatePod(MakePod("always-ok", {MakeContainer("c", "ok:1")}, "Always"));
  clock_.RunUntilIdle();
  clock_.Advance(seconds(3));
  EXPECT_EQ(GetPod("onfailure-ok")->status.phase, "Succeeded");
  EXPECT_EQ(GetPod("onfailure-bad")->status.phase, "Running");
  EXPECT_EQ(GetPod("never-bad")->status.phase, "Failed");
  EXPECT_EQ(GetPod("always-ok")->status.phase, "Running");
  auto never = CStatus("never-bad", "c");
  ASSERT_TRUE(never.state.terminated);
  EXPECT_EQ(never.state.terminated->exit_code, 1);
  EXPECT_EQ(never.state.terminated->reason, "Error");
  clock_.Advance(seconds(10));
  EXPECT_EQ(CStatus("onfailure-ok", "c").restart_count, 0);
  EXPECT_EQ(CStatus("onfailure-bad", "c").restart_count, 1);
  EXPECT_EQ(CStatus("never-bad", "c").restart_count, 0);
  EXPECT_EQ(CStatus("always-ok", "c").restart_count, 1);  // Always restarts even exit 0
  EXPECT_EQ(GetPod("never-bad")->status.phase, "Failed");
}

TEST_F(KubeletTest, FailingLivenessProbeRestartsAfterFailureThresholdPeriods) {
  StartKubelet();
  auto c = MakeContainer("app");
  c.liveness_probe = ExecProbe("live", /*initial_delay=*/5, /*period=*/10, /*failure=*/3);
  runtime_.SetProbeResult("app", "live", false);
  CreatePod(MakePod("p", {c}));
  clock_.RunUntilIdle();
  const std::string first = runtime_.Running("app").at(0).id;
  // Probes fail at +5, +15, +25: killed at the third.
  clock_.AdvanceTo(kT0 + seconds(24));
  EXPECT_EQ(runtime_.probes_run(), 2);
  EXPECT_TRUE(runtime_.CallsStartingWith("StopContainer").empty());
  clock_.AdvanceTo(kT0 + seconds(25));
  EXPECT_EQ(runtime_.CallsStartingWith("StopContainer"),
            std::vector<std::string>{"StopContainer " + first + " grace=30s"});
  auto s = CStatus("p", "app");
  ASSERT_TRUE(s.state.waiting);
  EXPECT_EQ(s.state.waiting->reason, "CrashLoopBackOff");
  ASSERT_TRUE(s.last_state.terminated);
  EXPECT_EQ(s.last_state.terminated->exit_code, 137);
  // Restarted like any exit: after the back-off, counted as a restart.
  clock_.AdvanceTo(kT0 + seconds(35));
  s = CStatus("p", "app");
  ASSERT_TRUE(s.state.running);
  EXPECT_EQ(s.restart_count, 1);
  // The probe passes now: no more kills.
  runtime_.SetProbeResult("app", "live", true);
  clock_.Advance(minutes(5));
  EXPECT_EQ(CStatus("p", "app").restart_count, 1);
  EXPECT_EQ(runtime_.CallsStartingWith("StopContainer").size(), 1u);
}

TEST_F(KubeletTest, ReadinessProbeGatesReadyCondition) {
  StartKubelet();
  auto c = MakeContainer("app");
  c.readiness_probe = ExecProbe("ready", /*initial_delay=*/2, /*period=*/5, /*failure=*/2);
  CreatePod(MakePod("p", {c, MakeContainer("plain")}));
  clock_.RunUntilIdle();
  // Running but not ready until the first success at +2 s.
  EXPECT_EQ(GetPod("p")->status.phase, "Running");
  EXPECT_FALSE(CStatus("p", "app").ready);
  EXPECT_TRUE(CStatus("p", "plain").ready);
  EXPECT_EQ(Condition("p", "Ready"), "False");
  const auto* cond = FindPodCondition(GetPod("p")->status.conditions, "ContainersReady");
  ASSERT_TRUE(cond);
  EXPECT_EQ(cond->message, "containers with unready status: [app]");
  clock_.AdvanceTo(kT0 + seconds(2));
  EXPECT_TRUE(CStatus("p", "app").ready);
  EXPECT_EQ(Condition("p", "Ready"), "True");

  // Two consecutive failures (+7, +12) make it unready; no restart.
  runtime_.SetProbeResult("app", "ready", false);
  clock_.AdvanceTo(kT0 + seconds(7));
  EXPECT_EQ(Condition("p", "Ready"), "True");
  clock_.AdvanceTo(kT0 + seconds(12));
  EXPECT_EQ(Condition("p", "Ready"), "False");
  auto ready = FindPodCondition(GetPod("p")->status.conditions, "Ready");
  EXPECT_EQ(ready->last_transition_time, kT0 + seconds(12));
  EXPECT_EQ(GetPod("p")->status.phase, "Running");
  EXPECT_EQ(CStatus("p", "app").restart_count, 0);

  runtime_.SetProbeResult("app", "ready", true);
  clock_.AdvanceTo(kT0 + seconds(17));
  EXPECT_EQ(Condition("p", "Ready"), "True");
}

TEST_F(KubeletTest, StartupProbeHoldsOffLivenessUntilItSucceeds) {
  StartKubelet();
  auto c = MakeContainer("app");
  c.startup_probe = ExecProbe("startup", 0, 10, 30);
  c.liveness_probe = ExecProbe("live", 0, 10, 1);
  runtime_.SetProbeResult("app", "startup", false);
  runtime_.SetProbeResult("app", "live", false);
  CreatePod(MakePod("p", {c}));
  clock_.RunUntilIdle();
  clock_.Advance(seconds(60));
  // Liveness never ran: the container has not started yet.
  EXPECT_EQ(runtime_.probes_run(), 7);  // startup at +0 .. +60
  EXPECT_EQ(CStatus("p", "app").started, false);
  EXPECT_FALSE(CStatus("p", "app").ready);
  runtime_.SetProbeResult("app", "startup", true);
  clock_.Advance(seconds(10));  // startup succeeds at +70; liveness at +70 fails once
  EXPECT_EQ(runtime_.CallsStartingWith("StopContainer").size(), 1u);
}

TEST_F(KubeletTest, NamedProbePortIsResolved) {
  StartKubelet();
  auto c = MakeContainer("app");
  c.ports.push_back(api::ContainerPort{"http", 0, 8080, "TCP", ""});
  api::Probe p;
  p.http_get = api::HttpGetAction{"/healthz", api::IntOrString("http"), "", "", {}};
  c.readiness_probe = p;
  runtime_.SetProbeResult("app", "/healthz", true);
  CreatePod(MakePod("p", {c}));
  clock_.RunUntilIdle();
  EXPECT_EQ(runtime_.probes_run(), 1);
  EXPECT_TRUE(CStatus("p", "app").ready);

  // An unknown port name fails the probe (never ready), with no runtime call.
  auto bad = MakeContainer("app");
  p.http_get->port = api::IntOrString("nope");
  bad.readiness_probe = p;
  CreatePod(MakePod("q", {bad}));
  clock_.RunUntilIdle();
  clock_.Advance(seconds(30));
  EXPECT_FALSE(CStatus("q", "app").ready);
  EXPECT_EQ(runtime_.probes_run(), 4);  // only pod p's, at +0, +10, +20, +30
}

TEST_F(KubeletTest, InitContainersRunInOrderEachToCompletion) {
  runtime_.AddRegistryImage("init:1");
  runtime_.SetImageBehavior("init:1", {seconds(2), 0});
  StartKubelet();
  auto pod = MakePod("p", {MakeContainer("app")});
  pod.spec.Mutable().init_containers = {MakeContainer("first", "init:1"),
                                        MakeContainer("second", "init:1")};
  CreatePod(pod);
  clock_.RunUntilIdle();
  EXPECT_EQ(GetPod("p")->status.phase, "Pending");
  EXPECT_EQ(Condition("p", "Initialized"), "False");
  auto app = CStatus("p", "app");
  ASSERT_TRUE(app.state.waiting);
  EXPECT_EQ(app.state.waiting->reason, "PodInitializing");
  EXPECT_TRUE(CStatus("p", "first").state.running);
  EXPECT_TRUE(CStatus("p", "second").state.waiting);
  clock_.Advance(seconds(2));
  EXPECT_TRUE(CStatus("p", "first").state.terminated);
  EXPECT_TRUE(CStatus("p", "second").state.running);
  clock_.Advance(seconds(2));
  EXPECT_EQ(GetPod("p")->status.phase, "Running");
  EXPECT_EQ(Condition("p", "Initialized"), "True");
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer"),
            (std::vector<std::string>{"CreateContainer first attempt=0",
                                      "CreateContainer second attempt=0",
                                      "CreateContainer app attempt=0"}));
}

TEST_F(KubeletTest, FailedInitContainerWithRestartNeverFailsThePod) {
  runtime_.AddRegistryImage("init:1");
  runtime_.SetImageBehavior("init:1", {seconds(1), 3});
  StartKubelet();
  auto pod = MakePod("p", {MakeContainer("app")}, "Never");
  pod.spec.Mutable().init_containers = {MakeContainer("setup", "init:1")};
  CreatePod(pod);
  clock_.RunUntilIdle();
  clock_.Advance(seconds(1));
  EXPECT_EQ(GetPod("p")->status.phase, "Failed");
  EXPECT_EQ(runtime_.CallsStartingWith("CreateContainer"),
            std::vector<std::string>{"CreateContainer setup attempt=0"});
}

TEST_F(KubeletTest, GracefulDeletionStopsThenDeletesThePod) {
  StartKubelet();
  auto pod = MakePod("web", {MakeContainer("app")});
  pod.spec.Mutable().termination_grace_period_seconds = 20;
  CreatePod(pod);
  clock_.RunUntilIdle();
  const std::string cid = runtime_.Running("app").at(0).id;
  const std::string sid = runtime_.Sandboxes().at(0).id;
  runtime_.ClearCalls();

  auto deleting = api_.Delete<api::Pod>("default", "web");
  ASSERT_TRUE(deleting.ok());
  ASSERT_TRUE((*deleting)->metadata.deletion_timestamp);
  EXPECT_TRUE(GetPod("web"));  // still there until the kubelet is done
  clock_.RunUntilIdle();
  EXPECT_EQ(runtime_.calls(),
            (std::vector<std::string>{"StopContainer " + cid + " grace=20s",
                                      "StopPodSandbox " + sid, "RemovePodSandbox " + sid}));
  EXPECT_FALSE(GetPod("web"));
  EXPECT_TRUE(runtime_.Containers().empty());
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  clock_.RunUntilIdle();
  EXPECT_EQ(kubelet_->pod_count(), 0u);
}

TEST_F(KubeletTest, PodDeletedOutrightIsTornDown) {
  StartKubelet();
  CreatePod(MakePod("web", {MakeContainer("app")}));
  clock_.RunUntilIdle();
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(api_.Delete<api::Pod>("default", "web", now).ok());
  clock_.RunUntilIdle();
  EXPECT_TRUE(runtime_.Containers().empty());
  EXPECT_TRUE(runtime_.Sandboxes().empty());
  EXPECT_EQ(kubelet_->pod_count(), 0u);
  // The grace period used is the pod's (30 s by default).
  EXPECT_EQ(runtime_.CallsStartingWith("StopContainer")
                .at(0)
                .substr(runtime_.CallsStartingWith("StopContainer").at(0).find("grace")),
            "grace=30s");
}

TEST_F(KubeletTest, MissingImageIsReportedWithTheRuntimeMessage) {
  StartKubelet();
  CreatePod(MakePod("pull", {MakeContainer("app", "ghost:1")}));
  auto never = MakeContainer("app", "absent:1");
  never.image_pull_policy = "Never";
  CreatePod(MakePod("never", {never}));
  clock_.RunUntilIdle();
  auto s = CStatus("pull", "app");
  ASSERT_TRUE(s.state.waiting);
  EXPECT_EQ(s.state.waiting->reason, "ErrImagePull");
  EXPECT_EQ(s.state.waiting->message,
            "fake runtime: pull access denied for \"ghost:1\": repository does not exist");
  EXPECT_EQ(GetPod("pull")->status.phase, "Pending");
  s = CStatus("never", "app");
  ASSERT_TRUE(s.state.waiting);
  EXPECT_EQ(s.state.waiting->reason, "ErrImageNeverPull");
  EXPECT_EQ(s.state.waiting->message,
            "fake runtime: container \"app\": image \"absent:1\" is not present on this node; "
            "pull it first");
  EXPECT_TRUE(runtime_.CallsStartingWith("PullImage absent").empty());

  // Retried with back-off (1 s, 2 s, ...); once the image exists it runs.
  runtime_.AddRegistryImage("ghost:1");
  clock_.Advance(seconds(1));
  EXPECT_TRUE(CStatus("pull", "app").state.running);
  EXPECT_EQ(GetPod("pull")->status.phase, "Running");
}

TEST_F(KubeletTest, HostPortsBecomePortMappingsAndConflictsAreRetried) {
  StartKubelet();
  auto c = MakeContainer("app");
  c.ports.push_back(api::ContainerPort{"http", 8080, 80, "", ""});
  CreatePod(MakePod("a", {c}));
  CreatePod(MakePod("b", {c}));
  clock_.RunUntilIdle();
  EXPECT_EQ(GetPod("a")->status.phase, "Running");
  EXPECT_EQ(GetPod("b")->status.phase, "Pending");
  // b retries; once a is gone it gets the port.
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(api_.Delete<api::Pod>("default", "a", now).ok());
  clock_.Advance(seconds(10));
  EXPECT_EQ(GetPod("b")->status.phase, "Running");
}

}  // namespace
}  // namespace navarch::kubelet::testing
