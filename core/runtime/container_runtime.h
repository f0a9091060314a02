#pragma once
// The ContainerRuntime seam: pod sandboxes and containers, the only way a
// kubelet touches the machine it manages.
//
// The shape is that of the Kubernetes Container Runtime Interface, reduced to
// what a kubelet needs: a pod is one *sandbox* (its network identity: one IP,
// port mappings, host network or not) holding *containers* that are created,
// started, stopped and removed individually, so that one container can be
// restarted without disturbing the others.
//
// Implementations:
//   * a simulated runtime (sim/): start latency, run time, crash and exit
//     models drawn from the scenario's seeded Rng, completing in virtual time;
//   * Docker Engine (backends/docker/): HTTP over /var/run/docker.sock, with a
//     paused "sandbox" container owning the network namespace;
//   * a fake for unit tests.
// The implementation is chosen once, in cmd/, from flags.
//
// Threading and callbacks. Every method is called on the loop of the Clock the
// runtime was built with (the kubelet's loop). Every operation is asynchronous:
// it takes a completion callback that is invoked exactly once, later, on that
// same loop via Clock::Post/At — never inline inside the call, even when the
// answer is known immediately (an unknown id, a capability not supported).
// This one rule lets a simulated runtime complete in virtual time and Docker
// complete on its own I/O thread, and lets callers mutate their own state in
// the callback without re-entrancy surprises.
//
// Lifetime. The runtime is owned by whoever built it (cmd/ or the simulator)
// and must outlive the kubelet that drives it. Once destruction begins no
// further callback is invoked; pending operations are abandoned (their
// effects on the machine may or may not have happened — a restarted kubelet
// finds out by listing).
//
// Adoption. A kubelet may restart while containers keep running. To let the
// new kubelet adopt them, the runtime stamps every sandbox and container with
// the well-known labels below (taken from the configs it was given) and
// returns them from the List* calls; the kubelet never needs memory of its own
// to find what it started.
//
// Errors (as the Status of a callback):
//   kNotFound        the sandbox or container id does not exist (any more)
//   kUnavailable     the runtime daemon cannot be reached; the message says
//                    where it was looked for and what to check ("is dockerd
//                    running? is /var/run/docker.sock readable?"); retry later
//   kInvalidArgument a config the runtime refuses: an image that is not present
//                    locally (call PullImage first), a port already mapped on
//                    the host, an empty name
//   kNotSupported    an optional capability (Exec, Probe, PullImage, follow
//                    logs) this runtime does not have
//   kCancelled       the runtime is shutting down
// Messages name the pod ("default/web-1") and container involved.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"

namespace navarch::runtime {

using SandboxId = std::string;
using ContainerId = std::string;
using RuntimeLabels = std::map<std::string, std::string>;

// Labels the runtime attaches to every sandbox and container it creates.
inline constexpr std::string_view kLabelPodUid = "io.navarch.pod.uid";
inline constexpr std::string_view kLabelPodNamespace = "io.navarch.pod.namespace";
inline constexpr std::string_view kLabelPodName = "io.navarch.pod.name";
inline constexpr std::string_view kLabelNodeName = "io.navarch.node.name";
inline constexpr std::string_view kLabelContainerName = "io.navarch.container.name";
// Decimal restart count of the container (0 for the first run).
inline constexpr std::string_view kLabelAttempt = "io.navarch.container.attempt";

template <class T>
using Callback = std::function<void(Result<T>)>;
using StatusCallback = std::function<void(Status)>;

// ---------------------------------------------------------------------------
// Sandboxes.

struct PortMapping {
  std::string protocol = "TCP";  // "TCP" | "UDP"
  int32_t container_port = 0;
  // 0 = no fixed host port: a runtime that publishes pod ports on its host
  // (Docker) picks a free one and reports it in RunPodSandboxResult; one that
  // does not (the simulated runtime) ignores the mapping.
  int32_t host_port = 0;
  std::string host_ip;  // "" = all addresses
  bool operator==(const PortMapping&) const = default;
};

struct PodSandboxConfig {
  std::string pod_uid;
  std::string pod_namespace;
  std::string pod_name;
  std::string node_name;
  std::string hostname;  // defaults to pod_name when empty
  uint32_t attempt = 0;  // incremented when a sandbox is recreated for the same pod
  RuntimeLabels labels;  // the pod's labels; the well-known labels are added on top
  bool host_network = false;
  std::vector<PortMapping> port_mappings;
  // The pod's spec.restartPolicy. Real runtimes ignore it; the simulated
  // one uses it to tell batch containers from long-running ones.
  std::string restart_policy;
};

struct RunPodSandboxResult {
  SandboxId id;
  std::string pod_ip;  // the node's IP with host_network
  // Where the pod's ports are reachable on the host, when the runtime
  // publishes them there (host_port set, also for allocated ones); sorted by
  // container port. Empty for runtimes that do not publish.
  std::vector<PortMapping> published_ports;
};

// The pod annotation in which the kubelet records `published_ports`, so that
// a service proxy on the host can reach the pod: a comma-separated list of
// "<containerPort>/<PROTOCOL>=<hostIP>:<hostPort>" (e.g. "8080/TCP=127.0.0.1:32768").
inline constexpr std::string_view kPublishedPortsAnnotation = "navarch.io/published-ports";

enum class SandboxState { kReady, kNotReady };

struct PodSandboxStatus {
  SandboxId id;
  std::string pod_uid;
  std::string pod_namespace;
  std::string pod_name;
  uint32_t attempt = 0;
  SandboxState state = SandboxState::kNotReady;
  std::string pod_ip;
  Time created_at;
  RuntimeLabels labels;  // includes the well-known labels
};

struct SandboxFilter {
  std::optional<SandboxId> id;
  std::optional<SandboxState> state;
  RuntimeLabels labels;  // every pair must be present (equality)
};

// ---------------------------------------------------------------------------
// Containers.

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

struct ContainerPortConfig {
  std::string name;
  int32_t container_port = 0;
  std::string protocol = "TCP";
  bool operator==(const ContainerPortConfig&) const = default;
};

struct ContainerConfig {
  std::string name;                  // the container's name within the pod spec
  std::string image;                 // "nginx:1.25"
  std::vector<std::string> command;  // entrypoint override; empty = image default
  std::vector<std::string> args;
  std::vector<EnvVar> env;
  std::vector<ContainerPortConfig> ports;
  std::string working_dir;
  int64_t cpu_limit_millis = 0;    // 0 = unlimited
  int64_t memory_limit_bytes = 0;  // 0 = unlimited
  uint32_t attempt = 0;            // restart count; stamped as kLabelAttempt
  RuntimeLabels labels;            // the well-known labels are added on top
};

enum class ContainerState { kCreated, kRunning, kExited, kUnknown };
constexpr std::string_view ContainerStateName(ContainerState state) {
  switch (state) {
    case ContainerState::kCreated:
      return "created";
    case ContainerState::kRunning:
      return "running";
    case ContainerState::kExited:
      return "exited";
    case ContainerState::kUnknown:
      break;
  }
  return "unknown";
}

struct ContainerStatus {
  ContainerId id;
  SandboxId sandbox_id;
  std::string name;  // == ContainerConfig::name
  std::string image;
  // Content address of the image actually run ("sha256:..."), if known.
  std::string image_ref;
  uint32_t attempt = 0;
  ContainerState state = ContainerState::kUnknown;
  Time created_at;
  Time started_at;        // zero until started
  Time finished_at;       // zero until exited
  int32_t exit_code = 0;  // meaningful when state == kExited
  // Machine-readable cause ("Completed", "Error", "OOMKilled",
  // "ContainerCannotRun") and a human message, as in v1 ContainerStateTerminated.
  std::string reason;
  std::string message;
  RuntimeLabels labels;  // includes the well-known labels
};

struct ContainerFilter {
  std::optional<ContainerId> id;
  std::optional<SandboxId> sandbox_id;
  std::optional<ContainerState> state;
  RuntimeLabels labels;  // every pair must be present (equality)
};

// Pushed by the runtime when a container changes state on its own (exits,
// is killed by the OOM killer) and also after Start/Stop, so that the kubelet
// reacts to a crash without polling. Delivered on the loop, in the order the
// runtime observed the changes.
struct ContainerEvent {
  enum class Type { kStarted, kExited, kRemoved };
  Type type = Type::kExited;
  ContainerId container_id;
  SandboxId sandbox_id;
  Time time;
  int32_t exit_code = 0;  // for kExited
  std::string reason;     // for kExited, as in ContainerStatus
  RuntimeLabels labels;   // the container's labels (pod uid, name, ...)
};
using ContainerEventHandler = std::function<void(const ContainerEvent&)>;

// ---------------------------------------------------------------------------
// Logs, exec and probes.

struct LogOptions {
  int64_t tail_lines = -1;  // -1 = everything kept; otherwise the last N lines
  bool follow = false;      // keep streaming until the container exits or Cancel()
  bool timestamps = false;  // prefix each line with its RFC 3339 time
};

// Receives log bytes, possibly in several chunks, on the loop.
using LogSink = std::function<void(std::string_view chunk)>;

// A running ContainerLogs request. Destroying it (or Cancel) stops delivery:
// after Cancel returns neither the sink nor the completion is called again.
class LogStream {
 public:
  virtual ~LogStream() = default;
  virtual void Cancel() = 0;
};

struct ExecResult {
  int32_t exit_code = 0;
  std::string output;  // stdout and stderr interleaved, possibly truncated
};

struct ProbeSpec {
  enum class Type { kExec, kHttpGet, kTcpSocket };
  Type type = Type::kExec;
  std::vector<std::string> command;  // kExec
  std::string path = "/";            // kHttpGet
  int32_t port = 0;                  // kHttpGet, kTcpSocket
  Duration timeout = seconds(1);
};

struct ProbeResult {
  bool success = false;
  std::string message;  // why it failed: exit code, HTTP status, refused, timeout
};

// ---------------------------------------------------------------------------

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  // "simulated(node-17)", "docker(unix:///var/run/docker.sock, 24.0.7)".
  virtual std::string Describe() const = 0;

  // Sets the one handler for container events (the kubelet's). Replaces any
  // previous handler; an empty function unsets it. Events that happen while
  // no handler is set are not queued — the List* calls remain the source of
  // truth, events are only a wake-up.
  virtual void SetEventHandler(ContainerEventHandler handler) = 0;

  // --- Sandboxes ---------------------------------------------------------

  // Creates the pod's network identity and returns its id and IP. With
  // host_network the pod shares the node's IP. kInvalidArgument if a host
  // port is already taken on this node.
  virtual void RunPodSandbox(const PodSandboxConfig& config,
                             Callback<RunPodSandboxResult> done) = 0;
  // Stops every container in the sandbox (killing them after
  // `grace_period`) and releases its IP; the sandbox becomes kNotReady but is
  // still listed. Stopping a stopped sandbox succeeds.
  virtual void StopPodSandbox(const SandboxId& id, Duration grace_period, StatusCallback done) = 0;
  // Removes a sandbox and all its containers (stopping them first if needed).
  // kNotFound if it does not exist.
  virtual void RemovePodSandbox(const SandboxId& id, StatusCallback done) = 0;
  // Sandboxes matching `filter`, sorted by id (deterministic).
  virtual void ListPodSandboxes(const SandboxFilter& filter,
                                Callback<std::vector<PodSandboxStatus>> done) = 0;

  // --- Containers --------------------------------------------------------

  // Creates (does not start) a container inside a ready sandbox.
  // kNotFound if the sandbox is gone; kInvalidArgument if the image is not
  // present locally (the message names it and says to pull it).
  virtual void CreateContainer(const SandboxId& sandbox, const ContainerConfig& config,
                               Callback<ContainerId> done) = 0;
  // Starts a created container. Completes once the process is running (the
  // runtime's start latency has elapsed); a process that fails to start
  // completes with ok and is reported as kExited with reason
  // "ContainerCannotRun" — only runtime failures are errors.
  virtual void StartContainer(const ContainerId& id, StatusCallback done) = 0;
  // Sends the stop signal, waits up to `timeout`, then kills. Completes when
  // the container has exited. Stopping an exited container succeeds.
  virtual void StopContainer(const ContainerId& id, Duration timeout, StatusCallback done) = 0;
  // Removes an exited or created container (a running one is killed first).
  virtual void RemoveContainer(const ContainerId& id, StatusCallback done) = 0;
  // Containers matching `filter`, sorted by id (deterministic).
  virtual void ListContainers(const ContainerFilter& filter,
                              Callback<std::vector<ContainerStatus>> done) = 0;
  virtual void GetContainerStatus(const ContainerId& id, Callback<ContainerStatus> done) = 0;

  // Streams the container's output to `sink`, then calls `done` once (ok at
  // the end of the log or when a followed container exits). Returns a handle
  // the caller owns; destroying it stops the stream. kNotSupported (through
  // `done`) when `follow` is asked of a runtime that cannot follow.
  virtual std::unique_ptr<LogStream> ContainerLogs(const ContainerId& id, const LogOptions& options,
                                                   LogSink sink, StatusCallback done) = 0;

  // --- Optional capabilities (kNotSupported through the callback) --------

  // Runs `command` inside a running container and returns its exit code.
  virtual void Exec(const ContainerId& id, const std::vector<std::string>& command,
                    Duration timeout, Callback<ExecResult> done) = 0;
  // Runs one liveness/readiness probe against a running container. A probe
  // that ran and failed is ok with success = false; errors are for probes
  // that could not be run at all.
  virtual void Probe(const ContainerId& id, const ProbeSpec& probe, Callback<ProbeResult> done) = 0;
  // Makes `image` present locally; returns its content address.
  virtual void PullImage(const std::string& image, Callback<std::string> done) = 0;
};

}  // namespace navarch::runtime
