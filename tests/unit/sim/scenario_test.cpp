#include "sim/scenario.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/api/types.h"
#include "tests/unit/hostile_inputs.h"

namespace navarch::sim {
namespace {

using ::testing::HasSubstr;

const std::string kScenarios = std::string(NAVARCH_SOURCE_DIR) + "/scenarios";

// The problems of a scenario, one per element.
std::vector<std::string> Problems(std::string_view text, const std::string& base = kScenarios) {
  Result<Scenario> s = ParseScenario(text, "t.yaml", base);
  if (s.ok()) return {};
  std::vector<std::string> out;
  std::string msg = s.status().message();
  size_t start = 0;
  while (start <= msg.size()) {
    size_t nl = msg.find('\n', start);
    out.push_back(msg.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

constexpr std::string_view kMinimal = R"(name: t
duration: 10m
cluster:
  nodeGroups:
    - name: pool
      count: 4
      zones: [zone-a, zone-b]
      racksPerZone: 2
)";

TEST(ScenarioTest, QuickstartParses) {
  Result<Scenario> s = LoadScenarioFile(kScenarios + "/quickstart.yaml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "quickstart");
  EXPECT_EQ(s->seed, 42u);
  ASSERT_TRUE(s->duration);
  EXPECT_EQ(*s->duration, minutes(15));
  ASSERT_EQ(s->node_groups.size(), 1u);
  EXPECT_EQ(s->node_groups[0].count, 6);
  EXPECT_EQ(s->node_groups[0].capacity.cpu_millis, 4000);
  EXPECT_EQ(s->node_groups[0].capacity.memory_bytes, int64_t{16} << 30);
  ASSERT_EQ(s->objects.size(), 2u);
  EXPECT_EQ(s->objects[0].object->kind(), api::Kind::kReplicationController);
  EXPECT_EQ(s->objects[1].object->kind(), api::Kind::kService);
  EXPECT_THAT(s->objects[0].source, HasSubstr("manifests/web.yaml"));
  ASSERT_EQ(s->events.size(), 2u);
  EXPECT_EQ(s->events[0].type, EventType::kFailNode);
  EXPECT_EQ(s->events[0].name, "node-3");
  EXPECT_EQ(s->events[0].at, minutes(3));
  EXPECT_EQ(s->expectations.size(), 5u);
}

TEST(ScenarioTest, EveryScenarioFileParses) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kScenarios)) {
    if (entry.path().extension() != ".yaml") continue;
    ++count;
    Result<Scenario> s = LoadScenarioFile(entry.path().string());
    EXPECT_TRUE(s.ok()) << entry.path() << ":\n" << s.status().message();
  }
  EXPECT_GE(count, 1);
}

TEST(ScenarioTest, MinimalDefaults) {
  Result<Scenario> s = ParseScenario(kMinimal, "t.yaml", "");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->scheduler.profile, "spread");
  EXPECT_EQ(s->node_groups[0].max_size, 4);
  EXPECT_EQ(s->node_groups[0].instance_type, "sim-standard");
  EXPECT_EQ(s->controllers.node_monitor_grace_period, seconds(40));
  EXPECT_TRUE(s->events.empty());
}

TEST(ScenarioTest, ControlPlaneCostsAreOnByDefaultAndEachCanBeTurnedOff) {
  Result<Scenario> s = ParseScenario(kMinimal, "t.yaml", "");
  ASSERT_TRUE(s.ok()) << s.status();
  const ControlPlaneConfig& d = s->control_plane;
  EXPECT_TRUE(d.client_limits);
  EXPECT_EQ(d.controller_manager.qps, 20);
  EXPECT_EQ(d.controller_manager.burst, 30);
  EXPECT_EQ(d.scheduler.qps, 50);
  EXPECT_EQ(d.scheduler.burst, 100);
  EXPECT_TRUE(d.request_latency_on);
  EXPECT_FALSE(d.request_latency);  // the default distribution
  EXPECT_TRUE(d.scheduling_cost);

  s = ParseScenario(std::string(kMinimal) + "controlPlane: ideal\n", "t.yaml", "");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_FALSE(s->control_plane.client_limits);
  EXPECT_FALSE(s->control_plane.request_latency_on);
  EXPECT_FALSE(s->control_plane.scheduling_cost);

  s = ParseScenario(std::string(kMinimal) + R"(controlPlane:
  controllerManager: {qps: 5, burst: 10}
  requestLatency: 2ms
  schedulingCost: {fixed: 1ms, perNode: 64ns}
)",
                    "t.yaml", "");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->control_plane.controller_manager.qps, 5);
  EXPECT_EQ(s->control_plane.controller_manager.burst, 10);
  EXPECT_EQ(s->control_plane.scheduler.qps, 50);
  ASSERT_TRUE(s->control_plane.request_latency);
  EXPECT_EQ(s->control_plane.scheduling_fixed, milliseconds(1));
  EXPECT_EQ(s->control_plane.scheduling_per_node, Duration(64));

  EXPECT_THAT(
      Problems(std::string(kMinimal) + R"(controlPlane:
  scheduler: {qps: 0, burst: 0, rate: 3}
  requestLatency: none
  schedulingCost: {fixed: -1ms}
  clientLimits: maybe
)"),
      ::testing::ElementsAre(
          HasSubstr("t.yaml:10: controlPlane.scheduler.qps: requests per second; must be "
                    "above 0"),
          HasSubstr("t.yaml:10: controlPlane.scheduler.burst: "),
          HasSubstr("t.yaml:10: controlPlane.scheduler.rate: unknown field"),
          HasSubstr("t.yaml:12: controlPlane.schedulingCost.fixed: duration \"-1ms\" must not be "
                    "negative"),
          HasSubstr("t.yaml:13: controlPlane.clientLimits: ")));
  EXPECT_THAT(Problems(std::string(kMinimal) + "controlPlane: cheap\n"),
              ::testing::ElementsAre(HasSubstr("controlPlane: expected ideal")));
}

TEST(ScenarioTest, UnknownZoneNamesFileLineAndKnownZones) {
  std::string text(kMinimal);
  text += R"(events:
  - at: 1m
    failNode: pool-1
  - at: 2m
    failZone: zone-z
)";
  EXPECT_THAT(Problems(text),
              ::testing::ElementsAre("t.yaml:12: events[1].failZone: unknown zone \"zone-z\" "
                                     "(zones: zone-a, zone-b)"));
}

TEST(ScenarioTest, EveryProblemIsListed) {
  std::string text = R"(name: t
duration: 10x
colour: blue
cluster:
  nodeGroups:
    - name: pool
      count: 2
      capacity: {cpu: "four"}
      bootLatency: {gamma: {k: 2}}
events:
  - at: 1m
    explode: pool-1
  - at: 2m
    failRack: nowhere
expect:
  - runningReplicas: {selector: "app in (", atLeast: 1}
)";
  std::vector<std::string> p = Problems(text);
  ASSERT_EQ(p.size(), 7u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("t.yaml:2: duration: invalid duration \"10x\""));
  EXPECT_THAT(p[1], HasSubstr("t.yaml:3: colour: unknown field (accepted: api, cluster, "));
  EXPECT_THAT(p[2], HasSubstr("t.yaml:8: cluster.nodeGroups[0].capacity.cpu: invalid quantity "
                              "\"four\""));
  EXPECT_THAT(p[3], HasSubstr("t.yaml:9: cluster.nodeGroups[0].bootLatency.gamma: unknown "
                              "distribution \"gamma\""));
  EXPECT_THAT(p[4], HasSubstr("t.yaml:11: events[0]: no action; give one of: create,"));
  EXPECT_THAT(p[5], HasSubstr("t.yaml:12: events[0].explode: unknown field (accepted: "));
  EXPECT_THAT(p[6], HasSubstr("t.yaml:16: expect[0].runningReplicas.selector: "));
}

TEST(ScenarioTest, ReferenceProblemsComeFromTheDryRun) {
  std::string text(kMinimal);
  text += R"(objects:
  - apiVersion: v1
    kind: ReplicationController
    metadata: {name: web}
    spec:
      selector: {app: web}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: c, image: busybox}]
events:
  - at: 1m
    scale: {name: api, replicas: 3}
  - at: 1m
    cordon: pool-9
  - at: 2m
    addNodes: {group: pool, count: 1}
  - at: 3m
    delete: {kind: ReplicationController, name: web}
  - at: 4m
    scale: {name: web, replicas: 2}
  - at: 5m
    failRack: zone-b-rack-2
  - at: 11m
    healZone: zone-a
)";
  std::vector<std::string> p = Problems(text);
  ASSERT_EQ(p.size(), 5u) << ::testing::PrintToString(p);
  EXPECT_EQ(p[0],
            "t.yaml:20: events[0].scale: ReplicationController default/api does not exist at "
            "1m0s (create it in objects or in an earlier event)");
  EXPECT_THAT(p[1], HasSubstr("t.yaml:22: events[1].cordon: unknown node \"pool-9\" (nodes: "));
  EXPECT_THAT(p[2], HasSubstr("t.yaml:24: events[2].addNodes: node group \"pool\": adding 1 to 4 "
                              "machines would exceed maxSize 4"));
  EXPECT_THAT(p[3], HasSubstr("t.yaml:28: events[4].scale: ReplicationController default/web "
                              "does not exist at 4m0s"));
  EXPECT_EQ(p[4],
            "t.yaml:32: events[6].at: at 11m0s is after the end of the run (duration 10m0s); it "
            "would never happen");
}

TEST(ScenarioTest, InlineManifestErrorsCarryScenarioLines) {
  std::string text(kMinimal);
  text += R"(objects:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
        - name: c
          image: busybox
          imagePullPolcy: Always
)";
  std::vector<std::string> p = Problems(text);
  ASSERT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("t.yaml:17: "));
  EXPECT_THAT(p[0], HasSubstr("imagePullPolcy"));
}

TEST(ScenarioTest, MissingManifestFile) {
  std::string text(kMinimal);
  text += R"(objects:
  - file: manifests/nope.yaml
)";
  std::vector<std::string> p = Problems(text);
  ASSERT_EQ(p.size(), 1u) << ::testing::PrintToString(p);
  EXPECT_THAT(p[0], HasSubstr("t.yaml:10: objects[0].file: manifest file "));
  EXPECT_THAT(p[0], HasSubstr("manifests/nope.yaml does not exist"));
}

TEST(ScenarioTest, DuplicateKeysAreErrorsNotFirstWins) {
  std::string text = R"(name: t
duration: 10m
duration: 20m
cluster:
  nodeGroups:
    - name: pool
      count: 4
      count: 5
)";
  auto problems = Problems(text);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("t.yaml:3: duration: invalid YAML at column 1: duplicate "
                                     "key \"duration\" (first given at line 2, again at line 3)"));
}

TEST(ScenarioTest, AliasBombsAndParserLoopsAreRefused) {
  const std::string bomb = navarch::testing::AliasBomb(kMinimal);
  auto problems = Problems(bomb);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], HasSubstr("expands to more than 1000000 nodes"));
  for (std::string_view text : {"!,", ","}) {
    auto p = Problems(text);
    ASSERT_EQ(p.size(), 1u) << text;
    EXPECT_THAT(p[0], HasSubstr("t.yaml:1: invalid YAML"));
  }
}

TEST(ScenarioTest, AnchorsAndMergeKeysShareSettings) {
  std::string text = R"(name: t
duration: 10m
cluster:
  nodeGroups:
    - &base
      name: pool
      count: 4
      zones: [zone-a]
    - <<: *base
      name: other
      count: 2
)";
  Result<Scenario> s = ParseScenario(text, "t.yaml", "");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->node_groups.size(), 2u);
  EXPECT_EQ(s->node_groups[1].name, "other");
  EXPECT_EQ(s->node_groups[1].count, 2);
  EXPECT_EQ(s->node_groups[1].zones, s->node_groups[0].zones);
}

TEST(ScenarioTest, InlineManifestErrorsKeepTheirFileLines) {
  std::string text(kMinimal);
  text += R"(objects:
  - {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: i, bogus: 1}]}}
  - apiVersion: v1
    kind: Pod
    metadata:
      name: q
    spec:
      containers:
      - name: c
        image: i
        imagePullPolcy: Always
)";
  EXPECT_THAT(Problems(text), ::testing::ElementsAre(
                                  "t.yaml:10: spec.containers[0].bogus: unknown field",
                                  "t.yaml:19: spec.containers[0].imagePullPolcy: unknown field"));
}

}  // namespace
}  // namespace navarch::sim
