#include "core/registry/defaults.h"

#include "core/api/types.h"
#include "core/api/well_known.h"

namespace navarch::registry {
namespace {

// Defaulting is lazy: `in` is read, and `mut()` (which may clone a value
// shared with other objects, such as an RC template's spec shared by its
// pods) is only called for a field that needs a default. A spec that is
// already defaulted is never copied.

template <class Mut>
void DefaultProbe(const std::optional<api::Probe>& in, Mut mut) {
  if (!in) return;
  const api::Probe& p = *in;
  if (p.timeout_seconds == 0) mut()->timeout_seconds = 1;
  if (p.period_seconds == 0) mut()->period_seconds = 10;
  if (p.success_threshold == 0) mut()->success_threshold = 1;
  if (p.failure_threshold == 0) mut()->failure_threshold = 3;
  if (p.http_get && p.http_get->scheme.empty()) mut()->http_get->scheme = "HTTP";
  if (p.http_get && p.http_get->path.empty()) mut()->http_get->path = "/";
}

std::string PullPolicyFor(const std::string& image) {
  // The tag is what follows the last ':' after the last '/'; a digest pins it.
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

template <class Mut>
void DefaultContainer(const api::Container& c, Mut mut) {
  // A limit without a request sets the request: the scheduler, the kubelet's
  // admission and the QoS class all read requests only.
  for (const auto& [name, q] : c.resources.limits) {
    if (!c.resources.requests.count(name)) mut().resources.requests.emplace(name, q);
  }
  if (c.image_pull_policy.empty()) mut().image_pull_policy = PullPolicyFor(c.image);
  if (c.termination_message_path.empty()) mut().termination_message_path = "/dev/termination-log";
  if (c.termination_message_policy.empty()) mut().termination_message_policy = "File";
  for (size_t i = 0; i < c.ports.size(); ++i) {
    if (c.ports[i].protocol.empty()) mut().ports[i].protocol = "TCP";
  }
  DefaultProbe(c.liveness_probe,
               [&]() -> std::optional<api::Probe>& { return mut().liveness_probe; });
  DefaultProbe(c.readiness_probe,
               [&]() -> std::optional<api::Probe>& { return mut().readiness_probe; });
  DefaultProbe(c.startup_probe,
               [&]() -> std::optional<api::Probe>& { return mut().startup_probe; });
}

void DefaultPodSpec(api::Shared<api::PodSpec>& shared) {
  const api::PodSpec& s = *shared;
  auto mut = [&]() -> api::PodSpec& { return shared.Mutable(); };
  if (s.restart_policy.empty()) mut().restart_policy = std::string(api::kRestartAlways);
  if (!s.termination_grace_period_seconds) {
    mut().termination_grace_period_seconds = api::kDefaultGracePeriodSeconds;
  }
  if (s.dns_policy.empty()) mut().dns_policy = "ClusterFirst";
  if (s.scheduler_name.empty()) mut().scheduler_name = "default-scheduler";
  for (size_t i = 0; i < s.init_containers.size(); ++i) {
    DefaultContainer(s.init_containers[i],
                     [&]() -> api::Container& { return mut().init_containers[i]; });
  }
  for (size_t i = 0; i < s.containers.size(); ++i) {
    DefaultContainer(s.containers[i], [&]() -> api::Container& { return mut().containers[i]; });
  }
}

}  // namespace

void ApplyDefaults(api::Object& obj, bool create) {
  switch (obj.kind()) {
    case api::Kind::kPod: {
      auto& pod = static_cast<api::Pod&>(obj);
      DefaultPodSpec(pod.spec);
      if (create && pod.status.phase.empty()) pod.status.phase = std::string(api::kPodPending);
      break;
    }
    case api::Kind::kReplicationController: {
      auto& rc = static_cast<api::ReplicationController&>(obj);
      if (!rc.spec.replicas) rc.spec.replicas = 1;
      if (rc.spec.template_) {
        DefaultPodSpec(rc.spec.template_->spec);
        if (rc.spec.selector.empty()) rc.spec.selector = rc.spec.template_->metadata.labels;
      }
      if (obj.metadata.labels.empty() && rc.spec.template_) {
        obj.metadata.labels = rc.spec.template_->metadata.labels;
      }
      break;
    }
    case api::Kind::kService: {
      auto& svc = static_cast<api::Service&>(obj);
      auto& s = svc.spec;
      if (s.type.empty()) s.type = std::string(api::kServiceClusterIp);
      if (s.session_affinity.empty()) s.session_affinity = "None";
      if (s.type != api::kServiceExternalName) {
        if (s.internal_traffic_policy.empty()) s.internal_traffic_policy = "Cluster";
        if (s.ip_families.empty()) s.ip_families = {"IPv4"};
        if (!s.ip_family_policy) s.ip_family_policy = "SingleStack";
      }
      if ((s.type == api::kServiceNodePort || s.type == api::kServiceLoadBalancer) &&
          s.external_traffic_policy.empty()) {
        s.external_traffic_policy = "Cluster";
      }
      for (auto& p : s.ports) {
        if (p.protocol.empty()) p.protocol = "TCP";
        if (p.target_port.is_int() && p.target_port.int_val == 0) p.target_port = p.port;
      }
      break;
    }
    case api::Kind::kNamespace: {
      auto& ns = static_cast<api::Namespace&>(obj);
      if (create && ns.spec.finalizers.empty()) {
        ns.spec.finalizers = {std::string(api::kFinalizerKubernetes)};
      }
      if (ns.status.phase.empty()) ns.status.phase = std::string(api::kNamespaceActive);
      // As Kubernetes (1.21+) labels every namespace with its own name.
      if (!ns.metadata.name.empty()) {
        ns.metadata.labels[std::string(api::kLabelNamespaceName)] = ns.metadata.name;
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace navarch::registry
