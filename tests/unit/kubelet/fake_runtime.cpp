#include "tests/unit/kubelet/fake_runtime.h"

#include <utility>

namespace navarch::kubelet::testing {

using runtime::ContainerState;

Status FakeRuntime::Down(const std::string& what) const {
  return Unavailable("fake runtime: " + what + ": the daemon is not running; start it");
}

bool FakeRuntime::Matches(const runtime::RuntimeLabels& want, const runtime::RuntimeLabels& have) {
  for (const auto& [k, v] : want) {
    auto it = have.find(k);
    if (it == have.end() || it->second != v) return false;
  }
  return true;
}

void FakeRuntime::Emit(runtime::ContainerEvent::Type type, const Ctr& c) {
  runtime::ContainerEvent ev;
  ev.type = type;
  ev.container_id = c.status.id;
  ev.sandbox_id = c.status.sandbox_id;
  ev.time = clock_.Now();
  ev.exit_code = c.status.exit_code;
  ev.reason = c.status.reason;
  ev.labels = c.status.labels;
  clock_.Post([this, ev] {
    if (handler_) handler_(ev);
  });
}

void FakeRuntime::Exit(Ctr& c, int32_t exit_code, std::string reason) {
  if (c.status.state != ContainerState::kRunning) return;
  if (c.exit_timer != 0) clock_.Cancel(c.exit_timer);
  c.exit_timer = 0;
  c.status.state = ContainerState::kExited;
  c.status.exit_code = exit_code;
  c.status.reason = std::move(reason);
  c.status.finished_at = clock_.Now();
  Emit(runtime::ContainerEvent::Type::kExited, c);
}

void FakeRuntime::Crash(const runtime::ContainerId& id, int32_t exit_code) {
  auto it = containers_.find(id);
  if (it != containers_.end()) Exit(it->second, exit_code, exit_code == 0 ? "Completed" : "Error");
}

std::vector<std::string> FakeRuntime::CallsStartingWith(const std::string& prefix) const {
  std::vector<std::string> out;
  for (const auto& c : calls_) {
    if (c.rfind(prefix, 0) == 0) out.push_back(c);
  }
  return out;
}

std::vector<runtime::ContainerStatus> FakeRuntime::Containers() const {
  std::vector<runtime::ContainerStatus> out;
  for (const auto& [id, c] : containers_)
    out.push_back(c.status);
  return out;
}

std::vector<runtime::PodSandboxStatus> FakeRuntime::Sandboxes() const {
  std::vector<runtime::PodSandboxStatus> out;
  for (const auto& [id, s] : sandboxes_)
    out.push_back(s);
  return out;
}

std::vector<runtime::ContainerStatus> FakeRuntime::Running(const std::string& name) const {
  std::vector<runtime::ContainerStatus> out;
  for (const auto& [id, c] : containers_) {
    if (c.status.name == name && c.status.state == ContainerState::kRunning) {
      out.push_back(c.status);
    }
  }
  return out;
}

// --- Sandboxes -----------------------------------------------------------------

void FakeRuntime::RunPodSandbox(const runtime::PodSandboxConfig& config,
                                runtime::Callback<runtime::RunPodSandboxResult> done) {
  calls_.push_back("RunPodSandbox " + config.pod_namespace + "/" + config.pod_name +
                   " attempt=" + std::to_string(config.attempt));
  if (!available_) return Complete([done, st = Down("RunPodSandbox")] { done(st); });
  for (const auto& want : config.port_mappings) {
    if (want.host_port == 0) continue;
    for (const auto& [id, ports] : sandbox_ports_) {
      if (sandboxes_.at(id).state != runtime::SandboxState::kReady) continue;
      for (const auto& have : ports) {
        if (have.host_port == want.host_port && have.protocol == want.protocol) {
          return Complete([done, port = want.host_port] {
            done(InvalidArgument("fake runtime: host port " + std::to_string(port) +
                                 " is already in use on this node"));
          });
        }
      }
    }
  }
  runtime::PodSandboxStatus s;
  s.id = "sb-" + std::to_string(next_sandbox_++);
  s.pod_uid = config.pod_uid;
  s.pod_namespace = config.pod_namespace;
  s.pod_name = config.pod_name;
  s.attempt = config.attempt;
  s.state = runtime::SandboxState::kReady;
  s.pod_ip = config.host_network ? "192.168.0.10" : "10.0.0." + std::to_string(next_ip_++);
  s.created_at = clock_.Now();
  s.labels = config.labels;
  s.labels[std::string(runtime::kLabelPodUid)] = config.pod_uid;
  s.labels[std::string(runtime::kLabelPodNamespace)] = config.pod_namespace;
  s.labels[std::string(runtime::kLabelPodName)] = config.pod_name;
  s.labels[std::string(runtime::kLabelNodeName)] = config.node_name;
  sandboxes_[s.id] = s;
  sandbox_ports_[s.id] = config.port_mappings;
  Complete([done, r = runtime::RunPodSandboxResult{s.id, s.pod_ip}] { done(r); });
}

void FakeRuntime::StopPodSandbox(const runtime::SandboxId& id, Duration grace_period,
                                 runtime::StatusCallback done) {
  calls_.push_back("StopPodSandbox " + id);
  if (!available_) return Complete([done, st = Down("StopPodSandbox")] { done(st); });
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: sandbox " + id + " not found")); });
  }
  (void)grace_period;
  for (auto& [cid, c] : containers_) {
    if (c.status.sandbox_id == id) Exit(c, 137, "Error");
  }
  it->second.state = runtime::SandboxState::kNotReady;
  Complete([done] { done(Status::Ok()); });
}

void FakeRuntime::RemovePodSandbox(const runtime::SandboxId& id, runtime::StatusCallback done) {
  calls_.push_back("RemovePodSandbox " + id);
  if (!available_) return Complete([done, st = Down("RemovePodSandbox")] { done(st); });
  auto it = sandboxes_.find(id);
  if (it == sandboxes_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: sandbox " + id + " not found")); });
  }
  for (auto c = containers_.begin(); c != containers_.end();) {
    if (c->second.status.sandbox_id == id) {
      Exit(c->second, 137, "Error");
      Emit(runtime::ContainerEvent::Type::kRemoved, c->second);
      c = containers_.erase(c);
    } else {
      ++c;
    }
  }
  sandboxes_.erase(it);
  sandbox_ports_.erase(id);
  Complete([done] { done(Status::Ok()); });
}

void FakeRuntime::ListPodSandboxes(const runtime::SandboxFilter& filter,
                                   runtime::Callback<std::vector<runtime::PodSandboxStatus>> done) {
  calls_.push_back("ListPodSandboxes");
  if (!available_) return Complete([done, st = Down("ListPodSandboxes")] { done(st); });
  std::vector<runtime::PodSandboxStatus> out;
  for (const auto& [id, s] : sandboxes_) {
    if (filter.id && *filter.id != id) continue;
    if (filter.state && *filter.state != s.state) continue;
    if (!Matches(filter.labels, s.labels)) continue;
    out.push_back(s);
  }
  Complete([done, out] { done(out); });
}

// --- Containers ----------------------------------------------------------------

void FakeRuntime::CreateContainer(const runtime::SandboxId& sandbox,
                                  const runtime::ContainerConfig& config,
                                  runtime::Callback<runtime::ContainerId> done) {
  calls_.push_back("CreateContainer " + config.name + " attempt=" + std::to_string(config.attempt));
  if (!available_) return Complete([done, st = Down("CreateContainer")] { done(st); });
  auto sb = sandboxes_.find(sandbox);
  if (sb == sandboxes_.end() || sb->second.state != runtime::SandboxState::kReady) {
    return Complete(
        [done, sandbox] { done(NotFound("fake runtime: sandbox " + sandbox + " not found")); });
  }
  if (!local_images_.count(config.image)) {
    return Complete([done, image = config.image, name = config.name] {
      done(InvalidArgument("fake runtime: container \"" + name + "\": image \"" + image +
                           "\" is not present on this node; pull it first"));
    });
  }
  Ctr c;
  c.status.id = "c-" + std::to_string(next_container_++);
  c.status.sandbox_id = sandbox;
  c.status.name = config.name;
  c.status.image = config.image;
  c.status.image_ref = "sha256:" + config.image;
  c.status.attempt = config.attempt;
  c.status.state = ContainerState::kCreated;
  c.status.created_at = clock_.Now();
  c.status.labels = config.labels;
  c.status.labels[std::string(runtime::kLabelAttempt)] = std::to_string(config.attempt);
  c.status.labels[std::string(runtime::kLabelContainerName)] = config.name;
  const std::string id = c.status.id;
  containers_[id] = std::move(c);
  Complete([done, id] { done(id); });
}

void FakeRuntime::StartContainer(const runtime::ContainerId& id, runtime::StatusCallback done) {
  calls_.push_back("StartContainer " + id);
  if (!available_) return Complete([done, st = Down("StartContainer")] { done(st); });
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: container " + id + " not found")); });
  }
  Ctr& c = it->second;
  c.status.state = ContainerState::kRunning;
  c.status.started_at = clock_.Now();
  Emit(runtime::ContainerEvent::Type::kStarted, c);
  auto b = behaviors_.find(c.status.image);
  if (b != behaviors_.end() && b->second.run_for >= Duration(0)) {
    const int32_t code = b->second.exit_code;
    c.exit_timer = clock_.After(b->second.run_for, [this, id, code] {
      auto it = containers_.find(id);
      if (it == containers_.end()) return;
      it->second.exit_timer = 0;
      Exit(it->second, code, code == 0 ? "Completed" : "Error");
    });
  }
  Complete([done] { done(Status::Ok()); });
}

void FakeRuntime::StopContainer(const runtime::ContainerId& id, Duration timeout,
                                runtime::StatusCallback done) {
  calls_.push_back("StopContainer " + id + " grace=" + FormatDuration(timeout));
  if (!available_) return Complete([done, st = Down("StopContainer")] { done(st); });
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: container " + id + " not found")); });
  }
  Exit(it->second, 137, "Error");
  Complete([done] { done(Status::Ok()); });
}

void FakeRuntime::RemoveContainer(const runtime::ContainerId& id, runtime::StatusCallback done) {
  calls_.push_back("RemoveContainer " + id);
  if (!available_) return Complete([done, st = Down("RemoveContainer")] { done(st); });
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: container " + id + " not found")); });
  }
  Exit(it->second, 137, "Error");
  Emit(runtime::ContainerEvent::Type::kRemoved, it->second);
  containers_.erase(it);
  Complete([done] { done(Status::Ok()); });
}

void FakeRuntime::ListContainers(const runtime::ContainerFilter& filter,
                                 runtime::Callback<std::vector<runtime::ContainerStatus>> done) {
  calls_.push_back("ListContainers");
  if (!available_) return Complete([done, st = Down("ListContainers")] { done(st); });
  std::vector<runtime::ContainerStatus> out;
  for (const auto& [id, c] : containers_) {
    if (filter.id && *filter.id != id) continue;
    if (filter.sandbox_id && *filter.sandbox_id != c.status.sandbox_id) continue;
    if (filter.state && *filter.state != c.status.state) continue;
    if (!Matches(filter.labels, c.status.labels)) continue;
    out.push_back(c.status);
  }
  Complete([done, out] { done(out); });
}

void FakeRuntime::GetContainerStatus(const runtime::ContainerId& id,
                                     runtime::Callback<runtime::ContainerStatus> done) {
  if (!available_) return Complete([done, st = Down("GetContainerStatus")] { done(st); });
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: container " + id + " not found")); });
  }
  Complete([done, s = it->second.status] { done(s); });
}

std::unique_ptr<runtime::LogStream> FakeRuntime::ContainerLogs(const runtime::ContainerId&,
                                                               const runtime::LogOptions&,
                                                               runtime::LogSink,
                                                               runtime::StatusCallback done) {
  Complete([done] { done(NotSupported("fake runtime: no logs")); });
  return nullptr;
}

void FakeRuntime::Exec(const runtime::ContainerId&, const std::vector<std::string>&, Duration,
                       runtime::Callback<runtime::ExecResult> done) {
  Complete([done] { done(NotSupported("fake runtime: no exec")); });
}

void FakeRuntime::Probe(const runtime::ContainerId& id, const runtime::ProbeSpec& probe,
                        runtime::Callback<runtime::ProbeResult> done) {
  ++probes_run_;
  if (!available_) return Complete([done, st = Down("Probe")] { done(st); });
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return Complete([done, id] { done(NotFound("fake runtime: container " + id + " not found")); });
  }
  std::string key = probe.type == runtime::ProbeSpec::Type::kExec
                        ? (probe.command.empty() ? "" : probe.command.front())
                        : probe.path;
  if (probe.type == runtime::ProbeSpec::Type::kTcpSocket) key = ":" + std::to_string(probe.port);
  auto r = probe_results_.find(it->second.status.name + "|" + key);
  runtime::ProbeResult result;
  result.success = r == probe_results_.end() || r->second;
  if (!result.success) result.message = "probe " + key + " failed";
  Complete([done, result] { done(result); });
}

void FakeRuntime::PullImage(const std::string& image, runtime::Callback<std::string> done) {
  calls_.push_back("PullImage " + image);
  if (!available_) return Complete([done, st = Down("PullImage")] { done(st); });
  if (!registry_images_.count(image) && !local_images_.count(image)) {
    return Complete([done, image] {
      done(NotFound("fake runtime: pull access denied for \"" + image +
                    "\": repository does not exist"));
    });
  }
  local_images_.insert(image);
  Complete([done, image] { done("sha256:" + image); });
}

}  // namespace navarch::kubelet::testing
