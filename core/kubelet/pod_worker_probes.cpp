// PodWorker: liveness, readiness and startup probes.
//
// Each probe of a running container has one timer. The first run is at
// startedAt + initialDelaySeconds (for liveness and readiness: after the
// startup probe succeeded, if there is one), then every periodSeconds on a
// fixed schedule; a run still in flight when the next is due is skipped.
// successThreshold consecutive successes make the result true,
// failureThreshold consecutive failures make it false:
//   * readiness gates the container's `ready`;
//   * liveness and startup failures kill the container (stopped with the
//     probe's terminationGracePeriodSeconds, else the pod's), which then
//     restarts per restartPolicy (a restart like any other, with back-off);
//   * startup success sets `started` and starts the other probes.
// A runtime that cannot probe (kNotSupported) makes every probe succeed; a
// probe that could not be run (kUnavailable, ...) does not count.

#include <algorithm>
#include <utility>

#include "core/kubelet/pod_worker.h"

namespace navarch::kubelet {

void PodWorker::StartProbes(Ctr& c) {
  if (!c.probes) {
    c.started = true;
    c.ready = true;
    return;
  }
  for (ProbeKind kind : {ProbeKind::kLiveness, ProbeKind::kReadiness, ProbeKind::kStartup}) {
    if (ProbeRunner* r = c.probes->Get(kind)) {
      r->successes = r->failures = 0;
      r->result = false;
      r->in_flight = false;
    }
  }
  if (c.probes->startup) {
    c.started = false;
    c.ready = false;
    ArmProbe(c, ProbeKind::kStartup);
    return;
  }
  c.started = true;
  c.ready = !c.probes->readiness;
  if (c.probes->liveness) ArmProbe(c, ProbeKind::kLiveness);
  if (c.probes->readiness) ArmProbe(c, ProbeKind::kReadiness);
}

void PodWorker::StopProbes(Ctr& c) {
  if (!c.probes) return;
  for (ProbeKind kind : {ProbeKind::kLiveness, ProbeKind::kReadiness, ProbeKind::kStartup}) {
    if (ProbeRunner* r = c.probes->Get(kind)) {
      if (r->timer != 0) env_.clock->Cancel(r->timer);
      r->timer = 0;
      r->in_flight = false;
    }
  }
}

void PodWorker::ArmProbe(Ctr& c, ProbeKind kind) {
  ProbeRunner* r = c.probes->Get(kind);
  // The first run counts from the container's start (or from now, for
  // probes that begin once the startup probe succeeded).
  const Time base = kind == ProbeKind::kStartup || !c.probes->startup ? c.started_at : Now();
  r->next_at = base + seconds(r->probe.initial_delay_seconds);
  if (r->next_at < Now()) r->next_at = Now();
  const size_t slot = SlotOf(c);
  runtime::ContainerId id = c.id;
  r->timer = env_.clock->At(r->next_at, [weak = Weak(), slot, kind, id] {
    if (auto self = weak.lock()) self->RunProbe(slot, kind, id);
  });
}

void PodWorker::RunProbe(size_t slot, ProbeKind kind, runtime::ContainerId id) {
  Ctr& c = AtSlot(slot);
  ProbeRunner* r = c.probes ? c.probes->Get(kind) : nullptr;
  if (!r || c.state != CState::kRunning || c.id != id || c.stopping) return;
  // Schedule the next run first: a fixed period, whatever this one takes.
  r->next_at += seconds(r->probe.period_seconds);
  r->timer = env_.clock->At(r->next_at, [weak = Weak(), slot, kind, id] {
    if (auto self = weak.lock()) self->RunProbe(slot, kind, id);
  });
  if (r->in_flight) return;
  if (!r->spec) {
    runtime::ProbeResult failed;
    failed.success = false;
    failed.message = r->spec_error;
    OnProbeResult(c, kind, failed);
    return;
  }
  r->in_flight = true;
  const uint64_t token = c.token;
  env_.runtime->Probe(id, *r->spec,
                      [weak = Weak(), slot, kind, token](Result<runtime::ProbeResult> result) {
                        auto self = weak.lock();
                        if (!self) return;
                        Ctr& c = self->AtSlot(slot);
                        if (token != c.token || c.state != CState::kRunning) return;
                        if (ProbeRunner* r = c.probes->Get(kind)) r->in_flight = false;
                        self->OnProbeResult(c, kind, result);
                      });
}

void PodWorker::OnProbeResult(Ctr& c, ProbeKind kind, const Result<runtime::ProbeResult>& res) {
  ProbeRunner* r = c.probes->Get(kind);
  if (!r || c.stopping) return;
  bool success;
  if (res.ok()) {
    success = res->success;
  } else if (res.code() == Code::kNotSupported) {
    success = true;
  } else {
    return;  // could not be run: no verdict
  }
  if (success) {
    r->failures = 0;
    if (++r->successes >= r->probe.success_threshold) r->result = true;
  } else {
    r->successes = 0;
    if (++r->failures >= r->probe.failure_threshold) r->result = false;
    static constexpr std::string_view kNames[] = {"Liveness", "Readiness", "Startup"};
    const std::string_view name = kind == ProbeKind::kLiveness    ? kNames[0]
                                  : kind == ProbeKind::kReadiness ? kNames[1]
                                                                  : kNames[2];
    Event(c, api::kEventWarning, "Unhealthy",
          std::string(name) + " probe failed: " + (res.ok() ? res->message : std::string()));
  }
  switch (kind) {
    case ProbeKind::kReadiness:
      if (c.ready != r->result) {
        c.ready = r->result;
        Dirty();
      }
      return;
    case ProbeKind::kStartup:
      if (r->result) {
        if (r->timer != 0) env_.clock->Cancel(r->timer);
        r->timer = 0;
        c.started = true;
        c.ready = !c.probes->readiness;
        if (c.probes->liveness) ArmProbe(c, ProbeKind::kLiveness);
        if (c.probes->readiness) ArmProbe(c, ProbeKind::kReadiness);
        Dirty();
        return;
      }
      break;
    case ProbeKind::kLiveness:
      break;
  }
  if (!success && r->failures >= r->probe.failure_threshold) {
    const int64_t grace = r->probe.termination_grace_period_seconds.value_or(
        pod_->spec->termination_grace_period_seconds.value_or(30));
    c.waiting_reason.clear();
    Kill(c, seconds(std::max<int64_t>(grace, 0)),
         "Container " + c.name + " failed " +
             (kind == ProbeKind::kLiveness ? "liveness" : "startup") + " probe, will be restarted");
    Dirty();
  }
}

}  // namespace navarch::kubelet
