#pragma once
// WatchIndex: the subscription index of the watch fan-out (client::WatchFeeds,
// behind LocalApi::Watch and the API server's HTTP watch streams). A change
// is offered only to the subscriptions that can match it.
//
// Each subscription sits in one bucket, the narrowest its filter allows:
//
//   pods of one node (node_name = N; "" = unbound pods)   by node
//   a label selector with an equality term k=v             by (namespace, k=v)
//   one namespace                                           by namespace
//   otherwise                                               all
//
// Candidates(old, cur) are, in ascending id order and each once: all ∪ the
// namespace's ∪ the old and new node's ∪ (namespace or every namespace, k=v)
// for every label of the old and new state. Filters are still evaluated by
// the caller on the candidates (against both states, to turn a change into
// ADDED / MODIFIED / DELETED); the index only leaves out those that cannot
// match.
//
// Not thread-safe (WatchFeeds guards it).

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/api/labels.h"
#include "core/api/types.h"

namespace navarch::client {

struct WatchKey {
  std::optional<std::string> node;  // pods bound to this node only
  std::string namespace_;           // "" = every namespace
  // One equality requirement of the label selector (k=v), if it has one.
  std::string label_key;
  std::string label_value;

  static WatchKey Of(std::optional<std::string> node, std::string ns,
                     const api::LabelSelector& labels) {
    WatchKey k;
    k.node = std::move(node);
    k.namespace_ = std::move(ns);
    if (auto eq = labels.EqualityRequirement()) {
      k.label_key = std::string(eq->first);
      k.label_value = std::string(eq->second);
    }
    return k;
  }
};

template <class V>
class WatchIndex {
 public:
  void Add(uint64_t id, WatchKey key, V value) {
    Bucket(key, /*create=*/true)->insert(id);
    subs_.emplace(id, Entry{std::move(key), std::move(value)});
  }
  // False when `id` is not subscribed.
  bool Remove(uint64_t id) {
    auto it = subs_.find(id);
    if (it == subs_.end()) return false;
    const WatchKey& key = it->second.key;
    if (std::set<uint64_t>* bucket = Bucket(key, /*create=*/false)) {
      bucket->erase(id);
      if (bucket->empty()) DropBucket(key);
    }
    subs_.erase(it);
    return true;
  }
  const V* Find(uint64_t id) const {
    auto it = subs_.find(id);
    return it == subs_.end() ? nullptr : &it->second.value;
  }
  size_t size() const { return subs_.size(); }
  bool empty() const { return subs_.empty(); }
  template <class F>
  void ForEach(F&& fn) const {
    for (const auto& [id, e] : subs_)
      fn(id, e.value);
  }

  // The ids of the subscriptions that may see the change from `old` to
  // `cur` (either may be null), ascending, each once.
  void Candidates(const api::Object* old, const api::Object* cur,
                  std::vector<uint64_t>& out) const {
    out.clear();
    const api::Object* any = cur ? cur : old;
    if (!any) return;
    auto take = [&](const auto& index, std::string_view key) {
      auto it = index.find(key);
      if (it != index.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    };
    out.insert(out.end(), all_.begin(), all_.end());
    take(by_ns_, any->metadata.namespace_);
    if (!by_node_.empty()) {
      const std::string* a = NodeOf(old);
      const std::string* b = NodeOf(cur);
      if (a) take(by_node_, *a);
      if (b && (!a || *a != *b)) take(by_node_, *b);
    }
    if (!by_label_.empty()) {
      std::string key;
      for (const api::Object* o : {old, cur}) {
        if (!o) continue;
        for (const auto& [k, v] : o->metadata.labels) {
          for (std::string_view ns :
               {std::string_view(any->metadata.namespace_), std::string_view()}) {
            LabelBucketKey(ns, k, v, key);
            take(by_label_, key);
          }
        }
      }
    }
    if (out.size() > 1) {
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
    }
  }

 private:
  struct Entry {
    WatchKey key;
    V value;
  };
  using Ids = std::set<uint64_t>;

  static const std::string* NodeOf(const api::Object* obj) {
    if (auto* pod = api::As<api::Pod>(obj)) return &pod->spec->node_name;
    return nullptr;
  }
  static void LabelBucketKey(std::string_view ns, std::string_view k, std::string_view v,
                             std::string& out) {
    out.clear();
    out.append(ns);
    out += '\x1f';  // not in a namespace or label key
    out.append(k);
    out += '=';
    out.append(v);
  }
  Ids* Bucket(const WatchKey& key, bool create) {
    auto pick = [&](std::map<std::string, Ids, std::less<>>& index, const std::string& k) -> Ids* {
      if (create) return &index[k];
      auto it = index.find(k);
      return it == index.end() ? nullptr : &it->second;
    };
    if (key.node) return pick(by_node_, *key.node);
    if (!key.label_key.empty()) {
      std::string k;
      LabelBucketKey(key.namespace_, key.label_key, key.label_value, k);
      return pick(by_label_, k);
    }
    if (!key.namespace_.empty()) return pick(by_ns_, key.namespace_);
    return &all_;
  }
  void DropBucket(const WatchKey& key) {
    if (key.node) {
      by_node_.erase(*key.node);
    } else if (!key.label_key.empty()) {
      std::string k;
      LabelBucketKey(key.namespace_, key.label_key, key.label_value, k);
      by_label_.erase(k);
    } else if (!key.namespace_.empty()) {
      by_ns_.erase(key.namespace_);
    }
  }

  std::map<uint64_t, Entry> subs_;
  Ids all_;
  std::map<std::string, Ids, std::less<>> by_node_;
  std::map<std::string, Ids, std::less<>> by_ns_;
  std::map<std::string, Ids, std::less<>> by_label_;
};

}  // namespace navarch::client
