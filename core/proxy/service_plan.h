#pragma once
// The proxy's decisions, as pure functions: which listeners a Service needs
// and which backends each one forwards to, from the Service, its Endpoints
// and the pods the endpoints point at. No I/O, no clock: the ServiceProxy
// calls these on its loop and hands the result to the TcpForwarder.
//
// Listeners. Every TCP port of a Service gets a listener on the proxy's bind
// address at `port`; a port with a nodePort (Service type NodePort or
// LoadBalancer, or any port with nodePort set) gets a second one at
// `nodePort` when node ports are enabled. Skipped, with the reason recorded:
//   * UDP and SCTP ports: the proxy forwards TCP only;
//   * a port outside 1-65535;
//   * headless Services (clusterIP "None") and ExternalName Services, which
//     have no virtual address to proxy.
//
// Backends. The ready addresses of the Endpoints (notReadyAddresses are never
// used) for the subset port whose name equals the Service port's name,
// sorted by (host, port) so round-robin order does not depend on the order of
// the Endpoints object.
//
// Endpoint -> dial address. A pod IP is not always reachable from the
// proxy's host: a container runtime that publishes pod ports on the host
// (the Docker runtime binds them on 127.0.0.1) records where. For an endpoint
// address whose targetRef is a pod known to the caller, the first of these
// that applies is dialled:
//   1. the pod's annotation navarch.io/published-ports, a comma-separated
//      list of "<containerPort>/<protocol>=<hostIP>:<hostPort>" entries
//      (e.g. "8080/TCP=127.0.0.1:32768") written by the kubelet for runtimes
//      that allocate host ports; hostIP 0.0.0.0 or "" means the pod's
//      status.hostIP (127.0.0.1 when that is empty too);
//   2. the pod spec's hostPort for that container port: hostIP if it is a
//      specific address, else status.hostIP, else 127.0.0.1;
//   3. the endpoint's own ip and port (pod networking).
// A malformed annotation entry is ignored (the other rules apply) and
// reported by ParsePublishedPorts.
//
// ClientIP session affinity: spec.sessionAffinity "ClientIP". The timeout is
// the annotation navarch.io/session-affinity-timeout-seconds on the Service
// when present and valid (1-86400, as Kubernetes' sessionAffinityConfig
// clientIP.timeoutSeconds), else PlanOptions.default_affinity_timeout
// (10800 s, Kubernetes' default).
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/types.h"
#include "core/base/status.h"
#include "core/base/time.h"
#include "core/proxy/forwarder.h"
#include "core/runtime/container_runtime.h"

namespace navarch::proxy {

inline constexpr std::string_view kPublishedPortsAnnotation = runtime::kPublishedPortsAnnotation;
inline constexpr std::string_view kAffinityTimeoutAnnotation =
    "navarch.io/session-affinity-timeout-seconds";

struct PlanOptions {
  bool node_ports = true;
  Duration default_affinity_timeout = seconds(10800);
};

struct ListenerSpec {
  // Identifies the listener: "<ns>/<name>:<port>" or "<ns>/<name>:nodePort:<port>".
  std::string id;
  std::string service;    // "<ns>/<name>"
  std::string port_name;  // the Service port's name ("" for a single unnamed port)
  int32_t port = 0;       // where to listen
  bool node_port = false;
  BackendSet backends;
  bool operator==(const ListenerSpec&) const = default;
};

// A Service port the proxy does not serve, and why.
struct SkippedPort {
  std::string service;
  std::string port_name;
  int32_t port = 0;
  std::string reason;
  bool operator==(const SkippedPort&) const = default;
};

struct ServicePlan {
  std::vector<ListenerSpec> listeners;  // sorted by id
  std::vector<SkippedPort> skipped;
};

// Finds a pod by namespace and name; null when unknown.
using PodLookup = std::function<const api::Pod*(std::string_view ns, std::string_view name)>;

// `endpoints` may be null (no Endpoints object yet: listeners without
// backends). `pods` may be empty (rule 3 only).
ServicePlan PlanService(const api::Service& service, const api::Endpoints* endpoints,
                        const PodLookup& pods, const PlanOptions& options);

// The dial address of one endpoint (rules 1-3 above). `pod` may be null.
Backend ResolveBackend(const api::EndpointAddress& address, const api::EndpointPort& port,
                       const api::Pod* pod);

// Parses a navarch.io/published-ports value into "<port>/<PROTOCOL>" ->
// {host, port}. kInvalidArgument naming the first bad entry and the expected
// form.
struct HostPort {
  std::string host;
  int32_t port = 0;
  bool operator==(const HostPort&) const = default;
};
Result<std::map<std::string, HostPort>> ParsePublishedPorts(std::string_view value);

// Renders the annotation value for `ports` (the inverse of ParsePublishedPorts).
std::string FormatPublishedPorts(const std::map<std::string, HostPort>& ports);

}  // namespace navarch::proxy
