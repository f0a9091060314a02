#include "core/scheduler/pod_info.h"

#include <algorithm>

namespace navarch::scheduler {
namespace {

int64_t Request(const api::Container& c, std::string_view resource, bool milli) {
  auto it = c.resources.requests.find(std::string(resource));
  if (it == c.resources.requests.end()) return 0;
  return milli ? it->second.MilliValue() : it->second.Value();
}

bool HasRequest(const api::Container& c, std::string_view resource) {
  return c.resources.requests.count(std::string(resource)) > 0;
}

void AppendEscaped(std::string& out, std::string_view s) {
  // Length-prefixed so that no separator can be forged by a value.
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

}  // namespace

bool HostPort::Conflicts(const HostPort& other) const {
  if (port != other.port || protocol != other.protocol) return false;
  return ip == other.ip || ip == kWildcardIp || other.ip == kWildcardIp;
}

bool PodInfo::Tolerates(const api::Taint& taint) const {
  return api::FindToleration(tolerations, taint) != nullptr;
}

PodRequests ComputePodRequests(const api::PodSpec& spec) {
  PodRequests r;
  for (const auto& c : spec.containers) {
    r.milli_cpu += Request(c, api::kResourceCpu, true);
    r.memory += Request(c, api::kResourceMemory, false);
    r.nonzero_milli_cpu += HasRequest(c, api::kResourceCpu) ? Request(c, api::kResourceCpu, true)
                                                            : kDefaultMilliCpuRequest;
    r.nonzero_memory += HasRequest(c, api::kResourceMemory)
                            ? Request(c, api::kResourceMemory, false)
                            : kDefaultMemoryRequest;
  }
  for (const auto& c : spec.init_containers) {
    r.milli_cpu = std::max(r.milli_cpu, Request(c, api::kResourceCpu, true));
    r.memory = std::max(r.memory, Request(c, api::kResourceMemory, false));
    r.nonzero_milli_cpu = std::max(r.nonzero_milli_cpu, HasRequest(c, api::kResourceCpu)
                                                            ? Request(c, api::kResourceCpu, true)
                                                            : kDefaultMilliCpuRequest);
    r.nonzero_memory = std::max(r.nonzero_memory, HasRequest(c, api::kResourceMemory)
                                                      ? Request(c, api::kResourceMemory, false)
                                                      : kDefaultMemoryRequest);
  }
  return r;
}

std::string SpreadGroupKey(const api::Pod& pod) {
  const auto& meta = pod.metadata;
  const api::OwnerReference* owner = nullptr;
  for (const auto& ref : meta.owner_references) {
    if (ref.controller.value_or(false)) {
      owner = &ref;
      break;
    }
  }
  if (!owner && !meta.owner_references.empty()) owner = &meta.owner_references.front();
  std::string key;
  if (owner) {
    key = "owner:";
    AppendEscaped(key, meta.namespace_);
    AppendEscaped(key, owner->kind);
    AppendEscaped(key, owner->name);
    return key;
  }
  if (meta.labels.empty()) return key;
  key = "labels:";
  AppendEscaped(key, meta.namespace_);
  for (const auto& [k, v] : meta.labels) {  // std::map: sorted
    AppendEscaped(key, k);
    AppendEscaped(key, v);
  }
  return key;
}

PodInfo CompilePod(const api::Pod& pod) {
  PodInfo info;
  info.namespace_ = pod.metadata.namespace_;
  info.key = api::KeyOf(pod);
  info.priority = pod.spec->priority.value_or(0);
  PodRequests r = ComputePodRequests(pod.spec);
  info.milli_cpu = r.milli_cpu;
  info.memory = r.memory;
  info.nonzero_milli_cpu = r.nonzero_milli_cpu;
  info.nonzero_memory = r.nonzero_memory;
  for (const auto& c : pod.spec->containers) {
    for (const auto& p : c.ports) {
      if (p.host_port <= 0) continue;
      HostPort hp;
      hp.ip = p.host_ip.empty() ? std::string(kWildcardIp) : p.host_ip;
      hp.protocol = p.protocol.empty() ? "TCP" : p.protocol;
      hp.port = p.host_port;
      info.host_ports.push_back(std::move(hp));
    }
  }
  std::sort(info.host_ports.begin(), info.host_ports.end());
  for (const auto& [k, v] : pod.spec->node_selector)
    info.node_selector.emplace_back(k, v);
  info.tolerations = pod.spec->tolerations;
  info.group_key = SpreadGroupKey(pod);

  // The class key: every compiled requirement, length-prefixed.
  std::string& ck = info.class_key;
  ck += std::to_string(info.milli_cpu) + "," + std::to_string(info.memory) + "," +
        std::to_string(info.nonzero_milli_cpu) + "," + std::to_string(info.nonzero_memory) + "|";
  for (const auto& hp : info.host_ports) {
    AppendEscaped(ck, hp.ip);
    AppendEscaped(ck, hp.protocol);
    ck += std::to_string(hp.port) + ";";
  }
  ck += "|";
  for (const auto& [k, v] : info.node_selector) {
    AppendEscaped(ck, k);
    AppendEscaped(ck, v);
  }
  ck += "|";
  for (const auto& t : info.tolerations) {
    AppendEscaped(ck, t.key);
    AppendEscaped(ck, t.operator_);
    AppendEscaped(ck, t.value);
    AppendEscaped(ck, t.effect);
  }
  ck += "|";
  AppendEscaped(ck, info.group_key);
  return info;
}

}  // namespace navarch::scheduler
