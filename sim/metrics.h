#pragma once
// Metrics: what a simulation run measures, collected the way an outside
// observer would — by watching the Api (pods, nodes, replication controllers)
// — plus the scheduler's decision records, which the runner hands in.
//
// Per pod (PodLifecycle) the times are *observation* times: when the watch
// delivered the change, so a scenario's simulated watch latency shows in
// them. `created` is metadata.creationTimestamp (the write itself).
//   scheduled  first seen with spec.nodeName set
//   started    first seen in phase Running (or finished without being seen
//              running: then started == finished)
//   ready      first seen with condition Ready=True
//   finished   first seen in phase Succeeded or Failed
//   deleted    seen deleted from the Api
//   evicted    first seen being deleted with a DisruptionTarget condition
//              (an eviction: the taint manager's, reason
//              DeletionByTaintManager)
//
// Counters that the runner's idle check and the time series need are kept
// incrementally (every pod event adjusts them), so Sample() and the idle
// check cost O(nodes) and O(1), never O(pods).
//
// Recoveries. BeginRecovery() is called at a failure event (node, rack or
// zone failed or partitioned, nodes removed) with the nodes it hit; the
// replication controllers with active pods on those nodes are "affected".
// The recovery ends at the first instant, at or after the event, when every
// affected controller has at least spec.replicas pods that are Running,
// Ready, not being deleted and on a node the `healthy` oracle (the simulated
// cloud's truth: up and reachable) accepts. UpdateRecoveries() does that
// check; the runner calls it once per instant while a recovery is open.
//
// Threading: single-threaded on the Clock's loop. Deterministic: records are
// kept in the order pods were first seen (revision order); every map is
// ordered.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/runtime/clock.h"
#include "core/scheduler/scheduler.h"

namespace navarch::sim {

struct PodLifecycle {
  std::shared_ptr<const api::Pod> last;  // the last state observed
  std::string key;                       // "<namespace>/<name>"
  std::string controller;                // "<namespace>/<rc>" of its controller; "" if none
  std::string node;                      // spec.nodeName as last observed
  std::string phase;                     // status.phase as last observed ("Pending" if empty)
  Time created;
  std::optional<Time> scheduled, started, ready, finished, deleted, evicted;
  std::string eviction_reason;  // the DisruptionTarget condition's reason
  int32_t restarts = 0;         // sum of container restart counts, highest seen
  std::map<std::string, int32_t> container_restarts;  // per container, highest seen
  bool ready_now = false;                             // the Ready condition as last observed
  int32_t scheduling_attempts = 0;                    // decisions recorded for the pod
  int64_t cpu_millis = 0;                             // summed container requests
  int64_t memory_bytes = 0;
  bool deleting = false;  // deletionTimestamp seen

  // What the record contributes to Metrics' aggregates right now, so that
  // the contribution can be taken back exactly before a change.
  struct Counted {
    bool on = false;
    enum class Phase : uint8_t { kPending, kRunning, kSucceeded, kFailed } phase{};
    bool deleting = false;
    bool unbound = false;
    bool unsettled = false;
    bool rc_active = false;
    std::string node;  // counted on this node ("" = none)
    std::string rc;    // member of this controller ("" = none)
    bool operator==(const Counted&) const = default;
  } counted;
};

// One change of the run's timeline (results.db `timeline`).
struct TimelineEntry {
  enum class What : uint8_t {
    kNodeReady,  // a node's Ready condition changed; detail: True/False/Unknown (reason)
    kPodReady,   // a pod's Ready condition changed; value 1/0
    kRestart,    // a container restarted; value: the exit code; detail: container (reason)
    kEvicted,    // a pod was evicted; detail: the reason
    kEndpoints,  // a Service's ready endpoints changed; value: how many; detail: not ready
  };
  Duration t{};
  What what = What::kNodeReady;
  std::string object;  // node name, or "<namespace>/<name>" of the pod or Service
  int64_t value = 0;
  std::string detail;
};
std::string_view TimelineWhatName(TimelineEntry::What what);

// One row of the time series.
struct SeriesSample {
  Duration t{};  // since the start of the run
  int64_t pods_pending = 0;
  int64_t pods_running = 0;
  int64_t pods_succeeded = 0;
  int64_t pods_failed = 0;
  int64_t pods_terminating = 0;
  int64_t nodes = 0;
  int64_t nodes_ready = 0;
  int64_t cpu_requested_millis = 0;  // on Ready nodes
  int64_t cpu_allocatable_millis = 0;
  int64_t memory_requested_bytes = 0;
  int64_t memory_allocatable_bytes = 0;
  int64_t scheduler_queue = 0;  // active + back-off + unschedulable
};

// One scheduling attempt, flattened for reports.
struct DecisionRecord {
  Duration t{};  // when decided, since the start
  std::string pod;
  int32_t attempt = 0;
  std::string node;   // empty: unschedulable
  Duration waited{};  // decided - first queued
  uint32_t total_nodes = 0;
  uint32_t evaluated_nodes = 0;
  uint32_t feasible_nodes = 0;
  std::string message;  // the unschedulable message, if any
  std::string reasons;  // "3 Insufficient cpu; 2 node(s) were not ready"
  std::string scores;   // "node-1 312 (LeastAllocated 90x1, ...); node-2 ..."
};

struct Recovery {
  std::string event;  // "events[3]"
  std::string type;   // "failNode"
  std::string target;
  Duration at{};
  std::vector<std::string> nodes;                 // the nodes hit
  std::vector<std::string> affected_controllers;  // sorted
  std::optional<Duration> recovered_after;        // unset: not (yet) recovered
};

struct MetricsOptions {
  bool record_decisions = true;
};

class Metrics {
 public:
  Metrics(client::Api& api, runtime::Clock& clock, Time start, MetricsOptions options = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Starts the informers. Call before any object is created.
  Status Start();

  // The scheduler's observer.
  void RecordDecision(const scheduler::SchedulingDecision& d);
  // Appends a time-series row for now. `scheduler_queue` is passed in.
  void Sample(int64_t scheduler_queue);

  // --- Recoveries ---
  void BeginRecovery(Recovery recovery);
  bool RecoveryOpen() const { return open_recoveries_ > 0; }
  void UpdateRecoveries(const std::function<bool(const std::string& node)>& healthy);
  // The `healthy` oracle changed (a machine went up, down, or (un)reachable):
  // the next UpdateRecoveries looks again. Pod changes and node readiness
  // changes mark it by themselves; nothing else can end a recovery, so an
  // instant without any of them (a heartbeat) costs nothing.
  void RecoveryInputsChanged() { recovery_dirty_ = true; }

  // --- Queries ---
  Time start() const { return start_; }
  const std::vector<PodLifecycle>& pods() const { return pods_; }
  const PodLifecycle* FindPod(const std::string& key) const;
  const std::vector<SeriesSample>& series() const { return series_; }
  const std::vector<DecisionRecord>& decisions() const { return decisions_; }
  const std::vector<Recovery>& recoveries() const { return recoveries_; }
  // Pod keys currently bound to `node` and not finished, sorted.
  std::vector<std::string> PodsOn(const std::string& node) const;
  // Registered nodes whose Ready condition is True now.
  int64_t ReadyNodes() const { return nodes_ready_; }
  int64_t NodeCount() const { return nodes_registered_; }
  bool NodeReady(const std::string& node) const;

  // Live pods by state now.
  int64_t pending() const { return pending_; }
  int64_t running() const { return running_; }
  int64_t succeeded() const { return succeeded_; }
  int64_t failed() const { return failed_; }
  int64_t terminating() const { return terminating_; }
  int64_t unbound() const { return unbound_; }
  // Ever observed.
  int64_t created_total() const { return static_cast<int64_t>(pods_.size()); }
  int64_t scheduled_total() const { return scheduled_total_; }
  int64_t started_total() const { return started_total_; }
  int64_t succeeded_total() const { return succeeded_total_; }
  int64_t failed_total() const { return failed_total_; }
  int64_t deleted_total() const { return deleted_total_; }
  int64_t evicted_total() const { return evicted_total_; }

  // --- Timeline ---
  const std::vector<TimelineEntry>& timeline() const { return timeline_; }
  // Ready addresses of Service `key` ("<namespace>/<name>") now.
  int64_t ReadyEndpoints(const std::string& key) const;
  // The Kubernetes Events in the Api now.
  std::vector<std::shared_ptr<const api::Event>> KubeEvents() const;

  // Sum over controllers of |active pods - spec.replicas|.
  int64_t ControllerDeficit() const;
  // Whether some pod whose node satisfies `alive` has work under way: bound
  // but not yet running or finished, being deleted, or a batch pod
  // (restartPolicy OnFailure/Never) still running. Unbound pods count as alive.
  bool AnyUnsettled(const std::function<bool(const std::string& node)>& alive) const;

  // Replication controllers by key: desired replicas (spec.replicas).
  std::map<std::string, int32_t> ControllerReplicas() const;

 private:
  struct NodeState {
    bool registered = false;  // the Node is in the Api
    bool ready = false;
    std::string ready_status;  // the Ready condition's status as last observed
    int64_t cpu_allocatable = 0;
    int64_t memory_allocatable = 0;
    int64_t cpu_requested = 0;
    int64_t memory_requested = 0;
    std::set<size_t> pods;  // indexes into pods_ of pods counted on it
  };
  struct RcState {
    bool exists = false;  // the RC is in the Api
    int32_t desired = 1;
    int64_t active = 0;
    std::set<size_t> pods;  // pods whose controller is this RC (ever seen, live)
  };

  void OnPod(const client::ObjectPtr& obj, bool deleted);
  void OnNode(const client::ObjectPtr& obj, bool deleted);
  void OnRc(const client::ObjectPtr& obj, bool deleted);
  // What a live pod counts towards, from its record.
  static PodLifecycle::Counted CountedOf(const PodLifecycle& rec);
  // Adds (+1) or removes (-1) pods_[index].counted from the totals; a no-op
  // when it is not on. Removing leaves `counted` cleared.
  void Account(size_t index, int sign);
  bool HealthyReplica(const PodLifecycle& p,
                      const std::function<bool(const std::string&)>& healthy) const;
  Duration Since(Time t) const { return t - start_; }

  client::Api& api_;
  runtime::Clock& clock_;
  const Time start_;
  const MetricsOptions options_;
  std::unique_ptr<client::Informer> pod_informer_;
  std::unique_ptr<client::Informer> node_informer_;
  std::unique_ptr<client::Informer> rc_informer_;
  std::unique_ptr<client::Informer> endpoints_informer_;
  std::vector<TimelineEntry> timeline_;
  bool recovery_dirty_ = true;
  std::map<std::string, std::pair<int64_t, int64_t>> endpoints_;  // ready, not ready
  void OnEndpoints(const client::ObjectPtr& obj, bool deleted);
  void Note(TimelineEntry::What what, std::string object, int64_t value, std::string detail);

  std::vector<PodLifecycle> pods_;
  // Point lookups only (never iterated, so their order cannot reach a report).
  std::unordered_map<std::string, size_t> by_key_;  // live pods (and the last of a name)
  std::unordered_map<std::string, size_t> by_uid_;
  std::map<std::string, NodeState, std::less<>> nodes_;
  std::map<std::string, RcState, std::less<>> rcs_;
  std::set<size_t> unsettled_;

  int64_t pending_ = 0, running_ = 0, succeeded_ = 0, failed_ = 0, terminating_ = 0;
  int64_t unbound_ = 0, nodes_ready_ = 0, nodes_registered_ = 0;
  int64_t scheduled_total_ = 0, started_total_ = 0, succeeded_total_ = 0, failed_total_ = 0;
  int64_t deleted_total_ = 0;
  int64_t evicted_total_ = 0;

  std::vector<SeriesSample> series_;
  std::vector<DecisionRecord> decisions_;
  std::vector<Recovery> recoveries_;
  std::vector<std::set<std::string>> recovery_rcs_;  // parallel to recoveries_
  int open_recoveries_ = 0;
};

// True if the pod's Ready condition is True.
bool PodIsReady(const api::Pod& pod);
// True if the node's Ready condition is True.
bool NodeIsReady(const api::Node& node);

}  // namespace navarch::sim
