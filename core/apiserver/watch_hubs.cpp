#include "core/apiserver/watch_hubs.h"

#include "core/client/watch_index.h"

#include <algorithm>

#include "core/api/codec.h"
#include "core/api/types.h"
#include "core/client/local_api.h"

namespace navarch::apiserver {

const std::string& HubEvent::ObjectJson() const {
  if (json_.empty() && object) json_ = api::EncodeJson(*object);
  return json_;
}

namespace {

// Decodes a store event; null object when the value cannot be decoded (a
// corrupt row is skipped rather than ending every watch).
std::optional<HubEvent> Decode(const store::Event& ev) {
  HubEvent out;
  out.revision = ev.revision();
  out.deleted = ev.type == store::EventType::kDelete;
  if (ev.prev.mod_revision != 0) {
    auto prev = client::ObjectFromKeyValue(ev.prev);
    if (prev.ok()) out.previous = *prev;
  }
  if (out.deleted) {
    if (!out.previous) return std::nullopt;
    out.object = client::WithResourceVersion(out.previous, ev.revision());
  } else {
    auto obj = client::ObjectFromKeyValue(ev.kv);
    if (!obj.ok()) return std::nullopt;
    out.object = *obj;
  }
  return out;
}

}  // namespace

// A subscriber list, replaced whole on every change (copy-on-write), so
// dispatch takes a snapshot with one reference count. Indexed by
// client::WatchIndex, as LocalApi's watches are.
using SubList = client::WatchIndex<std::shared_ptr<WatchSubscriber>>;

struct WatchHubs::Hub : std::enable_shared_from_this<WatchHubs::Hub> {
  api::Kind kind;
  runtime::Clock* clock = nullptr;
  std::mutex mu;
  std::shared_ptr<store::Watcher> watcher;                            // guarded by mu
  store::Revision dispatched = 0;                                     // guarded by mu
  std::shared_ptr<const SubList> subs = std::make_shared<SubList>();  // guarded by mu
  bool drain_posted = false;                                          // guarded by mu

  void Drain() {
    std::shared_ptr<store::Watcher> w;
    {
      std::lock_guard<std::mutex> lock(mu);
      drain_posted = false;
      w = watcher;
    }
    if (!w) return;
    std::vector<uint64_t> candidates;
    for (const auto& ev : w->Poll()) {
      auto decoded = Decode(ev);
      std::shared_ptr<const SubList> snapshot;
      {
        std::lock_guard<std::mutex> lock(mu);
        dispatched = ev.revision();
        snapshot = subs;
      }
      if (!decoded) continue;
      snapshot->Candidates(decoded->previous.get(), decoded->object.get(), candidates);
      for (uint64_t id : candidates) {
        if (const auto* sub = snapshot->Find(id)) (*sub)->OnEvent(*decoded);
      }
    }
  }
};

struct WatchHubs::Private : std::enable_shared_from_this<WatchHubs::Private> {
  std::shared_ptr<WatchSubscriber> sub;
  std::mutex mu;
  std::shared_ptr<store::Watcher> watcher;  // guarded by mu
  store::Revision dispatched = 0;
  bool stopped = false;

  void Drain() {
    std::shared_ptr<store::Watcher> w;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (stopped || !watcher) return;
      w = watcher;
    }
    for (const auto& ev : w->Poll()) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (stopped) return;
        dispatched = ev.revision();
      }
      auto decoded = Decode(ev);
      if (decoded) sub->OnEvent(*decoded);
    }
  }
};

WatchHubs::WatchHubs(store::Store& store, runtime::Clock& clock) : store_(store), clock_(clock) {}

WatchHubs::~WatchHubs() {
  Shutdown();
  std::map<api::Kind, std::shared_ptr<Hub>> hubs;
  std::map<uint64_t, std::shared_ptr<Private>> privates;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hubs.swap(hubs_);
    privates.swap(privates_);
  }
  for (auto& [k, hub] : hubs) {
    if (hub->watcher) hub->watcher->Cancel();
  }
  for (auto& [id, p] : privates) {
    if (p->watcher) p->watcher->Cancel();
  }
}

Result<WatchHubs::Subscription> WatchHubs::Subscribe(api::Kind kind, store::Revision after,
                                                     std::optional<std::string> node,
                                                     std::shared_ptr<WatchSubscriber> sub,
                                                     std::string ns,
                                                     const api::LabelSelector& labels) {
  std::shared_ptr<Hub> hub;
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return Unavailable("the API server is shutting down");
    id = next_id_++;
    auto& slot = hubs_[kind];
    if (!slot) {
      auto fresh = std::make_shared<Hub>();
      fresh->kind = kind;
      fresh->clock = &clock_;
      const store::Revision start = store_.CurrentRevision();
      fresh->dispatched = start;
      store::WatchOptions wo;
      wo.prefix = client::StorePrefix(kind);
      wo.after_revision = start;
      std::weak_ptr<Hub> weak = fresh;
      runtime::Clock* clock = &clock_;
      wo.on_ready = [weak, clock] {
        auto h = weak.lock();
        if (!h) return;
        {
          std::lock_guard<std::mutex> l(h->mu);
          if (h->drain_posted) return;
          h->drain_posted = true;
        }
        clock->Post([weak] {
          if (auto h2 = weak.lock()) h2->Drain();
        });
      };
      auto w = store_.Watch(wo);
      if (!w.ok())
        return w.status().WithContext("watch " + std::string(api::InfoOf(kind).resource));
      {
        std::lock_guard<std::mutex> l(fresh->mu);
        fresh->watcher = std::move(*w);
      }
      // A backlog signalled from inside Watch() may have found no watcher yet.
      clock_.Post([weak] {
        if (auto h = weak.lock()) h->Drain();
      });
      slot = std::move(fresh);
    }
    hub = slot;
  }
  {
    std::lock_guard<std::mutex> lock(hub->mu);
    if (after >= hub->dispatched) {
      auto next = std::make_shared<SubList>(*hub->subs);
      next->Add(id, client::WatchKey::Of(node, ns, labels), sub);
      hub->subs = std::move(next);
      return Subscription{kind, id};
    }
  }
  // Behind the shared watcher: a private replay from `after`.
  auto p = std::make_shared<Private>();
  p->sub = sub;
  p->dispatched = after;
  store::WatchOptions wo;
  wo.prefix = client::StorePrefix(kind);
  wo.after_revision = after;
  std::weak_ptr<Private> weak = p;
  runtime::Clock* clock = &clock_;
  wo.on_ready = [weak, clock] {
    clock->Post([weak] {
      if (auto p2 = weak.lock()) p2->Drain();
    });
  };
  auto w = store_.Watch(wo);
  if (!w.ok()) return w.status();
  {
    std::lock_guard<std::mutex> l(p->mu);
    p->watcher = std::move(*w);
  }
  clock_.Post([weak] {
    if (auto p2 = weak.lock()) p2->Drain();
  });
  std::lock_guard<std::mutex> lock(mu_);
  privates_[id] = p;
  return Subscription{kind, id};
}

void WatchHubs::Unsubscribe(const Subscription& s) {
  std::shared_ptr<Hub> hub;
  std::shared_ptr<Private> priv;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = privates_.find(s.id);
    if (it != privates_.end()) {
      priv = it->second;
      privates_.erase(it);
    } else {
      auto h = hubs_.find(s.kind);
      if (h != hubs_.end()) hub = h->second;
    }
  }
  if (priv) {
    std::shared_ptr<store::Watcher> w;
    {
      std::lock_guard<std::mutex> l(priv->mu);
      priv->stopped = true;
      w = std::move(priv->watcher);
    }
    if (w) w->Cancel();
    return;
  }
  if (!hub) return;
  std::lock_guard<std::mutex> lock(hub->mu);
  if (!hub->subs->Find(s.id)) return;
  auto next = std::make_shared<SubList>(*hub->subs);
  next->Remove(s.id);
  hub->subs = std::move(next);
}

store::Revision WatchHubs::Delivered(const Subscription& s) const {
  std::shared_ptr<Hub> hub;
  std::shared_ptr<Private> priv;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = privates_.find(s.id);
    if (it != privates_.end()) {
      priv = it->second;
    } else {
      auto h = hubs_.find(s.kind);
      if (h != hubs_.end()) hub = h->second;
    }
  }
  if (priv) {
    std::lock_guard<std::mutex> l(priv->mu);
    return priv->dispatched;
  }
  if (!hub) return 0;
  std::lock_guard<std::mutex> l(hub->mu);
  return hub->dispatched;
}

void WatchHubs::Shutdown() {
  std::vector<std::shared_ptr<WatchSubscriber>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [kind, hub] : hubs_) {
      std::lock_guard<std::mutex> l(hub->mu);
      hub->subs->ForEach(
          [&](uint64_t, const std::shared_ptr<WatchSubscriber>& s) { subs.push_back(s); });
      hub->subs = std::make_shared<SubList>();
    }
    for (auto& [id, p] : privates_) {
      std::lock_guard<std::mutex> l(p->mu);
      p->stopped = true;
      subs.push_back(p->sub);
    }
  }
  for (auto& s : subs)
    s->OnShutdown();
}

size_t WatchHubs::SessionCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = privates_.size();
  for (const auto& [kind, hub] : hubs_) {
    std::lock_guard<std::mutex> l(hub->mu);
    n += hub->subs->size();
  }
  return n;
}

}  // namespace navarch::apiserver
