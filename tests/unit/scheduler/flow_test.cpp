// The min-cost-flow strategy: never over-commits, respects every filter,
// places everything that fits, waiting cost, determinism, and the Scheduler
// running flow rounds over the in-process Api.

#include "core/scheduler/flow_decider.h"

#include <gtest/gtest.h>

#include <map>

#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/runtime/rng.h"
#include "core/scheduler/scheduler.h"
#include "core/store/memory_store.h"
#include "tests/unit/scheduler/test_util.h"

namespace navarch::scheduler {
namespace {

using testing::MakeNode;
using testing::MakePod;
using testing::MakeTaint;
using testing::MakeToleration;
using testing::NodeSpecLite;
using testing::WithOwner;

class FlowTest : public ::testing::Test {
 protected:
  void Use(const ProfileSpec& spec, FlowOptions options = {}) {
    auto profile = BuildProfile(spec);
    ASSERT_TRUE(profile.ok()) << profile.status();
    decider_ = std::make_unique<Decider>(std::move(*profile));
    flow_ = std::make_unique<FlowDecider>(*decider_, options);
  }
  void AddNode(const std::string& name, NodeSpecLite s = {}) {
    table_.UpsertNode(MakeNode(name, s));
  }
  void Queue(const api::Pod& pod, Duration waited = Duration{0}) {
    infos_.push_back(std::make_unique<PodInfo>(CompilePod(pod)));
    table_.Intern(*infos_.back());
    waited_.push_back(waited);
  }
  // One round over the queued pods; pod name -> node ("" unless placed;
  // "(deferred)" when deferred). Clears the queue.
  std::map<std::string, std::string> Round() {
    std::vector<FlowPod> pods;
    for (size_t i = 0; i < infos_.size(); ++i)
      pods.push_back({infos_[i].get(), waited_[i]});
    auto result = flow_->DecideBatch(pods, table_);
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < pods.size(); ++i) {
      const std::string name = infos_[i]->key.substr(infos_[i]->key.find('/') + 1);
      switch (result[i].outcome) {
        case FlowPlacement::Outcome::kPlaced:
          out[name] = table_.node(*result[i].node).name;
          EXPECT_TRUE(table_.IsAssumed(infos_[i]->key)) << name;
          break;
        case FlowPlacement::Outcome::kDeferred:
          out[name] = "(deferred)";
          break;
        case FlowPlacement::Outcome::kUnschedulable:
          out[name] = "";
          break;
      }
    }
    kept_.insert(kept_.end(), std::make_move_iterator(infos_.begin()),
                 std::make_move_iterator(infos_.end()));
    infos_.clear();
    waited_.clear();
    return out;
  }
  void ExpectNoOvercommit() {
    for (uint32_t i = 0; i < table_.size(); ++i) {
      const NodeInfo& n = table_.node(i);
      EXPECT_LE(n.req_milli_cpu, n.alloc_milli_cpu) << n.name;
      EXPECT_LE(n.req_memory, n.alloc_memory) << n.name;
      EXPECT_LE(n.req_pods, n.alloc_pods) << n.name;
    }
  }

  NodeTable table_;
  std::unique_ptr<Decider> decider_;
  std::unique_ptr<FlowDecider> flow_;
  std::vector<std::unique_ptr<PodInfo>> infos_;
  std::vector<std::unique_ptr<PodInfo>> kept_;
  std::vector<Duration> waited_;
};

TEST_F(FlowTest, NeverOvercommitsCpuMemoryOrPods) {
  Use(FlowProfile());
  AddNode("a", {.cpu = "2", .memory = "4Gi", .pods = "110"});
  AddNode("b", {.cpu = "8", .memory = "2Gi", .pods = "110"});
  AddNode("c", {.cpu = "8", .memory = "16Gi", .pods = "3"});
  // Three classes contending for the same nodes: cpu-heavy, memory-heavy,
  // and small ones limited by pod slots.
  for (int i = 0; i < 6; ++i)
    Queue(MakePod("cpu" + std::to_string(i), "1500m", "100Mi"));
  for (int i = 0; i < 6; ++i)
    Queue(MakePod("mem" + std::to_string(i), "100m", "1500Mi"));
  for (int i = 0; i < 10; ++i)
    Queue(MakePod("small" + std::to_string(i), "10m", "10Mi"));
  auto got = Round();
  ExpectNoOvercommit();
  int placed = 0;
  for (const auto& [pod, node] : got)
    placed += !node.empty();
  // Capacity check by hand: a holds 1 cpu pod or 2 mem pods (cpu 2, mem 4Gi),
  // b 5 cpu pods but 1 mem pod (2Gi), c 3 pods of any kind.
  EXPECT_EQ(table_.node(*table_.Find("c")).req_pods, 3);
  EXPECT_GE(placed, 12);
  // Whatever is left could not fit anywhere: the greedy decider agrees.
  for (const auto& p : kept_) {
    if (!got[p->key.substr(8)].empty()) continue;
    EXPECT_FALSE(decider_->Decide(*p, table_).node.has_value()) << p->key;
  }
}

TEST_F(FlowTest, RespectsEveryFilter) {
  Use(FlowProfile());
  AddNode("notready", {.ready = false});
  AddNode("cordoned", {.unschedulable = true});
  AddNode("tainted", {.taints = {MakeTaint("gpu", "yes", "NoSchedule")}});
  AddNode("ssd", {.labels = {{"disk", "ssd"}}});
  AddNode("plain");
  api::Pod selector = MakePod("selector");
  selector.spec.Mutable().node_selector["disk"] = "ssd";
  Queue(selector);
  api::Pod tolerant = MakePod("tolerant");
  tolerant.spec.Mutable().tolerations.push_back(
      MakeToleration("gpu", "Equal", "yes", "NoSchedule"));
  tolerant.spec.Mutable().node_selector["kubernetes.io/hostname-absent"] = "";  // matches nothing
  Queue(tolerant);
  // Host port 80: two pods with it cannot share a node.
  for (int i = 0; i < 4; ++i) {
    api::Pod web = MakePod("web" + std::to_string(i));
    api::ContainerPort port;
    port.container_port = 80;
    port.host_port = 80;
    web.spec.Mutable().containers[0].ports.push_back(port);
    Queue(web);
  }
  auto got = Round();
  EXPECT_EQ(got["selector"], "ssd");
  EXPECT_EQ(got["tolerant"], "");
  // Only ssd, plain and tainted-by-none... the web pods do not tolerate the
  // taint, so only ssd and plain can take one each.
  std::map<std::string, int> web_nodes;
  for (int i = 0; i < 4; ++i)
    ++web_nodes[got["web" + std::to_string(i)]];
  EXPECT_EQ(web_nodes, (std::map<std::string, int>{{"", 2}, {"plain", 1}, {"ssd", 1}}));
  for (const auto& [pod, node] : got) {
    EXPECT_NE(node, "notready") << pod;
    EXPECT_NE(node, "cordoned") << pod;
    EXPECT_NE(node, "tainted") << pod;
  }
  // A pod tolerating the taint may go there.
  api::Pod t2 = MakePod("t2", "100m", "1Mi");
  t2.spec.Mutable().tolerations.push_back(MakeToleration("gpu", "Equal", "yes", "NoSchedule"));
  t2.spec.Mutable().node_selector["kubernetes.io/hostname"] = "x";
  AddNode("tainted", {.labels = {{"kubernetes.io/hostname", "x"}},
                      .taints = {MakeTaint("gpu", "yes", "NoSchedule")}});
  Queue(t2);
  EXPECT_EQ(Round()["t2"], "tainted");
}

TEST_F(FlowTest, SchedulesEverythingWhenCapacityAllows) {
  // 8 pod slots: 4 on gpu nodes, 4 on plain ones. 4 pods may go anywhere
  // and arrive first; 4 need a gpu node. Greedy spreading puts the first
  // ones on every node and strands two gpu pods; the flow places all 8.
  auto build = [&] {
    table_ = NodeTable();
    for (const char* n : {"g1", "g2"})
      AddNode(n, {.pods = "2", .labels = {{"gpu", "yes"}}});
    for (const char* n : {"p1", "p2"})
      AddNode(n, {.pods = "2"});
  };
  auto queue = [&] {
    for (int i = 0; i < 4; ++i)
      Queue(MakePod("any" + std::to_string(i)));
    for (int i = 0; i < 4; ++i) {
      api::Pod p = MakePod("gpu" + std::to_string(i), "200m");
      p.spec.Mutable().node_selector["gpu"] = "yes";
      Queue(p);
    }
  };
  build();
  Use(SpreadProfile());
  queue();
  int greedy_placed = 0;
  for (auto& info : infos_) {
    Placement p = decider_->Decide(*info, table_);
    if (!p.node) continue;
    table_.AddPod(*info, table_.node(*p.node).name, /*assumed=*/true);
    ++greedy_placed;
  }
  infos_.clear();
  waited_.clear();
  EXPECT_EQ(greedy_placed, 6);

  build();
  Use(FlowProfile());
  queue();
  for (const auto& [pod, node] : Round())
    EXPECT_NE(node, "") << pod << " was left out though the cluster has room";
  ExpectNoOvercommit();

  // Heterogeneous cpu: 1 + 2 + 3 cpu holds exactly six 1-cpu pods.
  table_ = NodeTable();
  Use(FlowProfile());
  AddNode("c1", {.cpu = "1"});
  AddNode("c2", {.cpu = "2"});
  AddNode("c3", {.cpu = "3"});
  for (int i = 0; i < 6; ++i)
    Queue(MakePod("one" + std::to_string(i), "1", "1Gi"));
  for (const auto& [pod, node] : Round())
    EXPECT_NE(node, "") << pod;
  ExpectNoOvercommit();
}

TEST_F(FlowTest, SpreadsWithinARoundAndBinpackStacks) {
  Use(FlowProfile());
  for (const char* n : {"a", "b", "c"})
    AddNode(n, {.cpu = "4", .memory = "8Gi"});
  for (int i = 0; i < 6; ++i)
    Queue(WithOwner(MakePod("s" + std::to_string(i), "500m", "512Mi"), "web"));
  std::map<std::string, int> per_node;
  for (const auto& [pod, node] : Round())
    ++per_node[node];
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}}));

  table_ = NodeTable();
  Use(FlowBinpackProfile());
  for (const char* n : {"a", "b", "c"})
    AddNode(n, {.cpu = "4", .memory = "8Gi"});
  for (int i = 0; i < 6; ++i)
    Queue(MakePod("b" + std::to_string(i), "1", "1Gi"));
  per_node.clear();
  for (const auto& [pod, node] : Round())
    ++per_node[node];
  EXPECT_EQ(per_node.size(), 2u) << "binpack fills one node before the next";
  EXPECT_EQ(per_node.begin()->second + std::next(per_node.begin())->second, 6);
}

TEST_F(FlowTest, LongerWaitingPodWinsContendedCapacity) {
  Use(FlowProfile());
  AddNode("only", {.cpu = "1", .memory = "8Gi"});
  Queue(MakePod("new", "1", "1Gi"), seconds(1));
  Queue(MakePod("old", "900m", "1Gi"), seconds(90));
  auto got = Round();
  EXPECT_EQ(got["old"], "only");
  EXPECT_EQ(got["new"], "");
}

TEST_F(FlowTest, WaitingCostGrowthEventuallyPlacesAWaitingPod) {
  // A pod prefers to wait (unscheduled base 10) rather than take a node
  // scoring far below the best possible — until it has waited long enough.
  Use(FlowProfile(), {.unscheduled_cost = 10, .wait_cost_per_second = 1});
  AddNode("busy", {.cpu = "4", .memory = "8Gi"});
  // Fill most of the node so its LeastAllocated/Balanced scores are low.
  api::Pod filler = MakePod("filler", "3500m", "1Gi");
  PodInfo fi = CompilePod(filler);
  table_.Intern(fi);
  table_.AddPod(fi, "busy", /*assumed=*/false);

  Queue(MakePod("patient", "100m", "100Mi"), seconds(0));
  EXPECT_EQ(Round()["patient"], "(deferred)");
  EXPECT_EQ(flow_->last_round().deferred, 1u);
  Queue(MakePod("patient", "100m", "100Mi"), seconds(5));
  EXPECT_EQ(Round()["patient"], "(deferred)");
  Queue(MakePod("patient", "100m", "100Mi"), minutes(10));
  EXPECT_EQ(Round()["patient"], "busy");
}

TEST_F(FlowTest, DeterministicWhateverTheNodeInsertionOrder) {
  auto run = [](bool reverse) {
    NodeTable table;
    auto profile = BuildProfile(FlowProfile());
    Decider decider(std::move(*profile));
    FlowDecider flow(decider);
    std::vector<api::Node> nodes;
    for (int i = 0; i < 40; ++i) {
      nodes.push_back(
          MakeNode("n" + std::to_string(i),
                   {.cpu = std::to_string(2 + i % 5),
                    .memory = "16Gi",
                    .labels = {{std::string(kZoneLabel), "z" + std::to_string(i % 3)}}}));
    }
    if (reverse) std::reverse(nodes.begin(), nodes.end());
    for (const auto& n : nodes)
      table.UpsertNode(n);
    runtime::Rng rng(7);
    std::vector<PodInfo> infos;
    for (int i = 0; i < 120; ++i) {
      const int size = static_cast<int>(rng.UniformInt(1, 3));
      infos.push_back(CompilePod(
          WithOwner(MakePod("p" + std::to_string(i), std::to_string(size * 250) + "m", "256Mi"),
                    "rc" + std::to_string(size))));
      table.Intern(infos.back());
    }
    std::vector<FlowPod> pods;
    for (const auto& p : infos)
      pods.push_back({&p, Duration{0}});
    auto out = flow.DecideBatch(pods, table);
    std::vector<std::string> names;
    for (const auto& p : out)
      names.push_back(p.node ? table.node(*p.node).name : "");
    return names;
  };
  const auto first = run(false);
  EXPECT_EQ(first, run(false));
  EXPECT_EQ(first, run(true));
  int placed = 0;
  for (const auto& n : first)
    placed += !n.empty();
  EXPECT_EQ(placed, 120);
}

TEST(FlowSchedulerTest, RoundsBindThroughTheApiAndReportUnschedulable) {
  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi api(store, clock);
  for (const char* n : {"n1", "n2"})
    ASSERT_TRUE(api.Create(MakeNode(n, {.cpu = "1", .memory = "4Gi"})).ok());
  SchedulerOptions options;
  options.profile = FlowProfile();
  std::vector<SchedulingDecision> decisions;
  options.observer = [&](const SchedulingDecision& d) { decisions.push_back(d); };
  Scheduler s(api, clock, options);
  ASSERT_TRUE(s.Start().ok());
  ASSERT_NE(s.flow(), nullptr);
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(api.Create(MakePod("p" + std::to_string(i), "600m", "1Gi")).ok());
  clock.RunUntilIdle();
  int bound = 0;
  std::string unscheduled;
  for (int i = 0; i < 3; ++i) {
    auto pod = *api.Get<api::Pod>("default", "p" + std::to_string(i));
    if (pod->spec->node_name.empty()) {
      unscheduled = pod->metadata.name;
      ASSERT_FALSE(pod->status.conditions.empty());
      EXPECT_EQ(pod->status.conditions[0].message, "0/2 nodes are available: 2 Insufficient cpu.");
    } else {
      ++bound;
    }
  }
  EXPECT_EQ(bound, 2);
  EXPECT_EQ(s.stats().scheduled, 2u);
  EXPECT_GE(s.stats().rounds, 1u);
  // Freeing a node lets the waiting pod land in a later round.
  const std::string victim = unscheduled == "p0" ? "p1" : "p0";
  ASSERT_TRUE(api.Delete<api::Pod>("default", victim, {.grace_period_seconds = 0}).ok());
  clock.RunUntilIdle();
  // Moved to back-off (its first attempt's second), then tried again.
  EXPECT_EQ(s.queue().BackoffSize(), 1u);
  clock.Advance(seconds(1));
  clock.RunUntilIdle();
  EXPECT_FALSE((*api.Get<api::Pod>("default", unscheduled))->spec->node_name.empty());
  EXPECT_EQ(s.cache().AssumedCount(), 0u);
}

}  // namespace
}  // namespace navarch::scheduler
