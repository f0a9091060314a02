#include "core/client/local_api.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "core/api/codec.h"
#include "core/api/types.h"
#include "core/api/validation.h"
#include "core/api/well_known.h"
#include "core/client/kind_traits.h"
#include "core/client/watch_feed.h"

namespace navarch::client {
namespace {

constexpr std::string_view kRegistry = "/registry/";
constexpr int kGenerateNameAttempts = 8;
// An unconditional write retries on conflict until it applies, as
// Kubernetes' GuaranteedUpdate does; each lost race is another writer's
// success, so this cap is only a backstop against a runaway loop.
constexpr int kUnconditionalRetries = 1000;
constexpr int64_t kListPageSize = 500;
constexpr size_t kMaxListWarnings = 20;

using api::ParseResourceVersion;

std::shared_ptr<api::Object> MutableCopy(const api::Object& obj) {
  return std::shared_ptr<api::Object>(obj.Clone().release());
}

template <class T>
std::shared_ptr<api::Object> WithStatusAs(const api::Object& current, const api::Object& from) {
  const auto& c = static_cast<const T&>(current);
  auto out = std::make_shared<T>();
  out->metadata = c.metadata;
  out->spec = c.spec;
  out->status = static_cast<const T&>(from).status;
  return out;
}

// A new object: `current` with the status of `from` (same kind), built
// without copying `current`'s status first (one allocation for the object).
std::shared_ptr<api::Object> WithStatus(const api::Object& current, const api::Object& from) {
  switch (current.kind()) {
    case Kind::kPod:
      return WithStatusAs<api::Pod>(current, from);
    case Kind::kNode:
      return WithStatusAs<api::Node>(current, from);
    default: {
      auto out = MutableCopy(current);
      CopyStatus(from, *out);
      return out;
    }
  }
}

// Fills in the namespace of a namespaced object ("default" when empty) and
// clears it for a cluster-scoped one.
std::string EffectiveNamespace(Kind kind, std::string_view ns) {
  if (!api::InfoOf(kind).namespaced) return {};
  if (ns.empty()) return "default";
  return std::string(ns);
}

}  // namespace

std::string StorePrefix(Kind kind, std::string_view ns) {
  std::string out(kRegistry);
  out += api::InfoOf(kind).resource;
  out += '/';
  if (api::InfoOf(kind).namespaced && !ns.empty()) {
    out += ns;
    out += '/';
  }
  return out;
}

std::string StoreKey(Kind kind, std::string_view ns, std::string_view name) {
  std::string out = StorePrefix(kind, ns);
  out += name;
  return out;
}

Result<ObjectPtr> ObjectFromKeyValue(const store::KeyValue& kv) {
  ObjectPtr obj;
  if (kv.cached) {
    obj = std::static_pointer_cast<const api::Object>(kv.cached);
  } else if (kv.value.empty()) {
    return Internal("store value of " + kv.key +
                    " is empty and the store kept no in-memory object; values are only "
                    "skipped (LocalApiOptions::encode_values = false) with a memory store");
  } else {
    NAVARCH_ASSIGN_OR_RETURN(obj, api::DecodeJson(kv.value, {.source = kv.key}));
  }
  return WithResourceVersion(std::move(obj), kv.mod_revision);
}

ObjectPtr WithResourceVersion(ObjectPtr obj, store::Revision revision) {
  std::string rv = std::to_string(revision);
  if (obj->metadata.resource_version == rv) return obj;
  auto copy = MutableCopy(*obj);
  copy->metadata.resource_version = std::move(rv);
  return copy;
}

namespace {

std::shared_ptr<registry::Registry> RegistryOrDefault(std::shared_ptr<registry::Registry> r) {
  if (r) return r;
  auto made = registry::Registry::Create();
  if (!made.ok()) DieOnBadResultAccess(made.status());  // the defaults are valid
  return *made;
}

}  // namespace

LocalApi::LocalApi(store::Store& store, runtime::Clock& clock, LocalApiOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      registry_(RegistryOrDefault(options_.registry)),
      rng_(options_.seed),
      feeds_(options_.watch_feeds
                 ? options_.watch_feeds
                 : std::make_shared<WatchFeeds>(store, clock, options_.watch_delay)) {}

LocalApi::~LocalApi() = default;

// --- Generators ---------------------------------------------------------

std::string LocalApi::NextUid() {
  uint64_t hi = rng_.Next();
  uint64_t lo = rng_.Next();
  // RFC 4122 version 4 layout.
  hi = (hi & ~0xF000ull) | 0x4000ull;
  lo = (lo & ~(0xC000ull << 48)) | (0x8000ull << 48);
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string LocalApi::NextNameSuffix() {
  // Kubernetes' alphabet: no vowels (no accidental words), no 0/1/3 look-alikes.
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (int i = 0; i < 5; ++i)
    out += kAlphabet[rng_.Uniform(kAlphabet.size())];
  return out;
}

// --- Writes -------------------------------------------------------------

Status LocalApi::CheckNamespace(const api::Object& obj) {
  if (!options_.require_namespace || !api::InfoOf(obj.kind()).namespaced) return Status::Ok();
  const std::string& ns = obj.metadata.namespace_;
  auto kv = store_.Get(StoreKey(Kind::kNamespace, "", ns));
  if (kv.code() == Code::kNotFound) {
    if (api::IsBuiltinNamespace(ns)) return Status::Ok();  // exists from the start
    return NotFound("cannot create " + ObjectName(obj) + ": namespaces/" + ns +
                    " not found; create the Namespace first");
  }
  if (!kv.ok()) return kv.status();
  NAVARCH_ASSIGN_OR_RETURN(ObjectPtr nsobj, Read(*kv));
  if (nsobj->metadata.deletion_timestamp) {
    return Forbidden(ObjectName(obj) + " is forbidden: unable to create new content in namespace " +
                     ns + " because it is being terminated");
  }
  return Status::Ok();
}

Result<ObjectPtr> LocalApi::Put(std::shared_ptr<api::Object> obj, bool create,
                                store::Revision expected) {
  std::string key = StoreKey(obj->kind(), obj->metadata.namespace_, obj->metadata.name);
  obj->metadata.resource_version.clear();
  std::string value = options_.encode_values ? api::EncodeJson(*obj) : std::string();
  // The cached object carries the revision the write will most likely get,
  // so that readers can hand it out without copying. If another writer
  // slipped in, the store is given a copy with the right one afterwards
  // (until then, readers see the mismatch and copy: ObjectFromKeyValue).
  store::Revision predicted = store_.CurrentRevision() + 1;
  obj->metadata.resource_version = std::to_string(predicted);
  ObjectPtr shared = std::move(obj);
  store::WriteOptions wo;
  wo.cached = std::static_pointer_cast<const void>(shared);
  auto result = create ? store_.Create(key, std::move(value), wo)
                       : store_.Update(key, std::move(value), expected, wo);
  if (!result.ok()) {
    switch (result.code()) {
      case Code::kAlreadyExists:
        return AlreadyExists(ObjectName(*shared) + " already exists");
      case Code::kNotFound:
        return NotFound(ObjectName(*shared) + " not found");
      case Code::kConflict:
        return Conflict(ObjectName(*shared) + ": the object has been modified since revision " +
                        std::to_string(expected) + "; re-read it and retry");
      default:
        return result.status().WithContext(ObjectName(*shared));
    }
  }
  ObjectPtr out = WithResourceVersion(shared, result->mod_revision);
  if (out != shared) store_.Remember(key, result->mod_revision, out);
  if (out->kind() == Kind::kEvent) ExpireLater(key, result->mod_revision);
  return out;
}

// --- Event expiry ---------------------------------------------------------

struct LocalApi::EventExpiry {
  struct Entry {
    Time at;
    std::string key;
    store::Revision revision;
  };
  std::mutex mu;
  std::deque<Entry> queue;  // guarded by mu; in write order (= expiry order)
  bool armed = false;       // guarded by mu
  store::Store* store = nullptr;
  runtime::Clock* clock = nullptr;

  // Arms the sweep for the head, rounded up to the second. Holds mu.
  void ArmLocked(const std::shared_ptr<EventExpiry>& self) {
    if (armed || queue.empty()) return;
    armed = true;
    const int64_t s = 1'000'000'000;
    const int64_t at = queue.front().at.UnixNanos();
    const Time when = Time::FromUnixNanos((at / s + (at % s != 0 ? 1 : 0)) * s);
    std::weak_ptr<EventExpiry> weak = self;
    clock->At(when, [weak] {
      if (auto e = weak.lock()) e->Sweep(e);
    });
  }
  void Sweep(const std::shared_ptr<EventExpiry>& self) {
    std::vector<Entry> due;
    {
      std::lock_guard<std::mutex> lock(mu);
      armed = false;
      const Time now = clock->Now();
      while (!queue.empty() && queue.front().at <= now) {
        due.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    for (const auto& e : due) {
      // Written again since (a newer entry has it) or gone: nothing to do.
      (void)store->Delete(e.key, e.revision);
    }
    std::lock_guard<std::mutex> lock(mu);
    ArmLocked(self);
  }
};

void LocalApi::ExpireLater(const std::string& key, store::Revision revision) {
  if (options_.event_ttl <= Duration::zero()) return;
  if (!expiry_) {
    expiry_ = std::make_shared<EventExpiry>();
    expiry_->store = &store_;
    expiry_->clock = &clock_;
  }
  std::lock_guard<std::mutex> lock(expiry_->mu);
  expiry_->queue.push_back({clock_.Now() + options_.event_ttl, key, revision});
  expiry_->ArmLocked(expiry_);
}

Result<ObjectPtr> LocalApi::Create(ObjectPtr in, const WriteOptions& options) {
  if (!in) return InvalidArgument("Create: null object");
  // The caller's object is never changed: it is copied, unless the caller
  // handed over the only reference (then nobody can see the change).
  auto obj =
      in.use_count() == 1 ? std::const_pointer_cast<api::Object>(std::move(in)) : MutableCopy(*in);
  auto& meta = obj->metadata;
  meta.namespace_ = EffectiveNamespace(obj->kind(), meta.namespace_);
  meta.uid = NextUid();
  meta.creation_timestamp = clock_.Now();
  meta.generation = 1;
  meta.resource_version.clear();
  meta.deletion_timestamp.reset();
  meta.deletion_grace_period_seconds.reset();
  const bool generate = meta.name.empty() && !meta.generate_name.empty();
  if (meta.name.empty() && !generate) {
    return registry::Invalid(
        *obj, {{"metadata.name", "Required value: name or generateName is required"}});
  }
  if (generate) meta.name = meta.generate_name + NextNameSuffix();
  registry::Allocation alloc;
  NAVARCH_RETURN_IF_ERROR(registry_->AdmitCreate(*obj, &alloc));
  if (Status st = CheckNamespace(*obj); !st.ok()) {
    registry_->Abort(alloc);
    return st;
  }
  if (options.dry_run) {
    registry_->Abort(alloc);
    if (store_.Get(StoreKey(obj->kind(), meta.namespace_, meta.name)).ok()) {
      return AlreadyExists(ObjectName(*obj) + " already exists");
    }
    return ObjectPtr(std::move(obj));
  }
  for (int attempt = 0;; ++attempt) {
    auto result = Put(obj, /*create=*/true, 0);
    if (result.ok() || !generate || result.code() != Code::kAlreadyExists ||
        attempt + 1 >= kGenerateNameAttempts) {
      if (result.ok()) {
        registry_->Commit(alloc);
      } else {
        registry_->Abort(alloc);
      }
      return result;
    }
    obj = MutableCopy(*obj);  // Put shared the previous one as the cached value
    obj->metadata.name = obj->metadata.generate_name + NextNameSuffix();
  }
}

Result<ObjectPtr> LocalApi::Update(ObjectPtr obj, const WriteOptions& options) {
  return Write(std::move(obj), WriteKind::kUpdate, options.dry_run);
}

Result<ObjectPtr> LocalApi::UpdateStatus(ObjectPtr obj, const WriteOptions& options) {
  return Write(std::move(obj), WriteKind::kStatus, options.dry_run);
}

Result<ObjectPtr> LocalApi::Bind(ObjectPtr pod, std::string_view node,
                                 const WriteOptions& options) {
  if (!pod || pod->kind() != Kind::kPod) return InvalidArgument("Bind: not a pod");
  return Write(std::move(pod), WriteKind::kBind, options.dry_run, node);
}

namespace {

// An object whose deletion started and that nothing holds any more: the
// update that removed its last finalizer removes it.
bool ReadyToRemove(const api::Object& obj) {
  const auto& m = obj.metadata;
  if (!m.deletion_timestamp || !m.finalizers.empty()) return false;
  if (m.deletion_grace_period_seconds.value_or(0) != 0) return false;  // a pod still stopping
  if (const auto* ns = api::As<api::Namespace>(&obj)) return ns->spec.finalizers.empty();
  return true;
}

}  // namespace

Result<ObjectPtr> LocalApi::Write(ObjectPtr in, WriteKind write, bool dry_run,
                                  std::string_view bind_node) {
  if (!in) return InvalidArgument("Update: null object");
  const Kind kind = in->kind();
  if (write == WriteKind::kStatus && !HasStatus(kind)) {
    return InvalidArgument(std::string(api::InfoOf(kind).resource) +
                           " have no status; use Update instead of UpdateStatus");
  }
  const std::string ns = EffectiveNamespace(kind, in->metadata.namespace_);
  const std::string key = StoreKey(kind, ns, in->metadata.name);
  const std::string name = ObjectName(kind, ns, in->metadata.name);
  // A binding is not pinned to the version the scheduler saw: it only
  // needs the pod unbound and alive (and the same pod, by uid).
  store::Revision wanted = 0;
  if (write != WriteKind::kBind) {
    NAVARCH_ASSIGN_OR_RETURN(wanted,
                             api::ParseResourceVersion(in->metadata.resource_version,
                                                       name + ": metadata.resourceVersion"));
  }
  for (int attempt = 0;; ++attempt) {
    auto kv = store_.Get(key);
    if (kv.code() == Code::kNotFound) return NotFound(name + " not found");
    if (!kv.ok()) return kv.status().WithContext(name);
    if (wanted != 0 && wanted != kv->mod_revision) {
      return Conflict(name +
                      ": the object has been modified: the update was based on "
                      "resourceVersion " +
                      std::to_string(wanted) + " but the stored one is " +
                      std::to_string(kv->mod_revision) + "; re-read it and retry");
    }
    NAVARCH_ASSIGN_OR_RETURN(ObjectPtr current, Read(*kv));
    // A uid in the object is a precondition (the name may have been reused
    // by a new object since it was read).
    if (!in->metadata.uid.empty() && in->metadata.uid != current->metadata.uid) {
      return Conflict(name + ": Precondition failed: UID in precondition: " + in->metadata.uid +
                      ", UID in object meta: " + current->metadata.uid);
    }
    std::shared_ptr<api::Object> next;
    registry::UpdateKind admit = registry::UpdateKind::kUpdate;
    if (write == WriteKind::kBind) {
      const auto& pod = static_cast<const api::Pod&>(*current);
      if (pod.metadata.deletion_timestamp) {
        return Conflict(name + ": pod " + pod.metadata.name +
                        " is being deleted, cannot be assigned to a host");
      }
      if (!pod.spec->node_name.empty()) {
        return Conflict(name + ": pod " + pod.metadata.name + " is already assigned to node \"" +
                        pod.spec->node_name + "\"");
      }
      auto bound = std::make_shared<api::Pod>(pod);
      bound->spec.Mutable().node_name = std::string(bind_node);
      next = std::move(bound);
      admit = registry::UpdateKind::kBind;
    } else if (write == WriteKind::kStatus) {
      // Only the status changes: an equal one is a no-op write (no copy, no
      // revision), and the new object differs from the stored one only there.
      if (StatusEqual(*in, *current)) return current;
      next = WithStatus(*current, *in);
      admit = registry::UpdateKind::kStatus;
    } else {
      next = WithStatus(*in, *current);
      auto& m = next->metadata;
      const auto& c = current->metadata;
      m.namespace_ = c.namespace_;
      m.uid = c.uid;
      m.creation_timestamp = c.creation_timestamp;
      m.generate_name = c.generate_name;
      m.deletion_timestamp = c.deletion_timestamp;
      m.deletion_grace_period_seconds = c.deletion_grace_period_seconds;
    }
    next->metadata.resource_version = current->metadata.resource_version;
    registry::Allocation alloc;
    NAVARCH_RETURN_IF_ERROR(registry_->AdmitUpdate(*current, *next, admit, &alloc));
    if (write != WriteKind::kStatus) {
      next->metadata.generation =
          current->metadata.generation + (SpecEqual(*current, *next) ? 0 : 1);
      // A no-op write makes no revision (status writes checked that above).
      if (next->Equals(*current)) {
        registry_->Abort(alloc);
        return current;
      }
    }
    if (dry_run) {
      registry_->Abort(alloc);
      return ObjectPtr(std::move(next));
    }
    Result<ObjectPtr> result = InvalidArgument("");
    if (ReadyToRemove(*next)) {
      // The last finalizer of an object being deleted is gone: it goes.
      result = RemoveFromStore(key, *kv, std::move(next));
    } else {
      result = Put(std::move(next), /*create=*/false, kv->mod_revision);
    }
    if (result.ok()) {
      registry_->Commit(alloc);
    } else {
      registry_->Abort(alloc);
    }
    // An unconditional write retries when it raced with another writer.
    if (result.code() == Code::kConflict && wanted == 0 && attempt + 1 < kUnconditionalRetries) {
      continue;
    }
    return result;
  }
}

Result<ObjectPtr> LocalApi::RemoveFromStore(const std::string& key, const store::KeyValue& kv,
                                            ObjectPtr last) {
  auto deleted = store_.Delete(key, kv.mod_revision);
  const std::string name = last ? ObjectName(*last) : key;
  if (deleted.code() == Code::kConflict) {
    return Conflict(name + ": modified while being deleted; re-read it and retry");
  }
  if (deleted.code() == Code::kNotFound) return NotFound(name + " not found");
  if (!deleted.ok()) return deleted.status().WithContext(name);
  if (last) registry_->Removed(*last);
  return last;
}

Result<ObjectPtr> LocalApi::Delete(Kind kind, std::string_view ns_in, std::string_view name_in,
                                   const DeleteOptions& options) {
  const std::string ns = EffectiveNamespace(kind, ns_in);
  const std::string name = ObjectName(kind, ns, name_in);
  if (kind == Kind::kNamespace && api::IsBuiltinNamespace(name_in)) {
    return Forbidden("namespaces \"" + std::string(name_in) +
                     "\" is forbidden: this namespace may not be deleted");
  }
  NAVARCH_ASSIGN_OR_RETURN(
      store::Revision wanted,
      api::ParseResourceVersion(options.resource_version, name + ": delete precondition"));
  if (options.grace_period_seconds && *options.grace_period_seconds < 0) {
    return InvalidArgument(name + ": gracePeriodSeconds must not be negative");
  }
  if (options.grace_period_seconds && *options.grace_period_seconds > api::kMaxDurationSeconds) {
    return InvalidArgument(name + ": gracePeriodSeconds must be at most " +
                           std::to_string(api::kMaxDurationSeconds) + " (100 years)");
  }
  const std::string& policy = options.propagation_policy;
  if (!policy.empty() && policy != api::kPropagationBackground &&
      policy != api::kPropagationForeground && policy != api::kPropagationOrphan) {
    return InvalidArgument(name + ": propagationPolicy \"" + policy +
                           "\" is not one of Background, Foreground, Orphan");
  }
  for (int attempt = 0;; ++attempt) {
    auto result = DeleteOnce(kind, ns, name_in, wanted, options);
    // Without a resourceVersion precondition a delete does not lose to a
    // concurrent writer (a controller updating the object's status): it
    // reads the object again and retries, as Kubernetes' store does.
    if (result.code() == Code::kConflict && wanted == 0 && options.uid.empty() &&
        attempt + 1 < kUnconditionalRetries) {
      continue;
    }
    return result;
  }
}

Result<ObjectPtr> LocalApi::DeleteOnce(Kind kind, const std::string& ns, std::string_view name_in,
                                       store::Revision wanted, const DeleteOptions& options) {
  const std::string key = StoreKey(kind, ns, name_in);
  const std::string name = ObjectName(kind, ns, name_in);
  auto kv = store_.Get(key);
  if (kv.code() == Code::kNotFound) return NotFound(name + " not found");
  if (!kv.ok()) return kv.status().WithContext(name);
  if (wanted != 0 && wanted != kv->mod_revision) {
    return Conflict(name + ": delete precondition failed: resourceVersion " +
                    std::to_string(wanted) + " was required but the stored one is " +
                    std::to_string(kv->mod_revision) + "; re-read it and retry");
  }
  auto read = Read(*kv);
  if (!read.ok()) {
    // An object that does not decode can still be removed: no grace period,
    // no preconditions on its content.
    if (!options.uid.empty()) {
      return Conflict(name +
                      ": delete precondition failed: the stored object cannot be "
                      "decoded, so its uid cannot be checked; delete it without a uid "
                      "precondition");
    }
    auto stub = api::NewMutableObject(kind);
    stub->metadata.namespace_ = ns;
    stub->metadata.name = std::string(name_in);
    if (options.dry_run) return ObjectPtr(std::move(stub));
    auto deleted = store_.Delete(key, kv->mod_revision);
    if (deleted.code() == Code::kConflict) {
      return Conflict(name + ": modified while being deleted; re-read it and retry");
    }
    if (!deleted.ok()) return deleted.status().WithContext(name);
    return ObjectPtr(std::move(stub));
  }
  ObjectPtr current = std::move(*read);
  if (!options.uid.empty() && options.uid != current->metadata.uid) {
    return Conflict(name + ": delete precondition failed: uid " + options.uid +
                    " was required but the object's uid is " + current->metadata.uid +
                    " (the name was reused)");
  }
  const auto& m = current->metadata;

  // Graceful deletion: pods that a kubelet may be running.
  if (auto pod = api::As<api::Pod>(current);
      pod && !pod->spec->node_name.empty() && !api::IsTerminal(*pod)) {
    int64_t grace = options.grace_period_seconds.value_or(
        pod->spec->termination_grace_period_seconds.value_or(api::kDefaultGracePeriodSeconds));
    if (grace > 0) {
      if (m.deletion_timestamp && m.deletion_grace_period_seconds &&
          *m.deletion_grace_period_seconds <= grace) {
        return current;  // already terminating, at least as soon
      }
      auto next = MutableCopy(*pod);
      Time when = clock_.Now() + seconds(grace);
      if (m.deletion_timestamp && *m.deletion_timestamp < when) when = *m.deletion_timestamp;
      next->metadata.deletion_timestamp = when;
      next->metadata.deletion_grace_period_seconds = grace;
      if (options.dry_run) return ObjectPtr(std::move(next));
      return Put(std::move(next), /*create=*/false, kv->mod_revision);
    }
  }

  // Namespaces: Terminating first; the namespace controller empties them.
  if (const auto* nsobj = api::As<api::Namespace>(current.get())) {
    if (!nsobj->spec.finalizers.empty() || !m.finalizers.empty()) {
      if (m.deletion_timestamp) return current;  // already terminating
      auto next = std::make_shared<api::Namespace>(*nsobj);
      next->metadata.deletion_timestamp = clock_.Now();
      next->metadata.deletion_grace_period_seconds = 0;
      next->status.phase = std::string(api::kNamespaceTerminating);
      if (options.dry_run) return ObjectPtr(std::move(next));
      return Put(std::move(next), /*create=*/false, kv->mod_revision);
    }
  }

  // Finalizers: the propagation policy's, and any the object carries.
  std::string policy = options.propagation_policy;
  if (policy.empty()) {
    policy = kind == Kind::kReplicationController ? std::string(api::kPropagationOrphan)
                                                  : std::string(api::kPropagationBackground);
  }
  std::vector<std::string> finalizers = m.finalizers;
  auto set_finalizer = [&finalizers](std::string_view f, bool on) {
    auto it = std::find(finalizers.begin(), finalizers.end(), f);
    if (on && it == finalizers.end()) finalizers.emplace_back(f);
    if (!on && it != finalizers.end()) finalizers.erase(it);
  };
  // A later delete may change the policy of one in progress (as Kubernetes
  // lets it): the finalizers follow the latest.
  const bool had_policy =
      std::find(finalizers.begin(), finalizers.end(), api::kFinalizerOrphan) != finalizers.end() ||
      std::find(finalizers.begin(), finalizers.end(), api::kFinalizerForeground) !=
          finalizers.end();
  if (!m.deletion_timestamp || !options.propagation_policy.empty() || !had_policy) {
    set_finalizer(api::kFinalizerOrphan, policy == api::kPropagationOrphan);
    set_finalizer(api::kFinalizerForeground, policy == api::kPropagationForeground);
  }
  if (!finalizers.empty()) {
    if (m.deletion_timestamp && finalizers == m.finalizers &&
        m.deletion_grace_period_seconds.value_or(0) == 0) {
      return current;  // already being deleted the same way
    }
    auto next = MutableCopy(*current);
    if (!next->metadata.deletion_timestamp) next->metadata.deletion_timestamp = clock_.Now();
    next->metadata.deletion_grace_period_seconds = 0;
    next->metadata.finalizers = std::move(finalizers);
    if (options.dry_run) return ObjectPtr(std::move(next));
    return Put(std::move(next), /*create=*/false, kv->mod_revision);
  }
  if (options.dry_run) return current;
  return RemoveFromStore(key, *kv, current);
}

// --- Reads --------------------------------------------------------------

Result<ObjectPtr> LocalApi::Read(const store::KeyValue& kv) {
  NAVARCH_ASSIGN_OR_RETURN(ObjectPtr obj, ObjectFromKeyValue(kv));
  if (!kv.cached) store_.Remember(kv.key, kv.mod_revision, obj);
  return obj;
}

namespace {

// How to remove a stored object that does not decode.
std::string UnreadableAdvice(Kind kind, std::string_view key) {
  // /registry/<resource>/[<ns>/]<name>
  std::string_view rest = key.substr(std::min(key.size(), kRegistry.size()));
  std::vector<std::string_view> parts;
  while (!rest.empty()) {
    size_t slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  std::string cmd = "kubectl delete " + std::string(api::InfoOf(kind).resource) + " ";
  if (parts.size() == 3) {
    cmd += std::string(parts[2]) + " -n " + std::string(parts[1]);
  } else if (parts.size() == 2) {
    cmd += std::string(parts[1]);
  }
  return "it is left out of lists and watches; delete it with `" + cmd + "`";
}

std::string UnreadableMessage(Kind kind, const store::KeyValue& kv, const Status& why) {
  return "stored object " + kv.key + " cannot be decoded (" + why.message() + "); " +
         UnreadableAdvice(kind, kv.key);
}

}  // namespace

Result<int64_t> LocalApi::DecodeStored(std::vector<std::string>* unreadable) {
  int64_t decoded = 0;
  for (Kind kind : api::AllKinds()) {
    const std::string prefix = StorePrefix(kind, "");
    store::ListOptions lo;
    lo.limit = kListPageSize;
    for (;;) {
      auto page = store_.List(prefix, lo);
      if (!page.ok()) return page.status().WithContext("decode stored objects");
      for (const auto& kv : page->items) {
        if (kv.cached) continue;
        auto obj = Read(kv);
        if (obj.ok()) {
          ++decoded;
        } else if (unreadable) {
          unreadable->push_back(UnreadableMessage(kind, kv, obj.status()));
        }
      }
      if (!page->more) break;
      lo.at_revision = page->revision;
      lo.start_after = page->items.back().key;
    }
  }
  return decoded;
}

Result<ObjectPtr> LocalApi::Get(Kind kind, std::string_view ns, std::string_view name) {
  const std::string eff = EffectiveNamespace(kind, ns);
  auto kv = store_.Get(StoreKey(kind, eff, name));
  if (kv.code() == Code::kNotFound) return NotFound(ObjectName(kind, eff, name) + " not found");
  if (!kv.ok()) return kv.status().WithContext(ObjectName(kind, eff, name));
  auto obj = Read(*kv);
  if (!obj.ok()) return Internal(UnreadableMessage(kind, *kv, obj.status()));
  return obj;
}

namespace {

// The stored JSON of an object (written without resourceVersion) with
// metadata.resourceVersion = `rv` spliced in; "" when `stored` does not
// have the shape api::EncodeJson writes.
std::string StoredJsonWithResourceVersion(std::string_view stored, std::string_view rv) {
  static constexpr std::string_view kMeta = "\"metadata\":{";
  size_t at = stored.find(kMeta);
  if (at == std::string_view::npos ||
      stored.find("\"resourceVersion\"") != std::string_view::npos) {
    return {};
  }
  at += kMeta.size();
  if (at >= stored.size()) return {};
  std::string out;
  out.reserve(stored.size() + rv.size() + 24);
  out.append(stored.substr(0, at));
  out += "\"resourceVersion\":\"";
  out.append(rv);
  out += '"';
  if (stored[at] != '}') out += ',';
  out.append(stored.substr(at));
  return out;
}

}  // namespace

Result<ObjectList> LocalApi::List(Kind kind, const ListOptions& options) {
  return List(kind, options, nullptr);
}

Result<ObjectList> LocalApi::List(Kind kind, const ListOptions& options,
                                  std::vector<std::string>* encoded) {
  const std::string what = std::string(api::InfoOf(kind).resource);
  NAVARCH_RETURN_IF_ERROR(options.field_selector.CheckKind(kind));
  NAVARCH_ASSIGN_OR_RETURN(
      store::Revision at,
      ParseResourceVersion(options.resource_version, "list " + what + ": resourceVersion"));
  const std::string prefix = StorePrefix(kind, options.namespace_);
  std::string start_after;
  if (!options.continue_token.empty()) {
    // "<revision>:<last key>", opaque to callers.
    const std::string& tok = options.continue_token;
    size_t colon = tok.find(':');
    auto rev = colon == std::string::npos
                   ? Result<store::Revision>(InvalidArgument(""))
                   : ParseResourceVersion(std::string_view(tok).substr(0, colon), "continue");
    if (!rev.ok() || *rev == 0 || !tok.substr(colon + 1).starts_with(prefix)) {
      return InvalidArgument("list " + what + ": continue token \"" + tok +
                             "\" is not one this server issued for these options; start the "
                             "list again without it");
    }
    at = *rev;
    start_after = tok.substr(colon + 1);
  }

  ObjectList out;
  const int64_t limit = options.limit > 0 ? options.limit : 0;
  const bool unfiltered = options.label_selector.Empty() && options.field_selector.Empty();
  int64_t listed = 0;
  for (;;) {
    store::ListOptions lo;
    lo.at_revision = at;
    lo.start_after = start_after;
    lo.limit = limit > 0 ? std::max(limit, kListPageSize) : 0;
    auto page = store_.List(prefix, lo);
    if (page.code() == Code::kCompacted) {
      return Compacted("list " + what + " at resourceVersion " + std::to_string(at) +
                       ": that revision has been compacted; list again at the latest one");
    }
    if (!page.ok()) return page.status().WithContext("list " + what);
    if (at == 0) at = page->revision;
    for (size_t i = 0; i < page->items.size(); ++i) {
      const auto& kv = page->items[i];
      start_after = kv.key;
      // Without selectors, an encoded list needs no object at all: the
      // stored JSON with the item's revision spliced in is the answer.
      std::string json;
      // Only a value that decoded once (the store holds its decoded form)
      // is passed through unread.
      if (encoded && unfiltered && kv.cached) {
        json = StoredJsonWithResourceVersion(kv.value, std::to_string(kv.mod_revision));
      }
      if (json.empty()) {
        auto read = Read(kv);
        if (!read.ok()) {
          if (out.warnings.size() < kMaxListWarnings) {
            out.warnings.push_back(UnreadableMessage(kind, kv, read.status()));
          }
          continue;
        }
        ObjectPtr obj = std::move(*read);
        if (!options.label_selector.Matches(obj->metadata.labels)) continue;
        if (!options.field_selector.Matches(*obj)) continue;
        if (!encoded) {
          out.items.push_back(std::move(obj));
        } else {
          json = StoredJsonWithResourceVersion(kv.value, obj->metadata.resource_version);
          if (json.empty()) json = api::EncodeJson(*obj);
        }
      }
      if (encoded) encoded->push_back(std::move(json));
      ++listed;
      if (limit > 0 && listed == limit) {
        if (i + 1 < page->items.size() || page->more) {
          out.continue_token = std::to_string(at) + ":" + kv.key;
        }
        out.resource_version = std::to_string(at);
        return out;
      }
    }
    if (!page->more) break;
  }
  out.resource_version = std::to_string(at);
  return out;
}

// --- Watch --------------------------------------------------------------

Result<std::unique_ptr<WatchHandle>> LocalApi::Watch(Kind kind, const WatchOptions& options,
                                                     WatchHandler handler) {
  const std::string what = "watch " + std::string(api::InfoOf(kind).resource);
  if (!handler) return InvalidArgument(what + ": no handler");
  if (options.node_name && kind != Kind::kPod) {
    return InvalidArgument(what + ": node_name is only supported for pods");
  }
  NAVARCH_RETURN_IF_ERROR(options.field_selector.CheckKind(kind));
  NAVARCH_ASSIGN_OR_RETURN(store::Revision after, ParseResourceVersion(options.resource_version,
                                                                       what + ": resourceVersion"));
  if (after == 0) after = store_.CurrentRevision();
  return feeds_->Watch(kind, options, std::move(handler), after);
}

size_t LocalApi::StoreWatcherCount() const {
  return feeds_->StoreWatcherCount();
}

}  // namespace navarch::client
