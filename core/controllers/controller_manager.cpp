#include "core/controllers/controller_manager.h"

namespace navarch::controllers {

ControllerManager::ControllerManager(client::Api& api, runtime::Clock& clock,
                                     ControllerManagerOptions options)
    : informers_(std::make_unique<InformerSet>(api, clock)) {
  InformerSet* shared = informers_.get();
  options.replication.informers = shared;
  options.node_lifecycle.informers = shared;
  options.taint_eviction.informers = shared;
  options.endpoints.informers = shared;
  options.garbage_collector.informers = shared;
  options.namespaces.informers = shared;
  if (options.record_events) {
    auto recorder = [&](const char* component) {
      recorders_.push_back(std::make_unique<client::ApiEventRecorder>(
          api, clock, client::EventRecorderOptions{.component = component}));
      return recorders_.back().get();
    };
    options.replication.recorder = recorder("replication-controller");
    options.node_lifecycle.recorder = recorder("node-controller");
    options.taint_eviction.recorder = recorder("taint-eviction-controller");
  }
  clients_.reserve(6);
  // A client of its own for each controller; its work queue (if it has one)
  // waits for it.
  auto make_client = [&](const char* name, WorkQueueOptions* queue) -> client::Api& {
    Client c;
    c.throttle = std::make_unique<client::Throttle>(clock, options.client);
    c.api = std::make_unique<client::ThrottledApi>(api, *c.throttle);
    c.name = name;
    if (queue) queue->throttle = c.throttle.get();
    clients_.push_back(std::move(c));
    return *clients_.back().api;
  };
  rm_ = std::make_unique<ReplicationManager>(
      make_client("replication-controller", &options.replication.queue), clock,
      options.replication);
  nlc_ = std::make_unique<NodeLifecycleController>(
      make_client("node-controller", &options.node_lifecycle.queue), clock, options.node_lifecycle);
  tec_ = std::make_unique<TaintEvictionController>(
      make_client("taint-eviction-controller", nullptr), clock, options.taint_eviction);
  ep_ = std::make_unique<EndpointsController>(
      make_client("endpoints-controller", &options.endpoints.queue), clock, options.endpoints);
  gc_ = std::make_unique<GarbageCollector>(
      make_client("garbage-collector", &options.garbage_collector.queue), clock,
      options.garbage_collector);
  ns_ = std::make_unique<NamespaceController>(
      make_client("namespace-controller", &options.namespaces.queue), clock, options.namespaces);
}

const client::Throttle* ControllerManager::client(std::string_view name) const {
  for (const auto& c : clients_) {
    if (c.name == name) return c.throttle.get();
  }
  return nullptr;
}

Status ControllerManager::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_->Start());
  NAVARCH_RETURN_IF_ERROR(rm_->Start());
  NAVARCH_RETURN_IF_ERROR(nlc_->Start());
  NAVARCH_RETURN_IF_ERROR(tec_->Start());
  NAVARCH_RETURN_IF_ERROR(ep_->Start());
  NAVARCH_RETURN_IF_ERROR(gc_->Start());
  return ns_->Start();
}

}  // namespace navarch::controllers
