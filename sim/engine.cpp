#include "sim/engine.h"

namespace navarch::sim {

Engine::Engine(uint64_t seed, Time start) : clock_(start), root_(seed), start_(start) {}

uint64_t Engine::RunUntil(Time until) {
  if (until < clock_.Now()) until = clock_.Now();
  return clock_.AdvanceTo(until);
}

Engine::RunResult Engine::RunUntilIdle(Time deadline, const std::function<bool()>& idle) {
  RunResult result;
  const uint64_t before = clock_.Executed();
  const auto finish = [&](StopReason reason) {
    result.reason = reason;
    result.stopped_at = clock_.Now();
    result.events = clock_.Executed() - before;
    return result;
  };
  // Whatever is due now runs first, so the predicate sees a settled instant.
  clock_.RunUntilIdle();
  while (true) {
    if (idle && idle()) return finish(StopReason::kIdle);
    const std::optional<Time> next = clock_.NextTime();
    if (!next) return finish(StopReason::kDrained);
    if (*next > deadline) {
      if (deadline > clock_.Now()) clock_.AdvanceTo(deadline);
      return finish(StopReason::kDeadline);
    }
    clock_.RunNext();
  }
}

std::string_view StopReasonName(Engine::StopReason reason) {
  switch (reason) {
    case Engine::StopReason::kIdle:
      return "idle";
    case Engine::StopReason::kDrained:
      return "drained";
    case Engine::StopReason::kDeadline:
      return "deadline";
  }
  return "unknown";
}

}  // namespace navarch::sim
