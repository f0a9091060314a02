#pragma once
// Decider: the decision core. Given a compiled pod and the NodeTable, it runs
// a profile's filters and scores and picks a node — a pure function of its
// inputs, with no Api, clock or queue, so benchmarks and the simulator can
// drive it directly.
//
// How it stays fast (the framework must cost almost nothing over a bare loop):
//   * Per pod *class* (PodInfo::class_key) it caches, per node, the filter
//     verdict (a reason code), the weighted sum of the kNone scores packed
//     with the node's name rank into one 64-bit sort key, and the raw values
//     of the normalized scores. Plugins are run only for nodes whose
//     generation changed since the class last looked (found by replaying the
//     NodeTable change log), in batches.
//   * Normalized scores (SelectorSpread, TaintToleration) are applied with a
//     small lookup table per decision (zone x raw value -> weighted score);
//     when every raw value is 0 the plugin adds a constant and costs nothing.
//   * The final pass is one branch-light loop over dense arrays: key =
//     base + table lookups, keep the largest. No allocation per node or pod.
//
// Node sampling (percentage_of_nodes_to_score < 100, like Kubernetes'
// percentageOfNodesToScore): nodes are visited round-robin starting where the
// previous decision stopped, until enough feasible nodes are found; only
// those are scored and normalized. When no node is feasible every node has
// been visited, so the "0/N nodes are available" counts cover the cluster.
//
// Ties: the highest total wins; equal totals go to the node whose name sorts
// first. Same table + same pods in the same order => same placements.
//
// A Decider caches per NodeTable: use one Decider with one table (switching
// tables drops the caches). Single-threaded.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/scheduler/framework.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/pod_info.h"

namespace navarch::scheduler {

struct DeciderOptions {
  // 100 (default) = score every node. 1..99 = stop once this share of the
  // nodes (at least min_feasible_nodes_to_find) was found feasible. 0 =
  // adaptive as in Kubernetes: 50 - nodes/125 percent, at least 5.
  int32_t percentage_of_nodes_to_score = 100;
  int32_t min_feasible_nodes_to_find = 100;
  // Nodes explained after the chosen one (when an explanation is asked for).
  int32_t runner_ups = 2;
  // Pod classes cached at once; the least recently used is dropped first.
  size_t max_cached_classes = 64;
  // Node entries (one node evaluated for one class, about 34 bytes) held by
  // all class caches together; past it, after a decision, the least recently
  // used other classes are dropped. A class that scores every node holds one
  // entry per node; a class that samples holds only the nodes it visited
  // (its columns are lazily zeroed memory, see zeroed_array.h), so sampling
  // keeps many more classes cached.
  size_t max_cached_node_entries = 4'000'000;
};

// One plugin's part in a node's score.
struct PluginScore {
  std::string plugin;
  int32_t weight = 1;
  int32_t score = 0;  // 0..100, before the weight
  bool operator==(const PluginScore&) const = default;
};

struct NodeScore {
  std::string node;
  int64_t total = 0;                 // sum of weight * score
  std::vector<PluginScore> plugins;  // in profile order
  bool operator==(const NodeScore&) const = default;
};

// Why a decision came out as it did.
struct Explanation {
  uint32_t total_nodes = 0;
  uint32_t evaluated_nodes = 0;  // visited (all of them unless sampling)
  uint32_t feasible_nodes = 0;   // among the visited
  // Filter reasons with the number of visited nodes each ruled out, most
  // frequent first, then by text. A node short of both cpu and memory counts
  // for both.
  std::vector<std::pair<std::string, uint32_t>> filtered;
  // The chosen node first, then up to runner_ups others, best first.
  std::vector<NodeScore> scores;
};

// "0/5 nodes are available: 3 Insufficient cpu, 2 node(s) didn't match node
// selector." — the Kubernetes wording of an unschedulable verdict.
std::string UnschedulableMessage(const Explanation& e);

struct Placement {
  std::optional<uint32_t> node;  // index into the NodeTable; nullopt = unschedulable
  uint32_t evaluated = 0;
  uint32_t feasible = 0;
};

class Decider {
 public:
  explicit Decider(Profile profile, DeciderOptions options = {});
  ~Decider();
  Decider(const Decider&) = delete;
  Decider& operator=(const Decider&) = delete;

  // Picks a node for `pod` (interned in `table`). Does not change the table
  // (the caller assumes the pod). Fills `explain` when non-null; the
  // explanation costs a pass over the visited nodes and is only worth asking
  // for when someone reads it (an unschedulable verdict always needs one for
  // its message).
  Placement Decide(const PodInfo& pod, NodeTable& table, Explanation* explain = nullptr);

  // Whether `pod` passes every filter on node `index` — how the scheduler
  // decides that a change to one node may help an unschedulable pod.
  bool Fits(const PodInfo& pod, NodeTable& table, uint32_t index);

  // Scores `pod` on every node as a decision over all nodes would (same
  // filters, scores and normalization, same class cache): totals[i] is node
  // i's total (the sum of weight * score) or -1 where a filter rules it out.
  // Does not change the table. This is what a batch strategy (the flow
  // scheduler) builds its arc costs from.
  void ScoreAll(const PodInfo& pod, NodeTable& table, std::vector<int32_t>& totals);

  // The largest total a node can reach: 100 * the sum of the score weights.
  int64_t MaxTotal() const {
    int64_t w = 0;
    for (const auto& s : profile_.scores)
      w += s.weight;
    return 100 * w;
  }

  const Profile& profile() const { return profile_; }
  const ReasonTable& reasons() const { return reasons_; }

  struct Stats {
    uint64_t decisions = 0;
    uint64_t class_misses = 0;     // decisions that built a class cache
    uint64_t nodes_refreshed = 0;  // node evaluations by plugins
    uint64_t class_evictions = 0;  // class caches dropped for the budgets
  };
  // Node entries held by the class caches (see max_cached_node_entries).
  uint64_t cached_node_entries() const { return evaluated_; }
  size_t cached_classes() const { return classes_.size(); }
  const Stats& stats() const { return stats_; }

 private:
  struct ClassCache;
  struct NormState;

  ClassCache& GetClass(const PodInfo& pod, NodeTable& table, bool* created);
  // Drops the least recently used class other than `keep`.
  void EvictLeastRecentlyUsed(const ClassCache* keep);
  // Enforces max_cached_node_entries, keeping `current`.
  void TrimCaches(const ClassCache& current);
  void Refresh(ClassCache& c, const PodInfo& pod, NodeTable& table,
               std::span<const uint32_t> nodes);
  void RebuildKeys(ClassCache& c, NodeTable& table);
  // Brings every node of the class cache up to date (change log or a full
  // generation check).
  void RefreshAll(ClassCache& c, const PodInfo& pod, NodeTable& table);
  // Sets norm_ (kind, weight, constant, max, zone scores) from the visited
  // feasible nodes; returns the weighted sum of the constant plugins.
  int64_t PrepareNormalization(ClassCache& c, bool full, const uint32_t (&ranges)[2][2],
                               const NodeTable& table);
  uint32_t SampleTarget(uint32_t n) const;
  int32_t NormalizedScore(size_t j, uint32_t zone, int32_t raw) const;
  // Fills reasons and score breakdowns; uses this decision's normalization.
  void Explain(ClassCache& c, const PodInfo& pod, NodeTable& table, Explanation& e,
               const uint32_t* top_nodes, int top_count);

  Profile profile_;
  const DeciderOptions options_;
  ReasonTable reasons_;
  std::vector<size_t> plain_;       // indexes into profile_.scores with kNone
  std::vector<size_t> normalized_;  // the others
  const NodeTable* table_ = nullptr;
  std::map<std::string, std::unique_ptr<ClassCache>, std::less<>> classes_;
  uint64_t use_clock_ = 0;
  uint64_t evaluated_ = 0;   // sum of the classes' evaluated entries
  uint32_t next_start_ = 0;  // round-robin start for sampling
  Stats stats_;

  // Scratch, reused across decisions.
  std::vector<uint32_t> stale_;
  std::vector<uint32_t> pass_;
  std::vector<uint32_t> keep_;
  std::vector<uint16_t> codes_;
  std::vector<int32_t> values_;
  std::vector<int64_t> acc_;
  std::vector<NormState> norm_;
  std::vector<uint64_t> zone_sums_;
};

}  // namespace navarch::scheduler
