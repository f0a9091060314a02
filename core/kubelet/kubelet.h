#pragma once
// Kubelet: the node agent. One per node, in the simulator (thousands, over a
// simulated ContainerRuntime) and on real hosts (over Docker).
//
//   Kubelet kubelet(api, clock, runtime, options);
//   kubelet.Start();   // everything else happens on the Clock's loop
//
// Node. Registers its Node (creates it with options' labels, taints and
// status, or — if it exists — merges the labels and writes the status) and
// then writes the Node's status every heartbeat period: conditions
// MemoryPressure/DiskPressure/PIDPressure False and Ready True (reason
// "KubeletReady") with lastHeartbeatTime = now, capacity, allocatable,
// addresses, daemonEndpoints, nodeInfo. Ready is False (reason
// "KubeletNotReady", "container runtime is down: ...") while the runtime
// answers kUnavailable; a change of runtime health is written at once rather
// than at the next heartbeat. The first write happens at Start(), then at
// Start() + k * heartbeat_period exactly (see NodeStatusPolicy for writing
// less often). A Node deleted meanwhile is re-registered.
//
// Pods. Before touching any pod, the kubelet lists the runtime's sandboxes
// and containers labelled with its node name (retrying with back-off while
// the runtime is unavailable). Then an Informer on the pods bound to the
// node (WatchOptions.node_name) feeds one PodWorker per pod (see
// pod_worker.h): what the runtime still runs for a pod is adopted, not
// duplicated; what runs for a pod that no longer exists is removed. New pods
// pass admission (options.admission) or are reported Failed. Pod status is
// written through Api::UpdateStatus only when it differs from what the Api
// holds, coalesced per loop turn, and retried with back-off on failure.
//
// Partitions. When the Api cannot be reached (kUnavailable; the simulator
// cuts a node off with sim::GatedApi): pods keep running and restarting,
// status writes and heartbeats fail and are retried (a successful heartbeat
// also sends every pod status waiting for a retry); once it is reachable the
// retries succeed — the informer re-lists (every api_retry.initial while cut
// off) and reports what changed meanwhile, and every pod's status catches up.
//
// Runtime failures. Every runtime error is retried with back-off
// (options.runtime_retry); nothing crashes the kubelet.
//
// Stop() stops watching, heartbeating and driving pods, and leaves every
// container running (a new kubelet adopts them). Start() after Stop() works
// like a restarted process.
//
// Threading: single-threaded, on the Clock's loop. The Api, Clock and
// ContainerRuntime must outlive the Kubelet; the Kubelet sets itself as the
// runtime's (single) event handler while started and unsets it in Stop(), so
// one runtime serves one started kubelet at a time: stop the old one before
// starting its replacement.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/client/throttle.h"
#include "core/kubelet/backoff.h"
#include "core/kubelet/options.h"
#include "core/kubelet/pod_worker.h"
#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"
#include "core/runtime/rng.h"

namespace navarch::kubelet {

// Node condition reason of a healthy kubelet.
inline constexpr std::string_view kReasonKubeletReady = "KubeletReady";
inline constexpr std::string_view kReasonKubeletNotReady = "KubeletNotReady";

struct KubeletStats {
  uint64_t node_status_writes = 0;  // Node creates and status updates that succeeded
  uint64_t pod_status_writes = 0;   // pod UpdateStatus calls that succeeded
  uint64_t api_failures = 0;        // Api calls that failed (and will be retried)
  uint64_t runtime_failures = 0;    // runtime operations that failed
  uint64_t pods_adopted = 0;        // pods found running in the runtime at start
  uint64_t orphans_removed = 0;     // sandboxes/containers removed at start
};

class Kubelet {
 public:
  Kubelet(client::Api& api, runtime::Clock& clock, runtime::ContainerRuntime& runtime,
          KubeletOptions options);
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Starts the node and pod loops. kInvalidArgument naming the option when
  // the options are unusable (empty node name, zero heartbeat period);
  // otherwise ok — every later failure is retried, never returned.
  Status Start();
  void Stop();
  bool started() const { return started_; }

  // Cuts the kubelet off from the Api, or reconnects it (see above).

  const KubeletOptions& options() const { return options_; }
  const client::Throttle& client() const { return *throttle_; }
  const KubeletStats& stats() const { return stats_; }
  // Whether the Node has been registered since Start().
  bool registered() const { return registered_; }
  // Pods the kubelet is handling (including ones being torn down).
  size_t pod_count() const { return workers_.size(); }

 private:
  void ListRuntime();
  void StartInformer();
  void RemoveOrphans();

  void OnPodAdd(const client::ObjectPtr& obj);
  void OnPodUpdate(const client::ObjectPtr& obj);
  void OnPodDelete(const client::ObjectPtr& obj);
  void OnContainerEvent(const runtime::ContainerEvent& ev);
  void OnWorkerFinished(const std::string& uid);
  void OnRuntimeResult(const Status& st);

  void MarkStatusDirty(const std::string& uid);
  void FlushStatuses();

  void Heartbeat();
  void ScheduleHeartbeat();
  Status SyncNode();
  api::NodeStatus BuildNodeStatus(const api::NodeStatus& previous) const;

  client::Api& inner_api_;
  runtime::Clock& clock_;
  runtime::ContainerRuntime& runtime_;
  const KubeletOptions options_;
  // Computed once from options_: the Node's labels (hostname included) and
  // its allocatable resources ("pods" included).
  const api::Labels node_labels_;
  const api::ResourceList allocatable_;
  // The kubelet's own client over inner_api_ (events use inner_api_).
  std::unique_ptr<client::Throttle> throttle_;
  std::unique_ptr<client::ThrottledApi> throttled_;
  client::Api& api_;
  WorkerEnv env_;
  std::unique_ptr<client::ApiEventRecorder> recorder_;

  bool started_ = false;
  bool registered_ = false;
  KubeletStats stats_;
  // Guards posted callbacks and timers against a stopped or destroyed kubelet.
  std::shared_ptr<bool> alive_;

  std::unique_ptr<client::Informer> informer_;
  // uid -> worker. std::map: deterministic iteration.
  std::map<std::string, std::shared_ptr<PodWorker>> workers_;
  std::set<std::string> pulled_images_;

  // What the runtime held at start, by pod uid, until claimed or removed.
  std::map<std::string, AdoptedPod> inventory_;
  bool runtime_listed_ = false;
  Backoff runtime_list_retry_;
  Backoff informer_retry_;

  std::set<std::string> dirty_;  // pod uids whose status must be rebuilt
  bool flush_posted_ = false;
  Backoff status_retry_;
  runtime::TimerId status_retry_timer_ = 0;

  Time heartbeat_base_;
  uint64_t heartbeats_ = 0;
  Time next_heartbeat_;
  std::unique_ptr<runtime::Rng> jitter_;
  runtime::TimerId heartbeat_timer_ = 0;
  runtime::TimerId register_retry_timer_ = 0;
  Backoff register_retry_;
  Time last_node_write_;   // for report_period
  Status runtime_health_;  // the last runtime kUnavailable, or ok
};

}  // namespace navarch::kubelet
