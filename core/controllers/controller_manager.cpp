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
  auto make_client = [&](const char* name) -> client::ThrottledApi& {
    Client c;
    c.throttle = std::make_unique<client::Throttle>(clock, options.client);
    c.api = std::make_unique<client::ThrottledApi>(api, *c.throttle);
    c.name = name;
    clients_.push_back(std::move(c));
    return *clients_.back().api;
  };
  auto& rm_api = make_client("replication-controller");
  options.replication.queue.throttle = &rm_api.throttle();
  rm_ = std::make_unique<ReplicationManager>(rm_api, clock, options.replication);
  auto& nlc_api = make_client("node-controller");
  options.node_lifecycle.queue.throttle = &nlc_api.throttle();
  nlc_ = std::make_unique<NodeLifecycleController>(nlc_api, clock, options.node_lifecycle);
  auto& tec_api = make_client("taint-eviction-controller");
  tec_ = std::make_unique<TaintEvictionController>(tec_api, clock, options.taint_eviction);
  auto& ep_api = make_client("endpoints-controller");
  options.endpoints.queue.throttle = &ep_api.throttle();
  ep_ = std::make_unique<EndpointsController>(ep_api, clock, options.endpoints);
  auto& gc_api = make_client("garbage-collector");
  options.garbage_collector.queue.throttle = &gc_api.throttle();
  gc_ = std::make_unique<GarbageCollector>(gc_api, clock, options.garbage_collector);
  auto& ns_api = make_client("namespace-controller");
  options.namespaces.queue.throttle = &ns_api.throttle();
  ns_ = std::make_unique<NamespaceController>(ns_api, clock, options.namespaces);
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
