#include "core/registry/registry.h"

#include <algorithm>
#include <optional>

#include "core/api/names.h"
#include "core/api/types.h"
#include "core/api/validation.h"
#include "core/api/well_known.h"
#include "core/registry/defaults.h"

namespace navarch::registry {
namespace {

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"" + items[i] + "\"";
  }
  return out + "]";
}

// --- Services: cluster IPs and node ports -------------------------------------------

bool NeedsClusterIp(const api::Service& s) {
  return s.spec.type != api::kServiceExternalName && s.spec.cluster_ip != "None";
}
bool NeedsNodePorts(const api::Service& s) {
  return s.spec.type == api::kServiceNodePort || s.spec.type == api::kServiceLoadBalancer;
}

// An exhausted range is the server's problem, not the object's: that is
// returned as kUnavailable (HTTP 503), not a field error.
Status AllocateForCreate(ServiceAllocator& alloc, api::Service& svc, Allocation& a,
                         std::vector<api::FieldError>& errs) {
  if (NeedsClusterIp(svc)) {
    auto ip = alloc.AllocateIp(svc.spec.cluster_ip);
    if (ip.code() == Code::kUnavailable) return ip.status();
    if (!ip.ok()) {
      errs.push_back({"spec.clusterIP", ip.status().message()});
    } else {
      svc.spec.cluster_ip = *ip;
      svc.spec.cluster_ips = {*ip};
      a.ips_taken.push_back(*ip);
    }
  } else if (svc.spec.cluster_ip == "None") {
    svc.spec.cluster_ips = {"None"};
  }
  if (NeedsNodePorts(svc)) {
    for (size_t i = 0; i < svc.spec.ports.size(); ++i) {
      auto port = alloc.AllocatePort(svc.spec.ports[i].node_port);
      if (port.code() == Code::kUnavailable) return port.status();
      if (!port.ok()) {
        errs.push_back({"spec.ports[" + std::to_string(i) + "].nodePort", port.status().message()});
      } else {
        svc.spec.ports[i].node_port = *port;
        a.ports_taken.push_back(*port);
      }
    }
  } else {
    for (size_t i = 0; i < svc.spec.ports.size(); ++i) {
      if (svc.spec.ports[i].node_port != 0) {
        errs.push_back({"spec.ports[" + std::to_string(i) + "].nodePort",
                        "Forbidden: may not be used when `type` is '" + svc.spec.type + "'"});
      }
    }
  }
  return Status::Ok();
}

// The cluster IP carries over (it is immutable); node ports carry over by
// port number and protocol or are allocated; ports no longer used are
// released when the write commits.
void AllocateForUpdate(ServiceAllocator& alloc, const api::Service& current, api::Service& next,
                       Allocation& a, std::vector<api::FieldError>& errs) {
  if (next.spec.cluster_ip.empty()) {
    next.spec.cluster_ip = current.spec.cluster_ip;
    next.spec.cluster_ips = current.spec.cluster_ips;
  } else if (next.spec.cluster_ip != current.spec.cluster_ip) {
    errs.push_back(
        {"spec.clusterIP", "Invalid value: \"" + next.spec.cluster_ip + "\": field is immutable"});
  }
  if (next.spec.cluster_ips.empty()) next.spec.cluster_ips = current.spec.cluster_ips;
  if (NeedsNodePorts(next)) {
    for (size_t i = 0; i < next.spec.ports.size(); ++i) {
      auto& p = next.spec.ports[i];
      int32_t old = 0;
      for (const auto& cp : current.spec.ports) {
        if (cp.port == p.port && cp.protocol == p.protocol) old = cp.node_port;
      }
      if (p.node_port == 0 && old != 0) {
        p.node_port = old;
        continue;
      }
      bool held = false;
      for (const auto& cp : current.spec.ports)
        held = held || (p.node_port != 0 && cp.node_port == p.node_port);
      if (held) continue;
      auto port = alloc.AllocatePort(p.node_port);
      if (!port.ok()) {
        errs.push_back({"spec.ports[" + std::to_string(i) + "].nodePort", port.status().message()});
      } else {
        p.node_port = *port;
        a.ports_taken.push_back(*port);
      }
    }
  } else {
    for (auto& p : next.spec.ports)
      p.node_port = 0;
  }
  for (const auto& cp : current.spec.ports) {
    if (!cp.node_port) continue;
    bool kept = false;
    for (const auto& np : next.spec.ports)
      kept = kept || np.node_port == cp.node_port;
    if (!kept) a.ports_dropped.push_back(cp.node_port);
  }
}

// --- Update rules --------------------------------------------------------------------

void PodSpecUpdate(const api::PodSpec& old_spec, const api::PodSpec& new_spec, UpdateKind kind,
                   std::vector<api::FieldError>& errs) {
  if (&old_spec == &new_spec) return;  // one shared spec: nothing changed
  // What a pod update may change is put back to the stored value; anything
  // left different is a change Kubernetes forbids.
  api::PodSpec masked = new_spec;
  if (masked.containers.size() == old_spec.containers.size()) {
    for (size_t i = 0; i < masked.containers.size(); ++i)
      masked.containers[i].image = old_spec.containers[i].image;
  }
  if (masked.init_containers.size() == old_spec.init_containers.size()) {
    for (size_t i = 0; i < masked.init_containers.size(); ++i)
      masked.init_containers[i].image = old_spec.init_containers[i].image;
  }
  masked.active_deadline_seconds = old_spec.active_deadline_seconds;
  if (kind == UpdateKind::kBind && old_spec.node_name.empty()) {
    masked.node_name = old_spec.node_name;
  }
  // Tolerations may only be added to.
  bool tolerations_kept = true;
  for (const auto& t : old_spec.tolerations) {
    tolerations_kept = tolerations_kept &&
                       std::find(new_spec.tolerations.begin(), new_spec.tolerations.end(), t) !=
                           new_spec.tolerations.end();
  }
  if (tolerations_kept) masked.tolerations = old_spec.tolerations;
  if (masked.node_name != old_spec.node_name) {
    errs.push_back({"spec.nodeName",
                    "Forbidden: a pod's node is set once, through the binding subresource "
                    "(pods/binding), and never changed"});
    masked.node_name = old_spec.node_name;
  }
  if (!(masked == old_spec)) {
    errs.push_back(
        {"spec",
         "Forbidden: pod updates may not change fields other than `spec.containers[*].image`, "
         "`spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` "
         "(only additions to existing tolerations)"});
  }
  if (old_spec.active_deadline_seconds && !new_spec.active_deadline_seconds) {
    errs.push_back({"spec.activeDeadlineSeconds",
                    "Invalid value: must not be unset once set (it may only be decreased)"});
  } else if (old_spec.active_deadline_seconds && new_spec.active_deadline_seconds &&
             *new_spec.active_deadline_seconds > *old_spec.active_deadline_seconds) {
    errs.push_back({"spec.activeDeadlineSeconds",
                    "Invalid value: " + std::to_string(*new_spec.active_deadline_seconds) +
                        ": must be less than or equal to the previous value (" +
                        std::to_string(*old_spec.active_deadline_seconds) + ")"});
  }
}

}  // namespace

Status Invalid(const api::Object& obj, const std::vector<api::FieldError>& errors) {
  return Invalid(api::InfoOf(obj.kind()).name,
                 obj.metadata.name.empty() ? obj.metadata.generate_name : obj.metadata.name,
                 errors);
}

Status Invalid(std::string_view kind, std::string_view name,
               const std::vector<api::FieldError>& errors) {
  std::string msg = std::string(kind) + " \"" + std::string(name) + "\" is invalid: ";
  if (errors.size() > 1) msg += "[";
  std::vector<FieldCause> causes;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) msg += ", ";
    if (!errors[i].path.empty()) msg += errors[i].path + ": ";
    msg += errors[i].message;
    causes.push_back({errors[i].path, errors[i].message});
  }
  if (errors.size() > 1) msg += "]";
  return Status(Code::kInvalidArgument, std::move(msg), std::move(causes));
}

std::vector<api::FieldError> ValidateUpdate(const api::Object& current, const api::Object& next,
                                            UpdateKind kind) {
  std::vector<api::FieldError> errs;
  // No new finalizer once deletion started: the object is on its way out.
  if (current.metadata.deletion_timestamp) {
    std::vector<std::string> added;
    for (const auto& f : next.metadata.finalizers) {
      if (std::find(current.metadata.finalizers.begin(), current.metadata.finalizers.end(), f) ==
          current.metadata.finalizers.end()) {
        added.push_back(f);
      }
    }
    if (!added.empty()) {
      errs.push_back({"metadata.finalizers",
                      "Forbidden: no new finalizers can be added if the object is being deleted, "
                      "found new finalizers " +
                          QuotedList(added)});
    }
  }
  // A status write keeps the stored spec; a binding (built by the Api
  // itself) changes spec.nodeName of an unbound pod and nothing else.
  if (kind == UpdateKind::kStatus || kind == UpdateKind::kBind) return errs;
  switch (current.kind()) {
    case api::Kind::kPod:
      PodSpecUpdate(*static_cast<const api::Pod&>(current).spec,
                    *static_cast<const api::Pod&>(next).spec, kind, errs);
      break;
    case api::Kind::kNode: {
      const auto& o = static_cast<const api::Node&>(current).spec;
      const auto& n = static_cast<const api::Node&>(next).spec;
      if (!o.pod_cidr.empty() && n.pod_cidr != o.pod_cidr) {
        errs.push_back({"spec.podCIDR",
                        "Forbidden: node updates may not change podCIDR except from \"\" to "
                        "valid"});
      }
      if (!o.pod_cidrs.empty() && n.pod_cidrs != o.pod_cidrs) {
        errs.push_back({"spec.podCIDRs",
                        "Forbidden: node updates may not change podCIDRs except from \"\" to "
                        "valid"});
      }
      break;
    }
    case api::Kind::kNamespace: {
      const auto& o = static_cast<const api::Namespace&>(current).spec.finalizers;
      const auto& n = static_cast<const api::Namespace&>(next).spec.finalizers;
      for (const auto& f : n) {
        if (std::find(o.begin(), o.end(), f) == o.end()) {
          errs.push_back({"spec.finalizers",
                          "Forbidden: a namespace's finalizers may only be removed (by the "
                          "controller that owns them), not added: \"" +
                              f + "\""});
        }
      }
      break;
    }
    default:
      break;
  }
  return errs;
}

Result<std::shared_ptr<Registry>> Registry::Create(const RegistryOptions& options) {
  NAVARCH_ASSIGN_OR_RETURN(
      auto alloc,
      ServiceAllocator::Create(options.service_cidr, options.node_port_min, options.node_port_max));
  for (const auto* secs : {&options.default_not_ready_toleration_seconds,
                           &options.default_unreachable_toleration_seconds}) {
    if (*secs && **secs < 0) {
      return InvalidArgument(
          "default toleration seconds " + std::to_string(**secs) +
          " must not be negative (0: a pod goes as soon as its node is tainted)");
    }
  }
  return std::shared_ptr<Registry>(new Registry(options, std::move(alloc)));
}

void Registry::AddDefaultTolerations(api::Pod& pod) const {
  auto add = [&](std::string_view key, const std::optional<int64_t>& seconds) {
    if (!seconds) return;
    for (const auto& t : pod.spec->tolerations) {
      if ((t.key == key || t.key.empty()) &&
          (t.effect == api::kEffectNoExecute || t.effect.empty())) {
        return;  // the pod says how long it tolerates this itself
      }
    }
    api::Toleration t;
    t.key = std::string(key);
    t.operator_ = "Exists";
    t.effect = std::string(api::kEffectNoExecute);
    t.toleration_seconds = *seconds;
    pod.spec.Mutable().tolerations.push_back(std::move(t));
  };
  add(api::kTaintNodeNotReady, options_.default_not_ready_toleration_seconds);
  add(api::kTaintNodeUnreachable, options_.default_unreachable_toleration_seconds);
}

Status Registry::AdmitCreate(api::Object& obj, Allocation* alloc) {
  auto* pod = obj.kind() == api::Kind::kPod ? static_cast<api::Pod*>(&obj) : nullptr;
  std::optional<api::Shared<api::PodSpec>> given;
  if (pod) {
    // Pods made from one template (an RC's, a benchmark's) share one spec:
    // it is defaulted once, and the pods share the defaulted one.
    std::lock_guard<std::mutex> lock(memo_mu_);
    if (memo_in_ && pod->spec.SharesWith(*memo_in_)) {
      pod->spec = *memo_out_;
    } else {
      given = pod->spec;
    }
  }
  ApplyDefaults(obj, /*create=*/true);
  if (given) AddDefaultTolerations(*pod);
  if (given && !pod->spec.SharesWith(*given)) {
    std::lock_guard<std::mutex> lock(memo_mu_);
    memo_in_ = std::move(*given);
    memo_out_ = pod->spec;
  }
  auto errs = api::Validate(obj);
  if (!errs.empty()) return Invalid(obj, errs);
  if (auto* svc = obj.kind() == api::Kind::kService ? static_cast<api::Service*>(&obj) : nullptr) {
    Allocation a;
    Status st = AllocateForCreate(*alloc_, *svc, a, errs);
    if (!st.ok() || !errs.empty()) {
      Abort(a);
      return st.ok() ? Invalid(obj, errs) : st;
    }
    if (alloc) *alloc = std::move(a);
  }
  return Status::Ok();
}

Status Registry::AdmitUpdate(const api::Object& current, api::Object& next, UpdateKind kind,
                             Allocation* alloc) {
  std::vector<api::FieldError> errs;
  if (kind == UpdateKind::kBind) {
    // The stored pod was valid and only spec.nodeName changes (as the
    // binding subresource validates only its target).
    const std::string& node = static_cast<const api::Pod&>(next).spec->node_name;
    for (auto& m : api::ValidateDns1123Subdomain(node))
      errs.push_back({"target.name", "Invalid value: \"" + node + "\": " + m});
    if (node.empty()) errs.push_back({"target.name", "Required value"});
    for (auto& e : ValidateUpdate(current, next, kind))
      errs.push_back(std::move(e));
    return errs.empty() ? Status::Ok() : Invalid(next, errs);
  }
  if (kind == UpdateKind::kStatus) {
    errs = ValidateUpdate(current, next, kind);
    for (auto& e : api::ValidateStatus(next))
      errs.push_back(std::move(e));
    if (!errs.empty()) return Invalid(next, errs);
    return Status::Ok();
  }
  if (next.kind() == api::Kind::kNamespace && !current.metadata.deletion_timestamp) {
    // As Kubernetes: spec.finalizers is the namespace controller's, and an
    // update of a live namespace keeps them (only the controller removes
    // them, once the namespace is terminating and empty).
    static_cast<api::Namespace&>(next).spec.finalizers =
        static_cast<const api::Namespace&>(current).spec.finalizers;
  }
  ApplyDefaults(next, /*create=*/false);
  errs = ValidateUpdate(current, next, kind);
  for (auto& e : api::Validate(next))
    errs.push_back(std::move(e));
  if (!errs.empty()) return Invalid(next, errs);
  if (next.kind() == api::Kind::kService) {
    Allocation a;
    AllocateForUpdate(*alloc_, static_cast<const api::Service&>(current),
                      static_cast<api::Service&>(next), a, errs);
    if (!errs.empty()) {
      Abort(a);
      return Invalid(next, errs);
    }
    if (alloc) {
      *alloc = std::move(a);
    } else {
      Commit(a);
    }
  }
  return Status::Ok();
}

void Registry::Commit(const Allocation& alloc) {
  for (int32_t p : alloc.ports_dropped)
    alloc_->ReleasePort(p);
}

void Registry::Abort(const Allocation& alloc) {
  for (const auto& ip : alloc.ips_taken)
    alloc_->ReleaseIp(ip);
  for (int32_t p : alloc.ports_taken)
    alloc_->ReleasePort(p);
}

void Registry::Removed(const api::Object& obj) {
  const auto* svc = api::As<api::Service>(&obj);
  if (!svc) return;
  if (!svc->spec.cluster_ip.empty() && svc->spec.cluster_ip != "None") {
    alloc_->ReleaseIp(svc->spec.cluster_ip);
  }
  for (const auto& p : svc->spec.ports) {
    if (p.node_port) alloc_->ReleasePort(p.node_port);
  }
}

void Registry::Restore(const api::Object& obj) {
  const auto* svc = api::As<api::Service>(&obj);
  if (!svc) return;
  alloc_->MarkIp(svc->spec.cluster_ip);
  for (const auto& p : svc->spec.ports) {
    if (p.node_port) alloc_->MarkPort(p.node_port);
  }
}

}  // namespace navarch::registry
