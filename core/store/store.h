#pragma once
// The Store seam: a versioned key/value store with one global revision,
// compare-and-swap writes and ordered watches — the shape of etcd v3, which
// is what the API server needs underneath.
//
// Revisions. Every successful write (create, update, delete) increments one
// store-wide counter; the new value is the write's revision. Revisions start
// at 1; 0 means "none"/"latest" depending on the call. A key's `mod_revision`
// is the revision of its last write and `create_revision` the revision that
// created it. Callers use `mod_revision` as the optimistic-concurrency token
// (Kubernetes' metadata.resourceVersion).
//
// Thread safety. Every method may be called from any thread concurrently.
// Writes are linearizable: a write that returned has a revision greater than
// every write that returned before it started, and any later Get/List/Watch
// sees it.
//
// Errors. Expected outcomes are Status codes, never exceptions:
//   kNotFound       Get/Update/Delete of a key that does not exist
//   kAlreadyExists  Create of a key that exists
//   kConflict       Update/Delete whose expected revision is not the key's
//                   current mod_revision (the caller re-reads and retries)
//   kCompacted      List at, or Watch after, a revision older than the
//                   compacted revision (the caller re-lists at latest)
//   kUnavailable    I/O failure (disk full, database locked by another process)
//   kInvalidArgument an empty key, a revision in the future
//
// Keys are byte strings, conventionally "/registry/<resource>/<ns>/<name>",
// compared bytewise (so List and prefixes are bytewise too). Values are opaque
// bytes (the API layer stores JSON).
//
// Lifetime. A Store must outlive every call into it; destroying it while
// another thread is inside a call is a bug. Watchers may outlive it.
//
// Implementations: MemoryStore (memory_store.h, simulator and tests) and
// SqliteStore (sqlite_store.h, embedded durable default); OpenStore below
// picks one from a URL. All of them pass tests/unit/store's conformance suite.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace navarch::store {

using Revision = int64_t;

struct KeyValue {
  std::string key;
  std::string value;
  Revision create_revision = 0;
  Revision mod_revision = 0;
  // An optional decoded form of `value` supplied by the writer (see
  // WriteOptions::cached). Stores that keep values in memory hand it back on
  // reads and watch events so that an in-process reader can skip decoding.
  // It is never persisted; readers must fall back to decoding `value` when it
  // is null. Whoever sets it promises it is immutable and equal to `value`.
  std::shared_ptr<const void> cached;
};

struct ListResult {
  std::vector<KeyValue> items;  // sorted by key
  Revision revision = 0;        // the store revision the list was read at
  bool more = false;            // true when `limit` cut the list short
};

struct ListOptions {
  // 0 = read at the current revision; otherwise read the state as of this
  // revision (kCompacted if it is older than the compacted revision).
  Revision at_revision = 0;
  // 0 = no limit. With a limit, resume by passing the last key returned as
  // `start_after` and the ListResult::revision as `at_revision`.
  int64_t limit = 0;
  std::string start_after;
};

struct WriteOptions {
  std::shared_ptr<const void> cached;  // see KeyValue::cached
};

enum class EventType { kPut, kDelete };

struct Event {
  EventType type = EventType::kPut;
  // For kPut: the key's new state. For kDelete: the key with an empty value,
  // mod_revision = the delete's revision and create_revision of the deleted
  // incarnation.
  KeyValue kv;
  // The key's state just before this event. For a create it is empty
  // (mod_revision == 0). For kDelete it is the deleted value.
  KeyValue prev;
  Revision revision() const { return kv.mod_revision; }
};

// A live subscription. Events are queued in revision order and taken with
// Poll() or Next(); nothing is ever dropped or reordered. Destroying the
// Watcher (or Cancel) stops delivery. A Watcher may outlive its Store: once
// the store is destroyed, events queued before are still handed out and then
// Next() returns kCancelled ("store closed").
//
// Poll/Next may be called from any thread, but one consumer at a time is the
// intended use (two consumers would split the stream between them).
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Takes every event queued so far, without blocking (possibly none).
  virtual std::vector<Event> Poll() = 0;
  // Blocks until at least one event is queued, the watcher is cancelled or
  // the store closed (kCancelled), or `timeout` passes (returns empty).
  virtual Result<std::vector<Event>> Next(std::chrono::milliseconds timeout) = 0;
  // Stops delivery and discards queued events; a blocked Next() returns
  // kCancelled, as does every later Next(). Once Cancel returns, on_ready is
  // never called again (a callback running on another thread is waited for;
  // calling Cancel from inside on_ready is allowed). Idempotent.
  virtual void Cancel() = 0;
};

struct WatchOptions {
  // Deliver every change to keys starting with this prefix ("" = all)...
  std::string prefix;
  // ...whose revision is strictly greater than this one. 0 = only changes
  // made after Watch() returns. Backlog (after_revision < current) is queued
  // before any live event, in order. kCompacted if after_revision is older
  // than the compacted revision, since events would be missing.
  Revision after_revision = 0;
  // Called, on the writer's thread and without store locks held, whenever
  // the watcher's queue goes from empty to non-empty (not again until the
  // consumer has drained it). It must not block; the usual body posts a drain
  // task to the consumer's event loop. It may call the store. If Watch()
  // queues a backlog, on_ready is called once from inside Watch(), before it
  // returns. Two writers may race so that it is occasionally called while the
  // queue is already empty again; a drain that finds nothing is harmless.
  // May be empty (then the consumer polls or blocks in Next()).
  std::function<void()> on_ready;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<KeyValue> Get(std::string_view key) = 0;
  virtual Result<ListResult> List(std::string_view prefix, const ListOptions& options) = 0;

  // Creates `key`; kAlreadyExists if present. Returns the stored KeyValue.
  virtual Result<KeyValue> Create(std::string_view key, std::string value,
                                  const WriteOptions& options = {}) = 0;
  // Replaces `key` if its mod_revision equals `expected_revision` (0 = any
  // current revision: an unconditional write of an existing key).
  virtual Result<KeyValue> Update(std::string_view key, std::string value,
                                  Revision expected_revision, const WriteOptions& options = {}) = 0;
  // Deletes `key` under the same rule; returns the deleted KeyValue (its
  // value and mod_revision as they were before the delete). The delete's own
  // revision reaches watchers as the kDelete event's revision.
  virtual Result<KeyValue> Delete(std::string_view key, Revision expected_revision) = 0;

  virtual Result<std::unique_ptr<Watcher>> Watch(const WatchOptions& options) = 0;

  // Offers a decoded form of `key`'s current value (see KeyValue::cached):
  // one a reader had to decode (after a restart), or a better one than the
  // writer supplied. Kept, in place of any earlier one, only when `key` is
  // still at `mod_revision`; later reads hand it back. Stores that keep no
  // decoded forms ignore it. Same promise as WriteOptions::cached: immutable
  // and equal to the stored value.
  virtual void Remember(std::string_view key, Revision mod_revision,
                        std::shared_ptr<const void> cached) = 0;

  // Forgets history older than `revision`: the state as of `revision` and
  // everything after it is kept. Afterwards List(at_revision < revision) and
  // Watch(after_revision < revision) fail with kCompacted. Compacting to a
  // revision at or below the compacted one is a no-op; above the current
  // revision is kInvalidArgument. Returns the number of stored versions it
  // removed: the values superseded at or before `revision` and the
  // tombstones of deletes at or before it (0 for a no-op). A key updated n
  // times and then compacted to its last write loses n versions; a key
  // created and deleted before `revision` loses 2.
  virtual Result<int64_t> Compact(Revision revision) = 0;

  virtual Revision CurrentRevision() = 0;
  virtual Revision CompactedRevision() = 0;

  // A short description ("memory", "sqlite:/var/lib/navarch/state.db").
  virtual std::string Describe() const = 0;
};

// Opens a store from a URL: "memory:" or "sqlite:PATH[?sync=full|normal]".
// Unknown schemes are kInvalidArgument naming the accepted ones.
Result<std::unique_ptr<Store>> OpenStore(std::string_view url);

}  // namespace navarch::store
