#include "core/scheduler/scheduler.h"
#include "core/api/well_known.h"

#include <algorithm>
#include <charconv>

namespace navarch::scheduler {
namespace {

bool Terminal(const api::Pod& pod) {
  return api::IsTerminalPhase(pod.status.phase);
}

// Whether resourceVersion `a` is at least `b` (both store revisions in
// decimal); true when either does not parse, so the newer event wins.
bool AtLeast(const std::string& a, const std::string& b) {
  uint64_t x = 0, y = 0;
  auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
  auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ra.ec != std::errc() || rb.ec != std::errc()) return true;
  return x >= y;
}

}  // namespace

std::string DecisionSummary(const SchedulingDecision& d) {
  std::string out = d.pod;
  if (!d.node.empty()) {
    out += " -> " + d.node;
  } else {
    out += " unschedulable";
  }
  out += " (attempt " + std::to_string(d.attempt) + ")";
  if (!d.message.empty()) out += ": " + d.message;
  return out;
}

Scheduler::Scheduler(client::Api& api, runtime::Clock& clock, SchedulerOptions options)
    : base_api_(api),
      clock_(clock),
      options_(std::move(options)),
      throttle_(clock, options_.client),
      api_(api, throttle_),
      queue_(clock, options_.queue) {
  if (options_.scheduler_name.empty()) options_.scheduler_name = std::string(kDefaultSchedulerName);
  if (options_.record_events) {
    recorder_ = std::make_unique<client::ApiEventRecorder>(
        base_api_, clock_, client::EventRecorderOptions{.component = options_.scheduler_name});
  }
  queue_.SetOnActive([this] { Kick(); });
}

Scheduler::~Scheduler() {
  *alive_ = false;
  Stop();
}

Status Scheduler::Start() {
  if (started_)
    return InvalidArgument("scheduler " + options_.scheduler_name + ": already started");
  NAVARCH_ASSIGN_OR_RETURN(Profile profile, BuildProfile(options_.profile));
  decider_ = std::make_unique<Decider>(std::move(profile), options_.decider);
  if (options_.profile.strategy == Strategy::kFlow) {
    flow_ = std::make_unique<FlowDecider>(*decider_, options_.flow);
  }

  const bool shared = options_.pod_informer || options_.node_informer;
  if (shared && (!options_.pod_informer || !options_.node_informer)) {
    return InvalidArgument("scheduler " + options_.scheduler_name +
                           ": share both the pod and the node informer, or neither");
  }
  if (shared && (options_.pod_informer->HasSynced() || options_.node_informer->HasSynced())) {
    return InvalidArgument("scheduler " + options_.scheduler_name +
                           ": the shared informers already started; start the scheduler first");
  }
  if (!shared) {
    nodes_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kNode);
    pods_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kPod);
  }
  client::Informer& nodes = shared ? *options_.node_informer : *nodes_;
  client::Informer& pods = shared ? *options_.pod_informer : *pods_;
  std::weak_ptr<bool> alive = alive_;
  auto live = [alive] {
    auto a = alive.lock();
    return a && *a;
  };
  client::InformerHandlers nh;
  // A stopped scheduler ignores what shared informers still deliver.
  nh.on_add = [this, live](const api::ObjectPtr& o) {
    if (!live() || !started_) return;
    if (auto n = api::As<api::Node>(o)) OnNode(*n);
  };
  nh.on_update = [this, live](const api::ObjectPtr&, const api::ObjectPtr& o) {
    if (!live() || !started_) return;
    if (auto n = api::As<api::Node>(o)) OnNode(*n);
  };
  nh.on_delete = [this, live](const api::ObjectPtr& o) {
    if (!live() || !started_) return;
    if (auto n = api::As<api::Node>(o)) OnNodeDeleted(*n);
  };
  nodes.AddHandlers(std::move(nh));

  client::InformerHandlers ph;
  ph.on_add = [this, live](const api::ObjectPtr& o) {
    if (!live() || !started_) return;
    if (auto p = api::As<api::Pod>(o)) OnPod(p, nullptr);
  };
  ph.on_update = [this, live](const api::ObjectPtr& old, const api::ObjectPtr& o) {
    if (!live() || !started_) return;
    auto prev = api::As<api::Pod>(old);
    if (auto p = api::As<api::Pod>(o)) OnPod(p, prev.get());
  };
  ph.on_delete = [this, live](const api::ObjectPtr& o) {
    if (!live() || !started_) return;
    if (auto p = api::As<api::Pod>(o)) OnPodDeleted(p);
  };
  pods.AddHandlers(std::move(ph));

  started_ = true;
  if (shared) return Status::Ok();  // the owner starts them
  if (Status st = nodes_->Start().WithContext("scheduler: node informer"); !st.ok()) {
    started_ = false;
    return st;
  }
  if (Status st = pods_->Start().WithContext("scheduler: pod informer"); !st.ok()) {
    started_ = false;
    return st;
  }
  return Status::Ok();
}

void Scheduler::Stop() {
  if (pods_) pods_->Stop();
  if (nodes_) nodes_->Stop();
  for (auto& [key, p] : pending_) {
    if (p.expiry != 0) clock_.Cancel(p.expiry);
    p.expiry = 0;
  }
  started_ = false;
}

bool Scheduler::Responsible(const api::Pod& pod) const {
  const std::string& name = pod.spec->scheduler_name;
  return name.empty() ? options_.scheduler_name == kDefaultSchedulerName
                      : name == options_.scheduler_name;
}

void Scheduler::OnNode(const api::Node& node) {
  auto u = table_.UpsertNode(node);
  if (u.changed) NodeChanged(u.index);
}

void Scheduler::OnNodeDeleted(const api::Node& node) {
  table_.RemoveNode(node.metadata.name);
}

void Scheduler::NodeChanged(std::optional<uint32_t> index) {
  if (!index || !decider_ || queue_.UnschedulableSize() == 0) return;
  const uint32_t i = *index;
  queue_.MoveUnschedulable([&](const std::string& key) {
    auto it = pending_.find(key);
    return it != pending_.end() && decider_->Fits(it->second.info, table_, i);
  });
}

void Scheduler::Forget(const std::string& key, Pending& p) {
  std::optional<uint32_t> index;
  if (p.state != State::kQueued) {
    if (p.expiry != 0) clock_.Cancel(p.expiry);
    table_.RemovePod(key, &index);
  }
  queue_.Delete(key);
  pending_.erase(key);
  NodeChanged(index);
}

void Scheduler::OnPod(const std::shared_ptr<const api::Pod>& pod, const api::Pod* old) {
  const std::string key = api::KeyOf(*pod);
  const std::string& node = pod->spec->node_name;

  if (!node.empty()) {
    // Bound (by us or anyone): count it on its node.
    if (auto it = pending_.find(key); it != pending_.end()) {
      if (it->second.state != State::kQueued) ++stats_.confirmed;
      if (it->second.expiry != 0) clock_.Cancel(it->second.expiry);
      queue_.Delete(key);
      pending_.erase(it);
    }
    std::optional<uint32_t> freed;
    if (Terminal(*pod)) {
      table_.RemovePod(key, &freed);
      NodeChanged(freed);
      return;
    }
    const std::string* counted = table_.PodNode(key);
    // An assumed pod seen bound where it was assumed is confirmed without
    // comparing specs (the common case: our own bind coming back).
    if (counted && *counted == node && (table_.IsAssumed(key) || (old && old->spec == pod->spec))) {
      table_.ConfirmPod(key);
      return;
    }
    PodInfo info = CompilePod(*pod);
    table_.Intern(info);
    if (counted) table_.RemovePod(key, &freed);
    table_.AddPod(info, node, /*assumed=*/false);
    NodeChanged(freed);
    return;
  }

  auto it = pending_.find(key);
  if (Terminal(*pod) || pod->metadata.deletion_timestamp || !Responsible(*pod)) {
    if (it != pending_.end()) Forget(key, it->second);
    return;
  }
  PodInfo info = CompilePod(*pod);
  table_.Intern(info);
  if (it == pending_.end()) {
    Pending p;
    p.pod = pod;
    p.info = std::move(info);
    p.first_queued = p.queued = clock_.Now();
    const int32_t priority = p.info.priority;
    pending_.emplace(key, std::move(p));
    queue_.Add(key, priority);
    return;
  }
  Pending& p = it->second;
  if (AtLeast(pod->metadata.resource_version, p.pod->metadata.resource_version)) p.pod = pod;
  if (info.class_key != p.info.class_key || info.priority != p.info.priority) {
    p.info = std::move(info);
    if (p.state == State::kQueued) {
      if (queue_.Where(key) == SchedulingQueue::Place::kUnschedulable) p.queued = clock_.Now();
      queue_.Update(key, p.info.priority);
    }
  }
}

void Scheduler::OnPodDeleted(const std::shared_ptr<const api::Pod>& pod) {
  const std::string key = api::KeyOf(*pod);
  if (auto it = pending_.find(key); it != pending_.end()) {
    Forget(key, it->second);
    return;
  }
  std::optional<uint32_t> freed;
  table_.RemovePod(key, &freed);
  NodeChanged(freed);
}

void Scheduler::Kick() {
  if (kicked_ || queue_.ActiveSize() == 0) return;
  kicked_ = true;
  // The next cycle waits for the last decision's time and for the client.
  Time at = std::max(busy_until_, throttle_.ReadyAt());
  clock_.At(at, [this, alive = alive_] {
    if (!*alive) return;
    kicked_ = false;
    if (flow_) {
      ScheduleBatch();
    } else {
      ScheduleOne();
    }
    Kick();
  });
}

Duration Scheduler::DecisionTime(size_t pods, size_t nodes) const {
  const auto& cost = options_.decision_cost;
  return cost.fixed * static_cast<int64_t>(pods) + cost.per_node * static_cast<int64_t>(nodes);
}

void Scheduler::ScheduleOne() {
  auto popped = queue_.Pop();
  if (!popped) return;
  const std::string key = std::move(*popped);
  auto it = pending_.find(key);
  if (it == pending_.end() || it->second.state != State::kQueued) {
    queue_.Delete(key);
    return;
  }
  Pending& p = it->second;
  ++stats_.attempts;

  SchedulingDecision d;
  d.pod = key;
  d.first_queued = p.first_queued;
  d.queued = p.queued;
  d.decided = clock_.Now();
  d.attempt = queue_.Attempts(key);

  const bool observe = static_cast<bool>(options_.observer);
  Placement placement = decider_->Decide(p.info, table_, observe ? &d.explanation : nullptr);
  busy_until_ = clock_.Now() + DecisionTime(1, placement.evaluated);
  Commit(key, p, d, placement.node, /*assumed=*/false);
}

void Scheduler::ScheduleBatch() {
  std::vector<std::pair<std::string, Pending*>> batch;
  const size_t limit = std::max<size_t>(options_.max_batch, 1);
  while (batch.size() < limit) {
    auto popped = queue_.Pop();
    if (!popped) break;
    auto it = pending_.find(*popped);
    if (it == pending_.end() || it->second.state != State::kQueued) {
      queue_.Delete(*popped);
      continue;
    }
    batch.emplace_back(std::move(*popped), &it->second);
  }
  if (batch.empty()) return;
  ++stats_.rounds;
  const Time now = clock_.Now();
  std::vector<FlowPod> pods(batch.size());
  for (size_t k = 0; k < batch.size(); ++k) {
    pods[k].info = &batch[k].second->info;
    pods[k].waited = now - batch[k].second->first_queued;
  }
  std::vector<FlowPlacement> placements = flow_->DecideBatch(pods, table_);
  busy_until_ = now + DecisionTime(batch.size(), batch.size() * table_.size());
  for (size_t k = 0; k < batch.size(); ++k) {
    const std::string& key = batch[k].first;
    Pending& p = *batch[k].second;
    ++stats_.attempts;
    SchedulingDecision d;
    d.pod = key;
    d.first_queued = p.first_queued;
    d.queued = p.queued;
    d.decided = now;
    d.attempt = queue_.Attempts(key);
    const FlowPlacement& fp = placements[k];
    if (fp.outcome == FlowPlacement::Outcome::kDeferred) {
      // A node fits, but the round judged waiting cheaper: try again after
      // the back-off, when the pod's waiting cost has grown.
      d.message = "waiting: the flow round preferred to leave the pod out this round";
      queue_.AddBackoff(key);
      if (options_.observer) options_.observer(d);
      continue;
    }
    if (fp.outcome == FlowPlacement::Outcome::kPlaced) {
      d.explanation.total_nodes = table_.size();
    }
    Commit(key, p, d, fp.node, /*assumed=*/true);
  }
}

void Scheduler::Commit(const std::string& key, Pending& p, SchedulingDecision& d,
                       std::optional<uint32_t> node_index, bool assumed) {
  const bool observe = static_cast<bool>(options_.observer);
  if (node_index) {
    const std::string node = table_.node(*node_index).name;
    if (!assumed) table_.AddPod(p.info, node, /*assumed=*/true);
    p.state = State::kAssumed;
    p.node = node;
    p.token = ++bind_token_;
    // The bind is the binding cycle's request, issued once the decision is
    // made and sent when the client's bucket allows.
    clock_.At(std::max(clock_.Now(), busy_until_),
              [this, alive = alive_, key, node, token = p.token] {
                if (!*alive) return;
                throttle_.Submit([this, alive, key, node, token] {
                  if (*alive) Bind(key, node, token);
                });
              });
    d.node = node;
  } else {
    ++stats_.unschedulable;
    // The verdict needs its reasons (from a greedy decision over all nodes).
    if (!observe || d.explanation.total_nodes == 0 || assumed) {
      decider_->Decide(p.info, table_, &d.explanation);
    }
    d.message = UnschedulableMessage(d.explanation);
    queue_.AddUnschedulable(key);
    WriteUnschedulable(p, d.message);
    if (recorder_ && p.pod) {
      recorder_->Record(*p.pod, api::kEventWarning, "FailedScheduling", d.message);
    }
  }
  if (observe) options_.observer(d);
}

void Scheduler::Bind(const std::string& key, const std::string& node, uint64_t token) {
  auto it = pending_.find(key);
  if (it == pending_.end() || it->second.state != State::kAssumed || it->second.token != token) {
    return;
  }
  Pending& p = it->second;
  // The binding subresource's semantics: only an unbound, live pod with the
  // uid the scheduler saw is bound.
  auto result = api_.Bind(p.pod, node);
  if (result.ok()) {
    ++stats_.scheduled;
    p.state = State::kBound;
    if (auto bound = api::As<api::Pod>(*result)) p.pod = bound;
    if (recorder_) {
      recorder_->Record(*p.pod, api::kEventNormal, "Scheduled",
                        "Successfully assigned " + key + " to " + node);
    }
    p.expiry = clock_.After(options_.assumed_pod_ttl, [this, alive = alive_, key, token] {
      if (!*alive) return;
      auto e = pending_.find(key);
      if (e == pending_.end() || e->second.token != token) return;
      e->second.expiry = 0;
      Expire(key);
    });
    return;
  }
  ++stats_.bind_errors;
  std::optional<uint32_t> freed;
  table_.RemovePod(key, &freed);
  if (result.code() == Code::kNotFound) {
    queue_.Delete(key);
    pending_.erase(it);
  } else {
    p.state = State::kQueued;
    p.node.clear();
    p.queued = clock_.Now();
    queue_.AddBackoff(key);
  }
  NodeChanged(freed);
}

void Scheduler::Expire(const std::string& key) {
  auto it = pending_.find(key);
  if (it == pending_.end() || it->second.state != State::kBound) return;
  ++stats_.expired;
  std::optional<uint32_t> freed;
  table_.RemovePod(key, &freed);
  Pending& p = it->second;
  p.state = State::kQueued;
  p.node.clear();
  p.queued = clock_.Now();
  queue_.AddBackoff(key);
  NodeChanged(freed);
}

void Scheduler::WriteUnschedulable(Pending& p, const std::string& message) {
  if (!options_.write_conditions) return;
  const api::PodCondition* current = nullptr;
  for (const auto& c : p.pod->status.conditions) {
    if (c.type == "PodScheduled") current = &c;
  }
  if (current && current->status == "False" && current->reason == "Unschedulable" &&
      current->message == message) {
    return;
  }
  auto copy = std::make_shared<api::Pod>(*p.pod);
  api::PodCondition cond;
  cond.type = "PodScheduled";
  cond.status = "False";
  cond.reason = "Unschedulable";
  cond.message = message;
  cond.last_transition_time =
      current && current->status == "False" ? current->last_transition_time : clock_.Now();
  bool replaced = false;
  for (auto& c : copy->status.conditions) {
    if (c.type == "PodScheduled") {
      c = cond;
      replaced = true;
    }
  }
  if (!replaced) copy->status.conditions.push_back(cond);
  auto result = api_.UpdateStatus(api::ObjectPtr(copy));
  // A failed write (the pod changed meanwhile) is retried by the next
  // attempt, which sees the newer pod.
  if (!result.ok()) return;
  ++stats_.condition_writes;
  if (auto updated = api::As<api::Pod>(*result)) p.pod = updated;
}

}  // namespace navarch::scheduler
