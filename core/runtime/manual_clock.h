#pragma once
// ManualClock: a deterministic, single-threaded event loop whose time moves
// only when its owner says so. Tests drive it directly; the discrete-event
// simulator uses it as its virtual clock.
//
// Scheduled callbacks are ordered by (due time, sequence number): two
// callbacks due at the same instant run in the order they were scheduled.
// A callback scheduled for a time already past (At(t) with t < Now()) is due
// now; time never goes backwards.
//
// Running. Nothing runs until the owner calls one of
//   RunUntilIdle()  everything due at Now(), including what those callbacks
//                   schedule for Now();
//   AdvanceTo(t)    everything due up to t in order, with Now() set to each
//                   callback's due time while it runs, then Now() == t;
//   Advance(d)      AdvanceTo(Now() + d);
//   RunNext()       jump to the next instant with something due and run all
//                   that is due then.
// The run functions must not be called from inside a callback (asserted).
//
// Threads. Single-threaded only: every call, including Now(), Post(), At()
// and Cancel(), must come from the thread that drives the loop. (This is
// narrower than the Clock contract allows; handing work in from other
// threads needs a real-time clock.)
//
// Cost. Scheduling is O(log n); Cancel() is O(1) plus lazy removal, and
// cancelled entries are swept out once they outnumber the live ones.
// Callback storage is pooled and reused.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "core/runtime/clock.h"

namespace navarch::runtime {

class ManualClock final : public Clock {
 public:
  static constexpr Time kDefaultStart = Time::FromUnixSeconds(1'700'000'000);

  explicit ManualClock(Time start = kDefaultStart);
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;
  ~ManualClock() override = default;

  Time Now() const override { return now_; }
  void Post(std::function<void()> fn) override;
  TimerId At(Time when, std::function<void()> fn) override;
  bool Cancel(TimerId id) override;

  // Runs everything due at Now(). Returns the number of callbacks run.
  size_t RunUntilIdle();
  // Runs everything due up to `target` (see above) and leaves Now() ==
  // target. A target before Now() is a bug (asserted); it is treated as Now().
  size_t AdvanceTo(Time target);
  size_t Advance(Duration d) { return AdvanceTo(now_ + d); }
  // Jumps to NextTime() and runs everything due then. False if nothing is
  // scheduled.
  bool RunNext();

  // Scheduled callbacks not yet run or cancelled.
  size_t Pending() const { return live_; }
  // When the earliest scheduled callback is due; nullopt if none.
  std::optional<Time> NextTime() const;
  // Callbacks run since construction.
  uint64_t Executed() const { return executed_; }

 private:
  struct Entry {
    Time when;
    uint64_t seq;
    TimerId id;
  };
  // Heap order: the earliest (when, seq) on top.
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.when != b.when ? a.when > b.when : a.seq > b.seq;
    }
  };
  // A pooled callback. `id` is the id of the timer that owns the slot, or 0
  // while the slot is free.
  struct Slot {
    TimerId id = 0;
    uint32_t generation = 0;
    std::function<void()> fn;
  };

  bool IsLive(const Entry& e) const;
  // Keeps the invariant that the heap's top entry is live (or the heap is
  // empty), and sweeps cancelled entries when they dominate.
  void DropDeadTop();
  void Compact();
  void FreeSlot(uint32_t index);
  // Pops and runs the top entry; Now() becomes its due time.
  void RunTop();

  Time now_;
  uint64_t next_seq_ = 0;
  size_t live_ = 0;
  uint64_t executed_ = 0;
  bool running_ = false;
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
};

}  // namespace navarch::runtime
