#pragma once
// Probe helpers: Kubernetes' defaults for unset probe fields and the
// translation of a v1 Probe into the runtime's ProbeSpec.

#include <string>

#include "core/api/types.h"
#include "core/base/status.h"
#include "core/runtime/container_runtime.h"

namespace navarch::kubelet {

// `probe` with unset (zero) fields given Kubernetes' defaults: timeout 1 s,
// period 10 s, success threshold 1, failure threshold 3 (initial delay 0).
api::Probe WithProbeDefaults(const api::Probe& probe);

// The runtime form of `probe` (defaults applied), with a named port
// resolved against `container`'s ports. kInvalidArgument naming the
// container and the port when the name is not one of its ports, or when the
// probe has no handler (exec, httpGet or tcpSocket).
Result<runtime::ProbeSpec> ResolveProbe(const api::Probe& probe, const api::Container& container);

}  // namespace navarch::kubelet
