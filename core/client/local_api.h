#pragma once
// LocalApi: the in-process Api, straight onto a Store. The simulator runs the
// whole control plane against one LocalApi; an all-in-one server puts its
// HTTP handlers in front of one.
//
// Storage layout. Object X of kind K lives at
//   /registry/<resource>/<namespace>/<name>   (namespaced kinds)
//   /registry/<resource>/<name>               (cluster-scoped kinds)
// and metadata.resourceVersion is the key's mod_revision (decimal). The value
// is the object's v1 JSON with an empty resourceVersion, and the decoded
// object rides along as KeyValue::cached, so reads from an in-memory store
// never decode. With `encode_values = false` nothing is encoded at all (the
// value is empty): only valid for stores that keep `cached` (MemoryStore),
// and a large saving when simulating 100,000 pods.
//
// Writes. Every write goes through the registry (core/registry): defaulting,
// validation, immutable fields, allocation — the same rules whoever writes,
// in process, in the simulator or behind HTTP. Create assigns uid (from a
// seeded generator: deterministic), name from generateName (5 characters
// from a seeded generator; retried on collision), creationTimestamp =
// Clock::Now(), generation 1. A dry run (WriteOptions / DeleteOptions
// dry_run) does all of it and stores nothing.
//
// Deletion. See Api::Delete: graceful pods, finalizers (the propagation
// policy's: the garbage collector removes them), namespaces Terminating
// until the namespace controller has emptied them. An update that removes
// the last finalizer of an object being deleted removes the object.
//
// Namespaces. A namespaced object can only be created in a Namespace object
// that exists (kNotFound otherwise) and is not terminating (kForbidden) — as
// Kubernetes' NamespaceLifecycle admission does — except in the built-in
// namespaces (api::kBuiltinNamespaces), which always exist. Turn the check
// off with `require_namespace = false`.
//
// Watches go through client::WatchFeeds, the one fan-out engine (the API
// server's HTTP watches use it too): ONE store watcher per kind, however many
// Api watches there are, each store event decoded once and offered through
// client::WatchIndex: pod watches with a node_name by node, others by a label
// equality term, else by namespace. An event costs O(log W + matching
// watches), so 5,000 kubelets each watching their own node are 1-2 handler
// calls per pod change, not 5,000 selector checks. Label and field selectors
// are evaluated only for watches in a matching bucket. A watch from an old
// resource_version that the shared watcher has already passed gets a private
// store watcher replaying from that revision. Events reach handlers on the
// Clock's loop (the store's on_ready posts a drain), in revision order,
// optionally after `watch_delay` of simulated latency.
//
// Threading. One thread at a time. Watch and handle destruction may happen
// on any thread (WatchFeeds is thread-safe); handlers run on the Clock's
// loop. The other methods touch only the Store (thread-safe) and
// Clock::Now() — the API server keeps a pool of instances, each serving one
// request at a time, so that concurrent writes reach the store together.
// The Store, Clock and LocalApi must outlive every handle (a handle outliving
// the LocalApi is harmless: it just stops).

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/client/api.h"
#include "core/registry/registry.h"
#include "core/runtime/clock.h"
#include "core/runtime/rng.h"
#include "core/store/store.h"

namespace navarch::client {

class WatchFeeds;

struct LocalApiOptions {
  // Seed of the uid and generateName generator (same seed ⇒ same uids).
  uint64_t seed = 1;
  // Encode values as JSON (needed by any store that persists or is read by
  // another process). false = store empty values and rely on KeyValue::cached.
  bool encode_values = true;
  // Simulated latency between a write and its watch events.
  Duration watch_delay{0};
  // Refuse objects in namespaces that do not exist (see above).
  bool require_namespace = true;
  // The per-kind rules and allocators. Share one between every LocalApi of
  // a process (the API server's pool, in-process components); null = a
  // registry of this LocalApi's own with the default ranges.
  std::shared_ptr<registry::Registry> registry;
  // The watch fan-out (client::WatchFeeds). Share one between the LocalApis
  // of a pool (the API server's) so that one store watcher per kind serves
  // them all; null = feeds of this LocalApi's own, with `watch_delay`
  // (a shared one has its own delay).
  std::shared_ptr<WatchFeeds> watch_feeds;
  // Events expire this long after their last write, as kube-apiserver's
  // --event-ttl (a storage lease per write): the store entry goes, watchers
  // see it DELETED. Swept on the Clock's loop, about once a second. 0:
  // Events never expire.
  Duration event_ttl = minutes(60);
};

// The store key of an object.
std::string StoreKey(Kind kind, std::string_view ns, std::string_view name);
// "/registry/<resource>/" (+ "<ns>/" for a namespaced kind when ns != "").
std::string StorePrefix(Kind kind, std::string_view ns = {});

class LocalApi final : public Api {
 public:
  LocalApi(store::Store& store, runtime::Clock& clock, LocalApiOptions options = {});
  ~LocalApi() override;
  LocalApi(const LocalApi&) = delete;
  LocalApi& operator=(const LocalApi&) = delete;

  using Api::Bind;
  using Api::Create;
  using Api::Delete;
  using Api::Get;
  using Api::List;
  using Api::Update;
  using Api::UpdateStatus;

  Result<ObjectPtr> Create(ObjectPtr obj, const WriteOptions& options) override;
  Result<ObjectPtr> Get(Kind kind, std::string_view ns, std::string_view name) override;
  Result<ObjectList> List(Kind kind, const ListOptions& options) override;
  // As List, but the items come only as JSON in `encoded` (each with its
  // metadata.resourceVersion; the result's `items` stays empty), taken from
  // the stored value when the store keeps one, so that serving a large list
  // neither decodes nor encodes every object again (without selectors, no
  // object is decoded at all). Field order within metadata may differ from
  // api::EncodeJson's.
  Result<ObjectList> List(Kind kind, const ListOptions& options, std::vector<std::string>* encoded);
  Result<ObjectPtr> Update(ObjectPtr obj, const WriteOptions& options) override;
  Result<ObjectPtr> UpdateStatus(ObjectPtr obj, const WriteOptions& options) override;
  Result<ObjectPtr> Bind(ObjectPtr pod, std::string_view node,
                         const WriteOptions& options) override;
  Result<ObjectPtr> Delete(Kind kind, std::string_view ns, std::string_view name,
                           const DeleteOptions& options = {}) override;
  Result<std::unique_ptr<WatchHandle>> Watch(Kind kind, const WatchOptions& options,
                                             WatchHandler handler) override;

  // Decodes every stored object the store holds no decoded form of (after a
  // restart, everything) and hands the result to the store
  // (store::Store::Remember), so that later reads skip decoding. A server
  // calls it once at start; the count of objects decoded is returned. An
  // object that does not decode (written by an older version, or damaged)
  // is reported in `unreadable` ("<key>: <why>"): lists and watches skip it
  // with a warning, a Get of it says what is wrong, and a Delete of it
  // removes it (see docs/store.md, "Unreadable objects").
  Result<int64_t> DecodeStored(std::vector<std::string>* unreadable = nullptr);

  // Number of store watchers LocalApi holds (shared ones plus private
  // replays) — for tests and status pages.
  size_t StoreWatcherCount() const;

  registry::Registry& registry() { return *registry_; }

 private:
  enum class WriteKind { kUpdate, kStatus, kBind };
  Result<ObjectPtr> Write(ObjectPtr obj, WriteKind kind, bool dry_run,
                          std::string_view bind_node = {});
  Result<ObjectPtr> DeleteOnce(Kind kind, const std::string& ns, std::string_view name,
                               store::Revision wanted, const DeleteOptions& options);
  // Removes the key (expected at kv's revision); `last` is the object's
  // last state, returned, and its allocations are released.
  Result<ObjectPtr> RemoveFromStore(const std::string& key, const store::KeyValue& kv,
                                    ObjectPtr last);
  // Encodes and stores `obj` (not yet shared with anyone): a create, or an
  // update expecting mod_revision `expected`.
  Result<ObjectPtr> Put(std::shared_ptr<api::Object> obj, bool create, store::Revision expected);
  Status CheckNamespace(const api::Object& obj);
  // ObjectFromKeyValue, and a freshly decoded object is offered to the
  // store for the next reader.
  Result<ObjectPtr> Read(const store::KeyValue& kv);
  std::string NextUid();
  std::string NextNameSuffix();

  store::Store& store_;
  runtime::Clock& clock_;
  const LocalApiOptions options_;
  std::shared_ptr<registry::Registry> registry_;
  runtime::Rng rng_;  // uids and generated names
  // Every watch goes through these (client::WatchFeeds).
  std::shared_ptr<WatchFeeds> feeds_;
  // Events this LocalApi wrote, in expiry order, and the sweep (see
  // LocalApiOptions::event_ttl).
  struct EventExpiry;
  std::shared_ptr<EventExpiry> expiry_;
  void ExpireLater(const std::string& key, store::Revision revision);
};

// Decodes a stored KeyValue into an object with resource_version =
// kv.mod_revision, using kv.cached when present.
Result<ObjectPtr> ObjectFromKeyValue(const store::KeyValue& kv);
// `obj` if its resource_version already reads `revision`, else a copy that does.
ObjectPtr WithResourceVersion(ObjectPtr obj, store::Revision revision);

}  // namespace navarch::client
