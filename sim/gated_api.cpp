#include "sim/gated_api.h"

#include <utility>
#include <vector>

namespace navarch::sim {

class GatedApi::Handle final : public client::WatchHandle {
 public:
  Handle(std::weak_ptr<std::map<uint64_t, LiveWatch>> watches, uint64_t id)
      : watches_(std::move(watches)), id_(id) {}
  ~Handle() override { Stop(); }
  void Stop() override {
    if (auto w = watches_.lock()) w->erase(id_);
  }

 private:
  std::weak_ptr<std::map<uint64_t, LiveWatch>> watches_;
  uint64_t id_;
};

GatedApi::GatedApi(client::Api& inner, runtime::Clock& clock, std::string who)
    : inner_(inner), clock_(clock), who_(std::move(who)) {}

GatedApi::~GatedApi() {
  watches_->clear();
}

Status GatedApi::Refuse() {
  ++refused_;
  return Unavailable("the API server cannot be reached from " + who_ +
                     " (network partition); the call will be retried");
}

void GatedApi::SetReachable(bool reachable) {
  if (reachable == reachable_) return;
  reachable_ = reachable;
  if (reachable) return;
  // End every live watch: stop the inner one now, tell the handler later.
  std::vector<uint64_t> ids;
  for (auto& [id, w] : *watches_) {
    w.inner.reset();
    ids.push_back(id);
  }
  std::weak_ptr<std::map<uint64_t, LiveWatch>> weak = watches_;
  Status error = Unavailable("watch ended: the API server cannot be reached from " + who_);
  for (uint64_t id : ids) {
    clock_.Post([weak, id, error] {
      auto watches = weak.lock();
      if (!watches) return;
      auto it = watches->find(id);
      if (it == watches->end()) return;  // stopped by its owner meanwhile
      client::WatchHandler handler = std::move(it->second.handler);
      watches->erase(it);
      client::WatchEvent ev;
      ev.type = client::WatchEvent::Type::kError;
      ev.error = error;
      handler(ev);
    });
  }
}

Result<client::ObjectPtr> GatedApi::Create(client::ObjectPtr obj,
                                           const client::WriteOptions& options) {
  if (!reachable_) return Refuse();
  return inner_.Create(std::move(obj), options);
}

Result<client::ObjectPtr> GatedApi::Get(api::Kind kind, std::string_view ns,
                                        std::string_view name) {
  if (!reachable_) return Refuse();
  return inner_.Get(kind, ns, name);
}

Result<client::ObjectList> GatedApi::List(api::Kind kind, const client::ListOptions& options) {
  if (!reachable_) return Refuse();
  return inner_.List(kind, options);
}

Result<client::ObjectPtr> GatedApi::Update(client::ObjectPtr obj,
                                           const client::WriteOptions& options) {
  if (!reachable_) return Refuse();
  return inner_.Update(std::move(obj), options);
}

Result<client::ObjectPtr> GatedApi::UpdateStatus(client::ObjectPtr obj,
                                                 const client::WriteOptions& options) {
  if (!reachable_) return Refuse();
  return inner_.UpdateStatus(std::move(obj), options);
}

Result<client::ObjectPtr> GatedApi::Bind(client::ObjectPtr pod, std::string_view node,
                                         const client::WriteOptions& options) {
  if (!reachable_) return Refuse();
  return inner_.Bind(std::move(pod), node, options);
}

Result<client::ObjectPtr> GatedApi::Delete(api::Kind kind, std::string_view ns,
                                           std::string_view name,
                                           const client::DeleteOptions& options) {
  if (!reachable_) return Refuse();
  return inner_.Delete(kind, ns, name, options);
}

Result<std::unique_ptr<client::WatchHandle>> GatedApi::Watch(api::Kind kind,
                                                             const client::WatchOptions& options,
                                                             client::WatchHandler handler) {
  if (!reachable_) return Refuse();
  const uint64_t id = next_id_++;
  std::weak_ptr<std::map<uint64_t, LiveWatch>> weak = watches_;
  // The inner handler forwards through the map, so that a watch ended by a
  // partition (or stopped by its owner) delivers nothing more.
  auto forward = [weak, id](const client::WatchEvent& ev) {
    auto watches = weak.lock();
    if (!watches) return;
    auto it = watches->find(id);
    if (it == watches->end()) return;
    if (ev.type == client::WatchEvent::Type::kError) {
      client::WatchHandler handler = std::move(it->second.handler);
      watches->erase(it);
      handler(ev);
      return;
    }
    client::WatchHandler handler = it->second.handler;  // may erase itself
    handler(ev);
  };
  auto& entry = (*watches_)[id];
  entry.handler = std::move(handler);
  auto inner = inner_.Watch(kind, options, std::move(forward));
  if (!inner.ok()) {
    watches_->erase(id);
    return inner.status();
  }
  (*watches_)[id].inner = std::move(*inner);
  return std::unique_ptr<client::WatchHandle>(std::make_unique<Handle>(weak, id));
}

}  // namespace navarch::sim
