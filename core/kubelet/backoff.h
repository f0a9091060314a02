#pragma once
// Backoff: the state of one exponential back-off (crash loops, runtime and
// Api retries). A plain value; it reads no clock — callers pass the times.

#include <algorithm>

#include "core/base/time.h"
#include "core/kubelet/options.h"

namespace navarch::kubelet {

class Backoff {
 public:
  Backoff() = default;
  explicit Backoff(BackoffPolicy policy) : policy_(policy) {}

  // The delay before the next attempt after one more failure: `initial` the
  // first time, then twice the previous delay, at most `max`.
  Duration Next() {
    current_ = current_.count() == 0 ? policy_.initial : std::min(current_ * 2, policy_.max);
    return current_;
  }
  // Back to the start: the next failure waits `initial` again.
  void Reset() { current_ = Duration(0); }
  // For crash loops: resets when the run that just ended lasted at least
  // `reset_after`, then returns Next().
  Duration NextAfterRun(Duration ran) {
    if (ran >= policy_.reset_after) Reset();
    return Next();
  }
  // The last delay handed out (0 after Reset or before any failure).
  Duration current() const { return current_; }

 private:
  BackoffPolicy policy_;
  Duration current_{0};
};

}  // namespace navarch::kubelet
