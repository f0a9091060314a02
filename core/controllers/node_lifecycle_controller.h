#pragma once
// NodeLifecycleController: notices nodes whose kubelet fell silent, marks
// them unreachable, and taints not-ready nodes so that the taint manager
// (TaintEvictionController) evicts their pods — Kubernetes' taint-based
// eviction.
//
// Heartbeats. A kubelet writes status.conditions[Ready].lastHeartbeatTime
// every few seconds. The controller remembers, per node, when it last *saw*
// that value change (the "probe time"; the first sight of a node counts as
// one) — its own clock, not the kubelet's, so a skewed kubelet clock cannot
// make a node look dead. A node whose probe time is older than
// `node_monitor_grace_period` (default 40s; `node_startup_grace_period`, 60s,
// while the node has never posted a Ready condition) is declared unreachable
// at the first monitor pass (every `node_monitor_period`, 5 s, from the
// controller's start) after the grace period passed: every condition is set to
// Unknown with reason NodeStatusUnknown (Ready is added with reason
// NodeStatusNeverUpdated if it was missing), lastTransitionTime = now.
//
// Cost. No loop over all nodes: each node has one deadline timer, re-armed
// lazily — a heartbeat only moves the node's target time; when the timer
// fires early it re-arms itself at the new target, so a healthy node costs
// one timer per grace period, and 5,000 nodes heartbeating every 10 s cost
// only their (cheap) syncs.
//
// Taints. From the node's Ready condition (False: not-ready, Unknown:
// unreachable):
//   * NoSchedule taints node.kubernetes.io/not-ready / unreachable at once
//     (and node.kubernetes.io/unschedulable while spec.unschedulable), so the
//     scheduler places nothing new there;
//   * the NoExecute taint of the same key (timeAdded = now) through the
//     zone's queue and rate limiter below, worked every
//     `node_eviction_period` (100 ms) — after the zones have counted every
//     node of the same monitor pass, so a partition found in one pass is
//     judged as a whole. A tainted node whose condition changes
//     between False and Unknown has its taint swapped at once. The taint
//     manager then evicts the pods that do not tolerate it, after their
//     tolerationSeconds (admission gives every pod 300 s for both keys:
//     registry::RegistryOptions).
//   * A node that is Ready again loses both taints and leaves the queue.
//   * with `mark_pods_not_ready`, while the node is Unknown (its kubelet
//     cannot), the Ready condition of every pod on it is set to False, so
//     endpoints stop sending traffic there.
//
// Zones and rate limiting. A node's zone is the value of the
// "topology.kubernetes.io/zone" label (prefixed with
// "topology.kubernetes.io/region" and '/', when set; the legacy
// "failure-domain.beta.kubernetes.io/" labels are read when the new ones are
// absent; no label = the zone ""). Each zone has a state:
//   * FullDisruption     every node of the zone is not ready;
//   * PartialDisruption  more than 2 nodes, and at least
//                        `unhealthy_zone_threshold` (0.55) of them, are not
//                        ready;
//   * Normal             otherwise.
// Each zone taints nodes from its queue in FIFO order through a token bucket
// of burst 1: the first taint is immediate, each next one comes one interval
// after the previous one, where the interval is 1/rate seconds and the rate
// is
//   * `eviction_rate` (0.1 nodes/s) in a Normal zone, and in a zone in
//     FullDisruption while some other zone is healthy (a real zone outage:
//     the pods are better off in the healthy zones);
//   * in a PartialDisruption zone, `secondary_eviction_rate` (0.01 nodes/s)
//     when the zone has more than `large_cluster_size_threshold` (50) nodes,
//     else 0: a zone that is only partly silent (a flaky network?) is
//     drained slowly, a small one not at all;
//   * 0 while every zone that has nodes is in FullDisruption: then the
//     master (or its network) is the likely culprit, not the nodes. Entering
//     this state removes every NoExecute taint the controller set (the nodes
//     stay queued); leaving it gives every node a fresh grace period and
//     restarts every zone's limiter, so nothing is tainted at the instant a
//     partition of everything heals — the nodes' next heartbeats clear them.
// When a zone's rate changes, its next taint is re-timed from its last one
// at the new interval. A rate <= 0 disables tainting in that case.
//
// Sync(node) is level-triggered from the informer cache and the per-node
// memory above; event handlers and timers only enqueue node names.
//
// Threading: single-threaded on the Clock's loop.

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/client/api.h"
#include "core/client/event_recorder.h"
#include "core/client/informer.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/work_queue.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

using api::kLabelZone;
inline constexpr std::string_view kLabelRegion = "topology.kubernetes.io/region";
inline constexpr std::string_view kLabelZoneLegacy = "failure-domain.beta.kubernetes.io/zone";
inline constexpr std::string_view kLabelRegionLegacy = "failure-domain.beta.kubernetes.io/region";

struct NodeLifecycleOptions {
  Duration node_monitor_grace_period = seconds(40);
  Duration node_startup_grace_period = seconds(60);
  // As kube-controller-manager's --node-monitor-period: node health is
  // judged in passes this far apart (from the controller's start), so a
  // node silent past its grace period is found at the next pass, and nodes
  // found together are counted in their zones before any is tainted. 0:
  // at the exact instant.
  Duration node_monitor_period = seconds(5);
  // How often the zones' taint queues are worked (Kubernetes' 100 ms
  // nodeEvictionPeriod): a node queued now is tainted at the next pass.
  Duration node_eviction_period = milliseconds(100);
  double eviction_rate = 0.1;              // nodes tainted per second, per zone
  double secondary_eviction_rate = 0.01;   // in a partly disrupted large zone
  int large_cluster_size_threshold = 50;   // nodes; at or below: no secondary rate
  double unhealthy_zone_threshold = 0.55;  // fraction of not-ready nodes
  bool mark_pods_not_ready = true;
  // Where NodeNotReady Events go (on the node, and on its pods marked not
  // ready); null = nowhere.
  client::EventRecorder* recorder = nullptr;
  WorkQueueOptions queue;
  // Shared informers (nodes, pods); null = private ones.
  InformerSet* informers = nullptr;
};

enum class ZoneState { kNormal, kPartialDisruption, kFullDisruption };
std::string_view ZoneStateName(ZoneState state);

struct NodeLifecycleStats {
  uint64_t syncs = 0;
  uint64_t nodes_marked_unknown = 0;
  uint64_t pods_marked_not_ready = 0;
  uint64_t nodes_tainted = 0;       // NoExecute taints put on
  uint64_t taints_removed = 0;      // NoExecute taints taken off
  uint64_t taint_errors = 0;        // writes that failed (retried)
  uint64_t tainting_cancelled = 0;  // queued nodes that became ready again
};

class NodeLifecycleController {
 public:
  NodeLifecycleController(client::Api& api, runtime::Clock& clock,
                          NodeLifecycleOptions options = {});
  ~NodeLifecycleController();
  NodeLifecycleController(const NodeLifecycleController&) = delete;
  NodeLifecycleController& operator=(const NodeLifecycleController&) = delete;

  // Starts the informers (if not already) and enqueues every cached node.
  Status Start();
  // One level-triggered sync of node `name` (normally called by the queue).
  Status Sync(const std::string& name);

  // The zone key of a node (see above).
  static std::string ZoneOf(const api::Node& node);
  // The state of `zone` (Normal for a zone never seen).
  ZoneState StateOf(const std::string& zone) const;
  // True while every zone with nodes is fully disrupted.
  bool EvictionsHalted() const { return halted_; }
  // Nodes waiting for their NoExecute taint in `zone`, in order.
  std::vector<std::string> EvictionQueue(const std::string& zone) const;

  const NodeLifecycleStats& stats() const { return stats_; }
  const WorkQueue& queue() const { return queue_; }

 private:
  enum class Eviction { kNone, kQueued };
  struct NodeHealth {
    Time probe;      // when a heartbeat was last seen (or the node first seen)
    Time heartbeat;  // the lastHeartbeatTime value last seen
    std::string zone;
    bool counted = false;                 // included in its zone's counts
    bool ready = false;                   // as counted
    Eviction eviction = Eviction::kNone;  // waiting for the NoExecute taint
    bool tainted = false;                 // a NoExecute taint of ours is on it
    std::optional<Time> wake_target;      // when the node must be synced next
    runtime::TimerId wake_timer = 0;
    Time wake_at;
  };
  struct Zone {
    int nodes = 0;
    int not_ready = 0;
    ZoneState state = ZoneState::kNormal;
    std::deque<std::string> queue;
    std::optional<Time> last_eviction;
    runtime::TimerId timer = 0;
  };

  Result<std::shared_ptr<const api::Node>> MarkUnknown(const api::Node& node);
  Status MarkPodsNotReady(const std::string& node);
  // Counts the node in `zone` as ready or not; re-evaluates zone states.
  void Account(const std::string& name, NodeHealth& h, const std::string& zone, bool ready);
  void Forget(const std::string& name);
  void CancelEviction(const std::string& name, NodeHealth& h);
  void UpdateZoneStates();
  double RateOf(const Zone& zone) const;
  // Taints from `zone`'s queue what its rate allows now and arms its timer.
  void ProcessZone(const std::string& zone);
  // Rewrites node `name` with `edit` (given the node as stored; returns
  // false when nothing changes), reading it afresh and retrying on a
  // conflict.
  Status EditTaints(const std::string& name, const std::function<bool(api::Node&)>& edit);
  // The NoSchedule taints the node's conditions call for, set at once.
  Status SyncNoScheduleTaints(const api::Node& node, const std::string& status);
  // Puts the NoExecute taint for the node's Ready condition (False /
  // Unknown) on. False when there was nothing to do (costs no token).
  bool TaintNode(const std::string& name);
  // Takes the controller's NoExecute taints off node `name`.
  Status UntaintNode(const std::string& name);
  void EnterHalt();
  void LeaveHalt();
  // The first monitor pass at or after `t`.
  Time MonitorPassAt(Time t) const;
  // Works the zones' queues one eviction period from now (once).
  void ScheduleTaintingPass();
  void ArmWake(const std::string& name, NodeHealth& h, std::optional<Time> target);
  void OnWake(const std::string& name);

  client::Api& api_;
  runtime::Clock& clock_;
  const NodeLifecycleOptions options_;
  // options_.recorder, or one that records nothing.
  client::EventRecorder& recorder() { return options_.recorder ? *options_.recorder : no_events_; }
  client::NullEventRecorder no_events_;
  const Time started_;
  std::unique_ptr<InformerSet> own_informers_;
  InformerSet& informers_;
  client::Informer& nodes_;
  client::Informer& pods_;
  WorkQueue queue_;
  std::map<std::string, NodeHealth, std::less<>> health_;
  std::map<std::string, Zone, std::less<>> zones_;
  bool halted_ = false;
  runtime::TimerId tainting_timer_ = 0;
  NodeLifecycleStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
