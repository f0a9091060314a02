#include "sim/sim_cloud.h"

#include <algorithm>

namespace navarch::sim {

std::string_view NodeDownReasonName(NodeDownReason reason) {
  switch (reason) {
    case NodeDownReason::kFailed:
      return "failed";
    case NodeDownReason::kRemoved:
      return "removed";
    case NodeDownReason::kRebooted:
      return "rebooted";
  }
  return "unknown";
}

SimCloud::SimCloud(runtime::Clock& clock, runtime::Rng rng) : clock_(clock), rng_(rng) {}

SimCloud::~SimCloud() {
  for (const auto& [token, id] : pending_)
    clock_.Cancel(id);
}

void SimCloud::Schedule(Time when, std::function<void()> fn) {
  const uint64_t token = next_token_++;
  const runtime::TimerId id = clock_.At(when, [this, token, fn = std::move(fn)] {
    pending_.erase(token);
    fn();
  });
  pending_.emplace(token, id);
}

Status SimCloud::AddGroup(NodeGroupSpec spec) {
  const std::string where = "node group \"" + spec.name + "\"";
  if (spec.name.empty()) return InvalidArgument("node group: name is required");
  if (groups_.count(spec.name)) return InvalidArgument(where + ": declared twice");
  if (spec.zones.empty()) return InvalidArgument(where + ": zones: list at least one zone");
  if (spec.racks_per_zone < 1) {
    return InvalidArgument(where + ": racksPerZone must be at least 1");
  }
  if (spec.min_size < 0 || spec.max_size < spec.min_size || spec.count < spec.min_size ||
      spec.count > spec.max_size) {
    return InvalidArgument(where + ": count " + std::to_string(spec.count) +
                           " must lie within [minSize, maxSize] = [" +
                           std::to_string(spec.min_size) + ", " + std::to_string(spec.max_size) +
                           "]");
  }
  Group group;
  group.spec = std::move(spec);
  std::string name = group.spec.name;
  groups_.emplace(std::move(name), std::move(group));
  return Status::Ok();
}

Status SimCloud::Bootstrap() {
  for (auto& [name, group] : groups_) {
    if (group.spec.count == 0) continue;
    NAVARCH_ASSIGN_OR_RETURN(std::vector<std::string> created,
                             CreateMachines(group, group.spec.count, /*booted=*/true));
    for (const std::string& m : created)
      AnnounceUp(m);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SimCloud::CreateMachines(Group& group, int32_t count,
                                                          bool booted) {
  const NodeGroupSpec& spec = group.spec;
  std::vector<std::string> names;
  for (int32_t i = 0; i < count; ++i) {
    const int32_t n = group.next_index++;
    const auto zones = static_cast<int32_t>(spec.zones.size());
    const std::string& zone = spec.zones[static_cast<size_t>((n - 1) % zones)];
    const std::string rack =
        zone + "-rack-" + std::to_string((n - 1) / zones % spec.racks_per_zone + 1);
    SimMachine m;
    m.machine.name = spec.name + "-" + std::to_string(n);
    m.machine.group = spec.name;
    m.machine.zone = zone;
    m.machine.capacity = spec.capacity;
    m.machine.labels = spec.labels;
    m.machine.labels[std::string(kLabelHostname)] = m.machine.name;
    m.machine.labels[std::string(kLabelZone)] = zone;
    m.machine.labels[std::string(kLabelRack)] = rack;
    if (!spec.instance_type.empty()) {
      m.machine.labels[std::string(kLabelInstanceType)] = spec.instance_type;
    }
    m.machine.state =
        booted ? runtime::MachineState::kRunning : runtime::MachineState::kProvisioning;
    m.machine.created_at = clock_.Now();
    const uint32_t k = ++machines_created_;
    m.machine.internal_ip = "10." + std::to_string((k >> 16) & 127) + "." +
                            std::to_string((k >> 8) & 255) + "." + std::to_string(k & 255);
    m.pod_ip_prefix =
        "10." + std::to_string(128 + ((k >> 8) & 127)) + "." + std::to_string(k & 255) + ".";
    m.rack = rack;
    m.index = n;
    m.taints = spec.taints;
    NAVARCH_RETURN_IF_ERROR(topology_.AddNode(zone, rack, m.machine.name));
    names.push_back(m.machine.name);
    std::string key = m.machine.name;
    machines_.emplace(std::move(key), std::move(m));
    ++group.current_size;
  }
  return names;
}

void SimCloud::AnnounceUp(const std::string& name) {
  const bool reachable = topology_.IsReachable(name);
  PostNotify([this, name, reachable] {
    auto it = machines_.find(name);
    if (it == machines_.end()) return;
    if (listener_.node_up) listener_.node_up(it->second);
    if (!reachable && listener_.node_unreachable) listener_.node_unreachable(name);
  });
}

void SimCloud::AnnounceDown(const std::string& name, NodeDownReason reason) {
  PostNotify([this, name, reason] {
    if (listener_.node_down) listener_.node_down(name, reason);
  });
}

void SimCloud::Announce(const TopologyChange& change) {
  const auto running = [this](const std::string& name) {
    auto it = machines_.find(name);
    return it != machines_.end() && it->second.machine.state == runtime::MachineState::kRunning;
  };
  for (const std::string& n : change.went_down) {
    if (running(n)) AnnounceDown(n, NodeDownReason::kFailed);
  }
  for (const std::string& n : change.came_up) {
    if (running(n)) AnnounceUp(n);
  }
  for (const std::string& n : change.became_unreachable) {
    if (running(n))
      PostNotify([this, n] {
        if (listener_.node_unreachable) listener_.node_unreachable(n);
      });
  }
  for (const std::string& n : change.became_reachable) {
    if (running(n))
      PostNotify([this, n] {
        if (listener_.node_reachable) listener_.node_reachable(n);
      });
  }
}

Status SimCloud::ApplyChange(Result<TopologyChange> change) {
  if (!change.ok()) return change.status();
  Announce(*change);
  return Status::Ok();
}

Status SimCloud::Fail(DomainLevel level, const std::string& name) {
  return ApplyChange(topology_.SetFailed(level, name, true));
}

Status SimCloud::Recover(DomainLevel level, const std::string& name) {
  return ApplyChange(topology_.SetFailed(level, name, false));
}

Status SimCloud::Partition(DomainLevel level, const std::string& name) {
  return ApplyChange(topology_.SetPartitioned(level, name, true));
}

Status SimCloud::Heal(DomainLevel level, const std::string& name) {
  return ApplyChange(topology_.SetPartitioned(level, name, false));
}

void SimCloud::FinishBoot(const std::string& name) {
  auto it = machines_.find(name);
  if (it == machines_.end() || it->second.machine.state != runtime::MachineState::kProvisioning) {
    return;
  }
  it->second.machine.state = runtime::MachineState::kRunning;
  if (topology_.IsUp(name)) AnnounceUp(name);
}

Result<SimCloud::Group*> SimCloud::GroupFor(const std::string& name) {
  auto it = groups_.find(name);
  if (it != groups_.end()) return &it->second;
  std::string known;
  for (const auto& [n, g] : groups_)
    known += (known.empty() ? "" : ", ") + n;
  return NotFound("unknown node group \"" + name +
                  "\" (groups: " + (known.empty() ? "none" : known) + ")");
}

Result<SimMachine*> SimCloud::MachineFor(const std::string& name) {
  auto it = machines_.find(name);
  if (it == machines_.end()) return NotFound("unknown machine \"" + name + "\"");
  return &it->second;
}

Result<std::vector<std::string>> SimCloud::AddNodes(const std::string& group_name, int32_t count) {
  NAVARCH_ASSIGN_OR_RETURN(Group * group, GroupFor(group_name));
  if (count <= 0) {
    return InvalidArgument("node group \"" + group_name + "\": count must be above zero, got " +
                           std::to_string(count));
  }
  if (group->current_size + count > group->spec.max_size) {
    return InvalidArgument("node group \"" + group_name + "\": adding " + std::to_string(count) +
                           " to " + std::to_string(group->current_size) +
                           " machines would exceed maxSize " +
                           std::to_string(group->spec.max_size));
  }
  NAVARCH_ASSIGN_OR_RETURN(std::vector<std::string> names,
                           CreateMachines(*group, count, /*booted=*/false));
  for (const std::string& n : names) {
    const Duration latency = group->spec.boot_latency.SampleDuration(rng_);
    Schedule(clock_.Now() + latency, [this, n] { FinishBoot(n); });
  }
  return names;
}

Status SimCloud::RemoveNode(const std::string& name) {
  NAVARCH_ASSIGN_OR_RETURN(SimMachine * m, MachineFor(name));
  if (m->machine.state == runtime::MachineState::kStopping) {
    return Status::Ok();  // already being removed
  }
  Group& group = groups_.at(m->machine.group);
  if (group.current_size - 1 < group.spec.min_size) {
    return InvalidArgument("node group \"" + group.spec.name + "\": removing \"" + name +
                           "\" would take it below minSize " + std::to_string(group.spec.min_size) +
                           " (size " + std::to_string(group.current_size) + ")");
  }
  const bool was_live = m->machine.state == runtime::MachineState::kRunning && topology_.IsUp(name);
  m->machine.state = runtime::MachineState::kStopping;
  --group.current_size;
  if (was_live) AnnounceDown(name, NodeDownReason::kRemoved);
  PostNotify([this, name] {
    (void)topology_.RemoveNode(name);
    machines_.erase(name);
  });
  return Status::Ok();
}

const SimMachine* SimCloud::Find(const std::string& name) const {
  auto it = machines_.find(name);
  return it == machines_.end() ? nullptr : &it->second;
}

const NodeGroupSpec* SimCloud::FindGroup(const std::string& name) const {
  auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second.spec;
}

std::vector<std::string> SimCloud::MachinesOf(const std::string& group) const {
  std::vector<std::pair<int32_t, std::string>> found;
  for (const auto& [name, m] : machines_) {
    if (m.machine.group == group && m.machine.state != runtime::MachineState::kStopping) {
      found.emplace_back(m.index, name);
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& [index, name] : found)
    out.push_back(std::move(name));
  return out;
}

std::vector<std::string> SimCloud::UpMachines() const {
  std::vector<std::string> out;
  for (const auto& [name, m] : machines_) {
    if (m.machine.state == runtime::MachineState::kRunning && topology_.IsUp(name)) {
      out.push_back(name);
    }
  }
  return out;
}

bool SimCloud::IsUp(const std::string& name) const {
  const SimMachine* m = Find(name);
  return m && m->machine.state == runtime::MachineState::kRunning && topology_.IsUp(name);
}

bool SimCloud::IsReachable(const std::string& name) const {
  return IsUp(name) && topology_.IsReachable(name);
}

std::string SimCloud::Describe() const {
  return "simulated(" + std::to_string(groups_.size()) + " groups, " +
         std::to_string(machines_.size()) + " machines)";
}

void SimCloud::ListGroups(runtime::CloudCallback<std::vector<runtime::MachineGroup>> done) {
  std::vector<runtime::MachineGroup> out;
  for (const auto& [name, g] : groups_) {
    runtime::MachineGroup mg;
    mg.name = name;
    for (const std::string& z : g.spec.zones)
      mg.zone += (mg.zone.empty() ? "" : ",") + z;
    mg.machine_type = g.spec.instance_type;
    mg.capacity = g.spec.capacity;
    mg.labels = g.spec.labels;
    mg.min_size = g.spec.min_size;
    mg.max_size = g.spec.max_size;
    mg.current_size = g.current_size;
    out.push_back(std::move(mg));
  }
  PostNotify([done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
}

void SimCloud::ListMachines(runtime::CloudCallback<std::vector<runtime::Machine>> done) {
  std::vector<runtime::Machine> out;
  for (const auto& [name, m] : machines_) {
    if (!topology_.IsUp(name)) continue;  // failed machines are not listed
    out.push_back(m.machine);
  }
  PostNotify([done = std::move(done), out = std::move(out)]() mutable { done(std::move(out)); });
}

void SimCloud::AddMachines(const std::string& group, int32_t count,
                           runtime::CloudCallback<std::vector<std::string>> done) {
  Result<std::vector<std::string>> r = AddNodes(group, count);
  PostNotify([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

void SimCloud::RemoveMachine(const std::string& name, std::function<void(Status)> done) {
  Status s = RemoveNode(name);
  PostNotify([done = std::move(done), s = std::move(s)] { done(s); });
}

void SimCloud::RebootMachine(const std::string& name, std::function<void(Status)> done) {
  Status s;
  auto it = machines_.find(name);
  if (it == machines_.end()) {
    s = NotFound("unknown machine \"" + name + "\"");
  } else if (it->second.machine.state != runtime::MachineState::kRunning) {
    s = InvalidArgument("machine \"" + name + "\" is " +
                        std::string(runtime::MachineStateName(it->second.machine.state)) +
                        "; only a running machine can be rebooted");
  } else {
    SimMachine& m = it->second;
    if (topology_.IsUp(name)) AnnounceDown(name, NodeDownReason::kRebooted);
    m.machine.state = runtime::MachineState::kProvisioning;
    const Duration latency = groups_.at(m.machine.group).spec.boot_latency.SampleDuration(rng_);
    Schedule(clock_.Now() + latency, [this, name] { FinishBoot(name); });
  }
  PostNotify([done = std::move(done), s = std::move(s)] { done(s); });
}

}  // namespace navarch::sim
