#pragma once
// The one home of knowledge about the API that several components share:
// well-known labels, built-in namespaces, finalizer names, defaults that
// components fall back to, what "terminal" and "ready" mean for a pod, a
// pod's effective requests, and resourceVersion parsing. Every module uses
// these instead of writing its own copy.

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/api/types.h"
#include "core/base/status.h"

namespace navarch::api {

// --- Well-known labels -------------------------------------------------------

inline constexpr std::string_view kLabelHostname = "kubernetes.io/hostname";
inline constexpr std::string_view kLabelZone = "topology.kubernetes.io/zone";
inline constexpr std::string_view kLabelRegion = "topology.kubernetes.io/region";
// The label the namespace controller reads a namespace's name from.
inline constexpr std::string_view kLabelNamespaceName = "kubernetes.io/metadata.name";

// --- Defaults ----------------------------------------------------------------

// spec.terminationGracePeriodSeconds when unset (set at admission; a
// component reading an object from an older store falls back to it).
inline constexpr int64_t kDefaultGracePeriodSeconds = 30;
// The kubelet's default --max-pods: a node's "pods" capacity.
inline constexpr int64_t kDefaultMaxPods = 110;

// --- Namespaces --------------------------------------------------------------

// The namespaces an API server creates at start and never lets go.
inline constexpr std::array<std::string_view, 4> kBuiltinNamespaces = {
    "default", "kube-system", "kube-public", "kube-node-lease"};
bool IsBuiltinNamespace(std::string_view ns);

inline constexpr std::string_view kNamespaceActive = "Active";
inline constexpr std::string_view kNamespaceTerminating = "Terminating";

// --- Finalizers --------------------------------------------------------------

// The garbage collector orphans the dependents first (propagationPolicy Orphan).
inline constexpr std::string_view kFinalizerOrphan = "orphan";
// The garbage collector deletes the blocking dependents first (Foreground).
inline constexpr std::string_view kFinalizerForeground = "foregroundDeletion";
// spec.finalizers of a Namespace: the namespace controller empties it first.
inline constexpr std::string_view kFinalizerKubernetes = "kubernetes";

// Delete propagation policies (DeleteOptions.propagationPolicy).
inline constexpr std::string_view kPropagationBackground = "Background";
inline constexpr std::string_view kPropagationForeground = "Foreground";
inline constexpr std::string_view kPropagationOrphan = "Orphan";

// --- Pods --------------------------------------------------------------------

// Succeeded or Failed: the pod's containers will never run again.
inline bool IsTerminalPhase(std::string_view phase) {
  return phase == kPodSucceeded || phase == kPodFailed;
}
inline bool IsTerminal(const Pod& pod) {
  return IsTerminalPhase(pod.status.phase);
}
// spec.restartPolicy, which admission defaults to Always; read through this
// so that a spec that never went through the API (a test's) means the same.
inline std::string_view RestartPolicyOf(const PodSpec& spec) {
  return spec.restart_policy.empty() ? kRestartAlways : std::string_view(spec.restart_policy);
}

// The pod's Ready condition is True.
bool IsPodReady(const Pod& pod);

// A pod's effective requests, as Kubernetes computes them: the sum over its
// containers, or the largest init container's when that is larger, per
// resource. Requests are defaulted from limits at admission (core/registry),
// so only requests are read here.
ResourceList EffectiveRequests(const PodSpec& spec);

// --- Taints ------------------------------------------------------------------

// The taints the node lifecycle controller puts on nodes from their Ready
// condition (False: not-ready, Unknown: unreachable), and the one for
// spec.unschedulable.
inline constexpr std::string_view kTaintNodeNotReady = "node.kubernetes.io/not-ready";
inline constexpr std::string_view kTaintNodeUnreachable = "node.kubernetes.io/unreachable";
inline constexpr std::string_view kTaintNodeUnschedulable = "node.kubernetes.io/unschedulable";
inline constexpr std::string_view kEffectNoSchedule = "NoSchedule";
inline constexpr std::string_view kEffectPreferNoSchedule = "PreferNoSchedule";
inline constexpr std::string_view kEffectNoExecute = "NoExecute";

// Whether `toleration` tolerates `taint` (Kubernetes' ToleratesTaint): the
// effect matches (or the toleration names none), and Exists matches the key
// (every key when empty), Equal (or "") the key and value.
bool TolerationMatches(const Toleration& toleration, const Taint& taint);
// The first of `tolerations` that tolerates `taint`, or null.
const Toleration* FindToleration(const std::vector<Toleration>& tolerations, const Taint& taint);

// --- resourceVersion ---------------------------------------------------------

// "" and "0" mean "any / the latest" (0). Anything but a non-negative decimal
// integer is kInvalidArgument, naming `what`.
Result<int64_t> ParseResourceVersion(std::string_view rv, std::string_view what);

}  // namespace navarch::api
