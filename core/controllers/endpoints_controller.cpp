#include "core/controllers/endpoints_controller.h"
#include "core/api/well_known.h"

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "core/controllers/controller_utils.h"

namespace navarch::controllers {

namespace {

std::string ProtocolOr(const std::string& protocol) {
  return protocol.empty() ? std::string("TCP") : protocol;
}

// The port `sp` reaches on `pod`, or nullopt if a named port is missing.
std::optional<int32_t> ResolvePort(const api::ServicePort& sp, const api::Pod& pod) {
  if (sp.target_port.is_int())
    return sp.target_port.int_val != 0 ? sp.target_port.int_val : sp.port;
  std::string protocol = ProtocolOr(sp.protocol);
  for (const auto& c : pod.spec->containers) {
    for (const auto& p : c.ports) {
      if (p.name == sp.target_port.str_val && ProtocolOr(p.protocol) == protocol) {
        return p.container_port;
      }
    }
  }
  return std::nullopt;
}

// What of a pod an Endpoints can show.
bool SameForEndpoints(const api::Pod& a, const api::Pod& b) {
  auto ports = [](const api::Pod& p) {
    std::vector<const std::vector<api::ContainerPort>*> out;
    for (const auto& c : p.spec->containers)
      out.push_back(&c.ports);
    return out;
  };
  auto same_ports = [&] {
    auto pa = ports(a), pb = ports(b);
    if (pa.size() != pb.size()) return false;
    for (size_t i = 0; i < pa.size(); ++i) {
      if (*pa[i] != *pb[i]) return false;
    }
    return true;
  };
  return a.metadata.labels == b.metadata.labels && a.status.pod_ip == b.status.pod_ip &&
         IsPodReady(a) == IsPodReady(b) && a.spec->node_name == b.spec->node_name &&
         a.status.phase == b.status.phase && IsTerminating(a) == IsTerminating(b) &&
         a.spec->hostname == b.spec->hostname && a.spec->subdomain == b.spec->subdomain &&
         same_ports();
}

bool AddressLess(const api::EndpointAddress& a, const api::EndpointAddress& b) {
  const std::string empty;
  const std::string& na = a.target_ref ? a.target_ref->name : empty;
  const std::string& nb = b.target_ref ? b.target_ref->name : empty;
  return std::tie(a.ip, na) < std::tie(b.ip, nb);
}

}  // namespace

EndpointsController::EndpointsController(client::Api& api, runtime::Clock& clock,
                                         EndpointsControllerOptions options)
    : api_(api),
      clock_(clock),
      options_(options),
      own_informers_(options.informers ? nullptr : std::make_unique<InformerSet>(api, clock)),
      informers_(options.informers ? *options.informers : *own_informers_),
      services_(informers_.For(api::Kind::kService)),
      pods_(informers_.For(api::Kind::kPod)),
      endpoints_(informers_.For(api::Kind::kEndpoints)),
      queue_(
          clock, [this](const std::string& key) { return Sync(key); }, options.queue) {
  std::weak_ptr<bool> alive = alive_;
  auto live = [alive] {
    auto a = alive.lock();
    return a && *a;
  };
  client::InformerHandlers svc;
  svc.on_add = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnService(obj, false);
  };
  svc.on_update = [this, live](const client::ObjectPtr&, const client::ObjectPtr& cur) {
    if (live()) OnService(cur, false);
  };
  svc.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnService(obj, true);
  };
  services_.AddHandlers(std::move(svc));

  client::InformerHandlers pod;
  pod.on_add = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnPod(nullptr, obj);
  };
  pod.on_update = [this, live](const client::ObjectPtr& old, const client::ObjectPtr& cur) {
    if (live()) OnPod(old, cur);
  };
  pod.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnPod(obj, nullptr);
  };
  pods_.AddHandlers(std::move(pod));

  client::InformerHandlers eps;
  eps.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live()) queue_.Add(api::KeyOf(*obj));
  };
  endpoints_.AddHandlers(std::move(eps));
}

EndpointsController::~EndpointsController() {
  *alive_ = false;
}

Status EndpointsController::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_.Start());
  for (const auto& obj : services_.List()) {
    // Handlers registered after a shared set started missed these adds.
    if (!selectors_.count(api::KeyOf(*obj))) OnService(obj, false);
    queue_.Add(api::KeyOf(*obj));
  }
  return Status::Ok();
}

// --- Event handlers -------------------------------------------------------

void EndpointsController::OnService(const client::ObjectPtr& obj, bool deleted) {
  const auto* svc = api::As<api::Service>(obj.get());
  if (!svc) return;
  std::string key = api::KeyOf(*svc);
  if (deleted || svc->spec.selector.empty()) {
    selectors_.erase(key);
  } else {
    selectors_[key] = api::LabelSelector::FromMap(svc->spec.selector);
  }
  queue_.Add(key);
}

void EndpointsController::EnqueueFor(const api::Pod& pod) {
  const auto* keys = services_.KeysByIndex(client::kIndexNamespace, pod.metadata.namespace_);
  if (!keys) return;
  for (const auto& [key, svc] : *keys) {
    auto it = selectors_.find(key);
    if (it != selectors_.end() && it->second.Matches(pod.metadata.labels)) {
      queue_.Add(std::string(key));
    }
  }
}

void EndpointsController::OnPod(const client::ObjectPtr& old_obj,
                                const client::ObjectPtr& cur_obj) {
  const auto* old = old_obj ? api::As<api::Pod>(old_obj.get()) : nullptr;
  const auto* cur = cur_obj ? api::As<api::Pod>(cur_obj.get()) : nullptr;
  if (old && cur && SameForEndpoints(*old, *cur)) return;
  if (old) EnqueueFor(*old);
  if (cur) EnqueueFor(*cur);
}

// --- Sync -----------------------------------------------------------------

std::vector<api::EndpointSubset> EndpointsController::Desired(
    const api::Service& service, const std::vector<client::ObjectPtr>& pods) {
  api::LabelSelector selector = api::LabelSelector::FromMap(service.spec.selector);
  bool publish_not_ready = service.spec.publish_not_ready_addresses.value_or(false);
  // Subsets keyed by their resolved ports (in the Service's port order).
  struct PortsKey {
    std::vector<std::tuple<std::string, int32_t, std::string>> ports;
    bool operator<(const PortsKey& o) const { return ports < o.ports; }
  };
  std::map<PortsKey, api::EndpointSubset> subsets;
  for (const auto& obj : pods) {
    const auto* pod = api::As<api::Pod>(obj.get());
    if (!pod || pod->metadata.namespace_ != service.metadata.namespace_) continue;
    if (!selector.Matches(pod->metadata.labels)) continue;
    if (pod->status.pod_ip.empty()) continue;
    if (api::IsTerminalPhase(pod->status.phase)) continue;

    PortsKey key;
    std::vector<api::EndpointPort> ports;
    for (const auto& sp : service.spec.ports) {
      auto port = ResolvePort(sp, *pod);
      if (!port) continue;
      api::EndpointPort ep;
      ep.name = sp.name;
      ep.port = *port;
      ep.protocol = ProtocolOr(sp.protocol);
      key.ports.emplace_back(ep.name, ep.port, ep.protocol);
      ports.push_back(std::move(ep));
    }
    if (!service.spec.ports.empty() && ports.empty()) continue;

    api::EndpointAddress addr;
    addr.ip = pod->status.pod_ip;
    if (!pod->spec->node_name.empty()) addr.node_name = pod->spec->node_name;
    if (!pod->spec->hostname.empty() && pod->spec->subdomain == service.metadata.name) {
      addr.hostname = pod->spec->hostname;
    }
    api::ObjectReference ref;
    ref.kind = "Pod";
    ref.namespace_ = pod->metadata.namespace_;
    ref.name = pod->metadata.name;
    ref.uid = pod->metadata.uid;
    addr.target_ref = std::move(ref);

    bool ready = publish_not_ready || (IsPodReady(*pod) && !IsTerminating(*pod));
    auto [it, inserted] = subsets.try_emplace(std::move(key));
    if (inserted) it->second.ports = std::move(ports);
    (ready ? it->second.addresses : it->second.not_ready_addresses).push_back(std::move(addr));
  }
  std::vector<api::EndpointSubset> out;
  out.reserve(subsets.size());
  for (auto& [key, subset] : subsets) {
    std::sort(subset.addresses.begin(), subset.addresses.end(), AddressLess);
    std::sort(subset.not_ready_addresses.begin(), subset.not_ready_addresses.end(), AddressLess);
    out.push_back(std::move(subset));
  }
  return out;
}

Status EndpointsController::Sync(const std::string& key) {
  ++stats_.syncs;
  auto existing = api::As<api::Endpoints>(endpoints_.GetByKey(key));
  auto svc = api::As<api::Service>(services_.GetByKey(key));
  if (!svc) {
    if (!existing) return Status::Ok();
    client::DeleteOptions opts;
    opts.uid = existing->metadata.uid;
    auto deleted = api_.Delete(api::Kind::kEndpoints, existing->metadata.namespace_,
                               existing->metadata.name, opts);
    if (!deleted.ok() && deleted.code() != Code::kNotFound) {
      return deleted.status().WithContext("deleting the endpoints of deleted service " + key);
    }
    if (deleted.ok()) ++stats_.deleted;
    return Status::Ok();
  }
  if (svc->spec.selector.empty()) return Status::Ok();

  auto subsets = Desired(*svc, pods_.ByIndex(client::kIndexNamespace, svc->metadata.namespace_));
  if (existing && existing->subsets == subsets &&
      existing->metadata.labels == svc->metadata.labels) {
    ++stats_.unchanged;
    return Status::Ok();
  }
  api::Endpoints eps;
  if (existing) {
    eps = *existing;
  } else {
    eps.metadata.name = svc->metadata.name;
    eps.metadata.namespace_ = svc->metadata.namespace_;
  }
  eps.metadata.labels = svc->metadata.labels;
  eps.subsets = std::move(subsets);
  auto written = existing ? api_.Update(eps) : api_.Create(eps);
  if (!written.ok()) {
    // kConflict / kAlreadyExists: the cache lags; the retry reads it anew.
    return written.status().WithContext("writing the endpoints of " + client::ObjectName(*svc));
  }
  ++(existing ? stats_.updated : stats_.created);
  return Status::Ok();
}

}  // namespace navarch::controllers
