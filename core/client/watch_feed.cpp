#include "core/client/watch_feed.h"

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "core/api/types.h"
#include "core/client/local_api.h"
#include "core/client/watch_index.h"

namespace navarch::client {
namespace {

const std::string* NodeNameOf(const api::Object* obj) {
  if (auto* pod = api::As<api::Pod>(obj)) return &pod->spec->node_name;
  return nullptr;
}

bool Matches(const WatchOptions& o, const api::Object& obj) {
  if (!o.namespace_.empty() && obj.metadata.namespace_ != o.namespace_) return false;
  if (o.node_name) {
    const std::string* node = NodeNameOf(&obj);
    if (!node || *node != *o.node_name) return false;
  }
  if (!o.label_selector.Empty() && !o.label_selector.Matches(obj.metadata.labels)) return false;
  if (!o.field_selector.Empty() && !o.field_selector.Matches(obj)) return false;
  return true;
}

// One kind's fan-out from one store watcher (see watch_feed.h).
class Feed : public std::enable_shared_from_this<Feed> {
 public:
  Feed(store::Store& store, runtime::Clock& clock, Kind kind, Duration delay,
       std::atomic<uint64_t>* deliveries)
      : store_(store), clock_(clock), kind_(kind), delay_(delay), deliveries_(deliveries) {}
  ~Feed() {
    if (watcher_) watcher_->Cancel();
  }

  // Opens the store watcher for changes after `after`.
  Status Start(store::Revision after) {
    store::WatchOptions wo;
    wo.prefix = StorePrefix(kind_);
    wo.after_revision = after;
    std::weak_ptr<Feed> weak = weak_from_this();
    runtime::Clock* clock = &clock_;
    wo.on_ready = [weak, clock] {
      clock->Post([weak] {
        if (auto self = weak.lock()) self->Drain();
      });
    };
    dispatched_ = after;
    auto w = store_.Watch(wo);
    if (!w.ok()) return w.status();
    std::lock_guard<std::mutex> lock(mu_);
    watcher_ = std::shared_ptr<store::Watcher>(std::move(*w));
    // A backlog signalled from inside Watch() may have been drained (on the
    // loop, when Start runs elsewhere) before the watcher was in place.
    if (missed_ready_) {
      missed_ready_ = false;
      clock_.Post([weak] {
        if (auto self = weak.lock()) self->Drain();
      });
    }
    return Status::Ok();
  }

  bool usable() const {
    std::lock_guard<std::mutex> lock(mu_);
    return watcher_ != nullptr && !failed_;
  }
  bool failed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return failed_;
  }
  store::Revision dispatched() const { return dispatched_.load(std::memory_order_acquire); }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return subs_.size();
  }
  void SetOnEmpty(std::function<void()> fn) { on_empty_ = std::move(fn); }

  // Adds a subscription for events after `after`, unless the feed has
  // already dispatched past `after` (or failed): then null.
  std::unique_ptr<WatchHandle> TryAdd(const WatchOptions& options, WatchHandler handler,
                                      store::Revision after);
  void Remove(uint64_t id);
  // Delivers a kError with `status` to every subscription (later, on the
  // loop) and ends them.
  void FailLater(Status status) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      failed_ = true;
    }
    std::weak_ptr<Feed> weak = weak_from_this();
    clock_.Post([weak, status = std::move(status)] {
      if (auto self = weak.lock()) self->Fail(status);
    });
  }
  // Ends every subscription silently and closes the store watcher.
  void Close();

 private:
  struct Sub {
    uint64_t id = 0;
    WatchOptions options;
    WatchHandler handler;
    store::Revision after = 0;
    std::atomic<bool> active{true};
  };

  void Drain();
  void Dispatch(const std::vector<store::Event>& events);
  void DispatchOne(const store::Event& event);
  void Fail(const Status& status);
  // Marks the feed failed, closes the store watcher and returns the
  // subscriptions (still in the index until their handles go).
  std::vector<std::shared_ptr<Sub>> End();

  store::Store& store_;
  runtime::Clock& clock_;
  const Kind kind_;
  const Duration delay_;
  std::atomic<uint64_t>* const deliveries_;
  std::atomic<store::Revision> dispatched_{0};
  std::function<void()> on_empty_;  // set before the first subscription

  mutable std::mutex mu_;
  std::shared_ptr<store::Watcher> watcher_;  // guarded by mu_
  bool missed_ready_ = false;                // guarded by mu_
  bool failed_ = false;                      // guarded by mu_
  uint64_t next_id_ = 1;                     // guarded by mu_
  WatchIndex<std::shared_ptr<Sub>> subs_;    // guarded by mu_
  // Scratch of DispatchOne (loop thread; dispatch never nests).
  std::vector<uint64_t> candidate_ids_;
  std::vector<std::shared_ptr<Sub>> candidates_;
};

class Handle final : public WatchHandle {
 public:
  Handle(std::weak_ptr<Feed> feed, uint64_t id) : feed_(std::move(feed)), id_(id) {}
  ~Handle() override { Stop(); }
  void Stop() override {
    if (auto f = feed_.lock()) f->Remove(id_);
    feed_.reset();
  }
  uint64_t Delivered() const override {
    auto f = feed_.lock();
    return f ? f->dispatched() : 0;
  }

 private:
  std::weak_ptr<Feed> feed_;
  uint64_t id_;
};

std::unique_ptr<WatchHandle> Feed::TryAdd(const WatchOptions& options, WatchHandler handler,
                                          store::Revision after) {
  auto sub = std::make_shared<Sub>();
  sub->options = options;
  sub->handler = std::move(handler);
  sub->after = after;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_ || after < dispatched()) return nullptr;
    sub->id = next_id_++;
    // A pod watch of one node, by node_name or by a spec.nodeName field
    // term, is indexed by that node.
    std::optional<std::string> node = options.node_name;
    if (!node && kind_ == Kind::kPod) {
      if (const std::string* n = options.field_selector.NodeNameEquals()) node = *n;
    }
    subs_.Add(sub->id, WatchKey::Of(std::move(node), options.namespace_, options.label_selector),
              sub);
  }
  return std::make_unique<Handle>(weak_from_this(), sub->id);
}

void Feed::Remove(uint64_t id) {
  std::shared_ptr<Sub> gone;  // its handler is destroyed outside the lock
  bool empty = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::shared_ptr<Sub>* found = subs_.Find(id);
    if (!found) return;
    gone = *found;
    gone->active = false;
    subs_.Remove(id);
    empty = subs_.empty();
  }
  gone.reset();
  if (empty && on_empty_) {
    auto fn = on_empty_;  // may destroy this feed
    fn();
  }
}

void Feed::Drain() {
  std::shared_ptr<store::Watcher> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_) return;
    if (!watcher_) {
      missed_ready_ = true;
      return;
    }
    w = watcher_;
  }
  std::vector<store::Event> events = w->Poll();
  if (events.empty()) return;
  if (delay_ <= Duration::zero()) {
    Dispatch(events);
    return;
  }
  std::weak_ptr<Feed> weak = weak_from_this();
  clock_.After(delay_, [weak, events = std::move(events)] {
    if (auto self = weak.lock()) self->Dispatch(events);
  });
}

void Feed::Dispatch(const std::vector<store::Event>& events) {
  auto self = shared_from_this();  // a handler may drop the last owner
  for (const auto& ev : events) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (failed_) return;
    }
    DispatchOne(ev);
  }
}

void Feed::DispatchOne(const store::Event& ev) {
  ObjectPtr cur;
  ObjectPtr old;
  // A value that does not decode (written by an older version, or damaged)
  // is left out, as lists leave it out: it must not end every watch of its
  // kind; a watcher that saw its earlier value sees it deleted. Its
  // previous value, if unreadable, is treated as absent.
  if (ev.type == store::EventType::kPut) {
    auto r = ObjectFromKeyValue(ev.kv);
    if (r.ok()) cur = std::move(*r);
  }
  if (ev.prev.mod_revision != 0) {
    auto r = ObjectFromKeyValue(ev.prev);
    if (r.ok()) old = std::move(*r);
  }
  const api::Object* any = cur ? cur.get() : old.get();
  candidates_.clear();
  {
    // Candidates and the dispatched revision move together: a subscription
    // added after this point starts after this event.
    std::lock_guard<std::mutex> lock(mu_);
    if (any) {
      subs_.Candidates(old.get(), cur.get(), candidate_ids_);
      for (uint64_t id : candidate_ids_) {
        const std::shared_ptr<Sub>* found = subs_.Find(id);
        if (found && ev.revision() > (*found)->after) candidates_.push_back(*found);
      }
    }
    dispatched_.store(ev.revision(), std::memory_order_release);
  }
  if (candidates_.empty()) return;

  ObjectPtr deleted;  // the last state, stamped with the delete's revision
  for (const auto& sub : candidates_) {
    if (!sub->active.load(std::memory_order_acquire)) continue;
    const bool was = old && Matches(sub->options, *old);
    const bool now = cur && Matches(sub->options, *cur);
    WatchEvent out;
    if (ev.type == store::EventType::kDelete) {
      if (!was) continue;
      if (!deleted) deleted = WithResourceVersion(old, ev.revision());
      out.type = WatchEvent::Type::kDeleted;
      out.object = deleted;
    } else if (was && now) {
      out.type = WatchEvent::Type::kModified;
      out.object = cur;
      out.previous = old;
    } else if (now) {
      out.type = WatchEvent::Type::kAdded;
      out.object = cur;
      out.previous = old;
    } else if (was) {
      out.type = WatchEvent::Type::kDeleted;
      if (!cur && !deleted) deleted = WithResourceVersion(old, ev.revision());
      out.object = cur ? cur : deleted;
      out.previous = old;
    } else {
      continue;
    }
    deliveries_->fetch_add(1, std::memory_order_relaxed);
    sub->handler(out);
  }
  candidates_.clear();
}

std::vector<std::shared_ptr<Feed::Sub>> Feed::End() {
  std::shared_ptr<store::Watcher> w;
  std::vector<std::shared_ptr<Sub>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    failed_ = true;
    w = watcher_;
    subs_.ForEach([&](uint64_t, const std::shared_ptr<Sub>& sub) { subs.push_back(sub); });
  }
  if (w) w->Cancel();
  return subs;
}

void Feed::Fail(const Status& status) {
  auto self = shared_from_this();
  WatchEvent ev;
  ev.type = WatchEvent::Type::kError;
  ev.error = status;
  for (auto& sub : End()) {
    if (!sub->active.exchange(false)) continue;
    deliveries_->fetch_add(1, std::memory_order_relaxed);
    sub->handler(ev);
  }
}

void Feed::Close() {
  for (auto& sub : End())
    sub->active = false;
}

}  // namespace

struct WatchFeeds::State {
  store::Store* store = nullptr;
  runtime::Clock* clock = nullptr;
  Duration delay{0};
  std::atomic<uint64_t> deliveries{0};
  mutable std::mutex mu;
  bool shut_down = false;                             // guarded by mu
  std::map<Kind, std::shared_ptr<Feed>> shared;       // guarded by mu
  std::map<uint64_t, std::shared_ptr<Feed>> replays;  // guarded by mu
  uint64_t next_replay = 1;                           // guarded by mu
};

WatchFeeds::WatchFeeds(store::Store& store, runtime::Clock& clock, Duration delay)
    : state_(std::make_shared<State>()) {
  state_->store = &store;
  state_->clock = &clock;
  state_->delay = delay;
}

WatchFeeds::~WatchFeeds() {
  Shutdown();
}

uint64_t WatchFeeds::deliveries() const {
  return state_->deliveries.load(std::memory_order_relaxed);
}

Result<std::unique_ptr<WatchHandle>> WatchFeeds::Watch(Kind kind, const WatchOptions& options,
                                                       WatchHandler handler,
                                                       store::Revision after) {
  State& s = *state_;
  const std::string what = "watch " + std::string(api::InfoOf(kind).resource);
  std::shared_ptr<Feed> feed;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.shut_down) return Unavailable(what + ": watches are shut down (the server is stopping)");
    auto& slot = s.shared[kind];
    if (!slot || slot->failed()) {
      auto fresh = std::make_shared<Feed>(*s.store, *s.clock, kind, s.delay, &s.deliveries);
      NAVARCH_RETURN_IF_ERROR(fresh->Start(s.store->CurrentRevision()).WithContext(what));
      slot = std::move(fresh);
    }
    feed = slot;
  }
  if (auto handle = feed->TryAdd(options, handler, after)) return handle;

  // Older than what the shared feed has passed: a private replay.
  auto replay = std::make_shared<Feed>(*s.store, *s.clock, kind, s.delay, &s.deliveries);
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.shut_down) return Unavailable(what + ": watches are shut down (the server is stopping)");
    id = s.next_replay++;
    s.replays[id] = replay;
  }
  std::weak_ptr<State> weak = state_;
  replay->SetOnEmpty([weak, id] {
    auto st = weak.lock();
    if (!st) return;
    std::shared_ptr<Feed> gone;  // destroyed outside the lock
    std::lock_guard<std::mutex> lock(st->mu);
    auto it = st->replays.find(id);
    if (it == st->replays.end()) return;
    gone = std::move(it->second);
    st->replays.erase(it);
  });
  auto handle = replay->TryAdd(options, std::move(handler), after);
  Status st = replay->Start(after);
  if (!st.ok()) {
    if (st.code() == Code::kCompacted) {
      st = Compacted("too old resource version: " + std::to_string(after) + " (" +
                     std::to_string(s.store->CompactedRevision()) + "): " + what +
                     " from there is impossible; list again and watch from the list's "
                     "resourceVersion");
    } else {
      st = st.WithContext(what);
    }
    replay->FailLater(st);
  }
  return handle;
}

void WatchFeeds::Shutdown() {
  std::map<Kind, std::shared_ptr<Feed>> shared;
  std::map<uint64_t, std::shared_ptr<Feed>> replays;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->shut_down = true;
    shared.swap(state_->shared);
    replays.swap(state_->replays);
  }
  for (auto& [kind, feed] : shared)
    feed->Close();
  for (auto& [id, feed] : replays)
    feed->Close();
}

size_t WatchFeeds::StoreWatcherCount() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  size_t n = 0;
  for (const auto& [kind, feed] : state_->shared)
    n += feed->usable() ? 1 : 0;
  for (const auto& [id, feed] : state_->replays)
    n += feed->usable() ? 1 : 0;
  return n;
}

size_t WatchFeeds::SubscriptionCount() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  size_t n = 0;
  for (const auto& [kind, feed] : state_->shared)
    n += feed->size();
  for (const auto& [id, feed] : state_->replays)
    n += feed->size();
  return n;
}

}  // namespace navarch::client
