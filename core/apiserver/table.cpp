// Table rendering (see table.h). The cell logic mirrors what kube-apiserver's
// printers show for each v1 kind.

#include "core/apiserver/table.h"
#include "core/api/well_known.h"
#include "core/base/strings.h"

#include <algorithm>
#include <set>
#include <string_view>

#include <boost/json.hpp>

#include "core/api/types.h"

namespace navarch::apiserver {

namespace json = boost::json;

namespace {

constexpr std::string_view kNone = "<none>";

struct Column {
  std::string_view name;
  std::string_view type;  // "string" or "integer"
  std::string_view format;
  std::string_view description;
  int priority = 0;
};

constexpr std::string_view kNameDoc =
    "Name must be unique within a namespace. It is the object's key in URLs.";
constexpr std::string_view kAgeDoc =
    "Time since the object was created (its metadata.creationTimestamp).";

Column NameColumn() {
  return {"Name", "string", "name", kNameDoc, 0};
}
Column AgeColumn() {
  return {"Age", "string", "", kAgeDoc, 0};
}

std::vector<Column> ColumnsOf(api::Kind kind) {
  using api::Kind;
  switch (kind) {
    case Kind::kPod:
      return {
          NameColumn(),
          {"Ready", "string", "",
           "The aggregate readiness state of this pod for accepting "
           "traffic: ready containers / containers.",
           0},
          {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
          {"Restarts", "string", "",
           "The number of times the containers in this pod have "
           "been restarted, and when the last one restarted.",
           0},
          AgeColumn(),
          {"IP", "string", "", "The IP address allocated to the pod.", 1},
          {"Node", "string", "", "The node the pod is bound to.", 1},
          {"Nominated Node", "string", "", "The node a preempting pod is expected to run on.", 1},
          {"Readiness Gates", "string", "", "Additional conditions the pod's readiness depends on.",
           1}};
    case Kind::kReplicationController:
      return {NameColumn(),
              {"Desired", "integer", "", "Number of replicas requested (spec.replicas).", 0},
              {"Current", "integer", "", "Number of replicas observed (status.replicas).", 0},
              {"Ready", "integer", "", "Number of ready replicas (status.readyReplicas).", 0},
              AgeColumn(),
              {"Containers", "string", "", "Names of each container in the template.", 1},
              {"Images", "string", "", "Images of each container in the template.", 1},
              {"Selector", "string", "", "Label selector of the pods the controller owns.", 1}};
    case Kind::kService:
      return {
          NameColumn(),
          {"Type", "string", "", "How the service is exposed (spec.type).", 0},
          {"Cluster-IP", "string", "", "The virtual IP of the service in the cluster.", 0},
          {"External-IP", "string", "",
           "External addresses: external IPs and load balancer ingress.", 0},
          {"Port(s)", "string", "", "The ports the service exposes (port[:nodePort]/proto).", 0},
          AgeColumn(),
          {"Selector", "string", "", "Label selector of the pods behind the service.", 1}};
    case Kind::kNode:
      return {NameColumn(),
              {"Status", "string", "", "The status of the node (its Ready condition).", 0},
              {"Roles", "string", "", "The roles of the node (node-role.kubernetes.io labels).", 0},
              AgeColumn(),
              {"Version", "string", "", "Kubelet version reported by the node.", 0},
              {"Internal-IP", "string", "", "The node's first InternalIP address.", 1},
              {"External-IP", "string", "", "The node's first ExternalIP address.", 1},
              {"OS-Image", "string", "", "OS image reported by the node.", 1},
              {"Kernel-Version", "string", "", "Kernel version reported by the node.", 1},
              {"Container-Runtime", "string", "", "Container runtime reported by the node.", 1}};
    case Kind::kEndpoints:
      return {NameColumn(),
              {"Endpoints", "string", "", "Endpoints of the service (address:port).", 0},
              AgeColumn()};
    case Kind::kNamespace:
      return {NameColumn(),
              {"Status", "string", "", "The phase of the namespace (Active, Terminating).", 0},
              AgeColumn()};
    case Kind::kEvent:
      return {{"Last Seen", "string", "", "Time since the event was last observed.", 0},
              {"Type", "string", "", "Normal or Warning.", 0},
              {"Reason", "string", "", "Short, machine-readable reason for the event.", 0},
              {"Object", "string", "", "The object the event is about (kind/name).", 0},
              {"Subobject", "string", "", "The part of the object (fieldPath).", 1},
              {"Source", "string", "", "The component that reported the event.", 1},
              {"Message", "string", "", "Human-readable description of the event.", 0},
              {"First Seen", "string", "", "Time since the event was first observed.", 1},
              {"Count", "string", "", "Number of times the event occurred.", 1},
              {"Name", "string", "name", kNameDoc, 1}};
  }
  return {NameColumn(), AgeColumn()};
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += sep;
    }
    out += parts[i];
  }
  return out;
}

// "k=v,k2=v2" in key order, or "<none>".
std::string FormatLabels(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) {
    parts.push_back(k + "=" + v);
  }
  std::string out = Join(parts, ",");
  return out.empty() ? std::string(kNone) : out;
}

std::string OrNone(const std::string& s) {
  return s.empty() ? std::string(kNone) : s;
}

std::string OrUnknown(const std::string& s) {
  return s.empty() ? std::string("<unknown>") : s;
}

bool HasTrueCondition(const api::PodStatus& status, std::string_view type) {
  for (const api::PodCondition& c : status.conditions) {
    if (c.type == type) {
      return c.status == "True";
    }
  }
  return false;
}

json::array PodCells(const api::Pod& pod, Time now) {
  int restarts = 0;
  int ready = 0;
  int total = static_cast<int>(pod.spec->containers.size());
  Time last_restart;
  std::string reason = pod.status.phase;
  if (!pod.status.reason.empty()) {
    reason = pod.status.reason;
  }
  auto note_restart = [&](const api::ContainerStatus& c) {
    restarts += c.restart_count;
    if (c.last_state.terminated && c.last_state.terminated->finished_at > last_restart) {
      last_restart = c.last_state.terminated->finished_at;
    }
  };

  bool initializing = false;
  for (std::size_t i = 0; i < pod.status.init_container_statuses.size(); ++i) {
    const api::ContainerStatus& c = pod.status.init_container_statuses[i];
    note_restart(c);
    const auto& terminated = c.state.terminated;
    const auto& waiting = c.state.waiting;
    if (terminated && terminated->exit_code == 0) {
      continue;
    }
    if (terminated) {
      if (terminated->reason.empty()) {
        reason = terminated->signal != 0 ? "Init:Signal:" + std::to_string(terminated->signal)
                                         : "Init:ExitCode:" + std::to_string(terminated->exit_code);
      } else {
        reason = "Init:" + terminated->reason;
      }
    } else if (waiting && !waiting->reason.empty() && waiting->reason != "PodInitializing") {
      reason = "Init:" + waiting->reason;
    } else {
      reason = "Init:" + std::to_string(i) + "/" + std::to_string(pod.spec->init_containers.size());
    }
    initializing = true;
    break;
  }

  if (!initializing || HasTrueCondition(pod.status, "Initialized")) {
    // Restarts of init containers count only while the pod initialises.
    restarts = 0;
    last_restart = Time();
    bool has_running = false;
    for (auto it = pod.status.container_statuses.rbegin();
         it != pod.status.container_statuses.rend(); ++it) {
      const api::ContainerStatus& c = *it;
      note_restart(c);
      const auto& terminated = c.state.terminated;
      const auto& waiting = c.state.waiting;
      if (waiting && !waiting->reason.empty()) {
        reason = waiting->reason;
      } else if (terminated && !terminated->reason.empty()) {
        reason = terminated->reason;
      } else if (terminated) {
        reason = terminated->signal != 0 ? "Signal:" + std::to_string(terminated->signal)
                                         : "ExitCode:" + std::to_string(terminated->exit_code);
      } else if (c.ready && c.state.running) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      reason = HasTrueCondition(pod.status, "Ready") ? "Running" : "NotReady";
    }
  }

  bool terminal = api::IsTerminalPhase(pod.status.phase);
  if (pod.metadata.deletion_timestamp && pod.status.reason == "NodeLost") {
    reason = "Unknown";
  } else if (pod.metadata.deletion_timestamp && !terminal) {
    reason = "Terminating";
  }

  std::string restarts_cell = std::to_string(restarts);
  if (restarts != 0 && last_restart != Time()) {
    restarts_cell += " (" + AgeSince(last_restart, now) + " ago)";
  }
  std::string ip = !pod.status.pod_ips.empty() ? pod.status.pod_ips[0].ip : pod.status.pod_ip;
  return json::array{pod.metadata.name,
                     std::to_string(ready) + "/" + std::to_string(total),
                     reason,
                     restarts_cell,
                     AgeSince(pod.metadata.creation_timestamp, now),
                     OrNone(ip),
                     OrNone(pod.spec->node_name),
                     kNone,   // nominated node: navarch's scheduler does not nominate
                     kNone};  // readiness gates: not in navarch's PodSpec
}

json::array ReplicationControllerCells(const api::ReplicationController& rc, Time now) {
  std::vector<std::string> names;
  std::vector<std::string> images;
  if (rc.spec.template_) {
    for (const api::Container& c : rc.spec.template_->spec->containers) {
      names.push_back(c.name);
      images.push_back(c.image);
    }
  }
  return json::array{rc.metadata.name,
                     static_cast<int64_t>(rc.spec.replicas.value_or(1)),
                     static_cast<int64_t>(rc.status.replicas),
                     static_cast<int64_t>(rc.status.ready_replicas),
                     AgeSince(rc.metadata.creation_timestamp, now),
                     Join(names, ","),
                     Join(images, ","),
                     FormatLabels(rc.spec.selector)};
}

std::string ServiceExternalIp(const api::Service& svc, std::string_view type) {
  std::string external_ips = Join(svc.spec.external_ips, ",");
  if (type == api::kServiceClusterIp || type == api::kServiceNodePort) {
    return OrNone(external_ips);
  }
  if (type == api::kServiceLoadBalancer) {
    std::vector<std::string> ingress;
    for (const api::LoadBalancerIngress& in : svc.status.load_balancer.ingress) {
      if (!in.ip.empty()) {
        ingress.push_back(in.ip);
      } else if (!in.hostname.empty()) {
        ingress.push_back(in.hostname);
      }
    }
    std::vector<std::string> all = ingress;
    all.insert(all.end(), svc.spec.external_ips.begin(), svc.spec.external_ips.end());
    return all.empty() ? std::string("<pending>") : Join(all, ",");
  }
  if (type == api::kServiceExternalName) {
    return svc.spec.external_name;
  }
  return "<unknown>";
}

json::array ServiceCells(const api::Service& svc, Time now) {
  std::string type = svc.spec.type.empty() ? std::string(api::kServiceClusterIp) : svc.spec.type;
  std::string cluster_ip =
      !svc.spec.cluster_ips.empty() ? svc.spec.cluster_ips[0] : svc.spec.cluster_ip;
  std::vector<std::string> ports;
  for (const api::ServicePort& p : svc.spec.ports) {
    std::string protocol = p.protocol.empty() ? "TCP" : p.protocol;
    ports.push_back(p.node_port > 0 ? std::to_string(p.port) + ":" + std::to_string(p.node_port) +
                                          "/" + protocol
                                    : std::to_string(p.port) + "/" + protocol);
  }
  return json::array{svc.metadata.name,
                     type,
                     OrNone(cluster_ip),
                     ServiceExternalIp(svc, type),
                     OrNone(Join(ports, ",")),
                     AgeSince(svc.metadata.creation_timestamp, now),
                     FormatLabels(svc.spec.selector)};
}

std::string NodeAddress(const api::Node& node, std::string_view type) {
  for (const api::NodeAddress& a : node.status.addresses) {
    if (a.type == type) {
      return a.address;
    }
  }
  return std::string(kNone);
}

json::array NodeCells(const api::Node& node, Time now) {
  std::vector<std::string> status;
  for (const api::NodeCondition& c : node.status.conditions) {
    if (c.type == "Ready") {
      status.push_back(c.status == "True" ? "Ready" : "NotReady");
      break;
    }
  }
  if (status.empty()) {
    status.push_back("Unknown");
  }
  if (node.spec.unschedulable) {
    status.push_back("SchedulingDisabled");
  }
  std::set<std::string> roles;
  constexpr std::string_view kRolePrefix = "node-role.kubernetes.io/";
  for (const auto& [key, value] : node.metadata.labels) {
    if (key.starts_with(kRolePrefix) && key.size() > kRolePrefix.size()) {
      roles.insert(key.substr(kRolePrefix.size()));
    } else if (key == "kubernetes.io/role" && !value.empty()) {
      roles.insert(value);
    }
  }
  const api::NodeSystemInfo& info = node.status.node_info;
  return json::array{node.metadata.name,
                     Join(status, ","),
                     OrNone(Join(std::vector<std::string>(roles.begin(), roles.end()), ",")),
                     AgeSince(node.metadata.creation_timestamp, now),
                     info.kubelet_version,
                     NodeAddress(node, "InternalIP"),
                     NodeAddress(node, "ExternalIP"),
                     OrUnknown(info.os_image),
                     OrUnknown(info.kernel_version),
                     OrUnknown(info.container_runtime_version)};
}

std::string HostPort(const std::string& ip, int32_t port) {
  if (ip.find(':') != std::string::npos) {
    return "[" + ip + "]:" + std::to_string(port);
  }
  return ip + ":" + std::to_string(port);
}

// "10.0.0.1:80,10.0.0.2:80 + 3 more...": at most three, as kubectl users know it.
std::string FormatEndpoints(const api::Endpoints& ep) {
  constexpr std::size_t kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  std::size_t count = 0;
  for (const api::EndpointSubset& subset : ep.subsets) {
    if (subset.ports.empty()) {
      count += subset.addresses.size();
      for (const api::EndpointAddress& a : subset.addresses) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        list.push_back(a.ip);
      }
      continue;
    }
    for (const api::EndpointPort& port : subset.ports) {
      count += subset.addresses.size();
      for (const api::EndpointAddress& a : subset.addresses) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        list.push_back(HostPort(a.ip, port.port));
      }
    }
  }
  std::string out = Join(list, ",");
  if (more) {
    return out + " + " + std::to_string(count - kMax) + " more...";
  }
  return OrNone(out);
}

json::array EndpointsCells(const api::Endpoints& ep, Time now) {
  return json::array{ep.metadata.name, FormatEndpoints(ep),
                     AgeSince(ep.metadata.creation_timestamp, now)};
}

json::array NamespaceCells(const api::Namespace& ns, Time now) {
  return json::array{ns.metadata.name, ns.status.phase,
                     AgeSince(ns.metadata.creation_timestamp, now)};
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return s;
}

json::array EventCells(const api::Event& ev, Time now) {
  std::string first = ev.first_timestamp != Time() ? AgeSince(ev.first_timestamp, now)
                                                   : AgeSince(ev.event_time, now);
  std::string last = ev.last_timestamp != Time() ? AgeSince(ev.last_timestamp, now) : first;
  int64_t count = ev.count == 0 ? 1 : ev.count;
  std::string target = Lower(ev.involved_object.kind);
  if (!ev.involved_object.name.empty()) {
    target += "/" + ev.involved_object.name;
  }
  std::string source;
  if (!ev.source.component.empty()) {
    source =
        ev.source.host.empty() ? ev.source.component : ev.source.component + ", " + ev.source.host;
  } else {
    source = ev.reporting_instance.empty() ? ev.reporting_component
                                           : ev.reporting_component + ", " + ev.reporting_instance;
  }
  return json::array{last,
                     ev.type,
                     ev.reason,
                     target,
                     ev.involved_object.field_path,
                     source,
                     std::string(TrimWhitespace(ev.message)),
                     first,
                     count,
                     ev.metadata.name};
}

// Kubernetes marks finished pods' rows as Completed.
json::value RowConditions(const api::Object& object) {
  const api::Pod* pod = api::As<api::Pod>(&object);
  if (pod == nullptr) {
    return nullptr;
  }
  if (pod->status.phase == api::kPodSucceeded) {
    return json::array{json::object{{"type", "Completed"},
                                    {"status", "True"},
                                    {"reason", "Succeeded"},
                                    {"message", "The pod has completed successfully."}}};
  }
  if (pod->status.phase == api::kPodFailed) {
    return json::array{json::object{{"type", "Completed"},
                                    {"status", "True"},
                                    {"reason", "Failed"},
                                    {"message", "The pod failed."}}};
  }
  return nullptr;
}

// The object's metadata in wire form, as the codec encodes ObjectMeta (the
// same fields, order and omissions; a test pins the two together). Written
// here because encoding through the codec costs several times more, and a
// Table of every pod is what `kubectl get pods` asks for.
json::value MetadataJson(const api::ObjectMeta& m) {
  json::object out;
  auto put = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) {
      out[key] = value;
    }
  };
  put("name", m.name);
  put("generateName", m.generate_name);
  put("namespace", m.namespace_);
  put("uid", m.uid);
  put("resourceVersion", m.resource_version);
  if (m.generation != 0) {
    out["generation"] = m.generation;
  }
  if (m.creation_timestamp != Time()) {
    out["creationTimestamp"] = m.creation_timestamp.ToRfc3339();
  }
  if (m.deletion_timestamp) {
    out["deletionTimestamp"] = m.deletion_timestamp->ToRfc3339();
  }
  if (m.deletion_grace_period_seconds) {
    out["deletionGracePeriodSeconds"] = *m.deletion_grace_period_seconds;
  }
  auto put_map = [&](std::string_view key, const std::map<std::string, std::string>& map) {
    if (map.empty()) {
      return;
    }
    json::object o;
    for (const auto& [k, v] : map) {
      o[k] = v;
    }
    out[key] = std::move(o);
  };
  put_map("labels", m.labels);
  put_map("annotations", m.annotations);
  if (!m.owner_references.empty()) {
    json::array refs;
    for (const api::OwnerReference& r : m.owner_references) {
      json::object o;
      o["apiVersion"] = r.api_version;
      o["kind"] = r.kind;
      o["name"] = r.name;
      o["uid"] = r.uid;
      if (r.controller) {
        o["controller"] = *r.controller;
      }
      if (r.block_owner_deletion) {
        o["blockOwnerDeletion"] = *r.block_owner_deletion;
      }
      refs.push_back(std::move(o));
    }
    out["ownerReferences"] = std::move(refs);
  }
  if (!m.finalizers.empty()) {
    json::array f;
    for (const std::string& name : m.finalizers) {
      f.emplace_back(name);
    }
    out["finalizers"] = std::move(f);
  }
  return out;
}

}  // namespace

std::string HumanDuration(Duration d) {
  const int64_t seconds = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (seconds < -1) {
    return "<invalid>";
  }
  if (seconds < 0) {
    return "0s";
  }
  if (seconds < 60 * 2) {
    return std::to_string(seconds) + "s";
  }
  const int64_t minutes = seconds / 60;
  if (minutes < 10) {
    const int64_t s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m"
                  : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) {
    return std::to_string(minutes) + "m";
  }
  const int64_t hours = minutes / 60;
  if (hours < 8) {
    const int64_t m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h"
                  : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) {
    return std::to_string(hours) + "h";
  }
  const int64_t days = hours / 24;
  if (hours < 24 * 8) {
    const int64_t h = hours % 24;
    return h == 0 ? std::to_string(days) + "d"
                  : std::to_string(days) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) {
    return std::to_string(days) + "d";
  }
  const int64_t years = days / 365;
  if (hours < 24 * 365 * 8) {
    const int64_t dy = days % 365;
    return dy == 0 ? std::to_string(years) + "y"
                   : std::to_string(years) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(years) + "y";
}

std::string AgeSince(Time t, Time now) {
  if (t == Time()) {
    return "<unknown>";
  }
  return HumanDuration(now - t);
}

json::array TableColumns(api::Kind kind) {
  json::array out;
  for (const Column& c : ColumnsOf(kind)) {
    out.push_back(json::object{{"name", c.name},
                               {"type", c.type},
                               {"format", c.format},
                               {"description", c.description},
                               {"priority", c.priority}});
  }
  return out;
}

json::array TableCells(const api::Object& object, Time now) {
  using api::Kind;
  switch (object.kind()) {
    case Kind::kPod:
      return PodCells(static_cast<const api::Pod&>(object), now);
    case Kind::kReplicationController:
      return ReplicationControllerCells(static_cast<const api::ReplicationController&>(object),
                                        now);
    case Kind::kService:
      return ServiceCells(static_cast<const api::Service&>(object), now);
    case Kind::kNode:
      return NodeCells(static_cast<const api::Node&>(object), now);
    case Kind::kEndpoints:
      return EndpointsCells(static_cast<const api::Endpoints&>(object), now);
    case Kind::kNamespace:
      return NamespaceCells(static_cast<const api::Namespace&>(object), now);
    case Kind::kEvent:
      return EventCells(static_cast<const api::Event&>(object), now);
  }
  return json::array{object.metadata.name, AgeSince(object.metadata.creation_timestamp, now)};
}

json::value ToTable(api::Kind kind, const std::vector<api::ObjectPtr>& objects,
                    const TableOptions& options) {
  json::object metadata;
  if (!options.resource_version.empty()) {
    metadata["resourceVersion"] = options.resource_version;
  }
  if (!options.continue_token.empty()) {
    metadata["continue"] = options.continue_token;
  }
  json::array rows;
  for (const api::ObjectPtr& object : objects) {
    if (!object) {
      continue;
    }
    json::object row;
    row["cells"] = TableCells(*object, options.now);
    json::value conditions = RowConditions(*object);
    if (!conditions.is_null()) {
      row["conditions"] = std::move(conditions);
    }
    row["object"] = json::object{{"kind", "PartialObjectMetadata"},
                                 {"apiVersion", "meta.k8s.io/v1"},
                                 {"metadata", MetadataJson(object->metadata)}};
    rows.push_back(std::move(row));
  }
  json::object table;
  table["kind"] = "Table";
  table["apiVersion"] = "meta.k8s.io/v1";
  table["metadata"] = std::move(metadata);
  if (options.include_column_definitions) {
    table["columnDefinitions"] = TableColumns(kind);
  } else {
    table["columnDefinitions"] = nullptr;
  }
  table["rows"] = std::move(rows);
  return table;
}

}  // namespace navarch::apiserver
