#include "core/scheduler/plugins.h"

#include <algorithm>
#include <cmath>

namespace navarch::scheduler {
namespace {

// ---- filters ----------------------------------------------------------------

class NodeReadyFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeReady"; }
  void Filter(const PodInfo&, const NodeTable& table, std::span<const uint32_t> nodes,
              std::span<uint16_t> out, ReasonTable& reasons) const override {
    uint16_t code = 0;
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (table.node(nodes[k]).ready) continue;
      if (code == 0) code = reasons.Intern("node(s) were not ready");
      out[k] = code;
    }
  }
};

class NodeUnschedulableFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeUnschedulable"; }
  void Filter(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
              std::span<uint16_t> out, ReasonTable& reasons) const override {
    uint16_t code = 0;
    int tolerates = -1;  // computed on first need
    for (size_t k = 0; k < nodes.size(); ++k) {
      if (!table.node(nodes[k]).unschedulable) continue;
      if (tolerates < 0) {
        api::Taint t;
        t.key = std::string(kUnschedulableTaintKey);
        t.effect = "NoSchedule";
        tolerates = pod.Tolerates(t) ? 1 : 0;
      }
      if (tolerates == 1) continue;
      if (code == 0) code = reasons.Intern("node(s) were unschedulable");
      out[k] = code;
    }
  }
};

class TaintTolerationFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "TaintToleration"; }
  void Filter(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
              std::span<uint16_t> out, ReasonTable& reasons) const override {
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeInfo& n = table.node(nodes[k]);
      if (!n.has_hard_taints) continue;
      for (const auto& taint : n.taints) {
        if (taint.effect != "NoSchedule" && taint.effect != "NoExecute") continue;
        if (pod.Tolerates(taint)) continue;
        out[k] = reasons.Intern("node(s) had untolerated taint {" + taint.key + ": " + taint.value +
                                "}");
        break;
      }
    }
  }
};

class NodeSelectorFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeSelector"; }
  void Filter(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
              std::span<uint16_t> out, ReasonTable& reasons) const override {
    if (pod.node_selector.empty()) return;
    uint16_t code = 0;
    for (size_t k = 0; k < nodes.size(); ++k) {
      const api::Labels& labels = table.node(nodes[k]).labels;
      bool match = true;
      for (const auto& [key, value] : pod.node_selector) {
        auto it = labels.find(key);
        if (it == labels.end() || it->second != value) {
          match = false;
          break;
        }
      }
      if (match) continue;
      if (code == 0) code = reasons.Intern("node(s) didn't match node selector");
      out[k] = code;
    }
  }
};

class NodePortsFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodePorts"; }
  void Filter(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
              std::span<uint16_t> out, ReasonTable& reasons) const override {
    if (pod.host_ports.empty()) return;
    uint16_t code = 0;
    for (size_t k = 0; k < nodes.size(); ++k) {
      const auto& used = table.node(nodes[k]).used_ports;
      bool conflict = false;
      for (const auto& want : pod.host_ports) {
        for (const auto& have : used) {
          if (want.Conflicts(have)) {
            conflict = true;
            break;
          }
        }
        if (conflict) break;
      }
      if (!conflict) continue;
      if (code == 0)
        code = reasons.Intern("node(s) didn't have free ports for the requested pod ports");
      out[k] = code;
    }
  }
};

class NodeResourcesFitFilter final : public FilterPlugin {
 public:
  std::string_view Name() const override { return "NodeResourcesFit"; }
  void Filter(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
              std::span<uint16_t> out, ReasonTable& reasons) const override {
    uint16_t codes[8] = {};
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeInfo& n = table.node(nodes[k]);
      unsigned bits = 0;
      if (n.req_pods + 1 > n.alloc_pods) bits |= 1;
      if (pod.milli_cpu > 0 && n.req_milli_cpu + pod.milli_cpu > n.alloc_milli_cpu) bits |= 2;
      if (pod.memory > 0 && n.req_memory + pod.memory > n.alloc_memory) bits |= 4;
      if (bits == 0) continue;
      if (codes[bits] == 0) {
        std::vector<std::string> list;
        if (bits & 1) list.emplace_back("Too many pods");
        if (bits & 2) list.emplace_back("Insufficient cpu");
        if (bits & 4) list.emplace_back("Insufficient memory");
        codes[bits] = reasons.Intern(std::move(list));
      }
      out[k] = codes[bits];
    }
  }
};

// ---- scores -----------------------------------------------------------------

int64_t LeastScore(int64_t requested, int64_t allocatable) {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return (allocatable - requested) * 100 / allocatable;
}

int64_t MostScore(int64_t requested, int64_t allocatable) {
  if (allocatable <= 0) return 0;
  return std::min(requested, allocatable) * 100 / allocatable;
}

double Fraction(int64_t requested, int64_t allocatable) {
  if (allocatable <= 0) return 1.0;
  double f = static_cast<double>(requested) / static_cast<double>(allocatable);
  return f > 1.0 ? 1.0 : f;
}

class LeastAllocatedScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "LeastAllocated"; }
  void Score(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
             std::span<int32_t> out) const override {
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeInfo& n = table.node(nodes[k]);
      const int64_t cpu =
          LeastScore(n.nonzero_milli_cpu + pod.nonzero_milli_cpu, n.alloc_milli_cpu);
      const int64_t mem = LeastScore(n.nonzero_memory + pod.nonzero_memory, n.alloc_memory);
      out[k] = static_cast<int32_t>((cpu + mem) / 2);
    }
  }
};

class MostAllocatedScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "MostAllocated"; }
  void Score(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
             std::span<int32_t> out) const override {
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeInfo& n = table.node(nodes[k]);
      const int64_t cpu = MostScore(n.nonzero_milli_cpu + pod.nonzero_milli_cpu, n.alloc_milli_cpu);
      const int64_t mem = MostScore(n.nonzero_memory + pod.nonzero_memory, n.alloc_memory);
      out[k] = static_cast<int32_t>((cpu + mem) / 2);
    }
  }
};

class BalancedAllocationScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "BalancedAllocation"; }
  void Score(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
             std::span<int32_t> out) const override {
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeInfo& n = table.node(nodes[k]);
      const double c = Fraction(n.nonzero_milli_cpu + pod.nonzero_milli_cpu, n.alloc_milli_cpu);
      const double m = Fraction(n.nonzero_memory + pod.nonzero_memory, n.alloc_memory);
      const double stddev = std::fabs(c - m) / 2.0;
      out[k] = static_cast<int32_t>((1.0 - stddev) * 100.0);
    }
  }
};

class SelectorSpreadScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "SelectorSpread"; }
  Normalization normalization() const override { return Normalization::kReverseMaxZones; }
  void Score(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
             std::span<int32_t> out) const override {
    for (size_t k = 0; k < nodes.size(); ++k) {
      out[k] =
          pod.group == 0 ? 0 : static_cast<int32_t>(table.node(nodes[k]).GroupCount(pod.group));
    }
  }
};

class TaintTolerationScore final : public ScorePlugin {
 public:
  std::string_view Name() const override { return "TaintToleration"; }
  Normalization normalization() const override { return Normalization::kReverseMax; }
  void Score(const PodInfo& pod, const NodeTable& table, std::span<const uint32_t> nodes,
             std::span<int32_t> out) const override {
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeInfo& n = table.node(nodes[k]);
      int32_t count = 0;
      if (n.has_prefer_taints) {
        for (const auto& taint : n.taints) {
          if (taint.effect == "PreferNoSchedule" && !pod.Tolerates(taint)) ++count;
        }
      }
      out[k] = count;
    }
  }
};

}  // namespace

std::unique_ptr<FilterPlugin> NewNodeReadyFilter() {
  return std::make_unique<NodeReadyFilter>();
}
std::unique_ptr<FilterPlugin> NewNodeUnschedulableFilter() {
  return std::make_unique<NodeUnschedulableFilter>();
}
std::unique_ptr<FilterPlugin> NewTaintTolerationFilter() {
  return std::make_unique<TaintTolerationFilter>();
}
std::unique_ptr<FilterPlugin> NewNodeSelectorFilter() {
  return std::make_unique<NodeSelectorFilter>();
}
std::unique_ptr<FilterPlugin> NewNodePortsFilter() {
  return std::make_unique<NodePortsFilter>();
}
std::unique_ptr<FilterPlugin> NewNodeResourcesFitFilter() {
  return std::make_unique<NodeResourcesFitFilter>();
}

std::unique_ptr<ScorePlugin> NewLeastAllocatedScore() {
  return std::make_unique<LeastAllocatedScore>();
}
std::unique_ptr<ScorePlugin> NewMostAllocatedScore() {
  return std::make_unique<MostAllocatedScore>();
}
std::unique_ptr<ScorePlugin> NewBalancedAllocationScore() {
  return std::make_unique<BalancedAllocationScore>();
}
std::unique_ptr<ScorePlugin> NewSelectorSpreadScore() {
  return std::make_unique<SelectorSpreadScore>();
}
std::unique_ptr<ScorePlugin> NewTaintTolerationScore() {
  return std::make_unique<TaintTolerationScore>();
}

}  // namespace navarch::scheduler
