#include "core/scheduler/node_table.h"

#include <algorithm>
#include <cassert>
#include <numeric>

namespace navarch::scheduler {
namespace {

int64_t ResourceOf(const api::ResourceList& list, std::string_view name, bool milli,
                   int64_t fallback) {
  auto it = list.find(std::string(name));
  if (it == list.end()) return fallback;
  return milli ? it->second.MilliValue() : it->second.Value();
}

void EraseOne(std::vector<std::string>& v, const std::string& s) {
  auto it = std::find(v.begin(), v.end(), s);
  if (it == v.end()) return;
  *it = std::move(v.back());
  v.pop_back();
}

}  // namespace

uint32_t NodeInfo::GroupCount(uint32_t group) const {
  for (const auto& [g, c] : group_counts) {
    if (g == group) return c;
    if (g > group) break;
  }
  return 0;
}

NodeTable::NodeTable() {
  zone_names_.emplace_back();
}

void NodeTable::Touch(uint32_t i) {
  gen_[i] = next_gen_++;
  log_.push_back(i);
  const size_t cap = std::max<size_t>(4096, 2 * nodes_.size());
  if (log_.size() > cap) {
    const size_t drop = log_.size() / 2;
    log_.erase(log_.begin(), log_.begin() + static_cast<std::ptrdiff_t>(drop));
    log_base_ += drop;
  }
}

uint32_t NodeTable::InternZone(const std::string& name) {
  if (name.empty()) return 0;
  auto it = zone_ids_.find(name);
  if (it != zone_ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(zone_names_.size());
  zone_names_.push_back(name);
  zone_ids_.emplace(name, id);
  return id;
}

uint32_t NodeTable::InternGroup(const std::string& key) {
  if (key.empty()) return 0;
  auto [it, inserted] = group_ids_.try_emplace(key, next_group_);
  if (inserted) ++next_group_;
  return it->second;
}

void NodeTable::Apply(NodeInfo& n, const std::string& key, const PodRecord& p, int sign) {
  n.req_milli_cpu += sign * p.milli_cpu;
  n.req_memory += sign * p.memory;
  n.req_pods += sign;
  n.nonzero_milli_cpu += sign * p.nonzero_milli_cpu;
  n.nonzero_memory += sign * p.nonzero_memory;
  for (const auto& hp : p.ports) {
    if (sign > 0) {
      n.used_ports.insert(std::upper_bound(n.used_ports.begin(), n.used_ports.end(), hp), hp);
    } else {
      auto it = std::lower_bound(n.used_ports.begin(), n.used_ports.end(), hp);
      if (it != n.used_ports.end() && *it == hp) n.used_ports.erase(it);
    }
  }
  if (p.group != 0) {
    auto it = std::lower_bound(n.group_counts.begin(), n.group_counts.end(),
                               std::make_pair(p.group, uint32_t{0}));
    if (sign > 0) {
      if (it != n.group_counts.end() && it->first == p.group) {
        ++it->second;
      } else {
        n.group_counts.insert(it, {p.group, 1});
      }
    } else if (it != n.group_counts.end() && it->first == p.group) {
      if (--it->second == 0) n.group_counts.erase(it);
    }
  }
  if (sign > 0) {
    n.pods.push_back(key);
  } else {
    EraseOne(n.pods, key);
  }
}

NodeTable::Upsert NodeTable::UpsertNode(const api::Node& node) {
  NodeInfo next;
  next.name = node.metadata.name;
  const auto& res =
      node.status.allocatable.empty() ? node.status.capacity : node.status.allocatable;
  next.alloc_milli_cpu = ResourceOf(res, api::kResourceCpu, true, 0);
  next.alloc_memory = ResourceOf(res, api::kResourceMemory, false, 0);
  next.alloc_pods = ResourceOf(res, api::kResourcePods, false, kDefaultMaxPods);
  for (const auto& c : node.status.conditions) {
    if (c.type == "Ready") next.ready = c.status == "True";
  }
  next.unschedulable = node.spec.unschedulable;
  next.labels = node.metadata.labels;
  next.taints = node.spec.taints;
  for (const auto& t : next.taints) {
    if (t.effect == "PreferNoSchedule") {
      next.has_prefer_taints = true;
    } else {
      next.has_hard_taints = true;
    }
  }
  auto zl = next.labels.find(std::string(kZoneLabel));
  next.zone = InternZone(zl == next.labels.end() ? std::string() : zl->second);

  Upsert out;
  auto it = index_.find(next.name);
  if (it != index_.end()) {
    const uint32_t i = it->second;
    NodeInfo& cur = nodes_[i];
    out.index = i;
    const bool same = cur.alloc_milli_cpu == next.alloc_milli_cpu &&
                      cur.alloc_memory == next.alloc_memory && cur.alloc_pods == next.alloc_pods &&
                      cur.ready == next.ready && cur.unschedulable == next.unschedulable &&
                      cur.labels == next.labels && cur.taints == next.taints;
    if (same) return out;
    cur.alloc_milli_cpu = next.alloc_milli_cpu;
    cur.alloc_memory = next.alloc_memory;
    cur.alloc_pods = next.alloc_pods;
    cur.ready = next.ready;
    cur.unschedulable = next.unschedulable;
    cur.labels = std::move(next.labels);
    cur.taints = std::move(next.taints);
    cur.has_hard_taints = next.has_hard_taints;
    cur.has_prefer_taints = next.has_prefer_taints;
    cur.zone = next.zone;
    zone_[i] = next.zone;
    out.changed = true;
    Touch(i);
    return out;
  }

  // A new node: pick up the pods that were waiting for it.
  const auto i = static_cast<uint32_t>(nodes_.size());
  if (auto o = orphans_.find(next.name); o != orphans_.end()) {
    for (const auto& key : o->second) {
      auto p = pods_.find(key);
      if (p != pods_.end()) Apply(next, key, p->second, +1);
    }
    orphans_.erase(o);
  }
  index_.emplace(next.name, i);
  zone_.push_back(next.zone);
  nodes_.push_back(std::move(next));
  gen_.push_back(0);
  rank_.push_back(0);
  ranks_dirty_ = true;
  Touch(i);
  out.index = i;
  out.added = true;
  out.changed = true;
  return out;
}

bool NodeTable::RemoveNode(std::string_view name) {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return false;
  const uint32_t i = it->second;
  index_.erase(it);
  // Its pods wait for a node of the same name.
  NodeInfo& gone = nodes_[i];
  if (!gone.pods.empty()) {
    auto& list = orphans_[gone.name];
    for (auto& key : gone.pods)
      list.push_back(std::move(key));
  }
  const auto last = static_cast<uint32_t>(nodes_.size() - 1);
  if (i != last) {
    nodes_[i] = std::move(nodes_[last]);
    zone_[i] = zone_[last];
    index_[nodes_[i].name] = i;
  }
  nodes_.pop_back();
  zone_.pop_back();
  gen_.pop_back();
  rank_.pop_back();
  ranks_dirty_ = true;
  if (i != last) Touch(i);
  return true;
}

std::optional<uint32_t> NodeTable::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void NodeTable::EnsureRanks() {
  if (!ranks_dirty_) return;
  std::vector<uint32_t> order(nodes_.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return nodes_[a].name < nodes_[b].name; });
  for (uint32_t r = 0; r < order.size(); ++r)
    rank_[order[r]] = r;
  ranks_dirty_ = false;
  ++rank_epoch_;
}

std::optional<uint32_t> NodeTable::AddPod(const PodInfo& pod, std::string_view node_name,
                                          bool assumed) {
  auto existing = pods_.find(pod.key);
  if (existing != pods_.end()) {
    if (existing->second.node == node_name) {
      // Same node: refresh the assumption flag only.
      if (existing->second.assumed && !assumed) --assumed_;
      if (!existing->second.assumed && assumed) ++assumed_;
      existing->second.assumed = assumed;
      return Find(node_name);
    }
    RemovePod(pod.key);
  }
  PodRecord rec;
  rec.node = std::string(node_name);
  rec.milli_cpu = pod.milli_cpu;
  rec.memory = pod.memory;
  rec.nonzero_milli_cpu = pod.nonzero_milli_cpu;
  rec.nonzero_memory = pod.nonzero_memory;
  rec.ports = pod.host_ports;
  rec.group = pod.group;
  rec.assumed = assumed;
  if (assumed) ++assumed_;
  auto [it, inserted] = pods_.emplace(pod.key, std::move(rec));
  assert(inserted);
  (void)inserted;
  auto idx = Find(node_name);
  if (idx) {
    Apply(nodes_[*idx], pod.key, it->second, +1);
    Touch(*idx);
  } else {
    orphans_[std::string(node_name)].push_back(pod.key);
  }
  return idx;
}

std::string NodeTable::RemovePod(std::string_view pod_key, std::optional<uint32_t>* index) {
  if (index) index->reset();
  auto it = pods_.find(std::string(pod_key));
  if (it == pods_.end()) return {};
  PodRecord rec = std::move(it->second);
  pods_.erase(it);
  if (rec.assumed) --assumed_;
  const std::string key(pod_key);
  if (auto idx = Find(rec.node)) {
    Apply(nodes_[*idx], key, rec, -1);
    Touch(*idx);
    if (index) *index = idx;
  } else if (auto o = orphans_.find(rec.node); o != orphans_.end()) {
    EraseOne(o->second, key);
    if (o->second.empty()) orphans_.erase(o);
  }
  return rec.node;
}

bool NodeTable::ConfirmPod(std::string_view pod_key) {
  auto it = pods_.find(std::string(pod_key));
  if (it == pods_.end()) return false;
  if (it->second.assumed) --assumed_;
  it->second.assumed = false;
  return true;
}

bool NodeTable::IsAssumed(std::string_view pod_key) const {
  auto it = pods_.find(std::string(pod_key));
  return it != pods_.end() && it->second.assumed;
}

const std::string* NodeTable::PodNode(std::string_view pod_key) const {
  auto it = pods_.find(std::string(pod_key));
  return it == pods_.end() ? nullptr : &it->second.node;
}

}  // namespace navarch::scheduler
