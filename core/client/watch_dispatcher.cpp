#include "core/client/watch_dispatcher.h"

#include <algorithm>
#include <utility>

#include "core/api/types.h"
#include "core/client/local_api.h"

namespace navarch::client {
namespace {

class Handle final : public WatchHandle {
 public:
  Handle(std::weak_ptr<WatchDispatcher> dispatcher, uint64_t id)
      : dispatcher_(std::move(dispatcher)), id_(id) {}
  ~Handle() override { Stop(); }
  void Stop() override {
    if (auto d = dispatcher_.lock()) d->Remove(id_);
    dispatcher_.reset();
  }

 private:
  std::weak_ptr<WatchDispatcher> dispatcher_;
  uint64_t id_;
};

const std::string* NodeNameOf(const api::Object* obj) {
  if (auto* pod = api::As<api::Pod>(obj)) return &pod->spec->node_name;
  return nullptr;
}

}  // namespace

WatchDispatcher::WatchDispatcher(store::Store& store, runtime::Clock& clock, Kind kind,
                                 Duration delay)
    : store_(store), clock_(clock), kind_(kind), delay_(delay) {}

WatchDispatcher::~WatchDispatcher() {
  if (watcher_) watcher_->Cancel();
}

Status WatchDispatcher::Start(store::Revision after) {
  store::WatchOptions wo;
  wo.prefix = StorePrefix(kind_);
  wo.after_revision = after;
  std::weak_ptr<WatchDispatcher> weak = weak_from_this();
  runtime::Clock* clock = &clock_;
  wo.on_ready = [weak, clock] {
    clock->Post([weak] {
      if (auto self = weak.lock()) self->Drain();
    });
  };
  NAVARCH_ASSIGN_OR_RETURN(watcher_, store_.Watch(wo));
  dispatched_ = after;
  return Status::Ok();
}

std::unique_ptr<WatchHandle> WatchDispatcher::Add(const WatchOptions& options, WatchHandler handler,
                                                  store::Revision after) {
  auto sub = std::make_shared<Sub>();
  sub->id = next_id_++;
  sub->options = options;
  sub->handler = std::move(handler);
  sub->after = after;
  subs_.Add(sub->id, WatchKey::Of(options.node_name, options.namespace_, options.label_selector),
            sub);
  return std::make_unique<Handle>(weak_from_this(), sub->id);
}

void WatchDispatcher::Remove(uint64_t id) {
  const std::shared_ptr<Sub>* found = subs_.Find(id);
  if (!found) return;
  (*found)->active = false;
  subs_.Remove(id);
  if (subs_.empty() && on_empty_) {
    auto fn = on_empty_;  // may destroy this dispatcher
    fn();
  }
}

void WatchDispatcher::Drain() {
  if (!watcher_ || failed_) return;
  std::vector<store::Event> events = watcher_->Poll();
  if (events.empty()) return;
  if (delay_ <= Duration::zero()) {
    Dispatch(events);
    return;
  }
  std::weak_ptr<WatchDispatcher> weak = weak_from_this();
  clock_.After(delay_, [weak, events = std::move(events)] {
    if (auto self = weak.lock()) self->Dispatch(events);
  });
}

void WatchDispatcher::Dispatch(const std::vector<store::Event>& events) {
  auto self = shared_from_this();  // a handler may drop the last owner
  for (const auto& ev : events) {
    if (failed_) return;
    DispatchOne(ev);
    dispatched_ = ev.revision();
  }
}

bool WatchDispatcher::Matches(const Sub& sub, const api::Object& obj) const {
  const auto& o = sub.options;
  if (!o.namespace_.empty() && obj.metadata.namespace_ != o.namespace_) return false;
  if (o.node_name) {
    const std::string* node = NodeNameOf(&obj);
    if (!node || *node != *o.node_name) return false;
  }
  if (!o.label_selector.Empty() && !o.label_selector.Matches(obj.metadata.labels)) return false;
  if (!o.field_selector.Empty() && !o.field_selector.Matches(obj)) return false;
  return true;
}

void WatchDispatcher::DispatchOne(const store::Event& ev) {
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
  if (!any) return;

  // Candidates from the index. Handlers never dispatch inline (events reach
  // them through the loop), so the scratch vector is stable while they run;
  // one that adds or removes watches changes only the index.
  subs_.Candidates(old.get(), cur.get(), candidates_);
  if (candidates_.empty()) return;

  ObjectPtr deleted;  // the last state, stamped with the delete's revision
  for (uint64_t id : candidates_) {
    const std::shared_ptr<Sub>* found = subs_.Find(id);
    if (!found) continue;
    std::shared_ptr<Sub> sub = *found;
    if (!sub->active || ev.revision() <= sub->after) continue;
    const bool was = old && Matches(*sub, *old);
    const bool now = cur && Matches(*sub, *cur);
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
    ++deliveries_;
    sub->handler(out);
  }
}

void WatchDispatcher::Fail(const Status& status) {
  failed_ = true;
  if (watcher_) watcher_->Cancel();
  std::vector<std::shared_ptr<Sub>> subs;
  subs_.ForEach([&](uint64_t, const std::shared_ptr<Sub>& sub) { subs.push_back(sub); });
  WatchEvent ev;
  ev.type = WatchEvent::Type::kError;
  ev.error = status;
  auto self = shared_from_this();
  for (auto& sub : subs) {
    if (!sub->active) continue;
    sub->active = false;
    ++deliveries_;
    sub->handler(ev);
  }
}

void WatchDispatcher::FailLater(Status status) {
  failed_ = true;
  std::weak_ptr<WatchDispatcher> weak = weak_from_this();
  clock_.Post([weak, status = std::move(status)] {
    if (auto self = weak.lock()) self->Fail(status);
  });
}

}  // namespace navarch::client
