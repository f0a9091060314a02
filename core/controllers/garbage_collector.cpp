#include "core/controllers/garbage_collector.h"

#include <algorithm>
#include <utility>

#include "core/api/well_known.h"

namespace navarch::controllers {
namespace {

constexpr api::Kind kWatched[] = {api::Kind::kPod, api::Kind::kReplicationController,
                                  api::Kind::kService, api::Kind::kEndpoints, api::Kind::kNode};

std::string ItemOf(api::Kind kind, std::string_view key) {
  std::string out(api::InfoOf(kind).resource);
  out += '|';
  out += key;
  return out;
}

bool HasFinalizer(const api::Object& obj, std::string_view f) {
  const auto& fs = obj.metadata.finalizers;
  return std::find(fs.begin(), fs.end(), f) != fs.end();
}

bool RefersTo(const api::Object& obj, const std::string& uid) {
  for (const auto& r : obj.metadata.owner_references) {
    if (r.uid == uid) return true;
  }
  return false;
}

std::shared_ptr<api::Object> Copy(const api::Object& obj) {
  return std::shared_ptr<api::Object>(obj.Clone().release());
}

}  // namespace

GarbageCollector::GarbageCollector(client::Api& api, runtime::Clock& clock,
                                   GarbageCollectorOptions options)
    : api_(api),
      clock_(clock),
      options_(options),
      own_informers_(options.informers ? nullptr : std::make_unique<InformerSet>(api, clock)),
      informers_(options.informers ? *options.informers : *own_informers_),
      queue_(
          clock, [this](const std::string& item) { return Sync(item); }, options.queue) {
  std::weak_ptr<bool> alive = alive_;
  for (api::Kind kind : kWatched) {
    client::Informer& inf = informers_.For(kind);
    watched_[kind] = &inf;
    client::InformerHandlers h;
    h.on_add = [this, alive, kind](const client::ObjectPtr& obj) {
      if (auto a = alive.lock(); a && *a) Observe(kind, nullptr, obj);
    };
    h.on_update = [this, alive, kind](const client::ObjectPtr& old, const client::ObjectPtr& cur) {
      if (auto a = alive.lock(); a && *a) Observe(kind, old, cur);
    };
    h.on_delete = [this, alive, kind](const client::ObjectPtr& obj) {
      if (auto a = alive.lock(); a && *a) Observe(kind, obj, nullptr);
    };
    inf.AddHandlers(std::move(h));
  }
}

GarbageCollector::~GarbageCollector() {
  *alive_ = false;
}

client::Informer* GarbageCollector::InformerFor(api::Kind kind) const {
  auto it = watched_.find(kind);
  return it == watched_.end() ? nullptr : it->second;
}

void GarbageCollector::Index(api::Kind kind, const api::Object& obj, bool add) {
  if (obj.metadata.owner_references.empty()) return;
  const std::string item = ItemOf(kind, api::KeyOf(obj));
  for (const auto& r : obj.metadata.owner_references) {
    if (add) {
      dependents_[r.uid].insert(item);
    } else if (auto it = dependents_.find(r.uid); it != dependents_.end()) {
      it->second.erase(item);
      if (it->second.empty()) dependents_.erase(it);
    }
  }
}

bool GarbageCollector::NeedsAttention(const api::Object& obj) const {
  if (obj.metadata.deletion_timestamp &&
      (HasFinalizer(obj, api::kFinalizerOrphan) || HasFinalizer(obj, api::kFinalizerForeground))) {
    return true;
  }
  // An owner missing from the cache may only be late: Sync asks the Api.
  for (const auto& r : obj.metadata.owner_references) {
    auto kind = api::KindFromName(r.kind);
    if (!kind) continue;
    client::Informer* inf = InformerFor(*kind);
    if (!inf) return true;
    auto owner =
        inf->Get(api::InfoOf(*kind).namespaced ? obj.metadata.namespace_ : std::string(), r.name);
    if (!owner || owner->metadata.uid != r.uid) return true;
  }
  return false;
}

void GarbageCollector::Observe(api::Kind kind, const client::ObjectPtr& old,
                               const client::ObjectPtr& cur) {
  const bool refs_changed =
      !old || !cur || old->metadata.owner_references != cur->metadata.owner_references;
  if (refs_changed) {
    if (old) Index(kind, *old, false);
    if (cur) Index(kind, *cur, true);
  }
  if (cur) {
    const bool deletion_changed =
        !old || old->metadata.deletion_timestamp != cur->metadata.deletion_timestamp ||
        old->metadata.finalizers != cur->metadata.finalizers;
    if ((refs_changed || deletion_changed) && NeedsAttention(*cur)) {
      queue_.Add(ItemOf(kind, api::KeyOf(*cur)));
    }
    // A dependent that started terminating may be what an owner in
    // foreground deletion waits for: it is looked at when the dependent goes.
    return;
  }
  // Gone: its dependents may now be dangling, and owners waiting for it in
  // foreground deletion may be done.
  for (const auto& dep : DependentsOf(old->metadata.uid))
    queue_.Add(ItemOf(dep.kind, dep.key));
  for (const auto& r : old->metadata.owner_references) {
    auto okind = api::KindFromName(r.kind);
    if (!okind) continue;
    client::Informer* inf = InformerFor(*okind);
    if (!inf) continue;
    const std::string key =
        api::InfoOf(*okind).namespaced ? api::KeyOf(old->metadata.namespace_, r.name) : r.name;
    auto owner = inf->GetByKey(key);
    if (owner && owner->metadata.uid == r.uid && owner->metadata.deletion_timestamp) {
      queue_.Add(ItemOf(*okind, key));
    }
  }
}

std::vector<GarbageCollector::Ref> GarbageCollector::DependentsOf(const std::string& uid) const {
  std::vector<Ref> out;
  auto it = dependents_.find(uid);
  if (it == dependents_.end()) return out;
  for (const auto& item : it->second) {
    const size_t bar = item.find('|');
    auto kind = api::KindFromResource(std::string_view(item).substr(0, bar));
    if (kind) out.push_back({*kind, item.substr(bar + 1)});
  }
  return out;
}

Status GarbageCollector::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_.Start());
  for (api::Kind kind : kWatched) {
    for (const auto& obj : watched_[kind]->List()) {
      if (NeedsAttention(*obj)) queue_.Add(ItemOf(kind, api::KeyOf(*obj)));
    }
  }
  return Status::Ok();
}

Status GarbageCollector::Sync(const std::string& item) {
  ++stats_.syncs;
  const size_t bar = item.find('|');
  if (bar == std::string::npos) return Status::Ok();
  auto kind = api::KindFromResource(std::string_view(item).substr(0, bar));
  if (!kind) return Status::Ok();
  client::Informer* inf = InformerFor(*kind);
  if (!inf) return Status::Ok();
  auto obj = inf->GetByKey(std::string_view(item).substr(bar + 1));
  if (!obj) return Status::Ok();
  if (obj->metadata.deletion_timestamp) {
    if (HasFinalizer(*obj, api::kFinalizerOrphan)) return Orphan(*obj);
    if (HasFinalizer(*obj, api::kFinalizerForeground)) return Foreground(*kind, item, *obj);
  }
  return CheckOwners(*kind, *obj);
}

Result<bool> GarbageCollector::OwnerExists(const api::OwnerReference& ref, const std::string& ns) {
  auto kind = api::KindFromName(ref.kind);
  if (!kind) return true;  // not a kind this API serves: never judged absent
  const std::string owner_ns = api::InfoOf(*kind).namespaced ? ns : std::string();
  if (client::Informer* inf = InformerFor(*kind)) {
    auto cached = inf->Get(owner_ns, ref.name);
    if (cached && cached->metadata.uid == ref.uid) return true;
  }
  auto live = api_.Get(*kind, owner_ns, ref.name);
  if (live.code() == Code::kNotFound) return false;
  if (!live.ok()) return live.status();
  return (*live)->metadata.uid == ref.uid;
}

Status GarbageCollector::CheckOwners(api::Kind kind, const api::Object& cached) {
  if (cached.metadata.owner_references.empty()) return Status::Ok();
  // The cache may be behind (another kind's watch told of the owner's
  // deletion first): the decision is made on the object as it is now.
  auto live = api_.Get(kind, cached.metadata.namespace_, cached.metadata.name);
  if (live.code() == Code::kNotFound) return Status::Ok();
  if (!live.ok()) return live.status();
  const api::Object& obj = **live;
  if (obj.metadata.uid != cached.metadata.uid || obj.metadata.owner_references.empty()) {
    return Status::Ok();
  }
  std::vector<std::string> absent;
  for (const auto& r : obj.metadata.owner_references) {
    NAVARCH_ASSIGN_OR_RETURN(bool exists, OwnerExists(r, obj.metadata.namespace_));
    if (!exists) absent.push_back(r.uid);
  }
  if (absent.empty()) return Status::Ok();
  if (absent.size() == obj.metadata.owner_references.size()) {
    if (obj.metadata.deletion_timestamp) return Status::Ok();  // already going
    client::DeleteOptions d;
    d.uid = obj.metadata.uid;
    d.resource_version = obj.metadata.resource_version;  // exactly what was judged
    d.propagation_policy = std::string(api::kPropagationBackground);
    auto res = api_.Delete(kind, obj.metadata.namespace_, obj.metadata.name, d);
    if (res.code() == Code::kConflict) {
      queue_.Add(ItemOf(kind, api::KeyOf(obj)));  // changed meanwhile: judge again
      return Status::Ok();
    }
    if (!res.ok() && res.code() != Code::kNotFound) {
      return res.status().WithContext("garbage collector: deleting " + client::ObjectName(obj));
    }
    if (res.ok()) ++stats_.dependents_deleted;
    return Status::Ok();
  }
  // Some owners remain: drop the references to the others.
  auto res = UpdateLive(kind, obj, [&](api::Object& o) {
    return std::erase_if(o.metadata.owner_references, [&](const api::OwnerReference& r) {
             return std::find(absent.begin(), absent.end(), r.uid) != absent.end();
           }) > 0;
  });
  if (!res.ok()) {
    return res.status().WithContext("garbage collector: updating " + client::ObjectName(obj));
  }
  if (*res) ++stats_.references_removed;
  return Status::Ok();
}

Status GarbageCollector::Orphan(const api::Object& owner) {
  const std::string& uid = owner.metadata.uid;
  for (const auto& dep : DependentsOf(uid)) {
    client::Informer* inf = InformerFor(dep.kind);
    auto cached = inf ? inf->GetByKey(dep.key) : nullptr;
    if (!cached || !RefersTo(*cached, uid)) continue;
    auto res = UpdateLive(dep.kind, *cached, [&](api::Object& obj) {
      return std::erase_if(obj.metadata.owner_references,
                           [&](const api::OwnerReference& r) { return r.uid == uid; }) > 0;
    });
    if (!res.ok()) {
      return res.status().WithContext("garbage collector: orphaning " +
                                      client::ObjectName(*cached));
    }
    if (*res) ++stats_.references_removed;
  }
  return RemoveFinalizer(owner.kind(), owner, api::kFinalizerOrphan);
}

Status GarbageCollector::Foreground(api::Kind kind, const std::string& item,
                                    const api::Object& owner) {
  const std::string& uid = owner.metadata.uid;
  bool waiting = false;
  for (const auto& dep : DependentsOf(uid)) {
    client::Informer* inf = InformerFor(dep.kind);
    auto cached = inf ? inf->GetByKey(dep.key) : nullptr;
    if (!cached) continue;
    const api::OwnerReference* ref = nullptr;
    for (const auto& r : cached->metadata.owner_references) {
      if (r.uid == uid) ref = &r;
    }
    if (!ref) continue;
    if (ref->block_owner_deletion.value_or(false)) waiting = true;
    if (cached->metadata.deletion_timestamp) continue;  // on its way
    client::DeleteOptions d;
    d.uid = cached->metadata.uid;
    // A dependent with dependents of its own goes the same way.
    d.propagation_policy =
        std::string(DependentsOf(cached->metadata.uid).empty() ? api::kPropagationBackground
                                                               : api::kPropagationForeground);
    auto res = api_.Delete(dep.kind, cached->metadata.namespace_, cached->metadata.name, d);
    if (res.code() == Code::kNotFound || res.code() == Code::kConflict) continue;
    if (!res.ok()) {
      return res.status().WithContext("garbage collector: deleting " + client::ObjectName(*cached) +
                                      " before its owner");
    }
    ++stats_.dependents_deleted;
  }
  if (waiting) {
    // Each dependent's disappearance requeues the owner; this is the net.
    queue_.AddAfter(item, options_.wait_retry);
    return Status::Ok();
  }
  return RemoveFinalizer(kind, owner, api::kFinalizerForeground);
}

Status GarbageCollector::RemoveFinalizer(api::Kind kind, const api::Object& owner,
                                         std::string_view finalizer) {
  auto res = UpdateLive(kind, owner, [&](api::Object& obj) {
    return std::erase(obj.metadata.finalizers, std::string(finalizer)) > 0;
  });
  if (!res.ok()) {
    return res.status().WithContext("garbage collector: removing the " + std::string(finalizer) +
                                    " finalizer of " + client::ObjectName(owner));
  }
  if (*res) ++stats_.finalizers_removed;
  return Status::Ok();
}

Result<bool> GarbageCollector::UpdateLive(api::Kind kind, const api::Object& which,
                                          const std::function<bool(api::Object&)>& change) {
  // Read, change, write pinned to what was read; again on a conflict. The
  // object must still be the same one (uid).
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto live = api_.Get(kind, which.metadata.namespace_, which.metadata.name);
    if (live.code() == Code::kNotFound) return false;
    if (!live.ok()) return live.status();
    if ((*live)->metadata.uid != which.metadata.uid) return false;
    auto copy = Copy(**live);
    if (!change(*copy)) return false;
    auto res = api_.Update(client::ObjectPtr(std::move(copy)));
    if (res.code() == Code::kConflict) continue;
    if (res.code() == Code::kNotFound) return false;
    if (!res.ok()) return res.status();
    return true;
  }
  return Conflict(client::ObjectName(which) + " kept changing; retrying later");
}

}  // namespace navarch::controllers
