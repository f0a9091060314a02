// The decision core: placements under each profile, zones, explanations,
// sampling, determinism, and that the per-class caches never change an answer.

#include "core/scheduler/decider.h"

#include <gtest/gtest.h>

#include "core/runtime/rng.h"
#include "tests/unit/scheduler/test_util.h"

namespace navarch::scheduler {
namespace {

using testing::MakeNode;
using testing::MakePod;
using testing::MakeTaint;
using testing::NodeSpecLite;
using testing::WithOwner;

class DeciderTest : public ::testing::Test {
 protected:
  void Use(const ProfileSpec& spec, DeciderOptions options = {}) {
    auto profile = BuildProfile(spec);
    ASSERT_TRUE(profile.ok()) << profile.status();
    decider_ = std::make_unique<Decider>(std::move(*profile), options);
  }
  // Decides and assumes; returns the node name ("" if unschedulable).
  std::string Place(const api::Pod& pod, Explanation* e = nullptr) {
    PodInfo info = CompilePod(pod);
    table_.Intern(info);
    Placement p = decider_->Decide(info, table_, e);
    if (!p.node) return "";
    const std::string name = table_.node(*p.node).name;
    table_.AddPod(info, name, /*assumed=*/true);
    return name;
  }

  NodeTable table_;
  std::unique_ptr<Decider> decider_;
};

TEST_F(DeciderTest, SpreadSpreadsAndBinpackPacks) {
  for (const char* n : {"a", "b", "c"})
    table_.UpsertNode(MakeNode(n, {.cpu = "4", .memory = "8Gi"}));
  Use(SpreadProfile());
  std::vector<std::string> got;
  for (int i = 0; i < 6; ++i)
    got.push_back(Place(MakePod("s" + std::to_string(i), "1", "1Gi")));
  EXPECT_EQ(got, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));

  NodeTable fresh;
  table_ = std::move(fresh);
  for (const char* n : {"a", "b", "c"})
    table_.UpsertNode(MakeNode(n, {.cpu = "4", .memory = "8Gi"}));
  Use(BinpackProfile());
  got.clear();
  for (int i = 0; i < 6; ++i)
    got.push_back(Place(MakePod("b" + std::to_string(i), "1", "1Gi")));
  EXPECT_EQ(got, (std::vector<std::string>{"a", "a", "a", "a", "b", "b"}));
}

TEST_F(DeciderTest, WeightsChangeTheWinner) {
  // a is emptier (LeastAllocated prefers it), b is better balanced.
  table_.UpsertNode(MakeNode("a", {.cpu = "8", .memory = "8Gi"}));
  table_.UpsertNode(MakeNode("b", {.cpu = "2", .memory = "8Gi"}));
  api::Pod pod = MakePod("p", "1", "2Gi");
  // a: least (87 + 75) / 2 = 81, balanced |.125 - .25| -> 93.  b: least (50 + 75) / 2 = 62,
  // balanced |.5 - .25| -> 87.
  Use({"least-heavy", {}, {{"LeastAllocated", 10}, {"BalancedAllocation", 1}}});
  EXPECT_EQ(Place(pod), "a");
  table_.RemovePod("default/p");
  Use({"most-heavy", {}, {{"MostAllocated", 10}, {"BalancedAllocation", 1}}});
  Explanation e;
  EXPECT_EQ(Place(pod, &e), "b");
  ASSERT_EQ(e.scores.size(), 2u);
  // Most: a (12 + 25) / 2 = 18, b (50 + 25) / 2 = 37.
  EXPECT_EQ(e.scores[0].total, 10 * 37 + 87);
  EXPECT_EQ(e.scores[1].total, 10 * 18 + 93);
  EXPECT_EQ(e.scores[0].plugins[0], (PluginScore{"MostAllocated", 10, 37}));
}

TEST_F(DeciderTest, SpreadsAGroupAcrossNodesAndZones) {
  table_.UpsertNode(MakeNode("a", {.labels = {{std::string(kZoneLabel), "z1"}}}));
  table_.UpsertNode(MakeNode("b", {.labels = {{std::string(kZoneLabel), "z1"}}}));
  table_.UpsertNode(MakeNode("c", {.labels = {{std::string(kZoneLabel), "z2"}}}));
  Use(SpreadProfile());
  std::vector<std::string> got;
  for (int i = 0; i < 3; ++i)
    got.push_back(Place(WithOwner(MakePod("w" + std::to_string(i)), "web")));
  // Second pod: zone z2 is empty, so c beats b although both have no pod.
  EXPECT_EQ(got, (std::vector<std::string>{"a", "c", "b"}));

  Explanation e;
  EXPECT_EQ(Place(WithOwner(MakePod("w3"), "web"), &e), "c");
  // Counts a=1 b=1 c=1; zones z1=2 z2=1: c keeps a zone score of 50.
  ASSERT_EQ(e.scores.size(), 3u);
  EXPECT_EQ(e.scores[0].node, "c");
  EXPECT_EQ(e.scores[0].plugins[2], (PluginScore{"SelectorSpread", 1, 33}));
  EXPECT_EQ(e.scores[1].plugins[2], (PluginScore{"SelectorSpread", 1, 0}));
}

TEST_F(DeciderTest, ExplainsScoresOfChosenAndRunnerUps) {
  for (const char* n : {"c", "b", "a"})
    table_.UpsertNode(MakeNode(n, {.cpu = "4", .memory = "8Gi"}));
  table_.AddPod(
      [&] {
        PodInfo i = CompilePod(MakePod("x", "1", "1Gi"));
        table_.Intern(i);
        return i;
      }(),
      "b", false);
  Use(SpreadProfile());
  Explanation e;
  EXPECT_EQ(Place(MakePod("p", "1", "2Gi"), &e), "a");
  EXPECT_EQ(e.total_nodes, 3u);
  EXPECT_EQ(e.evaluated_nodes, 3u);
  EXPECT_EQ(e.feasible_nodes, 3u);
  EXPECT_TRUE(e.filtered.empty());
  ASSERT_EQ(e.scores.size(), 3u);
  EXPECT_EQ(e.scores[0], (NodeScore{"a",
                                    375,
                                    {{"LeastAllocated", 1, 75},
                                     {"BalancedAllocation", 1, 100},
                                     {"SelectorSpread", 1, 100},
                                     {"TaintToleration", 1, 100}}}));
  EXPECT_EQ(e.scores[1].node, "c");
  EXPECT_EQ(e.scores[1].total, 375);
  // b: least (50 + 62) / 2 = 56, balanced |.5 - .375| / 2 -> 93.
  EXPECT_EQ(e.scores[2], (NodeScore{"b",
                                    349,
                                    {{"LeastAllocated", 1, 56},
                                     {"BalancedAllocation", 1, 93},
                                     {"SelectorSpread", 1, 100},
                                     {"TaintToleration", 1, 100}}}));
}

TEST_F(DeciderTest, UnschedulableMessageCountsReasons) {
  for (const char* n : {"s1", "s2", "s3"}) {
    table_.UpsertNode(MakeNode(n, {.cpu = "1", .labels = {{"disk", "ssd"}}}));
  }
  table_.UpsertNode(MakeNode("h1", {.cpu = "8"}));
  table_.UpsertNode(MakeNode("h2", {.cpu = "8"}));
  Use(SpreadProfile());
  api::Pod pod = MakePod("p", "2");
  pod.spec.Mutable().node_selector = {{"disk", "ssd"}};
  Explanation e;
  EXPECT_EQ(Place(pod, &e), "");
  EXPECT_EQ(UnschedulableMessage(e),
            "0/5 nodes are available: 3 Insufficient cpu, 2 node(s) didn't match node "
            "selector.");
  EXPECT_TRUE(e.scores.empty());

  NodeTable empty;
  table_ = std::move(empty);
  Use(SpreadProfile());
  EXPECT_EQ(Place(pod, &e), "");
  EXPECT_EQ(UnschedulableMessage(e), "0/0 nodes are available.");
}

TEST_F(DeciderTest, PreferNoScheduleSteersAway) {
  table_.UpsertNode(MakeNode("a", {.taints = {MakeTaint("spot", "", "PreferNoSchedule")}}));
  table_.UpsertNode(MakeNode("b"));
  Use(SpreadProfile());
  Explanation e;
  EXPECT_EQ(Place(MakePod("p"), &e), "b");
  ASSERT_EQ(e.scores.size(), 2u);
  EXPECT_EQ(e.scores[1].plugins[3], (PluginScore{"TaintToleration", 1, 0}));
}

TEST_F(DeciderTest, TiesGoToTheFirstNameWhateverTheInsertionOrder) {
  for (const char* n : {"n3", "n1", "n2"})
    table_.UpsertNode(MakeNode(n));
  Use(SpreadProfile());
  EXPECT_EQ(Place(MakePod("p1")), "n1");
  EXPECT_EQ(Place(MakePod("p2")), "n2");
  EXPECT_EQ(Place(MakePod("p3")), "n3");
  // Removing and re-adding nodes moves indexes but not the outcome.
  table_.RemoveNode("n1");
  table_.UpsertNode(MakeNode("n0"));
  EXPECT_EQ(Place(MakePod("p4")), "n0");
}

TEST_F(DeciderTest, SamplingVisitsRoundRobin) {
  for (int i = 0; i < 1000; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "n%04d", i);
    table_.UpsertNode(MakeNode(name));
  }
  Use(SpreadProfile(), {.percentage_of_nodes_to_score = 10});
  Explanation e;
  EXPECT_EQ(Place(MakePod("p1"), &e), "n0000");
  EXPECT_EQ(e.evaluated_nodes, 100u);
  EXPECT_EQ(e.feasible_nodes, 100u);
  EXPECT_EQ(Place(MakePod("p2"), &e), "n0100");
  EXPECT_EQ(e.evaluated_nodes, 100u);

  // When nothing fits, every node is visited and counted.
  EXPECT_EQ(Place(MakePod("big", "64"), &e), "");
  EXPECT_EQ(e.evaluated_nodes, 1000u);
  EXPECT_EQ(UnschedulableMessage(e), "0/1000 nodes are available: 1000 Insufficient cpu.");

  // Adaptive: 1000 nodes -> 42% -> 420 nodes.
  Use(SpreadProfile(), {.percentage_of_nodes_to_score = 0});
  Place(MakePod("p3"), &e);
  EXPECT_EQ(e.evaluated_nodes, 420u);
}

// The caches must never change an answer: a long-lived decider and a fresh
// one agree after every kind of change.
TEST_F(DeciderTest, CachedDecisionsEqualFreshOnes) {
  runtime::Rng rng(42);
  Use(SpreadProfile());
  auto profile = BuildProfile(SpreadProfile());
  ASSERT_TRUE(profile.ok());
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    names.push_back("n" + std::to_string(i));
    table_.UpsertNode(MakeNode(
        names.back(), {.cpu = "4",
                       .memory = "8Gi",
                       .labels = {{std::string(kZoneLabel), "z" + std::to_string(i % 3)}}}));
  }
  std::vector<std::string> placed;
  const char* sizes[] = {"250m", "500m", "1", "2"};
  for (int step = 0; step < 600; ++step) {
    const uint64_t op = rng.Uniform(10);
    if (op < 6) {
      api::Pod pod = MakePod("p" + std::to_string(step), sizes[rng.Uniform(4)], "512Mi");
      if (rng.Bernoulli(0.7)) pod = WithOwner(pod, "rc" + std::to_string(rng.Uniform(3)));
      PodInfo info = CompilePod(pod);
      table_.Intern(info);
      Explanation cached_e, fresh_e;
      Placement cached = decider_->Decide(info, table_, &cached_e);
      Decider fresh(std::move(*BuildProfile(SpreadProfile())));
      Placement want = fresh.Decide(info, table_, &fresh_e);
      ASSERT_EQ(cached.node, want.node) << "step " << step;
      ASSERT_EQ(cached_e.scores, fresh_e.scores) << "step " << step;
      ASSERT_EQ(cached_e.filtered, fresh_e.filtered) << "step " << step;
      if (cached.node) {
        table_.AddPod(info, table_.node(*cached.node).name, true);
        placed.push_back(info.key);
      }
    } else if (op < 8 && !placed.empty()) {
      const size_t k = rng.Uniform(placed.size());
      table_.RemovePod(placed[k]);
      placed.erase(placed.begin() + static_cast<std::ptrdiff_t>(k));
    } else if (op < 9) {
      const std::string& n = names[rng.Uniform(names.size())];
      table_.UpsertNode(MakeNode(n, {.cpu = rng.Bernoulli(0.5) ? "4" : "6",
                                     .memory = "8Gi",
                                     .labels = {{std::string(kZoneLabel), "z1"}},
                                     .ready = rng.Bernoulli(0.9)}));
    } else {
      const std::string& n = names[rng.Uniform(names.size())];
      if (table_.RemoveNode(n)) {
        table_.UpsertNode(MakeNode(n, {.cpu = "4", .memory = "8Gi"}));
      }
    }
  }
  EXPECT_GT(decider_->stats().decisions, 300u);
}

TEST_F(DeciderTest, SameInputsSamePlacements) {
  auto run = [] {
    NodeTable table;
    for (int i = 0; i < 20; ++i) {
      table.UpsertNode(MakeNode("n" + std::to_string(19 - i),
                                {.labels = {{std::string(kZoneLabel), i % 2 ? "a" : "b"}}}));
    }
    Decider d(std::move(*BuildProfile(SpreadProfile())));
    std::vector<std::string> out;
    for (int i = 0; i < 60; ++i) {
      PodInfo info = CompilePod(WithOwner(MakePod("p" + std::to_string(i), "300m"), "rc"));
      table.Intern(info);
      auto p = d.Decide(info, table);
      out.push_back(p.node ? table.node(*p.node).name : "");
      if (p.node) table.AddPod(info, out.back(), true);
    }
    return out;
  };
  EXPECT_EQ(run(), run());
}

}  // namespace
}  // namespace navarch::scheduler
