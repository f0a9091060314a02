#pragma once
// The CloudProvider seam: the machines a cluster runs on, and the only way the
// control plane (cluster autoscaler, node lifecycle controller) adds or
// removes them.
//
// Model. Machines belong to *groups* (a GCE managed instance group, a
// simulated pool): every machine of a group has the same shape (capacity,
// labels, zone), and a group has a minimum and maximum size. A machine's name
// is the name of the Node object its kubelet registers, so the control plane
// joins the two by name.
//
// A machine's life: AddMachines() → kProvisioning (booting; the boot latency
// is the provider's: a random draw in the simulator, minutes on GCE) →
// kRunning (its kubelet starts and registers the Node through the Api) →
// RemoveMachine() → kStopping → gone from ListMachines. Providers may also
// report machines disappearing on their own (preemption, failures): they just
// stop being listed. The control plane learns about new nodes by watching
// Node objects, not by polling the provider.
//
// Implementations: a simulated cloud (sim/) and GCE Compute Engine
// (backends/gce/), chosen once in cmd/. A provider-less cluster (machines
// added by hand) simply has no CloudProvider.
//
// Threading and callbacks. As with ContainerRuntime: methods are called on
// the loop of the Clock the provider was built with; each completion callback
// is invoked exactly once, later, on that loop, never inline. The provider
// must outlive its callers; after its destruction begins no callback runs.
//
// Errors (as the Status of a callback):
//   kNotFound        unknown group or machine
//   kInvalidArgument the request would take a group outside [min_size,
//                    max_size] (the message gives the sizes), count <= 0
//   kUnavailable     the cloud API cannot be reached or refused the
//                    credentials; the message says which endpoint and what to
//                    check; retry later
//   kNotSupported    an optional capability
// Quota errors from a real cloud are kUnavailable with the quota's name.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"

namespace navarch::runtime {

// What one machine offers to pods (becomes the Node's status.capacity).
struct MachineCapacity {
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int64_t pods = 110;
  bool operator==(const MachineCapacity&) const = default;
};

enum class MachineState { kProvisioning, kRunning, kStopping };

constexpr std::string_view MachineStateName(MachineState state) {
  switch (state) {
    case MachineState::kProvisioning:
      return "provisioning";
    case MachineState::kRunning:
      return "running";
    case MachineState::kStopping:
      return "stopping";
  }
  return "unknown";
}

struct Machine {
  std::string name;  // == the Node's metadata.name
  std::string group;
  std::string zone;
  std::map<std::string, std::string> labels;  // become the Node's labels
  MachineCapacity capacity;
  MachineState state = MachineState::kProvisioning;
  std::string internal_ip;  // empty until known
  Time created_at;
};

struct MachineGroup {
  std::string name;
  std::string zone;
  std::string machine_type;  // "n1-standard-4", "sim-large"
  MachineCapacity capacity;  // of each machine in the group
  std::map<std::string, std::string> labels;
  int32_t min_size = 0;
  int32_t max_size = 0;
  // Machines listed in the group now (any state).
  int32_t current_size = 0;
};

template <class T>
using CloudCallback = std::function<void(Result<T>)>;

class CloudProvider {
 public:
  virtual ~CloudProvider() = default;

  // "simulated(3 groups)", "gce(project/zone)".
  virtual std::string Describe() const = 0;

  // Every group, sorted by name.
  virtual void ListGroups(CloudCallback<std::vector<MachineGroup>> done) = 0;
  // Every machine the provider knows, in every state, sorted by name.
  virtual void ListMachines(CloudCallback<std::vector<Machine>> done) = 0;

  // Asks for `count` more machines in `group`. Completes as soon as the
  // provider accepted the request, with the new machines' names (they are
  // listed as kProvisioning from then on); booting happens afterwards.
  // kInvalidArgument if current_size + count > max_size.
  virtual void AddMachines(const std::string& group, int32_t count,
                           CloudCallback<std::vector<std::string>> done) = 0;

  // Starts deleting one machine (kStopping). Completes once the provider
  // accepted the request. The caller should have drained the node first; the
  // provider does not touch Api objects. kInvalidArgument if this would take
  // the group below min_size.
  virtual void RemoveMachine(const std::string& name, std::function<void(Status)> done) = 0;

  // Optional: restart a machine in place (kNotSupported if not available).
  virtual void RebootMachine(const std::string& name, std::function<void(Status)> done) = 0;
};

}  // namespace navarch::runtime
