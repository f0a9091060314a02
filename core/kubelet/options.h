#pragma once
// KubeletOptions: everything a host program (cmd/ or the simulator) decides
// about one kubelet. Parsed from flags or a scenario once and passed down;
// the kubelet never reads configuration from anywhere else.

#include <cstdint>
#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/base/time.h"
#include "core/client/throttle.h"

namespace navarch::kubelet {

// An exponential back-off: `initial`, doubling on each failure up to `max`.
struct BackoffPolicy {
  Duration initial = seconds(10);
  Duration max = minutes(5);
  // A container that ran at least this long before exiting starts again from
  // `initial` (crash back-off only).
  Duration reset_after = minutes(10);
};

// When the kubelet writes its Node's status.
struct NodeStatusPolicy {
  // How often the status is computed and, by default, written with a fresh
  // conditions[].lastHeartbeatTime.
  Duration heartbeat_period = seconds(10);
  // Each period is stretched by up to this fraction, uniformly at random
  // (Kubernetes' kubelet: wait.JitterUntil with 0.04), so that kubelets
  // started together do not report in lockstep. Deterministic: drawn from a
  // generator seeded with `jitter_seed` (0 = a hash of the node name).
  double heartbeat_jitter = 0.04;
  uint64_t jitter_seed = 0;
  // 0: write on every heartbeat (the Ready condition's lastHeartbeatTime
  // advances every heartbeat_period; what the node lifecycle controller
  // watches). Otherwise an unchanged status is written only when this long
  // has passed since the last write — a changed one is always written. Large
  // simulations use this to cut writes; the node lifecycle controller's
  // grace period must then exceed it.
  Duration report_period{0};
};

struct KubeletOptions {
  // The Node's name (metadata.name) and the name stamped on every sandbox and
  // container this kubelet creates (runtime::kLabelNodeName). Required.
  std::string node_name;

  // Node registration. Labels are merged into an existing Node (ours win);
  // "kubernetes.io/hostname" = node_name is added unless given. Taints are
  // applied only when the Node is created, as Kubernetes' --register-with-taints.
  api::Labels labels;
  // Merged into the Node like the labels (ours win), at every registration.
  api::Annotations annotations;
  std::vector<api::Taint> taints;
  // status.capacity; status.allocatable defaults to capacity when empty.
  // "pods" defaults to 110 in both when absent.
  api::ResourceList capacity;
  api::ResourceList allocatable;
  // status.addresses. The first "InternalIP" is every pod's status.hostIP.
  std::vector<api::NodeAddress> addresses;
  // status.nodeInfo (kubeletVersion defaults to "navarch"; containerRuntimeVersion
  // to the runtime's Describe()).
  api::NodeSystemInfo node_info;
  // status.daemonEndpoints.kubeletEndpoint.Port.
  int32_t kubelet_port = 10250;

  NodeStatusPolicy node_status;

  // Crash back-off for restarting exited containers: the first restart waits
  // `initial` after the exit, each further one twice as long, capped at
  // `max`; reset after a run of `reset_after`.
  BackoffPolicy crash_backoff;
  // Retries of failed runtime operations (sandbox creation, image pulls,
  // container creation) and of runtime listing at start.
  BackoffPolicy runtime_retry{seconds(1), seconds(30), minutes(10)};
  // Retries of failed Api calls (registration, pod status, the final pod
  // delete) and the informer's re-list period while the Api is unreachable.
  BackoffPolicy api_retry{seconds(1), seconds(10), minutes(10)};

  // Reject pods whose nodeSelector does not match the node's labels or whose
  // requests do not fit in allocatable (phase Failed, reason "NodeAffinity",
  // "OutOfcpu", "OutOfmemory", "OutOfpods", ...).
  bool admission = true;
  // Record the pods' Events (Pulling, Pulled, Created, Started, Killing,
  // BackOff, Unhealthy, Failed) through the kubelet's Api, source
  // "kubelet" on this node.
  bool record_events = true;
  // The kubelet's client (the kubelet's kubeAPIQPS 50 / kubeAPIBurst 100):
  // every request is charged to its token bucket, and pod status writes wait
  // until the bucket allows another request (core/client/throttle.h). Events
  // go through an unlimited client of their own, as the kubelet's event
  // client. limits.qps <= 0: no limit.
  client::ThrottleOptions client{.limits = client::kKubeletLimits};
};

}  // namespace navarch::kubelet
