#pragma once
// FlowDecider: the min-cost-flow batch strategy (profile "flow"), in the
// style of Quincy and Firmament. Where the Decider places one pod at a time
// on the best-scoring node, a flow round places a whole batch of pending
// pods at once, trading pods of different classes against each other.
//
// The flow network of one round (solved with LEMON's NetworkSimplex):
//
//   class c  --(segments, capacity = pods of c that fit, cost from scores)-->  node n
//   node n   --(capacity = free pod slots, cost 0)-->                         sink
//   class c  --("unscheduled", capacity = pods of c, cost grows with wait)--> sink
//
//   * A class is the pods with the same PodInfo::class_key and priority; its
//     supply is the number of its pods in the batch.
//   * Arcs exist only where every filter of the profile passes (filters are
//     hard) and at least one pod of the class fits: the capacity of a class's
//     arcs into node n is how many of its pods fit in n's free cpu, memory and
//     pod slots (one when the pods ask for host ports).
//   * Cost of placing the k-th pod (k = 0, 1, ...) of class c on node n in
//     this round:  (MaxTotal - total(c, n)) + k * stacking, where total is the
//     node's score from the profile's score plugins exactly as the Decider
//     computes it (Decider::ScoreAll, sharing its per-class caches across
//     rounds), and stacking = stacking_weight * the pod's largest share of
//     the node (percent of cpu, memory or pod slots, at least 1). The k-terms
//     make the cost convex, so that spreading profiles spread within a round
//     the way their scores would fall as a node fills; the arc is split into
//     segments of 1, 1, 2, 4, ... pods, each costed at its first pod.
//   * Unscheduled cost of a pod: base + min(wait_cost_per_second * seconds
//     waited, max_wait_cost) + a step per priority level above the lowest in
//     the batch. With the default base (above the cost of any augmenting
//     path) a round places as many pods as its arcs allow; when capacity is contended, the pods
//     that waited longer (then higher priority) win it. A lower base makes a
//     pod wait rather than take a poor node, until its waiting cost grows
//     past the placement cost.
//   * Candidate pruning: a class keeps arcs to its best max(min_candidates,
//     candidates_per_pod * pods) feasible nodes (cost, then name rank) — all
//     of them when those cannot hold the class's pods.
//
// Arc costs are score points times (nodes + 1) plus the node's name rank, so
// equal scores go to the node whose name sorts first.
//
// After a solve, the assignments are checked against the NodeTable, the
// pods with the highest unscheduled cost first (pods of different classes
// share a node's cpu and memory, which per-class capacities cannot
// express): each pod that still fits is
// *assumed* there (NodeTable::AddPod, assumed=true; the caller undoes it with
// RemovePod when the bind fails); the others are solved again (up to
// max_solves in all), and what remains is placed by the greedy Decider if any
// node fits — so a round never over-commits a node and schedules every pod
// that fits somewhere.
//
// Determinism: classes in key order, nodes in name-rank order, pods of a
// class oldest first then by key. Same table + same batch => same result.
// Single-threaded; uses the Decider's caches, so use one FlowDecider per
// Decider, on the scheduler's loop.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/scheduler/decider.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/pod_info.h"

namespace navarch::scheduler {

struct FlowOptions {
  // Base cost of leaving a pod out of this round, in score points. Negative
  // (the default): (classes + 1) times the most expensive placement arc, plus
  // one — above any augmenting path, so a round never prefers waiting and
  // places as many pods as its arcs allow.
  int64_t unscheduled_cost = -1;
  // Growth of the unscheduled cost per second waited (since first queued),
  // and its cap.
  int64_t wait_cost_per_second = 1;
  int64_t max_wait_cost = 3600;
  // See the file comment. Negative (the default): the sum of the weights of
  // the profile's spreading score plugins (LeastAllocated, SelectorSpread),
  // so "flow" spreads and "flow-binpack" (no such plugin) stacks.
  int32_t stacking_weight = -1;
  // Candidate pruning (see the file comment). 0 = no pruning.
  uint32_t min_candidates = 256;
  uint32_t candidates_per_pod = 2;
  // A class with more pods is split into chunks of at most this many, each
  // with an interleaved share of the class's candidates (keeps the
  // simplex's tree updates small; see the file comment).
  uint32_t max_chunk_pods = 512;
  // Flow solves per round, the first included (at least 1).
  int32_t max_solves = 3;
};

// One pod of a batch.
struct FlowPod {
  const PodInfo* info = nullptr;  // interned in the table
  Duration waited{0};             // since the pod was first queued
};

struct FlowPlacement {
  enum class Outcome : uint8_t {
    kPlaced,         // assumed on `node`
    kDeferred,       // a node fits, but waiting was cheaper this round
    kUnschedulable,  // no node fits
  };
  Outcome outcome = Outcome::kUnschedulable;
  std::optional<uint32_t> node;  // index into the NodeTable when placed
  bool greedy = false;           // placed by the greedy fallback, not by the flow
};

// Counters of the last round (for benchmarks and reports; no timing).
struct FlowRoundStats {
  uint32_t pods = 0;
  uint32_t classes = 0;
  uint32_t solves = 0;
  uint64_t graph_nodes = 0;  // summed over the solves
  uint64_t graph_arcs = 0;
  uint32_t placed = 0;
  uint32_t placed_greedy = 0;  // by the fallback after the solves
  uint32_t deferred = 0;
  uint32_t unschedulable = 0;
};

class FlowDecider {
 public:
  // `decider` supplies the profile, its caches and the greedy fallback; it
  // must outlive this object.
  explicit FlowDecider(Decider& decider, FlowOptions options = {});
  ~FlowDecider();
  FlowDecider(const FlowDecider&) = delete;
  FlowDecider& operator=(const FlowDecider&) = delete;

  // One round over `pods` (each at most once). Placed pods are assumed in
  // `table` on return. The result is parallel to `pods`.
  std::vector<FlowPlacement> DecideBatch(std::span<const FlowPod> pods, NodeTable& table);

  const FlowRoundStats& last_round() const { return stats_; }
  const FlowOptions& options() const { return options_; }
  int32_t stacking_weight() const { return stacking_weight_; }

 private:
  struct ClassData;
  struct Arc;

  // Solves for `todo` (indexes into pods) and assumes what fits; returns the
  // pods assigned by the flow that no longer fitted, and marks the others
  // that went unscheduled in `unplaced`.
  std::vector<uint32_t> Solve(std::span<const FlowPod> pods, const std::vector<uint32_t>& todo,
                              NodeTable& table, std::vector<FlowPlacement>& out,
                              std::vector<uint8_t>& deferrable);

  Decider& decider_;
  const FlowOptions options_;
  int32_t stacking_weight_ = 0;
  FlowRoundStats stats_;
  // Scratch, reused across rounds.
  std::vector<int32_t> totals_;
  std::vector<uint32_t> by_rank_;
  std::vector<int32_t> graph_node_;
  std::vector<int64_t> ucost_;  // per pod of the batch: unscheduled cost (points)
};

}  // namespace navarch::scheduler
