#include "sim/sim_runtime.h"

#include <algorithm>
#include <cstdio>

namespace navarch::sim {
namespace {

using runtime::ContainerEvent;
using runtime::ContainerState;

std::string PaddedId(char prefix, uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%c%08llu", prefix, static_cast<unsigned long long>(n));
  return buf;
}

// A stable fake content address for an image name.
std::string ContentAddress(const std::string& image) {
  std::string out = "sha256:";
  for (int part = 0; part < 4; ++part) {
    uint64_t h = 0xcbf29ce484222325ULL ^ static_cast<uint64_t>(part);
    for (char c : image) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    out += buf;
  }
  return out;
}

bool HasLabels(const runtime::RuntimeLabels& have, const runtime::RuntimeLabels& want) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

class SimLogStream final : public runtime::LogStream {
 public:
  explicit SimLogStream(std::shared_ptr<bool> cancelled) : cancelled_(std::move(cancelled)) {}
  ~SimLogStream() override { *cancelled_ = true; }
  void Cancel() override { *cancelled_ = true; }

 private:
  std::shared_ptr<bool> cancelled_;
};

}  // namespace

SimRuntime::SimRuntime(runtime::Clock& clock, const RuntimeModel& model, runtime::Rng rng,
                       SimRuntimeOptions options)
    : clock_(clock), model_(model), rng_(rng), options_(std::move(options)) {
  if (!options_.engine) options_.engine = std::make_shared<EngineLoad>();
}

SimRuntime::~SimRuntime() {
  for (const auto& [token, id] : pending_)
    clock_.Cancel(id);
  options_.engine->starting -= starting_;
}

Duration SimRuntime::BeginStart(Duration base) {
  const int others = options_.engine->starting;
  ++options_.engine->starting;
  ++starting_;
  if (model_.start_contention <= 0 || others == 0) return base;
  const double factor = 1 + model_.start_contention * others;
  return Duration(static_cast<int64_t>(static_cast<double>(base.count()) * factor));
}

void SimRuntime::EndStart() {
  if (starting_ == 0) return;
  --starting_;
  --options_.engine->starting;
}

uint64_t SimRuntime::Schedule(Time when, std::function<void()> fn) {
  const uint64_t token = next_token_++;
  const runtime::TimerId id = clock_.At(when, [this, token, fn = std::move(fn)] {
    pending_.erase(token);
    fn();
  });
  pending_.emplace(token, id);
  return token;
}

void SimRuntime::CancelScheduled(uint64_t token) {
  auto it = pending_.find(token);
  if (it == pending_.end()) return;
  clock_.Cancel(it->second);
  pending_.erase(it);
}

void SimRuntime::PowerOff() {
  for (const auto& [token, id] : pending_)
    clock_.Cancel(id);
  pending_.clear();
  // Starts cut short by the power-off no longer load the engine.
  options_.engine->starting -= starting_;
  starting_ = 0;
  sandboxes_.clear();
  containers_.clear();
  pulls_in_flight_.clear();
  used_ip_slots_.clear();
  handler_ = nullptr;
  powered_ = false;
}

void SimRuntime::PowerOn() {
  powered_ = true;
}

size_t SimRuntime::running_containers() const {
  size_t n = 0;
  for (const auto& [id, c] : containers_)
    n += c.status.state == ContainerState::kRunning ? 1 : 0;
  return n;
}

std::string SimRuntime::Describe() const {
  return "simulated(" + options_.node_name + ")";
}

void SimRuntime::SetEventHandler(runtime::ContainerEventHandler handler) {
  handler_ = std::move(handler);
}

Status SimRuntime::Down() const {
  return Unavailable("node " + options_.node_name +
                     " is down: its simulated runtime is powered off; retry after it recovers");
}

Status SimRuntime::UnknownSandbox(const runtime::SandboxId& id) const {
  return NotFound("sandbox " + id + " does not exist on node " + options_.node_name);
}

Status SimRuntime::UnknownContainer(const runtime::ContainerId& id) const {
  return NotFound("container " + id + " does not exist on node " + options_.node_name);
}

std::string SimRuntime::Where(const Container& c) const {
  auto label = [&](std::string_view key) {
    auto it = c.status.labels.find(std::string(key));
    return it == c.status.labels.end() ? std::string() : it->second;
  };
  return label(runtime::kLabelPodNamespace) + "/" + label(runtime::kLabelPodName) + " container " +
         c.status.name;
}

void SimRuntime::Emit(ContainerEvent::Type type, const Container& c) {
  ContainerEvent ev;
  ev.type = type;
  ev.container_id = c.status.id;
  ev.sandbox_id = c.status.sandbox_id;
  ev.time = clock_.Now();
  if (type == ContainerEvent::Type::kExited) {
    ev.exit_code = c.status.exit_code;
    ev.reason = c.status.reason;
  }
  ev.labels = c.status.labels;
  Post([this, ev = std::move(ev)] {
    if (handler_) handler_(ev);
  });
}

uint32_t SimRuntime::AllocateIpSlot() {
  for (uint32_t slot = 1; slot <= 254; ++slot) {
    if (!used_ip_slots_.count(slot)) {
      used_ip_slots_.insert(slot);
      return slot;
    }
  }
  return 0;
}

// --- Sandboxes --------------------------------------------------------------

void SimRuntime::RunPodSandbox(const runtime::PodSandboxConfig& config,
                               runtime::Callback<runtime::RunPodSandboxResult> done) {
  if (!powered_) return Reply<runtime::RunPodSandboxResult>(std::move(done), Down());
  if (config.pod_name.empty() || config.pod_uid.empty()) {
    return Reply<runtime::RunPodSandboxResult>(
        std::move(done), InvalidArgument("sandbox for pod \"" + config.pod_namespace + "/" +
                                         config.pod_name + "\" on node " + options_.node_name +
                                         ": pod_name and pod_uid are required"));
  }
  const Duration latency = BeginStart(model_.sandbox_start.SampleDuration(rng_));
  Schedule(clock_.Now() + latency, [this, config, done = std::move(done)] {
    EndStart();
    const std::string pod = config.pod_namespace + "/" + config.pod_name;
    for (const runtime::PortMapping& want : config.port_mappings) {
      if (want.host_port == 0) continue;
      for (const auto& [id, sb] : sandboxes_) {
        if (sb.status.state != runtime::SandboxState::kReady) continue;
        for (const runtime::PortMapping& have : sb.host_ports) {
          const bool same_ip =
              have.host_ip.empty() || want.host_ip.empty() || have.host_ip == want.host_ip;
          if (have.host_port == want.host_port && have.protocol == want.protocol && same_ip) {
            done(InvalidArgument("pod " + pod + ": host port " + std::to_string(want.host_port) +
                                 "/" + want.protocol + " on node " + options_.node_name +
                                 " is already used by pod " + sb.status.pod_namespace + "/" +
                                 sb.status.pod_name));
            return;
          }
        }
      }
    }
    Sandbox sb;
    if (config.host_network) {
      sb.status.pod_ip = options_.node_ip;
    } else {
      sb.ip_slot = AllocateIpSlot();
      if (sb.ip_slot == 0) {
        done(Unavailable("pod " + pod + ": node " + options_.node_name +
                         " has no free pod IP (all 254 in use)"));
        return;
      }
      sb.status.pod_ip = options_.pod_ip_prefix + std::to_string(sb.ip_slot);
    }
    sb.status.id = PaddedId('s', next_sandbox_++);
    sb.status.pod_uid = config.pod_uid;
    sb.status.pod_namespace = config.pod_namespace;
    sb.status.pod_name = config.pod_name;
    sb.status.attempt = config.attempt;
    sb.status.state = runtime::SandboxState::kReady;
    sb.status.created_at = clock_.Now();
    sb.status.labels = config.labels;
    sb.status.labels[std::string(runtime::kLabelPodUid)] = config.pod_uid;
    sb.status.labels[std::string(runtime::kLabelPodNamespace)] = config.pod_namespace;
    sb.status.labels[std::string(runtime::kLabelPodName)] = config.pod_name;
    sb.status.labels[std::string(runtime::kLabelNodeName)] =
        config.node_name.empty() ? options_.node_name : config.node_name;
    // Set by the kubelet from the (defaulted) pod spec; a config made
    // elsewhere without one means Always, the API's default.
    sb.restart_policy = config.restart_policy.empty() ? "Always" : config.restart_policy;
    for (const runtime::PortMapping& pm : config.port_mappings) {
      if (pm.host_port != 0) sb.host_ports.push_back(pm);
    }
    ++stats_.sandboxes_created;
    runtime::RunPodSandboxResult result{sb.status.id, sb.status.pod_ip};
    sandboxes_.emplace(sb.status.id, std::move(sb));
    done(std::move(result));
  });
}

void SimRuntime::StopPodSandbox(const runtime::SandboxId& id, Duration grace_period,
                                runtime::StatusCallback done) {
  if (!powered_) return ReplyStatus(std::move(done), Down());
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return ReplyStatus(std::move(done), UnknownSandbox(id));
  Time last = clock_.Now();
  for (const runtime::ContainerId& cid : it->second.containers) {
    Container& c = containers_.at(cid);
    if (c.status.state == ContainerState::kRunning) {
      last = std::max(last, StopRunning(cid, grace_period));
    } else if (c.status.state == ContainerState::kCreated) {
      Exit(cid, 0, "Completed", "stopped before it started");
    }
  }
  Schedule(last, [this, id, done = std::move(done)] {
    auto sb = sandboxes_.find(id);
    if (sb != sandboxes_.end()) {
      sb->second.status.state = runtime::SandboxState::kNotReady;
      sb->second.status.pod_ip.clear();
      used_ip_slots_.erase(sb->second.ip_slot);
      sb->second.ip_slot = 0;
      sb->second.host_ports.clear();
    }
    done(Status::Ok());
  });
}

void SimRuntime::RemovePodSandbox(const runtime::SandboxId& id, runtime::StatusCallback done) {
  if (!powered_) return ReplyStatus(std::move(done), Down());
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) return ReplyStatus(std::move(done), UnknownSandbox(id));
  const std::vector<runtime::ContainerId> ids = it->second.containers;
  for (const runtime::ContainerId& cid : ids)
    RemoveNow(cid);
  used_ip_slots_.erase(it->second.ip_slot);
  sandboxes_.erase(it);
  ReplyStatus(std::move(done), Status::Ok());
}

void SimRuntime::ListPodSandboxes(const runtime::SandboxFilter& filter,
                                  runtime::Callback<std::vector<runtime::PodSandboxStatus>> done) {
  if (!powered_) return Reply<std::vector<runtime::PodSandboxStatus>>(std::move(done), Down());
  std::vector<runtime::PodSandboxStatus> out;
  for (const auto& [id, sb] : sandboxes_) {
    if (filter.id && *filter.id != id) continue;
    if (filter.state && *filter.state != sb.status.state) continue;
    if (!HasLabels(sb.status.labels, filter.labels)) continue;
    out.push_back(sb.status);
  }
  Reply<std::vector<runtime::PodSandboxStatus>>(std::move(done), std::move(out));
}

// --- Containers -------------------------------------------------------------

void SimRuntime::CreateContainer(const runtime::SandboxId& sandbox,
                                 const runtime::ContainerConfig& config,
                                 runtime::Callback<runtime::ContainerId> done) {
  if (!powered_) return Reply<runtime::ContainerId>(std::move(done), Down());
  auto sb = sandboxes_.find(sandbox);
  if (sb == sandboxes_.end()) {
    return Reply<runtime::ContainerId>(std::move(done), UnknownSandbox(sandbox));
  }
  const std::string pod = sb->second.status.pod_namespace + "/" + sb->second.status.pod_name;
  if (sb->second.status.state != runtime::SandboxState::kReady) {
    return Reply<runtime::ContainerId>(std::move(done),
                                       InvalidArgument("pod " + pod + ": sandbox " + sandbox +
                                                       " is not ready; run a new sandbox first"));
  }
  if (config.name.empty()) {
    return Reply<runtime::ContainerId>(
        std::move(done), InvalidArgument("pod " + pod + ": a container needs a name"));
  }
  auto image = images_.find(config.image);
  if (image == images_.end()) {
    return Reply<runtime::ContainerId>(
        std::move(done),
        InvalidArgument("pod " + pod + " container " + config.name + ": image \"" + config.image +
                        "\" is not present on node " + options_.node_name + "; pull it first"));
  }
  Container c;
  c.status.id = PaddedId('c', next_container_++);
  c.status.sandbox_id = sandbox;
  c.status.name = config.name;
  c.status.image = config.image;
  c.status.image_ref = image->second;
  c.status.attempt = config.attempt;
  c.status.state = ContainerState::kCreated;
  c.status.created_at = clock_.Now();
  c.status.labels = config.labels;
  for (const char* key : {runtime::kLabelPodUid.data(), runtime::kLabelPodNamespace.data(),
                          runtime::kLabelPodName.data(), runtime::kLabelNodeName.data()}) {
    c.status.labels[key] = sb->second.status.labels[key];
  }
  c.status.labels[std::string(runtime::kLabelContainerName)] = config.name;
  c.status.labels[std::string(runtime::kLabelAttempt)] = std::to_string(config.attempt);
  c.behaviour = model_.Resolve(config.image, sb->second.status.labels, sb->second.restart_policy);
  const runtime::ContainerId id = c.status.id;
  sb->second.containers.push_back(id);
  containers_.emplace(id, std::move(c));
  Reply<runtime::ContainerId>(std::move(done), id);
}

void SimRuntime::StartContainer(const runtime::ContainerId& id, runtime::StatusCallback done) {
  if (!powered_) return ReplyStatus(std::move(done), Down());
  auto it = containers_.find(id);
  if (it == containers_.end()) return ReplyStatus(std::move(done), UnknownContainer(id));
  Container& c = it->second;
  if (c.status.state != ContainerState::kCreated || c.starting) {
    return ReplyStatus(std::move(done),
                       InvalidArgument(Where(c) + " (" + id + ") is " +
                                       std::string(runtime::ContainerStateName(c.status.state)) +
                                       "; only a created container can be started"));
  }
  c.starting = true;
  const Duration latency = BeginStart(c.behaviour.container_start.SampleDuration(rng_));
  Schedule(clock_.Now() + latency, [this, id, done = std::move(done)] {
    EndStart();
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      done(UnknownContainer(id));
      return;
    }
    Container& c = it->second;
    c.starting = false;
    if (c.status.state != ContainerState::kCreated) {
      done(Status::Ok());  // stopped while starting: reported as exited
      return;
    }
    if (rng_.Bernoulli(c.behaviour.start_failure_probability)) {
      Exit(id, 128, "ContainerCannotRun", "simulated start failure");
      done(Status::Ok());
      return;
    }
    BeginRun(id);
    done(Status::Ok());
  });
}

void SimRuntime::BeginRun(const runtime::ContainerId& id) {
  Container& c = containers_.at(id);
  const Time now = clock_.Now();
  c.status.state = ContainerState::kRunning;
  c.status.started_at = now;
  c.status.finished_at = Time();
  ++stats_.containers_started;
  c.log.emplace_back(
      now, "started " + c.status.image + " (attempt " + std::to_string(c.status.attempt) + ")");
  Emit(ContainerEvent::Type::kStarted, c);

  const ContainerBehaviour& b = c.behaviour;
  bool ends = false, crashed = false;
  Time end;
  int32_t code = 0;
  std::string reason, message;
  if (b.run_duration) {
    ends = true;
    end = now + b.run_duration->SampleDuration(rng_);
    const bool failed = rng_.Bernoulli(b.failure_probability);
    code = failed ? b.failure_exit_code : b.exit_code;
    reason = code == 0 ? "Completed" : "Error";
    message = failed ? "simulated failure" : "run finished";
  }
  if (rng_.Bernoulli(b.crash.probability)) {
    const Time crash_at = now + b.crash.after.SampleDuration(rng_);
    if (!ends || crash_at < end) {
      ends = crashed = true;
      end = crash_at;
      code = b.crash.exit_code;
      reason = b.crash.reason;
      message = "simulated crash";
    }
  }
  if (!ends) return;
  c.exit_at = end;
  c.exit_token = Schedule(end, [this, id, code, reason, message, crashed] {
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    it->second.exit_token = 0;
    if (crashed) ++stats_.containers_crashed;
    Exit(id, code, reason, message);
  });
}

void SimRuntime::Exit(const runtime::ContainerId& id, int32_t exit_code, const std::string& reason,
                      const std::string& message) {
  Container& c = containers_.at(id);
  if (c.exit_token) {
    CancelScheduled(c.exit_token);
    c.exit_token = 0;
  }
  const bool was_running = c.status.state == ContainerState::kRunning;
  c.status.state = ContainerState::kExited;
  c.status.finished_at = clock_.Now();
  c.status.exit_code = exit_code;
  c.status.reason = reason;
  c.status.message = message;
  if (was_running) ++stats_.containers_exited;
  c.log.emplace_back(clock_.Now(),
                     "exited with code " + std::to_string(exit_code) + " (" + reason + ")");
  Emit(ContainerEvent::Type::kExited, c);
}

Time SimRuntime::StopRunning(const runtime::ContainerId& id, Duration timeout) {
  Container& c = containers_.at(id);
  const Duration stop = c.behaviour.container_stop.SampleDuration(rng_);
  const bool killed = stop > timeout;
  const Time at = clock_.Now() + std::min(stop, timeout);
  if (c.exit_token && c.exit_at <= at) return c.exit_at;  // it exits before that anyway
  if (c.exit_token) CancelScheduled(c.exit_token);
  c.exit_at = at;
  c.exit_token = Schedule(at, [this, id, killed] {
    auto it = containers_.find(id);
    if (it == containers_.end()) return;
    it->second.exit_token = 0;
    if (killed) {
      Exit(id, 137, "Error", "killed after the stop timeout");
    } else {
      Exit(id, 0, "Completed", "stopped");
    }
  });
  return at;
}

void SimRuntime::StopContainer(const runtime::ContainerId& id, Duration timeout,
                               runtime::StatusCallback done) {
  if (!powered_) return ReplyStatus(std::move(done), Down());
  auto it = containers_.find(id);
  if (it == containers_.end()) return ReplyStatus(std::move(done), UnknownContainer(id));
  Container& c = it->second;
  if (c.status.state == ContainerState::kCreated) {
    Exit(id, 0, "Completed", "stopped before it started");
    return ReplyStatus(std::move(done), Status::Ok());
  }
  if (c.status.state != ContainerState::kRunning) {
    return ReplyStatus(std::move(done), Status::Ok());
  }
  const Time at = StopRunning(id, timeout);
  Schedule(at, [done = std::move(done)] { done(Status::Ok()); });
}

void SimRuntime::RemoveNow(const runtime::ContainerId& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) return;
  if (it->second.status.state == ContainerState::kRunning) {
    Exit(id, 137, "Error", "killed on removal");
  }
  if (it->second.exit_token) CancelScheduled(it->second.exit_token);
  Emit(ContainerEvent::Type::kRemoved, it->second);
  auto sb = sandboxes_.find(it->second.status.sandbox_id);
  if (sb != sandboxes_.end()) {
    auto& list = sb->second.containers;
    list.erase(std::remove(list.begin(), list.end(), id), list.end());
  }
  containers_.erase(it);
}

void SimRuntime::RemoveContainer(const runtime::ContainerId& id, runtime::StatusCallback done) {
  if (!powered_) return ReplyStatus(std::move(done), Down());
  if (!containers_.count(id)) return ReplyStatus(std::move(done), UnknownContainer(id));
  RemoveNow(id);
  ReplyStatus(std::move(done), Status::Ok());
}

void SimRuntime::ListContainers(const runtime::ContainerFilter& filter,
                                runtime::Callback<std::vector<runtime::ContainerStatus>> done) {
  if (!powered_) return Reply<std::vector<runtime::ContainerStatus>>(std::move(done), Down());
  std::vector<runtime::ContainerStatus> out;
  for (const auto& [id, c] : containers_) {
    if (filter.id && *filter.id != id) continue;
    if (filter.sandbox_id && *filter.sandbox_id != c.status.sandbox_id) continue;
    if (filter.state && *filter.state != c.status.state) continue;
    if (!HasLabels(c.status.labels, filter.labels)) continue;
    out.push_back(c.status);
  }
  Reply<std::vector<runtime::ContainerStatus>>(std::move(done), std::move(out));
}

void SimRuntime::GetContainerStatus(const runtime::ContainerId& id,
                                    runtime::Callback<runtime::ContainerStatus> done) {
  if (!powered_) return Reply<runtime::ContainerStatus>(std::move(done), Down());
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Reply<runtime::ContainerStatus>(std::move(done), UnknownContainer(id));
  }
  Reply<runtime::ContainerStatus>(std::move(done), it->second.status);
}

std::unique_ptr<runtime::LogStream> SimRuntime::ContainerLogs(const runtime::ContainerId& id,
                                                              const runtime::LogOptions& options,
                                                              runtime::LogSink sink,
                                                              runtime::StatusCallback done) {
  auto cancelled = std::make_shared<bool>(false);
  auto stream = std::make_unique<SimLogStream>(cancelled);
  Status error;
  std::string text;
  if (!powered_) {
    error = Down();
  } else if (options.follow) {
    error =
        NotSupported("the simulated runtime cannot follow logs (node " + options_.node_name + ")");
  } else if (auto it = containers_.find(id); it == containers_.end()) {
    error = UnknownContainer(id);
  } else {
    const auto& log = it->second.log;
    size_t first = 0;
    if (options.tail_lines >= 0 && static_cast<size_t>(options.tail_lines) < log.size()) {
      first = log.size() - static_cast<size_t>(options.tail_lines);
    }
    for (size_t i = first; i < log.size(); ++i) {
      if (options.timestamps) text += log[i].first.ToRfc3339Micro() + " ";
      text += log[i].second;
      text += '\n';
    }
  }
  Post([cancelled, sink = std::move(sink), done = std::move(done), error, text] {
    if (*cancelled) return;
    if (error.ok() && !text.empty()) sink(text);
    if (*cancelled) return;
    done(error);
  });
  return stream;
}

void SimRuntime::Exec(const runtime::ContainerId& id, const std::vector<std::string>& command,
                      Duration timeout, runtime::Callback<runtime::ExecResult> done) {
  if (!powered_) return Reply<runtime::ExecResult>(std::move(done), Down());
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Reply<runtime::ExecResult>(std::move(done), UnknownContainer(id));
  }
  if (it->second.status.state != ContainerState::kRunning) {
    return Reply<runtime::ExecResult>(
        std::move(done), InvalidArgument(Where(it->second) + " (" + id +
                                         ") is not running; exec needs a running container"));
  }
  runtime::ProbeSpec spec;
  spec.type = runtime::ProbeSpec::Type::kExec;
  spec.command = command;
  spec.timeout = timeout;
  Probe(id, spec, [done = std::move(done)](Result<runtime::ProbeResult> r) {
    if (!r.ok()) return done(r.status());
    done(runtime::ExecResult{r->success ? 0 : 1, r->message});
  });
}

void SimRuntime::Probe(const runtime::ContainerId& id, const runtime::ProbeSpec& probe,
                       runtime::Callback<runtime::ProbeResult> done) {
  if (!powered_) return Reply<runtime::ProbeResult>(std::move(done), Down());
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Reply<runtime::ProbeResult>(std::move(done), UnknownContainer(id));
  }
  const Container& c = it->second;
  runtime::ProbeResult result{true, ""};
  if (c.status.state != ContainerState::kRunning) {
    result = {false, "container is not running"};
  } else {
    for (const ProbeBehaviour& pb : c.behaviour.probes) {
      if (!pb.Matches(probe)) continue;
      const Duration running = clock_.Now() - c.status.started_at;
      if (pb.fails_after && running >= *pb.fails_after) {
        result = {false, "simulated probe failure: failing since " +
                             FormatDuration(*pb.fails_after) + " after start"};
      } else if (!rng_.Bernoulli(pb.success_probability)) {
        result = {false, "simulated probe failure"};
      }
      break;
    }
    ++stats_.probes_run;
    if (!result.success) ++stats_.probes_failed;
  }
  Reply<runtime::ProbeResult>(std::move(done), std::move(result));
}

void SimRuntime::PullImage(const std::string& image, runtime::Callback<std::string> done) {
  if (!powered_) return Reply<std::string>(std::move(done), Down());
  if (image.empty()) {
    return Reply<std::string>(
        std::move(done),
        InvalidArgument("pull on node " + options_.node_name + ": the image name is empty"));
  }
  if (auto it = images_.find(image); it != images_.end()) {
    return Reply<std::string>(std::move(done), it->second);
  }
  auto [flight, first] = pulls_in_flight_.try_emplace(image);
  flight->second.push_back(std::move(done));
  if (!first) return;
  const Duration latency = model_.PullLatency(image).SampleDuration(rng_);
  Schedule(clock_.Now() + latency, [this, image] {
    const std::string address = ContentAddress(image);
    images_[image] = address;
    ++stats_.images_pulled;
    auto waiting = std::move(pulls_in_flight_[image]);
    pulls_in_flight_.erase(image);
    for (auto& w : waiting)
      w(address);
  });
}

}  // namespace navarch::sim
