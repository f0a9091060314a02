#include "core/kubelet/probes.h"

namespace navarch::kubelet {
namespace {

Result<int32_t> ResolvePort(const api::IntOrString& port, const api::Container& container) {
  if (port.is_int()) return port.int_val;
  for (const auto& p : container.ports) {
    if (p.name == port.str_val) return p.container_port;
  }
  return InvalidArgument("container \"" + container.name + "\": probe port \"" + port.str_val +
                         "\" is not the name of one of its ports; name a port in "
                         "spec.containers[].ports or give a number");
}

}  // namespace

api::Probe WithProbeDefaults(const api::Probe& probe) {
  api::Probe p = probe;
  if (p.timeout_seconds <= 0) p.timeout_seconds = 1;
  if (p.period_seconds <= 0) p.period_seconds = 10;
  if (p.success_threshold <= 0) p.success_threshold = 1;
  if (p.failure_threshold <= 0) p.failure_threshold = 3;
  if (p.initial_delay_seconds < 0) p.initial_delay_seconds = 0;
  return p;
}

Result<runtime::ProbeSpec> ResolveProbe(const api::Probe& in, const api::Container& container) {
  const api::Probe probe = WithProbeDefaults(in);
  runtime::ProbeSpec spec;
  spec.timeout = seconds(probe.timeout_seconds);
  if (probe.exec) {
    spec.type = runtime::ProbeSpec::Type::kExec;
    spec.command = probe.exec->command;
  } else if (probe.http_get) {
    spec.type = runtime::ProbeSpec::Type::kHttpGet;
    spec.path = probe.http_get->path.empty() ? "/" : probe.http_get->path;
    NAVARCH_ASSIGN_OR_RETURN(spec.port, ResolvePort(probe.http_get->port, container));
  } else if (probe.tcp_socket) {
    spec.type = runtime::ProbeSpec::Type::kTcpSocket;
    NAVARCH_ASSIGN_OR_RETURN(spec.port, ResolvePort(probe.tcp_socket->port, container));
  } else {
    return InvalidArgument("container \"" + container.name +
                           "\": probe has no handler; set exec, httpGet or tcpSocket");
  }
  return spec;
}

}  // namespace navarch::kubelet
