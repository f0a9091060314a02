// Which v1 lists a strategic merge patch merges, and by which key: the
// patchStrategy / patchMergeKey declarations of the Kubernetes v1 types, for
// the kinds navarch serves. Lists not named here are replaced whole ("atomic"
// in v1: tolerations, command, args, node taints, endpoint subsets, container
// statuses, ...).

#include <map>
#include <string>
#include <string_view>

#include "core/api/patch_internal.h"

namespace navarch::api::internal {

namespace {

using Table = std::map<std::string, ListStrategy, std::less<>>;

ListStrategy ByKey(std::string_view key) {
  return ListStrategy{ListStrategy::kMergeByKey, key};
}

ListStrategy AsSet() {
  return ListStrategy{ListStrategy::kMergeSet, {}};
}

// ObjectMeta at `prefix` ("metadata.").
void AddObjectMeta(Table& table, const std::string& prefix) {
  table[prefix + "ownerReferences"] = ByKey("uid");
  table[prefix + "finalizers"] = AsSet();
}

// Container (or init / ephemeral container) at `prefix` ("spec.containers.").
void AddContainer(Table& table, const std::string& prefix) {
  table[prefix + "ports"] = ByKey("containerPort");
  table[prefix + "env"] = ByKey("name");
  table[prefix + "volumeMounts"] = ByKey("mountPath");
  table[prefix + "volumeDevices"] = ByKey("devicePath");
}

// PodSpec at `prefix` ("spec." or "spec.template.spec.").
void AddPodSpec(Table& table, const std::string& prefix) {
  table[prefix + "volumes"] = ByKey("name");  // also retainKeys for the volume source
  table[prefix + "initContainers"] = ByKey("name");
  table[prefix + "containers"] = ByKey("name");
  table[prefix + "ephemeralContainers"] = ByKey("name");
  table[prefix + "imagePullSecrets"] = ByKey("name");
  table[prefix + "hostAliases"] = ByKey("ip");
  table[prefix + "topologySpreadConstraints"] = ByKey("topologyKey");
  table[prefix + "schedulingGates"] = ByKey("name");
  table[prefix + "resourceClaims"] = ByKey("name");
  AddContainer(table, prefix + "initContainers.");
  AddContainer(table, prefix + "containers.");
  AddContainer(table, prefix + "ephemeralContainers.");
}

Table PodTable() {
  Table t;
  AddObjectMeta(t, "metadata.");
  AddPodSpec(t, "spec.");
  t["status.conditions"] = ByKey("type");
  t["status.podIPs"] = ByKey("ip");
  t["status.hostIPs"] = ByKey("ip");
  return t;
}

Table ReplicationControllerTable() {
  Table t;
  AddObjectMeta(t, "metadata.");
  AddObjectMeta(t, "spec.template.metadata.");
  AddPodSpec(t, "spec.template.spec.");
  t["status.conditions"] = ByKey("type");
  return t;
}

Table NodeTable() {
  Table t;
  AddObjectMeta(t, "metadata.");
  t["spec.podCIDRs"] = AsSet();
  t["status.conditions"] = ByKey("type");
  t["status.addresses"] = ByKey("type");
  return t;
}

Table ServiceTable() {
  Table t;
  AddObjectMeta(t, "metadata.");
  t["spec.ports"] = ByKey("port");
  t["status.conditions"] = ByKey("type");
  return t;
}

Table NamespaceTable() {
  Table t;
  AddObjectMeta(t, "metadata.");
  t["status.conditions"] = ByKey("type");
  return t;
}

Table MetadataOnlyTable() {
  Table t;
  AddObjectMeta(t, "metadata.");
  return t;
}

const Table* TableFor(std::string_view kind) {
  // Immutable after first use (function-local statics initialise once, thread-safely).
  static const Table kPod = PodTable();
  static const Table kReplicationController = ReplicationControllerTable();
  static const Table kNode = NodeTable();
  static const Table kService = ServiceTable();
  static const Table kNamespace = NamespaceTable();
  static const Table kMetadataOnly = MetadataOnlyTable();
  if (kind == "Pod") {
    return &kPod;
  }
  if (kind == "ReplicationController") {
    return &kReplicationController;
  }
  if (kind == "Node") {
    return &kNode;
  }
  if (kind == "Service") {
    return &kService;
  }
  if (kind == "Namespace") {
    return &kNamespace;
  }
  if (kind == "Endpoints" || kind == "Event") {
    return &kMetadataOnly;
  }
  return nullptr;
}

}  // namespace

const ListStrategy* LookupListStrategy(std::string_view kind, std::string_view path) {
  const Table* table = TableFor(kind);
  if (table == nullptr) {
    return nullptr;
  }
  auto it = table->find(path);
  return it == table->end() ? nullptr : &it->second;
}

bool StrategicSchemaKnown(std::string_view kind) {
  return TableFor(kind) != nullptr;
}

}  // namespace navarch::api::internal
