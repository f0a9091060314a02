// ManualClock costs in the simulator's hot loop: scheduling and running
// timers, and the cancel-and-reschedule pattern of heartbeat timeouts.
//
//   clock_bench [--benchmark_filter=Cancel]

#include <cstdint>
#include <functional>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/runtime/manual_clock.h"
#include "core/runtime/rng.h"

namespace navarch::runtime {
namespace {

// Schedule N timers at random offsets, then run them all: per-timer cost.
void BM_ScheduleAndRun(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  ManualClock clock;
  Rng rng(1);
  std::vector<Duration> offsets(n);
  for (auto& d : offsets)
    d = milliseconds(static_cast<int64_t>(rng.Uniform(60'000)));
  uint64_t sink = 0;
  for (auto _ : state) {
    for (Duration d : offsets)
      clock.After(d, [&sink] { ++sink; });
    clock.Advance(seconds(60));
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_ScheduleAndRun)->Arg(1'000)->Arg(100'000);

// Post-and-drain at one instant (work handed along a chain of handlers).
void BM_PostChain(benchmark::State& state) {
  ManualClock clock;
  for (auto _ : state) {
    int left = 1'000;
    std::function<void()> step = [&] {
      if (--left > 0) clock.Post(step);
    };
    clock.Post(step);
    clock.RunUntilIdle();
  }
  state.SetItemsProcessed(state.iterations() * 1'000);
}
BENCHMARK(BM_PostChain);

// N nodes, each with a timeout that is cancelled and re-armed on every
// heartbeat; only the heartbeats fire.
void BM_HeartbeatTimeouts(benchmark::State& state) {
  const auto nodes = static_cast<size_t>(state.range(0));
  ManualClock clock;
  std::vector<TimerId> timeouts(nodes);
  uint64_t expired = 0;
  for (size_t i = 0; i < nodes; ++i) {
    timeouts[i] = clock.After(seconds(40), [&expired] { ++expired; });
  }
  std::vector<std::function<void()>> beats(nodes);
  for (size_t i = 0; i < nodes; ++i) {
    beats[i] = [&, i] {
      clock.Cancel(timeouts[i]);
      timeouts[i] = clock.After(seconds(40), [&expired] { ++expired; });
      clock.After(seconds(10), beats[i]);
    };
    clock.After(milliseconds(static_cast<int64_t>(i % 10'000)), beats[i]);
  }
  for (auto _ : state)
    clock.Advance(seconds(10));  // one heartbeat per node
  if (expired != 0) state.SkipWithError("a timeout expired");
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(nodes));
}
BENCHMARK(BM_HeartbeatTimeouts)->Arg(1'000)->Arg(10'000);

}  // namespace
}  // namespace navarch::runtime

BENCHMARK_MAIN();
