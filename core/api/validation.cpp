#include "core/api/validation.h"

#include <algorithm>
#include <initializer_list>
#include <set>

#include "core/api/codec_internal.h"
#include "core/api/names.h"
#include "core/api/types.h"

namespace navarch::api {
namespace {

constexpr size_t kMaxAnnotationsBytes = 256 * 1024;

std::string Quote(std::string_view s) {
  return QuoteForMessage(s);
}

std::string Join(std::initializer_list<std::string_view> values) {
  std::string out;
  for (std::string_view v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

class Validator {
 public:
  std::vector<FieldError> errors;

  void Add(std::string path, std::string message) {
    errors.push_back({std::move(path), std::move(message)});
  }
  void AddAll(const std::string& path, const std::vector<std::string>& messages) {
    for (const std::string& m : messages)
      Add(path, m);
  }

  // `value` must be one of `allowed`; empty is accepted when `empty_ok`.
  void OneOf(const std::string& path, std::string_view value,
             std::initializer_list<std::string_view> allowed, bool empty_ok = true) {
    if (value.empty() && empty_ok) return;
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return;
    if (value.empty()) {
      Add(path, "required: want one of " + Join(allowed));
    } else {
      Add(path, "unsupported value " + Quote(value) + ": want one of " + Join(allowed));
    }
  }

  void Range(const std::string& path, int64_t value, int64_t lo, int64_t hi) {
    if (value < lo || value > hi) {
      Add(path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                    std::to_string(value));
    }
  }

  void NonNegative(const std::string& path, int64_t value) {
    if (value < 0) {
      Add(path, "must be greater than or equal to 0, got " + std::to_string(value));
    }
  }

  // A duration in seconds that timers are set from: bounded so that adding
  // it to a time cannot overflow.
  void Seconds(const std::string& path, int64_t value, bool zero_ok) {
    if (value < 0 || (value == 0 && !zero_ok)) {
      Add(path, std::string(zero_ok ? "must be greater than or equal to 0" : "must be positive") +
                    ", got " + std::to_string(value));
    } else if (value > kMaxDurationSeconds) {
      Add(path, "must be at most " + std::to_string(kMaxDurationSeconds) + " (100 years), got " +
                    std::to_string(value));
    }
  }

  void Labels(const std::string& path, const std::map<std::string, std::string>& labels) {
    for (const auto& [k, v] : labels) {
      std::string p = path + "." + k;
      AddAll(p, ValidateLabelKey(k));
      AddAll(p, ValidateLabelValue(v));
    }
  }

  void Annotations(const std::string& path, const Annotations& annotations) {
    size_t total = 0;
    for (const auto& [k, v] : annotations) {
      AddAll(path + "." + k, ValidateLabelKey(k));
      total += k.size() + v.size();
    }
    if (total > kMaxAnnotationsBytes) {
      Add(path, "annotations must total at most " + std::to_string(kMaxAnnotationsBytes) +
                    " bytes, they have " + std::to_string(total));
    }
  }

  // A port number or an IANA service name ("http"), as in targetPort and
  // probe ports.
  void PortOrName(const std::string& path, const IntOrString& port, bool zero_ok) {
    if (port.is_int()) {
      if (port.int_val == 0 && zero_ok) return;
      Range(path, port.int_val, 1, 65535);
      return;
    }
    std::string problem = ServiceNameProblem(port.str_val);
    if (!problem.empty()) {
      Add(path, "invalid port name " + Quote(port.str_val) + ": " + problem +
                    "; want a number between 1 and 65535 or a name of at most 15 lower-case "
                    "letters, digits and '-' with at least one letter");
    }
  }

  // IANA service names: 1-15 characters of [a-z0-9-], at least one letter,
  // no '-' at either end and no "--".
  static std::string ServiceNameProblem(std::string_view s) {
    if (s.empty()) return "it must not be empty";
    if (s.size() > 15) return "it has " + std::to_string(s.size()) + " characters";
    bool letter = false;
    for (char c : s) {
      if (c >= 'a' && c <= 'z') {
        letter = true;
      } else if (!(c >= '0' && c <= '9') && c != '-') {
        return "it contains " + std::string(1, c);
      }
    }
    if (!letter) return "it has no letter";
    if (s.front() == '-' || s.back() == '-') return "it starts or ends with '-'";
    if (s.find("--") != std::string_view::npos) return "it contains \"--\"";
    return {};
  }

  void Protocol(const std::string& path, std::string_view protocol) {
    OneOf(path, protocol, {"TCP", "UDP", "SCTP"});
  }

  void Meta(const ObjectMeta& m, Kind kind) {
    const KindInfo& info = InfoOf(kind);
    bool label_name = kind == Kind::kService || kind == Kind::kNamespace;
    auto name_check = label_name ? ValidateDns1123Label : ValidateDns1123Subdomain;
    if (m.name.empty()) {
      if (m.generate_name.empty()) {
        Add("metadata.name", "required: set metadata.name (or metadata.generateName)");
      }
    } else {
      AddAll("metadata.name", name_check(m.name));
    }
    if (!m.generate_name.empty()) {
      // A generated name is the prefix plus a random suffix: check the prefix
      // as if a suffix character followed it.
      std::string masked = m.generate_name;
      if (masked.back() == '-') masked.back() = 'a';
      AddAll("metadata.generateName", name_check(masked));
    }
    if (info.namespaced) {
      if (!m.namespace_.empty()) AddAll("metadata.namespace", ValidateDns1123Label(m.namespace_));
    } else if (!m.namespace_.empty()) {
      Add("metadata.namespace",
          "not allowed: " + std::string(info.name) + " is not namespaced; remove it");
    }
    NonNegative("metadata.generation", m.generation);
    if (m.deletion_grace_period_seconds) {
      Seconds("metadata.deletionGracePeriodSeconds", *m.deletion_grace_period_seconds, true);
    }
    Labels("metadata.labels", m.labels);
    Annotations("metadata.annotations", m.annotations);
    for (size_t i = 0; i < m.owner_references.size(); ++i) {
      const OwnerReference& r = m.owner_references[i];
      std::string p = "metadata.ownerReferences[" + std::to_string(i) + "]";
      if (r.api_version.empty()) Add(p + ".apiVersion", "required");
      if (r.kind.empty()) Add(p + ".kind", "required");
      if (r.name.empty()) Add(p + ".name", "required");
      if (r.uid.empty()) Add(p + ".uid", "required");
    }
  }

  void Probe(const std::string& path, const api::Probe& p, bool liveness_or_startup) {
    int handlers =
        int(p.exec.has_value()) + int(p.http_get.has_value()) + int(p.tcp_socket.has_value());
    if (handlers == 0) {
      Add(path, "must specify a handler: one of exec, httpGet or tcpSocket");
    } else if (handlers > 1) {
      Add(path, "may not specify more than one handler (exec, httpGet, tcpSocket)");
    }
    if (p.exec && p.exec->command.empty()) Add(path + ".exec.command", "required");
    if (p.http_get) {
      PortOrName(path + ".httpGet.port", p.http_get->port, false);
      OneOf(path + ".httpGet.scheme", p.http_get->scheme, {"HTTP", "HTTPS"});
    }
    if (p.tcp_socket) PortOrName(path + ".tcpSocket.port", p.tcp_socket->port, false);
    NonNegative(path + ".initialDelaySeconds", p.initial_delay_seconds);
    auto positive = [&](const char* field, int32_t v) {
      if (v < 0) {
        Add(path + "." + field, "must be positive (or unset), got " + std::to_string(v));
      }
    };
    positive("timeoutSeconds", p.timeout_seconds);
    positive("periodSeconds", p.period_seconds);
    positive("successThreshold", p.success_threshold);
    positive("failureThreshold", p.failure_threshold);
    if (liveness_or_startup && p.success_threshold > 1) {
      Add(path + ".successThreshold",
          "must be 1 for liveness and startup probes, got " + std::to_string(p.success_threshold));
    }
    if (p.termination_grace_period_seconds) {
      Seconds(path + ".terminationGracePeriodSeconds", *p.termination_grace_period_seconds, false);
    }
  }

  void Resources(const std::string& path, const ResourceRequirements& r) {
    for (const auto& [name, q] : r.limits) {
      if (q.Sign() < 0) {
        Add(path + ".limits." + name, "must be greater than or equal to 0, got " + q.ToString());
      }
    }
    for (const auto& [name, q] : r.requests) {
      if (q.Sign() < 0) {
        Add(path + ".requests." + name, "must be greater than or equal to 0, got " + q.ToString());
      }
      auto limit = r.limits.find(name);
      if (limit != r.limits.end() && q > limit->second) {
        Add(path + ".requests." + name, "must be less than or equal to the " + name + " limit of " +
                                            limit->second.ToString() + ", got " + q.ToString());
      }
    }
  }

  void Container(const std::string& path, const api::Container& c,
                 const std::set<std::string>& volumes) {
    if (c.name.empty()) {
      Add(path + ".name", "required");
    } else {
      AddAll(path + ".name", ValidateDns1123Label(c.name));
    }
    if (c.image.empty()) Add(path + ".image", "required: the container image to run, e.g. nginx");
    std::set<std::string> port_names;
    for (size_t i = 0; i < c.ports.size(); ++i) {
      const ContainerPort& p = c.ports[i];
      std::string pp = path + ".ports[" + std::to_string(i) + "]";
      Range(pp + ".containerPort", p.container_port, 1, 65535);
      Range(pp + ".hostPort", p.host_port, 0, 65535);
      Protocol(pp + ".protocol", p.protocol);
      if (!p.name.empty()) {
        std::string problem = ServiceNameProblem(p.name);
        if (!problem.empty()) {
          Add(pp + ".name", "invalid port name " + Quote(p.name) + ": " + problem +
                                "; want at most 15 lower-case letters, digits and '-' with at "
                                "least one letter");
        } else if (!port_names.insert(p.name).second) {
          Add(pp + ".name", "duplicate port name " + Quote(p.name));
        }
      }
    }
    for (size_t i = 0; i < c.env.size(); ++i) {
      const EnvVar& e = c.env[i];
      std::string ep = path + ".env[" + std::to_string(i) + "]";
      if (e.name.empty()) Add(ep + ".name", "required");
      if (e.value_from) {
        if (!e.value.empty()) {
          Add(ep + ".valueFrom", "may not be specified when `value` is not empty");
        }
        const EnvVarSource& s = *e.value_from;
        int sources = int(s.field_ref.has_value()) + int(s.resource_field_ref.has_value()) +
                      int(s.config_map_key_ref.has_value()) + int(s.secret_key_ref.has_value());
        if (sources != 1) {
          Add(ep + ".valueFrom",
              "must specify exactly one of fieldRef, resourceFieldRef, configMapKeyRef or "
              "secretKeyRef");
        }
        if (s.field_ref && s.field_ref->field_path.empty()) {
          Add(ep + ".valueFrom.fieldRef.fieldPath", "required");
        }
      }
    }
    Resources(path + ".resources", c.resources);
    for (size_t i = 0; i < c.volume_mounts.size(); ++i) {
      const VolumeMount& m = c.volume_mounts[i];
      std::string mp = path + ".volumeMounts[" + std::to_string(i) + "]";
      if (m.name.empty()) {
        Add(mp + ".name", "required");
      } else if (!volumes.contains(m.name)) {
        Add(mp + ".name", "not found: no volume named " + Quote(m.name) + " in spec.volumes");
      }
      if (m.mount_path.empty()) Add(mp + ".mountPath", "required");
    }
    if (c.liveness_probe) Probe(path + ".livenessProbe", *c.liveness_probe, true);
    if (c.readiness_probe) Probe(path + ".readinessProbe", *c.readiness_probe, false);
    if (c.startup_probe) Probe(path + ".startupProbe", *c.startup_probe, true);
    OneOf(path + ".imagePullPolicy", c.image_pull_policy, {"Always", "IfNotPresent", "Never"});
    OneOf(path + ".terminationMessagePolicy", c.termination_message_policy,
          {"File", "FallbackToLogsOnError"});
  }

  void Toleration(const std::string& path, const api::Toleration& t) {
    if (!t.key.empty()) AddAll(path + ".key", ValidateLabelKey(t.key));
    OneOf(path + ".operator", t.operator_, {"Exists", "Equal"});
    if (t.key.empty() && t.operator_ != "Exists") {
      Add(path + ".operator", "must be Exists when `key` is empty (a toleration of every taint)");
    }
    if (t.operator_ == "Exists" && !t.value.empty()) {
      Add(path + ".value", "must be empty when `operator` is Exists");
    }
    OneOf(path + ".effect", t.effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    if (t.toleration_seconds && t.effect != "NoExecute") {
      Add(path + ".tolerationSeconds", "may only be set when `effect` is NoExecute");
    }
    // Zero and negative mean "evict at once", as in Kubernetes.
    if (t.toleration_seconds && *t.toleration_seconds > kMaxDurationSeconds) {
      Add(path + ".tolerationSeconds", "must be at most " + std::to_string(kMaxDurationSeconds) +
                                           " (100 years), got " +
                                           std::to_string(*t.toleration_seconds));
    }
  }

  void PodSpec(const std::string& path, const api::PodSpec& s) {
    std::set<std::string> volumes;
    for (size_t i = 0; i < s.volumes.size(); ++i) {
      const Volume& v = s.volumes[i];
      std::string vp = path + ".volumes[" + std::to_string(i) + "]";
      if (v.name.empty()) {
        Add(vp + ".name", "required");
      } else {
        AddAll(vp + ".name", ValidateDns1123Label(v.name));
        if (!volumes.insert(v.name).second) Add(vp + ".name", "duplicate volume " + Quote(v.name));
      }
      int sources = int(v.host_path.has_value()) + int(v.empty_dir.has_value()) +
                    int(v.secret.has_value()) + int(v.persistent_volume_claim.has_value()) +
                    int(v.config_map.has_value());
      if (sources > 1) Add(vp, "may not specify more than one volume source");
      if (v.host_path && v.host_path->path.empty()) Add(vp + ".hostPath.path", "required");
      if (v.empty_dir) OneOf(vp + ".emptyDir.medium", v.empty_dir->medium, {"Memory"});
      if (v.secret && v.secret->secret_name.empty()) Add(vp + ".secret.secretName", "required");
      if (v.config_map && v.config_map->name.empty()) Add(vp + ".configMap.name", "required");
    }
    if (s.containers.empty()) {
      Add(path + ".containers", "required: a pod needs at least one container");
    }
    std::map<std::string, std::string> names;  // container name -> path of its first use
    auto containers = [&](const std::vector<api::Container>& list, const char* field) {
      for (size_t i = 0; i < list.size(); ++i) {
        std::string cp = path + "." + field + "[" + std::to_string(i) + "]";
        Container(cp, list[i], volumes);
        if (list[i].name.empty()) continue;
        auto [it, added] = names.emplace(list[i].name, cp);
        if (!added) {
          Add(cp + ".name",
              "duplicate container name " + Quote(list[i].name) + " (also " + it->second + ")");
        }
      }
    };
    containers(s.init_containers, "initContainers");
    containers(s.containers, "containers");
    OneOf(path + ".restartPolicy", s.restart_policy, {"Always", "OnFailure", "Never"});
    OneOf(path + ".dnsPolicy", s.dns_policy,
          {"ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"});
    if (s.termination_grace_period_seconds) {
      Seconds(path + ".terminationGracePeriodSeconds", *s.termination_grace_period_seconds, true);
    }
    if (s.active_deadline_seconds) {
      Seconds(path + ".activeDeadlineSeconds", *s.active_deadline_seconds, false);
    }
    Labels(path + ".nodeSelector", s.node_selector);
    if (!s.node_name.empty()) AddAll(path + ".nodeName", ValidateDns1123Subdomain(s.node_name));
    if (!s.hostname.empty()) AddAll(path + ".hostname", ValidateDns1123Label(s.hostname));
    if (!s.subdomain.empty()) AddAll(path + ".subdomain", ValidateDns1123Label(s.subdomain));
    if (!s.service_account_name.empty()) {
      AddAll(path + ".serviceAccountName", ValidateDns1123Subdomain(s.service_account_name));
    }
    for (size_t i = 0; i < s.tolerations.size(); ++i) {
      Toleration(path + ".tolerations[" + std::to_string(i) + "]", s.tolerations[i]);
    }
  }

  void Pod(const api::Pod& pod) {
    PodSpec("spec", pod.spec);
    PodStatus(pod.status);
  }

  void PodStatus(const api::PodStatus& status) {
    OneOf("status.phase", status.phase,
          {kPodPending, kPodRunning, kPodSucceeded, kPodFailed, kPodUnknown});
  }

  void ReplicationController(const api::ReplicationController& rc) {
    const ReplicationControllerSpec& s = rc.spec;
    if (s.replicas) NonNegative("spec.replicas", *s.replicas);
    NonNegative("spec.minReadySeconds", s.min_ready_seconds);
    if (s.selector.empty()) {
      Add("spec.selector", "required: the labels of the pods to manage, e.g. app: web");
    }
    Labels("spec.selector", s.selector);
    if (!s.template_) {
      Add("spec.template", "required: the pod template to create replicas from");
      return;
    }
    const PodTemplateSpec& t = *s.template_;
    Labels("spec.template.metadata.labels", t.metadata.labels);
    Annotations("spec.template.metadata.annotations", t.metadata.annotations);
    if (!s.selector.empty()) {
      std::string missing;
      for (const auto& [k, v] : s.selector) {
        auto it = t.metadata.labels.find(k);
        if (it == t.metadata.labels.end() || it->second != v) {
          if (!missing.empty()) missing += ", ";
          missing += k + "=" + v;
        }
      }
      if (!missing.empty()) {
        Add("spec.template.metadata.labels",
            "selector does not match template labels: the template needs " + missing);
      }
    }
    PodSpec("spec.template.spec", t.spec);
    if (!t.spec->restart_policy.empty() && t.spec->restart_policy != kRestartAlways) {
      Add("spec.template.spec.restartPolicy",
          "unsupported value " + Quote(t.spec->restart_policy) +
              ": a replication controller's pods must use Always");
    }
  }

  void Service(const api::Service& svc) {
    const ServiceSpec& s = svc.spec;
    OneOf("spec.type", s.type,
          {kServiceClusterIp, kServiceNodePort, kServiceLoadBalancer, kServiceExternalName});
    bool external_name = s.type == kServiceExternalName;
    bool headless = s.cluster_ip == "None";
    if (external_name && s.external_name.empty()) {
      Add("spec.externalName", "required when `type` is ExternalName");
    }
    if (s.ports.empty() && !external_name && !headless) {
      Add("spec.ports", "required: at least one port, e.g. - port: 80");
    }
    std::set<std::string> names;
    for (size_t i = 0; i < s.ports.size(); ++i) {
      const ServicePort& p = s.ports[i];
      std::string pp = "spec.ports[" + std::to_string(i) + "]";
      if (p.name.empty()) {
        if (s.ports.size() > 1) Add(pp + ".name", "required when there is more than one port");
      } else {
        AddAll(pp + ".name", ValidateDns1123Label(p.name));
        if (!names.insert(p.name).second) Add(pp + ".name", "duplicate port name " + Quote(p.name));
      }
      Range(pp + ".port", p.port, 1, 65535);
      Protocol(pp + ".protocol", p.protocol);
      PortOrName(pp + ".targetPort", p.target_port, true);
      Range(pp + ".nodePort", p.node_port, 0, 65535);
      if (p.node_port != 0 && s.type != kServiceNodePort && s.type != kServiceLoadBalancer) {
        Add(pp + ".nodePort", "may only be set when `type` is NodePort or LoadBalancer");
      }
    }
    Labels("spec.selector", s.selector);
    OneOf("spec.sessionAffinity", s.session_affinity, {"None", "ClientIP"});
    OneOf("spec.externalTrafficPolicy", s.external_traffic_policy, {"Cluster", "Local"});
    OneOf("spec.internalTrafficPolicy", s.internal_traffic_policy, {"Cluster", "Local"});
    if (s.ip_family_policy) {
      OneOf("spec.ipFamilyPolicy", *s.ip_family_policy,
            {"SingleStack", "PreferDualStack", "RequireDualStack"}, false);
    }
    for (size_t i = 0; i < s.ip_families.size(); ++i) {
      OneOf("spec.ipFamilies[" + std::to_string(i) + "]", s.ip_families[i], {"IPv4", "IPv6"},
            false);
    }
  }

  void Node(const api::Node& node) {
    std::set<std::pair<std::string, std::string>> seen;
    for (size_t i = 0; i < node.spec.taints.size(); ++i) {
      const Taint& t = node.spec.taints[i];
      std::string tp = "spec.taints[" + std::to_string(i) + "]";
      if (t.key.empty()) {
        Add(tp + ".key", "required");
      } else {
        AddAll(tp + ".key", ValidateLabelKey(t.key));
      }
      if (!t.value.empty()) AddAll(tp + ".value", ValidateLabelValue(t.value));
      OneOf(tp + ".effect", t.effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"}, false);
      if (!seen.emplace(t.key, t.effect).second) {
        Add(tp, "duplicate taint " + Quote(t.key + ":" + t.effect) +
                    ": a key may be used once per effect");
      }
    }
    NodeStatus(node.status);
  }

  void NodeStatus(const api::NodeStatus& status) {
    for (const auto* list : {&status.capacity, &status.allocatable}) {
      std::string base = list == &status.capacity ? "status.capacity." : "status.allocatable.";
      for (const auto& [name, q] : *list) {
        if (q.Sign() < 0) {
          Add(base + name, "must be greater than or equal to 0, got " + q.ToString());
        }
      }
    }
  }

  void Endpoints(const api::Endpoints& ep) {
    for (size_t i = 0; i < ep.subsets.size(); ++i) {
      const EndpointSubset& s = ep.subsets[i];
      std::string sp = "subsets[" + std::to_string(i) + "]";
      auto addresses = [&](const std::vector<EndpointAddress>& list, const char* field) {
        for (size_t j = 0; j < list.size(); ++j) {
          if (list[j].ip.empty())
            Add(sp + "." + field + "[" + std::to_string(j) + "].ip", "required");
        }
      };
      addresses(s.addresses, "addresses");
      addresses(s.not_ready_addresses, "notReadyAddresses");
      std::set<std::string> names;
      for (size_t j = 0; j < s.ports.size(); ++j) {
        const EndpointPort& p = s.ports[j];
        std::string pp = sp + ".ports[" + std::to_string(j) + "]";
        Range(pp + ".port", p.port, 1, 65535);
        Protocol(pp + ".protocol", p.protocol);
        if (p.name.empty() && s.ports.size() > 1) {
          Add(pp + ".name", "required when there is more than one port");
        } else if (!p.name.empty() && !names.insert(p.name).second) {
          Add(pp + ".name", "duplicate port name " + Quote(p.name));
        }
      }
    }
  }

  void Event(const api::Event& ev) {
    if (ev.involved_object.kind.empty() && ev.involved_object.name.empty()) {
      Add("involvedObject", "required: the kind and name of the object the event is about");
    }
    OneOf("type", ev.type, {kEventNormal, kEventWarning});
    NonNegative("count", ev.count);
  }

  void Namespace(const api::Namespace& ns) {
    OneOf("status.phase", ns.status.phase, {"Active", "Terminating"});
  }
};

}  // namespace

std::vector<FieldError> Validate(const Object& obj) {
  Validator v;
  v.Meta(obj.metadata, obj.kind());
  switch (obj.kind()) {
    case Kind::kPod:
      v.Pod(static_cast<const Pod&>(obj));
      break;
    case Kind::kNode:
      v.Node(static_cast<const Node&>(obj));
      break;
    case Kind::kReplicationController:
      v.ReplicationController(static_cast<const ReplicationController&>(obj));
      break;
    case Kind::kService:
      v.Service(static_cast<const Service&>(obj));
      break;
    case Kind::kEndpoints:
      v.Endpoints(static_cast<const Endpoints&>(obj));
      break;
    case Kind::kEvent:
      v.Event(static_cast<const Event&>(obj));
      break;
    case Kind::kNamespace:
      v.Namespace(static_cast<const Namespace&>(obj));
      break;
  }
  return std::move(v.errors);
}

std::vector<FieldError> ValidateStatus(const Object& obj) {
  Validator v;
  switch (obj.kind()) {
    case Kind::kPod:
      v.PodStatus(static_cast<const Pod&>(obj).status);
      break;
    case Kind::kNode:
      v.NodeStatus(static_cast<const Node&>(obj).status);
      break;
    case Kind::kNamespace:
      v.Namespace(static_cast<const Namespace&>(obj));
      break;
    case Kind::kReplicationController:
    case Kind::kService:
    case Kind::kEndpoints:
    case Kind::kEvent:
      break;  // Validate() checks nothing in their status
  }
  return std::move(v.errors);
}

std::string FormatErrors(const std::vector<FieldError>& errors, const Document& doc,
                         std::string_view source) {
  std::string out;
  for (const FieldError& e : errors) {
    if (!out.empty()) out += '\n';
    out += internal::FormatProblem(source, internal::LineOf(doc.field_lines, e.path, doc.line),
                                   e.path, e.message);
  }
  return out;
}

}  // namespace navarch::api
