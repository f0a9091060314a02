#include "core/kubelet/pod_status.h"

#include <algorithm>
#include <utility>

#include "core/api/well_known.h"

namespace navarch::kubelet {
namespace {

// The exit code a status stands for when it has stopped: its terminated
// state, or the last one while it waits to restart.
const api::ContainerStateTerminated* Stopped(const api::ContainerStatus& s) {
  if (s.state.terminated) return &*s.state.terminated;
  if (s.state.waiting && s.last_state.terminated) return &*s.last_state.terminated;
  return nullptr;
}

}  // namespace

std::string PodPhase(const api::PodSpec& spec,
                     const std::vector<api::ContainerStatus>& init_statuses,
                     const std::vector<api::ContainerStatus>& statuses) {
  const std::string_view policy = api::RestartPolicyOf(spec);
  bool init_pending = false;
  for (const auto& s : init_statuses) {
    if (s.state.terminated && s.state.terminated->exit_code == 0) continue;
    if (s.state.terminated && policy == api::kRestartNever) return std::string(api::kPodFailed);
    init_pending = true;
  }
  if (init_statuses.size() < spec.init_containers.size()) init_pending = true;
  if (init_pending) return std::string(api::kPodPending);

  int running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const auto& s : statuses) {
    if (s.state.running) {
      ++running;
    } else if (const auto* t = Stopped(s)) {
      ++stopped;
      if (t->exit_code == 0) ++succeeded;
    } else {
      ++waiting;
    }
  }
  waiting += static_cast<int>(spec.containers.size()) - static_cast<int>(statuses.size());
  if (waiting > 0) return std::string(api::kPodPending);
  if (running > 0) return std::string(api::kPodRunning);
  if (stopped == 0) return std::string(api::kPodPending);
  if (policy == api::kRestartAlways) return std::string(api::kPodRunning);
  if (stopped == succeeded) return std::string(api::kPodSucceeded);
  if (policy == api::kRestartNever) return std::string(api::kPodFailed);
  return std::string(api::kPodRunning);
}

const api::PodCondition* FindPodCondition(const std::vector<api::PodCondition>& conds,
                                          std::string_view type) {
  for (const auto& c : conds) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void SetPodCondition(std::vector<api::PodCondition>& conds,
                     const std::vector<api::PodCondition>& previous, std::string_view type,
                     bool status, std::string_view reason, std::string message, Time now) {
  const std::string_view st = status ? "True" : "False";
  const api::PodCondition* prev = FindPodCondition(previous, type);
  const Time transition = prev && prev->status == st ? prev->last_transition_time : now;
  for (auto& existing : conds) {
    if (existing.type != type) continue;
    // Usually the condition is already as wanted: then nothing is copied.
    if (existing.status != st) existing.status = std::string(st);
    if (existing.reason != reason) existing.reason = std::string(reason);
    if (existing.message != message) existing.message = std::move(message);
    existing.last_transition_time = transition;
    return;
  }
  api::PodCondition c;
  c.type = std::string(type);
  c.status = std::string(st);
  c.reason = std::string(reason);
  c.message = std::move(message);
  c.last_transition_time = transition;
  conds.push_back(std::move(c));
}

std::string QosClass(const api::PodSpec& spec) {
  bool any = false;
  bool guaranteed = true;
  auto visit = [&](const api::Container& c) {
    for (std::string_view res : {api::kResourceCpu, api::kResourceMemory}) {
      const std::string key(res);
      auto req = c.resources.requests.find(key);
      auto lim = c.resources.limits.find(key);
      const bool has_req = req != c.resources.requests.end() && !req->second.IsZero();
      const bool has_lim = lim != c.resources.limits.end() && !lim->second.IsZero();
      if (has_req || has_lim) any = true;
      if (!has_lim || (has_req && req->second != lim->second)) guaranteed = false;
    }
  };
  for (const auto& c : spec.init_containers)
    visit(c);
  for (const auto& c : spec.containers)
    visit(c);
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

api::ResourceList PodRequests(const api::PodSpec& spec) {
  return api::EffectiveRequests(spec);
}

std::string ImagePullPolicy(const api::Container& container) {
  if (!container.image_pull_policy.empty()) return container.image_pull_policy;
  const std::string& image = container.image;
  if (image.find('@') != std::string::npos) return "IfNotPresent";  // a digest
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

}  // namespace navarch::kubelet
