#pragma once
// The Clock seam: the only source of "now" and the only way to run code
// later. Every control-plane component is an event-driven state machine that
// receives a Clock& and never reads a wall clock itself.
//
// Implementations:
//   * ManualClock (core/runtime/manual_clock.h): a deterministic single-thread
//     event loop for tests and for the discrete-event simulator; time only
//     moves when the owner advances it.
//   * A real-time clock over Boost.Asio (chosen in cmd/, outside core/).
//
// Execution model. A Clock is an event loop. Every callback handed to Post()
// or At() runs on the loop's thread, one at a time, never inline in the call
// that scheduled it. Callbacks therefore need no locks against each other.
//
// Ordering. Callbacks due at the same instant run in the order they were
// scheduled (a sequence number breaks ties), so a single-threaded run is fully
// deterministic. Post(fn) is At(Now(), fn).
//
// Thread safety. Now(), Post(), At() and Cancel() may be called from any
// thread (other threads use Post() to hand work to the loop). Implementations
// document whether they are single-threaded only (ManualClock is).

#include <cstdint>
#include <functional>

#include "core/base/time.h"

namespace navarch::runtime {

// Identifies a scheduled callback; 0 is never a valid id.
using TimerId = uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;

  // The current time. In a simulation, virtual time; monotonic non-decreasing.
  virtual Time Now() const = 0;

  // Runs `fn` on the loop as soon as possible, after callbacks already due.
  virtual void Post(std::function<void()> fn) = 0;

  // Runs `fn` on the loop at `when` (as soon as possible if `when` has
  // passed). Returns an id that Cancel() accepts.
  virtual TimerId At(Time when, std::function<void()> fn) = 0;

  // Cancels a scheduled callback. Returns false if it already ran, was
  // already cancelled, or the id is unknown. A callback is never run after
  // Cancel() returned true.
  virtual bool Cancel(TimerId id) = 0;

  // Convenience: At(Now() + delay, fn).
  TimerId After(Duration delay, std::function<void()> fn) {
    return At(Now() + delay, std::move(fn));
  }
};

}  // namespace navarch::runtime
