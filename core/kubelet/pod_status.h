#pragma once
// Pure helpers behind the pod status the kubelet reports: phase, conditions,
// QoS class and resource requests, with Kubernetes v1 semantics. No state,
// no clock: callers pass `now`.

#include <string>
#include <string_view>
#include <vector>

#include "core/api/types.h"
#include "core/base/time.h"

namespace navarch::kubelet {

// Pod condition types and the reasons the kubelet writes.
inline constexpr std::string_view kCondPodScheduled = "PodScheduled";
inline constexpr std::string_view kCondInitialized = "Initialized";
inline constexpr std::string_view kCondContainersReady = "ContainersReady";
inline constexpr std::string_view kCondReady = "Ready";

// Container waiting reasons.
inline constexpr std::string_view kReasonContainerCreating = "ContainerCreating";
inline constexpr std::string_view kReasonPodInitializing = "PodInitializing";
inline constexpr std::string_view kReasonCrashLoopBackOff = "CrashLoopBackOff";
inline constexpr std::string_view kReasonErrImagePull = "ErrImagePull";
inline constexpr std::string_view kReasonErrImageNeverPull = "ErrImageNeverPull";
inline constexpr std::string_view kReasonCreateContainerError = "CreateContainerError";
inline constexpr std::string_view kReasonRunContainerError = "RunContainerError";

// The phase of a pod from its container statuses, as Kubernetes' kubelet
// computes it:
//   * an init container that failed for good (restartPolicy Never) → Failed;
//     init containers not all succeeded → Pending;
//   * an app container waiting for the first time → Pending;
//   * any app container running → Running;
//   * all app containers stopped: Always → Running (they restart); all
//     succeeded → Succeeded; Never → Failed; OnFailure → Running (the failed
//     ones restart).
// A container waiting with a last_state.terminated (crash back-off) counts as
// stopped, with that exit code.
std::string PodPhase(const api::PodSpec& spec,
                     const std::vector<api::ContainerStatus>& init_statuses,
                     const std::vector<api::ContainerStatus>& statuses);

// Sets condition `type` in `conds` (appending it if absent). The
// lastTransitionTime is kept from `previous` (the conditions as last
// reported) when the status did not change, otherwise it is `now`.
void SetPodCondition(std::vector<api::PodCondition>& conds,
                     const std::vector<api::PodCondition>& previous, std::string_view type,
                     bool status, std::string_view reason, std::string message, Time now);
const api::PodCondition* FindPodCondition(const std::vector<api::PodCondition>& conds,
                                          std::string_view type);

// "Guaranteed", "Burstable" or "BestEffort" (Kubernetes' QoS rules, with
// limits standing in for missing requests).
std::string QosClass(const api::PodSpec& spec);

// What a pod asks of its node: api::EffectiveRequests (requests were
// defaulted from limits at admission, as the scheduler counts them).
api::ResourceList PodRequests(const api::PodSpec& spec);

// The effective image pull policy: the spec's, or Kubernetes' default
// ("Always" for an untagged or ":latest" image, "IfNotPresent" otherwise).
std::string ImagePullPolicy(const api::Container& container);

}  // namespace navarch::kubelet
