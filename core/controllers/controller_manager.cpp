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
  rm_ = std::make_unique<ReplicationManager>(api, clock, options.replication);
  nlc_ = std::make_unique<NodeLifecycleController>(api, clock, options.node_lifecycle);
  tec_ = std::make_unique<TaintEvictionController>(api, clock, options.taint_eviction);
  ep_ = std::make_unique<EndpointsController>(api, clock, options.endpoints);
  gc_ = std::make_unique<GarbageCollector>(api, clock, options.garbage_collector);
  ns_ = std::make_unique<NamespaceController>(api, clock, options.namespaces);
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
