#pragma once
// NodeTable: the scheduler's node cache — and the snapshot its decisions are
// made against.
//
// Nodes live in a dense vector indexed 0..size()-1 with their numbers
// precomputed (allocatable and requested cpu/memory/pods as integers, Ready
// and unschedulable as flags, the zone as a small integer), so the decision
// core scans arrays instead of objects. The table is updated incrementally
// from informer events (UpsertNode/RemoveNode, AddPod/RemovePod); the
// scheduler and its decisions run on one event loop, so the table never
// changes during a decision and *is* the snapshot (no copy per cycle).
//
// Indexes are not stable: RemoveNode moves the last node into the freed slot.
// Anything keyed by index must use Generation() to notice: every change to a
// node's scheduling-relevant state — and every move — gives its slot a new,
// globally increasing generation, and appends the index to a change log that
// per-pod-class caches replay (ChangesSince).
//
// Pods. A pod counts on a node from AddPod until RemovePod: bound pods seen by
// the informer and *assumed* pods (placed by this scheduler, binding under
// way) alike. A pod may name a node the table does not know (yet): its usage
// is kept aside and applied when the node appears; when a node is removed,
// its pods are kept aside the same way.
//
// Per-node bookkeeping: requested cpu/memory/pods (real and non-zero for
// scoring), used host ports, and the number of pods of each spread group.
//
// Ranks. Rank(i) is the position of node i in name order; ties between equal
// scores are broken by it, so placements never depend on insertion order.
// Ranks are recomputed lazily after nodes come or go (EnsureRanks).
//
// Single-threaded: use on the scheduler's loop only.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/api/types.h"
#include "core/scheduler/pod_info.h"

namespace navarch::scheduler {

// Pods a node admits when its allocatable does not say (the kubelet default).
inline constexpr int64_t kDefaultMaxPods = 110;

struct NodeInfo {
  std::string name;
  int64_t alloc_milli_cpu = 0;
  int64_t alloc_memory = 0;
  int64_t alloc_pods = 0;
  int64_t req_milli_cpu = 0;  // sum of the effective requests of its pods
  int64_t req_memory = 0;
  int64_t req_pods = 0;
  int64_t nonzero_milli_cpu = 0;  // the same with non-zero defaults (scoring)
  int64_t nonzero_memory = 0;
  bool ready = false;          // condition Ready=True
  bool unschedulable = false;  // spec.unschedulable
  uint32_t zone = 0;           // 0 = no zone label
  api::Labels labels;
  std::vector<api::Taint> taints;
  bool has_hard_taints = false;                             // any NoSchedule / NoExecute taint
  bool has_prefer_taints = false;                           // any PreferNoSchedule taint
  std::vector<HostPort> used_ports;                         // sorted multiset
  std::vector<std::pair<uint32_t, uint32_t>> group_counts;  // (group, pods), sorted
  std::vector<std::string> pods;                            // keys of its pods, unordered

  // Pods of spread group `group` on this node.
  uint32_t GroupCount(uint32_t group) const;
};

class NodeTable {
 public:
  NodeTable();

  // ---- nodes --------------------------------------------------------------
  struct Upsert {
    uint32_t index = 0;
    bool added = false;
    // Whether anything the scheduler looks at changed (false for a
    // heartbeat that only moved timestamps).
    bool changed = false;
  };
  Upsert UpsertNode(const api::Node& node);
  // False if unknown.
  bool RemoveNode(std::string_view name);
  std::optional<uint32_t> Find(std::string_view name) const;
  uint32_t size() const { return static_cast<uint32_t>(nodes_.size()); }
  const NodeInfo& node(uint32_t i) const { return nodes_[i]; }

  // Dense columns for the decision loop (valid until the next change).
  const uint32_t* zones() const { return zone_.data(); }
  // Zone ids are 1..ZoneCount()-1; 0 means none.
  uint32_t ZoneCount() const { return static_cast<uint32_t>(zone_names_.size()); }
  const std::string& ZoneName(uint32_t zone) const { return zone_names_[zone]; }

  uint64_t Generation(uint32_t i) const { return gen_[i]; }
  const uint64_t* generations() const { return gen_.data(); }

  // Recomputes ranks if nodes came or went; RankEpoch() changes each time.
  void EnsureRanks();
  const uint32_t* ranks() const { return rank_.data(); }
  uint64_t RankEpoch() const { return rank_epoch_; }

  // Change log. Positions are absolute; entries before LogBegin() were
  // dropped (a reader that far behind must re-check every node).
  uint64_t LogBegin() const { return log_base_; }
  uint64_t LogEnd() const { return log_base_ + log_.size(); }
  uint32_t LogAt(uint64_t pos) const { return log_[pos - log_base_]; }

  // ---- pods ---------------------------------------------------------------
  // The id of a spread group key (0 for ""); ids are never reused.
  uint32_t InternGroup(const std::string& key);
  // Sets pod.group from pod.group_key.
  void Intern(PodInfo& pod) { pod.group = InternGroup(pod.group_key); }

  // Counts `pod` on `node_name` (moving it if it was counted elsewhere).
  // `pod.group` must have been interned here. Returns the index of the node
  // if it is known.
  std::optional<uint32_t> AddPod(const PodInfo& pod, std::string_view node_name, bool assumed);
  // Stops counting a pod. Returns the node it was on ("" if it was not
  // counted); the node's index, if known, is in *index.
  std::string RemovePod(std::string_view pod_key, std::optional<uint32_t>* index = nullptr);
  // Marks an assumed pod as confirmed (seen bound). False if not counted.
  bool ConfirmPod(std::string_view pod_key);
  bool HasPod(std::string_view pod_key) const { return pods_.count(std::string(pod_key)) > 0; }
  bool IsAssumed(std::string_view pod_key) const;
  // The node a counted pod is on, or null.
  const std::string* PodNode(std::string_view pod_key) const;
  size_t PodCount() const { return pods_.size(); }
  size_t AssumedCount() const { return assumed_; }

 private:
  struct PodRecord {
    std::string node;
    int64_t milli_cpu = 0;
    int64_t memory = 0;
    int64_t nonzero_milli_cpu = 0;
    int64_t nonzero_memory = 0;
    std::vector<HostPort> ports;
    uint32_t group = 0;
    bool assumed = false;
  };

  void Touch(uint32_t i);
  uint32_t InternZone(const std::string& name);
  static void Apply(NodeInfo& n, const std::string& key, const PodRecord& p, int sign);

  std::vector<NodeInfo> nodes_;
  std::vector<uint32_t> zone_;
  std::vector<uint64_t> gen_;
  std::vector<uint32_t> rank_;
  bool ranks_dirty_ = false;
  uint64_t rank_epoch_ = 0;
  uint64_t next_gen_ = 1;
  std::unordered_map<std::string, uint32_t> index_;  // name -> index (lookups only)

  std::vector<uint32_t> log_;
  uint64_t log_base_ = 0;

  std::vector<std::string> zone_names_;
  std::map<std::string, uint32_t, std::less<>> zone_ids_;
  std::unordered_map<std::string, uint32_t> group_ids_;
  uint32_t next_group_ = 1;

  std::unordered_map<std::string, PodRecord> pods_;  // by pod key (lookups only)
  size_t assumed_ = 0;
  // Pods on nodes the table does not know: node name -> pod keys.
  std::map<std::string, std::vector<std::string>, std::less<>> orphans_;
};

}  // namespace navarch::scheduler
