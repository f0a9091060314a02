#include "core/client/informer.h"

#include <utility>

#include "core/api/types.h"

namespace navarch::client {

Informer::Informer(Api& api, runtime::Clock& clock, Kind kind, InformerOptions options)
    : api_(api), clock_(clock), kind_(kind), options_(std::move(options)) {
  Status st = AddIndex(std::string(kIndexNamespace), [](const api::Object& obj) {
    return std::vector<std::string>{obj.metadata.namespace_};
  });
  (void)st;  // a fresh informer has no index by that name
  indexes_.find(kIndexNamespace)->second.depends = Index::Depends::kKey;
  if (kind_ == Kind::kPod) {
    st = AddIndex(std::string(kIndexNodeName), [](const api::Object& obj) {
      const auto* pod = api::As<api::Pod>(&obj);
      return std::vector<std::string>{pod ? pod->spec->node_name : std::string()};
    });
    indexes_.find(kIndexNodeName)->second.depends = Index::Depends::kPodSpec;
  }
}

Informer::~Informer() {
  *alive_ = false;
  Stop();
}

void Informer::AddHandlers(InformerHandlers handlers) {
  handlers_.push_back(std::move(handlers));
}

Status Informer::AddIndex(std::string name, IndexFunc fn) {
  if (indexes_.count(name)) {
    return AlreadyExists("informer index \"" + name + "\" already exists");
  }
  Index& index = indexes_[name];
  index.fn = std::move(fn);
  for (auto it = items_.begin(); it != items_.end(); ++it)
    IndexValues(index, it, index.fn(*it->second));
  return Status::Ok();
}

Status Informer::Start() {
  if (started_) return Status::Ok();
  NAVARCH_RETURN_IF_ERROR(ListAndWatch());
  started_ = true;
  return Status::Ok();
}

void Informer::Stop() {
  watch_.reset();
  if (retry_timer_ != 0) {
    clock_.Cancel(retry_timer_);
    retry_timer_ = 0;
  }
  started_ = false;
}

Status Informer::ListAndWatch() {
  ListOptions lo;
  lo.namespace_ = options_.namespace_;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  if (options_.node_name) {
    lo.field_selector.Equals(FieldSelector::Field::kNodeName, *options_.node_name);
  }
  NAVARCH_ASSIGN_OR_RETURN(ObjectList list, api_.List(kind_, lo));

  WatchOptions wo;
  wo.namespace_ = options_.namespace_;
  wo.label_selector = options_.label_selector;
  wo.node_name = options_.node_name;
  wo.field_selector = options_.field_selector;
  wo.resource_version = list.resource_version;
  std::weak_ptr<bool> alive = alive_;
  NAVARCH_ASSIGN_OR_RETURN(watch_, api_.Watch(kind_, wo, [this, alive](const WatchEvent& ev) {
    if (auto a = alive.lock(); a && *a) OnEvent(ev);
  }));

  // Apply the list as a difference against the cache: on the first list the
  // cache is empty (all adds); on a re-list it yields exactly the changes the
  // failed watch missed. The cache is complete before any handler runs.
  std::map<std::string, ObjectPtr, std::less<>> fresh;
  for (auto& obj : list.items)
    fresh.emplace(api::KeyOf(*obj), std::move(obj));
  std::vector<std::pair<ObjectPtr, ObjectPtr>> changes;  // (old, new); null old = add
  std::vector<ObjectPtr> gone;
  for (const auto& [key, obj] : items_) {
    if (!fresh.count(key)) gone.push_back(obj);
  }
  for (auto& [key, obj] : fresh) {
    auto it = items_.find(key);
    if (it == items_.end()) {
      changes.emplace_back(nullptr, obj);
      Put(it, key, obj);
    } else if (it->second->metadata.resource_version != obj->metadata.resource_version) {
      changes.emplace_back(it->second, obj);
      Put(it, key, obj);
    }
  }
  for (const auto& obj : gone)
    Erase(items_.find(api::KeyOf(*obj)));
  last_rv_ = list.resource_version;
  synced_ = true;
  for (const auto& [old, obj] : changes) {
    if (old) {
      EmitUpdate(old, obj);
    } else {
      EmitAdd(obj);
    }
  }
  for (const auto& obj : gone)
    EmitDelete(obj);
  return Status::Ok();
}

void Informer::OnEvent(const WatchEvent& ev) {
  if (ev.type == WatchEvent::Type::kError) {
    // The watch is over; its handle is released outside this callback.
    ScheduleRelist();
    return;
  }
  const ObjectPtr& obj = ev.object;
  const api::ObjectMeta& m = obj->metadata;
  key_.clear();
  if (!m.namespace_.empty()) {
    key_ += m.namespace_;
    key_ += '/';
  }
  key_ += m.name;
  last_rv_ = m.resource_version;
  auto it = items_.find(key_);
  ObjectPtr old = it == items_.end() ? nullptr : it->second;
  switch (ev.type) {
    case WatchEvent::Type::kAdded:
    case WatchEvent::Type::kModified:
      Put(it, key_, obj);
      if (old) {
        EmitUpdate(old, obj);
      } else {
        EmitAdd(obj);
      }
      break;
    case WatchEvent::Type::kDeleted:
      if (old) {
        Erase(it);
        EmitDelete(obj);
      }
      break;
    case WatchEvent::Type::kError:
      break;
  }
}

void Informer::ScheduleRelist() {
  std::weak_ptr<bool> alive = alive_;
  auto relist = [this, alive] {
    auto a = alive.lock();
    if (!a || !*a) return;
    retry_timer_ = 0;
    watch_.reset();
    ++relists_;
    if (!ListAndWatch().ok()) ScheduleRelist();
  };
  // The first attempt is immediate (on the loop, after this event); retries
  // of a failed list back off.
  if (watch_) {
    clock_.Post(relist);
    watch_.reset();  // safe: the dispatcher tolerates removal during delivery
  } else {
    retry_timer_ = clock_.After(options_.relist_backoff, relist);
  }
}

// --- Cache and indexes ----------------------------------------------------

void Informer::Put(Items::iterator at, std::string_view key, ObjectPtr obj) {
  if (at == items_.end()) {
    at = items_.emplace(std::string(key), std::move(obj)).first;
    for (auto& [name, index] : indexes_)
      IndexValues(index, at, index.fn(*at->second));
    return;
  }
  ObjectPtr old = std::exchange(at->second, std::move(obj));
  const auto* old_pod = api::As<api::Pod>(old.get());
  const auto* new_pod = api::As<api::Pod>(at->second.get());
  const bool same_spec = old_pod && new_pod && old_pod->spec.SharesWith(new_pod->spec);
  for (auto& [name, index] : indexes_) {
    if (index.depends == Index::Depends::kKey) continue;
    if (index.depends == Index::Depends::kPodSpec && same_spec) continue;
    // Most updates (status writes) leave the indexed values alone; then the
    // index is already right (its entries point at the replaced object).
    std::vector<std::string> before = index.fn(*old);
    std::vector<std::string> after = index.fn(*at->second);
    if (before == after) continue;
    UnindexValues(index, at->first, before);
    IndexValues(index, at, std::move(after));
  }
}

void Informer::Erase(Items::iterator at) {
  if (at == items_.end()) return;
  for (auto& [name, index] : indexes_)
    UnindexValues(index, at->first, index.fn(*at->second));
  items_.erase(at);
}

void Informer::IndexValues(Index& index, Items::iterator at, std::vector<std::string> values) {
  for (auto& value : values)
    index.values[std::move(value)].emplace(at->first, &at->second);
}

void Informer::UnindexValues(Index& index, std::string_view key,
                             const std::vector<std::string>& values) {
  for (const auto& value : values) {
    auto it = index.values.find(value);
    if (it == index.values.end()) continue;
    it->second.erase(key);
    if (it->second.empty()) index.values.erase(it);
  }
}

ObjectPtr Informer::Get(std::string_view ns, std::string_view name) const {
  return GetByKey(api::KeyOf(api::InfoOf(kind_).namespaced ? ns : std::string_view(), name));
}

ObjectPtr Informer::GetByKey(std::string_view key) const {
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::List() const {
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_)
    out.push_back(obj);
  return out;
}

const Informer::IndexEntries* Informer::KeysByIndex(std::string_view index,
                                                    std::string_view value) const {
  auto it = indexes_.find(index);
  if (it == indexes_.end()) return nullptr;
  auto v = it->second.values.find(value);
  return v == it->second.values.end() ? nullptr : &v->second;
}

std::vector<ObjectPtr> Informer::ByIndex(std::string_view index, std::string_view value) const {
  std::vector<ObjectPtr> out;
  if (const auto* entries = KeysByIndex(index, value)) {
    out.reserve(entries->size());
    for (const auto& [key, obj] : *entries)
      out.push_back(*obj);
  }
  return out;
}

// --- Handlers -------------------------------------------------------------

void Informer::EmitAdd(const ObjectPtr& obj) {
  for (const auto& h : handlers_) {
    if (h.on_add) h.on_add(obj);
  }
}

void Informer::EmitUpdate(const ObjectPtr& old, const ObjectPtr& obj) {
  for (const auto& h : handlers_) {
    if (h.on_update) h.on_update(old, obj);
  }
}

void Informer::EmitDelete(const ObjectPtr& obj) {
  for (const auto& h : handlers_) {
    if (h.on_delete) h.on_delete(obj);
  }
}

}  // namespace navarch::client
