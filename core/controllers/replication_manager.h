#pragma once
// ReplicationManager: keeps the number of pods of every ReplicationController
// at spec.replicas.
//
// Events. Handlers only enqueue RC keys ("<namespace>/<name>"): an RC's own
// changes; a pod's changes enqueue its controller (controller owner
// reference) or, for an orphan, every RC in its namespace whose selector
// matches it. Pod adds and deletions also settle expectations (below).
//
// Sync(key) is level-triggered: it reads the RC and the pods of its namespace
// from the informer caches, never the content of the event that woke it.
//   1. Claim pods. A pod whose controller reference names this RC (by uid)
//      is owned while the RC's selector matches it; when it stops matching it
//      is released (the reference removed). An orphan (no controller
//      reference) that matches is adopted (a controller reference added),
//      unless the RC or the pod is being deleted. Pods controlled by someone
//      else are never touched.
//   2. Active pods are owned pods not being deleted (deletionTimestamp) and
//      not finished (Succeeded, Failed).
//   3. If the RC's expectations are satisfied and it is not being deleted,
//      act on diff = active - replicas (spec.replicas, 1 if absent), at most
//      `burst_replicas` pods per sync:
//        * too few: create pods from spec.template — generateName "<rc>-",
//          the template's labels and annotations, and an owner reference to
//          the RC (controller: true, blockOwnerDeletion: true) — in
//          slow-start batches of 1, 2, 4, 8, ... (`slow_start_initial_batch`
//          doubling). A batch in which any create fails is the last one; the
//          pods not attempted are left to the next sync (after back-off).
//        * too many: delete the least valuable pods first (DeleteBefore in
//          controller_utils.h: unscheduled, pending, not ready, ready for
//          the shorter time, newest, then by name).
//      Expectations are recorded before the writes and lowered at once for
//      writes that failed or were not attempted.
//      If the expectations are not satisfied, nothing is created or deleted
//      and the RC is synced again when they expire (`expectations_timeout`)
//      or when the awaited events arrive.
//   4. Status last, and only when changed: replicas (active pods),
//      fullyLabeledReplicas (active pods carrying every template label),
//      readyReplicas, availableReplicas (ready for minReadySeconds) and
//      observedGeneration, written with the cached resourceVersion. On a
//      conflict the RC is read once from the Api: if its generation is the
//      one synced against, the status is written on top of it; otherwise the
//      conflict fails the sync (retried). When a ready pod will become
//      available later, the RC is synced again at that instant.
// A failed sync is retried with the work queue's per-key back-off.
//
// An RC whose selector and template labels are both empty selects nothing it
// could safely manage: it is skipped (and counted in stats().invalid).
//
// Threading: single-threaded on the Clock's loop.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api/labels.h"
#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/event_recorder.h"
#include "core/client/informer.h"
#include "core/controllers/expectations.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/work_queue.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct ReplicationManagerOptions {
  // Most pods created or deleted by one sync of one RC.
  int32_t burst_replicas = 500;
  // Size of the first slow-start batch of creates; each next one doubles.
  int32_t slow_start_initial_batch = 1;
  // How long unobserved creates/deletes hold an RC back.
  Duration expectations_timeout = minutes(5);
  WorkQueueOptions queue;
  // Shared informers (pods, replicationcontrollers); null = private ones.
  InformerSet* informers = nullptr;
  // Where SuccessfulCreate / SuccessfulDelete / FailedCreate / FailedDelete
  // Events go (on the RC); null = nowhere.
  client::EventRecorder* recorder = nullptr;
};

struct ReplicationManagerStats {
  uint64_t syncs = 0;
  uint64_t pods_created = 0;
  uint64_t create_errors = 0;
  uint64_t creates_skipped = 0;  // not attempted after a failed batch
  uint64_t pods_deleted = 0;
  uint64_t delete_errors = 0;
  uint64_t adopted = 0;
  uint64_t released = 0;
  uint64_t status_updates = 0;
  uint64_t expectation_waits = 0;  // syncs that held back for expectations
  uint64_t invalid = 0;            // syncs of RCs that select nothing
};

class ReplicationManager {
 public:
  ReplicationManager(client::Api& api, runtime::Clock& clock,
                     ReplicationManagerOptions options = {});
  ~ReplicationManager();
  ReplicationManager(const ReplicationManager&) = delete;
  ReplicationManager& operator=(const ReplicationManager&) = delete;

  // Starts the informers (if not already) and enqueues every cached RC.
  Status Start();

  // One level-triggered sync of the RC under `key` (normally called by the
  // work queue; public for tests and tools).
  Status Sync(const std::string& key);

  const ReplicationManagerStats& stats() const { return stats_; }
  const WorkQueue& queue() const { return queue_; }
  const Expectations& expectations() const { return expectations_; }

 private:
  using PodPtr = std::shared_ptr<const api::Pod>;
  using RcPtr = std::shared_ptr<const api::ReplicationController>;

  void OnRc(const client::ObjectPtr& obj);
  void OnPodAdd(const client::ObjectPtr& obj);
  void OnPodUpdate(const client::ObjectPtr& old, const client::ObjectPtr& cur);
  void OnPodDelete(const client::ObjectPtr& obj);
  // The key of the RC that `ref` names in `ns`, if it is cached with that uid.
  std::optional<std::string> ResolveRef(const std::string& ns, const api::OwnerReference& ref);
  void EnqueueMatching(const api::Pod& pod);

  // The RC's selector (spec.selector, else the template labels).
  api::LabelSelector SelectorOf(const api::ReplicationController& rc) const;
  Result<std::vector<PodPtr>> ClaimPods(const api::ReplicationController& rc,
                                        const api::LabelSelector& selector);
  Status ManageReplicas(const RcPtr& rc, const std::string& key, std::vector<PodPtr> active);
  // Creates and deletes are requests of their own, submitted to the client's
  // throttle (options_.queue.throttle) as client-go issues them from
  // goroutines: they go at once while the bucket has tokens, else each when
  // its token comes. Slow start: the next batch is submitted when the last
  // one is complete. A run completed inside the sync returns its error (the
  // sync is retried); one completed later requeues the RC with back-off.
  struct CreateRun {
    std::string key;
    RcPtr rc;
    client::ObjectPtr proto;
    int remaining = 0;  // not yet submitted
    int batch = 1;      // size of the next batch
    int outstanding = 0;
    int failed = 0;
    bool in_sync = false;
    bool done = false;
    Status first_error;
  };
  void Submit(std::function<void()> request);
  Status CreatePods(const RcPtr& rc, const std::string& key, int count);
  void NextBatch(const std::shared_ptr<CreateRun>& run);
  void CreateOne(const std::shared_ptr<CreateRun>& run);
  Status DeletePods(const std::string& key, std::vector<PodPtr> victims);
  Status UpdateStatus(const api::ReplicationController& rc, const std::vector<PodPtr>& active,
                      const std::string& key);

  client::Api& api_;
  runtime::Clock& clock_;
  const ReplicationManagerOptions options_;
  // options_.recorder, or one that records nothing.
  client::EventRecorder& recorder() { return options_.recorder ? *options_.recorder : no_events_; }
  client::NullEventRecorder no_events_;
  std::unique_ptr<InformerSet> own_informers_;
  InformerSet& informers_;
  client::Informer& pods_;
  client::Informer& rcs_;
  Expectations expectations_;
  WorkQueue queue_;
  ReplicationManagerStats stats_;
  // Handlers registered on shared informers outlive this object: they check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
