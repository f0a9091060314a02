#pragma once
// Checking a scenario's expectations against what Metrics observed.
//
// Each expectation is judged at one instant `now` (its `by`, or the end of
// the run):
//   runningReplicas         pods matching the selector (and namespace) that
//                           are Running, Ready and not being deleted, now:
//                           within [at_least, at_most]
//   noPodPendingLongerThan  no matching pod was Pending (created, not yet
//                           running or finished) for longer than the
//                           threshold at any time up to now; a pod deleted
//                           while pending counts until its deletion
//   schedulingLatency       the nearest-rank percentile of created -> bound
//                           over matching pods created up to now is at most
//                           the threshold; a pod still unbound counts with
//                           its wait so far
//   allSucceeded            every matching pod that still exists has
//                           Succeeded, and there is at least one
//   readyNodes              registered nodes with Ready=True: within the bounds
//   restarts                the container restarts of matching pods (deleted
//                           ones included), summed: within the bounds
// The message gives the observed value; a failure also names the worst pod
// where there is one.

#include <string>

#include "core/base/time.h"
#include "sim/metrics.h"
#include "sim/report.h"
#include "sim/scenario.h"

namespace navarch::sim {

// "runningReplicas app=web >= 3 by 2m".
std::string DescribeExpectation(const Expectation& e);

// `now` is the time since the start of the run.
ExpectationResult EvaluateExpectation(const Expectation& e, const Metrics& metrics, Duration now);

}  // namespace navarch::sim
