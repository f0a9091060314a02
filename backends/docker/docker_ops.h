#pragma once
// Ops: the Docker backend's operations as coroutines on the DockerClient's I/O
// thread (internal to backends/docker; DockerRuntime posts their results to
// the kubelet's loop). Each one maps the seam's request onto Docker Engine API
// calls and the daemon's answers onto the seam's error codes:
//   404 → kNotFound, 400 → kInvalidArgument, 409 → kConflict,
//   anything else → kInternal, unreachable daemon → kUnavailable;
// messages name the pod ("default/web-1") or container and carry the
// daemon's own message.

#include <functional>
#include <string>
#include <vector>

#include "backends/docker/docker_client.h"
#include "backends/docker/docker_runtime.h"
#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"

namespace navarch::docker {

class Ops {
 public:
  Ops(DockerClient& client, const DockerOptions& options, runtime::Clock& clock)
      : client_(client), options_(options), clock_(clock) {}

  asio::awaitable<Result<std::string>> Version();

  asio::awaitable<Result<runtime::RunPodSandboxResult>> RunSandbox(runtime::PodSandboxConfig cfg);
  asio::awaitable<Status> StopSandbox(runtime::SandboxId id, Duration grace);
  asio::awaitable<Status> RemoveSandbox(runtime::SandboxId id);
  asio::awaitable<Result<std::vector<runtime::PodSandboxStatus>>> ListSandboxes(
      runtime::SandboxFilter filter);
  asio::awaitable<Result<std::vector<runtime::PortMapping>>> PublishedPorts(runtime::SandboxId id);

  asio::awaitable<Result<runtime::ContainerId>> CreateContainer(runtime::SandboxId sandbox,
                                                                runtime::ContainerConfig cfg);
  asio::awaitable<Status> StartContainer(runtime::ContainerId id);
  asio::awaitable<Status> StopContainer(runtime::ContainerId id, Duration timeout);
  asio::awaitable<Status> RemoveContainer(runtime::ContainerId id);
  asio::awaitable<Result<std::vector<runtime::ContainerStatus>>> ListContainers(
      runtime::ContainerFilter filter);
  asio::awaitable<Result<runtime::ContainerStatus>> InspectContainer(runtime::ContainerId id);

  // Streams the demultiplexed log bytes to `deliver` (called on the I/O thread).
  asio::awaitable<Status> Logs(runtime::ContainerId id, runtime::LogOptions options,
                               std::function<void(std::string)> deliver, StreamCancel cancel);
  // kUnavailable "... timed out" when the command outlives `timeout`.
  asio::awaitable<Result<runtime::ExecResult>> Exec(runtime::ContainerId id,
                                                    std::vector<std::string> command,
                                                    Duration timeout);
  asio::awaitable<Result<runtime::ProbeResult>> Probe(runtime::ContainerId id,
                                                      runtime::ProbeSpec spec);
  // The local image's id, or kNotFound saying how to provide it.
  asio::awaitable<Result<std::string>> ImageId(std::string image);

  // Follows dockerd's container events until `cancel`, reconnecting every
  // second while the daemon is unreachable; `deliver` runs on the I/O thread.
  asio::awaitable<Status> Events(std::function<void(runtime::ContainerEvent)> deliver,
                                 StreamCancel cancel);

 private:
  DockerClient& client_;
  const DockerOptions& options_;
  runtime::Clock& clock_;
};

}  // namespace navarch::docker
