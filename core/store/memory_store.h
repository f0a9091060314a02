#pragma once
// MemoryStore: the in-process Store used by the simulator and by tests.
//
// It keeps full MVCC history (every version of every key since the compacted
// revision), so List at a past revision and Watch from a past revision behave
// exactly as on the durable stores. Nothing is persisted.
//
// Cost model (n = live keys, h = versions of one key kept):
//   Create/Update/Delete  O(1) expected for an existing key (O(log n) for a
//                         new one) plus O(d) map lookups to find matching
//                         watchers, d = number of distinct watch-prefix lengths
//   Get                   O(1) expected
//   List                  O(log n + keys scanned)
//   Watch backlog         O(events since after_revision)
//   Compact               O(writes being forgotten)
// History grows with every write until Compact; `retain_revisions` makes the
// store compact itself so long simulations stay bounded.
//
// All methods are thread-safe (one mutex); on_ready callbacks run on the
// writer's thread after the mutex is released.

#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/store/store.h"

namespace navarch::store {

class WatchHub;

struct MemoryStoreOptions {
  // 0 = keep all history until Compact is called. Otherwise the store
  // compacts itself (amortised, in the writer's call) so that at least the
  // last `retain_revisions` revisions stay available to List and Watch.
  Revision retain_revisions = 0;
};

class MemoryStore final : public Store {
 public:
  explicit MemoryStore(MemoryStoreOptions options = {});
  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  Result<KeyValue> Get(std::string_view key) override;
  Result<ListResult> List(std::string_view prefix, const ListOptions& options) override;
  Result<KeyValue> Create(std::string_view key, std::string value,
                          const WriteOptions& options = {}) override;
  Result<KeyValue> Update(std::string_view key, std::string value, Revision expected_revision,
                          const WriteOptions& options = {}) override;
  Result<KeyValue> Delete(std::string_view key, Revision expected_revision) override;
  Result<std::unique_ptr<Watcher>> Watch(const WatchOptions& options) override;
  void Remember(std::string_view key, Revision mod_revision,
                std::shared_ptr<const void> cached) override;
  Result<int64_t> Compact(Revision revision) override;
  Revision CurrentRevision() override;
  Revision CompactedRevision() override;
  std::string Describe() const override { return "memory"; }

 private:
  struct Version {
    Revision mod = 0;
    Revision create = 0;
    bool deleted = false;
    std::string value;
    std::shared_ptr<const void> cached;
  };
  // Versions in ascending `mod` order. The last one is the current state
  // (a tombstone if the key is deleted).
  using History = std::vector<Version>;
  using KeyMap = std::map<std::string, History, std::less<>>;

  static KeyValue ToKeyValue(const std::string& key, const Version& v);
  // The event written at revision `rev` of the key at `it`.
  static Event EventAt(KeyMap::iterator it, Revision rev);
  Result<KeyValue> Write(std::string_view op, std::string_view key, std::string* value,
                         Revision expected_revision, bool is_delete,
                         std::shared_ptr<const void> cached);
  // Returns the number of versions removed.
  int64_t CompactLocked(Revision revision);

  const MemoryStoreOptions options_;
  std::shared_ptr<WatchHub> hub_;

  KeyMap::iterator Find(std::string_view key);

  std::mutex mu_;
  KeyMap keys_;  // ordered, for List
  // Point lookups (Get and writes) by hash instead of a walk down the tree;
  // the views point at the keys stored in keys_ (map nodes never move).
  std::unordered_map<std::string_view, KeyMap::iterator> index_;
  // log_[i] is the key written at revision compacted_ + 1 + i (revisions are
  // dense: every write takes the next one).
  std::deque<KeyMap::iterator> log_;
  Revision current_ = 0;
  Revision compacted_ = 0;
};

}  // namespace navarch::store
