#include "core/controllers/namespace_controller.h"

#include <algorithm>
#include <utility>

#include "core/api/types.h"
#include "core/api/well_known.h"

namespace navarch::controllers {

NamespaceController::NamespaceController(client::Api& api, runtime::Clock& clock,
                                         NamespaceControllerOptions options)
    : api_(api),
      clock_(clock),
      options_(options),
      own_informers_(options.informers ? nullptr : std::make_unique<InformerSet>(api, clock)),
      informers_(options.informers ? *options.informers : *own_informers_),
      namespaces_(informers_.For(api::Kind::kNamespace)),
      pods_(informers_.For(api::Kind::kPod)),
      queue_(
          clock, [this](const std::string& name) { return Sync(name); }, options.queue) {
  std::weak_ptr<bool> alive = alive_;
  auto live = [alive] {
    auto a = alive.lock();
    return a && *a;
  };
  client::InformerHandlers ns;
  ns.on_add = [this, live](const client::ObjectPtr& obj) {
    if (live() && obj->metadata.deletion_timestamp) queue_.Add(obj->metadata.name);
  };
  ns.on_update = [this, live](const client::ObjectPtr&, const client::ObjectPtr& cur) {
    if (live() && cur->metadata.deletion_timestamp) queue_.Add(cur->metadata.name);
  };
  namespaces_.AddHandlers(std::move(ns));
  client::InformerHandlers pod;
  pod.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live() && Terminating(obj->metadata.namespace_)) queue_.Add(obj->metadata.namespace_);
  };
  pods_.AddHandlers(std::move(pod));
}

NamespaceController::~NamespaceController() {
  *alive_ = false;
}

bool NamespaceController::Terminating(const std::string& ns) const {
  auto obj = namespaces_.GetByKey(ns);
  return obj && obj->metadata.deletion_timestamp;
}

Status NamespaceController::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_.Start());
  for (const auto& obj : namespaces_.List()) {
    if (obj->metadata.deletion_timestamp) queue_.Add(obj->metadata.name);
  }
  return Status::Ok();
}

Status NamespaceController::Sync(const std::string& name) {
  ++stats_.syncs;
  auto current = api_.Get(api::Kind::kNamespace, "", name);
  if (current.code() == Code::kNotFound) return Status::Ok();
  if (!current.ok()) return current.status();
  const auto& ns = static_cast<const api::Namespace&>(**current);
  if (!ns.metadata.deletion_timestamp) return Status::Ok();

  size_t left = 0;
  for (api::Kind kind : api::AllKinds()) {
    if (!api::InfoOf(kind).namespaced) continue;
    client::ListOptions lo;
    lo.namespace_ = name;
    auto items = api_.List(kind, lo);
    if (!items.ok()) return items.status().WithContext("namespace controller: emptying " + name);
    left += items->items.size();
    for (const auto& obj : items->items) {
      if (obj->metadata.deletion_timestamp) continue;  // on its way
      client::DeleteOptions d;
      d.uid = obj->metadata.uid;
      d.propagation_policy = std::string(api::kPropagationBackground);
      auto res = api_.Delete(kind, name, obj->metadata.name, d);
      if (res.code() == Code::kNotFound || res.code() == Code::kConflict) continue;
      if (!res.ok()) {
        return res.status().WithContext("namespace controller: deleting " +
                                        client::ObjectName(*obj));
      }
      ++stats_.deleted;
    }
  }
  if (left > 0) {
    queue_.AddAfter(name, options_.retry);
    return Status::Ok();
  }
  // Empty: the namespace's own finalizer goes, and with it the namespace.
  if (std::find(ns.spec.finalizers.begin(), ns.spec.finalizers.end(), api::kFinalizerKubernetes) ==
      ns.spec.finalizers.end()) {
    return Status::Ok();
  }
  auto next = std::make_shared<api::Namespace>(ns);
  std::erase(next->spec.finalizers, std::string(api::kFinalizerKubernetes));
  auto res = api_.Update(client::ObjectPtr(std::move(next)));
  if (res.code() == Code::kConflict) {
    queue_.Add(name);  // changed since read: look again
    return Status::Ok();
  }
  if (!res.ok() && res.code() != Code::kNotFound) {
    return res.status().WithContext("namespace controller: finalizing " + name);
  }
  ++stats_.finalized;
  return Status::Ok();
}

}  // namespace navarch::controllers
