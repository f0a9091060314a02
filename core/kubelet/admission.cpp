#include "core/kubelet/admission.h"

#include "core/kubelet/pod_status.h"

namespace navarch::kubelet {

AdmissionResult AdmitPod(const api::Pod& pod, const api::Labels& node_labels,
                         const api::ResourceList& allocatable,
                         const std::vector<const api::Pod*>& admitted) {
  std::vector<api::ResourceList> requests;
  requests.reserve(admitted.size());
  for (const api::Pod* other : admitted)
    requests.push_back(PodRequests(other->spec));
  std::vector<const api::ResourceList*> ptrs;
  ptrs.reserve(requests.size());
  for (const auto& r : requests)
    ptrs.push_back(&r);
  return AdmitPod(pod, PodRequests(pod.spec), node_labels, allocatable, ptrs);
}

AdmissionResult AdmitPod(const api::Pod& pod, const api::ResourceList& wanted_requests,
                         const api::Labels& node_labels, const api::ResourceList& allocatable,
                         const std::vector<const api::ResourceList*>& admitted) {
  AdmissionResult out;
  for (const auto& [key, value] : pod.spec->node_selector) {
    auto it = node_labels.find(key);
    if (it == node_labels.end() || it->second != value) {
      out.admitted = false;
      out.reason = "NodeAffinity";
      out.message = "Pod Predicate NodeAffinity failed: node selector " + key + "=" + value +
                    " does not match the node's labels";
      return out;
    }
  }
  api::ResourceList used;
  for (const api::ResourceList* other : admitted) {
    for (const auto& [name, q] : *other)
      used[name] += q;
  }
  api::ResourceList wanted = wanted_requests;
  wanted[std::string(api::kResourcePods)] = api::Quantity::FromValue(1);
  used[std::string(api::kResourcePods)] =
      api::Quantity::FromValue(static_cast<int64_t>(admitted.size()));
  for (const auto& [name, q] : wanted) {
    auto cap = allocatable.find(name);
    if (cap == allocatable.end() || q.IsZero()) continue;
    const api::Quantity have = used[name];
    if (have + q > cap->second) {
      out.admitted = false;
      out.reason = "OutOf" + name;
      out.message = "Node didn't have enough resource: " + name + ", requested: " + q.ToString() +
                    ", used: " + have.ToString() + ", capacity: " + cap->second.ToString();
      return out;
    }
  }
  return out;
}

}  // namespace navarch::kubelet
