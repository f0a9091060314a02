#include "core/kubelet/pod_worker.h"
#include "core/api/well_known.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "core/kubelet/pod_status.h"
#include "core/kubelet/probes.h"

namespace navarch::kubelet {
namespace {

// Exit code and reason of a container that vanished under the kubelet.
constexpr int32_t kLostExitCode = 137;
constexpr std::string_view kReasonLost = "ContainerStatusUnknown";

// The store revision a pod was read at (0 when it is not a number).
uint64_t ParseRevision(const std::string& rv) {
  auto parsed = api::ParseResourceVersion(rv, "resourceVersion");
  return parsed.ok() ? static_cast<uint64_t>(*parsed) : 0;
}

}  // namespace

PodWorker::ProbeRunner* PodWorker::Probes::Get(ProbeKind kind) {
  std::optional<ProbeRunner>* r = kind == ProbeKind::kLiveness    ? &liveness
                                  : kind == ProbeKind::kReadiness ? &readiness
                                                                  : &startup;
  return *r ? &**r : nullptr;
}

PodWorker::PodWorker(WorkerEnv& env, std::shared_ptr<const api::Pod> pod)
    : env_(env),
      pod_(std::move(pod)),
      uid_(pod_->metadata.uid),
      first_seen_(env.clock->Now()),
      reported_(pod_),
      reported_revision_(ParseRevision(pod_->metadata.resource_version)),
      sandbox_retry_(env.options->runtime_retry),
      api_retry_(env.options->api_retry) {
  requests_ = PodRequests(pod_->spec);
  qos_class_ = QosClass(pod_->spec);
  init_count_ = pod_->spec->init_containers.size();
  ctrs_.reserve(init_count_ + pod_->spec->containers.size());
  auto add = [&](const api::Container& spec, bool init, size_t index) {
    Ctr& c = ctrs_.emplace_back();
    c.init = init;
    c.index = index;
    c.name = spec.name;
    c.crash = Backoff(env_.options->crash_backoff);
    c.retry = Backoff(env_.options->runtime_retry);
    if (spec.liveness_probe || spec.readiness_probe || spec.startup_probe) {
      c.probes = std::make_unique<Probes>();
      auto make = [&](const api::Probe& p) {
        ProbeRunner r;
        r.probe = WithProbeDefaults(p);
        auto resolved = ResolveProbe(p, spec);
        if (resolved.ok()) {
          r.spec = *resolved;
        } else {
          r.spec_error = resolved.status().message();
        }
        return r;
      };
      if (!init && spec.liveness_probe) c.probes->liveness = make(*spec.liveness_probe);
      if (!init && spec.readiness_probe) c.probes->readiness = make(*spec.readiness_probe);
      if (!init && spec.startup_probe) c.probes->startup = make(*spec.startup_probe);
    }
  };
  for (size_t i = 0; i < pod_->spec->init_containers.size(); ++i)
    add(pod_->spec->init_containers[i], true, i);
  for (size_t i = 0; i < pod_->spec->containers.size(); ++i)
    add(pod_->spec->containers[i], false, i);
  if (pod_->metadata.deletion_timestamp) mode_ = Mode::kTerminating;
}

PodWorker::~PodWorker() {
  if (wake_timer_ != 0) env_.clock->Cancel(wake_timer_);
  for (auto& c : ctrs_)
    StopProbes(c);
}

const api::Container& PodWorker::SpecOf(const Ctr& c) const {
  return c.init ? pod_->spec->init_containers[c.index] : pod_->spec->containers[c.index];
}

PodWorker::Ctr* PodWorker::FindById(const runtime::ContainerId& id) {
  for (auto& c : ctrs_) {
    if (!c.id.empty() && c.id == id) return &c;
  }
  return nullptr;
}

// --- Inputs ------------------------------------------------------------------

void PodWorker::Adopt(const AdoptedPod& adopted) {
  // The newest sandbox (highest attempt, then latest created) is the pod's;
  // every other one is removed with its containers.
  const runtime::PodSandboxStatus* best = nullptr;
  for (const auto& s : adopted.sandboxes) {
    if (!best || s.attempt > best->attempt ||
        (s.attempt == best->attempt && s.created_at > best->created_at)) {
      best = &s;
    }
  }
  for (const auto& s : adopted.sandboxes) {
    if (&s == best) continue;
    env_.runtime->RemovePodSandbox(s.id, [](Status) {});
  }
  if (!best) return;
  sandbox_attempt_ = best->attempt;
  const bool ready = best->state == runtime::SandboxState::kReady;
  if (ready) {
    sandbox_id_ = best->id;
    pod_ip_ = best->pod_ip;
    sandbox_state_ = SState::kReady;
  } else {
    // A stopped sandbox cannot run containers: replace it.
    env_.runtime->RemovePodSandbox(best->id, [](Status) {});
    sandbox_attempt_ = best->attempt + 1;
  }
  // Group the containers of the kept sandbox by name, newest attempt first.
  std::map<std::string, std::vector<const runtime::ContainerStatus*>> by_name;
  for (const auto& st : adopted.containers) {
    if (st.sandbox_id != best->id) {
      RemoveQuietly(st.id);  // in a sandbox being removed, or in none listed
      continue;
    }
    by_name[st.name].push_back(&st);
  }
  for (auto& [name, list] : by_name) {
    std::sort(list.begin(), list.end(), [](const auto* a, const auto* b) {
      return a->attempt != b->attempt ? a->attempt > b->attempt : a->id > b->id;
    });
    Ctr* c = nullptr;
    for (auto& candidate : ctrs_) {
      if (candidate.name == name) c = &candidate;
    }
    if (!c) {  // not in the spec (any more)
      for (const auto* st : list)
        RemoveQuietly(st->id);
      continue;
    }
    const runtime::ContainerStatus& newest = *list.front();
    c->has_attempt = true;
    c->attempt = newest.attempt;
    c->next_attempt = newest.attempt + 1;
    for (size_t i = 1; i < list.size(); ++i) {
      if (i == 1 && list[i]->state == runtime::ContainerState::kExited) {
        c->previous_dead = list[i]->id;
        api::ContainerStateTerminated t;
        t.exit_code = list[i]->exit_code;
        t.reason = list[i]->reason;
        t.message = list[i]->message;
        t.started_at = list[i]->started_at;
        t.finished_at = list[i]->finished_at;
        t.container_id = list[i]->id;
        c->last_terminated = t;
      } else {
        RemoveQuietly(list[i]->id);
      }
    }
    c->id = newest.id;
    c->image_ref = newest.image_ref;
    Apply(*c, newest);
  }
}

void PodWorker::Reject(std::string reason, std::string message) {
  mode_ = Mode::kRejected;
  reject_reason_ = std::move(reason);
  reject_message_ = std::move(message);
  Dirty();
}

void PodWorker::MarkTerminal() {
  if (mode_ == Mode::kRunning) mode_ = Mode::kTerminal;
}

void PodWorker::UpdatePod(std::shared_ptr<const api::Pod> pod, bool own_status_write) {
  const bool same_spec = pod->spec.SharesWith(pod_->spec);
  if (!same_spec) {
    requests_ = PodRequests(pod->spec);
    qos_class_ = QosClass(pod->spec);
  }
  const bool quiet = own_status_write && same_spec &&
                     pod->metadata.deletion_timestamp == pod_->metadata.deletion_timestamp;
  pod_ = std::move(pod);
  if (quiet) return;
  if (pod_->metadata.deletion_timestamp && !Terminating()) EnterTerminating();
  RequestSync();
  Dirty();
}

void PodWorker::PodRemoved() {
  remove_from_api_ = false;
  if (!Terminating()) EnterTerminating();
  RequestSync();
}

void PodWorker::SetReported(std::shared_ptr<const api::Pod> pod) {
  if (!pod) return;
  const uint64_t rev = ParseRevision(pod->metadata.resource_version);
  if (rev != 0 && rev < reported_revision_) return;  // older than what we wrote
  reported_ = std::move(pod);
  reported_revision_ = rev;
  const api::PodStatus& status = reported_->status;
  if (api::IsTerminalPhase(status.phase) && mode_ == Mode::kRunning) {
    mode_ = Mode::kTerminal;
    RequestSync();
  }
}

void PodWorker::EnterTerminating() {
  mode_ = Mode::kTerminating;
  for (auto& c : ctrs_)
    StopProbes(c);
}

void PodWorker::OnContainerEvent(const runtime::ContainerEvent& ev) {
  Ctr* c = FindById(ev.container_id);
  if (!c) return;
  switch (ev.type) {
    case runtime::ContainerEvent::Type::kStarted:
      return;  // the start's completion reads the status
    case runtime::ContainerEvent::Type::kExited:
      if (c->state == CState::kRunning || c->state == CState::kStarting) {
        OnExited(*c, ev.exit_code, ev.reason, "", Time(), ev.time);
      }
      return;
    case runtime::ContainerEvent::Type::kRemoved:
      if (c->state == CState::kRunning || c->state == CState::kStarting) {
        OnExited(*c, kLostExitCode, std::string(kReasonLost),
                 "the container was removed while the kubelet ran it", Time(), ev.time);
      }
      if (c->previous_dead == ev.container_id) c->previous_dead.clear();
      return;
  }
}

// --- Sync --------------------------------------------------------------------

void PodWorker::RequestSync() {
  if (sync_posted_ || mode_ == Mode::kFinished) return;
  sync_posted_ = true;
  env_.clock->Post([weak = Weak()] {
    if (auto self = weak.lock()) {
      self->sync_posted_ = false;
      self->Sync();
    }
  });
}

void PodWorker::WakeAt(Time when) {
  if (wake_timer_ != 0) {
    if (wake_at_ <= when) return;
    env_.clock->Cancel(wake_timer_);
  }
  wake_at_ = when;
  wake_timer_ = env_.clock->At(when, [weak = Weak()] {
    if (auto self = weak.lock()) {
      self->wake_timer_ = 0;
      self->Sync();
    }
  });
}

void PodWorker::Sync() {
  switch (mode_) {
    case Mode::kRunning:
      SyncRunning();
      return;
    case Mode::kTerminal:
      SyncTerminal();
      return;
    case Mode::kTerminating:
      SyncTerminating();
      return;
    case Mode::kRejected:
    case Mode::kFinished:
      return;
  }
}

void PodWorker::SyncRunning() {
  if (sandbox_state_ != SState::kReady) {
    if (sandbox_state_ != SState::kNone) return;  // being created
    if (Now() < sandbox_retry_at_) {
      WakeAt(sandbox_retry_at_);
      return;
    }
    RunSandbox();
    return;
  }
  // Init containers one at a time, in order, each to success.
  for (size_t i = 0; i < init_count_; ++i) {
    Ctr& c = ctrs_[i];
    if (c.state == CState::kExited && c.exit_code == 0) continue;
    SyncContainer(c);
    if (c.state == CState::kExited && !c.stopping && !ShouldRestart(c)) {
      mode_ = Mode::kTerminal;  // an init container failed for good: the pod failed
      Dirty();
      RequestSync();
    }
    return;
  }
  for (size_t i = init_count_; i < ctrs_.size(); ++i)
    SyncContainer(ctrs_[i]);
  // Done for good?
  const std::string phase = BuildStatus(reported()).phase;
  if (api::IsTerminalPhase(phase)) {
    mode_ = Mode::kTerminal;
    Dirty();
    RequestSync();
  }
}

void PodWorker::SyncContainer(Ctr& c) {
  switch (c.state) {
    case CState::kPulling:
    case CState::kCreating:
    case CState::kStarting:
    case CState::kRunning:
      return;
    case CState::kNone:
      if (Now() < c.retry_at) {
        WakeAt(c.retry_at);
        return;
      }
      StartAttempt(c);
      return;
    case CState::kExited:
      if (c.stopping || !ShouldRestart(c)) return;
      if (Now() < c.restart_at) {
        WakeAt(c.restart_at);
        return;
      }
      c.last_terminated = TerminatedOf(c);
      StartAttempt(c);
      return;
  }
}

bool PodWorker::ShouldRestart(const Ctr& c) const {
  if (mode_ != Mode::kRunning) return false;
  const std::string& policy = pod_->spec->restart_policy;
  if (policy == api::kRestartNever) return false;
  if (c.init || policy == api::kRestartOnFailure) return c.exit_code != 0;
  return true;  // Always (the default)
}

void PodWorker::SyncTerminal() {
  // Nothing restarts; release the pod's network identity once.
  if (sandbox_state_ != SState::kReady) return;
  for (const auto& c : ctrs_) {
    if (c.state == CState::kPulling || c.state == CState::kCreating ||
        c.state == CState::kStarting) {
      return;  // finishes first (and is then stopped with the sandbox)
    }
  }
  sandbox_state_ = SState::kStopping;
  const uint64_t token = ++sandbox_token_;
  env_.runtime->StopPodSandbox(sandbox_id_, Duration(0), [weak = Weak(), token](Status st) {
    auto self = weak.lock();
    if (!self || token != self->sandbox_token_) return;
    self->env_.runtime_result(st);
    self->sandbox_state_ = st.ok() ? SState::kStopped : SState::kReady;
    if (!st.ok()) self->WakeAt(self->Now() + self->sandbox_retry_.Next());
    self->RequestSync();
  });
}

void PodWorker::SyncTerminating() {
  bool busy = false;
  const Duration grace = PodGrace();
  for (auto& c : ctrs_) {
    switch (c.state) {
      case CState::kPulling:
      case CState::kCreating:
      case CState::kStarting:
        busy = true;  // its completion syncs again
        break;
      case CState::kRunning:
        if (!c.stopping) Kill(c, grace);
        busy = true;
        break;
      case CState::kNone:
      case CState::kExited:
        if (c.stopping) busy = true;
        break;
    }
  }
  if (busy) return;
  switch (sandbox_state_) {
    case SState::kCreating:
    case SState::kStopping:
    case SState::kRemoving:
      return;
    case SState::kReady:
    case SState::kStopped: {
      sandbox_state_ = SState::kRemoving;
      const uint64_t token = ++sandbox_token_;
      auto remove = [weak = Weak(), token](Status st) {
        auto self = weak.lock();
        if (!self || token != self->sandbox_token_) return;
        if (st.ok() || st.code() == Code::kNotFound) {
          self->env_.runtime_result(Status::Ok());
          self->sandbox_state_ = SState::kRemoved;
        } else {
          self->env_.runtime_result(st);
          self->sandbox_state_ = SState::kStopped;
          self->WakeAt(self->Now() + self->sandbox_retry_.Next());
        }
        self->RequestSync();
      };
      env_.runtime->StopPodSandbox(
          sandbox_id_, Duration(0), [weak = Weak(), token, remove](Status st) {
            auto self = weak.lock();
            if (!self || token != self->sandbox_token_) return;
            if (!st.ok() && st.code() != Code::kNotFound) {
              remove(st);
              return;
            }
            self->env_.runtime->RemovePodSandbox(self->sandbox_id_, remove);
          });
      return;
    }
    case SState::kNone:
    case SState::kRemoved:
      break;
  }
  if (remove_from_api_) {
    if (Now() < api_retry_at_) {
      WakeAt(api_retry_at_);
      return;
    }
    client::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    opts.uid = uid_;
    auto r = env_.api->Delete<api::Pod>(pod_->metadata.namespace_, pod_->metadata.name, opts);
    if (!r.ok() && r.code() != Code::kNotFound && r.code() != Code::kConflict) {
      api_retry_at_ = Now() + api_retry_.Next();
      WakeAt(api_retry_at_);
      return;
    }
  }
  mode_ = Mode::kFinished;
  env_.finished(uid_);
}

Duration PodWorker::PodGrace() const {
  const auto& m = pod_->metadata;
  int64_t s = m.deletion_grace_period_seconds.value_or(
      pod_->spec->termination_grace_period_seconds.value_or(api::kDefaultGracePeriodSeconds));
  return seconds(std::max<int64_t>(s, 0));
}

// --- Sandbox -----------------------------------------------------------------

void PodWorker::RunSandbox() {
  runtime::PodSandboxConfig cfg;
  cfg.pod_uid = uid_;
  cfg.pod_namespace = pod_->metadata.namespace_;
  cfg.pod_name = pod_->metadata.name;
  cfg.node_name = env_.options->node_name;
  cfg.hostname = pod_->spec->hostname.empty() ? pod_->metadata.name : pod_->spec->hostname;
  cfg.attempt = sandbox_attempt_;
  cfg.labels = pod_->metadata.labels;
  cfg.restart_policy = std::string(api::RestartPolicyOf(*pod_->spec));
  cfg.host_network = pod_->spec->host_network;
  for (const auto& ctr : pod_->spec->containers) {
    for (const auto& p : ctr.ports) {
      // Every container port: one without hostPort is published on a port
      // the runtime picks, by runtimes that publish on their host.
      runtime::PortMapping m;
      m.protocol = p.protocol.empty() ? "TCP" : p.protocol;
      m.container_port = p.container_port;
      m.host_port = pod_->spec->host_network ? p.container_port : p.host_port;
      m.host_ip = p.host_ip;
      cfg.port_mappings.push_back(std::move(m));
    }
  }
  sandbox_state_ = SState::kCreating;
  const uint64_t token = ++sandbox_token_;
  env_.runtime->RunPodSandbox(cfg, [weak = Weak(), token](Result<runtime::RunPodSandboxResult> r) {
    auto self = weak.lock();
    if (!self || token != self->sandbox_token_) return;
    self->env_.runtime_result(r.status());
    if (!r.ok()) {
      self->sandbox_state_ = SState::kNone;
      self->sandbox_retry_at_ = self->Now() + self->sandbox_retry_.Next();
      for (auto& c : self->ctrs_) {
        if (c.state == CState::kNone) c.waiting_message = r.status().message();
      }
      self->Dirty();
      self->RequestSync();
      return;
    }
    self->sandbox_retry_.Reset();
    self->sandbox_id_ = r->id;
    self->pod_ip_ = r->pod_ip;
    if (!r->published_ports.empty()) self->RecordPublishedPorts(r->published_ports);
    self->sandbox_state_ = SState::kReady;
    for (auto& c : self->ctrs_)
      c.waiting_message.clear();
    self->Dirty();
    self->RequestSync();  // a terminating pod removes it again
  });
}

void PodWorker::RecordPublishedPorts(const std::vector<runtime::PortMapping>& ports) {
  std::string value;
  for (const auto& m : ports) {
    if (m.host_port <= 0) continue;
    if (!value.empty()) value += ",";
    value += std::to_string(m.container_port) + "/" + m.protocol + "=" + m.host_ip + ":" +
             std::to_string(m.host_port);
  }
  if (value.empty() || env_.api == nullptr) return;
  const std::string key(runtime::kPublishedPortsAnnotation);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto cur = env_.api->Get<api::Pod>(pod_->metadata.namespace_, pod_->metadata.name);
    // Gone, replaced by another pod of that name, or a static pod's mirror:
    // nothing to record on.
    if (!cur.ok() || (*cur)->metadata.uid != uid_) return;
    auto it = (*cur)->metadata.annotations.find(key);
    if (it != (*cur)->metadata.annotations.end() && it->second == value) return;
    api::Pod next = **cur;
    next.metadata.annotations[key] = value;
    auto res = env_.api->Update(next);
    if (res.code() != Code::kConflict) return;  // written, or an error the next sandbox retries
  }
}

void PodWorker::LoseSandbox() {
  // The sandbox vanished: everything in it is gone; start over in a new one.
  for (auto& c : ctrs_) {
    if (c.state == CState::kRunning) {
      OnExited(c, kLostExitCode, std::string(kReasonLost), "the pod sandbox disappeared", Time(),
               Now());
    }
  }
  sandbox_id_.clear();
  pod_ip_.clear();
  sandbox_state_ = SState::kNone;
  ++sandbox_attempt_;
  Dirty();
  RequestSync();
}

// --- Containers --------------------------------------------------------------

void PodWorker::StartAttempt(Ctr& c) {
  const api::Container& spec = SpecOf(c);
  const std::string policy = ImagePullPolicy(spec);
  const bool pull =
      policy == "Always" || (policy == "IfNotPresent" && !env_.pulled_images->count(spec.image));
  if (!pull) {
    Event(c, api::kEventNormal, "Pulled",
          "Container image \"" + spec.image + "\" already present on machine");
    Create(c);
    return;
  }
  c.state = CState::kPulling;
  const uint64_t token = ++c.token;
  const size_t slot = SlotOf(c);
  Dirty();
  Event(c, api::kEventNormal, "Pulling", "Pulling image \"" + spec.image + "\"");
  const Time pull_start = Now();
  env_.runtime->PullImage(
      spec.image, [weak = Weak(), token, slot, pull_start](Result<std::string> r) {
        auto self = weak.lock();
        if (!self) return;
        Ctr& c = self->AtSlot(slot);
        if (token != c.token || c.state != CState::kPulling) return;
        const std::string& image = self->SpecOf(c).image;
        if (!r.ok() && r.code() != Code::kNotSupported) {
          self->env_.runtime_result(r.status());
          self->Event(c, api::kEventWarning, "Failed",
                      "Failed to pull image \"" + image + "\": " + r.status().message());
          self->FailOp(c, std::string(kReasonErrImagePull), r.status());
          return;
        }
        self->env_.runtime_result(Status::Ok());
        self->Event(c, api::kEventNormal, "Pulled",
                    "Successfully pulled image \"" + image + "\" in " +
                        FormatDuration(self->Now() - pull_start));
        if (r.ok()) {
          c.image_ref = *r;
          self->env_.pulled_images->insert(self->SpecOf(c).image);
        }
        if (self->Terminating()) {
          c.state = CState::kNone;
          self->RequestSync();
          return;
        }
        self->Create(c);
      });
}

void PodWorker::Create(Ctr& c) {
  const api::Container& spec = SpecOf(c);
  runtime::ContainerConfig cfg;
  cfg.name = spec.name;
  cfg.image = spec.image;
  cfg.command = spec.command;
  cfg.args = spec.args;
  for (const auto& e : spec.env)
    cfg.env.push_back({e.name, e.value});
  for (const auto& p : spec.ports)
    cfg.ports.push_back({p.name, p.container_port, p.protocol.empty() ? "TCP" : p.protocol});
  cfg.working_dir = spec.working_dir;
  if (auto it = spec.resources.limits.find(std::string(api::kResourceCpu));
      it != spec.resources.limits.end()) {
    cfg.cpu_limit_millis = it->second.MilliValue();
  }
  if (auto it = spec.resources.limits.find(std::string(api::kResourceMemory));
      it != spec.resources.limits.end()) {
    cfg.memory_limit_bytes = it->second.Value();
  }
  cfg.attempt = c.next_attempt;
  cfg.labels[std::string(runtime::kLabelPodUid)] = uid_;
  cfg.labels[std::string(runtime::kLabelPodNamespace)] = pod_->metadata.namespace_;
  cfg.labels[std::string(runtime::kLabelPodName)] = pod_->metadata.name;
  cfg.labels[std::string(runtime::kLabelNodeName)] = env_.options->node_name;
  cfg.labels[std::string(runtime::kLabelContainerName)] = spec.name;
  c.state = CState::kCreating;
  const uint64_t token = ++c.token;
  const size_t slot = SlotOf(c);
  const uint32_t attempt = c.next_attempt;
  Dirty();
  env_.runtime->CreateContainer(
      sandbox_id_, cfg, [weak = Weak(), token, slot, attempt](Result<runtime::ContainerId> r) {
        auto self = weak.lock();
        if (!self) return;
        Ctr& c = self->AtSlot(slot);
        if (token != c.token || c.state != CState::kCreating) return;
        self->env_.runtime_result(r.status());
        if (!r.ok()) {
          if (r.code() == Code::kNotFound) {  // the sandbox is gone
            c.state = CState::kNone;
            self->LoseSandbox();
            return;
          }
          std::string reason(kReasonContainerCreating);
          if (r.code() == Code::kInvalidArgument) {
            reason = ImagePullPolicy(self->SpecOf(c)) == "Never" ? kReasonErrImageNeverPull
                                                                 : kReasonCreateContainerError;
          }
          self->Event(c, api::kEventWarning, "Failed", "Error: " + r.status().message());
          self->FailOp(c, reason, r.status());
          return;
        }
        self->Event(c, api::kEventNormal, "Created", "Created container " + self->SpecOf(c).name);
        // A new attempt exists: keep one dead one, remove anything older.
        if (!c.id.empty() && c.id != *r) {
          if (!c.previous_dead.empty()) self->RemoveQuietly(c.previous_dead);
          c.previous_dead = c.id;
        }
        c.id = *r;
        c.has_attempt = true;
        c.attempt = attempt;
        c.next_attempt = attempt + 1;
        if (self->Terminating()) {
          self->RemoveQuietly(c.id);
          c.id.clear();
          c.state = CState::kNone;
          self->RequestSync();
          return;
        }
        c.state = CState::kStarting;
        const uint64_t start_token = ++c.token;
        self->env_.runtime->StartContainer(c.id, [weak, start_token, slot](Status st) {
          auto self = weak.lock();
          if (!self) return;
          Ctr& c = self->AtSlot(slot);
          if (start_token != c.token || c.state != CState::kStarting) return;
          self->env_.runtime_result(st);
          if (!st.ok()) {
            self->RemoveQuietly(c.id);
            self->Event(c, api::kEventWarning, "Failed", "Error: " + st.message());
            self->FailOp(c, std::string(kReasonRunContainerError), st);
            return;
          }
          self->Event(c, api::kEventNormal, "Started", "Started container " + self->SpecOf(c).name);
          self->Refresh(c);
        });
      });
}

void PodWorker::FailOp(Ctr& c, std::string reason, const Status& status) {
  c.state = CState::kNone;
  c.waiting_reason = std::move(reason);
  c.waiting_message = status.message();
  c.retry_at = Now() + c.retry.Next();
  Dirty();
  RequestSync();
}

void PodWorker::Refresh(Ctr& c) {
  const uint64_t token = c.token;
  const size_t slot = SlotOf(c);
  env_.runtime->GetContainerStatus(
      c.id, [weak = Weak(), token, slot](Result<runtime::ContainerStatus> r) {
        auto self = weak.lock();
        if (!self) return;
        Ctr& c = self->AtSlot(slot);
        if (token != c.token) return;
        if (r.code() == Code::kNotFound) {
          if (c.state == CState::kRunning || c.state == CState::kStarting) {
            self->OnExited(c, kLostExitCode, std::string(kReasonLost),
                           "the container could not be found", Time(), self->Now());
          }
          c.stopping = false;
          self->RequestSync();
          return;
        }
        if (!r.ok()) {
          // Not reachable now: the exit event or the next sync tells.
          self->env_.runtime_result(r.status());
          if (c.state == CState::kStarting) self->OnRunning(c, self->Now());
          return;
        }
        self->env_.runtime_result(Status::Ok());
        self->Apply(c, *r);
      });
}

void PodWorker::Apply(Ctr& c, const runtime::ContainerStatus& st) {
  if (!st.image_ref.empty()) c.image_ref = st.image_ref;
  switch (st.state) {
    case runtime::ContainerState::kRunning:
      if (c.state != CState::kRunning) OnRunning(c, st.started_at.IsZero() ? Now() : st.started_at);
      return;
    case runtime::ContainerState::kExited:
      if (c.state != CState::kExited) {
        OnExited(c, st.exit_code, st.reason, st.message, st.started_at,
                 st.finished_at.IsZero() ? Now() : st.finished_at);
      }
      c.stopping = false;
      RequestSync();
      return;
    case runtime::ContainerState::kCreated:
    case runtime::ContainerState::kUnknown:
      // Never started (a kubelet stopped between create and start): replace it.
      RemoveQuietly(st.id);
      if (c.id == st.id) c.id.clear();
      c.state = CState::kNone;
      c.stopping = false;
      RequestSync();
      return;
  }
}

void PodWorker::OnRunning(Ctr& c, Time started_at) {
  c.state = CState::kRunning;
  c.started_at = started_at;
  c.finished_at = Time();
  c.waiting_reason.clear();
  c.waiting_message.clear();
  c.retry.Reset();
  c.ready = false;
  c.started = false;
  if (Terminating()) {
    RequestSync();  // stops it
  } else {
    StartProbes(c);
  }
  Dirty();
}

void PodWorker::OnExited(Ctr& c, int32_t exit_code, std::string reason, std::string message,
                         Time started_at, Time finished_at) {
  StopProbes(c);
  const bool was_running = c.state == CState::kRunning;
  c.state = CState::kExited;
  ++c.token;  // supersedes an in-flight start or status read
  c.exit_code = exit_code;
  c.exit_reason = reason.empty() ? (exit_code == 0 ? "Completed" : "Error") : std::move(reason);
  c.exit_message = std::move(message);
  if (!started_at.IsZero()) {
    c.started_at = started_at;
  } else if (!was_running || c.started_at.IsZero()) {
    c.started_at = finished_at;  // it never ran (as far as the kubelet saw)
  }
  c.finished_at = finished_at;
  c.ready = false;
  c.started = false;
  // Nothing is left to stop: a Kill in flight completes as a no-op (its token
  // no longer matches), and a status read it issued is superseded above, so
  // it is here, not there, that the stop ends.
  c.stopping = false;
  if (ShouldRestart(c)) {
    c.restart_at = finished_at + c.crash.NextAfterRun(finished_at - c.started_at);
    if (!c.stopping && c.restart_at > Now()) {
      Event(c, api::kEventWarning, "BackOff",
            "Back-off restarting failed container " + c.name + " in pod " + pod_->metadata.name +
                "_" + pod_->metadata.namespace_ + "(" + uid_ + ")");
    }
  }
  Dirty();
  RequestSync();
}

void PodWorker::Event(const Ctr& c, std::string_view type, std::string_view reason,
                      std::string message) {
  if (!env_.recorder || !pod_) return;
  const std::string path = (c.init ? "spec.initContainers{" : "spec.containers{") + c.name + "}";
  env_.recorder->Record(*pod_, type, reason, std::move(message), path);
}

void PodWorker::Kill(Ctr& c, Duration grace, std::string why) {
  Event(c, api::kEventNormal, "Killing",
        why.empty() ? "Stopping container " + c.name : std::move(why));
  c.stopping = true;
  StopProbes(c);
  const uint64_t token = c.token;
  const size_t slot = SlotOf(c);
  env_.runtime->StopContainer(c.id, grace, [weak = Weak(), token, slot](Status st) {
    auto self = weak.lock();
    if (!self) return;
    Ctr& c = self->AtSlot(slot);
    if (token != c.token) {  // it exited meanwhile (the exit event came first)
      c.stopping = false;
      self->RequestSync();
      return;
    }
    self->env_.runtime_result(st);
    if (!st.ok() && st.code() != Code::kNotFound) {
      c.stopping = false;  // try again at the next sync
      self->WakeAt(self->Now() + c.retry.Next());
      return;
    }
    self->Refresh(c);
  });
}

void PodWorker::RemoveQuietly(const runtime::ContainerId& id) {
  if (id.empty()) return;
  env_.runtime->RemoveContainer(id, [](Status) {});
}

// --- Status ------------------------------------------------------------------

api::ContainerStateTerminated PodWorker::TerminatedOf(const Ctr& c) const {
  api::ContainerStateTerminated t;
  t.exit_code = c.exit_code;
  t.reason = c.exit_reason;
  t.message = c.exit_message;
  t.started_at = c.started_at;
  t.finished_at = c.finished_at;
  t.container_id = c.id;
  return t;
}

api::ContainerStatus PodWorker::StatusOf(const Ctr& c, bool init_pending) const {
  const api::Container& spec = SpecOf(c);
  api::ContainerStatus s;
  s.name = c.name;
  s.image = spec.image;
  // The ids are those of the attempt the state describes: the current one
  // once it runs or ran, else the last terminated one (none while creating).
  const bool current = c.state == CState::kRunning || c.state == CState::kExited;
  if (current) {
    s.container_id = c.id;
  } else if (c.last_terminated) {
    s.container_id = c.last_terminated->container_id;
  }
  if (current || c.last_terminated) s.image_id = c.image_ref;
  s.restart_count = c.has_attempt ? static_cast<int32_t>(c.attempt) : 0;
  s.ready = c.state == CState::kRunning && c.ready;
  if (!c.init) s.started = c.state == CState::kRunning && c.started;
  if (c.last_terminated) s.last_state.terminated = *c.last_terminated;
  auto waiting = [&](std::string_view reason, std::string message) {
    api::ContainerStateWaiting w;
    w.reason = std::string(reason);
    w.message = std::move(message);
    s.state.waiting = std::move(w);
  };
  switch (c.state) {
    case CState::kRunning:
      s.state.running = api::ContainerStateRunning{c.started_at};
      break;
    case CState::kExited:
      if (!c.stopping && ShouldRestart(c)) {
        s.state.waiting = api::ContainerStateWaiting{
            std::string(kReasonCrashLoopBackOff), "back-off " + FormatDuration(c.crash.current()) +
                                                      " restarting failed container=" + c.name +
                                                      " pod=" + pod_->metadata.name + "_" +
                                                      pod_->metadata.namespace_ + "(" + uid_ + ")"};
        s.last_state.terminated = TerminatedOf(c);
      } else {
        s.state.terminated = TerminatedOf(c);
      }
      break;
    case CState::kNone:
    case CState::kPulling:
    case CState::kCreating:
    case CState::kStarting:
      if (!c.waiting_reason.empty()) {
        waiting(c.waiting_reason, c.waiting_message);
      } else if (init_pending && !c.init) {
        waiting(kReasonPodInitializing, "");
      } else {
        waiting(kReasonContainerCreating, c.waiting_message);
      }
      break;
  }
  return s;
}

api::PodStatus PodWorker::BuildStatus(const api::PodStatus& previous) const {
  const Time now = Now();
  api::PodStatus s;
  s.conditions = previous.conditions;
  if (!FindPodCondition(s.conditions, kCondPodScheduled)) {
    SetPodCondition(
        s.conditions, previous.conditions, kCondPodScheduled, true, "", "",
        pod_->metadata.creation_timestamp.IsZero() ? now : pod_->metadata.creation_timestamp);
  }
  s.start_time = previous.start_time ? previous.start_time : std::optional<Time>(first_seen_);
  s.host_ip = env_.host_ip;
  s.qos_class = qos_class_;
  if (mode_ == Mode::kRejected) {
    s.phase = std::string(api::kPodFailed);
    s.reason = reject_reason_;
    s.message = reject_message_;
    return s;
  }
  s.pod_ip = pod_ip_.empty() ? previous.pod_ip : pod_ip_;
  if (!s.pod_ip.empty()) s.pod_ips.push_back(api::PodIp{s.pod_ip});

  bool init_done = true;
  std::string init_pending_names;
  for (size_t i = 0; i < init_count_; ++i) {
    const Ctr& c = ctrs_[i];
    s.init_container_statuses.push_back(StatusOf(c, false));
    if (!(c.state == CState::kExited && c.exit_code == 0)) {
      init_done = false;
      init_pending_names += (init_pending_names.empty() ? "" : " ") + c.name;
    }
  }
  std::string unready;
  for (size_t i = init_count_; i < ctrs_.size(); ++i) {
    const Ctr& c = ctrs_[i];
    s.container_statuses.push_back(StatusOf(c, !init_done));
    if (!s.container_statuses.back().ready) unready += (unready.empty() ? "" : " ") + c.name;
  }
  s.phase = PodPhase(pod_->spec, s.init_container_statuses, s.container_statuses);
  if (api::IsTerminalPhase(previous.phase)) {
    s.phase = previous.phase;  // a pod never leaves a terminal phase
  }
  const bool terminal = api::IsTerminalPhase(s.phase);
  if (init_done) {
    SetPodCondition(s.conditions, previous.conditions, kCondInitialized, true, "", "", now);
  } else {
    SetPodCondition(s.conditions, previous.conditions, kCondInitialized, false,
                    "ContainersNotInitialized",
                    "containers with incomplete status: [" + init_pending_names + "]", now);
  }
  const bool ready = unready.empty() && !terminal && init_done;
  std::string reason = terminal ? "PodCompleted" : ready ? "" : "ContainersNotReady";
  std::string message =
      terminal || ready ? "" : "containers with unready status: [" + unready + "]";
  SetPodCondition(s.conditions, previous.conditions, kCondReady, ready, reason, message, now);
  SetPodCondition(s.conditions, previous.conditions, kCondContainersReady, ready, reason, message,
                  now);
  return s;
}

}  // namespace navarch::kubelet
