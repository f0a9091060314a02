#pragma once
// NamespaceController: empties a namespace being deleted and lets it go, as
// Kubernetes' namespace controller does. Deleting a Namespace only marks it
// (deletionTimestamp, phase Terminating; the Api then refuses new objects in
// it). For such a namespace, Sync:
//   1. lists every namespaced kind in it through the Api and deletes each
//      object not already being deleted (Background propagation; pods with
//      their own grace period, so kubelets stop them cleanly);
//   2. while anything is left (pods terminating, objects held by
//      finalizers), looks again after `retry` — and as soon as a pod of the
//      namespace goes;
//   3. once nothing is left, removes the `kubernetes` finalizer from
//      spec.finalizers, and the Api removes the Namespace.
// Deletes carry no preconditions and updates are retried inside the Api, so
// a controller rewriting an object of the namespace meanwhile (the
// replication manager recreating a pod until its RC goes) never fails it.
// Threading: single-threaded on the Clock's loop.

#include <cstdint>
#include <memory>
#include <string>

#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/work_queue.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct NamespaceControllerOptions {
  WorkQueueOptions queue;
  // Shared informers (namespaces, pods); null = private ones.
  InformerSet* informers = nullptr;
  Duration retry = seconds(1);
};

struct NamespaceControllerStats {
  uint64_t syncs = 0;
  uint64_t deleted = 0;    // objects deleted from terminating namespaces
  uint64_t finalized = 0;  // namespaces whose last finalizer was removed
};

class NamespaceController {
 public:
  NamespaceController(client::Api& api, runtime::Clock& clock,
                      NamespaceControllerOptions options = {});
  ~NamespaceController();
  NamespaceController(const NamespaceController&) = delete;
  NamespaceController& operator=(const NamespaceController&) = delete;

  // Starts the informers (if not already) and looks at every namespace
  // already being deleted.
  Status Start();
  Status Sync(const std::string& name);

  const NamespaceControllerStats& stats() const { return stats_; }

 private:
  bool Terminating(const std::string& ns) const;

  client::Api& api_;
  runtime::Clock& clock_;
  const NamespaceControllerOptions options_;
  std::unique_ptr<InformerSet> own_informers_;
  InformerSet& informers_;
  client::Informer& namespaces_;
  client::Informer& pods_;
  WorkQueue queue_;
  NamespaceControllerStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
