#pragma once
// GarbageCollector: deletion driven by metadata.ownerReferences, as
// Kubernetes' garbage collector does it. It runs in every mode (simulator,
// `navarch up`, `navarch controller-manager`), so a scenario's delete and a
// kubectl delete end the same way.
//
// It watches (through the shared informers) Pods, ReplicationControllers,
// Services, Endpoints and Nodes, and keeps an index from each owner uid to
// its dependents. Three jobs:
//
//   Orphan      an owner being deleted with the `orphan` finalizer: every
//               dependent loses its ownerReference to the owner, then the
//               finalizer is removed (and the Api removes the owner).
//   Foreground  an owner being deleted with the `foregroundDeletion`
//               finalizer: every dependent is deleted; once no dependent
//               with blockOwnerDeletion is left (pods have gone through
//               their graceful termination), the finalizer is removed.
//   Dangling    an object whose owners are all gone (checked against the
//               Api, not only the cache, so a slow watch never deletes a
//               live object's dependents) is deleted (Background). One with
//               some owners gone loses the references to those.
//
// "Background" deletion (the Api removes the owner at once) is the third
// job: the owner's dependents become dangling and are deleted.
// Owner references naming kinds navarch does not serve are left alone.
//
// Writes are unconditional (they retry on conflict inside the Api) and
// carry uid preconditions, so a name reused by a new object is never hit.
// Threading: single-threaded on the Clock's loop.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/api/object.h"
#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/work_queue.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct GarbageCollectorOptions {
  WorkQueueOptions queue;
  // Shared informers; null = private ones.
  InformerSet* informers = nullptr;
  // An owner waiting for its dependents is looked at again after this long
  // even if no event says they went.
  Duration wait_retry = seconds(5);
};

struct GarbageCollectorStats {
  uint64_t syncs = 0;
  uint64_t dependents_deleted = 0;  // deletes issued for dependents
  uint64_t references_removed = 0;  // dependents orphaned or cleaned of dangling refs
  uint64_t finalizers_removed = 0;  // orphan / foregroundDeletion finalizers done
};

class GarbageCollector {
 public:
  GarbageCollector(client::Api& api, runtime::Clock& clock, GarbageCollectorOptions options = {});
  ~GarbageCollector();
  GarbageCollector(const GarbageCollector&) = delete;
  GarbageCollector& operator=(const GarbageCollector&) = delete;

  // Starts the informers (if not already) and looks at every cached object
  // that has owners or is being deleted.
  Status Start();
  // One level-triggered pass over the object under `item` ("<kind>|<key>").
  Status Sync(const std::string& item);

  const GarbageCollectorStats& stats() const { return stats_; }
  const WorkQueueStats& queue_stats() const { return queue_.stats(); }

 private:
  struct Ref {
    api::Kind kind;
    std::string key;
  };
  void Observe(api::Kind kind, const client::ObjectPtr& old, const client::ObjectPtr& cur);
  void Index(api::Kind kind, const api::Object& obj, bool add);
  bool NeedsAttention(const api::Object& obj) const;
  // Whether the owner named by `ref` (in `ns`) exists with that uid: the
  // cache first, then the Api. Unknown kinds count as present.
  Result<bool> OwnerExists(const api::OwnerReference& ref, const std::string& ns);
  Status Orphan(const api::Object& owner);
  Status Foreground(api::Kind kind, const std::string& item, const api::Object& owner);
  Status RemoveFinalizer(api::Kind kind, const api::Object& owner, std::string_view finalizer);
  Status CheckOwners(api::Kind kind, const api::Object& cached);
  // Applies `change` to the live object (same uid) and writes it pinned to
  // the version read, retrying on conflict; false when there was nothing to
  // change or the object is gone.
  Result<bool> UpdateLive(api::Kind kind, const api::Object& which,
                          const std::function<bool(api::Object&)>& change);
  std::vector<Ref> DependentsOf(const std::string& uid) const;
  client::Informer* InformerFor(api::Kind kind) const;

  client::Api& api_;
  runtime::Clock& clock_;
  const GarbageCollectorOptions options_;
  std::unique_ptr<InformerSet> own_informers_;
  InformerSet& informers_;
  std::map<api::Kind, client::Informer*> watched_;
  // owner uid -> "<kind>|<key>" of its dependents (deterministic order).
  std::map<std::string, std::set<std::string>> dependents_;
  WorkQueue queue_;
  GarbageCollectorStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
