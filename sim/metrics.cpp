#include "sim/metrics.h"

#include <algorithm>
#include <cstdlib>

namespace navarch::sim {

namespace {

using Phase = PodLifecycle::Counted::Phase;

Phase PhaseOf(std::string_view phase) {
  if (phase == api::kPodRunning) return Phase::kRunning;
  if (phase == api::kPodSucceeded) return Phase::kSucceeded;
  if (phase == api::kPodFailed) return Phase::kFailed;
  return Phase::kPending;
}

bool Terminal(Phase p) {
  return p == Phase::kSucceeded || p == Phase::kFailed;
}

std::string ControllerOf(const api::Pod& pod) {
  for (const auto& ref : pod.metadata.owner_references) {
    if (ref.controller.value_or(false) && ref.kind == "ReplicationController") {
      return api::KeyOf(pod.metadata.namespace_, ref.name);
    }
  }
  return {};
}

// Container requests as the scheduler counts them: the larger of the sum over
// app containers and the largest init container.
std::pair<int64_t, int64_t> RequestsOf(const api::Pod& pod) {
  int64_t cpu = 0, mem = 0;
  auto get = [](const api::Container& c, std::string_view name) -> int64_t {
    auto it = c.resources.requests.find(std::string(name));
    if (it == c.resources.requests.end()) return 0;
    return name == api::kResourceCpu ? it->second.MilliValue() : it->second.Value();
  };
  for (const auto& c : pod.spec->containers) {
    cpu += get(c, api::kResourceCpu);
    mem += get(c, api::kResourceMemory);
  }
  for (const auto& c : pod.spec->init_containers) {
    cpu = std::max(cpu, get(c, api::kResourceCpu));
    mem = std::max(mem, get(c, api::kResourceMemory));
  }
  return {cpu, mem};
}

int64_t Allocatable(const api::Node& node, std::string_view name) {
  const auto* list = &node.status.allocatable;
  if (list->empty()) list = &node.status.capacity;
  auto it = list->find(std::string(name));
  if (it == list->end()) return 0;
  return name == api::kResourceCpu ? it->second.MilliValue() : it->second.Value();
}

std::string FormatReasons(const scheduler::Explanation& e) {
  std::string out;
  for (const auto& [reason, count] : e.filtered) {
    if (!out.empty()) out += "; ";
    out += std::to_string(count) + " " + reason;
  }
  return out;
}

std::string FormatScores(const scheduler::Explanation& e) {
  std::string out;
  for (const auto& s : e.scores) {
    if (!out.empty()) out += "; ";
    out += s.node + " " + std::to_string(s.total) + " (";
    bool first = true;
    for (const auto& p : s.plugins) {
      if (!first) out += ", ";
      first = false;
      out += p.plugin + " " + std::to_string(p.score) + "x" + std::to_string(p.weight);
    }
    out += ")";
  }
  return out;
}

}  // namespace

bool PodIsReady(const api::Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

bool NodeIsReady(const api::Node& node) {
  for (const auto& c : node.status.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

Metrics::Metrics(client::Api& api, runtime::Clock& clock, Time start, MetricsOptions options)
    : api_(api), clock_(clock), start_(start), options_(options) {}

Metrics::~Metrics() = default;

Status Metrics::Start() {
  node_informer_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kNode);
  node_informer_->AddHandlers({
      [this](const client::ObjectPtr& o) { OnNode(o, false); },
      [this](const client::ObjectPtr&, const client::ObjectPtr& o) { OnNode(o, false); },
      [this](const client::ObjectPtr& o) { OnNode(o, true); },
  });
  rc_informer_ =
      std::make_unique<client::Informer>(api_, clock_, api::Kind::kReplicationController);
  rc_informer_->AddHandlers({
      [this](const client::ObjectPtr& o) { OnRc(o, false); },
      [this](const client::ObjectPtr&, const client::ObjectPtr& o) { OnRc(o, false); },
      [this](const client::ObjectPtr& o) { OnRc(o, true); },
  });
  pod_informer_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kPod);
  pod_informer_->AddHandlers({
      [this](const client::ObjectPtr& o) { OnPod(o, false); },
      [this](const client::ObjectPtr&, const client::ObjectPtr& o) { OnPod(o, false); },
      [this](const client::ObjectPtr& o) { OnPod(o, true); },
  });
  endpoints_informer_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kEndpoints);
  endpoints_informer_->AddHandlers({
      [this](const client::ObjectPtr& o) { OnEndpoints(o, false); },
      [this](const client::ObjectPtr&, const client::ObjectPtr& o) { OnEndpoints(o, false); },
      [this](const client::ObjectPtr& o) { OnEndpoints(o, true); },
  });
  NAVARCH_RETURN_IF_ERROR(node_informer_->Start());
  NAVARCH_RETURN_IF_ERROR(rc_informer_->Start());
  NAVARCH_RETURN_IF_ERROR(endpoints_informer_->Start());
  return pod_informer_->Start();
}

std::string_view TimelineWhatName(TimelineEntry::What what) {
  switch (what) {
    case TimelineEntry::What::kNodeReady:
      return "NodeReady";
    case TimelineEntry::What::kPodReady:
      return "PodReady";
    case TimelineEntry::What::kRestart:
      return "Restart";
    case TimelineEntry::What::kEvicted:
      return "Evicted";
    case TimelineEntry::What::kEndpoints:
      return "Endpoints";
  }
  return "?";
}

void Metrics::Note(TimelineEntry::What what, std::string object, int64_t value,
                   std::string detail) {
  timeline_.push_back({Since(clock_.Now()), what, std::move(object), value, std::move(detail)});
}

void Metrics::OnEndpoints(const client::ObjectPtr& obj, bool deleted) {
  auto ep = api::As<api::Endpoints>(obj);
  if (!ep) return;
  const std::string key = api::KeyOf(*ep);
  int64_t ready = 0, not_ready = 0;
  if (!deleted) {
    for (const auto& s : ep->subsets) {
      ready += static_cast<int64_t>(s.addresses.size());
      not_ready += static_cast<int64_t>(s.not_ready_addresses.size());
    }
  }
  auto [it, added] = endpoints_.try_emplace(key, -1, -1);
  if (!added && it->second == std::pair{ready, not_ready}) return;
  it->second = {ready, not_ready};
  Note(TimelineEntry::What::kEndpoints, key, ready,
       deleted ? "deleted" : std::to_string(not_ready) + " not ready");
  if (deleted) endpoints_.erase(it);
}

int64_t Metrics::ReadyEndpoints(const std::string& key) const {
  auto it = endpoints_.find(key);
  return it == endpoints_.end() ? 0 : it->second.first;
}

std::vector<std::shared_ptr<const api::Event>> Metrics::KubeEvents() const {
  auto list = api_.List<api::Event>({});
  return list.ok() ? list->items : std::vector<std::shared_ptr<const api::Event>>{};
}

void Metrics::OnPod(const client::ObjectPtr& obj, bool deleted) {
  auto pod = api::As<api::Pod>(obj);
  if (!pod) return;
  const Time now = clock_.Now();
  size_t index;
  auto uid_it = by_uid_.find(pod->metadata.uid);
  if (uid_it == by_uid_.end()) {
    if (deleted) return;  // never seen alive
    index = pods_.size();
    pods_.emplace_back();
    PodLifecycle& rec = pods_.back();
    rec.key = api::KeyOf(*pod);
    rec.created = pod->metadata.creation_timestamp;
    std::tie(rec.cpu_millis, rec.memory_bytes) = RequestsOf(*pod);
    by_uid_[pod->metadata.uid] = index;
    by_key_[rec.key] = index;
  } else {
    index = uid_it->second;
    if (pods_[index].deleted) return;
  }
  PodLifecycle& rec = pods_[index];
  rec.last = pod;
  recovery_dirty_ = true;
  rec.controller = ControllerOf(*pod);
  rec.node = pod->spec->node_name;
  rec.phase = pod->status.phase.empty() ? std::string(api::kPodPending) : pod->status.phase;
  rec.deleting = pod->metadata.deletion_timestamp.has_value();
  if (rec.deleting && !rec.evicted) {
    // Evicted: deleted with a DisruptionTarget condition (the taint
    // manager's, Kubernetes' eviction mark).
    for (const auto& c : pod->status.conditions) {
      if (c.type == "DisruptionTarget" && c.status == "True") {
        rec.evicted = now;
        rec.eviction_reason = c.reason;
        ++evicted_total_;
        Note(TimelineEntry::What::kEvicted, rec.key, 0, c.reason);
        break;
      }
    }
  }
  const Phase phase = PhaseOf(rec.phase);
  if (!rec.node.empty() && !rec.scheduled) {
    rec.scheduled = now;
    ++scheduled_total_;
  }
  if ((phase == Phase::kRunning || Terminal(phase)) && !rec.started) {
    rec.started = now;
    ++started_total_;
  }
  if (Terminal(phase) && !rec.finished) {
    rec.finished = now;
    ++(phase == Phase::kSucceeded ? succeeded_total_ : failed_total_);
  }
  const bool ready_now = PodIsReady(*pod);
  if (!rec.ready && ready_now) rec.ready = now;
  if (ready_now != rec.ready_now && !deleted) {
    rec.ready_now = ready_now;
    Note(TimelineEntry::What::kPodReady, rec.key, ready_now ? 1 : 0, {});
  }
  int32_t restarts = 0;
  for (const auto& c : pod->status.container_statuses) {
    restarts += c.restart_count;
    if (c.restart_count == 0) continue;
    int32_t& seen = rec.container_restarts[c.name];
    if (c.restart_count <= seen) continue;
    seen = c.restart_count;
    const auto& t = c.last_state.terminated;
    Note(TimelineEntry::What::kRestart, rec.key, t ? t->exit_code : 0,
         c.name + (t && !t->reason.empty() ? " (" + t->reason + ")" : std::string()));
  }
  rec.restarts = std::max(rec.restarts, restarts);
  if (deleted) {
    rec.deleted = now;
    ++deleted_total_;
    Account(index, -1);  // no longer counted
    return;
  }
  // Most updates (a condition, a container state) leave what is counted as
  // it was: then there is nothing to move.
  PodLifecycle::Counted next = CountedOf(rec);
  if (next == rec.counted) return;
  Account(index, -1);
  rec.counted = std::move(next);
  Account(index, +1);
}

PodLifecycle::Counted Metrics::CountedOf(const PodLifecycle& rec) {
  PodLifecycle::Counted c;
  c.on = true;
  c.phase = PhaseOf(rec.phase);
  c.deleting = rec.deleting;
  c.unbound = rec.node.empty() && !Terminal(c.phase) && !rec.deleting;
  c.node = Terminal(c.phase) ? std::string() : rec.node;
  // Work under way: bound and starting, being deleted, or a batch pod
  // (restartPolicy OnFailure/Never) still running towards completion.
  const bool batch = rec.last && (rec.last->spec->restart_policy == api::kRestartOnFailure ||
                                  rec.last->spec->restart_policy == api::kRestartNever);
  c.unsettled = (!rec.node.empty() && c.phase == Phase::kPending) || rec.deleting ||
                (batch && c.phase == Phase::kRunning);
  c.rc = rec.controller;
  c.rc_active = !c.rc.empty() && !Terminal(c.phase) && !rec.deleting;
  return c;
}

void Metrics::Account(size_t index, int sign) {
  PodLifecycle& rec = pods_[index];
  PodLifecycle::Counted& c = rec.counted;
  if (!c.on) return;
  const int64_t d = sign;
  switch (c.phase) {
    case Phase::kPending:
      pending_ += d;
      break;
    case Phase::kRunning:
      running_ += d;
      break;
    case Phase::kSucceeded:
      succeeded_ += d;
      break;
    case Phase::kFailed:
      failed_ += d;
      break;
  }
  if (c.deleting) terminating_ += d;
  if (c.unbound) unbound_ += d;
  if (c.unsettled) {
    if (sign > 0)
      unsettled_.insert(index);
    else
      unsettled_.erase(index);
  }
  if (!c.node.empty()) {
    NodeState& n = nodes_[c.node];
    n.cpu_requested += d * rec.cpu_millis;
    n.memory_requested += d * rec.memory_bytes;
    if (sign > 0)
      n.pods.insert(index);
    else
      n.pods.erase(index);
  }
  if (!c.rc.empty()) {
    RcState& r = rcs_[c.rc];
    if (c.rc_active) r.active += d;
    if (sign > 0)
      r.pods.insert(index);
    else
      r.pods.erase(index);
  }
  if (sign < 0) c = PodLifecycle::Counted{};
}

void Metrics::OnNode(const client::ObjectPtr& obj, bool deleted) {
  auto node = api::As<api::Node>(obj);
  if (!node) return;
  NodeState& n = nodes_[node->metadata.name];
  if (n.registered) {
    --nodes_registered_;
    if (n.ready) --nodes_ready_;
  }
  n.registered = !deleted;
  n.ready = !deleted && NodeIsReady(*node);
  std::string status = deleted ? "Deleted" : "";
  std::string reason;
  for (const auto& c : node->status.conditions) {
    if (c.type != "Ready" || deleted) continue;
    status = c.status;
    reason = c.reason;
  }
  if (status != n.ready_status) {
    recovery_dirty_ = true;
    n.ready_status = status;
    Note(TimelineEntry::What::kNodeReady, node->metadata.name, n.ready ? 1 : 0,
         status + (reason.empty() ? std::string() : " (" + reason + ")"));
  }
  n.cpu_allocatable = Allocatable(*node, api::kResourceCpu);
  n.memory_allocatable = Allocatable(*node, api::kResourceMemory);
  if (n.registered) {
    ++nodes_registered_;
    if (n.ready) ++nodes_ready_;
  }
}

void Metrics::OnRc(const client::ObjectPtr& obj, bool deleted) {
  auto rc = api::As<api::ReplicationController>(obj);
  if (!rc) return;
  RcState& r = rcs_[api::KeyOf(*rc)];
  recovery_dirty_ = true;
  r.exists = !deleted;
  r.desired = rc->spec.replicas.value_or(1);
}

void Metrics::RecordDecision(const scheduler::SchedulingDecision& d) {
  if (auto it = by_key_.find(d.pod); it != by_key_.end()) ++pods_[it->second].scheduling_attempts;
  if (!options_.record_decisions) return;
  DecisionRecord r;
  r.t = Since(d.decided);
  r.pod = d.pod;
  r.attempt = d.attempt;
  r.node = d.node;
  r.waited = d.decided - d.first_queued;
  r.total_nodes = d.explanation.total_nodes;
  r.evaluated_nodes = d.explanation.evaluated_nodes;
  r.feasible_nodes = d.explanation.feasible_nodes;
  r.message = d.message;
  r.reasons = FormatReasons(d.explanation);
  r.scores = FormatScores(d.explanation);
  decisions_.push_back(std::move(r));
}

void Metrics::Sample(int64_t scheduler_queue) {
  SeriesSample s;
  s.t = Since(clock_.Now());
  s.pods_pending = pending_;
  s.pods_running = running_;
  s.pods_succeeded = succeeded_;
  s.pods_failed = failed_;
  s.pods_terminating = terminating_;
  s.nodes = nodes_registered_;
  s.nodes_ready = nodes_ready_;
  for (const auto& [name, n] : nodes_) {
    if (!n.registered || !n.ready) continue;
    s.cpu_requested_millis += n.cpu_requested;
    s.cpu_allocatable_millis += n.cpu_allocatable;
    s.memory_requested_bytes += n.memory_requested;
    s.memory_allocatable_bytes += n.memory_allocatable;
  }
  s.scheduler_queue = scheduler_queue;
  series_.push_back(s);
}

void Metrics::BeginRecovery(Recovery recovery) {
  recovery_dirty_ = true;
  std::set<std::string> affected;
  for (const auto& node : recovery.nodes) {
    auto it = nodes_.find(node);
    if (it == nodes_.end()) continue;
    for (size_t i : it->second.pods) {
      const auto& c = pods_[i].counted;
      if (c.rc_active) affected.insert(c.rc);
    }
  }
  recovery.affected_controllers.assign(affected.begin(), affected.end());
  if (affected.empty()) {
    recovery.recovered_after = Duration{0};
  } else {
    ++open_recoveries_;
  }
  recoveries_.push_back(std::move(recovery));
  recovery_rcs_.push_back(std::move(affected));
}

bool Metrics::HealthyReplica(const PodLifecycle& p,
                             const std::function<bool(const std::string&)>& healthy) const {
  return !p.deleted && !p.deleting && p.phase == api::kPodRunning && p.last &&
         PodIsReady(*p.last) && !p.node.empty() && healthy(p.node);
}

void Metrics::UpdateRecoveries(const std::function<bool(const std::string& node)>& healthy) {
  if (open_recoveries_ == 0 || !recovery_dirty_) return;
  recovery_dirty_ = false;
  const Duration now = Since(clock_.Now());
  for (size_t k = 0; k < recoveries_.size(); ++k) {
    Recovery& r = recoveries_[k];
    if (r.recovered_after) continue;
    bool done = true;
    for (const auto& rc_key : recovery_rcs_[k]) {
      auto it = rcs_.find(rc_key);
      if (it == rcs_.end() || !it->second.exists) continue;
      int64_t ok = 0;
      for (size_t i : it->second.pods) {
        if (HealthyReplica(pods_[i], healthy)) ++ok;
      }
      if (ok < it->second.desired) {
        done = false;
        break;
      }
    }
    if (done) {
      r.recovered_after = now - r.at;
      --open_recoveries_;
    }
  }
}

const PodLifecycle* Metrics::FindPod(const std::string& key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &pods_[it->second];
}

std::vector<std::string> Metrics::PodsOn(const std::string& node) const {
  std::vector<std::string> out;
  auto it = nodes_.find(node);
  if (it == nodes_.end()) return out;
  for (size_t i : it->second.pods)
    out.push_back(pods_[i].key);
  std::sort(out.begin(), out.end());
  return out;
}

bool Metrics::NodeReady(const std::string& node) const {
  auto it = nodes_.find(node);
  return it != nodes_.end() && it->second.registered && it->second.ready;
}

int64_t Metrics::ControllerDeficit() const {
  int64_t deficit = 0;
  for (const auto& [key, r] : rcs_) {
    if (r.exists) deficit += std::llabs(r.active - r.desired);
  }
  return deficit;
}

bool Metrics::AnyUnsettled(const std::function<bool(const std::string& node)>& alive) const {
  for (size_t i : unsettled_) {
    const auto& node = pods_[i].node;
    if (node.empty() || alive(node)) return true;
  }
  return false;
}

std::map<std::string, int32_t> Metrics::ControllerReplicas() const {
  std::map<std::string, int32_t> out;
  for (const auto& [key, r] : rcs_) {
    if (r.exists) out[key] = r.desired;
  }
  return out;
}

}  // namespace navarch::sim
