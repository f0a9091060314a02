#pragma once
// Pod admission on the node: the last check before a bound pod is started,
// as Kubernetes' kubelet does it (the scheduler may have raced with other
// binds, or a pod may have been bound by hand). A rejected pod is never
// started; the kubelet reports it with phase Failed and the reason below.

#include <string>
#include <vector>

#include "core/api/types.h"

namespace navarch::kubelet {

struct AdmissionResult {
  bool admitted = true;
  // "NodeAffinity" (nodeSelector does not match the node's labels), or
  // "OutOf<resource>" ("OutOfcpu", "OutOfmemory", "OutOfpods", ...) — the
  // reasons Kubernetes reports.
  std::string reason;
  std::string message;
};

// Whether `pod` may run on a node with `node_labels` and `allocatable`, next
// to the pods already admitted there (their requests, PodRequests(), are
// summed; "pods" counts them). Resources absent from allocatable are not
// limited, except "pods".
AdmissionResult AdmitPod(const api::Pod& pod, const api::Labels& node_labels,
                         const api::ResourceList& allocatable,
                         const std::vector<const api::Pod*>& admitted);
// The same, with the admitted pods given by their PodRequests() (as the
// kubelet keeps them) and `wanted` = PodRequests(pod).
AdmissionResult AdmitPod(const api::Pod& pod, const api::ResourceList& wanted,
                         const api::Labels& node_labels, const api::ResourceList& allocatable,
                         const std::vector<const api::ResourceList*>& admitted);

}  // namespace navarch::kubelet
