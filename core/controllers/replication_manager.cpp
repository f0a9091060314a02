#include "core/controllers/replication_manager.h"

#include <algorithm>
#include <utility>

#include "core/controllers/controller_utils.h"

namespace navarch::controllers {

namespace {

constexpr std::string_view kRcKind = "ReplicationController";

api::OwnerReference OwnerRefTo(const api::ReplicationController& rc) {
  api::OwnerReference ref;
  ref.api_version = "v1";
  ref.kind = std::string(kRcKind);
  ref.name = rc.metadata.name;
  ref.uid = rc.metadata.uid;
  ref.controller = true;
  ref.block_owner_deletion = true;
  return ref;
}

}  // namespace

ReplicationManager::ReplicationManager(client::Api& api, runtime::Clock& clock,
                                       ReplicationManagerOptions options)
    : api_(api),
      clock_(clock),
      options_(options),
      own_informers_(options.informers ? nullptr : std::make_unique<InformerSet>(api, clock)),
      informers_(options.informers ? *options.informers : *own_informers_),
      pods_(informers_.For(api::Kind::kPod)),
      rcs_(informers_.For(api::Kind::kReplicationController)),
      expectations_(clock, options.expectations_timeout),
      queue_(
          clock, [this](const std::string& key) { return Sync(key); }, options.queue) {
  std::weak_ptr<bool> alive = alive_;
  auto live = [alive] {
    auto a = alive.lock();
    return a && *a;
  };
  client::InformerHandlers rc_handlers;
  rc_handlers.on_add = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnRc(obj);
  };
  rc_handlers.on_update = [this, live](const client::ObjectPtr&, const client::ObjectPtr& cur) {
    if (live()) OnRc(cur);
  };
  rc_handlers.on_delete = rc_handlers.on_add;
  rcs_.AddHandlers(std::move(rc_handlers));

  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnPodAdd(obj);
  };
  pod_handlers.on_update = [this, live](const client::ObjectPtr& old,
                                        const client::ObjectPtr& cur) {
    if (live()) OnPodUpdate(old, cur);
  };
  pod_handlers.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnPodDelete(obj);
  };
  pods_.AddHandlers(std::move(pod_handlers));
}

ReplicationManager::~ReplicationManager() {
  *alive_ = false;
}

Status ReplicationManager::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_.Start());
  for (const auto& obj : rcs_.List())
    queue_.Add(api::KeyOf(*obj));
  return Status::Ok();
}

// --- Event handlers: they only settle expectations and enqueue keys -------

void ReplicationManager::OnRc(const client::ObjectPtr& obj) {
  queue_.Add(api::KeyOf(*obj));
}

std::optional<std::string> ReplicationManager::ResolveRef(const std::string& ns,
                                                          const api::OwnerReference& ref) {
  if (ref.kind != kRcKind) return std::nullopt;
  auto rc = rcs_.Get(ns, ref.name);
  if (!rc || rc->metadata.uid != ref.uid) return std::nullopt;
  return api::KeyOf(ns, ref.name);
}

void ReplicationManager::EnqueueMatching(const api::Pod& pod) {
  for (const auto& obj : rcs_.ByIndex(client::kIndexNamespace, pod.metadata.namespace_)) {
    const auto* rc = api::As<api::ReplicationController>(obj.get());
    api::LabelSelector selector = SelectorOf(*rc);
    if (!selector.Empty() && selector.Matches(pod.metadata.labels)) queue_.Add(api::KeyOf(*rc));
  }
}

void ReplicationManager::OnPodAdd(const client::ObjectPtr& obj) {
  const auto* pod = api::As<api::Pod>(obj.get());
  if (!pod) return;
  if (IsTerminating(*pod)) {
    // Seen for the first time already being deleted (e.g. after a re-list).
    OnPodDelete(obj);
    return;
  }
  if (const auto* ref = ControllerRef(*pod)) {
    if (auto key = ResolveRef(pod->metadata.namespace_, *ref)) {
      expectations_.CreationObserved(*key);
      queue_.Add(*key);
    }
    return;
  }
  EnqueueMatching(*pod);
}

void ReplicationManager::OnPodUpdate(const client::ObjectPtr& old_obj,
                                     const client::ObjectPtr& cur_obj) {
  const auto* old = api::As<api::Pod>(old_obj.get());
  const auto* cur = api::As<api::Pod>(cur_obj.get());
  if (!old || !cur) return;
  if (old->metadata.resource_version == cur->metadata.resource_version) return;
  if (IsTerminating(*cur) && !IsTerminating(*old)) {
    // A graceful deletion started: to the RC the pod is gone now.
    OnPodDelete(cur_obj);
  }
  const auto* old_ref = ControllerRef(*old);
  const auto* cur_ref = ControllerRef(*cur);
  bool ref_changed = (old_ref == nullptr) != (cur_ref == nullptr) ||
                     (old_ref && cur_ref && !(*old_ref == *cur_ref));
  if (ref_changed && old_ref) {
    if (auto key = ResolveRef(old->metadata.namespace_, *old_ref)) queue_.Add(*key);
  }
  if (cur_ref) {
    if (auto key = ResolveRef(cur->metadata.namespace_, *cur_ref)) queue_.Add(*key);
    return;
  }
  if (ref_changed || old->metadata.labels != cur->metadata.labels) EnqueueMatching(*cur);
}

void ReplicationManager::OnPodDelete(const client::ObjectPtr& obj) {
  const auto* pod = api::As<api::Pod>(obj.get());
  if (!pod) return;
  const auto* ref = ControllerRef(*pod);
  if (!ref) return;
  if (auto key = ResolveRef(pod->metadata.namespace_, *ref)) {
    expectations_.DeletionObserved(*key, api::KeyOf(*pod));
    queue_.Add(*key);
  }
}

// --- Sync -----------------------------------------------------------------

api::LabelSelector ReplicationManager::SelectorOf(const api::ReplicationController& rc) const {
  if (!rc.spec.selector.empty()) return api::LabelSelector::FromMap(rc.spec.selector);
  if (rc.spec.template_) return api::LabelSelector::FromMap(rc.spec.template_->metadata.labels);
  return api::LabelSelector::Everything();
}

Status ReplicationManager::Sync(const std::string& key) {
  ++stats_.syncs;
  auto rc = api::As<api::ReplicationController>(rcs_.GetByKey(key));
  if (!rc) {
    expectations_.Delete(key);
    return Status::Ok();
  }
  api::LabelSelector selector = SelectorOf(*rc);
  if (selector.Empty()) {
    ++stats_.invalid;
    return Status::Ok();
  }
  bool satisfied = expectations_.Satisfied(key);
  NAVARCH_ASSIGN_OR_RETURN(std::vector<PodPtr> owned, ClaimPods(*rc, selector));
  std::vector<PodPtr> active;
  active.reserve(owned.size());
  for (auto& pod : owned) {
    if (IsPodActive(*pod)) active.push_back(std::move(pod));
  }

  Status manage;
  if (!satisfied) {
    ++stats_.expectation_waits;
  } else if (!IsTerminating(*rc)) {
    manage = ManageReplicas(rc, key, active);
  }
  // Writes in flight: if their events never come, look again when the
  // expectations expire.
  if (auto expires = expectations_.ExpiresAt(key)) queue_.AddAfter(key, *expires - clock_.Now());
  NAVARCH_RETURN_IF_ERROR(UpdateStatus(*rc, active, key));
  return manage;
}

Result<std::vector<ReplicationManager::PodPtr>> ReplicationManager::ClaimPods(
    const api::ReplicationController& rc, const api::LabelSelector& selector) {
  std::vector<PodPtr> owned;
  for (const auto& obj : pods_.ByIndex(client::kIndexNamespace, rc.metadata.namespace_)) {
    auto pod = api::As<api::Pod>(obj);
    const auto* ref = ControllerRef(*pod);
    bool matches = selector.Matches(pod->metadata.labels);
    if (ref) {
      if (ref->uid != rc.metadata.uid) continue;  // someone else's
      if (matches) {
        owned.push_back(std::move(pod));
        continue;
      }
      if (IsTerminating(*pod)) continue;
      // Release: the pod no longer matches; drop our controller reference.
      api::Pod copy = *pod;
      std::erase_if(copy.metadata.owner_references,
                    [&](const api::OwnerReference& r) { return r.uid == rc.metadata.uid; });
      auto updated = api_.Update(copy);
      if (!updated.ok() && updated.code() != Code::kNotFound) {
        return updated.status().WithContext("releasing " + client::ObjectName(*pod) + " from " +
                                            client::ObjectName(rc));
      }
      if (updated.ok()) ++stats_.released;
      continue;
    }
    if (!matches || IsTerminating(*pod) || IsTerminating(rc)) continue;
    // Adopt the orphan.
    api::Pod copy = *pod;
    copy.metadata.owner_references.push_back(OwnerRefTo(rc));
    auto updated = api_.Update(copy);
    if (updated.code() == Code::kNotFound) continue;
    if (!updated.ok()) {
      return updated.status().WithContext("adopting " + client::ObjectName(*pod) + " into " +
                                          client::ObjectName(rc));
    }
    ++stats_.adopted;
    owned.push_back(*std::move(updated));
  }
  return owned;
}

Status ReplicationManager::ManageReplicas(const RcPtr& rc, const std::string& key,
                                          std::vector<PodPtr> active) {
  int64_t desired = std::max<int32_t>(0, rc->spec.replicas.value_or(1));
  int64_t diff = static_cast<int64_t>(active.size()) - desired;
  int64_t burst = std::max<int32_t>(1, options_.burst_replicas);
  if (diff < 0) return CreatePods(rc, key, static_cast<int>(std::min(-diff, burst)));
  if (diff == 0) return Status::Ok();
  std::sort(active.begin(), active.end(),
            [](const PodPtr& a, const PodPtr& b) { return DeleteBefore(*a, *b); });
  active.resize(static_cast<size_t>(std::min(diff, burst)));
  return DeletePods(key, std::move(active));
}

void ReplicationManager::Submit(std::function<void()> request) {
  if (options_.queue.throttle) {
    options_.queue.throttle->Submit(std::move(request));
  } else {
    request();
  }
}

Status ReplicationManager::CreatePods(const RcPtr& rc, const std::string& key, int count) {
  if (!rc->spec.template_) {
    ++stats_.invalid;
    return InvalidArgument(client::ObjectName(*rc) +
                           ": spec.template is required to create pods; add a pod template");
  }
  expectations_.Expect(key, count, {});
  auto proto = std::make_shared<api::Pod>();
  proto->metadata.generate_name = rc->metadata.name + "-";
  proto->metadata.namespace_ = rc->metadata.namespace_;
  proto->metadata.labels = rc->spec.template_->metadata.labels;
  proto->metadata.annotations = rc->spec.template_->metadata.annotations;
  proto->metadata.owner_references.push_back(OwnerRefTo(*rc));
  proto->spec = rc->spec.template_->spec;

  auto run = std::make_shared<CreateRun>();
  run->key = key;
  run->rc = rc;
  // The Api never modifies its argument: one prototype serves every create.
  run->proto = std::move(proto);
  run->remaining = count;
  run->batch = std::max<int32_t>(1, options_.slow_start_initial_batch);
  run->in_sync = true;
  NextBatch(run);
  run->in_sync = false;
  // Finished inside this sync (no client limit made a create wait): its
  // error is the sync's, retried with the queue's back-off.
  if (run->done)
    return run->first_error.WithContext("creating pods for " + client::ObjectName(*rc));
  return Status::Ok();
}

void ReplicationManager::NextBatch(const std::shared_ptr<CreateRun>& run) {
  int size = std::min(run->batch, run->remaining);
  run->remaining -= size;
  run->outstanding = size;
  run->batch = size * 2;
  for (int i = 0; i < size; ++i) {
    Submit([this, alive = std::weak_ptr<bool>(alive_), run] {
      if (auto a = alive.lock(); !a || !*a) return;
      CreateOne(run);
    });
  }
}

void ReplicationManager::CreateOne(const std::shared_ptr<CreateRun>& run) {
  auto created = api_.Create(run->proto);
  if (created.ok()) {
    ++stats_.pods_created;
    recorder().Record(*run->rc, api::kEventNormal, "SuccessfulCreate",
                      "Created pod: " + (*created)->metadata.name);
  } else {
    ++run->failed;
    ++stats_.create_errors;
    recorder().Record(*run->rc, api::kEventWarning, "FailedCreate",
                      "Error creating: " + created.status().message());
    expectations_.CreationObserved(run->key);  // no event will come for it
    if (run->first_error.ok()) run->first_error = created.status();
  }
  if (--run->outstanding > 0) return;
  // The batch is complete. A batch in which a create failed is the last.
  if (run->failed == 0 && run->remaining > 0) {
    NextBatch(run);
    return;
  }
  // Creates not attempted after a failed batch: wait for the next sync.
  for (int i = 0; i < run->remaining; ++i)
    expectations_.CreationObserved(run->key);
  stats_.creates_skipped += static_cast<uint64_t>(run->remaining);
  run->remaining = 0;
  run->done = true;
  if (!run->in_sync && !run->first_error.ok()) queue_.AddRateLimited(run->key);
}

Status ReplicationManager::DeletePods(const std::string& key, std::vector<PodPtr> victims) {
  client::ObjectPtr rc = rcs_.Get(key.substr(0, key.find('/')), key.substr(key.find('/') + 1));
  std::vector<std::string> keys;
  keys.reserve(victims.size());
  for (const auto& pod : victims)
    keys.push_back(api::KeyOf(*pod));
  expectations_.Expect(key, 0, keys);
  // Every delete is issued at once (each waits for its own token).
  struct DeleteRun {
    int outstanding = 0;
    bool in_sync = true;
    Status first_error;
  };
  auto run = std::make_shared<DeleteRun>();
  run->outstanding = static_cast<int>(victims.size());
  for (size_t i = 0; i < victims.size(); ++i) {
    Submit([this, alive = std::weak_ptr<bool>(alive_), run, rc, key, pod = victims[i],
            pod_key = keys[i]] {
      if (auto a = alive.lock(); !a || !*a) return;
      client::DeleteOptions opts;
      opts.uid = pod->metadata.uid;
      auto deleted =
          api_.Delete(api::Kind::kPod, pod->metadata.namespace_, pod->metadata.name, opts);
      if (deleted.ok()) {
        ++stats_.pods_deleted;
        if (rc) {
          recorder().Record(*rc, api::kEventNormal, "SuccessfulDelete",
                            "Deleted pod: " + pod->metadata.name);
        }
      } else {
        expectations_.DeletionObserved(key, pod_key);  // no event will come for it
        if (deleted.code() != Code::kNotFound) {
          ++stats_.delete_errors;
          if (rc) {
            recorder().Record(*rc, api::kEventWarning, "FailedDelete",
                              "Error deleting: " + deleted.status().message());
          }
          if (run->first_error.ok()) {
            run->first_error = deleted.status().WithContext("deleting " + client::ObjectName(*pod));
          }
        }
      }
      if (--run->outstanding == 0 && !run->in_sync && !run->first_error.ok()) {
        queue_.AddRateLimited(key);
      }
    });
  }
  run->in_sync = false;
  return run->outstanding == 0 ? run->first_error : Status::Ok();
}

Status ReplicationManager::UpdateStatus(const api::ReplicationController& rc,
                                        const std::vector<PodPtr>& active, const std::string& key) {
  Time now = clock_.Now();
  api::LabelSelector template_labels =
      rc.spec.template_ ? api::LabelSelector::FromMap(rc.spec.template_->metadata.labels)
                        : api::LabelSelector::Nothing();
  api::ReplicationControllerStatus status = rc.status;
  status.replicas = static_cast<int32_t>(active.size());
  status.fully_labeled_replicas = 0;
  status.ready_replicas = 0;
  status.available_replicas = 0;
  status.observed_generation = rc.metadata.generation;
  std::optional<Time> next_available;
  int32_t min_ready = rc.spec.min_ready_seconds;
  for (const auto& pod : active) {
    if (template_labels.Matches(pod->metadata.labels)) ++status.fully_labeled_replicas;
    auto ready_since = PodReadySince(*pod);
    if (!ready_since) continue;
    ++status.ready_replicas;
    if (IsPodAvailable(*pod, min_ready, now)) {
      ++status.available_replicas;
    } else {
      Time at = *ready_since + seconds(min_ready);
      if (!next_available || at < *next_available) next_available = at;
    }
  }
  // A ready pod becomes available later: look again at that instant.
  if (next_available) queue_.AddAfter(key, *next_available - now);
  if (status == rc.status) return Status::Ok();
  api::ReplicationController copy = rc;
  copy.status = status;
  auto written = api_.UpdateStatus(copy);
  if (written.code() == Code::kConflict) {
    // The cache lags behind the store (often: behind our own last status
    // write). If the spec we computed against is still current, write on
    // top of the fresh object once; otherwise the change that conflicted
    // will bring the RC back to the queue.
    auto fresh = api_.Get<api::ReplicationController>(rc.metadata.namespace_, rc.metadata.name);
    if (fresh.ok() && (*fresh)->metadata.uid == rc.metadata.uid &&
        (*fresh)->metadata.generation == rc.metadata.generation) {
      if ((*fresh)->status == status) return Status::Ok();
      copy = **fresh;
      copy.status = std::move(status);
      written = api_.UpdateStatus(copy);
    }
  }
  if (!written.ok()) {
    return written.status().WithContext("writing the status of " + client::ObjectName(rc));
  }
  ++stats_.status_updates;
  return Status::Ok();
}

}  // namespace navarch::controllers
