#pragma once
// DockerRuntime: the ContainerRuntime seam (core/runtime/container_runtime.h)
// over a Docker Engine (API v1.41) on this host.
//
//   auto rt = DockerRuntime::Connect(clock, DockerOptions{});   // checks dockerd
//   Kubelet kubelet(api, clock, **rt, options);
//
// Pod model. A pod is one *sandbox* container (options.sandbox_image, by
// default navarch/pause:1 built by scripts/build-images) that owns the pod's
// network namespace, hostname and published ports; every app container joins
// it with NetworkMode "container:<sandbox id>", so the containers of a pod
// share localhost and one IP (the sandbox's address on the Docker bridge,
// reported as the pod IP). With host_network the sandbox and the containers
// use the host's network and the pod IP is options.host_ip.
//
// Ports. Each PortMapping of the sandbox config is published on the host:
// bound to host_ip, or options.publish_ip (127.0.0.1) when empty, at
// host_port, or at a free port the daemon picks when host_port is 0.
// PublishedPorts() returns the bindings actually made. A host port already
// taken is kInvalidArgument.
//
// Containers. command/args/env/working_dir → Entrypoint/Cmd/Env/WorkingDir;
// cpu_limit_millis → NanoCpus; memory_limit_bytes → Memory; Docker's restart
// policy is "no" (restarts are the kubelet's). Docker names are
// "navarch_<pod>_<namespace>_<container>_<uid prefix>_<attempt>" (sandboxes:
// "navarch_POD_<pod>_<namespace>_<uid prefix>_<attempt>") for people
// reading `docker ps`; identity always comes from the labels.
//
// Labels. Every sandbox and container carries the seam's well-known labels
// plus io.navarch.kind ("sandbox" | "container"), and containers carry
// io.navarch.sandbox.id and io.navarch.container.attempt; sandboxes carry
// io.navarch.sandbox.attempt and the pod's own labels. List* calls find
// objects by these labels only, so a new DockerRuntime (a restarted kubelet)
// sees exactly what an old one created.
//
// Images. No registry is assumed reachable: PullImage succeeds with the
// image's id when the image is present locally and otherwise fails with
// kNotFound naming the image and how to provide it (scripts/build-images,
// docker load); CreateContainer refuses a missing image with
// kInvalidArgument.
//
// Events. A Docker /events stream (containers labelled io.navarch.kind=
// container) is followed on the I/O thread and turned into ContainerEvents
// (start → kStarted, die → kExited with the exit code and reason from an
// inspect, destroy → kRemoved), delivered on the loop in daemon order. It
// reconnects every second while dockerd is unreachable. StopContainer also
// delivers the stopped container's kExited before its own completion, so the
// event never trails the completion (the daemon's later "die" is then a
// repeat the kubelet ignores).
//
// Probes. httpGet and tcpSocket connect to the published host port on
// options.publish_ip when the probed container port is published, otherwise
// to the pod IP (the Docker bridge is reachable from the host); a 2xx/3xx
// answer within the timeout succeeds. exec probes use Exec (Docker's exec
// API: create, start attached, inspect the exit code); a command that
// outlives the timeout fails the probe.
//
// Logs. json-file logs of the container, demultiplexed; tail, follow and
// timestamps as in LogOptions.
//
// Threading. All methods are called on the Clock's loop; requests run on the
// client's I/O thread and completions are posted back to the loop. The
// destructor stops the I/O thread first, then drops every completion not yet
// run (the seam's lifetime rule).

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"

namespace navarch::docker {

class DockerClient;
class Ops;
class StreamCancel;

struct DockerOptions {
  // The daemon's unix socket.
  std::string socket = "/var/run/docker.sock";
  // The image of every pod sandbox: must be present locally and sleep until
  // SIGTERM, then exit promptly.
  std::string sandbox_image = "navarch/pause:1";
  // The address published ports bind to when a mapping names none.
  std::string publish_ip = "127.0.0.1";
  // The pod IP of host-network pods (the node's address).
  std::string host_ip = "127.0.0.1";
  // Timeout of one ordinary request to dockerd (stop and exec add their own
  // timeouts on top).
  Duration request_timeout = seconds(30);
  // Extra labels stamped on every sandbox and container; listings (and so a
  // kubelet's adoption at start) see only sandboxes and containers that
  // carry them. `navarch run` stamps its run id, so two runs of one scenario
  // on one dockerd (the same node names) never touch each other's
  // containers; tests use it to find and clean up what they created.
  runtime::RuntimeLabels extra_labels;
};

// Labels of the Docker backend on top of the seam's well-known ones.
inline constexpr std::string_view kLabelKind = "io.navarch.kind";  // "sandbox" | "container"
inline constexpr std::string_view kLabelSandboxId = "io.navarch.sandbox.id";
inline constexpr std::string_view kLabelSandboxAttempt = "io.navarch.sandbox.attempt";

class DockerRuntime final : public runtime::ContainerRuntime {
 public:
  // Validates the options and asks dockerd for its version (for Describe()).
  // kInvalidArgument naming a bad option; kUnavailable "cannot reach dockerd
  // at <socket>: ...; is dockerd running?" when the daemon does not answer.
  static Result<std::unique_ptr<DockerRuntime>> Connect(runtime::Clock& clock,
                                                        DockerOptions options);
  // Like Connect but never contacts dockerd now: every operation reports
  // kUnavailable until it is reachable (a kubelet started before its daemon
  // retries). kInvalidArgument for bad options.
  static Result<std::unique_ptr<DockerRuntime>> Create(runtime::Clock& clock,
                                                       DockerOptions options);

  ~DockerRuntime() override;
  DockerRuntime(const DockerRuntime&) = delete;
  DockerRuntime& operator=(const DockerRuntime&) = delete;

  const DockerOptions& options() const { return options_; }

  std::string Describe() const override;
  void SetEventHandler(runtime::ContainerEventHandler handler) override;

  void RunPodSandbox(const runtime::PodSandboxConfig& config,
                     runtime::Callback<runtime::RunPodSandboxResult> done) override;
  void StopPodSandbox(const runtime::SandboxId& id, Duration grace_period,
                      runtime::StatusCallback done) override;
  void RemovePodSandbox(const runtime::SandboxId& id, runtime::StatusCallback done) override;
  void ListPodSandboxes(const runtime::SandboxFilter& filter,
                        runtime::Callback<std::vector<runtime::PodSandboxStatus>> done) override;

  void CreateContainer(const runtime::SandboxId& sandbox, const runtime::ContainerConfig& config,
                       runtime::Callback<runtime::ContainerId> done) override;
  void StartContainer(const runtime::ContainerId& id, runtime::StatusCallback done) override;
  void StopContainer(const runtime::ContainerId& id, Duration timeout,
                     runtime::StatusCallback done) override;
  void RemoveContainer(const runtime::ContainerId& id, runtime::StatusCallback done) override;
  void ListContainers(const runtime::ContainerFilter& filter,
                      runtime::Callback<std::vector<runtime::ContainerStatus>> done) override;
  void GetContainerStatus(const runtime::ContainerId& id,
                          runtime::Callback<runtime::ContainerStatus> done) override;

  std::unique_ptr<runtime::LogStream> ContainerLogs(const runtime::ContainerId& id,
                                                    const runtime::LogOptions& options,
                                                    runtime::LogSink sink,
                                                    runtime::StatusCallback done) override;

  void Exec(const runtime::ContainerId& id, const std::vector<std::string>& command,
            Duration timeout, runtime::Callback<runtime::ExecResult> done) override;
  void Probe(const runtime::ContainerId& id, const runtime::ProbeSpec& probe,
             runtime::Callback<runtime::ProbeResult> done) override;
  void PullImage(const std::string& image, runtime::Callback<std::string> done) override;

  // The host bindings of a sandbox's published ports (host_port filled in
  // for mappings the daemon allocated), sorted by container port.
  void PublishedPorts(const runtime::SandboxId& id,
                      runtime::Callback<std::vector<runtime::PortMapping>> done);

 private:
  DockerRuntime(runtime::Clock& clock, DockerOptions options);
  void StartEvents();

  // Runs `coro` on the I/O thread and posts `done(result)` to the loop,
  // unless the runtime is destroyed first.
  template <class T, class Coro>
  void Run(Coro coro, std::function<void(T)> done);

  runtime::Clock& clock_;
  const DockerOptions options_;
  mutable std::mutex mu_;  // guards version_ (learnt on the I/O thread)
  std::string version_ = "unknown version";
  // Shared with posted completions: false once destruction began (loop thread only).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<runtime::ContainerEventHandler> handler_ =
      std::make_shared<runtime::ContainerEventHandler>();
  std::unique_ptr<StreamCancel> events_cancel_;
  std::unique_ptr<DockerClient> client_;
  std::unique_ptr<Ops> ops_;
};

}  // namespace navarch::docker
