#pragma once
// TaintEvictionController: Kubernetes' taint manager
// ("taint-eviction-controller"). It deletes the pods bound to a node with a
// NoExecute taint they do not tolerate:
//
//   * a pod that does not tolerate every NoExecute taint of its node is
//     evicted at once;
//   * a pod that tolerates them all is evicted after the smallest
//     tolerationSeconds among the tolerations used (<= 0: at once); when
//     none of them gives a tolerationSeconds, it stays forever;
//   * as in Kubernetes, a pod already scheduled for eviction keeps its time
//     when its node's taints change and it still tolerates them; when the
//     taints go (the node is Ready again), the eviction is cancelled.
//
// The NoExecute taints come from the node lifecycle controller
// (node.kubernetes.io/not-ready and unreachable, tainted at the zone's rate)
// or from anyone (`kubectl taint`, a scenario's `taint` event). Admission
// gives every pod 300 s tolerations of the two node-lifecycle keys
// (registry::RegistryOptions), so by default a pod goes 300 s after its node
// was found not ready.
//
// Eviction: the pod gets a DisruptionTarget condition (reason
// DeletionByTaintManager), then is deleted with its uid as precondition and
// `grace_period_seconds` (nullopt: the pod's own). A failed write is retried
// after `retry_after`, up to `max_retries` times.
//
// Cost. Handlers only look at pods whose node has NoExecute taints (a map
// lookup for every other pod change) and at nodes whose NoExecute taints
// changed; each scheduled eviction is one timer.
//
// Threading: single-threaded on the Clock's loop.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/event_recorder.h"
#include "core/client/informer.h"
#include "core/controllers/informer_set.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct TaintEvictionOptions {
  // Grace period of the deletes; nullopt = each pod's own.
  std::optional<int64_t> grace_period_seconds;
  Duration retry_after = seconds(1);
  int max_retries = 5;
  // Shared informers (nodes, pods); null = private ones.
  InformerSet* informers = nullptr;
  // Where TaintManagerEviction Events go (on the pod); null = nowhere.
  client::EventRecorder* recorder = nullptr;
};

struct TaintEvictionStats {
  uint64_t pods_evicted = 0;
  uint64_t evictions_scheduled = 0;
  uint64_t evictions_cancelled = 0;
  uint64_t eviction_errors = 0;
};

class TaintEvictionController {
 public:
  TaintEvictionController(client::Api& api, runtime::Clock& clock,
                          TaintEvictionOptions options = {});
  ~TaintEvictionController();
  TaintEvictionController(const TaintEvictionController&) = delete;
  TaintEvictionController& operator=(const TaintEvictionController&) = delete;

  // Starts the informers (if not already) and looks at every tainted node.
  Status Start();

  // When pod `ns`/`name` is due to be evicted; nullopt when it is not.
  std::optional<Time> EvictionTime(const std::string& ns, const std::string& name) const;
  const TaintEvictionStats& stats() const { return stats_; }

 private:
  struct Scheduled {
    std::string uid;
    std::string node;
    Time created;
    Time fire;
    runtime::TimerId timer = 0;
    int attempts = 0;
  };

  void OnNode(const api::Node* old, const api::Node* cur);
  void OnPod(const api::Pod& pod);
  void ProcessPod(const api::Pod& pod, const std::vector<api::Taint>& taints);
  void Schedule(const api::Pod& pod, Time created, Time fire);
  // Forgets a scheduled eviction; `pod` (when given) is told so by an Event.
  void Cancel(const std::string& key, const api::Pod* pod = nullptr);
  void Fire(const std::string& key);
  bool Evict(const std::string& key, const Scheduled& s);

  client::Api& api_;
  runtime::Clock& clock_;
  const TaintEvictionOptions options_;
  // options_.recorder, or one that records nothing.
  client::EventRecorder& recorder() { return options_.recorder ? *options_.recorder : no_events_; }
  client::NullEventRecorder no_events_;
  std::unique_ptr<InformerSet> own_informers_;
  InformerSet& informers_;
  client::Informer& nodes_;
  client::Informer& pods_;
  // NoExecute taints of the nodes that have any.
  std::map<std::string, std::vector<api::Taint>, std::less<>> tainted_;
  // Scheduled evictions by "namespace/name".
  std::map<std::string, Scheduled, std::less<>> scheduled_;
  TaintEvictionStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
