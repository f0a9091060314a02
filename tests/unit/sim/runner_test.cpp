#include "sim/runner.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/scenario.h"

namespace navarch::sim {
namespace {

using ::testing::HasSubstr;

const std::string kScenarios = std::string(NAVARCH_SOURCE_DIR) + "/scenarios";

Scenario Parse(std::string_view text) {
  Result<Scenario> s = ParseScenario(text, "t.yaml", kScenarios);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : Scenario{};
}

Report MustRun(Scenario scenario, RunnerOptions options = {}) {
  Runner runner(std::move(scenario), std::move(options));
  Result<Report> r = runner.Run();
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(*r) : Report{};
}

std::string Failures(const Report& r) {
  std::string out;
  for (const auto& e : r.expectations) {
    if (!e.passed) out += e.description + ": " + e.message + "\n";
  }
  return out;
}

// Three nodes, one per zone-rack, and an RC of three spread over them.
constexpr std::string_view kThreeNodes = R"(name: three
seed: 7
duration: 6m
cluster:
  nodeGroups:
    - name: n
      count: 3
      zones: [zone-a, zone-b, zone-c]
      capacity: {cpu: "2", memory: 4Gi, pods: "20"}
controllers:
  nodeMonitorGracePeriod: 40s
  podEvictionTimeout: 30s
objects:
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: web}
    spec:
      replicas: 3
      selector: {app: web}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers:
            - name: c
              image: busybox
              resources: {requests: {cpu: 500m, memory: 256Mi}}
)";

TEST(RunnerTest, QuickstartRunsAndItsExpectationsPass) {
  Result<Scenario> s = LoadScenarioFile(kScenarios + "/quickstart.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  Report r = MustRun(std::move(*s));
  EXPECT_TRUE(r.Passed()) << Failures(r);
  EXPECT_EQ(r.stop_reason, "duration");
  EXPECT_EQ(r.ended_at, minutes(15));
  EXPECT_EQ(r.expectations.size(), 5u);
  EXPECT_EQ(r.nodes, 6);
  EXPECT_EQ(r.nodes_ready, 6);
  EXPECT_EQ(r.pods_running, 3);
  // The failed node's web pod was replaced: one more pod than replicas.
  EXPECT_EQ(r.pods_created, 4);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0].result, "ok");
  ASSERT_EQ(r.recoveries.size(), 1u);
  EXPECT_EQ(r.recoveries[0].affected_controllers, std::vector<std::string>{"default/web"});
  ASSERT_TRUE(r.recoveries[0].recovered_after);
  // Grace period (40s) + eviction timeout (1m) + a restart elsewhere,
  // counted from the last heartbeat (up to one jittered period, 10.4 s,
  // before the failure).
  EXPECT_GT(*r.recoveries[0].recovered_after, seconds(90));
  EXPECT_LT(*r.recoveries[0].recovered_after, seconds(130));
  // A sample every 10s from 0 to 15m.
  EXPECT_EQ(r.series.size(), 91u);
  EXPECT_EQ(r.decisions.size(), 4u);
}

// The control plane costs time: 1,000 pods through the replication manager's
// 20 QPS / 30 burst client are created over (1000 - 30) / 20 = 48.5 s, as
// kube-controller-manager would create them; `controlPlane: ideal` creates
// them all at once, binds them at once and starts them together.
TEST(RunnerTest, ReplicationManagerCreatesAtItsClientRate) {
  std::string text = R"(name: thousand
seed: 3
runUntilIdle: true
cluster:
  nodeGroups:
    - name: n
      count: 20
      zones: [zone-a]
      capacity: {cpu: "64", memory: 256Gi, pods: "110"}
objects:
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: big}
    spec:
      replicas: 1000
      selector: {app: big}
      template:
        metadata: {labels: {app: big}}
        spec:
          containers:
            - {name: c, image: busybox, resources: {requests: {cpu: 10m}}}
)";
  const auto span = [](const Report& r) {
    Duration first = Duration::max(), last{};
    for (const auto& p : r.pods) {
      first = std::min(first, p.created);
      last = std::max(last, p.created);
    }
    return std::pair{first, last};
  };
  Report costly = MustRun(Parse(text));
  ASSERT_EQ(costly.pods.size(), 1000u);
  auto [first, last] = span(costly);
  EXPECT_LT(first, milliseconds(5));  // one request's latency
  // 48.5 s of tokens, plus the status writes that share the bucket and the
  // requests' latency.
  EXPECT_GE(last, milliseconds(48'500));
  EXPECT_LT(last, seconds(51));
  // Each bind is a request of its own (latency > 0).
  EXPECT_GT(costly.scheduling_latency.p50, Duration::zero());

  Report ideal = MustRun(Parse(text + "controlPlane: ideal\n"));
  ASSERT_EQ(ideal.pods.size(), 1000u);
  EXPECT_EQ(span(ideal).second, Duration::zero());
  EXPECT_EQ(ideal.scheduling_latency.max, Duration::zero());
}

TEST(RunnerTest, SameSeedGivesByteIdenticalReportJson) {
  Result<Scenario> s = LoadScenarioFile(kScenarios + "/quickstart.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string a = ReportJson(MustRun(*s));
  const std::string b = ReportJson(MustRun(*s));
  EXPECT_EQ(a, b);
  RunnerOptions other;
  other.seed = 43;
  const std::string c = ReportJson(MustRun(*s, other));
  EXPECT_NE(a, c);
  EXPECT_THAT(c, HasSubstr("\"seed\": 43,"));
}

TEST(RunnerTest, FailedNodeHasItsPodsReplacedOnOtherNodes) {
  std::string text(kThreeNodes);
  text += R"(events:
  - at: 1m
    failNode: n-2
expect:
  - runningReplicas: {selector: app=web, atLeast: 3, by: 5m}
)";
  Report r = MustRun(Parse(text));
  EXPECT_TRUE(r.Passed()) << Failures(r);
  // Spread: one replica per node at first (created within the first
  // second: API requests take simulated time).
  std::set<std::string> first_nodes;
  for (const auto& p : r.pods) {
    if (p.created < seconds(1)) first_nodes.insert(p.node);
  }
  EXPECT_EQ(first_nodes, (std::set<std::string>{"n-1", "n-2", "n-3"}));
  // The pod on n-2 was evicted (still terminating: its kubelet is down) and a
  // replacement runs elsewhere.
  int on_failed = 0, replacements = 0;
  for (const auto& p : r.pods) {
    if (p.node == "n-2") {
      ++on_failed;
      EXPECT_EQ(p.phase, "Terminating");
    }
    if (p.created > seconds(60)) {
      ++replacements;
      EXPECT_NE(p.node, "n-2");
      EXPECT_EQ(p.phase, "Running");
      // Created after grace period + eviction timeout, from the node's last
      // heartbeat (at most one jittered period, 10.4 s, before it failed).
      EXPECT_GE(p.created, seconds(60 + 40 + 30) - milliseconds(10400));
    }
  }
  EXPECT_EQ(on_failed, 1);
  EXPECT_EQ(replacements, 1);
  EXPECT_EQ(r.pods_running, 4);  // the evicted pod still reads Running
  EXPECT_EQ(r.pods_terminating, 1);
  EXPECT_EQ(r.nodes_ready, 2);
  ASSERT_EQ(r.recoveries.size(), 1u);
  EXPECT_EQ(r.recoveries[0].nodes, std::vector<std::string>{"n-2"});
  ASSERT_TRUE(r.recoveries[0].recovered_after);
  EXPECT_GE(*r.recoveries[0].recovered_after, seconds(70) - milliseconds(10400));
}

TEST(RunnerTest, FailingExpectationIsReportedWithItsValue) {
  std::string text(kThreeNodes);
  text += R"(expect:
  - runningReplicas: {selector: app=web, atLeast: 4, by: 1m}
  - readyNodes: {atLeast: 3}
)";
  Report r = MustRun(Parse(text));
  EXPECT_FALSE(r.Passed());
  ASSERT_EQ(r.expectations.size(), 2u);
  EXPECT_FALSE(r.expectations[0].passed);
  EXPECT_EQ(r.expectations[0].checked_at, minutes(1));
  EXPECT_EQ(r.expectations[0].message, "3 running and ready (want at least 4)");
  EXPECT_EQ(r.expectations[0].description, "runningReplicas app=web >= 4 by 1m0s");
  EXPECT_TRUE(r.expectations[1].passed);
  EXPECT_EQ(r.expectations[1].checked_at, minutes(6));
  EXPECT_THAT(SummaryTable(r), HasSubstr("✗ runningReplicas app=web >= 4 by 1m0s"));
  EXPECT_THAT(SummaryTable(r), HasSubstr("1/2 expectations passed"));
}

TEST(RunnerTest, BatchPodsRunUntilIdle) {
  constexpr std::string_view text = R"(name: batch
runUntilIdle: {maxDuration: 1h}
cluster:
  nodeGroups:
    - name: n
      count: 2
      zones: [zone-a]
      capacity: {cpu: "2", memory: 4Gi, pods: "20"}
runtime:
  batchRunDuration: 2m
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: job-1, labels: {app: job}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, resources: {requests: {cpu: 1500m}}}]
  - apiVersion: v1
    kind: Pod
    metadata: {name: job-2, labels: {app: job}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, resources: {requests: {cpu: 1500m}}}]
  - apiVersion: v1
    kind: Pod
    metadata: {name: job-3, labels: {app: job}}
    spec:
      restartPolicy: OnFailure
      containers: [{name: c, image: busybox, resources: {requests: {cpu: 1500m}}}]
expect:
  - allSucceeded: {selector: app=job}
)";
  Report r = MustRun(Parse(text));
  EXPECT_TRUE(r.Passed()) << Failures(r);
  EXPECT_EQ(r.stop_reason, "idle");
  EXPECT_EQ(r.pods_succeeded_total, 3);
  // Two nodes fit one pod each: the third waits for one of the others.
  EXPECT_GT(r.ended_at, minutes(4));
  EXPECT_LT(r.ended_at, minutes(5));
  EXPECT_GE(r.scheduler.unschedulable, 1u);
}

TEST(RunnerTest, UnschedulablePodsEndAnIdleRunAndFailTheirExpectation) {
  constexpr std::string_view text = R"(name: stuck
runUntilIdle: true
cluster:
  nodeGroups:
    - name: n
      count: 1
      zones: [zone-a]
      capacity: {cpu: "1", memory: 1Gi, pods: "10"}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: big}
    spec:
      containers: [{name: c, image: busybox, resources: {requests: {cpu: "8"}}}]
expect:
  - noPodPendingLongerThan: 1m
)";
  Report r = MustRun(Parse(text));
  EXPECT_EQ(r.stop_reason, "idle");
  EXPECT_LT(r.ended_at, minutes(1));
  ASSERT_EQ(r.expectations.size(), 1u);
  // The run ended before a minute passed; the pod is still pending.
  EXPECT_TRUE(r.expectations[0].passed) << r.expectations[0].message;
  ASSERT_FALSE(r.decisions.empty());
  EXPECT_EQ(r.decisions[0].node, "");
  EXPECT_EQ(r.decisions[0].message, "0/1 nodes are available: 1 Insufficient cpu.");
  EXPECT_EQ(r.decisions[0].reasons, "1 Insufficient cpu");
  EXPECT_EQ(r.pods_pending, 1);
}

TEST(RunnerTest, PartitionMakesNodeNotReadyUntilHealed) {
  std::string text(kThreeNodes);
  text += R"(events:
  - at: 1m
    partitionNode: n-1
  - at: 3m
    healNode: n-1
expect:
  - readyNodes: {atLeast: 3, by: 2m}
  - readyNodes: {atLeast: 3, by: 4m}
)";
  Report r = MustRun(Parse(text));
  ASSERT_EQ(r.expectations.size(), 2u);
  EXPECT_FALSE(r.expectations[0].passed);  // silent for more than the grace period
  EXPECT_TRUE(r.expectations[1].passed) << r.expectations[1].message;
  ASSERT_EQ(r.recoveries.size(), 1u);
  EXPECT_EQ(r.recoveries[0].type, "partitionNode");
  ASSERT_TRUE(r.recoveries[0].recovered_after);
}

TEST(RunnerTest, ScaleCordonDrainAndAddNodes) {
  std::string text(kThreeNodes);
  text = std::string(text).replace(text.find("      count: 3\n"), 15,
                                   "      count: 3\n      maxSize: 5\n");
  text += R"(events:
  - at: 30s
    cordon: n-1
  - at: 40s
    scale: {name: web, replicas: 5}
  - at: 1m
    drain: {node: n-3, gracePeriod: 5s}
  - at: 2m
    addNodes: {group: n, count: 2}
  - at: 2m
    create:
      - apiVersion: v1
        kind: Pod
        metadata: {name: web-1}
        spec:
          containers: [{name: c, image: busybox}]
  - at: 2m30s
    apply:
      - apiVersion: v1
        kind: Pod
        metadata: {name: web-1, labels: {touched: "yes"}}
        spec:
          containers: [{name: c, image: busybox}]
expect:
  - runningReplicas: {selector: app=web, atLeast: 5, by: 5m}
)";
  Report r = MustRun(Parse(text));
  EXPECT_TRUE(r.Passed()) << Failures(r);
  ASSERT_EQ(r.events.size(), 6u);
  for (const auto& e : r.events)
    EXPECT_EQ(e.result, "ok") << e.path;
  EXPECT_EQ(r.events[5].target, "Pod default/web-1");
  EXPECT_EQ(r.nodes, 5);
  // Nothing new lands on the cordoned n-1 or the drained n-3.
  for (const auto& p : r.pods) {
    if (p.created >= seconds(30) && p.namespace_ == "default" && p.name != "web-1") {
      EXPECT_NE(p.node, "n-1") << p.name;
      if (p.created >= minutes(1)) {
        EXPECT_NE(p.node, "n-3") << p.name;
      }
    }
  }
}

TEST(RunnerTest, ScaleOptionShrinksGroupsAndReplicas) {
  Scenario s = Parse(kThreeNodes);
  s.node_groups[0].count = 100;
  s.node_groups[0].max_size = 200;
  ASSERT_TRUE(ScaleScenario(s, 0.1).ok());
  EXPECT_EQ(s.node_groups[0].count, 10);
  EXPECT_EQ(s.node_groups[0].max_size, 20);
  auto rc = api::As<api::ReplicationController>(s.objects[0].object);
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->spec.replicas, 1);  // 3 * 0.1 rounds to 0: at least 1
  Scenario e = Parse(std::string(kThreeNodes) + R"(expect:
  - runningReplicas: {selector: app=web, atLeast: 30}
  - readyNodes: {atLeast: 25}
)");
  ASSERT_TRUE(ScaleScenario(e, 0.1).ok());
  EXPECT_EQ(e.expectations[0].at_least, 3);
  EXPECT_EQ(e.expectations[1].at_least, 3);
  EXPECT_EQ(ScaleScenario(s, 0).code(), Code::kInvalidArgument);
  EXPECT_EQ(ScaleScenario(s, 1.5).code(), Code::kInvalidArgument);
}

TEST(RunnerTest, UnknownProfileIsAnError) {
  RunnerOptions o;
  o.scheduler_profile = "random";
  Runner runner(Parse(kThreeNodes), o);
  Result<Report> r = runner.Run();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Code::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("random"));
}

TEST(RunnerTest, BinpackProfilePacksPods) {
  RunnerOptions o;
  o.scheduler_profile = "binpack";
  Report r = MustRun(Parse(kThreeNodes), o);
  EXPECT_EQ(r.scheduler_profile, "binpack");
  std::set<std::string> nodes;
  for (const auto& p : r.pods)
    nodes.insert(p.node);
  EXPECT_EQ(nodes.size(), 1u);
}

TEST(RunnerTest, ProgressIsReportedAndEndsWithDone) {
  RunnerOptions o;
  o.progress_every = 100;
  std::vector<RunProgress> seen;
  o.progress = [&](const RunProgress& p) { seen.push_back(p); };
  Report r = MustRun(Parse(kThreeNodes), o);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_TRUE(seen.back().done);
  EXPECT_EQ(seen.back().elapsed, minutes(6));
  EXPECT_EQ(seen.back().events, r.events_processed);
  // Observing does not change the run.
  EXPECT_EQ(ReportJson(r), ReportJson(MustRun(Parse(kThreeNodes))));
}

// scenarios/taint-eviction.yaml: a NoExecute taint evicts exactly the pods
// that do not tolerate it, when tolerationSeconds says; an unreachable node's
// pods go after 30 s, 300 s (admission's default) or never; a partly
// disrupted small zone and an all-zones partition evict nothing. Every
// figure is an expectation of the file.
TEST(RunnerTest, TaintEvictionScenarioEvictsWhatKubernetesWould) {
  Result<Scenario> s = LoadScenarioFile(kScenarios + "/taint-eviction.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  Report r = MustRun(std::move(*s));
  EXPECT_TRUE(r.Passed()) << Failures(r);
  EXPECT_EQ(r.expectations.size(), 15u);
  EXPECT_EQ(r.pods_evicted, 4);  // plain, patient, short, default
  for (const auto& p : r.pods) {
    if (p.name == "patient") {
      ASSERT_TRUE(p.evicted);
      EXPECT_EQ(*p.evicted, seconds(90));  // the taint at 1m + 30 s
      EXPECT_EQ(p.eviction_reason, "DeletionByTaintManager");
    }
  }
}

// Without the large-cluster threshold the partly disrupted small zone is
// tainted at the secondary rate, and one web pod is evicted: the
// expectation that says "never" catches it.
TEST(RunnerTest, WithoutTheLargeClusterThresholdTheSmallZoneIsEvicted) {
  Result<Scenario> s = LoadScenarioFile(kScenarios + "/taint-eviction.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  s->controllers.large_cluster_size_threshold = 0;
  Report r = MustRun(std::move(*s));
  EXPECT_FALSE(r.Passed());
  EXPECT_THAT(Failures(r), HasSubstr("evictions app=web == 0 at the end: 1 pod(s) evicted"));
}

TEST(RunnerTest, ResultsDbIsQueryable) {
  Result<Scenario> s = LoadScenarioFile(kScenarios + "/quickstart.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  Report r = MustRun(std::move(*s));
  const std::string dir = std::string(NAVARCH_BINARY_DIR) + "/runner_test_out";
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteReportFiles(r, dir).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/report.json"));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir + "/results.db").c_str(), &db), SQLITE_OK);
  auto scalar = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK) << sql;
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(scalar("SELECT count(*) FROM pods"), "4");
  EXPECT_EQ(scalar("SELECT count(*) FROM decisions WHERE node != ''"), "4");
  EXPECT_EQ(scalar("SELECT count(*) FROM series"), "91");
  EXPECT_EQ(scalar("SELECT count(*) FROM expectations WHERE passed = 1"), "5");
  EXPECT_EQ(scalar("SELECT type FROM events WHERE seq = 0"), "failNode");
  EXPECT_EQ(scalar("SELECT affected_controllers FROM recoveries"), "default/web");
  EXPECT_EQ(scalar("SELECT value FROM run WHERE key = 'stop_reason'"), "duration");
  EXPECT_EQ(scalar("SELECT phase FROM pods WHERE node = 'node-3'"), "Deleted");
  // The timeline: node-3 went Unknown when it failed and came back.
  EXPECT_EQ(scalar("SELECT group_concat(status, ', ') FROM node_ready WHERE node = 'node-3'"),
            "True (KubeletReady), Unknown (NodeStatusUnknown), True (KubeletReady)");
  EXPECT_EQ(scalar("SELECT count(*) FROM evictions"), "1");
  EXPECT_EQ(scalar("SELECT ready FROM endpoints WHERE service = 'default/web' "
                   "ORDER BY t_s DESC LIMIT 1"),
            "3");
  // Kubernetes Events: one Scheduled per pod, from the scheduler.
  EXPECT_EQ(scalar("SELECT sum(count) FROM kube_events WHERE reason = 'Scheduled' "
                   "AND source = 'default-scheduler'"),
            "4");
  EXPECT_EQ(scalar("SELECT count(*) FROM kube_events WHERE reason = 'NodeNotReady' AND "
                   "kind = 'Node' AND name = 'node-3'"),
            "1");
  sqlite3_close(db);
}

TEST(ReportTest, PercentilesAreNearestRank) {
  std::vector<Duration> v;
  for (int i = 1; i <= 100; ++i)
    v.push_back(seconds(i));
  LatencySummary s = Summarize(v);
  EXPECT_EQ(s.count, 100);
  EXPECT_EQ(s.p50, seconds(50));
  EXPECT_EQ(s.p90, seconds(90));
  EXPECT_EQ(s.p99, seconds(99));
  EXPECT_EQ(s.max, seconds(100));
  EXPECT_EQ(s.mean, milliseconds(50500));
  EXPECT_EQ(Percentile({seconds(3)}, 99), seconds(3));
  EXPECT_EQ(Summarize({}).count, 0);
}

TEST(ReportTest, SecondsHaveThreeDecimals) {
  EXPECT_EQ(FormatSeconds(Duration{0}), "0.000");
  EXPECT_EQ(FormatSeconds(milliseconds(1500)), "1.500");
  EXPECT_EQ(FormatSeconds(Duration{1'234'567'890}), "1.235");
  EXPECT_EQ(FormatSeconds(Duration{499'999}), "0.000");
  EXPECT_EQ(FormatSeconds(-milliseconds(20)), "-0.020");
  EXPECT_EQ(FormatSeconds(hours(2)), "7200.000");
}

TEST(ReportTest, JsonLayoutIsFixed) {
  Report r;
  r.scenario = "x\"y";
  r.seed = 3;
  r.events.push_back({"events[0]", "failNode", seconds(5), "n-1", "ok"});
  const std::string j = ReportJson(r);
  EXPECT_THAT(j, HasSubstr("  \"scenario\": {\n    \"name\": \"x\\\"y\",\n"));
  EXPECT_THAT(j, HasSubstr("\"events\": [\n    {\"path\":\"events[0]\", \"type\":\"failNode\", "
                           "\"at_s\":5.000, \"target\":\"n-1\", \"result\":\"ok\"}\n  ],"));
  EXPECT_THAT(j, HasSubstr("\"recoveries\": [],"));
  EXPECT_EQ(j.back(), '\n');
}

// Every scenario shipped in scenarios/ runs; big ones shrunk to at most ~60
// nodes (full size only in bench/).
TEST(ScenarioFilesTest, EveryShippedScenarioRuns) {
  int count = 0;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(kScenarios)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    Result<Scenario> s = LoadScenarioFile(file.string());
    ASSERT_TRUE(s.ok()) << s.status();
    int64_t nodes = 0;
    for (const auto& g : s->node_groups)
      nodes += std::max(g.count, g.max_size);
    RunnerOptions o;
    o.scale = nodes > 60 ? 60.0 / static_cast<double>(nodes) : 1.0;
    o.record_decisions = false;
    Runner runner(std::move(*s), o);
    Result<Report> r = runner.Run();
    ASSERT_TRUE(r.ok()) << r.status();
    // A scenario run at full size must meet its own expectations; a shrunken
    // one cannot be held to numbers written for the full size, so its
    // verdicts are only printed.
    std::cout << file.filename().string() << " (scale " << o.scale
              << "): " << (r->Passed() ? "all expectations passed\n" : "expectations failed:\n")
              << Failures(*r);
    if (o.scale == 1.0) {
      EXPECT_TRUE(r->Passed()) << Failures(*r);
    }
    EXPECT_GT(r->events_processed, 0u);
    ++count;
  }
  EXPECT_GE(count, 1);
}

}  // namespace
}  // namespace navarch::sim

namespace navarch::sim {
namespace {

// A container with limits only: requests are defaulted from the limits at
// admission, so the scheduler and the kubelet count the same CPU. A node of
// 4 CPUs takes exactly 4 such 1-CPU pods; none is scheduled there only to be
// rejected by the kubelet (a Failed pod, OutOfcpu).
TEST(RunnerTest, PodsWithLimitsOnlyFillANodeWithoutAdmissionRejections) {
  constexpr std::string_view kText = R"(name: limits-only
seed: 3
duration: 3m
cluster:
  nodeGroups:
    - name: n
      count: 1
      capacity: {cpu: "4", memory: 16Gi, pods: "110"}
objects:
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: big}
    spec:
      replicas: 10
      selector: {app: big}
      template:
        metadata: {labels: {app: big}}
        spec:
          containers:
            - name: c
              image: busybox
              resources:
                limits: {cpu: "1", memory: 1Gi}
)";
  Report r = MustRun(Parse(kText));
  EXPECT_EQ(r.pods_running, 4);
  EXPECT_EQ(r.pods_pending, 6);
  EXPECT_EQ(r.pods_failed_total, 0);
  EXPECT_EQ(r.pods_failed, 0);
  EXPECT_GT(r.scheduler.unschedulable, 0u);
  for (const auto& p : r.pods)
    EXPECT_EQ(p.cpu_millis, 1000) << p.name;
}

}  // namespace
}  // namespace navarch::sim

namespace navarch::sim {
namespace {

// A scenario deleting one RC with each propagation policy ends with the pods
// Kubernetes would leave: none of Background's and Foreground's, all three of
// Orphan's, still running and no longer owned.
TEST(RunnerTest, DeletingAnRcWithEachPropagationPolicy) {
  std::string text = R"(name: cascade
seed: 5
duration: 3m
cluster:
  nodeGroups:
    - name: n
      count: 3
      capacity: {cpu: "8", memory: 16Gi, pods: "110"}
objects:
)";
  for (const char* rc : {"bg", "fg", "or"}) {
    text += std::string(R"(  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: )") +
            rc + R"(}
    spec:
      replicas: 3
      selector: {app: )" +
            rc + R"(}
      template:
        metadata: {labels: {app: )" +
            rc + R"(}}
        spec:
          containers: [{name: c, image: busybox}]
)";
  }
  text += R"(events:
  - at: 1m
    delete: {kind: ReplicationController, name: bg}
  - at: 1m
    propagationPolicy: Foreground
    delete: {kind: ReplicationController, name: fg}
  - at: 1m
    propagationPolicy: Orphan
    delete: {kind: ReplicationController, name: or}
)";
  Report r = MustRun(Parse(text));
  for (const auto& e : r.events)
    EXPECT_EQ(e.result, "ok") << e.target;
  std::map<std::string, int> alive, running, owned;
  for (const auto& p : r.pods) {
    const std::string rc = p.name.substr(0, 2);
    if (p.phase == "Deleted") continue;
    ++alive[rc];
    running[rc] += p.phase == "Running";
    owned[rc] += !p.controller.empty();
  }
  EXPECT_EQ(alive["bg"], 0);
  EXPECT_EQ(alive["fg"], 0);
  EXPECT_EQ(alive["or"], 3);
  EXPECT_EQ(running["or"], 3);
  EXPECT_EQ(owned["or"], 0);
  EXPECT_EQ(r.pods.size(), 9u);  // nothing was replaced
}

TEST(RunnerTest, DeletePropagationPolicyIsChecked) {
  auto bad = ParseScenario(R"(name: x
duration: 1m
cluster: {nodeGroups: [{name: n, count: 1}]}
events:
  - at: 1s
    propagationPolicy: Sideways
    delete: {kind: ReplicationController, name: a}
  - at: 2s
    propagationPolicy: Orphan
    cordon: n-1
)",
                           "t.yaml", kScenarios);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("\"Sideways\" is not one of"));
  EXPECT_THAT(bad.status().message(), HasSubstr("only applies to a delete event"));
}

}  // namespace
}  // namespace navarch::sim

namespace navarch::sim {
namespace {

// Count expectations take atLeast, atMost or exactly; `restarts` counts the
// container restarts of the matching pods.
TEST(RunnerTest, CountBoundsAndRestartExpectations) {
  constexpr std::string_view kText = R"(name: crashloop
seed: 11
duration: 10m
cluster:
  nodeGroups:
    - name: n
      count: 2
      capacity: {cpu: "4", memory: 8Gi}
runtime:
  rules:
    - image: "crasher*"
      crash: {probability: 1, after: {constant: 5s}}
objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: loop, labels: {app: loop}}
    spec:
      containers: [{name: c, image: crasher:1}]
  - apiVersion: v1
    kind: Pod
    metadata: {name: calm, labels: {app: calm}}
    spec:
      containers: [{name: c, image: busybox}]
expect:
  - readyNodes: {exactly: 2}
  - readyNodes: {atLeast: 1, atMost: 2}
  - runningReplicas: {selector: app=calm, exactly: 1}
  - restarts: {selector: app=calm, exactly: 0}
  - restarts: {selector: app=loop, atLeast: 3, atMost: 10}
  - restarts: {selector: app=loop, atMost: 2}
)";
  Report r = MustRun(Parse(kText));
  ASSERT_EQ(r.expectations.size(), 6u);
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(r.expectations[i].passed)
        << r.expectations[i].description << ": " << r.expectations[i].message;
  EXPECT_FALSE(r.expectations[5].passed);
  EXPECT_THAT(r.expectations[5].message, HasSubstr("want at most 2"));
  EXPECT_THAT(r.expectations[5].message, HasSubstr("default/loop"));
  EXPECT_EQ(r.expectations[0].description, "readyNodes == 2 at the end");
  EXPECT_EQ(r.expectations[4].description, "restarts app=loop in [3, 10] at the end");
}

TEST(RunnerTest, CountBoundsAreChecked) {
  auto parse = [](const std::string& expect) {
    return ParseScenario(
        "name: x\nduration: 1m\ncluster: {nodeGroups: [{name: n, count: 1}]}\n"
        "expect:\n  - " +
            expect + "\n",
        "t.yaml", kScenarios);
  };
  EXPECT_THAT(parse("readyNodes: {by: 1m}").status().message(), HasSubstr("give a bound"));
  EXPECT_THAT(parse("readyNodes: {exactly: 1, atLeast: 1}").status().message(),
              HasSubstr("exactly cannot be combined"));
  EXPECT_THAT(parse("restarts: {atLeast: 3, atMost: 2}").status().message(),
              HasSubstr("atMost 2 is below atLeast 3"));
  EXPECT_TRUE(parse("restarts: {atMost: 0}").ok());
}

}  // namespace
}  // namespace navarch::sim
