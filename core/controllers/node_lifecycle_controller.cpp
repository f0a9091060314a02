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
  if (status != kConditionUnknown && now >= h.probe + grace) {
    NAVARCH_ASSIGN_OR_RETURN(node, MarkUnknown(*node));
    ++stats_.nodes_marked_unknown;
    status = std::string(kConditionUnknown);
  }

  // 2. Readiness, zone accounting, evictions.
  bool ready = status == kConditionTrue;
  if (ready) {
    CancelEviction(name, h);
    h.not_ready_since.reset();
  }
  Account(name, h, ZoneOf(*node), ready);
  if (!ready) {
    if (!h.not_ready_since) h.not_ready_since = now;
    if (h.eviction == Eviction::kNone &&
        now >= *h.not_ready_since + options_.pod_eviction_timeout) {
      h.eviction = Eviction::kQueued;
      zones_[h.zone].queue.push_back(name);
      ProcessZone(h.zone);
    }
  }

  // 3. When to look again: the grace deadline, or the eviction deadline.
  std::optional<Time> target;
  if (status != kConditionUnknown) target = h.probe + grace;
  if (!ready && h.eviction == Eviction::kNone) {
    Time evict_at = *h.not_ready_since + options_.pod_eviction_timeout;
    if (!target || evict_at < *target) target = evict_at;
  }
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
    changed.clear();
    for (const auto& [name, z] : zones_)
      changed.push_back(name);
  }
  for (const auto& name : changed)
    ProcessZone(name);
}

double NodeLifecycleController::RateOf(const Zone& zone) const {
  if (halted_) return 0;
  // A zone that is entirely down while others are healthy is most likely a
  // real zone outage: its pods are better off elsewhere, at the normal rate.
  // A partly disrupted zone is ambiguous (a flaky network?), so it is drained
  // slowly.
  return zone.state == ZoneState::kPartialDisruption ? options_.secondary_eviction_rate
                                                     : options_.eviction_rate;
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
    if (EvictNode(name)) {
      h.eviction = Eviction::kDone;
      ++stats_.nodes_evicted;
    } else {
      // Some delete failed: the node's next sync queues it again.
      h.eviction = Eviction::kNone;
      queue_.AddRateLimited(name);
    }
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

bool NodeLifecycleController::EvictNode(const std::string& name) {
  bool ok = true;
  for (const auto& obj : pods_.ByIndex(client::kIndexNodeName, name)) {
    if (IsTerminating(*obj)) continue;
    client::DeleteOptions opts;
    opts.grace_period_seconds = options_.eviction_grace_period_seconds;
    opts.uid = obj->metadata.uid;
    auto deleted = api_.Delete(api::Kind::kPod, obj->metadata.namespace_, obj->metadata.name, opts);
    if (deleted.ok()) {
      ++stats_.pods_evicted;
    } else if (deleted.code() != Code::kNotFound) {
      ++stats_.eviction_errors;
      ok = false;
    }
  }
  return ok;
}

void NodeLifecycleController::CancelEviction(const std::string& name, NodeHealth& h) {
  if (h.eviction == Eviction::kQueued) {
    auto& q = zones_[h.zone].queue;
    q.erase(std::remove(q.begin(), q.end(), name), q.end());
    ++stats_.evictions_cancelled;
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
