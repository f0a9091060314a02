#pragma once
// ControllerManager: the controllers of the control plane, wired once, on
// one set of shared informers — the replication manager, node lifecycle,
// taint eviction (the taint manager),
// endpoints, the garbage collector and the namespace controller. The
// simulator's runner, `navarch up` and `navarch controller-manager` all
// build this one object, so every mode runs the same controllers with the
// same wiring.
//
// Threading: single-threaded on the Clock's loop.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/api.h"
#include "core/client/event_recorder.h"
#include "core/client/throttle.h"
#include "core/controllers/endpoints_controller.h"
#include "core/controllers/garbage_collector.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/namespace_controller.h"
#include "core/controllers/node_lifecycle_controller.h"
#include "core/controllers/replication_manager.h"
#include "core/controllers/taint_eviction_controller.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct ControllerManagerOptions {
  // The `informers` member of each is ignored: the manager's set is used.
  ReplicationManagerOptions replication;
  NodeLifecycleOptions node_lifecycle;
  TaintEvictionOptions taint_eviction;
  EndpointsControllerOptions endpoints;
  GarbageCollectorOptions garbage_collector;
  NamespaceControllerOptions namespaces;
  // Each controller records Kubernetes Events through a recorder of its own
  // (source replication-controller, node-controller,
  // taint-eviction-controller); false: none.
  bool record_events = true;
  // Each controller's client: a token bucket of its own with these limits
  // (kube-controller-manager's --kube-api-qps 20 / --kube-api-burst 30),
  // charged for every request it makes (informers, shared, are not) and
  // making its work queue wait (core/client/throttle.h). Events go through
  // an unlimited client. limits.qps <= 0: no limit.
  client::ThrottleOptions client{.limits = client::kControllerManagerLimits};
};

class ControllerManager {
 public:
  ControllerManager(client::Api& api, runtime::Clock& clock, ControllerManagerOptions options = {});
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Starts the shared informers, then every controller.
  Status Start();

  InformerSet& informers() { return *informers_; }
  ReplicationManager& replication() { return *rm_; }
  NodeLifecycleController& node_lifecycle() { return *nlc_; }
  TaintEvictionController& taint_eviction() { return *tec_; }
  EndpointsController& endpoints() { return *ep_; }
  GarbageCollector& garbage_collector() { return *gc_; }
  NamespaceController& namespaces() { return *ns_; }
  // The client of a controller, by its name ("replication-controller",
  // "node-controller", "taint-eviction-controller", "endpoints-controller",
  // "garbage-collector", "namespace-controller"); null for another name.
  const client::Throttle* client(std::string_view name) const;

 private:
  std::unique_ptr<InformerSet> informers_;
  // One client per controller (they hold references: destroyed after them).
  struct Client {
    std::unique_ptr<client::Throttle> throttle;
    std::unique_ptr<client::ThrottledApi> api;
    std::string name;
  };
  std::vector<Client> clients_;
  std::unique_ptr<ReplicationManager> rm_;
  std::unique_ptr<NodeLifecycleController> nlc_;
  std::unique_ptr<TaintEvictionController> tec_;
  std::unique_ptr<EndpointsController> ep_;
  std::unique_ptr<GarbageCollector> gc_;
  std::unique_ptr<NamespaceController> ns_;
  std::vector<std::unique_ptr<client::ApiEventRecorder>> recorders_;
};

}  // namespace navarch::controllers
