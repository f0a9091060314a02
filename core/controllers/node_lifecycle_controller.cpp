#include "core/controllers/node_lifecycle_controller.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/controllers/controller_utils.h"

namespace navarch::controllers {

namespace {

constexpr std::string_view kReasonUnknown = "NodeStatusUnknown";
constexpr std::string_view kReasonNeverUpdated = "NodeStatusNeverUpdated";
constexpr std::string_view kMessageUnknown = "Kubelet stopped posting node status.";
constexpr std::string_view kMessageNeverUpdated = "Kubelet never posted node status.";

ZoneState ComputeZoneState(int nodes, int not_ready, double threshold) {
  if (nodes > 0 && not_ready == nodes) return ZoneState::kFullDisruption;
  if (not_ready > 2 && static_cast<double>(not_ready) >= threshold * static_cast<double>(nodes)) {
    return ZoneState::kPartialDisruption;
  }
  return ZoneState::kNormal;
}

// One token per interval: 1/rate seconds, in whole nanoseconds.
Duration IntervalOf(double rate) {
  return Duration(static_cast<int64_t>(std::llround(1e9 / rate)));
}

const std::string& LabelOr(const api::Labels& labels, const std::string& key,
                           const std::string& legacy) {
  static const std::string kEmpty;
  auto it = labels.find(key);
  if (it == labels.end()) it = labels.find(legacy);
  return it == labels.end() ? kEmpty : it->second;
}

bool HasNoExecute(const api::Node& node, std::string_view key) {
  for (const auto& t : node.spec.taints) {
    if (t.key == key && t.effect == api::kEffectNoExecute) return true;
  }
  return false;
}

std::string_view NoExecuteKeyFor(std::string_view status) {
  return status == kConditionFalse ? api::kTaintNodeNotReady : api::kTaintNodeUnreachable;
}

// Makes `key` the controller's one NoExecute taint (timeAdded = now);
// false when it already is.
bool SetNoExecute(std::vector<api::Taint>& taints, std::string_view key, Time now) {
  bool present = false;
  bool changed = false;
  for (auto it = taints.begin(); it != taints.end();) {
    const bool ours = it->effect == api::kEffectNoExecute &&
                      (it->key == api::kTaintNodeNotReady || it->key == api::kTaintNodeUnreachable);
    if (ours && it->key == key && !present) {
      present = true;
      ++it;
    } else if (ours) {
      it = taints.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (!present) {
    api::Taint t;
    t.key = std::string(key);
    t.effect = std::string(api::kEffectNoExecute);
    t.time_added = now;
    taints.push_back(std::move(t));
    changed = true;
  }
  return changed;
}

// Removes the taints with `key` and `effect`; false when there were none.
bool RemoveTaint(std::vector<api::Taint>& taints, std::string_view key, std::string_view effect) {
  const size_t before = taints.size();
  std::erase_if(taints, [&](const api::Taint& t) { return t.key == key && t.effect == effect; });
  return taints.size() != before;
}

}  // namespace

std::string_view ZoneStateName(ZoneState state) {
  switch (state) {
    case ZoneState::kNormal:
      return "Normal";
    case ZoneState::kPartialDisruption:
      return "PartialDisruption";
    case ZoneState::kFullDisruption:
      return "FullDisruption";
  }
  return "Normal";
}

std::string NodeLifecycleController::ZoneOf(const api::Node& node) {
  // Built once: label lookups on every heartbeat allocate nothing.
  static const std::string kZone(kLabelZone), kZoneLegacy(kLabelZoneLegacy);
  static const std::string kRegion(kLabelRegion), kRegionLegacy(kLabelRegionLegacy);
  const std::string& zone = LabelOr(node.metadata.labels, kZone, kZoneLegacy);
  const std::string& region = LabelOr(node.metadata.labels, kRegion, kRegionLegacy);
  return region.empty() ? zone : region + "/" + zone;
}

NodeLifecycleController::NodeLifecycleController(client::Api& api, runtime::Clock& clock,
                                                 NodeLifecycleOptions options)
    : api_(api),
      clock_(clock),
      options_(options),
      started_(clock.Now()),
      own_informers_(options.informers ? nullptr : std::make_unique<InformerSet>(api, clock)),
      informers_(options.informers ? *options.informers : *own_informers_),
      nodes_(informers_.For(api::Kind::kNode)),
      pods_(informers_.For(api::Kind::kPod)),
      queue_(
          clock, [this](const std::string& key) { return Sync(key); }, options.queue) {
  std::weak_ptr<bool> alive = alive_;
  auto enqueue = [this, alive](const client::ObjectPtr& obj) {
    if (auto a = alive.lock(); a && *a) queue_.Add(obj->metadata.name);
  };
  client::InformerHandlers handlers;
  handlers.on_add = enqueue;
  handlers.on_update = [enqueue](const client::ObjectPtr&, const client::ObjectPtr& cur) {
    enqueue(cur);
  };
  handlers.on_delete = enqueue;
  nodes_.AddHandlers(std::move(handlers));
}

NodeLifecycleController::~NodeLifecycleController() {
  *alive_ = false;
  for (auto& [name, h] : health_) {
    if (h.wake_timer) clock_.Cancel(h.wake_timer);
  }
  for (auto& [name, zone] : zones_) {
    if (zone.timer) clock_.Cancel(zone.timer);
  }
  if (tainting_timer_) clock_.Cancel(tainting_timer_);
}

Status NodeLifecycleController::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_.Start());
  for (const auto& obj : nodes_.List())
    queue_.Add(obj->metadata.name);
  return Status::Ok();
}

ZoneState NodeLifecycleController::StateOf(const std::string& zone) const {
  auto it = zones_.find(zone);
  return it == zones_.end() ? ZoneState::kNormal : it->second.state;
}

std::vector<std::string> NodeLifecycleController::EvictionQueue(const std::string& zone) const {
  auto it = zones_.find(zone);
  if (it == zones_.end()) return {};
  return {it->second.queue.begin(), it->second.queue.end()};
}

// --- Sync -----------------------------------------------------------------

Status NodeLifecycleController::Sync(const std::string& name) {
  ++stats_.syncs;
  auto node = api::As<api::Node>(nodes_.Get("", name));
  if (!node) {
    Forget(name);
    return Status::Ok();
  }
  Time now = clock_.Now();
  auto [it, first_sight] = health_.try_emplace(name);
  NodeHealth& h = it->second;
  const api::NodeCondition* ready_cond = FindNodeCondition(*node, kConditionReady);
  Time heartbeat = ready_cond ? ready_cond->last_heartbeat_time : Time();
  if (first_sight || heartbeat != h.heartbeat) {
    h.probe = now;
    h.heartbeat = heartbeat;
  }
  Duration grace =
      ready_cond ? options_.node_monitor_grace_period : options_.node_startup_grace_period;
  std::string status = ready_cond ? ready_cond->status : std::string();

  // 1. Silent past the grace period: unreachable.
  if (status != kConditionUnknown && now >= MonitorPassAt(h.probe + grace)) {
    NAVARCH_ASSIGN_OR_RETURN(node, MarkUnknown(*node));
    ++stats_.nodes_marked_unknown;
    recorder().Record(*node, api::kEventNormal, "NodeNotReady",
                      "Node " + name + " status is now: NodeNotReady");
    status = std::string(kConditionUnknown);
  }

  // 2. Readiness, zone accounting, taints.
  const bool ready = status == kConditionTrue;
  Account(name, h, ZoneOf(*node), ready);
  NAVARCH_RETURN_IF_ERROR(SyncNoScheduleTaints(*node, status));
  if (ready) {
    CancelEviction(name, h);
    // The cache may not show a taint of ours yet: `tainted` remembers it.
    if (h.tainted || HasNoExecute(*node, api::kTaintNodeNotReady) ||
        HasNoExecute(*node, api::kTaintNodeUnreachable)) {
      NAVARCH_RETURN_IF_ERROR(UntaintNode(name));
    }
  } else if (status == kConditionFalse || status == kConditionUnknown) {
    const std::string_view want = NoExecuteKeyFor(status);
    const std::string_view other =
        want == api::kTaintNodeNotReady ? api::kTaintNodeUnreachable : api::kTaintNodeNotReady;
    if (HasNoExecute(*node, other)) {
      // Already tainted: the other reason replaces it at once.
      NAVARCH_RETURN_IF_ERROR(EditTaints(
          name, [&](api::Node& n) { return SetNoExecute(n.spec.taints, want, clock_.Now()); }));
    } else if (!HasNoExecute(*node, want) && h.eviction == Eviction::kNone) {
      h.eviction = Eviction::kQueued;
      zones_[h.zone].queue.push_back(name);
      ScheduleTaintingPass();
    }
  }

  // 3. When to look again: the grace deadline.
  std::optional<Time> target;
  if (status != kConditionUnknown) target = MonitorPassAt(h.probe + grace);
  ArmWake(name, h, target);

  // 4. A silent kubelet cannot report its pods: mark them not ready.
  if (status == kConditionUnknown && options_.mark_pods_not_ready) {
    NAVARCH_RETURN_IF_ERROR(MarkPodsNotReady(name));
  }
  return Status::Ok();
}

Result<std::shared_ptr<const api::Node>> NodeLifecycleController::MarkUnknown(
    const api::Node& node) {
  Time now = clock_.Now();
  api::Node copy = node;
  bool has_ready = false;
  for (auto& c : copy.status.conditions) {
    has_ready = has_ready || c.type == kConditionReady;
    if (c.status != kConditionUnknown) {
      c.status = std::string(kConditionUnknown);
      c.last_transition_time = now;
    }
    c.reason = std::string(kReasonUnknown);
    c.message = std::string(kMessageUnknown);
  }
  if (!has_ready) {
    api::NodeCondition c;
    c.type = std::string(kConditionReady);
    c.status = std::string(kConditionUnknown);
    c.last_heartbeat_time = node.metadata.creation_timestamp;
    c.last_transition_time = now;
    c.reason = std::string(kReasonNeverUpdated);
    c.message = std::string(kMessageNeverUpdated);
    copy.status.conditions.push_back(std::move(c));
  }
  auto written = api_.UpdateStatus(copy);
  if (!written.ok()) {
    // kConflict: the kubelet (or someone) wrote meanwhile; the retry sees it.
    return written.status().WithContext("marking " + client::ObjectName(node) + " unreachable");
  }
  return written;
}

Status NodeLifecycleController::MarkPodsNotReady(const std::string& node) {
  Status first_error;
  Time now = clock_.Now();
  auto not_ready = [&](const api::Pod& pod) {
    api::Pod copy = pod;
    for (auto& c : copy.status.conditions) {
      if (c.type != kConditionReady) continue;
      c.status = std::string(kConditionFalse);
      c.last_transition_time = now;
      c.reason = "NodeNotReady";
      c.message = "Node " + node + " is not ready.";
    }
    return api_.UpdateStatus(copy);
  };
  for (const auto& obj : pods_.ByIndex(client::kIndexNodeName, node)) {
    const auto* pod = api::As<api::Pod>(obj.get());
    if (!pod || !IsPodReady(*pod)) continue;
    auto written = not_ready(*pod);
    if (written.code() == Code::kConflict) {
      // The cache lags (often behind a write of ours): decide on the
      // current pod instead.
      auto fresh = api_.Get<api::Pod>(pod->metadata.namespace_, pod->metadata.name);
      if (!fresh.ok() || !IsPodReady(**fresh) || (*fresh)->spec->node_name != node) continue;
      written = not_ready(**fresh);
    }
    if (written.ok()) {
      ++stats_.pods_marked_not_ready;
      recorder().Record(**written, api::kEventWarning, "NodeNotReady", "Node is not ready");
    } else if (written.code() != Code::kNotFound && first_error.ok()) {
      first_error = written.status().WithContext("marking " + client::ObjectName(*pod) +
                                                 " not ready on unreachable node " + node);
    }
  }
  return first_error;
}

void NodeLifecycleController::Forget(const std::string& name) {
  auto it = health_.find(name);
  if (it == health_.end()) return;
  NodeHealth& h = it->second;
  if (h.wake_timer) clock_.Cancel(h.wake_timer);
  if (h.eviction == Eviction::kQueued) {
    auto& q = zones_[h.zone].queue;
    q.erase(std::remove(q.begin(), q.end(), name), q.end());
  }
  if (h.counted) {
    Zone& z = zones_[h.zone];
    --z.nodes;
    if (!h.ready) --z.not_ready;
  }
  health_.erase(it);
  UpdateZoneStates();
}

// --- Zones ----------------------------------------------------------------

void NodeLifecycleController::Account(const std::string& name, NodeHealth& h,
                                      const std::string& zone, bool ready) {
  if (h.counted && h.zone == zone && h.ready == ready) return;
  if (h.counted) {
    Zone& old = zones_[h.zone];
    --old.nodes;
    if (!h.ready) --old.not_ready;
    if (h.zone != zone && h.eviction == Eviction::kQueued) {
      old.queue.erase(std::remove(old.queue.begin(), old.queue.end(), name), old.queue.end());
      zones_[zone].queue.push_back(name);
    }
  }
  Zone& z = zones_[zone];
  ++z.nodes;
  if (!ready) ++z.not_ready;
  h.zone = zone;
  h.ready = ready;
  h.counted = true;
  UpdateZoneStates();
}

void NodeLifecycleController::UpdateZoneStates() {
  std::vector<std::string> changed;
  bool any = false;
  bool all_full = true;
  for (auto& [name, z] : zones_) {
    ZoneState state = ComputeZoneState(z.nodes, z.not_ready, options_.unhealthy_zone_threshold);
    if (state != z.state) {
      z.state = state;
      changed.push_back(name);
    }
    if (z.nodes > 0) {
      any = true;
      all_full = all_full && state == ZoneState::kFullDisruption;
    }
  }
  bool halted = any && all_full;
  if (halted != halted_) {
    halted_ = halted;
    if (halted) {
      EnterHalt();
    } else {
      LeaveHalt();
    }
    changed.clear();
    for (const auto& [name, z] : zones_)
      changed.push_back(name);
  }
  // The new rates apply from the next tainting pass, as Kubernetes swaps
  // a zone's limiter and works its queue on its own period.
  for (const auto& name : changed) {
    Zone& z = zones_[name];
    if (z.timer) {
      clock_.Cancel(z.timer);
      z.timer = 0;
    }
    if (!z.queue.empty()) ScheduleTaintingPass();
  }
}

double NodeLifecycleController::RateOf(const Zone& zone) const {
  if (halted_) return 0;
  // A zone that is entirely down while others are healthy is most likely a
  // real zone outage: its pods are better off elsewhere, at the normal rate.
  // A partly disrupted zone is ambiguous (a flaky network?), so it is drained
  // slowly — and a small one not at all.
  if (zone.state != ZoneState::kPartialDisruption) return options_.eviction_rate;
  return zone.nodes > options_.large_cluster_size_threshold ? options_.secondary_eviction_rate : 0;
}

Time NodeLifecycleController::MonitorPassAt(Time t) const {
  const Duration period = options_.node_monitor_period;
  if (period <= Duration::zero() || t <= started_) return t;
  const int64_t passes = ((t - started_).count() + period.count() - 1) / period.count();
  return started_ + Duration(passes * period.count());
}

void NodeLifecycleController::ScheduleTaintingPass() {
  if (tainting_timer_) return;
  std::weak_ptr<bool> alive = alive_;
  tainting_timer_ = clock_.After(options_.node_eviction_period, [this, alive] {
    if (auto a = alive.lock(); !a || !*a) return;
    tainting_timer_ = 0;
    for (auto& [name, z] : zones_) {
      if (!z.queue.empty() && !z.timer) ProcessZone(name);
    }
  });
}

void NodeLifecycleController::EnterHalt() {
  // Every node looks down: the master's view is the likely fault. The
  // NoExecute taints go; the not-ready nodes wait in their queues, in name
  // order.
  for (auto& [zone, z] : zones_)
    z.queue.clear();
  for (auto& [name, h] : health_) {
    h.eviction = Eviction::kNone;
    if (!h.counted || h.ready) continue;
    Status st = UntaintNode(name);
    if (!st.ok()) queue_.AddRateLimited(name);
    h.eviction = Eviction::kQueued;
    zones_[h.zone].queue.push_back(name);
  }
}

void NodeLifecycleController::LeaveHalt() {
  // Every node gets a fresh grace period, every zone a fresh limiter.
  const Time now = clock_.Now();
  for (auto& [name, h] : health_) {
    h.probe = now;
    queue_.Add(name);
  }
  for (auto& [name, z] : zones_)
    z.last_eviction.reset();
}

void NodeLifecycleController::ProcessZone(const std::string& zone_name) {
  Zone& z = zones_[zone_name];
  if (z.timer) {
    clock_.Cancel(z.timer);
    z.timer = 0;
  }
  double rate = RateOf(z);
  if (z.queue.empty() || !(rate > 0)) return;
  Duration interval = IntervalOf(rate);
  Time now = clock_.Now();
  Time next = z.last_eviction ? *z.last_eviction + interval : now;
  while (next <= now && !z.queue.empty()) {
    std::string name = std::move(z.queue.front());
    z.queue.pop_front();
    auto it = health_.find(name);
    if (it == health_.end() || it->second.eviction != Eviction::kQueued || it->second.ready) {
      continue;  // gone or recovered meanwhile: costs no token
    }
    NodeHealth& h = it->second;
    h.eviction = Eviction::kNone;
    if (!TaintNode(name)) continue;  // nothing to do after all: costs no token
    z.last_eviction = now;
    next = now + interval;
  }
  if (z.queue.empty()) return;
  std::weak_ptr<bool> alive = alive_;
  z.timer = clock_.At(next, [this, alive, zone_name] {
    if (auto a = alive.lock(); !a || !*a) return;
    zones_[zone_name].timer = 0;
    ProcessZone(zone_name);
  });
}

Status NodeLifecycleController::EditTaints(const std::string& name,
                                           const std::function<bool(api::Node&)>& edit) {
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto fresh = api_.Get<api::Node>("", name);
    if (fresh.code() == Code::kNotFound) return Status::Ok();
    NAVARCH_RETURN_IF_ERROR(fresh.status().WithContext("reading node " + name + " to taint it"));
    api::Node copy = **fresh;
    if (!edit(copy)) return Status::Ok();
    auto written = api_.Update(copy);
    if (written.ok() || written.code() == Code::kNotFound) return Status::Ok();
    last = written.status();
    if (written.code() != Code::kConflict) break;
  }
  ++stats_.taint_errors;
  return last.WithContext("updating the taints of node " + name);
}

Status NodeLifecycleController::SyncNoScheduleTaints(const api::Node& node,
                                                     const std::string& status) {
  struct Want {
    std::string_view key;
    bool on;
  };
  const Want wants[] = {
      {api::kTaintNodeNotReady, status == kConditionFalse},
      {api::kTaintNodeUnreachable, status == kConditionUnknown},
      {api::kTaintNodeUnschedulable, node.spec.unschedulable},
  };
  bool differs = false;
  for (const auto& w : wants) {
    bool has = false;
    for (const auto& t : node.spec.taints)
      has = has || (t.key == w.key && t.effect == api::kEffectNoSchedule);
    differs = differs || has != w.on;
  }
  if (!differs) return Status::Ok();
  return EditTaints(node.metadata.name, [&](api::Node& fresh) {
    std::vector<api::Taint>& taints = fresh.spec.taints;
    bool changed = false;
    for (const auto& w : wants) {
      if (!w.on) {
        changed = RemoveTaint(taints, w.key, api::kEffectNoSchedule) || changed;
        continue;
      }
      bool has = false;
      for (const auto& t : taints)
        has = has || (t.key == w.key && t.effect == api::kEffectNoSchedule);
      if (has) continue;
      api::Taint t;
      t.key = std::string(w.key);
      t.effect = std::string(api::kEffectNoSchedule);
      taints.push_back(std::move(t));
      changed = true;
    }
    return changed;
  });
}

bool NodeLifecycleController::TaintNode(const std::string& name) {
  bool wrote = false;
  // Decided on the node as stored: the cache may not have our own
  // condition write yet.
  Status st = EditTaints(name, [&](api::Node& node) {
    const api::NodeCondition* ready = FindNodeCondition(node, kConditionReady);
    wrote = ready && (ready->status == kConditionFalse || ready->status == kConditionUnknown) &&
            SetNoExecute(node.spec.taints, NoExecuteKeyFor(ready->status), clock_.Now());
    return wrote;
  });
  if (!st.ok()) {
    queue_.AddRateLimited(name);  // its next sync queues it again
    return true;                  // the attempt took the token
  }
  if (wrote) {
    ++stats_.nodes_tainted;
    if (auto it = health_.find(name); it != health_.end()) it->second.tainted = true;
  }
  return wrote;
}

Status NodeLifecycleController::UntaintNode(const std::string& name) {
  bool removed = false;
  NAVARCH_RETURN_IF_ERROR(EditTaints(name, [&](api::Node& node) {
    removed = RemoveTaint(node.spec.taints, api::kTaintNodeNotReady, api::kEffectNoExecute);
    removed =
        RemoveTaint(node.spec.taints, api::kTaintNodeUnreachable, api::kEffectNoExecute) || removed;
    return removed;
  }));
  if (removed) ++stats_.taints_removed;
  if (auto it = health_.find(name); it != health_.end()) it->second.tainted = false;
  return Status::Ok();
}

void NodeLifecycleController::CancelEviction(const std::string& name, NodeHealth& h) {
  if (h.eviction == Eviction::kQueued) {
    auto& q = zones_[h.zone].queue;
    q.erase(std::remove(q.begin(), q.end(), name), q.end());
    ++stats_.tainting_cancelled;
  }
  h.eviction = Eviction::kNone;
}

// --- Per-node wake-up timers ------------------------------------------------

void NodeLifecycleController::ArmWake(const std::string& name, NodeHealth& h,
                                      std::optional<Time> target) {
  h.wake_target = target;
  if (!target) {
    if (h.wake_timer) clock_.Cancel(h.wake_timer);
    h.wake_timer = 0;
    return;
  }
  // A timer due no later than the target stays: when it fires it re-arms
  // itself at the target (heartbeats only move the target).
  if (h.wake_timer && h.wake_at <= *target) return;
  if (h.wake_timer) clock_.Cancel(h.wake_timer);
  std::weak_ptr<bool> alive = alive_;
  h.wake_at = *target;
  h.wake_timer = clock_.At(*target, [this, alive, name] {
    if (auto a = alive.lock(); a && *a) OnWake(name);
  });
}

void NodeLifecycleController::OnWake(const std::string& name) {
  auto it = health_.find(name);
  if (it == health_.end()) return;
  NodeHealth& h = it->second;
  h.wake_timer = 0;
  if (!h.wake_target) return;
  if (clock_.Now() < *h.wake_target) {
    ArmWake(name, h, h.wake_target);
    return;
  }
  queue_.Add(name);
}

}  // namespace navarch::controllers
