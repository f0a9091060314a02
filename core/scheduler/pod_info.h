#pragma once
// PodInfo: what the scheduler needs to know about a pod, compiled once from
// the api::Pod so that the decision loop never touches strings or maps.
//
// Requests are computed as Kubernetes computes a pod's effective request:
// for each resource, the larger of (the sum over the app containers) and (the
// largest single init container), because init containers run one at a time
// before the app containers. Quantities are integers: cpu in milli-cores,
// memory in bytes.
//
// Scoring uses "non-zero" requests, again as Kubernetes does: a container
// that requests no cpu counts as 100m and one that requests no memory as
// 200Mi, so that pods without requests still spread instead of piling onto
// one node. Filters always use the real requests.
//
// Spread group. Pods of the same controller are spread across nodes and
// zones. The group of a pod is its controller owner reference (the owner with
// controller=true, else the first owner), named by namespace, kind and name;
// a pod without owners is grouped with the pods of its namespace that carry
// exactly the same labels; a pod without owners or labels has no group.
//
// Equivalence class. Two pods with the same class key have identical
// requirements (requests, host ports, node selector, tolerations, spread
// group), so every filter and score gives the same answer for both on any
// node: the decision core caches its per-node work per class.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/api/types.h"
#include "core/api/well_known.h"

namespace navarch::scheduler {

// Non-zero defaults used for scoring (see above).
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200LL * 1024 * 1024;

// Well-known label and taint keys.
inline constexpr std::string_view kZoneLabel = api::kLabelZone;
inline constexpr std::string_view kUnschedulableTaintKey = api::kTaintNodeUnschedulable;
inline constexpr std::string_view kDefaultSchedulerName = "default-scheduler";

// A host port a container asks for. Two host ports conflict when protocol
// and port are equal and either address is the wildcard or both are equal.
struct HostPort {
  std::string ip;        // "0.0.0.0" when unset
  std::string protocol;  // "TCP" when unset
  int32_t port = 0;
  bool Conflicts(const HostPort& other) const;
  auto operator<=>(const HostPort&) const = default;
  bool operator==(const HostPort&) const = default;
};

inline constexpr std::string_view kWildcardIp = "0.0.0.0";

struct PodInfo {
  std::string key;  // "<namespace>/<name>"
  std::string namespace_;
  int32_t priority = 0;

  int64_t milli_cpu = 0;          // effective requests
  int64_t memory = 0;             // bytes
  int64_t nonzero_milli_cpu = 0;  // for scoring
  int64_t nonzero_memory = 0;

  std::vector<HostPort> host_ports;                                // sorted, app containers only
  std::vector<std::pair<std::string, std::string>> node_selector;  // sorted by key
  std::vector<api::Toleration> tolerations;

  // Spread group key ("" = none) and its id in a NodeTable (0 = none).
  std::string group_key;
  uint32_t group = 0;

  // Identical requirements <=> identical class key (see above).
  std::string class_key;

  // Whether the pod tolerates a taint (NoSchedule/NoExecute/PreferNoSchedule
  // semantics of Kubernetes: a toleration with an empty effect matches every
  // effect; operator Exists with an empty key matches every taint).
  bool Tolerates(const api::Taint& taint) const;
};

// The effective requests of a pod (see above), for tests and reports.
struct PodRequests {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
  int64_t nonzero_milli_cpu = 0;
  int64_t nonzero_memory = 0;
};
PodRequests ComputePodRequests(const api::PodSpec& spec);

// The spread group key of a pod ("" if none); see above.
std::string SpreadGroupKey(const api::Pod& pod);

// Compiles a pod. `group` is left 0; NodeTable::Intern assigns it.
PodInfo CompilePod(const api::Pod& pod);

}  // namespace navarch::scheduler
