#pragma once
// Engine: the discrete-event simulation loop. It owns the virtual clock (a
// ManualClock: one event queue ordered by (time, sequence number)) and the
// scenario's root Rng, and runs the queue until a time or until the simulated
// world is idle. Nothing on the simulated path reads a wall clock.
//
// Random streams. Components never share a generator: each takes
// Stream("name") ("cloud", "runtime", "runtime/node-3", ...), a fork of the
// root seed by name, so adding a component or a draw in one never changes
// the samples of another.
//
// Idle. A simulated cluster never runs out of events: kubelet heartbeats and
// controller resyncs are periodic timers. "Idle" is therefore the runner's
// judgement, given as a predicate (e.g. "no pod pending or starting, no
// scheduled scenario event left"); RunUntilIdle() checks it after every
// instant and stops as soon as it holds. The predicate is called once per
// instant, so it should be cheap (counters, not a scan of the world).
//
// Threads: single-threaded; every call from the thread that drives it.

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/base/time.h"
#include "core/runtime/manual_clock.h"
#include "core/runtime/rng.h"

namespace navarch::sim {

class Engine {
 public:
  explicit Engine(uint64_t seed, Time start = runtime::ManualClock::kDefaultStart);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // The virtual clock every simulated component is built with.
  runtime::ManualClock& clock() { return clock_; }
  Time Now() const { return clock_.Now(); }
  // When the simulation started (time zero of the scenario).
  Time start() const { return start_; }
  // Now() - start().
  Duration Elapsed() const { return clock_.Now() - start_; }

  uint64_t seed() const { return root_.seed(); }
  // An independent random stream derived from the seed and `name`; the same
  // name always gives the same stream.
  runtime::Rng Stream(std::string_view name) const { return root_.Fork(name); }

  // Runs every event due up to `until` in (time, sequence) order; Now() ends
  // at `until` (a time in the past is treated as Now()). Returns the number
  // of events run.
  uint64_t RunUntil(Time until);
  uint64_t RunFor(Duration d) { return RunUntil(Now() + d); }

  enum class StopReason {
    kIdle,      // the idle predicate held
    kDrained,   // nothing is scheduled any more
    kDeadline,  // `deadline` was reached first
  };
  struct RunResult {
    StopReason reason = StopReason::kIdle;
    Time stopped_at;
    uint64_t events = 0;  // events run by this call
  };
  // Runs instant by instant until `idle()` holds (checked before the first
  // instant and after each one), the queue is empty, or the next event is
  // after `deadline` (then Now() == deadline). An empty `idle` never holds.
  RunResult RunUntilIdle(Time deadline, const std::function<bool()>& idle);

  // Events run since construction.
  uint64_t events_processed() const { return clock_.Executed(); }
  // Events scheduled and not yet run.
  size_t pending_events() const { return clock_.Pending(); }

 private:
  runtime::ManualClock clock_;
  runtime::Rng root_;
  Time start_;
};

std::string_view StopReasonName(Engine::StopReason reason);

}  // namespace navarch::sim
