#include "core/kubelet/kubelet.h"
#include "core/api/well_known.h"

#include <utility>

#include "core/api/types.h"
#include "core/kubelet/admission.h"

namespace navarch::kubelet {
namespace {

using api::kLabelHostname;
constexpr int64_t kDefaultMaxPods = 110;

api::Labels NodeLabels(const KubeletOptions& o) {
  api::Labels labels = o.labels;
  labels.emplace(std::string(kLabelHostname), o.node_name);
  return labels;
}

api::ResourceList WithPods(api::ResourceList list) {
  list.emplace(std::string(api::kResourcePods), api::Quantity::FromValue(kDefaultMaxPods));
  return list;
}

std::string HostIp(const KubeletOptions& o) {
  for (const auto& a : o.addresses) {
    if (a.type == "InternalIP") return a.address;
  }
  return o.addresses.empty() ? std::string() : o.addresses.front().address;
}

// Whether `labels` holds every entry of `want` with the same value.
bool ContainsLabels(const api::Labels& labels, const api::Labels& want) {
  for (const auto& [k, v] : want) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

// Whether two node statuses are equal when conditions[].lastHeartbeatTime is
// ignored.
bool EqualButHeartbeats(const api::NodeStatus& a, const api::NodeStatus& b) {
  if (a.conditions.size() != b.conditions.size()) return false;
  for (size_t i = 0; i < a.conditions.size(); ++i) {
    const auto& x = a.conditions[i];
    const auto& y = b.conditions[i];
    if (x.type != y.type || x.status != y.status ||
        x.last_transition_time != y.last_transition_time || x.reason != y.reason ||
        x.message != y.message) {
      return false;
    }
  }
  return a.capacity == b.capacity && a.allocatable == b.allocatable && a.phase == b.phase &&
         a.addresses == b.addresses && a.daemon_endpoints == b.daemon_endpoints &&
         a.node_info == b.node_info;
}

// A status write for `node`: its name and the new status, nothing else.
api::Node StatusOnly(const api::Node& node, api::NodeStatus status) {
  api::Node out;
  out.metadata.name = node.metadata.name;
  out.status = std::move(status);
  return out;
}

// The Api keeps timestamps to the second (metav1.Time): so does the kubelet,
// or every status it builds would differ from the one it read back.
Time Seconds(Time t) {
  return Time::FromUnixSeconds(t.UnixSeconds());
}

}  // namespace

Kubelet::Kubelet(client::Api& api, runtime::Clock& clock, runtime::ContainerRuntime& runtime,
                 KubeletOptions options)
    : inner_api_(api),
      clock_(clock),
      runtime_(runtime),
      options_(std::move(options)),
      node_labels_(NodeLabels(options_)),
      allocatable_(
          WithPods(options_.allocatable.empty() ? options_.capacity : options_.allocatable)),
      throttle_(std::make_unique<client::Throttle>(clock, options_.client)),
      throttled_(std::make_unique<client::ThrottledApi>(api, *throttle_)),
      api_(*throttled_),
      runtime_list_retry_(options_.runtime_retry),
      informer_retry_(options_.api_retry),
      status_retry_(options_.api_retry),
      register_retry_(options_.api_retry) {
  env_.api = &api_;
  env_.clock = &clock_;
  env_.runtime = &runtime_;
  env_.options = &options_;
  env_.host_ip = HostIp(options_);
  env_.pulled_images = &pulled_images_;
  env_.status_dirty = [this](const std::string& uid) { MarkStatusDirty(uid); };
  env_.finished = [this](const std::string& uid) { OnWorkerFinished(uid); };
  env_.runtime_result = [this](const Status& st) { OnRuntimeResult(st); };
  if (options_.record_events) {
    recorder_ = std::make_unique<client::ApiEventRecorder>(
        inner_api_, clock_,
        client::EventRecorderOptions{.component = "kubelet", .host = options_.node_name});
    env_.recorder = recorder_.get();
  }
}

Kubelet::~Kubelet() {
  Stop();
}

Status Kubelet::Start() {
  if (started_) return Status::Ok();
  if (options_.node_name.empty()) {
    return InvalidArgument("kubelet: options.node_name is empty; give the node a name");
  }
  if (options_.node_status.heartbeat_period <= Duration(0)) {
    return InvalidArgument("kubelet " + options_.node_name +
                           ": options.node_status.heartbeat_period must be positive");
  }
  if (!(options_.node_status.heartbeat_jitter >= 0 && options_.node_status.heartbeat_jitter <= 1)) {
    return InvalidArgument("kubelet " + options_.node_name +
                           ": options.node_status.heartbeat_jitter must be within [0, 1]");
  }
  started_ = true;
  alive_ = std::make_shared<bool>(true);
  std::weak_ptr<bool> alive = alive_;
  runtime_.SetEventHandler([this, alive](const runtime::ContainerEvent& ev) {
    if (auto a = alive.lock(); a && *a) OnContainerEvent(ev);
  });
  heartbeat_base_ = clock_.Now();
  heartbeats_ = 0;
  next_heartbeat_ = heartbeat_base_;
  if (!jitter_) {
    uint64_t seed = options_.node_status.jitter_seed;
    if (seed == 0) {
      seed = 1469598103934665603ull;  // FNV-1a of the node name
      for (unsigned char ch : options_.node_name)
        seed = (seed ^ ch) * 1099511628211ull;
    }
    jitter_ = std::make_unique<runtime::Rng>(seed);
  }
  clock_.Post([this, alive] {
    if (auto a = alive.lock(); a && *a) Heartbeat();
  });
  ScheduleHeartbeat();
  clock_.Post([this, alive] {
    if (auto a = alive.lock(); a && *a) ListRuntime();
  });
  return Status::Ok();
}

void Kubelet::Stop() {
  if (!started_) return;
  started_ = false;
  *alive_ = false;
  informer_.reset();
  workers_.clear();
  inventory_.clear();
  dirty_.clear();
  runtime_listed_ = false;
  registered_ = false;
  flush_posted_ = false;
  for (runtime::TimerId* t : {&heartbeat_timer_, &register_retry_timer_, &status_retry_timer_}) {
    if (*t != 0) clock_.Cancel(*t);
    *t = 0;
  }
  runtime_.SetEventHandler({});
}

// --- Runtime inventory and the pod informer ----------------------------------

void Kubelet::ListRuntime() {
  std::weak_ptr<bool> alive = alive_;
  auto retry = [this, alive](const Status& st) {
    OnRuntimeResult(st);
    clock_.After(runtime_list_retry_.Next(), [this, alive] {
      if (auto a = alive.lock(); a && *a) ListRuntime();
    });
  };
  runtime::SandboxFilter sf;
  sf.labels[std::string(runtime::kLabelNodeName)] = options_.node_name;
  runtime_.ListPodSandboxes(
      sf, [this, alive, retry](Result<std::vector<runtime::PodSandboxStatus>> sandboxes) {
        if (auto a = alive.lock(); !a || !*a) return;
        if (!sandboxes.ok()) {
          retry(sandboxes.status());
          return;
        }
        runtime::ContainerFilter cf;
        cf.labels[std::string(runtime::kLabelNodeName)] = options_.node_name;
        runtime_.ListContainers(cf, [this, alive, retry, sandboxes = std::move(*sandboxes)](
                                        Result<std::vector<runtime::ContainerStatus>> containers) {
          if (auto a = alive.lock(); !a || !*a) return;
          if (!containers.ok()) {
            retry(containers.status());
            return;
          }
          OnRuntimeResult(Status::Ok());
          runtime_list_retry_.Reset();
          inventory_.clear();
          for (const auto& s : sandboxes)
            inventory_[s.pod_uid].sandboxes.push_back(s);
          for (const auto& c : *containers) {
            auto it = c.labels.find(std::string(runtime::kLabelPodUid));
            inventory_[it == c.labels.end() ? std::string() : it->second].containers.push_back(c);
          }
          runtime_listed_ = true;
          StartInformer();
        });
      });
}

void Kubelet::StartInformer() {
  client::InformerOptions io;
  io.node_name = options_.node_name;
  io.relist_backoff = options_.api_retry.initial;
  informer_ = std::make_unique<client::Informer>(api_, clock_, api::Kind::kPod, io);
  client::InformerHandlers h;
  h.on_add = [this](const client::ObjectPtr& obj) { OnPodAdd(obj); };
  h.on_update = [this](const client::ObjectPtr&, const client::ObjectPtr& obj) {
    OnPodUpdate(obj);
  };
  h.on_delete = [this](const client::ObjectPtr& obj) { OnPodDelete(obj); };
  informer_->AddHandlers(std::move(h));
  Status st = informer_->Start();
  if (!st.ok()) {
    ++stats_.api_failures;
    informer_.reset();
    std::weak_ptr<bool> alive = alive_;
    clock_.After(informer_retry_.Next(), [this, alive] {
      if (auto a = alive.lock(); a && *a) StartInformer();
    });
    return;
  }
  informer_retry_.Reset();
  RemoveOrphans();
}

void Kubelet::RemoveOrphans() {
  // Everything left in the inventory belongs to no pod bound here.
  for (const auto& [uid, inv] : inventory_) {
    std::set<std::string> sandbox_ids;
    for (const auto& s : inv.sandboxes) {
      sandbox_ids.insert(s.id);
      runtime_.RemovePodSandbox(s.id, [](Status) {});
      ++stats_.orphans_removed;
    }
    for (const auto& c : inv.containers) {
      if (sandbox_ids.count(c.sandbox_id)) continue;  // removed with its sandbox
      runtime_.RemoveContainer(c.id, [](Status) {});
      ++stats_.orphans_removed;
    }
  }
  inventory_.clear();
}

// --- Pods --------------------------------------------------------------------

void Kubelet::OnPodAdd(const client::ObjectPtr& obj) {
  auto pod = api::As<api::Pod>(obj);
  if (!pod) return;
  const std::string& uid = pod->metadata.uid;
  if (workers_.count(uid)) {
    OnPodUpdate(obj);
    return;
  }
  auto worker = std::make_shared<PodWorker>(env_, pod);
  workers_.emplace(uid, worker);
  const std::string& phase = pod->status.phase;
  const bool terminal = api::IsTerminalPhase(phase);
  if (auto inv = inventory_.find(uid); inv != inventory_.end()) {
    worker->Adopt(inv->second);
    inventory_.erase(inv);
    ++stats_.pods_adopted;
  } else if (!terminal && options_.admission && !pod->metadata.deletion_timestamp &&
             phase != api::kPodRunning) {
    std::vector<const api::ResourceList*> admitted;
    for (const auto& [other_uid, w] : workers_) {
      if (other_uid != uid && w->HoldsResources()) admitted.push_back(&w->requests());
    }
    AdmissionResult verdict =
        AdmitPod(*pod, worker->requests(), node_labels_, allocatable_, admitted);
    if (!verdict.admitted) worker->Reject(std::move(verdict.reason), std::move(verdict.message));
  }
  if (terminal) worker->MarkTerminal();
  worker->RequestSync();
  MarkStatusDirty(uid);
}

void Kubelet::OnPodUpdate(const client::ObjectPtr& obj) {
  auto pod = api::As<api::Pod>(obj);
  if (!pod) return;
  auto it = workers_.find(pod->metadata.uid);
  if (it == workers_.end()) {
    // The name now belongs to a new pod: the old one is gone.
    for (auto& [uid, w] : workers_) {
      if (w->pod()->metadata.namespace_ == pod->metadata.namespace_ &&
          w->pod()->metadata.name == pod->metadata.name) {
        w->PodRemoved();
      }
    }
    OnPodAdd(obj);
    return;
  }
  // The watch bringing back the kubelet's own status write (the very object
  // UpdateStatus returned) changes nothing the worker acts on.
  const bool own_write = it->second->IsReported(*pod);
  it->second->SetReported(pod);
  it->second->UpdatePod(pod, own_write);
}

void Kubelet::OnPodDelete(const client::ObjectPtr& obj) {
  auto pod = api::As<api::Pod>(obj);
  if (!pod) return;
  auto it = workers_.find(pod->metadata.uid);
  if (it != workers_.end()) it->second->PodRemoved();
}

void Kubelet::OnContainerEvent(const runtime::ContainerEvent& ev) {
  auto label = ev.labels.find(std::string(runtime::kLabelPodUid));
  if (label == ev.labels.end()) return;
  auto it = workers_.find(label->second);
  if (it != workers_.end()) it->second->OnContainerEvent(ev);
}

void Kubelet::OnWorkerFinished(const std::string& uid) {
  // Called from inside the worker: drop it once its call has returned.
  std::weak_ptr<bool> alive = alive_;
  clock_.Post([this, alive, uid] {
    if (auto a = alive.lock(); !a || !*a) return;
    auto it = workers_.find(uid);
    if (it != workers_.end() && it->second->mode() == PodWorker::Mode::kFinished) {
      workers_.erase(it);
    }
  });
}

void Kubelet::OnRuntimeResult(const Status& st) {
  const bool was_healthy = runtime_health_.ok();
  if (st.ok()) {
    runtime_health_ = Status::Ok();
  } else {
    ++stats_.runtime_failures;
    if (st.code() == Code::kUnavailable) runtime_health_ = st;
  }
  if (was_healthy == runtime_health_.ok()) return;
  // The Node's Ready condition follows the runtime at once, not at the next
  // heartbeat.
  std::weak_ptr<bool> alive = alive_;
  clock_.Post([this, alive] {
    if (auto a = alive.lock(); a && *a) Heartbeat();
  });
}

// --- Pod status --------------------------------------------------------------

void Kubelet::MarkStatusDirty(const std::string& uid) {
  dirty_.insert(uid);
  if (flush_posted_ || status_retry_timer_ != 0) return;
  flush_posted_ = true;
  std::weak_ptr<bool> alive = alive_;
  clock_.Post([this, alive] {
    if (auto a = alive.lock(); !a || !*a) return;
    flush_posted_ = false;
    FlushStatuses();
  });
}

void Kubelet::FlushStatuses() {
  // Over the client's budget: the writes wait until the bucket allows.
  if (const Time ready = throttle_->ReadyAt(); ready > clock_.Now()) {
    if (flush_posted_) return;
    flush_posted_ = true;
    std::weak_ptr<bool> alive = alive_;
    clock_.At(ready, [this, alive] {
      if (auto a = alive.lock(); !a || !*a) return;
      flush_posted_ = false;
      FlushStatuses();
    });
    return;
  }
  std::set<std::string> dirty = std::move(dirty_);
  dirty_.clear();
  bool failed = false;
  for (const auto& uid : dirty) {
    auto it = workers_.find(uid);
    if (it == workers_.end()) continue;
    PodWorker& w = *it->second;
    if (w.mode() == PodWorker::Mode::kFinished) continue;
    api::PodStatus status = w.BuildStatus(w.reported());
    for (auto& c : status.conditions)
      c.last_transition_time = Seconds(c.last_transition_time);
    if (status.start_time) status.start_time = Seconds(*status.start_time);
    for (auto* list : {&status.init_container_statuses, &status.container_statuses}) {
      for (auto& cs : *list) {
        for (auto* st : {&cs.state, &cs.last_state}) {
          if (st->running) st->running->started_at = Seconds(st->running->started_at);
          if (st->terminated) {
            st->terminated->started_at = Seconds(st->terminated->started_at);
            st->terminated->finished_at = Seconds(st->terminated->finished_at);
          }
        }
      }
    }
    if (status == w.reported()) continue;
    // UpdateStatus keeps the stored metadata and spec and replaces only the
    // status, so the request names the pod and carries its status without a
    // copy of the spec. An empty resourceVersion: unconditional.
    api::Pod next;
    next.metadata.name = w.pod()->metadata.name;
    next.metadata.namespace_ = w.pod()->metadata.namespace_;
    next.metadata.uid = w.pod()->metadata.uid;
    next.status = std::move(status);
    auto r = api_.UpdateStatus(std::move(next));
    if (r.ok()) {
      ++stats_.pod_status_writes;
      w.SetReported(api::As<api::Pod>(*r));
    } else if (r.code() != Code::kNotFound) {
      ++stats_.api_failures;
      failed = true;
      dirty_.insert(uid);
    }
  }
  if (!failed) {
    status_retry_.Reset();
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  status_retry_timer_ = clock_.After(status_retry_.Next(), [this, alive] {
    if (auto a = alive.lock(); !a || !*a) return;
    status_retry_timer_ = 0;
    FlushStatuses();
  });
}

// --- Node --------------------------------------------------------------------

void Kubelet::ScheduleHeartbeat() {
  std::weak_ptr<bool> alive = alive_;
  ++heartbeats_;
  const auto& ns = options_.node_status;
  Duration period = ns.heartbeat_period;
  if (ns.heartbeat_jitter > 0) {
    period += std::chrono::duration_cast<Duration>(
        period * (ns.heartbeat_jitter * jitter_->UniformDouble()));
  }
  next_heartbeat_ += period;
  heartbeat_timer_ = clock_.At(next_heartbeat_, [this, alive] {
    if (auto a = alive.lock(); !a || !*a) return;
    heartbeat_timer_ = 0;
    ScheduleHeartbeat();
    Heartbeat();
  });
}

void Kubelet::Heartbeat() {
  Status st = SyncNode();
  if (st.ok()) {
    register_retry_.Reset();
    // The Api answers again: pod statuses waiting for a retry go now.
    if (status_retry_timer_ != 0) {
      clock_.Cancel(status_retry_timer_);
      status_retry_timer_ = 0;
      FlushStatuses();
    }
    return;
  }
  ++stats_.api_failures;
  // Until the Node exists, retry sooner than the next heartbeat.
  if (!registered_ && register_retry_timer_ == 0) {
    std::weak_ptr<bool> alive = alive_;
    register_retry_timer_ = clock_.After(register_retry_.Next(), [this, alive] {
      if (auto a = alive.lock(); !a || !*a) return;
      register_retry_timer_ = 0;
      if (!registered_) Heartbeat();
    });
  }
}

Status Kubelet::SyncNode() {
  const Time now = Seconds(clock_.Now());
  auto got = api_.Get<api::Node>("", options_.node_name);
  if (got.code() == Code::kNotFound) {
    api::Node node;
    node.metadata.name = options_.node_name;
    node.metadata.labels = node_labels_;
    node.metadata.annotations = options_.annotations;
    node.spec.taints = options_.taints;
    node.status = BuildNodeStatus({});
    NAVARCH_ASSIGN_OR_RETURN(auto created, api_.Create(node));
    ++stats_.node_status_writes;
    registered_ = true;
    last_node_write_ = now;
    if (!(created->status == node.status)) {
      api::Node with_status = StatusOnly(*created, std::move(node.status));
      with_status.metadata.resource_version = created->metadata.resource_version;
      NAVARCH_RETURN_IF_ERROR(api_.UpdateStatus(std::move(with_status)).status());
    }
    return Status::Ok();
  }
  if (!got.ok()) return got.status();
  const api::Node& current = **got;
  // Our labels and annotations win over what is stored.
  if (!ContainsLabels(current.metadata.labels, node_labels_) ||
      !ContainsLabels(current.metadata.annotations, options_.annotations)) {
    api::Node relabelled = current;
    for (const auto& [k, v] : node_labels_)
      relabelled.metadata.labels[k] = v;
    for (const auto& [k, v] : options_.annotations)
      relabelled.metadata.annotations[k] = v;
    NAVARCH_RETURN_IF_ERROR(api_.Update(std::move(relabelled)).status());
  }
  api::NodeStatus status = BuildNodeStatus(current.status);
  const Duration report = options_.node_status.report_period;
  if (registered_ && report > Duration(0) && now - last_node_write_ < report &&
      EqualButHeartbeats(status, current.status)) {
    return Status::Ok();  // unchanged apart from the heartbeat times: not yet worth a write
  }
  // UpdateStatus keeps the stored metadata and spec: the request names the
  // Node and carries only the status. An empty resourceVersion: unconditional.
  NAVARCH_RETURN_IF_ERROR(api_.UpdateStatus(StatusOnly(current, std::move(status))).status());
  ++stats_.node_status_writes;
  registered_ = true;
  last_node_write_ = now;
  return Status::Ok();
}

api::NodeStatus Kubelet::BuildNodeStatus(const api::NodeStatus& previous) const {
  const Time now = Seconds(clock_.Now());
  api::NodeStatus s;
  s.capacity = WithPods(options_.capacity);
  s.allocatable = WithPods(options_.allocatable.empty() ? options_.capacity : options_.allocatable);
  auto condition = [&](std::string type, bool status, std::string reason, std::string message) {
    api::NodeCondition c;
    c.type = std::move(type);
    c.status = status ? "True" : "False";
    c.reason = std::move(reason);
    c.message = std::move(message);
    c.last_heartbeat_time = now;
    c.last_transition_time = now;
    for (const auto& p : previous.conditions) {
      if (p.type == c.type && p.status == c.status) c.last_transition_time = p.last_transition_time;
    }
    s.conditions.push_back(std::move(c));
  };
  condition("MemoryPressure", false, "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available");
  condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure");
  condition("PIDPressure", false, "KubeletHasSufficientPID",
            "kubelet has sufficient PID available");
  if (runtime_health_.ok()) {
    condition("Ready", true, std::string(kReasonKubeletReady), "kubelet is posting ready status");
  } else {
    condition("Ready", false, std::string(kReasonKubeletNotReady),
              "container runtime is down: " + runtime_health_.message());
  }
  s.addresses = options_.addresses;
  s.daemon_endpoints.kubelet_endpoint.port = options_.kubelet_port;
  s.node_info = options_.node_info;
  if (s.node_info.kubelet_version.empty()) s.node_info.kubelet_version = "navarch";
  if (s.node_info.container_runtime_version.empty()) {
    s.node_info.container_runtime_version = runtime_.Describe();
  }
  return s;
}

}  // namespace navarch::kubelet
