#pragma once
// The scheduling framework: one tiny interface per extension point (Filter,
// Score), the registry of built-in plugins, and profiles that pick plugins
// and weights.
//
// Batches. A plugin is called once per *batch* of nodes, never once per node:
// the decision core hands it a list of node indexes into a NodeTable and a
// same-length output span. This keeps virtual calls out of the per-node loop.
// The core calls plugins only for nodes whose state changed since it last
// evaluated the same class of pod (see pod_info.h), so plugins must be pure:
// the output for a node may depend only on the pod and that node's state in
// the table.
//
// Filter. Writes, for every listed node the pod cannot run on, a nonzero
// reason code from the ReasonTable; leaves the entry untouched (0) for nodes
// that pass. A reason is a short, user-facing text saying *why*, in
// Kubernetes' words ("Insufficient cpu", "node(s) didn't match node
// selector"); a code may stand for several reasons at once (a node short of
// both cpu and memory). Filters run in profile order and a node leaves the
// batch at its first failing filter.
//
// Score. Writes one integer per listed (feasible) node. How the integer
// becomes the plugin's 0..100 score is declared by Normalization():
//   kNone             the value is the score, already in 0..100;
//   kReverseMax       the value is a count where less is better; score =
//                     100 * (max - value) / max over the nodes being scored
//                     (100 everywhere when max is 0);
//   kReverseMaxZones  as kReverseMax per node, and the same per zone
//                     (`topology.kubernetes.io/zone`) with the zone's total;
//                     a node in a zone scores (node + 2 * zone) / 3.
// Normalization is done by the core, in its fused loops (integer division,
// rounding down). A node's total is the sum over plugins of weight * score;
// the highest total wins, ties go to the node whose name sorts first.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/pod_info.h"

namespace navarch::scheduler {

// Interned filter reasons. Code 0 means "feasible"; each other code stands
// for a non-empty, sorted list of reason texts.
class ReasonTable {
 public:
  ReasonTable();
  // The code of one reason / of a set of reasons (sorted, de-duplicated).
  // When 65,535 distinct sets exist, further new sets get the code of
  // "node(s) were filtered out for other reasons".
  uint16_t Intern(std::string_view reason);
  uint16_t Intern(std::vector<std::string> reasons);
  const std::vector<std::string>& Reasons(uint16_t code) const { return sets_[code]; }
  size_t size() const { return sets_.size(); }

 private:
  std::vector<std::vector<std::string>> sets_;
  std::unordered_map<std::string, uint16_t> ids_;  // joined with '\n' (lookups only)
};

class FilterPlugin {
 public:
  virtual ~FilterPlugin() = default;
  virtual std::string_view Name() const = 0;
  // See the file comment. `nodes` and `out` have the same length.
  virtual void Filter(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
                      std::span<uint16_t> out, ReasonTable& reasons) const = 0;
};

enum class Normalization : uint8_t { kNone, kReverseMax, kReverseMaxZones };

class ScorePlugin {
 public:
  virtual ~ScorePlugin() = default;
  virtual std::string_view Name() const = 0;
  virtual Normalization normalization() const { return Normalization::kNone; }
  // See the file comment. `nodes` and `out` have the same length.
  virtual void Score(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
                     std::span<int32_t> out) const = 0;
};

// ---- registry ---------------------------------------------------------------

struct PluginRegistry {
  std::map<std::string, std::function<std::unique_ptr<FilterPlugin>()>, std::less<>> filters;
  std::map<std::string, std::function<std::unique_ptr<ScorePlugin>()>, std::less<>> scores;
};

// The one list of built-in plugins:
//   filters: NodeReady, NodeUnschedulable, TaintToleration, NodeSelector,
//            NodePorts, NodeResourcesFit
//   scores:  LeastAllocated, MostAllocated, BalancedAllocation,
//            SelectorSpread, TaintToleration
PluginRegistry BuiltinPlugins();

// ---- profiles -------------------------------------------------------------

struct PluginWeight {
  std::string name;
  int32_t weight = 1;
  bool operator==(const PluginWeight&) const = default;
};

// How a profile's filters and scores are turned into placements:
//   kGreedy  one pod at a time, the best-scoring node (Decider);
//   kFlow    the pending pods in rounds, as a min-cost flow over pod classes
//            and nodes whose arc costs come from the same scores
//            (FlowDecider, flow_decider.h).
enum class Strategy : uint8_t { kGreedy, kFlow };

// What a profile is made of. An empty `filters` list means every built-in
// filter in the registry order above.
struct ProfileSpec {
  std::string name;
  std::vector<std::string> filters;
  std::vector<PluginWeight> scores;
  Strategy strategy = Strategy::kGreedy;
  bool operator==(const ProfileSpec&) const = default;
};

// Built-in profiles:
//   "spread"  (the default) LeastAllocated 1, BalancedAllocation 1,
//             SelectorSpread 1, TaintToleration 1
//   "binpack" MostAllocated 1, BalancedAllocation 1, TaintToleration 1
// TaintToleration scores PreferNoSchedule taints; it is 100 on every node
// while no node has one the pod does not tolerate.
//   "flow"         the spread scores, placed by the min-cost-flow strategy
//   "flow-binpack" the binpack scores, placed by the min-cost-flow strategy
ProfileSpec SpreadProfile();
ProfileSpec BinpackProfile();
ProfileSpec FlowProfile();
ProfileSpec FlowBinpackProfile();
// The names BuiltinProfile accepts, in documentation order.
std::vector<std::string> BuiltinProfileNames();
// By name; kInvalidArgument naming the known profiles otherwise.
Result<ProfileSpec> BuiltinProfile(std::string_view name);

// Instantiated plugins of a profile.
struct Profile {
  std::string name;
  std::vector<std::unique_ptr<FilterPlugin>> filters;
  struct WeightedScore {
    std::unique_ptr<ScorePlugin> plugin;
    int32_t weight = 1;
  };
  std::vector<WeightedScore> scores;
};

// Builds a profile from `registry`. kInvalidArgument for an unknown plugin
// name (listing the known ones), a plugin named twice, a weight outside
// 1..100, or a profile without score plugins.
Result<Profile> BuildProfile(const ProfileSpec& spec,
                             const PluginRegistry& registry = BuiltinPlugins());

}  // namespace navarch::scheduler
