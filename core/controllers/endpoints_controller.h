#pragma once
// EndpointsController: keeps, for every Service with a selector, an Endpoints
// object of the same name and namespace listing the pods behind it.
//
// Events. Handlers only enqueue Service keys: a Service's own changes; a
// pod's changes enqueue every Service of its namespace whose selector matches
// the pod before or after the change (pod updates that change nothing an
// Endpoints shows — labels, IP, readiness, node, phase, deletion, hostname,
// container ports — are ignored); an Endpoints deleted by someone else
// enqueues its Service (recreated if the Service still exists).
//
// Sync(key) is level-triggered from the informer caches:
//   * Service gone: its Endpoints is deleted (if cached).
//   * Service without a selector: nothing is done (its Endpoints are
//     managed by hand).
//   * Otherwise each pod of the namespace matching the selector, that has a
//     podIP and has not finished (Succeeded/Failed), becomes an address —
//     ip, nodeName, targetRef (kind Pod, namespace, name, uid), and hostname
//     when spec.hostname is set and spec.subdomain names the Service:
//       addresses          Ready condition True and not being deleted (or
//                          the Service has publishNotReadyAddresses);
//       notReadyAddresses  every other such pod.
//     Ports come from the Service's ports: targetPort as a number, unset (0)
//     meaning `port`, or a name looked up among the pod's container ports
//     with the same protocol (TCP when unset). A pod on which a named port
//     does not resolve lacks that port; a pod with none of the Service's
//     ports is left out. Pods with the same resolved ports share one subset;
//     subsets are ordered by their ports, addresses by IP then pod name.
//     The Endpoints carries the Service's labels.
//   * The Endpoints is written (created, or updated with the cached
//     resourceVersion) only when it differs from the cached one.
//
// Threading: single-threaded on the Clock's loop.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/api/labels.h"
#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/work_queue.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct EndpointsControllerOptions {
  WorkQueueOptions queue;
  // Shared informers (services, pods, endpoints); null = private ones.
  InformerSet* informers = nullptr;
};

struct EndpointsControllerStats {
  uint64_t syncs = 0;
  uint64_t created = 0;
  uint64_t updated = 0;
  uint64_t deleted = 0;
  uint64_t unchanged = 0;  // syncs that found the Endpoints already right
};

class EndpointsController {
 public:
  EndpointsController(client::Api& api, runtime::Clock& clock,
                      EndpointsControllerOptions options = {});
  ~EndpointsController();
  EndpointsController(const EndpointsController&) = delete;
  EndpointsController& operator=(const EndpointsController&) = delete;

  // Starts the informers (if not already) and enqueues every cached Service.
  Status Start();
  // One level-triggered sync of the Service under `key`.
  Status Sync(const std::string& key);

  // The subsets the Service's Endpoints should have, from `pods` (every pod
  // of the Service's namespace; non-matching ones are skipped).
  static std::vector<api::EndpointSubset> Desired(const api::Service& service,
                                                  const std::vector<client::ObjectPtr>& pods);

  const EndpointsControllerStats& stats() const { return stats_; }
  const WorkQueue& queue() const { return queue_; }

 private:
  void OnService(const client::ObjectPtr& obj, bool deleted);
  void OnPod(const client::ObjectPtr& old, const client::ObjectPtr& cur);
  // Enqueues the services of `pod`'s namespace that select it.
  void EnqueueFor(const api::Pod& pod);

  client::Api& api_;
  runtime::Clock& clock_;
  const EndpointsControllerOptions options_;
  std::unique_ptr<InformerSet> own_informers_;
  InformerSet& informers_;
  client::Informer& services_;
  client::Informer& pods_;
  client::Informer& endpoints_;
  WorkQueue queue_;
  // Parsed selectors of services with one, by service key.
  std::map<std::string, api::LabelSelector, std::less<>> selectors_;
  EndpointsControllerStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
