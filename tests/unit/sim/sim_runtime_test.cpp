#include "sim/sim_runtime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/runtime/manual_clock.h"
#include "sim/engine.h"

namespace navarch::sim {
namespace {

using runtime::ContainerEvent;
using runtime::ContainerState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

RuntimeModel FixedModel() {
  RuntimeModel m;
  m.sandbox_start = Distribution::Constant(milliseconds(100));
  m.defaults.image_pull = Distribution::Constant(seconds(2));
  m.defaults.container_start = Distribution::Constant(milliseconds(500));
  m.defaults.container_stop = Distribution::Constant(seconds(1));
  m.batch_run_duration = Distribution::Constant(seconds(30));
  RuntimeRule crashy;
  crashy.image = "crashy:*";
  crashy.overrides.crash = CrashModel{1.0, Distribution::Constant(seconds(10)), 137, "OOMKilled"};
  m.rules.push_back(crashy);
  RuntimeRule probes;
  probes.labels = {{"app", "web"}};
  ProbeBehaviour live;
  live.path = "/healthz";
  live.fails_after = minutes(1);
  ProbeBehaviour ready;
  ready.type = runtime::ProbeSpec::Type::kTcpSocket;
  ready.success_probability = 0.0;
  probes.overrides.probes = std::vector<ProbeBehaviour>{live, ready};
  m.rules.push_back(probes);
  return m;
}

class SimRuntimeTest : public ::testing::Test {
 protected:
  SimRuntimeTest() : model_(FixedModel()), rt_(clock_, model_, runtime::Rng(3), Options()) {
    rt_.SetEventHandler([this](const ContainerEvent& e) {
      const char* type = e.type == ContainerEvent::Type::kStarted  ? "started"
                         : e.type == ContainerEvent::Type::kExited ? "exited"
                                                                   : "removed";
      events_.push_back(FormatDuration(clock_.Now() - start_) + " " + type + " " + e.container_id +
                        (e.type == ContainerEvent::Type::kExited
                             ? " " + std::to_string(e.exit_code) + " " + e.reason
                             : ""));
    });
  }

  static SimRuntimeOptions Options() {
    SimRuntimeOptions o;
    o.node_name = "node-1";
    o.node_ip = "10.0.0.1";
    o.pod_ip_prefix = "10.128.1.";
    return o;
  }

  // Runs a pod with one container up to "started"; returns the container id.
  runtime::ContainerId StartPod(const std::string& pod, const std::string& image,
                                runtime::RuntimeLabels labels = {}) {
    runtime::PodSandboxConfig sc;
    sc.pod_uid = "uid-" + pod;
    sc.pod_namespace = "default";
    sc.pod_name = pod;
    // What the kubelet passes: jobs do not restart.
    sc.restart_policy = pod.rfind("job", 0) == 0 ? "Never" : "Always";
    sc.labels = std::move(labels);
    runtime::SandboxId sandbox;
    rt_.RunPodSandbox(sc, [&](Result<runtime::RunPodSandboxResult> r) {
      ASSERT_TRUE(r.ok()) << r.status();
      sandbox = r->id;
    });
    clock_.Advance(milliseconds(100));
    EXPECT_FALSE(sandbox.empty());
    bool pulled = false;
    rt_.PullImage(image, [&](Result<std::string> r) { pulled = r.ok(); });
    clock_.Advance(seconds(2));
    EXPECT_TRUE(pulled);
    runtime::ContainerConfig cc;
    cc.name = "main";
    cc.image = image;
    runtime::ContainerId id;
    rt_.CreateContainer(sandbox, cc, [&](Result<runtime::ContainerId> r) {
      ASSERT_TRUE(r.ok()) << r.status();
      id = *r;
    });
    clock_.RunUntilIdle();
    bool started = false;
    rt_.StartContainer(id, [&](Status s) { started = s.ok(); });
    clock_.Advance(milliseconds(500));
    EXPECT_TRUE(started);
    return id;
  }

  runtime::ContainerStatus StatusOf(const runtime::ContainerId& id) {
    runtime::ContainerStatus out;
    rt_.GetContainerStatus(id, [&](Result<runtime::ContainerStatus> r) { out = *r; });
    clock_.RunUntilIdle();
    return out;
  }

  runtime::ManualClock clock_;
  Time start_ = clock_.Now();
  RuntimeModel model_;
  SimRuntime rt_;
  std::vector<std::string> events_;
};

TEST_F(SimRuntimeTest, LifecycleWithModelTiming) {
  runtime::PodSandboxConfig sc;
  sc.pod_uid = "u1";
  sc.pod_namespace = "default";
  sc.pod_name = "web-1";
  runtime::RunPodSandboxResult sandbox;
  bool done = false;
  rt_.RunPodSandbox(sc, [&](Result<runtime::RunPodSandboxResult> r) {
    sandbox = *r;
    done = true;
  });
  EXPECT_FALSE(done);  // never inline
  clock_.Advance(milliseconds(99));
  EXPECT_FALSE(done);
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(done);
  EXPECT_EQ(sandbox.id, "s00000001");
  EXPECT_EQ(sandbox.pod_ip, "10.128.1.1");

  runtime::ContainerConfig cc;
  cc.name = "httpd";
  cc.image = "nginx:1.25";
  Status create_status;
  rt_.CreateContainer(sandbox.id, cc,
                      [&](Result<runtime::ContainerId> r) { create_status = r.status(); });
  clock_.RunUntilIdle();
  EXPECT_EQ(create_status.code(), Code::kInvalidArgument);
  EXPECT_THAT(create_status.message(), HasSubstr("image \"nginx:1.25\" is not present on node "
                                                 "node-1; pull it first"));

  std::string ref;
  rt_.PullImage("nginx:1.25", [&](Result<std::string> r) { ref = *r; });
  clock_.Advance(seconds(2));
  EXPECT_THAT(ref, HasSubstr("sha256:"));
  EXPECT_TRUE(rt_.HasImage("nginx:1.25"));

  runtime::ContainerId id;
  rt_.CreateContainer(sandbox.id, cc, [&](Result<runtime::ContainerId> r) { id = *r; });
  clock_.RunUntilIdle();
  EXPECT_EQ(StatusOf(id).state, ContainerState::kCreated);
  EXPECT_EQ(StatusOf(id).labels.at("io.navarch.pod.name"), "web-1");
  bool started = false;
  rt_.StartContainer(id, [&](Status s) { started = s.ok(); });
  clock_.Advance(milliseconds(500));
  EXPECT_TRUE(started);
  EXPECT_EQ(StatusOf(id).state, ContainerState::kRunning);
  EXPECT_EQ(rt_.running_containers(), 1u);

  bool stopped = false;
  rt_.StopContainer(id, seconds(30), [&](Status s) { stopped = s.ok(); });
  clock_.Advance(milliseconds(999));
  EXPECT_FALSE(stopped);
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(stopped);
  runtime::ContainerStatus st = StatusOf(id);
  EXPECT_EQ(st.state, ContainerState::kExited);
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_EQ(st.reason, "Completed");
  EXPECT_THAT(events_, ElementsAre("2.6s started c00000001", "3.6s exited c00000001 0 Completed"));
}

TEST_F(SimRuntimeTest, BatchContainersRunTheirDuration) {
  runtime::ContainerId id = StartPod("job-1", "busybox");
  clock_.Advance(seconds(29));
  EXPECT_EQ(StatusOf(id).state, ContainerState::kRunning);
  clock_.Advance(seconds(1));
  runtime::ContainerStatus st = StatusOf(id);
  EXPECT_EQ(st.state, ContainerState::kExited);
  EXPECT_EQ(st.exit_code, 0);
  EXPECT_EQ(st.finished_at - st.started_at, seconds(30));
}

TEST_F(SimRuntimeTest, ServiceContainersRunUntilStopped) {
  runtime::ContainerId id = StartPod("web-1", "busybox");
  clock_.Advance(hours(10));
  EXPECT_EQ(StatusOf(id).state, ContainerState::kRunning);
}

TEST_F(SimRuntimeTest, CrashRule) {
  runtime::ContainerId id = StartPod("web-1", "crashy:v1");
  clock_.Advance(seconds(10));
  runtime::ContainerStatus st = StatusOf(id);
  EXPECT_EQ(st.state, ContainerState::kExited);
  EXPECT_EQ(st.exit_code, 137);
  EXPECT_EQ(st.reason, "OOMKilled");
  EXPECT_EQ(rt_.stats().containers_crashed, 1u);
  EXPECT_EQ(events_.back(), "12.6s exited c00000001 137 OOMKilled");
}

TEST_F(SimRuntimeTest, ProbesFollowTheModel) {
  runtime::ContainerId id = StartPod("web-1", "busybox", {{"app", "web"}});
  runtime::ProbeSpec live;
  live.type = runtime::ProbeSpec::Type::kHttpGet;
  live.path = "/healthz";
  runtime::ProbeSpec ready;
  ready.type = runtime::ProbeSpec::Type::kTcpSocket;
  ready.port = 8080;
  std::vector<bool> results;
  const auto probe = [&](const runtime::ProbeSpec& p) {
    rt_.Probe(id, p, [&](Result<runtime::ProbeResult> r) { results.push_back(r->success); });
    clock_.RunUntilIdle();
  };
  probe(live);
  probe(ready);
  clock_.Advance(minutes(1));
  probe(live);
  EXPECT_THAT(results, ElementsAre(true, false, false));
  // A container without a matching rule always passes.
  runtime::ContainerId other = StartPod("api-1", "busybox");
  rt_.Probe(other, live, [&](Result<runtime::ProbeResult> r) { results.push_back(r->success); });
  clock_.RunUntilIdle();
  EXPECT_EQ(results.back(), true);
  runtime::ExecResult exec;
  rt_.Exec(id, {"true"}, seconds(1), [&](Result<runtime::ExecResult> r) { exec = *r; });
  clock_.RunUntilIdle();
  EXPECT_EQ(exec.exit_code, 0);
}

TEST_F(SimRuntimeTest, ErrorsNameTheNodeAndObject) {
  Status s;
  rt_.StartContainer("c99", [&](Status st) { s = st; });
  clock_.RunUntilIdle();
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.message(), "container c99 does not exist on node node-1");
  std::string logs;
  runtime::ContainerId id = StartPod("web-1", "busybox");
  auto stream = rt_.ContainerLogs(
      id, {}, [&](std::string_view c) { logs += c; }, [](Status) {});
  clock_.RunUntilIdle();
  EXPECT_EQ(logs, "started busybox (attempt 0)\n");
  runtime::LogOptions follow;
  follow.follow = true;
  auto followed = rt_.ContainerLogs(
      id, follow, [](std::string_view) {}, [&](Status st) { s = st; });
  clock_.RunUntilIdle();
  EXPECT_EQ(s.code(), Code::kNotSupported);
}

TEST_F(SimRuntimeTest, PowerOffDropsEverything) {
  runtime::ContainerId id = StartPod("web-1", "busybox");
  bool stop_called = false;
  rt_.StopContainer(id, seconds(30), [&](Status) { stop_called = true; });
  rt_.PowerOff();
  clock_.Advance(minutes(1));
  EXPECT_FALSE(stop_called);  // abandoned
  EXPECT_EQ(rt_.sandbox_count(), 0u);
  EXPECT_EQ(rt_.running_containers(), 0u);
  Status s;
  rt_.ListContainers({}, [&](Result<std::vector<runtime::ContainerStatus>> r) { s = r.status(); });
  clock_.RunUntilIdle();
  EXPECT_EQ(s.code(), Code::kUnavailable);
  rt_.PowerOn();
  EXPECT_TRUE(rt_.HasImage("busybox"));  // the disk survives
}

// Starts contend on their engine: the k-th start begun while others are in
// progress takes (1 + startContention * k) times its latency; a shared
// engine is shared by every node's runtime; a power-off frees its share.
TEST(SimRuntimeContentionTest, ConcurrentStartsSlowEachOtherOnTheirEngine) {
  runtime::ManualClock clock;
  const Time t0 = clock.Now();
  RuntimeModel model;
  model.sandbox_start = Distribution::Constant(milliseconds(100));
  model.start_contention = 0.5;
  auto engine = std::make_shared<EngineLoad>();
  SimRuntimeOptions a_options, b_options, c_options;
  a_options.node_name = "a";
  a_options.engine = engine;
  b_options.node_name = "b";
  b_options.engine = engine;
  c_options.node_name = "c";  // an engine of its own
  SimRuntime a(clock, model, runtime::Rng(1), a_options);
  SimRuntime b(clock, model, runtime::Rng(2), b_options);
  SimRuntime c(clock, model, runtime::Rng(3), c_options);
  std::vector<std::pair<std::string, Duration>> done;
  auto run = [&](SimRuntime& rt, const std::string& pod) {
    runtime::PodSandboxConfig sc;
    sc.pod_uid = "uid-" + pod;
    sc.pod_namespace = "default";
    sc.pod_name = pod;
    rt.RunPodSandbox(sc, [&done, &clock, t0, pod](Result<runtime::RunPodSandboxResult> r) {
      ASSERT_TRUE(r.ok()) << r.status();
      done.emplace_back(pod, clock.Now() - t0);
    });
  };
  run(a, "a1");
  run(b, "b1");
  run(a, "a2");
  run(c, "c1");
  EXPECT_EQ(engine->starting, 3);
  clock.Advance(seconds(1));
  EXPECT_THAT(done, ElementsAre(std::pair{std::string("a1"), Duration(milliseconds(100))},
                                std::pair{std::string("c1"), Duration(milliseconds(100))},
                                std::pair{std::string("b1"), Duration(milliseconds(150))},
                                std::pair{std::string("a2"), Duration(milliseconds(200))}));
  EXPECT_EQ(engine->starting, 0);
  // A node that powers off with starts in progress no longer loads the engine.
  run(a, "a3");
  run(a, "a4");
  EXPECT_EQ(engine->starting, 2);
  a.PowerOff();
  EXPECT_EQ(engine->starting, 0);
  done.clear();
  run(b, "b2");
  clock.Advance(seconds(1));
  // Begun at 1 s, alone on the engine: 100 ms.
  EXPECT_THAT(done, ElementsAre(std::pair{std::string("b2"), Duration(milliseconds(1100))}));
}

TEST_F(SimRuntimeTest, HostPortConflicts) {
  runtime::PodSandboxConfig a;
  a.pod_uid = "a";
  a.pod_namespace = "default";
  a.pod_name = "a";
  a.port_mappings.push_back({"TCP", 80, 8080, ""});
  runtime::PodSandboxConfig b = a;
  b.pod_uid = "b";
  b.pod_name = "b";
  Status sa, sb;
  rt_.RunPodSandbox(a, [&](Result<runtime::RunPodSandboxResult> r) { sa = r.status(); });
  rt_.RunPodSandbox(b, [&](Result<runtime::RunPodSandboxResult> r) { sb = r.status(); });
  clock_.Advance(seconds(1));
  EXPECT_TRUE(sa.ok());
  EXPECT_EQ(sb.message(),
            "pod default/b: host port 8080/TCP on node node-1 is already used by pod default/a");
}

// The same seed gives the same sequence of events; another seed differs.
std::vector<std::string> RunRandomWorld(uint64_t seed) {
  Engine engine(seed);
  RuntimeModel model;
  model.defaults.image_pull = Distribution::LogNormal(seconds(2), seconds(10));
  model.defaults.container_start = Distribution::Uniform(milliseconds(100), seconds(1));
  model.batch_run_duration = Distribution::Exponential(seconds(20));
  model.defaults.failure_probability = 0.3;
  SimRuntimeOptions options;
  options.node_name = "n";
  SimRuntime rt(engine.clock(), model, engine.Stream("runtime/n"), options);
  std::vector<std::string> log;
  rt.SetEventHandler([&](const ContainerEvent& e) {
    log.push_back(std::to_string((e.time - engine.start()).count()) + " " + e.container_id + " " +
                  std::to_string(static_cast<int>(e.type)) + " " + std::to_string(e.exit_code));
  });
  for (int p = 0; p < 20; ++p) {
    runtime::PodSandboxConfig sc;
    sc.pod_uid = "u" + std::to_string(p);
    sc.pod_namespace = "default";
    sc.pod_name = "job-" + std::to_string(p);
    sc.restart_policy = "Never";
    const std::string image = "img-" + std::to_string(p % 3);
    rt.RunPodSandbox(sc, [&rt, image](Result<runtime::RunPodSandboxResult> r) {
      const runtime::SandboxId sandbox = r->id;
      rt.PullImage(image, [&rt, image, sandbox](Result<std::string>) {
        runtime::ContainerConfig cc;
        cc.name = "main";
        cc.image = image;
        rt.CreateContainer(sandbox, cc, [&rt](Result<runtime::ContainerId> id) {
          rt.StartContainer(*id, [](Status) {});
        });
      });
    });
  }
  Engine::RunResult result = engine.RunUntilIdle(engine.start() + hours(1), nullptr);
  EXPECT_EQ(result.reason, Engine::StopReason::kDrained);
  log.push_back("events " + std::to_string(engine.events_processed()));
  return log;
}

TEST(SimDeterminismTest, SameSeedSameSequence) {
  std::vector<std::string> a = RunRandomWorld(5);
  std::vector<std::string> b = RunRandomWorld(5);
  std::vector<std::string> c = RunRandomWorld(6);
  EXPECT_EQ(a.size(), 41u);  // 20 starts, 20 exits, the event count
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace navarch::sim
