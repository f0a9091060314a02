#include "core/api/object.h"

#include <array>

namespace navarch::api {
namespace {

constexpr std::array<KindInfo, kNumKinds> kKinds = {{
    {Kind::kPod, "Pod", "pods", "v1", true},
    {Kind::kNode, "Node", "nodes", "v1", false},
    {Kind::kReplicationController, "ReplicationController", "replicationcontrollers", "v1", true},
    {Kind::kService, "Service", "services", "v1", true},
    {Kind::kEndpoints, "Endpoints", "endpoints", "v1", true},
    {Kind::kEvent, "Event", "events", "v1", true},
    {Kind::kNamespace, "Namespace", "namespaces", "v1", false},
}};

}  // namespace

const KindInfo& InfoOf(Kind kind) {
  return kKinds[static_cast<size_t>(kind)];
}

std::optional<Kind> KindFromName(std::string_view name) {
  for (const auto& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::optional<Kind> KindFromResource(std::string_view resource) {
  for (const auto& k : kKinds) {
    if (k.resource == resource) return k.kind;
  }
  return std::nullopt;
}

const std::vector<Kind>& AllKinds() {
  static const std::vector<Kind> kAll = [] {
    std::vector<Kind> v;
    for (const auto& k : kKinds)
      v.push_back(k.kind);
    return v;
  }();
  return kAll;
}

std::string KeyOf(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append("/").append(name);
  return key;
}

std::string KeyOf(const Object& obj) {
  return KeyOf(obj.metadata.namespace_, obj.metadata.name);
}

}  // namespace navarch::api
