#pragma once
// Builders for scheduler tests: nodes and pods in a few words.

#include <map>
#include <string>
#include <vector>

#include "core/api/types.h"

namespace navarch::scheduler::testing {

struct NodeSpecLite {
  std::string cpu = "4";
  std::string memory = "8Gi";
  std::string pods = "110";
  std::map<std::string, std::string> labels;
  bool ready = true;
  bool unschedulable = false;
  std::vector<api::Taint> taints;
};

inline api::Node MakeNode(const std::string& name, NodeSpecLite s = {}) {
  api::Node n;
  n.metadata.name = name;
  n.metadata.labels = s.labels;
  n.spec.unschedulable = s.unschedulable;
  n.spec.taints = s.taints;
  n.status.allocatable["cpu"] = api::Quantity::MustParse(s.cpu);
  n.status.allocatable["memory"] = api::Quantity::MustParse(s.memory);
  n.status.allocatable["pods"] = api::Quantity::MustParse(s.pods);
  n.status.capacity = n.status.allocatable;
  api::NodeCondition ready;
  ready.type = "Ready";
  ready.status = s.ready ? "True" : "False";
  n.status.conditions.push_back(ready);
  return n;
}

inline api::Container MakeContainer(const std::string& cpu, const std::string& memory) {
  api::Container c;
  c.name = "c";
  c.image = "busybox";
  if (!cpu.empty()) c.resources.requests["cpu"] = api::Quantity::MustParse(cpu);
  if (!memory.empty()) c.resources.requests["memory"] = api::Quantity::MustParse(memory);
  return c;
}

inline api::Pod MakePod(const std::string& name, const std::string& cpu = "100m",
                        const std::string& memory = "128Mi") {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.spec.Mutable().containers.push_back(MakeContainer(cpu, memory));
  return p;
}

inline api::Pod WithOwner(api::Pod p, const std::string& rc) {
  api::OwnerReference ref;
  ref.api_version = "v1";
  ref.kind = "ReplicationController";
  ref.name = rc;
  ref.uid = "uid-" + rc;
  ref.controller = true;
  p.metadata.owner_references.push_back(ref);
  return p;
}

inline api::Taint MakeTaint(const std::string& key, const std::string& value,
                            const std::string& effect) {
  api::Taint t;
  t.key = key;
  t.value = value;
  t.effect = effect;
  return t;
}

inline api::Toleration MakeToleration(const std::string& key, const std::string& op,
                                      const std::string& value, const std::string& effect) {
  api::Toleration t;
  t.key = key;
  t.operator_ = op;
  t.value = value;
  t.effect = effect;
  return t;
}

}  // namespace navarch::scheduler::testing
