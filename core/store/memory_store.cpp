#include "core/store/memory_store.h"

#include <algorithm>
#include <utility>

#include "core/store/watch_hub.h"

namespace navarch::store {

MemoryStore::MemoryStore(MemoryStoreOptions options)
    : options_(options), hub_(std::make_shared<WatchHub>()) {}

MemoryStore::~MemoryStore() {
  hub_->Close("store closed");
}

KeyValue MemoryStore::ToKeyValue(const std::string& key, const Version& v) {
  KeyValue kv;
  kv.key = key;
  kv.value = v.value;
  kv.create_revision = v.create;
  kv.mod_revision = v.mod;
  kv.cached = v.cached;
  return kv;
}

Event MemoryStore::EventAt(KeyMap::iterator it, Revision rev) {
  const History& h = it->second;
  auto pos = std::lower_bound(h.begin(), h.end(), rev,
                              [](const Version& v, Revision r) { return v.mod < r; });
  assert(pos != h.end() && pos->mod == rev && "event log points at a missing version");
  Event e;
  e.type = pos->deleted ? EventType::kDelete : EventType::kPut;
  e.kv = ToKeyValue(it->first, *pos);
  if (pos != h.begin() && !std::prev(pos)->deleted) e.prev = ToKeyValue(it->first, *std::prev(pos));
  return e;
}

MemoryStore::KeyMap::iterator MemoryStore::Find(std::string_view key) {
  auto found = index_.find(key);
  return found == index_.end() ? keys_.end() : found->second;
}

Result<KeyValue> MemoryStore::Get(std::string_view key) {
  if (key.empty()) return EmptyKeyError("get");
  std::lock_guard lock(mu_);
  auto it = Find(key);
  if (it == keys_.end() || it->second.back().deleted) return NotFoundError(key);
  return ToKeyValue(it->first, it->second.back());
}

void MemoryStore::Remember(std::string_view key, Revision mod_revision,
                           std::shared_ptr<const void> cached) {
  if (!cached) return;
  std::lock_guard lock(mu_);
  auto it = Find(key);
  if (it == keys_.end()) return;
  Version& v = it->second.back();
  if (!v.deleted && v.mod == mod_revision) v.cached = std::move(cached);
}

Result<ListResult> MemoryStore::List(std::string_view prefix, const ListOptions& options) {
  if (options.at_revision < 0) return NegativeError("list at_revision", options.at_revision);
  if (options.limit < 0) return NegativeError("list limit", options.limit);
  std::lock_guard lock(mu_);
  NAVARCH_ASSIGN_OR_RETURN(Revision at, ResolveRevision(options.at_revision, current_, compacted_));

  ListResult out;
  out.revision = at;
  auto it = options.start_after.empty() || options.start_after < prefix
                ? keys_.lower_bound(prefix)
                : keys_.upper_bound(options.start_after);
  for (; it != keys_.end() && HasPrefix(it->first, prefix); ++it) {
    const History& h = it->second;
    // The newest version at or before `at`; almost always the last one.
    auto pos = h.end();
    while (pos != h.begin() && std::prev(pos)->mod > at)
      --pos;
    if (pos == h.begin()) continue;
    const Version& v = *std::prev(pos);
    if (v.deleted) continue;
    if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
      out.more = true;
      break;
    }
    out.items.push_back(ToKeyValue(it->first, v));
  }
  return out;
}

Result<KeyValue> MemoryStore::Create(std::string_view key, std::string value,
                                     const WriteOptions& options) {
  return Write("create", key, &value, -1, false, options.cached);
}

Result<KeyValue> MemoryStore::Update(std::string_view key, std::string value,
                                     Revision expected_revision, const WriteOptions& options) {
  if (expected_revision < 0) return NegativeError("update expected_revision", expected_revision);
  return Write("update", key, &value, expected_revision, false, options.cached);
}

Result<KeyValue> MemoryStore::Delete(std::string_view key, Revision expected_revision) {
  if (expected_revision < 0) return NegativeError("delete expected_revision", expected_revision);
  return Write("delete", key, nullptr, expected_revision, true, nullptr);
}

// expected_revision -1 means create.
Result<KeyValue> MemoryStore::Write(std::string_view op, std::string_view key, std::string* value,
                                    Revision expected_revision, bool is_delete,
                                    std::shared_ptr<const void> cached) {
  if (key.empty()) return EmptyKeyError(op);
  ReadyList ready;
  KeyValue result;
  {
    std::lock_guard lock(mu_);
    auto it = Find(key);
    bool exists = it != keys_.end();
    bool live = exists && !it->second.back().deleted;
    Version v;
    v.mod = current_ + 1;
    if (expected_revision < 0) {
      if (live) return AlreadyExistsError(key, it->second.back().create);
      if (!exists) {
        it = keys_.emplace(std::string(key), History{}).first;
        index_.emplace(it->first, it);
      }
      v.create = v.mod;
    } else {
      if (!live) return NotFoundError(key);
      const Version& cur = it->second.back();
      if (expected_revision != 0 && expected_revision != cur.mod) {
        return ConflictError(key, expected_revision, cur.mod);
      }
      v.create = cur.create;
    }
    v.deleted = is_delete;
    if (!is_delete) {
      v.value = std::move(*value);
      v.cached = std::move(cached);
    }
    current_ = v.mod;
    History& h = it->second;
    h.push_back(std::move(v));
    log_.push_back(it);

    if (!hub_->empty()) hub_->Publish(EventAt(it, current_), ready);
    // A delete returns the deleted value; the others the new state.
    result = ToKeyValue(it->first, is_delete ? h[h.size() - 2] : h.back());

    if (options_.retain_revisions > 0 && current_ - compacted_ >= 2 * options_.retain_revisions) {
      CompactLocked(current_ - options_.retain_revisions);
    }
  }
  RunReady(ready);
  return result;
}

Result<std::unique_ptr<Watcher>> MemoryStore::Watch(const WatchOptions& options) {
  if (options.after_revision < 0) {
    return NegativeError("watch after_revision", options.after_revision);
  }
  auto queue = std::make_shared<WatchQueue>(options.prefix, options.on_ready);
  bool ready = false;
  {
    std::lock_guard lock(mu_);
    NAVARCH_ASSIGN_OR_RETURN(Revision after,
                             ResolveRevision(options.after_revision, current_, compacted_));
    for (Revision rev = after + 1; rev <= current_; ++rev) {
      auto it = log_[static_cast<size_t>(rev - compacted_ - 1)];
      if (!HasPrefix(it->first, options.prefix)) continue;
      ready = queue->Push(EventAt(it, rev)) || ready;
    }
    if (!hub_->Add(queue)) return Cancelled("watch: store closed");
  }
  if (ready) queue->RunReady();
  return std::unique_ptr<Watcher>(std::make_unique<HubWatcher>(queue, hub_));
}

Result<int64_t> MemoryStore::Compact(Revision revision) {
  std::lock_guard lock(mu_);
  if (revision > current_) {
    return InvalidArgument("cannot compact to revision " + std::to_string(revision) +
                           ": the current revision is " + std::to_string(current_));
  }
  return CompactLocked(revision);
}

int64_t MemoryStore::CompactLocked(Revision revision) {
  if (revision <= compacted_) return 0;
  int64_t removed = 0;
  std::vector<KeyMap::iterator> touched;
  touched.reserve(static_cast<size_t>(revision - compacted_));
  for (Revision rev = compacted_ + 1; rev <= revision; ++rev) {
    touched.push_back(log_.front());
    log_.pop_front();
  }
  auto by_node = [](KeyMap::iterator a, KeyMap::iterator b) { return &*a < &*b; };
  std::sort(touched.begin(), touched.end(), by_node);
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (auto it : touched) {
    History& h = it->second;
    // Keep the newest version at or before `revision` (the state as of the
    // compaction point) unless it is a tombstone, and everything after it.
    auto after = std::upper_bound(h.begin(), h.end(), revision,
                                  [](Revision r, const Version& v) { return r < v.mod; });
    auto keep = after == h.begin() ? after : std::prev(after);
    if (keep != h.end() && keep->deleted && keep->mod <= revision) ++keep;
    removed += keep - h.begin();
    h.erase(h.begin(), keep);
    if (h.empty()) {
      index_.erase(it->first);
      keys_.erase(it);
    }
  }
  compacted_ = revision;
  return removed;
}

Revision MemoryStore::CurrentRevision() {
  std::lock_guard lock(mu_);
  return current_;
}

Revision MemoryStore::CompactedRevision() {
  std::lock_guard lock(mu_);
  return compacted_;
}

}  // namespace navarch::store
