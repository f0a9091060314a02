#include "core/controllers/controller_utils.h"

namespace navarch::controllers {

const api::PodCondition* FindPodCondition(const api::Pod& pod, std::string_view type) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

const api::NodeCondition* FindNodeCondition(const api::Node& node, std::string_view type) {
  for (const auto& c : node.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

std::optional<Time> PodReadySince(const api::Pod& pod) {
  const auto* c = FindPodCondition(pod, kConditionReady);
  if (!c || c->status != kConditionTrue) return std::nullopt;
  return c->last_transition_time;
}

bool IsPodAvailable(const api::Pod& pod, int32_t min_ready_seconds, Time now) {
  auto since = PodReadySince(pod);
  if (!since) return false;
  if (min_ready_seconds <= 0 || since->IsZero()) return true;
  return *since + seconds(min_ready_seconds) <= now;
}

bool IsTerminating(const api::Object& obj) {
  return obj.metadata.deletion_timestamp.has_value();
}

bool IsPodActive(const api::Pod& pod) {
  return !IsTerminating(pod) && pod.status.phase != api::kPodSucceeded &&
         pod.status.phase != api::kPodFailed;
}

const api::OwnerReference* ControllerRef(const api::Object& obj) {
  for (const auto& ref : obj.metadata.owner_references) {
    if (ref.controller.value_or(false)) return &ref;
  }
  return nullptr;
}

namespace {

int PhaseRank(const std::string& phase) {
  if (phase == api::kPodPending) return 1;
  if (phase == api::kPodUnknown) return 2;
  if (phase == api::kPodRunning) return 3;
  return 0;  // unset or anything else: least valuable
}

}  // namespace

bool DeleteBefore(const api::Pod& a, const api::Pod& b) {
  bool a_bound = !a.spec->node_name.empty();
  bool b_bound = !b.spec->node_name.empty();
  if (a_bound != b_bound) return !a_bound;
  int pa = PhaseRank(a.status.phase);
  int pb = PhaseRank(b.status.phase);
  if (pa != pb) return pa < pb;
  auto ra = PodReadySince(a);
  auto rb = PodReadySince(b);
  if (ra.has_value() != rb.has_value()) return !ra.has_value();
  if (ra && rb && *ra != *rb) return *ra > *rb;
  if (a.metadata.creation_timestamp != b.metadata.creation_timestamp) {
    return a.metadata.creation_timestamp > b.metadata.creation_timestamp;
  }
  return a.metadata.name < b.metadata.name;
}

}  // namespace navarch::controllers
