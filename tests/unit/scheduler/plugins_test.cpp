// Each built-in filter with its reason, each score with its value, and
// profile construction.

#include <gtest/gtest.h>

#include "core/scheduler/framework.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/plugins.h"
#include "tests/unit/scheduler/test_util.h"

namespace navarch::scheduler {
namespace {

using testing::MakeContainer;
using testing::MakeNode;
using testing::MakePod;
using testing::MakeTaint;
using testing::MakeToleration;
using testing::NodeSpecLite;
using testing::WithOwner;

class PluginsTest : public ::testing::Test {
 protected:
  PodInfo Compile(const api::Pod& pod) {
    PodInfo info = CompilePod(pod);
    table_.Intern(info);
    return info;
  }
  void Bind(const api::Pod& pod, const std::string& node) {
    table_.AddPod(Compile(pod), node, /*assumed=*/false);
  }
  // The reason text per node ("" = passes; several reasons joined by " + ").
  std::vector<std::string> Run(const FilterPlugin& f, const api::Pod& pod) {
    PodInfo info = Compile(pod);
    std::vector<uint32_t> nodes;
    for (uint32_t i = 0; i < table_.size(); ++i)
      nodes.push_back(i);
    std::vector<uint16_t> codes(nodes.size(), 0);
    f.Filter(info, table_, nodes, codes, reasons_);
    std::vector<std::string> out;
    for (uint16_t c : codes) {
      std::string s;
      for (const auto& r : reasons_.Reasons(c))
        s += (s.empty() ? "" : " + ") + r;
      out.push_back(s);
    }
    return out;
  }
  std::vector<int32_t> Score(const ScorePlugin& s, const api::Pod& pod) {
    PodInfo info = Compile(pod);
    std::vector<uint32_t> nodes;
    for (uint32_t i = 0; i < table_.size(); ++i)
      nodes.push_back(i);
    std::vector<int32_t> out(nodes.size(), -1);
    s.Score(info, table_, nodes, out);
    return out;
  }

  NodeTable table_;
  ReasonTable reasons_;
};

TEST_F(PluginsTest, PodRequestsTakeLargestInitContainer) {
  api::Pod pod = MakePod("p", "200m", "100Mi");
  pod.spec.Mutable().containers.push_back(MakeContainer("300m", "100Mi"));
  pod.spec.Mutable().init_containers.push_back(MakeContainer("1", "50Mi"));
  PodRequests r = ComputePodRequests(pod.spec);
  EXPECT_EQ(r.milli_cpu, 1000);              // init container dominates cpu
  EXPECT_EQ(r.memory, 200LL * 1024 * 1024);  // containers' sum dominates memory
  EXPECT_EQ(r.nonzero_milli_cpu, 1000);

  api::Pod empty = MakePod("e", "", "");
  PodRequests z = ComputePodRequests(empty.spec);
  EXPECT_EQ(z.milli_cpu, 0);
  EXPECT_EQ(z.memory, 0);
  EXPECT_EQ(z.nonzero_milli_cpu, kDefaultMilliCpuRequest);
  EXPECT_EQ(z.nonzero_memory, kDefaultMemoryRequest);
}

TEST_F(PluginsTest, ResourcesFitNamesEveryShortResource) {
  table_.UpsertNode(MakeNode("a", {.cpu = "1", .memory = "2Gi", .pods = "3"}));
  table_.UpsertNode(MakeNode("b", {.cpu = "1", .memory = "1Gi", .pods = "1"}));
  table_.UpsertNode(MakeNode("c", {.cpu = "4", .memory = "8Gi"}));
  Bind(MakePod("x", "600m", "1Gi"), "a");
  Bind(MakePod("y", "100m", "100Mi"), "b");
  auto fit = NewNodeResourcesFitFilter();
  EXPECT_EQ(Run(*fit, MakePod("p", "500m", "512Mi")),
            (std::vector<std::string>{"Insufficient cpu", "Too many pods", ""}));
  EXPECT_EQ(Run(*fit, MakePod("q", "500m", "1536Mi")),
            (std::vector<std::string>{"Insufficient cpu + Insufficient memory",
                                      "Insufficient memory + Too many pods", ""}));
  // A pod asking for nothing only needs a pod slot.
  EXPECT_EQ(Run(*fit, MakePod("r", "", "")), (std::vector<std::string>{"", "Too many pods", ""}));
}

TEST_F(PluginsTest, AssumedPodsCountAndRemovalFrees) {
  table_.UpsertNode(MakeNode("a", {.cpu = "1"}));
  table_.AddPod(Compile(MakePod("x", "800m")), "a", /*assumed=*/true);
  auto fit = NewNodeResourcesFitFilter();
  EXPECT_EQ(Run(*fit, MakePod("p", "300m")), (std::vector<std::string>{"Insufficient cpu"}));
  EXPECT_EQ(table_.AssumedCount(), 1u);
  EXPECT_EQ(table_.RemovePod("default/x"), "a");
  EXPECT_EQ(Run(*fit, MakePod("p", "300m")), (std::vector<std::string>{""}));
}

TEST_F(PluginsTest, PodsOnUnknownNodesApplyWhenTheNodeAppears) {
  Bind(MakePod("x", "3"), "late");
  table_.UpsertNode(MakeNode("late", {.cpu = "4"}));
  EXPECT_EQ(table_.node(0).req_milli_cpu, 3000);
  EXPECT_EQ(table_.node(0).req_pods, 1);
  table_.RemoveNode("late");
  table_.UpsertNode(MakeNode("late", {.cpu = "4"}));
  EXPECT_EQ(table_.node(0).req_milli_cpu, 3000);
}

TEST_F(PluginsTest, NodeSelector) {
  table_.UpsertNode(MakeNode("a", {.labels = {{"disk", "ssd"}, {"zone", "x"}}}));
  table_.UpsertNode(MakeNode("b", {.labels = {{"disk", "hdd"}}}));
  table_.UpsertNode(MakeNode("c"));
  api::Pod pod = MakePod("p");
  pod.spec.Mutable().node_selector = {{"disk", "ssd"}};
  EXPECT_EQ(Run(*NewNodeSelectorFilter(), pod),
            (std::vector<std::string>{"", "node(s) didn't match node selector",
                                      "node(s) didn't match node selector"}));
  EXPECT_EQ(Run(*NewNodeSelectorFilter(), MakePod("q")), (std::vector<std::string>{"", "", ""}));
}

TEST_F(PluginsTest, TaintsAndTolerations) {
  table_.UpsertNode(MakeNode("a", {.taints = {MakeTaint("dedicated", "batch", "NoSchedule")}}));
  table_.UpsertNode(MakeNode("b", {.taints = {MakeTaint("gpu", "", "NoExecute")}}));
  table_.UpsertNode(MakeNode("c", {.taints = {MakeTaint("spot", "true", "PreferNoSchedule")}}));
  auto f = NewTaintTolerationFilter();
  EXPECT_EQ(Run(*f, MakePod("p")),
            (std::vector<std::string>{"node(s) had untolerated taint {dedicated: batch}",
                                      "node(s) had untolerated taint {gpu: }", ""}));
  api::Pod tolerant = MakePod("t");
  tolerant.spec.Mutable().tolerations = {
      MakeToleration("dedicated", "Equal", "batch", "NoSchedule"),
      MakeToleration("gpu", "Exists", "", "")};
  EXPECT_EQ(Run(*f, tolerant), (std::vector<std::string>{"", "", ""}));
  api::Pod wrong = MakePod("w");
  wrong.spec.Mutable().tolerations = {MakeToleration("dedicated", "Equal", "web", "NoSchedule"),
                                      MakeToleration("gpu", "Exists", "", "NoSchedule")};
  EXPECT_EQ(Run(*f, wrong),
            (std::vector<std::string>{"node(s) had untolerated taint {dedicated: batch}",
                                      "node(s) had untolerated taint {gpu: }", ""}));
  api::Pod all = MakePod("all");
  all.spec.Mutable().tolerations = {MakeToleration("", "Exists", "", "")};
  EXPECT_EQ(Run(*f, all), (std::vector<std::string>{"", "", ""}));

  // PreferNoSchedule is a score: count of untolerated ones, less is better.
  EXPECT_EQ(Score(*NewTaintTolerationScore(), MakePod("p")), (std::vector<int32_t>{0, 0, 1}));
  api::Pod spot = MakePod("s");
  spot.spec.Mutable().tolerations = {MakeToleration("spot", "Equal", "true", "PreferNoSchedule")};
  EXPECT_EQ(Score(*NewTaintTolerationScore(), spot), (std::vector<int32_t>{0, 0, 0}));
}

TEST_F(PluginsTest, HostPorts) {
  table_.UpsertNode(MakeNode("a"));
  table_.UpsertNode(MakeNode("b"));
  api::Pod used = MakePod("used");
  used.spec.Mutable().containers[0].ports.push_back({.host_port = 8080, .container_port = 80});
  Bind(used, "a");
  api::Pod specific = MakePod("specific");
  specific.spec.Mutable().containers[0].ports.push_back(
      {.host_port = 9090, .container_port = 90, .host_ip = "10.0.0.1"});
  Bind(specific, "b");

  auto f = NewNodePortsFilter();
  const std::string busy = "node(s) didn't have free ports for the requested pod ports";
  api::Pod same = MakePod("same");
  same.spec.Mutable().containers[0].ports.push_back({.host_port = 8080, .container_port = 81});
  EXPECT_EQ(Run(*f, same), (std::vector<std::string>{busy, ""}));
  api::Pod udp = MakePod("udp");
  udp.spec.Mutable().containers[0].ports.push_back(
      {.host_port = 8080, .container_port = 81, .protocol = "UDP"});
  EXPECT_EQ(Run(*f, udp), (std::vector<std::string>{"", ""}));
  api::Pod other_ip = MakePod("other-ip");
  other_ip.spec.Mutable().containers[0].ports.push_back(
      {.host_port = 9090, .container_port = 90, .host_ip = "10.0.0.2"});
  EXPECT_EQ(Run(*f, other_ip), (std::vector<std::string>{"", ""}));
  api::Pod wildcard = MakePod("wildcard");
  wildcard.spec.Mutable().containers[0].ports.push_back({.host_port = 9090, .container_port = 90});
  EXPECT_EQ(Run(*f, wildcard), (std::vector<std::string>{"", busy}));
  // Freed when the pod goes.
  table_.RemovePod("default/used");
  EXPECT_EQ(Run(*f, same), (std::vector<std::string>{"", ""}));
}

TEST_F(PluginsTest, ReadyAndUnschedulable) {
  table_.UpsertNode(MakeNode("a", {.ready = false}));
  table_.UpsertNode(MakeNode("b", {.unschedulable = true}));
  table_.UpsertNode(MakeNode("c"));
  EXPECT_EQ(Run(*NewNodeReadyFilter(), MakePod("p")),
            (std::vector<std::string>{"node(s) were not ready", "", ""}));
  EXPECT_EQ(Run(*NewNodeUnschedulableFilter(), MakePod("p")),
            (std::vector<std::string>{"", "node(s) were unschedulable", ""}));
  api::Pod tolerant = MakePod("t");
  tolerant.spec.Mutable().tolerations = {
      MakeToleration(std::string(kUnschedulableTaintKey), "Exists", "", "NoSchedule")};
  EXPECT_EQ(Run(*NewNodeUnschedulableFilter(), tolerant), (std::vector<std::string>{"", "", ""}));
}

TEST_F(PluginsTest, ResourceScores) {
  table_.UpsertNode(MakeNode("a", {.cpu = "4", .memory = "8Gi"}));
  table_.UpsertNode(MakeNode("b", {.cpu = "4", .memory = "8Gi"}));
  Bind(MakePod("x", "2", "2Gi"), "b");
  api::Pod pod = MakePod("p", "1", "2Gi");
  // a: cpu 3000/4000 free = 75, memory 6/8 free = 75.
  // b: cpu 1000/4000 free = 25, memory 4/8 free = 50 -> 37.
  EXPECT_EQ(Score(*NewLeastAllocatedScore(), pod), (std::vector<int32_t>{75, 37}));
  EXPECT_EQ(Score(*NewMostAllocatedScore(), pod), (std::vector<int32_t>{25, 62}));
  // a: fractions .25 / .25 -> 100. b: .75 / .5 -> 100 * (1 - .125) = 87.
  EXPECT_EQ(Score(*NewBalancedAllocationScore(), pod), (std::vector<int32_t>{100, 87}));
  // A pod without requests scores as 100m / 200Mi.
  api::Pod empty = MakePod("e", "", "");
  // a: cpu (4000-100)*100/4000 = 97, memory (8192-200)*100/8192 = 97.
  // b: cpu (4000-2100)*100/4000 = 47, memory (8192-2248)*100/8192 = 72.
  EXPECT_EQ(Score(*NewLeastAllocatedScore(), empty), (std::vector<int32_t>{97, 59}));
}

TEST_F(PluginsTest, SelectorSpreadCountsTheGroup) {
  table_.UpsertNode(MakeNode("a"));
  table_.UpsertNode(MakeNode("b"));
  Bind(WithOwner(MakePod("w1"), "web"), "a");
  Bind(WithOwner(MakePod("w2"), "web"), "a");
  Bind(WithOwner(MakePod("d1"), "db"), "b");
  api::Pod labelled = MakePod("l1");
  labelled.metadata.labels = {{"app", "cache"}};
  Bind(labelled, "b");
  auto s = NewSelectorSpreadScore();
  EXPECT_EQ(Score(*s, WithOwner(MakePod("w3"), "web")), (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(Score(*s, WithOwner(MakePod("d2"), "db")), (std::vector<int32_t>{0, 1}));
  api::Pod same_labels = MakePod("l2");
  same_labels.metadata.labels = {{"app", "cache"}};
  EXPECT_EQ(Score(*s, same_labels), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(Score(*s, MakePod("lonely")), (std::vector<int32_t>{0, 0}));
}

TEST(ProfileTest, BuiltinsAndErrors) {
  EXPECT_EQ(BuiltinProfile("spread")->scores, SpreadProfile().scores);
  EXPECT_EQ(BuiltinProfile("binpack")->scores, BinpackProfile().scores);
  EXPECT_EQ(BuiltinProfile("fast").status().message(),
            "scheduler profile \"fast\" is not a built-in profile; use \"spread\", "
            "\"binpack\", \"flow\" or \"flow-binpack\", or list score plugins and weights for a "
            "custom profile");
  EXPECT_EQ(BuiltinProfile("flow")->scores, SpreadProfile().scores);
  EXPECT_EQ(BuiltinProfile("flow")->strategy, Strategy::kFlow);
  EXPECT_EQ(BuiltinProfile("flow-binpack")->scores, BinpackProfile().scores);
  EXPECT_EQ(BuiltinProfile("spread")->strategy, Strategy::kGreedy);

  auto spread = BuildProfile(SpreadProfile());
  ASSERT_TRUE(spread.ok());
  ASSERT_EQ(spread->filters.size(), 6u);
  EXPECT_EQ(spread->filters[0]->Name(), "NodeReady");
  EXPECT_EQ(spread->filters[5]->Name(), "NodeResourcesFit");
  ASSERT_EQ(spread->scores.size(), 4u);
  EXPECT_EQ(spread->scores[2].plugin->Name(), "SelectorSpread");

  auto unknown = BuildProfile({"mine", {}, {{"LeastAllocated", 1}, {"Cheapest", 2}}});
  EXPECT_EQ(unknown.code(), Code::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "scheduler profile \"mine\": scores[1]: unknown score plugin \"Cheapest\" (known: "
            "BalancedAllocation, LeastAllocated, MostAllocated, SelectorSpread, "
            "TaintToleration)");
  auto bad_filter = BuildProfile({"mine", {"NodeReady", "Magic"}, {{"LeastAllocated", 1}}});
  EXPECT_EQ(bad_filter.status().message(),
            "scheduler profile \"mine\": filters[1]: unknown filter plugin \"Magic\" (known: "
            "NodePorts, NodeReady, NodeResourcesFit, NodeSelector, NodeUnschedulable, "
            "TaintToleration)");
  EXPECT_EQ(BuildProfile({"mine", {}, {{"LeastAllocated", 0}}}).status().message(),
            "scheduler profile \"mine\": scores[0]: weight of \"LeastAllocated\" is 0; use a "
            "weight from 1 to 100");
  EXPECT_EQ(
      BuildProfile({"mine", {}, {{"LeastAllocated", 1}, {"LeastAllocated", 2}}}).status().message(),
      "scheduler profile \"mine\": scores[1]: score plugin \"LeastAllocated\" is listed "
      "twice; list it once with the weight wanted");
  EXPECT_EQ(BuildProfile({"mine", {}, {}}).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace navarch::scheduler
