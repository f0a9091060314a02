#pragma once
// Scenario files: what a simulation run does, as plain structs the scenario
// runner consumes. The file format is documented in docs/scenarios.md.
//
// Loading is all-or-nothing and happens before the run starts: the YAML is
// read strictly (unknown fields, unknown event types, bad durations,
// quantities, distributions, selectors are errors), the Kubernetes manifests
// it contains or names (`file:` relative to the scenario file) are decoded
// and validated with core/api, and every reference is checked against a dry
// run of the scenario's cloud and objects in event order: nodes, racks,
// zones and groups named by events must exist at that time, objects deleted
// or scaled must have been created before. Every problem is reported, one per
// line, as "<file>:<line>: <field path>: <message>", e.g.
//
//   quickstart.yaml:23: events[2].failZone: unknown zone "zone-z" (zones: zone-a, zone-b)
//
// Times in a scenario (`at`, `by`) are durations from the start of the run.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/labels.h"
#include "core/api/object.h"
#include "core/base/status.h"
#include "core/base/time.h"
#include "core/client/throttle.h"
#include "sim/distribution.h"
#include "sim/runtime_model.h"
#include "sim/sim_cloud.h"
#include "sim/topology.h"

namespace navarch::sim {

// An API object of the scenario and where it was written.
struct ScenarioObject {
  api::ObjectPtr object;
  std::string source;  // the file it was read from
  int line = 0;        // its first line there
};

// Names an API object. `namespace_` is "default" for namespaced kinds written
// without one, and empty for cluster-scoped kinds.
struct ObjectRef {
  api::Kind kind = api::Kind::kPod;
  std::string namespace_;
  std::string name;
  auto operator<=>(const ObjectRef&) const = default;
  std::string ToString() const;  // "ReplicationController default/web"
};

struct SchedulerConfig {
  // "spread" | "binpack" | "custom".
  std::string profile = "spread";
  // For "custom": score plugin name -> weight (0-100). The runner checks the
  // names against the scheduler's plugin registry.
  std::map<std::string, int32_t> plugin_weights;
};

struct ControllersConfig {
  // The node lifecycle controller: how long a node may be silent before it
  // is marked unreachable (and tainted).
  Duration node_monitor_grace_period = seconds(40);
  // How long after its node is tainted not-ready / unreachable a pod is
  // evicted: the tolerationSeconds admission gives every pod that does not
  // say (Kubernetes' --default-*-toleration-seconds). Whole seconds.
  Duration pod_eviction_timeout = minutes(5);
  // Nodes tainted per second in a healthy zone, and in a zone where more than
  // unhealthy_zone_threshold of the nodes are NotReady (0 when the zone has
  // at most large_cluster_size_threshold nodes).
  double eviction_rate = 0.1;
  double secondary_eviction_rate = 0.01;
  double unhealthy_zone_threshold = 0.55;
  int large_cluster_size_threshold = 50;
  // How often each kubelet writes its node status (the heartbeat).
  Duration node_status_update_period = seconds(10);
};

struct ApiConfig {
  // Delay between a write and its delivery to watchers; none if unset.
  std::optional<Distribution> watch_latency;
  // The components record Kubernetes Events (Scheduled, SuccessfulCreate,
  // Pulled, Created, Started, NodeNotReady, TaintManagerEviction, ...)
  // through the Api, as on a real cluster. false: none are recorded (a
  // faster, smaller run).
  bool record_events = true;
};

// What the control plane's work costs in simulated time (docs/sim.md,
// "The control plane's cost"). Each part can be turned off; `controlPlane:
// ideal` turns all of them off (the idealised control plane of old: every
// request free and instant, every decision taking no time).
struct ControlPlaneConfig {
  // Client-side QPS/burst token buckets of the components, with client-go's
  // semantics (core/client/throttle.h). Also applied with a real backend.
  bool client_limits = true;
  client::ClientLimits controller_manager = client::kControllerManagerLimits;
  client::ClientLimits scheduler = client::kSchedulerLimits;
  client::ClientLimits kubelet = client::kKubeletLimits;  // each kubelet's own
  // The time each API request of a component takes. Simulator only.
  // Unset: the default, measured on this API server (docs/sim.md).
  bool request_latency_on = true;
  std::optional<Distribution> request_latency;
  // The scheduler's time per decision: fixed + per_node * nodes evaluated.
  // Simulator only. Defaults measured on this scheduler (docs/sim.md).
  bool scheduling_cost = true;
  Duration scheduling_fixed = kDefaultSchedulingFixed;
  Duration scheduling_per_node = kDefaultSchedulingPerNode;

  // Fitted to `build/bench/scheduler_bench --benchmark_filter=BM_Decide/`
  // (1.55 us per decision at 500 nodes, 5.39 us at 5,000).
  static constexpr Duration kDefaultSchedulingFixed = microseconds(1);
  static constexpr Duration kDefaultSchedulingPerNode = Duration(1);
  // The default request latency: log-normal with the median and p99 of
  // `build/bench/apiserver_bench --benchmark_filter=CreatePods/1/` (one
  // client, HTTP on 127.0.0.1, SQLite with fsync: 0.33 ms and 0.59 ms).
  static constexpr Duration kDefaultRequestMedian = microseconds(330);
  static constexpr Duration kDefaultRequestP99 = microseconds(600);
};

enum class EventType {
  kCreate,  // objects: create (an existing object is an error at run time)
  kApply,   // objects: create or replace
  kDelete,  // targets
  kScale,   // target (a ReplicationController), replicas
  kCordon,  // name (node)
  kUncordon,
  kDrain,  // name (node), grace_period
  kFailNode,
  kFailRack,
  kFailZone,
  kRecoverNode,
  kRecoverRack,
  kRecoverZone,
  kPartitionNode,
  kPartitionRack,
  kPartitionZone,
  kHealNode,
  kHealRack,
  kHealZone,
  kAddNodes,     // name (group), count; nodes = the names they will get
  kRemoveNodes,  // nodes (the machines removed)
  kTaint,        // name (node), taint: added, or replacing one of its key and effect
  kUntaint,      // name (node), taint.key (and taint.effect when given): removed
  kLabel,        // name (node), labels set, remove_labels removed
};
// The YAML key of an event type ("failZone").
std::string_view EventTypeName(EventType type);
// For the fail/recover/partition/heal types: the level they act on.
DomainLevel EventDomain(EventType type);

struct ScenarioEvent {
  Duration at{};
  EventType type = EventType::kCreate;
  int line = 0;      // the line of the event's list item
  std::string path;  // "events[3]"
  std::vector<ScenarioObject> objects;
  std::vector<ObjectRef> targets;
  ObjectRef target;
  int32_t replicas = 0;
  std::string name;
  int32_t count = 0;
  std::vector<std::string> nodes;
  std::optional<Duration> grace_period;
  // delete: what happens to the dependents of what is deleted (Background,
  // Foreground or Orphan; Background when unset, as kubectl's default).
  std::string propagation_policy;
  // taint / untaint.
  api::Taint taint;
  // label.
  std::map<std::string, std::string> labels;
  std::vector<std::string> remove_labels;
};

struct Expectation {
  enum class Type {
    kRunningReplicas,         // pods matching selector Running (and Ready) >= at_least at `by`
    kNoPodPendingLongerThan,  // no pod matching selector Pending longer than `threshold`
    kSchedulingLatency,       // percentile of create->bind latency <= threshold
    kAllSucceeded,            // every pod matching selector Succeeded at `by` (and at least one)
    kReadyNodes,              // Ready nodes >= at_least at `by`
    kRestarts,                // container restarts of pods matching selector, within bounds
    kEvictions,               // pods matching selector evicted by `by`, within bounds
    kReadyEndpoints,          // ready addresses of Service `name` at `by`, within bounds
    kEventCount,              // Kubernetes Events with `reason` (and `event_type`) at `by`
  };
  Type type = Type::kRunningReplicas;
  int line = 0;
  std::string path;  // "expect[1]"
  std::string selector_text;
  api::LabelSelector selector;  // everything when not given
  std::string namespace_;       // empty: every namespace
  // Counts (runningReplicas, readyNodes, restarts, evictions): at_least <= n, and
  // n <= at_most when set. `exactly: n` sets both.
  int64_t at_least = 0;
  std::optional<int64_t> at_most;
  std::optional<Duration> by;  // when to check; unset: at the end of the run
  std::string name;            // readyEndpoints: the Service
  std::string reason;          // eventCount: the Event reason
  std::string event_type;      // eventCount: Normal or Warning; "" = both
  Duration threshold{};
  double percentile = 99;
};
std::string_view ExpectationTypeName(Expectation::Type type);

struct Scenario {
  std::string name;
  std::string description;
  std::string source;    // the scenario file as given
  std::string base_dir;  // the directory `file:` references are relative to
  uint64_t seed = 1;
  // Exactly one of: run for `duration`, or until idle (at most max_duration).
  std::optional<Duration> duration;
  bool run_until_idle = false;
  Duration max_duration = hours(1);

  std::vector<NodeGroupSpec> node_groups;
  SchedulerConfig scheduler;
  RuntimeModel runtime;
  ControllersConfig controllers;
  ApiConfig api;
  ControlPlaneConfig control_plane;
  std::vector<ScenarioObject> objects;
  // Sorted by `at`; events at the same time keep their file order.
  std::vector<ScenarioEvent> events;
  std::vector<Expectation> expectations;

  // The run's end: duration or max_duration.
  Duration Horizon() const { return duration ? *duration : max_duration; }
};

// Reads and checks a scenario file; file names in messages are `path` as given.
Result<Scenario> LoadScenarioFile(const std::string& path);
// Parses scenario text. `source` names it in messages; `base_dir` resolves
// `file:` references (empty: the current directory).
Result<Scenario> ParseScenario(std::string_view text, const std::string& source,
                               const std::string& base_dir);

}  // namespace navarch::sim
