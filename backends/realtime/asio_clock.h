#pragma once
// AsioClock: the Clock seam in real time, over a Boost.Asio io_context.
//
// Time. Now() is wall-clock time as a navarch Time, but it never goes
// backwards: it is the system time read once at construction plus the
// steady (monotonic) time elapsed since then. A step of the system clock
// after construction therefore does not move Now().
//
// Scheduling. Post/At/Cancel may be called from any thread, including from
// callbacks. Callbacks run on the loop thread, one at a time, never inline in
// the call that scheduled them, in (due time, sequence number) order: two
// callbacks due at the same instant run in the order they were scheduled, and
// a Post() made after an At(t) for a time already reached runs after it.
// A callback whose time has passed runs as soon as the loop is free.
//
// Running. Either Run() the loop on the calling thread until Stop() is called
// (from any thread, including a callback), or Start() a loop thread that
// Stop() ends and joins. After Stop() the loop may be run again; callbacks
// still scheduled stay scheduled. Callbacks still scheduled when the clock is
// destroyed are dropped without running.
//
// Cancel(id) returns true only if the callback had not started; a callback is
// never run after Cancel() returned true.
//
// The io_context is exposed so that asynchronous I/O (sockets, timers) can
// share the loop thread with the callbacks.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/runtime/clock.h"

namespace navarch::realtime {

class AsioClock final : public runtime::Clock {
 public:
  AsioClock();
  AsioClock(const AsioClock&) = delete;
  AsioClock& operator=(const AsioClock&) = delete;
  // Stops and joins a started loop thread; drops scheduled callbacks.
  ~AsioClock() override;

  Time Now() const override;
  void Post(std::function<void()> fn) override;
  runtime::TimerId At(Time when, std::function<void()> fn) override;
  bool Cancel(runtime::TimerId id) override;

  // Runs the loop on the calling thread until Stop(). Must not be called
  // while the loop runs elsewhere (asserted).
  void Run();
  // Runs the loop on a new thread owned by the clock. No-op if already started.
  void Start();
  // Ends Run() or the started thread after the callback in progress (if
  // any) returns. Joins the started thread unless called on it. Idempotent.
  void Stop();

  // True when called from the thread currently running the loop.
  bool OnLoopThread() const;
  // Callbacks scheduled and not yet started or cancelled.
  size_t Pending() const;

  boost::asio::io_context& io_context() { return io_; }

 private:
  struct Key {
    Time when;
    uint64_t seq;
    bool operator<(const Key& o) const { return when != o.when ? when < o.when : seq < o.seq; }
  };
  struct Entry {
    runtime::TimerId id;
    std::function<void()> fn;
  };

  // Re-arms the single steady timer for the earliest entry. Caller holds mu_.
  void ArmLocked();
  void RunLoop();
  // Runs every entry due now, one at a time, then re-arms.
  void Dispatch();
  std::chrono::steady_clock::time_point ToSteady(Time t) const;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer timer_;

  const std::chrono::system_clock::time_point base_system_;
  const std::chrono::steady_clock::time_point base_steady_;

  mutable std::mutex mu_;
  uint64_t next_seq_ = 0;
  runtime::TimerId next_id_ = 1;
  std::map<Key, Entry> queue_;             // guarded by mu_
  std::map<runtime::TimerId, Key> by_id_;  // guarded by mu_
  bool armed_ = false;                     // a dispatch is pending on io_; guarded by mu_
  Time armed_for_;                         // guarded by mu_
  std::thread::id loop_thread_;            // guarded by mu_
  std::thread thread_;
  std::mutex run_mu_;  // serialises Start()/Stop()
};

}  // namespace navarch::realtime
