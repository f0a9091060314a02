// The Decider's class caches: lazily zeroed columns (ZeroedArray), the node
// entry budget with least-recently-used eviction, and that neither eviction
// nor sampling's partial caches ever change a decision.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/scheduler/decider.h"
#include "core/scheduler/zeroed_array.h"
#include "tests/unit/scheduler/test_util.h"

namespace navarch::scheduler {
namespace {

using testing::MakeNode;
using testing::MakePod;
using testing::WithOwner;

TEST(ZeroedArray, GrowsZeroedKeepsContentsAndRezeroesAfterAShrink) {
  ZeroedArray<uint64_t> a;
  EXPECT_TRUE(a.empty());
  a.resize(3);
  ASSERT_EQ(a.size(), 3u);
  for (size_t i = 0; i < 3; ++i)
    EXPECT_EQ(a[i], 0u);
  a[0] = 7;
  a[2] = 9;
  a.resize(100000);  // moves to a mapping
  EXPECT_EQ(a[0], 7u);
  EXPECT_EQ(a[2], 9u);
  EXPECT_EQ(a[99999], 0u);
  a[50000] = 5;
  a[99999] = 6;
  a.resize(40000);
  a.resize(100000);  // within the capacity: the dropped tail reads zero again
  EXPECT_EQ(a[50000], 0u);
  EXPECT_EQ(a[99999], 0u);
  EXPECT_EQ(a[2], 9u);
  a.resize(100001);
  EXPECT_EQ(a[100000], 0u);

  ZeroedArray<uint64_t> b(std::move(a));
  EXPECT_EQ(b.size(), 100001u);
  EXPECT_EQ(b[0], 7u);
  EXPECT_EQ(a.size(), 0u);  // NOLINT: moved-from is empty
  ZeroedArray<uint64_t> c;
  c.resize(2);
  c = std::move(b);
  EXPECT_EQ(c[2], 9u);
}

class DeciderCacheTest : public ::testing::Test {
 protected:
  void AddNodes(NodeTable& t, int n) {
    for (int i = 0; i < n; ++i) {
      char name[16];
      std::snprintf(name, sizeof name, "n-%04d", i);
      t.UpsertNode(MakeNode(name));
    }
    t.EnsureRanks();
  }

  // Pods of `classes` controllers, round-robin.
  std::vector<PodInfo> Pods(NodeTable& t, int count, int classes,
                            const std::string& prefix = "p-") {
    std::vector<PodInfo> out;
    for (int i = 0; i < count; ++i) {
      out.push_back(CompilePod(
          WithOwner(MakePod(prefix + std::to_string(i)), "rc-" + std::to_string(i % classes))));
      t.Intern(out.back());
    }
    return out;
  }

  // Places every pod (assuming it) and returns the chosen node names.
  std::vector<std::string> PlaceAll(Decider& d, NodeTable& t, const std::vector<PodInfo>& pods,
                                    uint64_t* max_entries = nullptr) {
    std::vector<std::string> out;
    for (const auto& p : pods) {
      Placement pl = d.Decide(p, t);
      if (!pl.node) {
        out.push_back("");
        continue;
      }
      out.push_back(t.node(*pl.node).name);
      t.AddPod(p, out.back(), /*assumed=*/true);
      if (max_entries) *max_entries = std::max(*max_entries, d.cached_node_entries());
    }
    return out;
  }

  Profile Spread() { return *BuildProfile(SpreadProfile()); }
};

TEST_F(DeciderCacheTest, BudgetEvictsLeastRecentlyUsedClassesWithoutChangingDecisions) {
  NodeTable unbounded_table, bounded_table;
  AddNodes(unbounded_table, 50);
  AddNodes(bounded_table, 50);
  const auto pods_a = Pods(unbounded_table, 300, 6);
  const auto pods_b = Pods(bounded_table, 300, 6);

  Decider unbounded(Spread());
  DeciderOptions small;
  small.max_cached_node_entries = 120;  // two classes of 50 nodes
  Decider bounded(Spread(), small);
  uint64_t max_entries = 0;
  const auto a = PlaceAll(unbounded, unbounded_table, pods_a);
  const auto b = PlaceAll(bounded, bounded_table, pods_b, &max_entries);
  EXPECT_EQ(a, b);
  EXPECT_EQ(unbounded.stats().class_misses, 6u);
  EXPECT_EQ(unbounded.stats().class_evictions, 0u);
  EXPECT_EQ(unbounded.cached_node_entries(), 300u);  // 6 classes x 50 nodes
  EXPECT_EQ(unbounded.cached_classes(), 6u);
  // Round-robin over 6 classes with room for 2: every decision misses.
  EXPECT_EQ(bounded.stats().class_misses, 300u);
  EXPECT_EQ(bounded.stats().class_evictions, 298u);
  EXPECT_LE(max_entries, 120u);
  EXPECT_EQ(bounded.cached_classes(), 2u);
}

TEST_F(DeciderCacheTest, ClassCountLimitEvictsTheLeastRecentlyUsed) {
  NodeTable t;
  AddNodes(t, 10);
  DeciderOptions o;
  o.max_cached_classes = 3;
  Decider d(Spread(), o);
  // Classes used in the order 0 1 2 0 3: class 1 is the least recently used
  // when 3 arrives, so 0 stays cached.
  std::vector<PodInfo> pods;
  for (int rc : {0, 1, 2, 0, 3, 0}) {
    pods.push_back(CompilePod(
        WithOwner(MakePod("p-" + std::to_string(pods.size())), "rc-" + std::to_string(rc))));
    t.Intern(pods.back());
  }
  PlaceAll(d, t, pods);
  EXPECT_EQ(d.stats().class_misses, 4u);  // 0, 1, 2, 3; the last 0 hits
  EXPECT_EQ(d.stats().class_evictions, 1u);
  EXPECT_EQ(d.cached_classes(), 3u);
}

TEST_F(DeciderCacheTest, SamplingHoldsOnlyTheVisitedNodes) {
  NodeTable t;
  AddNodes(t, 2000);
  DeciderOptions o;
  o.percentage_of_nodes_to_score = 5;  // 100 feasible nodes per decision
  Decider d(Spread(), o);
  const auto pods = Pods(t, 40, 20);
  uint64_t visited = 0;
  for (const auto& p : pods) {
    Placement pl = d.Decide(p, t);
    ASSERT_TRUE(pl.node.has_value());
    EXPECT_EQ(pl.evaluated, 100u);
    visited += pl.evaluated;
    t.AddPod(p, t.node(*pl.node).name, /*assumed=*/true);
  }
  // The round-robin start moves on by 100 per decision, so class k visits
  // the window from node 100k both times; nodes are evaluated in chunks of
  // 256 from the window's start. 20 classes hold 256 entries each, not 2,000.
  EXPECT_EQ(visited, 4000u);
  EXPECT_EQ(d.cached_classes(), 20u);
  EXPECT_EQ(d.cached_node_entries(), 20u * 256u);
  EXPECT_EQ(d.stats().class_evictions, 0u);
}

TEST_F(DeciderCacheTest, RemovedNodesLeaveTheBudget) {
  NodeTable t;
  AddNodes(t, 20);
  Decider d(Spread());
  const auto pods = Pods(t, 2, 2);
  PlaceAll(d, t, pods);
  EXPECT_EQ(d.cached_node_entries(), 40u);
  // Remove 5 nodes that hold no pods, then decide for both classes again.
  int removed = 0;
  for (int i = 19; i >= 0 && removed < 5; --i) {
    char name[16];
    std::snprintf(name, sizeof name, "n-%04d", i);
    const auto idx = t.Find(name);
    if (idx && t.node(*idx).pods.empty()) {
      t.RemoveNode(name);
      ++removed;
    }
  }
  ASSERT_EQ(removed, 5);
  PlaceAll(d, t, Pods(t, 2, 2, "q-"));
  EXPECT_EQ(d.cached_node_entries(), 30u);  // 2 classes x 15 nodes
}

}  // namespace
}  // namespace navarch::scheduler
