#include "core/controllers/node_lifecycle_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/controllers/controller_utils.h"
#include "core/controllers/replication_manager.h"
#include "core/controllers/taint_eviction_controller.h"
#include "tests/unit/controllers/test_cluster.h"

namespace navarch::controllers {
namespace {

using ::testing::ElementsAre;
using testing::MakeNode;
using testing::MakePod;
using testing::MakeRc;
using testing::TestCluster;
using ::testing::UnorderedElementsAre;

// Simulated kubelets: every `period` each live node writes a heartbeat.
class Kubelets {
 public:
  Kubelets(TestCluster& c, Duration period = seconds(10)) : c_(c), period_(period) { Tick(); }
  ~Kubelets() { c_.clock.Cancel(timer_); }
  void Add(const std::string& node, const std::string& zone) {
    ASSERT_TRUE(c_.local.Create(MakeNode(node, zone, c_.clock.Now())).ok());
    live_.insert(node);
  }
  void Silence(const std::string& node) { live_.erase(node); }
  void Revive(const std::string& node) {
    live_.insert(node);
    c_.Heartbeat(node);
  }

 private:
  void Tick() {
    timer_ = c_.clock.After(period_, [this] {
      for (const auto& node : live_)
        c_.Heartbeat(node);
      Tick();
    });
  }
  TestCluster& c_;
  Duration period_;
  std::set<std::string> live_;
  runtime::TimerId timer_ = 0;
};

std::string ReadyStatus(TestCluster& c, const std::string& node) {
  const auto* cond = FindNodeCondition(*c.Node(node), kConditionReady);
  return cond ? cond->status : "";
}

// A pod named "p-<node>" bound to `node`, running and ready.
void PodOn(TestCluster& c, const std::string& node) {
  std::string name = "p-" + node;
  c.CreatePod(MakePod(name, {{"app", "x"}}));
  c.Bind(name, node);
  c.SetPodStatus(name, api::kPodRunning, true, "10.0.0.1");
}

bool Evicted(TestCluster& c, const std::string& node) {
  auto pod = c.Pod("p-" + node);
  return !pod || pod->metadata.deletion_timestamp.has_value();
}

// "key:Effect" of every taint of the node, in order.
std::vector<std::string> Taints(TestCluster& c, const std::string& node) {
  std::vector<std::string> out;
  for (const auto& t : c.Node(node)->spec.taints)
    out.push_back(t.key + ":" + t.effect);
  return out;
}

// Nodes a1..a5 in zone "a", each with a running pod "p-<node>".
void FiveNodesInZoneA(TestCluster& c, Kubelets& kubelets) {
  for (const char* n : {"a1", "a2", "a3", "a4", "a5"}) {
    kubelets.Add(n, "a");
    PodOn(c, n);
  }
}

// The node lifecycle controller and the taint manager on shared informers,
// as the ControllerManager wires them.
struct Lifecycle {
  explicit Lifecycle(TestCluster& c, NodeLifecycleOptions no = {})
      : informers(c.api, c.clock),
        nlc(c.api, c.clock, WithInformers(no, informers)),
        tec(c.api, c.clock, TaintEvictionOptions{.informers = &informers}) {}
  Status Start() {
    NAVARCH_RETURN_IF_ERROR(nlc.Start());
    return tec.Start();
  }
  static NodeLifecycleOptions WithInformers(NodeLifecycleOptions o, InformerSet& i) {
    o.informers = &i;
    return o;
  }
  InformerSet informers;
  NodeLifecycleController nlc;
  TaintEvictionController tec;
};

TEST(NodeLifecycleControllerTest, SilentNodeIsMarkedUnknownAtGraceAndItsPodsReplacedAfterTimeout) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  auto& nlc = lc.nlc;
  ReplicationManagerOptions ro;
  ro.informers = &lc.informers;
  ReplicationManager rm(c.api, c.clock, ro);
  Kubelets kubelets(c);
  kubelets.Add("n1", "a");
  kubelets.Add("n2", "a");
  ASSERT_TRUE(lc.Start().ok());
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 2, {{"app", "web"}})).ok());
  c.clock.RunUntilIdle();
  auto pods = c.Pods();
  ASSERT_EQ(pods.size(), 2u);
  std::string on_n1 = pods[0]->metadata.name;
  std::string on_n2 = pods[1]->metadata.name;
  c.Bind(on_n1, "n1");
  c.Bind(on_n2, "n2");
  c.SetPodStatus(on_n1, api::kPodRunning, true, "10.0.1.1");
  c.SetPodStatus(on_n2, api::kPodRunning, true, "10.0.2.1");

  // n1's last heartbeat is at t0+20s.
  c.clock.AdvanceTo(t0 + seconds(25));
  kubelets.Silence("n1");
  c.clock.AdvanceTo(t0 + seconds(60) - Duration(1));
  EXPECT_EQ(ReadyStatus(c, "n1"), "True");
  c.clock.Advance(Duration(1));
  auto n1 = c.Node("n1");
  const auto* cond = FindNodeCondition(*n1, kConditionReady);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->status, "Unknown");
  EXPECT_EQ(cond->reason, "NodeStatusUnknown");
  EXPECT_EQ(cond->last_transition_time, t0 + seconds(60));
  EXPECT_EQ(cond->last_heartbeat_time, t0 + seconds(20));
  EXPECT_EQ(ReadyStatus(c, "n2"), "True");
  EXPECT_EQ(nlc.stats().nodes_marked_unknown, 1u);
  // Its pod is no longer ready (endpoints drop it); the other one is.
  EXPECT_FALSE(IsPodReady(*c.Pod(on_n1)));
  EXPECT_TRUE(IsPodReady(*c.Pod(on_n2)));
  // Tainted unreachable: NoSchedule at once, NoExecute at the next tainting
  // pass (100 ms; a healthy zone's limiter lets it through) stamped with
  // the time.
  c.clock.Advance(milliseconds(100));
  const Time tainted_at = t0 + seconds(60) + milliseconds(100);
  EXPECT_THAT(Taints(c, "n1"), UnorderedElementsAre("node.kubernetes.io/unreachable:NoSchedule",
                                                    "node.kubernetes.io/unreachable:NoExecute"));
  for (const auto& t : c.Node("n1")->spec.taints) {
    if (t.effect == "NoExecute") {
      EXPECT_EQ(t.time_added, tainted_at);
    }
  }
  EXPECT_TRUE(Taints(c, "n2").empty());
  EXPECT_EQ(nlc.stats().nodes_tainted, 1u);

  // Eviction exactly 300 s (the pod's default unreachable toleration) after
  // the node was tainted.
  Time evict_at = tainted_at + minutes(5);
  EXPECT_EQ(lc.tec.EvictionTime("default", on_n1), evict_at);
  c.clock.AdvanceTo(evict_at - Duration(1));
  EXPECT_FALSE(c.Pod(on_n1)->metadata.deletion_timestamp.has_value());
  EXPECT_EQ(c.LivePods().size(), 2u);
  c.clock.Advance(Duration(1));
  auto evicted = c.Pod(on_n1);
  ASSERT_TRUE(evicted->metadata.deletion_timestamp.has_value());
  EXPECT_EQ(*evicted->metadata.deletion_timestamp, evict_at + seconds(30));  // pod's grace
  EXPECT_EQ(lc.tec.stats().pods_evicted, 1u);
  bool disruption = false;
  for (const auto& cond : evicted->status.conditions)
    disruption = disruption || (cond.type == "DisruptionTarget" && cond.status == "True" &&
                                cond.reason == "DeletionByTaintManager");
  EXPECT_TRUE(disruption);

  // The replication manager replaced it at once; "the scheduler" binds it.
  auto live = c.LivePods();
  ASSERT_EQ(live.size(), 2u);
  std::string replacement =
      live[0]->metadata.name == on_n2 ? live[1]->metadata.name : live[0]->metadata.name;
  EXPECT_NE(replacement, on_n1);
  EXPECT_EQ(c.Pod(replacement)->metadata.creation_timestamp, evict_at);
  EXPECT_TRUE(c.Pod(replacement)->spec->node_name.empty());
  c.Bind(replacement, "n2");
  c.clock.Advance(minutes(10));
  EXPECT_EQ(c.LivePods().size(), 2u);
  EXPECT_EQ(c.Pod(on_n2)->metadata.deletion_timestamp, std::nullopt);
  EXPECT_EQ(lc.tec.stats().pods_evicted, 1u);
  EXPECT_EQ(c.Rc("web")->status.replicas, 2);
}

TEST(NodeLifecycleControllerTest, NodeThatComesBackIsUntaintedAndNotEvicted) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  Kubelets kubelets(c);
  kubelets.Add("n1", "a");
  kubelets.Add("n2", "a");
  PodOn(c, "n1");
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(25));
  kubelets.Silence("n1");
  c.clock.AdvanceTo(t0 + seconds(60));
  EXPECT_EQ(ReadyStatus(c, "n1"), "Unknown");
  c.clock.AdvanceTo(t0 + minutes(4));
  EXPECT_EQ(Taints(c, "n1").size(), 2u);
  EXPECT_TRUE(lc.tec.EvictionTime("default", "p-n1").has_value());
  kubelets.Revive("n1");
  c.clock.RunUntilIdle();
  EXPECT_EQ(ReadyStatus(c, "n1"), "True");
  EXPECT_TRUE(Taints(c, "n1").empty());
  EXPECT_FALSE(lc.tec.EvictionTime("default", "p-n1").has_value());
  c.clock.AdvanceTo(t0 + minutes(30));
  EXPECT_FALSE(Evicted(c, "n1"));
  EXPECT_EQ(lc.tec.stats().pods_evicted, 0u);
  EXPECT_EQ(lc.nlc.stats().taints_removed, 1u);
  EXPECT_EQ(ReadyStatus(c, "n1"), "True");
}

TEST(NodeLifecycleControllerTest, NodeThatNeverReportedGetsTheStartupGracePeriod) {
  TestCluster c;
  Time t0 = c.clock.Now();
  NodeLifecycleController nlc(c.api, c.clock);
  ASSERT_TRUE(nlc.Start().ok());
  api::Node node;
  node.metadata.name = "fresh";
  ASSERT_TRUE(c.local.Create(node).ok());
  c.clock.AdvanceTo(t0 + seconds(60) - Duration(1));
  EXPECT_EQ(ReadyStatus(c, "fresh"), "");
  c.clock.Advance(Duration(1));
  const auto* cond = FindNodeCondition(*c.Node("fresh"), kConditionReady);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->status, "Unknown");
  EXPECT_EQ(cond->reason, "NodeStatusNeverUpdated");
}

// Zone "a" (5 nodes) loses two nodes: tainted 10 s apart (0.1 nodes/s),
// their pods evicted 300 s later. Zone "b" (3 nodes) loses all while "a" is
// healthy: a zone outage, drained at the normal rate too, 10 s apart,
// independently of zone "a".
TEST(NodeLifecycleControllerTest, EvictionsAreRateLimitedPerZoneIncludingAZoneOutage) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  auto& nlc = lc.nlc;
  Kubelets kubelets(c);
  std::vector<std::string> nodes = {"a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3"};
  for (const auto& n : nodes) {
    kubelets.Add(n, n.substr(0, 1));
    PodOn(c, n);
  }
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(25));
  for (const char* n : {"a1", "a2", "b1", "b2", "b3"})
    kubelets.Silence(n);
  c.clock.AdvanceTo(t0 + seconds(60));
  EXPECT_EQ(nlc.StateOf("a"), ZoneState::kNormal);
  EXPECT_EQ(nlc.StateOf("b"), ZoneState::kFullDisruption);
  EXPECT_FALSE(nlc.EvictionsHalted());

  // Record when each node's pod is evicted, 100 ms by 100 ms: 300 s after
  // each taint, the first one pass (100 ms) after the nodes were found.
  std::map<std::string, Duration> evicted;
  for (Time t = t0 + seconds(60); t <= t0 + seconds(600); t += milliseconds(100)) {
    c.clock.AdvanceTo(t);
    for (const auto& n : nodes) {
      if (!evicted.count(n) && Evicted(c, n)) evicted[n] = t - t0;
    }
  }
  const auto at = [](int s) { return Duration(seconds(s) + milliseconds(100)); };
  EXPECT_THAT(evicted, UnorderedElementsAre(std::pair{std::string("a1"), at(360)},
                                            std::pair{std::string("a2"), at(370)},
                                            std::pair{std::string("b1"), at(360)},
                                            std::pair{std::string("b2"), at(370)},
                                            std::pair{std::string("b3"), at(380)}));
  EXPECT_EQ(nlc.stats().nodes_tainted, 5u);
  EXPECT_EQ(lc.tec.stats().pods_evicted, 5u);
}

// A zone larger than the large-cluster threshold, 3 of 5 nodes down: the
// secondary rate, one node per 100 s.
TEST(NodeLifecycleControllerTest, PartialDisruptionOfALargeZoneUsesTheSecondaryRate) {
  TestCluster c;
  Time t0 = c.clock.Now();
  NodeLifecycleOptions o;
  o.large_cluster_size_threshold = 4;
  Lifecycle lc(c, o);
  auto& nlc = lc.nlc;
  Kubelets kubelets(c);
  FiveNodesInZoneA(c, kubelets);
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(25));
  for (const char* n : {"a1", "a2", "a3"})
    kubelets.Silence(n);
  c.clock.AdvanceTo(t0 + seconds(60));
  EXPECT_EQ(nlc.StateOf("a"), ZoneState::kPartialDisruption);  // 3 of 5 >= 55%
  // The secondary limiter's first token at the next tainting pass, the next
  // one 100 s later.
  const Time pass = t0 + seconds(60) + milliseconds(100);
  c.clock.AdvanceTo(pass);
  EXPECT_EQ(nlc.stats().nodes_tainted, 1u);
  EXPECT_THAT(nlc.EvictionQueue("a"), ElementsAre("a2", "a3"));
  c.clock.AdvanceTo(pass + seconds(100) - Duration(1));
  EXPECT_EQ(nlc.stats().nodes_tainted, 1u);
  c.clock.Advance(Duration(1));
  EXPECT_EQ(nlc.stats().nodes_tainted, 2u);

  // a3 comes back while queued: its tainting is cancelled.
  kubelets.Revive("a3");
  c.clock.AdvanceTo(t0 + seconds(1000));
  EXPECT_EQ(nlc.stats().nodes_tainted, 2u);
  EXPECT_EQ(nlc.stats().tainting_cancelled, 1u);
  EXPECT_FALSE(Evicted(c, "a3"));
  EXPECT_TRUE(Evicted(c, "a1"));
  EXPECT_TRUE(Evicted(c, "a2"));
  EXPECT_TRUE(nlc.EvictionQueue("a").empty());
}

// The same in a zone of at most --large-cluster-size-threshold (50) nodes:
// the three silent nodes are found in one monitor pass, the zone counts as
// partly disrupted before its queue is worked, and a small zone in that
// state is tainted at rate 0: nothing is evicted.
TEST(NodeLifecycleControllerTest, PartialDisruptionOfASmallZoneTaintsNothing) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  Kubelets kubelets(c);
  FiveNodesInZoneA(c, kubelets);
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(25));
  for (const char* n : {"a2", "a3", "a4"})
    kubelets.Silence(n);
  c.clock.AdvanceTo(t0 + minutes(30));
  EXPECT_EQ(lc.nlc.StateOf("a"), ZoneState::kPartialDisruption);
  EXPECT_EQ(lc.nlc.stats().nodes_tainted, 0u);
  EXPECT_EQ(lc.tec.stats().pods_evicted, 0u);
  EXPECT_THAT(lc.nlc.EvictionQueue("a"), ElementsAre("a2", "a3", "a4"));
  // Their NoSchedule taints are there all the same.
  EXPECT_THAT(Taints(c, "a3"), ElementsAre("node.kubernetes.io/unreachable:NoSchedule"));
}

// Nodes found in different monitor passes: the first is tainted while its
// zone still looks healthy (as in Kubernetes), the rest are not.
TEST(NodeLifecycleControllerTest, ANodeFoundBeforeItsZoneLooksDisruptedIsTainted) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  Kubelets kubelets(c);
  FiveNodesInZoneA(c, kubelets);
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(15));
  kubelets.Silence("a2");  // last heartbeat t0+10s: found at t0+50s
  c.clock.AdvanceTo(t0 + seconds(25));
  kubelets.Silence("a3");  // t0+20s: found at t0+60s
  kubelets.Silence("a4");
  c.clock.AdvanceTo(t0 + minutes(30));
  EXPECT_EQ(lc.nlc.StateOf("a"), ZoneState::kPartialDisruption);
  EXPECT_EQ(lc.nlc.stats().nodes_tainted, 1u);
  EXPECT_TRUE(Evicted(c, "a2"));
  EXPECT_FALSE(Evicted(c, "a3"));
  EXPECT_FALSE(Evicted(c, "a4"));
}

TEST(NodeLifecycleControllerTest, EvictionsStopWhileEveryZoneIsDownAndNothingGoesWhenItHeals) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  auto& nlc = lc.nlc;
  Kubelets kubelets(c);
  for (const char* n : {"a1", "a2", "b1", "b2"}) {
    kubelets.Add(n, std::string(1, n[0]));
    PodOn(c, n);
  }
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(25));
  for (const char* n : {"a1", "a2", "b1", "b2"})
    kubelets.Silence(n);
  c.clock.AdvanceTo(t0 + seconds(60));
  EXPECT_TRUE(nlc.EvictionsHalted());
  // The taints put on before every zone was down are taken off again.
  for (const char* n : {"a1", "a2", "b1", "b2"})
    EXPECT_THAT(Taints(c, n), ElementsAre("node.kubernetes.io/unreachable:NoSchedule")) << n;
  c.clock.AdvanceTo(t0 + minutes(30));
  EXPECT_EQ(lc.tec.stats().pods_evicted, 0u);
  EXPECT_THAT(nlc.EvictionQueue("a"), ElementsAre("a1", "a2"));

  // Everything heals: every kubelet is back within one heartbeat. Nothing
  // is evicted then or later.
  kubelets.Revive("a1");
  kubelets.Revive("b2");
  c.clock.Advance(seconds(3));
  kubelets.Revive("a2");
  kubelets.Revive("b1");
  c.clock.AdvanceTo(t0 + minutes(60));
  EXPECT_FALSE(nlc.EvictionsHalted());
  EXPECT_EQ(lc.tec.stats().pods_evicted, 0u);
  for (const char* n : {"a1", "a2", "b1", "b2"}) {
    EXPECT_FALSE(Evicted(c, n)) << n;
    EXPECT_TRUE(Taints(c, n).empty()) << n;
  }
}

// a1 returns but the others stay down: zone "a" is no longer fully
// disrupted; tainting resumes with fresh limiters — a2 and b1 at the next
// tainting pass (100 ms), b2 10 s later — and their pods go 300 s after that.
TEST(NodeLifecycleControllerTest, TaintingResumesWhenOneZoneRecovers) {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  Kubelets kubelets(c);
  for (const char* n : {"a1", "a2", "b1", "b2"}) {
    kubelets.Add(n, std::string(1, n[0]));
    PodOn(c, n);
  }
  ASSERT_TRUE(lc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(25));
  for (const char* n : {"a1", "a2", "b1", "b2"})
    kubelets.Silence(n);
  Time back = t0 + minutes(30);
  c.clock.AdvanceTo(back);
  kubelets.Revive("a1");
  c.clock.RunUntilIdle();
  EXPECT_FALSE(lc.nlc.EvictionsHalted());
  EXPECT_EQ(lc.nlc.StateOf("a"), ZoneState::kNormal);
  const Time pass = back + milliseconds(100);
  c.clock.AdvanceTo(pass);
  EXPECT_EQ(lc.tec.EvictionTime("default", "p-a2"), pass + minutes(5));
  EXPECT_EQ(lc.tec.EvictionTime("default", "p-b1"), pass + minutes(5));
  c.clock.AdvanceTo(pass + seconds(10));
  EXPECT_EQ(lc.tec.EvictionTime("default", "p-b2"), pass + seconds(10) + minutes(5));
  EXPECT_FALSE(lc.tec.EvictionTime("default", "p-a1").has_value());
  c.clock.AdvanceTo(pass + minutes(5) - Duration(1));
  EXPECT_EQ(lc.tec.stats().pods_evicted, 0u);
  c.clock.AdvanceTo(back + minutes(6));
  EXPECT_TRUE(Evicted(c, "a2"));
  EXPECT_TRUE(Evicted(c, "b1"));
  EXPECT_TRUE(Evicted(c, "b2"));
  EXPECT_FALSE(Evicted(c, "a1"));
}

TEST(NodeLifecycleControllerTest, DeletedNodeLeavesItsZone) {
  TestCluster c;
  NodeLifecycleController nlc(c.api, c.clock);
  Kubelets kubelets(c);
  kubelets.Add("a1", "a");
  kubelets.Add("a2", "a");
  ASSERT_TRUE(nlc.Start().ok());
  c.clock.Advance(seconds(5));
  kubelets.Silence("a2");
  ASSERT_TRUE(c.local.Delete(api::Kind::kNode, "", "a2").ok());
  c.clock.Advance(minutes(10));
  EXPECT_EQ(nlc.StateOf("a"), ZoneState::kNormal);
  EXPECT_EQ(nlc.stats().nodes_marked_unknown, 0u);
  EXPECT_EQ(ReadyStatus(c, "a1"), "True");
}

TEST(NodeLifecycleControllerTest, ZoneKeyIncludesTheRegion) {
  api::Node node;
  EXPECT_EQ(NodeLifecycleController::ZoneOf(node), "");
  node.metadata.labels["failure-domain.beta.kubernetes.io/zone"] = "old";
  EXPECT_EQ(NodeLifecycleController::ZoneOf(node), "old");
  node.metadata.labels["topology.kubernetes.io/zone"] = "z1";
  node.metadata.labels["topology.kubernetes.io/region"] = "r1";
  EXPECT_EQ(NodeLifecycleController::ZoneOf(node), "r1/z1");
}

}  // namespace
}  // namespace navarch::controllers

namespace navarch::controllers {
namespace {

// 5,000 nodes in 10 zones: a heartbeat costs one sync and no timer churn;
// the controller holds at most one timer per node.
TEST(NodeLifecycleControllerScaleTest, FiveThousandNodesCostOneSyncPerHeartbeat) {
  TestCluster c(Duration::zero(), /*retain_revisions=*/20'000);
  Time t0 = c.clock.Now();
  constexpr int kNodes = 5000;
  Kubelets kubelets(c);
  std::vector<std::string> zone9;
  for (int i = 0; i < kNodes; ++i) {
    std::string name = "node-" + std::to_string(i);
    std::string zone = "z" + std::to_string(i % 10);
    kubelets.Add(name, zone);
    if (zone == "z9") zone9.push_back(name);
  }
  NodeLifecycleController nlc(c.api, c.clock);
  ASSERT_TRUE(nlc.Start().ok());
  c.clock.AdvanceTo(t0 + seconds(120));
  // One sync per node at start, then one per heartbeat (12 rounds).
  EXPECT_EQ(nlc.stats().syncs, static_cast<uint64_t>(kNodes + 12 * kNodes));
  EXPECT_LE(c.clock.Pending(), static_cast<size_t>(kNodes + 1));
  EXPECT_EQ(nlc.stats().nodes_marked_unknown, 0u);

  // Zone z9 goes dark after its t0+120s heartbeat.
  c.clock.AdvanceTo(t0 + seconds(125));
  for (const auto& n : zone9)
    kubelets.Silence(n);
  c.clock.AdvanceTo(t0 + seconds(160) - Duration(1));
  EXPECT_EQ(nlc.stats().nodes_marked_unknown, 0u);
  c.clock.Advance(Duration(1));
  EXPECT_EQ(nlc.stats().nodes_marked_unknown, 500u);
  EXPECT_EQ(nlc.StateOf("z9"), ZoneState::kFullDisruption);
  EXPECT_EQ(nlc.StateOf("z0"), ZoneState::kNormal);
  // Tainting starts at once, one node per 10 s in the dark zone (an outage
  // of one zone among healthy ones drains at the normal rate): at +0 s,
  // +10 s, ..., +250 s.
  c.clock.AdvanceTo(t0 + seconds(160) + seconds(250) + milliseconds(100));
  EXPECT_EQ(nlc.stats().nodes_tainted, 26u);
  EXPECT_EQ(nlc.EvictionQueue("z9").size(), 474u);
}

}  // namespace
}  // namespace navarch::controllers

namespace navarch::controllers {
namespace {

// Everything the scenario leaves behind, as text: pods (name, node,
// creation, deletion), node conditions and controller counters.
std::string RunOutageScenario() {
  TestCluster c;
  Time t0 = c.clock.Now();
  Lifecycle lc(c);
  ReplicationManagerOptions ro;
  ro.informers = &lc.informers;
  ReplicationManager rm(c.api, c.clock, ro);
  Kubelets kubelets(c);
  std::vector<std::string> nodes = {"a1", "a2", "b1", "b2"};
  for (const auto& n : nodes)
    kubelets.Add(n, n.substr(0, 1));
  EXPECT_TRUE(lc.Start().ok());
  EXPECT_TRUE(rm.Start().ok());
  EXPECT_TRUE(c.local.Create(MakeRc("web", 8, {{"app", "web"}})).ok());
  // A toy scheduler: every 5 s, bind unbound pods round-robin to nodes
  // whose Ready condition is True.
  size_t next = 0;
  for (Time t = t0; t <= t0 + minutes(15); t += seconds(5)) {
    c.clock.AdvanceTo(t);
    if (t == t0 + seconds(25)) {
      kubelets.Silence("b1");
      kubelets.Silence("b2");
    }
    for (const auto& pod : c.LivePods()) {
      if (!pod->spec->node_name.empty()) continue;
      for (size_t tries = 0; tries < nodes.size(); ++tries) {
        const std::string& n = nodes[next++ % nodes.size()];
        if (ReadyStatus(c, n) == "True") {
          c.Bind(pod->metadata.name, n);
          break;
        }
      }
    }
  }
  std::string out;
  for (const auto& pod : c.Pods()) {
    out += pod->metadata.name + " " + pod->spec->node_name + " " +
           pod->metadata.creation_timestamp.ToRfc3339() + " " +
           (pod->metadata.deletion_timestamp ? pod->metadata.deletion_timestamp->ToRfc3339()
                                             : std::string("-")) +
           "\n";
  }
  for (const auto& n : nodes)
    out += n + " " + ReadyStatus(c, n) + "\n";
  out += "evicted " + std::to_string(lc.tec.stats().pods_evicted) + " created " +
         std::to_string(rm.stats().pods_created) + "\n";
  return out;
}

TEST(NodeLifecycleControllerDeterminismTest, SameScenarioSameOutcome) {
  std::string first = RunOutageScenario();
  EXPECT_EQ(first, RunOutageScenario());
  // The outage happened: zone b's pods were evicted and replaced on zone a.
  EXPECT_THAT(first, ::testing::HasSubstr("b1 Unknown"));
  EXPECT_THAT(first, ::testing::HasSubstr("evicted 4 created 12"));
}

}  // namespace
}  // namespace navarch::controllers
