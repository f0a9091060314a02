#include "core/runtime/manual_clock.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace navarch::runtime {
namespace {

// A TimerId packs the slot index (plus one, so that no id is 0) in the low 32
// bits and the slot's generation in the high 32 bits: an id names one use of
// one slot, so a stale id never cancels the slot's next occupant.
TimerId MakeId(uint32_t index, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << 32) | (static_cast<uint64_t>(index) + 1);
}
uint32_t IndexOf(TimerId id) {
  return static_cast<uint32_t>((id & 0xffffffffu) - 1);
}

}  // namespace

ManualClock::ManualClock(Time start) : now_(start) {}

void ManualClock::Post(std::function<void()> fn) {
  At(now_, std::move(fn));
}

TimerId ManualClock::At(Time when, std::function<void()> fn) {
  assert(fn && "ManualClock::At with an empty callback");
  if (when < now_) when = now_;
  uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    assert(slots_.size() < 0xffffffffu);
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.id = MakeId(index, slot.generation);
  slot.fn = std::move(fn);
  heap_.push_back(Entry{when, next_seq_++, slot.id});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  ++live_;
  return slot.id;
}

bool ManualClock::Cancel(TimerId id) {
  if (id == 0) return false;
  uint32_t index = IndexOf(id);
  if (index >= slots_.size() || slots_[index].id != id) return false;
  FreeSlot(index);
  --live_;
  DropDeadTop();
  return true;
}

void ManualClock::FreeSlot(uint32_t index) {
  Slot& slot = slots_[index];
  slot.id = 0;
  slot.fn = nullptr;
  ++slot.generation;
  free_slots_.push_back(index);
}

bool ManualClock::IsLive(const Entry& e) const {
  return slots_[IndexOf(e.id)].id == e.id;
}

void ManualClock::DropDeadTop() {
  while (!heap_.empty() && !IsLive(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
  // Entries of cancelled timers linger in the heap until they reach the top;
  // when they make up most of it, sweep them all at once (amortised O(1)).
  if (heap_.size() > 64 && heap_.size() > 2 * live_) Compact();
}

void ManualClock::Compact() {
  heap_.erase(
      std::remove_if(heap_.begin(), heap_.end(), [this](const Entry& e) { return !IsLive(e); }),
      heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

void ManualClock::RunTop() {
  std::pop_heap(heap_.begin(), heap_.end(), Later{});
  Entry e = heap_.back();
  heap_.pop_back();
  uint32_t index = IndexOf(e.id);
  std::function<void()> fn = std::move(slots_[index].fn);
  // Free before running: the timer has fired, so Cancel(id) from inside the
  // callback returns false, and the callback may reuse the slot.
  FreeSlot(index);
  --live_;
  DropDeadTop();
  now_ = e.when;
  ++executed_;
  fn();
}

size_t ManualClock::RunUntilIdle() {
  return AdvanceTo(now_);
}

size_t ManualClock::AdvanceTo(Time target) {
  assert(!running_ && "ManualClock run function called from inside a callback");
  assert(target >= now_ && "ManualClock::AdvanceTo would move time backwards");
  if (target < now_) target = now_;
  struct RunningGuard {
    bool& flag;
    explicit RunningGuard(bool& f) : flag(f) { flag = true; }
    ~RunningGuard() { flag = false; }
  } guard(running_);
  size_t ran = 0;
  while (!heap_.empty() && heap_.front().when <= target) {
    RunTop();
    ++ran;
  }
  now_ = target;
  return ran;
}

bool ManualClock::RunNext() {
  std::optional<Time> next = NextTime();
  if (!next) return false;
  AdvanceTo(*next);
  return true;
}

std::optional<Time> ManualClock::NextTime() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().when;
}

}  // namespace navarch::runtime
