#pragma once
// The Api seam: what every control-plane component (scheduler, controllers,
// kubelet, proxy, CLI) uses to read and write cluster state. It is the
// Kubernetes REST API reduced to its semantics:
//
//   Create / Get / List / Update / UpdateStatus / Delete   synchronous
//   Watch                                                  asynchronous events
//
// Implementations:
//   * LocalApi (core/client/local_api.h): in-process, straight onto a Store;
//     used by the simulator (optionally with simulated watch latency) and by
//     an all-in-one server;
//   * an HTTP client to a remote API server (later).
//
// Objects. Arguments and results are immutable shared objects (ObjectPtr, see
// core/api/object.h). A result is never the caller's argument: the server
// fills in uid, creationTimestamp, generation and resourceVersion. To change
// an object, copy it, modify the copy, and Update it.
//
// Concurrency control. metadata.resource_version is the store revision of the
// object's last write. Update/UpdateStatus/Delete with a non-empty
// resource_version succeed only if the object has not been written since
// (otherwise kConflict naming the object and both versions: re-read and
// retry). An empty resource_version makes the write unconditional.
//
// Errors:
//   kNotFound        Get/Update/Delete of an object that does not exist (the
//                    message names it: "pods/default/web-1 not found"); Create
//                    in a namespace that does not exist (as Kubernetes does)
//   kAlreadyExists   Create of an existing name
//   kConflict        a stale resource_version (see above)
//   kInvalidArgument validation failed (every problem listed, with field
//                    paths, and one Status::causes() entry each); a bad
//                    selector or option (no causes)
//   kForbidden       a create in a namespace being deleted; deleting a
//                    built-in namespace
//   kCompacted       List at a resource_version older than the history kept
//   kUnavailable     the store or remote server cannot be reached
//
// Threading. Implementations document which threads may call them. Watch
// handlers always run on the loop of the Clock the implementation was built
// with, never inline inside Watch().

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/api/labels.h"
#include "core/api/object.h"
#include "core/base/status.h"
#include "core/client/field_selector.h"

namespace navarch::client {

using api::Kind;
using api::ObjectPtr;

struct ListOptions {
  std::string namespace_;  // "" = all namespaces (ignored for cluster-scoped kinds)
  api::LabelSelector label_selector;
  FieldSelector field_selector;
  // At most this many items (0 = all). When more remain, the result carries
  // a continue_token; pass it back with the same options to get the next page
  // (the last page may be empty when the remaining objects do not match).
  // Every page is read at the revision of the first one, so a paged list is a
  // consistent snapshot.
  int64_t limit = 0;
  std::string continue_token;
  // "" or "0" = the latest state; otherwise the state as of that revision
  // (kCompacted if the history was compacted past it).
  std::string resource_version;
};

struct ObjectList {
  std::vector<ObjectPtr> items;  // sorted by store key (namespace, then name)
  // The revision the list was read at: Watch from it to see every later change.
  std::string resource_version;
  std::string continue_token;  // empty on the last page
  // Stored objects left out because they cannot be decoded, one line each
  // naming the key and how to delete it (HTTP: Warning headers).
  std::vector<std::string> warnings;
};

template <class T>
struct TypedList {
  std::vector<std::shared_ptr<const T>> items;
  std::string resource_version;
  std::string continue_token;
};

struct DeleteOptions {
  // For pods bound to a node: how long the kubelet has to stop the pod.
  // nullopt = the pod's spec.terminationGracePeriodSeconds (30 if unset);
  // 0 = delete immediately. Objects other than bound pods are always deleted
  // immediately.
  std::optional<int64_t> grace_period_seconds;
  // Preconditions: delete only if the object still has this resource_version
  // (kConflict otherwise) / this uid (kConflict: the name was reused).
  std::string resource_version;
  std::string uid;
  // What happens to the object's dependents (objects whose
  // metadata.ownerReferences name it), as Kubernetes' propagationPolicy:
  //   "Background"  the object goes now; the garbage collector deletes its
  //                 dependents afterwards;
  //   "Foreground"  the object gets a deletionTimestamp and the
  //                 foregroundDeletion finalizer, and goes once the garbage
  //                 collector has deleted every dependent that blocks it
  //                 (ownerReference.blockOwnerDeletion);
  //   "Orphan"      the object gets the orphan finalizer; the garbage
  //                 collector removes the reference from every dependent,
  //                 then lets it go.
  // "" = the kind's default: Orphan for ReplicationControllers (as in
  // Kubernetes' core/v1), Background for everything else.
  std::string propagation_policy;
  // Run every check and return what the delete would do; change nothing.
  bool dry_run = false;
};

struct WriteOptions {
  // Run the whole write (defaulting, validation, admission, conflict checks,
  // allocation) and return the object as it would have been stored, without
  // storing it (it has no resourceVersion). HTTP: ?dryRun=All.
  bool dry_run = false;
};

struct WatchOptions {
  std::string namespace_;  // "" = all namespaces
  api::LabelSelector label_selector;
  // Pods only: nullopt = any pod; "" = unbound pods; "n1" = pods bound to n1.
  // This is how a kubelet watches its own pods and the scheduler the
  // unscheduled ones; it is served from an index, so thousands of such
  // watches cost only the matching ones per event.
  std::optional<std::string> node_name;
  // Further filtering (evaluated after the indexed filters).
  FieldSelector field_selector;
  // "" or "0" = changes after Watch() returns. Otherwise every change after
  // that revision, replayed from the store first — pass ObjectList's
  // resource_version here to continue a List without gaps.
  std::string resource_version;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kError };
  Type type = Type::kAdded;
  // kAdded/kModified: the object's new state. kDeleted: its last state, with
  // resource_version = the revision of the change. Events are relative to
  // the watch's filter: an object that starts to match (a pod bound to the
  // watched node, a label added) is kAdded; one that stops matching is
  // kDeleted (then `object` is its new state, which no longer matches).
  ObjectPtr object;
  // The state before the change, when there was one (kModified, and
  // kAdded/kDeleted caused by a change of matching). Null for creations.
  ObjectPtr previous;
  // kError only: why the watch ended. kCompacted means events were lost:
  // re-list and watch again from the new list's resource_version. No event
  // follows a kError.
  Status error;
};

std::string_view WatchEventTypeName(WatchEvent::Type type);

using WatchHandler = std::function<void(const WatchEvent&)>;

// A live watch. Destroying it (or Stop) stops delivery: once Stop returned
// the handler is not called again. Must be destroyed on the loop thread.
class WatchHandle {
 public:
  virtual ~WatchHandle() = default;
  virtual void Stop() = 0;
  // The revision up to which this watch has been offered every change of
  // its kind (those that did not match it included): what a bookmark may
  // report. 0 when the transport does not know.
  virtual uint64_t Delivered() const { return 0; }
};

class Api {
 public:
  virtual ~Api() = default;

  // Creates `obj`. Its metadata.name must be set, or metadata.generate_name
  // (then a unique 5-character suffix is appended). A namespaced object with
  // an empty namespace goes to "default". uid, creationTimestamp,
  // generation and resourceVersion in the argument are ignored. Returns the
  // stored object.
  virtual Result<ObjectPtr> Create(ObjectPtr obj, const WriteOptions& options) = 0;
  Result<ObjectPtr> Create(ObjectPtr obj) { return Create(std::move(obj), WriteOptions{}); }
  // `ns` is ignored for cluster-scoped kinds.
  virtual Result<ObjectPtr> Get(Kind kind, std::string_view ns, std::string_view name) = 0;
  virtual Result<ObjectList> List(Kind kind, const ListOptions& options) = 0;
  // Replaces the object's metadata (labels, annotations, ...) and spec. The
  // status is kept as stored (write it with UpdateStatus). Bumps generation
  // when the spec changed.
  virtual Result<ObjectPtr> Update(ObjectPtr obj, const WriteOptions& options) = 0;
  Result<ObjectPtr> Update(ObjectPtr obj) { return Update(std::move(obj), WriteOptions{}); }
  // Replaces only the status; metadata and spec are kept as stored.
  // kInvalidArgument for kinds without a status (Endpoints, Event).
  virtual Result<ObjectPtr> UpdateStatus(ObjectPtr obj, const WriteOptions& options) = 0;
  Result<ObjectPtr> UpdateStatus(ObjectPtr obj) {
    return UpdateStatus(std::move(obj), WriteOptions{});
  }
  // Binds an unbound pod to `node` (Kubernetes' pods/binding subresource):
  // the only way spec.nodeName is set after creation. kConflict when the pod
  // is already bound or being deleted, or its uid is no longer `pod`'s (the
  // name was reused). Returns the bound pod (over HTTP, which answers a
  // Status, `pod` with spec.nodeName set and no resourceVersion).
  virtual Result<ObjectPtr> Bind(ObjectPtr pod, std::string_view node,
                                 const WriteOptions& options) = 0;
  Result<ObjectPtr> Bind(ObjectPtr pod, std::string_view node) {
    return Bind(std::move(pod), node, WriteOptions{});
  }
  // Deletes the object and returns its last state. A pod bound to a node is
  // deleted gracefully: the first Delete sets metadata.deletionTimestamp
  // (now + grace) and deletionGracePeriodSeconds and returns the updated pod;
  // the kubelet stops it and deletes it with grace 0. A Delete of a pod
  // already terminating only shortens its grace period. An object with
  // metadata.finalizers (including those the propagation policy adds, see
  // DeleteOptions) only gets a deletionTimestamp; it goes when the last
  // finalizer is removed. A Namespace becomes Terminating and goes once the
  // namespace controller has emptied it. Without a resource_version
  // precondition, a delete that races with a writer retries instead of
  // failing with kConflict. kForbidden for the built-in namespaces.
  virtual Result<ObjectPtr> Delete(Kind kind, std::string_view ns, std::string_view name,
                                   const DeleteOptions& options = {}) = 0;
  // Starts a watch. Errors found up front (a bad option) are returned;
  // errors found later (a compacted resource_version) arrive as a kError
  // event.
  virtual Result<std::unique_ptr<WatchHandle>> Watch(Kind kind, const WatchOptions& options,
                                                     WatchHandler handler) = 0;

  // --- Typed helpers: api.Get<api::Pod>("default", "web-1") ---------------

  template <class T>
  requires std::derived_from<T, api::Object> Result<std::shared_ptr<const T>> Create(const T& obj) {
    return Typed<T>(Create(std::make_shared<T>(obj)));
  }
  template <class T>
  Result<std::shared_ptr<const T>> Get(std::string_view ns, std::string_view name) {
    return Typed<T>(Get(T::kKind, ns, name));
  }
  template <class T>
  Result<TypedList<T>> List(const ListOptions& options = {}) {
    NAVARCH_ASSIGN_OR_RETURN(ObjectList list, List(T::kKind, options));
    TypedList<T> out;
    out.items.reserve(list.items.size());
    for (auto& item : list.items)
      out.items.push_back(api::As<T>(item));
    out.resource_version = std::move(list.resource_version);
    out.continue_token = std::move(list.continue_token);
    return out;
  }
  template <class T>
  requires std::derived_from<T, api::Object> Result<std::shared_ptr<const T>> Update(const T& obj) {
    return Typed<T>(Update(std::make_shared<T>(obj)));
  }
  // Takes the object by forwarding reference: a temporary (or std::move'd)
  // object is moved into the shared copy instead of copied.
  template <class T, class U = std::remove_cvref_t<T>>
  requires std::derived_from<U, api::Object> Result<std::shared_ptr<const U>> UpdateStatus(
      T&& obj) {
    return Typed<U>(UpdateStatus(std::make_shared<U>(std::forward<T>(obj))));
  }
  template <class T>
  Result<std::shared_ptr<const T>> Delete(std::string_view ns, std::string_view name,
                                          const DeleteOptions& options = {}) {
    return Typed<T>(Delete(T::kKind, ns, name, options));
  }

 private:
  template <class T>
  static Result<std::shared_ptr<const T>> Typed(Result<ObjectPtr> r) {
    if (!r.ok()) return r.status();
    auto typed = api::As<T>(*r);
    if (!typed) return Internal("api returned an object of an unexpected kind");
    return typed;
  }
};

// "pods/default/web-1", "nodes/n1": how messages name objects.
std::string ObjectName(Kind kind, std::string_view ns, std::string_view name);
std::string ObjectName(const api::Object& obj);

}  // namespace navarch::client
