#include "core/scheduler/framework.h"

#include <algorithm>
#include <set>

#include "core/scheduler/plugins.h"

namespace navarch::scheduler {
namespace {

constexpr std::string_view kOtherReasons = "node(s) were filtered out for other reasons";

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

template <class Map>
std::string KnownNames(const Map& m) {
  std::string out;
  for (const auto& [name, fn] : m) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

ReasonTable::ReasonTable() {
  sets_.emplace_back();                           // 0: feasible
  sets_.push_back({std::string(kOtherReasons)});  // 1: overflow
  ids_.emplace(std::string(kOtherReasons), uint16_t{1});
}

uint16_t ReasonTable::Intern(std::string_view reason) {
  return Intern(std::vector<std::string>{std::string(reason)});
}

uint16_t ReasonTable::Intern(std::vector<std::string> reasons) {
  std::sort(reasons.begin(), reasons.end());
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
  std::string joined = Join(reasons);
  auto it = ids_.find(joined);
  if (it != ids_.end()) return it->second;
  if (sets_.size() >= 0xFFFF) return 1;
  const auto code = static_cast<uint16_t>(sets_.size());
  sets_.push_back(std::move(reasons));
  ids_.emplace(std::move(joined), code);
  return code;
}

PluginRegistry BuiltinPlugins() {
  PluginRegistry r;
  r.filters.emplace("NodeReady", NewNodeReadyFilter);
  r.filters.emplace("NodeUnschedulable", NewNodeUnschedulableFilter);
  r.filters.emplace("TaintToleration", NewTaintTolerationFilter);
  r.filters.emplace("NodeSelector", NewNodeSelectorFilter);
  r.filters.emplace("NodePorts", NewNodePortsFilter);
  r.filters.emplace("NodeResourcesFit", NewNodeResourcesFitFilter);
  r.scores.emplace("LeastAllocated", NewLeastAllocatedScore);
  r.scores.emplace("MostAllocated", NewMostAllocatedScore);
  r.scores.emplace("BalancedAllocation", NewBalancedAllocationScore);
  r.scores.emplace("SelectorSpread", NewSelectorSpreadScore);
  r.scores.emplace("TaintToleration", NewTaintTolerationScore);
  return r;
}

// The order filters run in when a profile does not list them: cheap flag
// checks first, the resource arithmetic last (as in Kubernetes).
static std::vector<std::string> DefaultFilterOrder() {
  return {"NodeReady",    "NodeUnschedulable", "TaintToleration",
          "NodeSelector", "NodePorts",         "NodeResourcesFit"};
}

ProfileSpec SpreadProfile() {
  return ProfileSpec{"spread",
                     {},
                     {{"LeastAllocated", 1},
                      {"BalancedAllocation", 1},
                      {"SelectorSpread", 1},
                      {"TaintToleration", 1}}};
}

ProfileSpec BinpackProfile() {
  return ProfileSpec{
      "binpack", {}, {{"MostAllocated", 1}, {"BalancedAllocation", 1}, {"TaintToleration", 1}}};
}

ProfileSpec FlowProfile() {
  ProfileSpec p = SpreadProfile();
  p.name = "flow";
  p.strategy = Strategy::kFlow;
  return p;
}

ProfileSpec FlowBinpackProfile() {
  ProfileSpec p = BinpackProfile();
  p.name = "flow-binpack";
  p.strategy = Strategy::kFlow;
  return p;
}

std::vector<std::string> BuiltinProfileNames() {
  return {"spread", "binpack", "flow", "flow-binpack"};
}

Result<ProfileSpec> BuiltinProfile(std::string_view name) {
  if (name == "spread" || name.empty()) return SpreadProfile();
  if (name == "binpack") return BinpackProfile();
  if (name == "flow") return FlowProfile();
  if (name == "flow-binpack") return FlowBinpackProfile();
  return InvalidArgument("scheduler profile \"" + std::string(name) +
                         "\" is not a built-in profile; use \"spread\", \"binpack\", \"flow\" "
                         "or \"flow-binpack\", or list score plugins and weights for a custom "
                         "profile");
}

Result<Profile> BuildProfile(const ProfileSpec& spec, const PluginRegistry& registry) {
  const std::string what = "scheduler profile \"" + spec.name + "\"";
  Profile p;
  p.name = spec.name;
  const std::vector<std::string> filters =
      spec.filters.empty() ? DefaultFilterOrder() : spec.filters;
  std::set<std::string> seen;
  for (size_t i = 0; i < filters.size(); ++i) {
    const std::string& name = filters[i];
    auto it = registry.filters.find(name);
    if (it == registry.filters.end()) {
      return InvalidArgument(what + ": filters[" + std::to_string(i) +
                             "]: unknown filter plugin \"" + name +
                             "\" (known: " + KnownNames(registry.filters) + ")");
    }
    if (!seen.insert(name).second) {
      return InvalidArgument(what + ": filters[" + std::to_string(i) + "]: filter plugin \"" +
                             name + "\" is listed twice; list it once");
    }
    p.filters.push_back(it->second());
  }
  if (spec.scores.empty()) {
    return InvalidArgument(what + ": scores: no score plugins; list at least one (known: " +
                           KnownNames(registry.scores) + ")");
  }
  seen.clear();
  for (size_t i = 0; i < spec.scores.size(); ++i) {
    const auto& [name, weight] = spec.scores[i];
    const std::string field = what + ": scores[" + std::to_string(i) + "]";
    auto it = registry.scores.find(name);
    if (it == registry.scores.end()) {
      return InvalidArgument(field + ": unknown score plugin \"" + name +
                             "\" (known: " + KnownNames(registry.scores) + ")");
    }
    if (!seen.insert(name).second) {
      return InvalidArgument(field + ": score plugin \"" + name +
                             "\" is listed twice; list it once with the weight wanted");
    }
    if (weight < 1 || weight > 100) {
      return InvalidArgument(field + ": weight of \"" + name + "\" is " + std::to_string(weight) +
                             "; use a weight from 1 to 100");
    }
    p.scores.push_back({it->second(), weight});
  }
  return p;
}

}  // namespace navarch::scheduler
