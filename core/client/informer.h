#pragma once
// Informer: a local cache of one kind of object, kept current by a watch —
// what the scheduler, controllers and kubelet read instead of asking the Api
// on every decision.
//
//   Start():  List (at the latest revision), fill the cache, call OnAdd for
//             every object, then Watch from the list's resource_version, so
//             no change between the two is missed.
//   events:   the cache is updated first, then the handlers are called (so a
//             handler that reads the cache sees the new state).
//   errors:   a kError event (kCompacted: the watch fell too far behind; or
//             the store failed) makes the informer re-list and emit the
//             *difference* between the cache and the new list as events:
//             OnAdd for new objects, OnUpdate for changed ones and OnDelete
//             for ones that disappeared meanwhile — a delete is never lost.
//             A failed re-list is retried after `relist_backoff`.
//
// Indexes. The cache can be queried by key (Get), in full (List) or through
// indexes: an index maps each object to zero or more string values, and
// ByIndex(name, value) returns the objects having that value. Two are built
// in: kIndexNamespace and, for pods, kIndexNodeName. Results are always
// sorted by key ("<namespace>/<name>"), so iteration is deterministic.
//
// Threading. Single-threaded: construct, Start, query and destroy on the
// Clock's loop thread; handlers run there too. Handlers must be added before
// Start() (those added later miss the initial adds). The Api must outlive
// the informer.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/api.h"
#include "core/runtime/clock.h"

namespace navarch::client {

inline constexpr std::string_view kIndexNamespace = "namespace";
inline constexpr std::string_view kIndexNodeName = "spec.nodeName";  // pods only

using IndexFunc = std::function<std::vector<std::string>(const api::Object&)>;

struct InformerOptions {
  // Restrict the cache (and the watch) to one namespace, selector or node.
  std::string namespace_;
  api::LabelSelector label_selector;
  std::optional<std::string> node_name;  // pods only; see WatchOptions
  FieldSelector field_selector;
  // Wait before retrying a failed list or watch.
  Duration relist_backoff = seconds(1);
};

struct InformerHandlers {
  std::function<void(const ObjectPtr&)> on_add;
  // (old, new)
  std::function<void(const ObjectPtr&, const ObjectPtr&)> on_update;
  // The last state known.
  std::function<void(const ObjectPtr&)> on_delete;
};

class Informer {
 public:
  Informer(Api& api, runtime::Clock& clock, Kind kind, InformerOptions options = {});
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  Kind kind() const { return kind_; }

  void AddHandlers(InformerHandlers handlers);
  // Adds an index; may be called before or after Start (existing objects are
  // indexed at once). kAlreadyExists if the name is taken.
  Status AddIndex(std::string name, IndexFunc fn);

  // Lists and starts watching. Returns the list's error, if any (then the
  // informer is not started; call Start again).
  Status Start();
  // Stops the watch; the cache keeps its last contents.
  void Stop();
  // True once the initial list has been applied.
  bool HasSynced() const { return synced_; }

  // The object under "<namespace>/<name>" ("<name>" for cluster-scoped), or null.
  ObjectPtr Get(std::string_view ns, std::string_view name) const;
  ObjectPtr GetByKey(std::string_view key) const;
  // Every object, sorted by key.
  std::vector<ObjectPtr> List() const;
  size_t Size() const { return items_.size(); }
  // Objects whose index `index` contains `value`, sorted by key. Empty for an
  // unknown index.
  std::vector<ObjectPtr> ByIndex(std::string_view index, std::string_view value) const;
  // What ByIndex walks, without building the object vector: key -> the
  // cached object. Valid until the cache next changes (the next event).
  using IndexEntries = std::map<std::string_view, const ObjectPtr*, std::less<>>;
  const IndexEntries* KeysByIndex(std::string_view index, std::string_view value) const;

  // The resource_version of the last list or event applied.
  const std::string& LastResourceVersion() const { return last_rv_; }
  // Times the informer re-listed after its watch failed.
  uint64_t Relists() const { return relists_; }

 private:
  using Items = std::map<std::string, ObjectPtr, std::less<>>;
  struct Index {
    IndexFunc fn;
    // What the built-in indexes' values depend on, so that an update that
    // cannot change them skips recomputing them: the key (kIndexNamespace),
    // or a pod's spec (kIndexNodeName: unchanged while the new version
    // shares the old one's spec). User indexes: anything.
    enum class Depends { kAnything, kKey, kPodSpec } depends = Depends::kAnything;
    // value -> the objects having it. The entries point into items_ (its
    // nodes never move, and an update replaces the object in place), so a
    // lookup by index needs no lookup by key.
    std::map<std::string, IndexEntries, std::less<>> values;
  };

  // Lists, applies the difference to the cache, emits it, and watches.
  Status ListAndWatch();
  void OnEvent(const WatchEvent& ev);
  void ScheduleRelist();
  // Cache mutations keep every index in step. Put stores `obj` under `key`
  // (replacing the object at `at`, when it is not items_.end()).
  void Put(Items::iterator at, std::string_view key, ObjectPtr obj);
  void Erase(Items::iterator at);
  static void IndexValues(Index& index, Items::iterator at, std::vector<std::string> values);
  static void UnindexValues(Index& index, std::string_view key,
                            const std::vector<std::string>& values);

  void EmitAdd(const ObjectPtr& obj);
  void EmitUpdate(const ObjectPtr& old, const ObjectPtr& obj);
  void EmitDelete(const ObjectPtr& obj);

  Api& api_;
  runtime::Clock& clock_;
  const Kind kind_;
  const InformerOptions options_;
  std::vector<InformerHandlers> handlers_;
  Items items_;
  std::map<std::string, Index, std::less<>> indexes_;
  std::unique_ptr<WatchHandle> watch_;
  std::string last_rv_;
  std::string key_;  // OnEvent's key, reused to spare an allocation per event
  bool synced_ = false;
  bool started_ = false;
  uint64_t relists_ = 0;
  runtime::TimerId retry_timer_ = 0;
  // Guards timers and watch callbacks against a destroyed informer.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::client
