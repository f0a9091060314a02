#include "core/kubelet/admission.h"

#include "core/kubelet/pod_status.h"

namespace navarch::kubelet {

AdmissionResult AdmitPod(const api::Pod& pod, const api::Labels& node_labels,
                         const api::ResourceList& allocatable,
                         const std::vector<const api::Pod*>& admitted) {
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
  for (const api::Pod* other : admitted) {
    for (const auto& [name, q] : PodRequests(other->spec))
      used[name] += q;
  }
  api::ResourceList wanted = PodRequests(pod.spec);
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
