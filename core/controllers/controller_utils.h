#pragma once
// Helpers shared by the controllers: pod readiness and activity, controller
// owner references, and the order in which a replication controller gives up
// pods when it scales down.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/base/time.h"

namespace navarch::controllers {

inline constexpr std::string_view kConditionReady = "Ready";
inline constexpr std::string_view kConditionTrue = "True";
inline constexpr std::string_view kConditionFalse = "False";
inline constexpr std::string_view kConditionUnknown = "Unknown";

// The pod's condition of type `type`, or null.
const api::PodCondition* FindPodCondition(const api::Pod& pod, std::string_view type);
// The node's condition of type `type`, or null.
const api::NodeCondition* FindNodeCondition(const api::Node& node, std::string_view type);

// Ready condition True (the one definition, in core/api).
using api::IsPodReady;
// When the pod last became ready (the Ready condition's lastTransitionTime),
// if it is ready.
std::optional<Time> PodReadySince(const api::Pod& pod);
// Ready for at least `min_ready_seconds` at `now` (just ready when 0). A
// ready pod without a transition time counts as ready since forever.
bool IsPodAvailable(const api::Pod& pod, int32_t min_ready_seconds, Time now);
// Counts toward a controller's replicas: not being deleted and not finished
// (phase neither Succeeded nor Failed).
bool IsPodActive(const api::Pod& pod);
bool IsTerminating(const api::Object& obj);

// The owner reference with controller: true, or null.
const api::OwnerReference* ControllerRef(const api::Object& obj);

// True if `a` should be deleted before `b` when scaling down: the least
// valuable pod first —
//   1. unscheduled (no spec.nodeName) before scheduled;
//   2. phase Pending before Unknown before Running (others first of all);
//   3. not ready before ready;
//   4. both ready: the one ready for the shorter time first;
//   5. the newer first (later creationTimestamp);
//   6. then by name (ascending), so the order is total and deterministic.
bool DeleteBefore(const api::Pod& a, const api::Pod& b);

}  // namespace navarch::controllers
