#pragma once
// Scheduler: places pods on nodes — the queue, the decision core and the
// binding, wired to the Api and the Clock.
//
//   Start()        creates two informers (all pods, all nodes) feeding the
//                  NodeTable and the queue. Pods already bound (by anyone)
//                  count on their nodes; unbound pods whose spec.schedulerName
//                  is this scheduler's name ("default-scheduler" when empty)
//                  and that are not terminating are queued.
//   one attempt    (a Clock::Post per pod, one pod per callback, so watch
//                  events interleave) pops the next pod, decides against the
//                  NodeTable and, if a node fits, *assumes* the pod there —
//                  its requests count on the node at once, so the next
//                  decision sees them — and posts the bind.
//   flow rounds    with a profile of Strategy::kFlow, one callback instead
//                  pops the whole active queue (up to max_batch pods) and
//                  places it in one FlowDecider round; each placed pod is
//                  assumed and bound exactly as above; a pod the round
//                  deferred (waiting was cheaper) goes to back-off, so it is
//                  tried again by time, not only by cluster events.
//   bind           writes spec.nodeName through Api::Update with the
//                  resourceVersion the decision was made from: an ordinary
//                  compare-and-swap. On kNotFound the pod is gone: dropped.
//                  On any other error (kConflict: the pod changed meanwhile)
//                  the assumption is undone and the pod goes to back-off.
//   confirmation   the pod informer seeing the pod bound confirms the
//                  assumption. A bound pod never confirmed within
//                  assumed_pod_ttl is forgotten (and re-queued if unbound).
//   unschedulable  the pod waits in the queue's unschedulable set, and gets a
//                  PodScheduled=False condition (reason Unschedulable, the
//                  "0/N nodes are available: ..." message) written through
//                  Api::UpdateStatus — only when that message changes.
//   re-tries       when a node is added or changes, or a pod leaves a node
//                  (deleted, finished, assumption undone), the unschedulable
//                  pods that now pass every filter on *that* node are moved
//                  (Decider::Fits), so events that cannot help move nothing.
//
// Every attempt produces a SchedulingDecision handed to `observer`.
//
// Pods in phase Succeeded or Failed no longer count on their node.
//
// Threading: single-threaded, on the Clock's loop. The Api and Clock must
// outlive the scheduler.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/event_recorder.h"
#include "core/client/informer.h"
#include "core/client/throttle.h"
#include "core/runtime/clock.h"
#include "core/scheduler/decider.h"
#include "core/scheduler/flow_decider.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/queue.h"

namespace navarch::scheduler {

// The record of one scheduling attempt.
struct SchedulingDecision {
  std::string pod;    // "<namespace>/<name>"
  Time first_queued;  // when the pod first entered the queue
  Time queued;        // when this attempt's pod entered the active queue
  Time decided;
  int32_t attempt = 0;  // 1 for the first attempt
  std::string node;     // chosen node; empty when unschedulable
  // Unschedulable: the Kubernetes-style message ("0/5 nodes are available:
  // 3 Insufficient cpu, 2 node(s) didn't match node selector.").
  std::string message;
  Explanation explanation;  // reasons, counts, score breakdowns
};

// One line for logs and reports.
std::string DecisionSummary(const SchedulingDecision& d);

struct SchedulerOptions {
  std::string scheduler_name = std::string(kDefaultSchedulerName);
  ProfileSpec profile = SpreadProfile();
  QueueOptions queue;
  DeciderOptions decider;
  // How long a bound-but-unconfirmed assumption is kept.
  Duration assumed_pod_ttl = seconds(30);
  // Called for every attempt (optional).
  std::function<void(const SchedulingDecision&)> observer;
  // Write the PodScheduled=False condition for unschedulable pods.
  bool write_conditions = true;
  // Flow strategy only: the round's model and the most pods one round takes
  // from the active queue.
  FlowOptions flow;
  size_t max_batch = 10'000;
  // Informers of every pod and every node shared with other components (a
  // ControllerManager's), so that one process keeps one cache of each. They
  // must not have started: Start() adds the scheduler's handlers and the
  // owner starts them afterwards. Null = the scheduler's own, started by
  // Start().
  client::Informer* pod_informer = nullptr;
  client::Informer* node_informer = nullptr;
  // Record Scheduled / FailedScheduling Events on the pods, through the
  // scheduler's Api (source: scheduler_name).
  bool record_events = true;
  // The scheduler's client (kube-scheduler's clientConnection: 50 QPS, 100
  // burst): binds are submitted to its token bucket and go when it grants
  // them; other requests (status writes of unschedulable pods) are charged,
  // and the next scheduling cycle waits until the bucket allows another
  // request. Events go through an unlimited client of their own, as
  // kube-scheduler's event client. limits.qps <= 0: no limit.
  client::ThrottleOptions client{.limits = client::kSchedulerLimits};
  // The time one scheduling decision takes (a model for the simulator; zero
  // in production, where decisions take their real time): `fixed` plus
  // `per_node` for every node the decision evaluated (the flow strategy:
  // every node, for each pod of its round). The next cycle starts, and the
  // pod's bind is submitted, once the decision's time has passed.
  struct DecisionCost {
    Duration fixed{};
    Duration per_node{};
  } decision_cost;
};

class Scheduler {
 public:
  Scheduler(client::Api& api, runtime::Clock& clock, SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Builds the profile (kInvalidArgument for a bad one) and starts the
  // informers (their list errors are returned), or, when they are shared,
  // adds its handlers to them (kInvalidArgument if they already started).
  // Call once.
  Status Start();
  void Stop();

  struct Stats {
    uint64_t attempts = 0;
    uint64_t scheduled = 0;      // binds written
    uint64_t unschedulable = 0;  // attempts with no fitting node
    uint64_t bind_errors = 0;    // binds that failed (conflict etc.)
    uint64_t confirmed = 0;      // assumptions confirmed by the informer
    uint64_t expired = 0;        // assumptions that timed out
    uint64_t condition_writes = 0;
    uint64_t rounds = 0;  // flow rounds
  };
  const Stats& stats() const { return stats_; }
  const NodeTable& cache() const { return table_; }
  const SchedulingQueue& queue() const { return queue_; }
  const client::Throttle& client() const { return throttle_; }
  const Decider* decider() const { return decider_.get(); }
  // Null unless the profile's strategy is kFlow.
  const FlowDecider* flow() const { return flow_.get(); }

 private:
  enum class State : uint8_t { kQueued, kAssumed, kBound };
  struct Pending {
    std::shared_ptr<const api::Pod> pod;  // latest known object
    PodInfo info;
    State state = State::kQueued;
    Time first_queued;
    Time queued;
    std::string node;             // assumed node
    runtime::TimerId expiry = 0;  // assumption expiry timer
    uint64_t token = 0;           // identifies the current assumption
  };

  bool Responsible(const api::Pod& pod) const;
  void OnPod(const std::shared_ptr<const api::Pod>& pod, const api::Pod* old);
  void OnPodDeleted(const std::shared_ptr<const api::Pod>& pod);
  void OnNode(const api::Node& node);
  void OnNodeDeleted(const api::Node& node);
  // A pod left node `index` (or it changed): move what may fit there now.
  void NodeChanged(std::optional<uint32_t> index);
  void Forget(const std::string& key, Pending& p);
  void Kick();
  void ScheduleOne();
  void ScheduleBatch();
  // Acts on a decision for a popped pod: `node` is the chosen node (already
  // assumed in the table when `assumed`), nullopt when unschedulable.
  void Commit(const std::string& key, Pending& p, SchedulingDecision& d,
              std::optional<uint32_t> node, bool assumed);
  void Bind(const std::string& key, const std::string& node, uint64_t token);
  void Expire(const std::string& key);
  void WriteUnschedulable(Pending& p, const std::string& message);

  // The cost of deciding for `pods` pods that evaluated `nodes` nodes in all.
  Duration DecisionTime(size_t pods, size_t nodes) const;

  client::Api& base_api_;  // events
  runtime::Clock& clock_;
  SchedulerOptions options_;
  client::Throttle throttle_;
  client::ThrottledApi api_;
  // Until when the current decision keeps the scheduler busy.
  Time busy_until_{};
  std::unique_ptr<client::ApiEventRecorder> recorder_;
  NodeTable table_;
  SchedulingQueue queue_;
  std::unique_ptr<Decider> decider_;
  std::unique_ptr<FlowDecider> flow_;
  std::unique_ptr<client::Informer> pods_;
  std::unique_ptr<client::Informer> nodes_;
  std::map<std::string, Pending, std::less<>> pending_;  // our unbound pods
  bool kicked_ = false;
  bool started_ = false;
  uint64_t bind_token_ = 0;
  Stats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::scheduler
