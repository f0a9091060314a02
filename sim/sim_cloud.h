#pragma once
// SimCloud: the simulated cloud behind the CloudProvider seam. It owns the
// machines of the simulated cluster, their placement in zones and racks (a
// Topology), their boot latency, and the scenario's failures and partitions.
//
// Groups. A node group (NodeGroupSpec) has a shape (capacity, instance type,
// labels, taints), a list of zones with `racks_per_zone` racks each, a size
// range and a boot-latency distribution. Machine n (1-based) of group "pool"
// is named "pool-<n>" (names are never reused) and is placed round-robin:
// zone = zones[(n-1) % Z], rack = "<zone>-rack-<((n-1) / Z) % R + 1>". The
// machine's labels are the group's plus
//   kubernetes.io/hostname            the machine name
//   topology.kubernetes.io/zone       its zone
//   navarch.io/rack                   its rack
//   node.kubernetes.io/instance-type  the group's instance type
// The CloudProvider MachineGroup of a group spanning several zones gives the
// zones joined with "," as its `zone`.
//
// A machine's life. Bootstrap() creates every group's initial machines,
// already running at the current time. AddMachines()/AddNodes() create
// machines that are kProvisioning for a boot latency drawn from the group's
// distribution, then kRunning. RemoveMachine()/RemoveNode() take a machine
// away (kStopping, then gone on the next loop turn). RebootMachine() takes it
// down and brings it back after a boot latency.
//
// Failures and partitions act on a node, a rack or a zone (Fail/Recover,
// Partition/Heal; see Topology for how they nest). A failed machine is down:
// it is not listed by ListMachines() until it recovers, and its containers
// are gone. A partitioned machine keeps running but its kubelet cannot reach
// the API. Machines still booting are affected too: one that finishes booting
// while down comes up only when it recovers. Recovery is immediate (no boot
// latency).
//
// Notifications. The runner learns what happens through a SimCloudListener:
// node_up (start the node's kubelet; if the node is partitioned,
// node_unreachable follows at once), node_down (stop its kubelet and drop its
// containers), node_unreachable / node_reachable (cut or restore the
// kubelet's access to the API). Every notification is posted on the clock —
// never delivered inside the call that caused it — and the notifications of
// one change go out in node-name order.
//
// Threading: single-threaded, on the loop of the Clock it was built with.
// Destroying the cloud cancels every pending callback.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/runtime/clock.h"
#include "core/runtime/cloud_provider.h"
#include "core/runtime/rng.h"
#include "sim/distribution.h"
#include "sim/topology.h"

namespace navarch::sim {

using api::kLabelHostname;
using api::kLabelZone;
inline constexpr std::string_view kLabelRack = "navarch.io/rack";
inline constexpr std::string_view kLabelInstanceType = "node.kubernetes.io/instance-type";

struct NodeGroupSpec {
  std::string name;
  int32_t count = 0;     // machines created by Bootstrap()
  int32_t min_size = 0;  // the size range AddMachines/RemoveMachine respect
  int32_t max_size = 0;
  std::vector<std::string> zones;  // at least one
  int32_t racks_per_zone = 1;      // at least one
  std::string instance_type;
  runtime::MachineCapacity capacity;
  std::map<std::string, std::string> labels;
  std::vector<api::Taint> taints;  // for the Node the kubelet registers
  Distribution boot_latency;       // for machines added after bootstrap
};

// A machine as the simulator knows it: the CloudProvider view plus placement.
struct SimMachine {
  runtime::Machine machine;
  std::string rack;
  std::vector<api::Taint> taints;
  // Pod IPs on this machine are pod_ip_prefix + 1..254 ("10.128.3.").
  std::string pod_ip_prefix;
  int32_t index = 0;  // n in "<group>-<n>"
};

enum class NodeDownReason { kFailed, kRemoved, kRebooted };
std::string_view NodeDownReasonName(NodeDownReason reason);

struct SimCloudListener {
  std::function<void(const SimMachine&)> node_up;
  std::function<void(const std::string& node, NodeDownReason reason)> node_down;
  std::function<void(const std::string& node)> node_unreachable;
  std::function<void(const std::string& node)> node_reachable;
};

class SimCloud final : public runtime::CloudProvider {
 public:
  // `rng` draws boot latencies (pass Engine::Stream("cloud")).
  SimCloud(runtime::Clock& clock, runtime::Rng rng);
  ~SimCloud() override;
  SimCloud(const SimCloud&) = delete;
  SimCloud& operator=(const SimCloud&) = delete;

  // Declares a group. kInvalidArgument (naming the group and field) for an
  // empty or duplicate name, no zones, racks_per_zone < 1, or
  // count outside [min_size, max_size].
  Status AddGroup(NodeGroupSpec spec);
  void SetListener(SimCloudListener listener) { listener_ = std::move(listener); }

  // Creates every group's `count` machines, running now; node_up is posted
  // for each. Call once, after the groups are declared.
  Status Bootstrap();

  // --- Scenario actions (validated now, announced through the listener) ---
  Status Fail(DomainLevel level, const std::string& name);
  Status Recover(DomainLevel level, const std::string& name);
  Status Partition(DomainLevel level, const std::string& name);
  Status Heal(DomainLevel level, const std::string& name);
  // Like AddMachines, answering now: the names of the new (booting) machines.
  Result<std::vector<std::string>> AddNodes(const std::string& group, int32_t count);
  // Like RemoveMachine, answering now.
  Status RemoveNode(const std::string& name);

  // --- Queries ---
  const Topology& topology() const { return topology_; }
  // Null if unknown or removed.
  const SimMachine* Find(const std::string& name) const;
  const NodeGroupSpec* FindGroup(const std::string& name) const;
  // The machines of a group not being removed, oldest first.
  std::vector<std::string> MachinesOf(const std::string& group) const;
  // Names of the machines that are running and up, sorted.
  std::vector<std::string> UpMachines() const;
  bool IsUp(const std::string& name) const;
  bool IsReachable(const std::string& name) const;

  // --- runtime::CloudProvider ---
  std::string Describe() const override;
  void ListGroups(runtime::CloudCallback<std::vector<runtime::MachineGroup>> done) override;
  void ListMachines(runtime::CloudCallback<std::vector<runtime::Machine>> done) override;
  void AddMachines(const std::string& group, int32_t count,
                   runtime::CloudCallback<std::vector<std::string>> done) override;
  void RemoveMachine(const std::string& name, std::function<void(Status)> done) override;
  void RebootMachine(const std::string& name, std::function<void(Status)> done) override;

 private:
  struct Group {
    NodeGroupSpec spec;
    int32_t next_index = 1;    // the number of the next machine's name
    int32_t current_size = 0;  // machines not removed
  };

  // Schedules `fn` and remembers it so the destructor can cancel it.
  void Schedule(Time when, std::function<void()> fn);
  void PostNotify(std::function<void()> fn) { Schedule(clock_.Now(), std::move(fn)); }
  Result<std::vector<std::string>> CreateMachines(Group& group, int32_t count, bool booted);
  void FinishBoot(const std::string& name);
  void Announce(const TopologyChange& change);
  void AnnounceUp(const std::string& name);
  void AnnounceDown(const std::string& name, NodeDownReason reason);
  Status ApplyChange(Result<TopologyChange> change);
  Result<Group*> GroupFor(const std::string& name);
  Result<SimMachine*> MachineFor(const std::string& name);

  runtime::Clock& clock_;
  runtime::Rng rng_;
  SimCloudListener listener_;
  std::map<std::string, Group> groups_;
  std::map<std::string, SimMachine> machines_;
  Topology topology_;
  uint32_t machines_created_ = 0;
  uint64_t next_token_ = 1;
  std::map<uint64_t, runtime::TimerId> pending_;
};

}  // namespace navarch::sim
