// The min-cost-flow batch strategy: one round over a batch of pending pods.
//
//   BM_FlowRound/<nodes>/<pods>/<classes>      one FlowDecider round (warm: the
//                                              Decider's class caches persist
//                                              across rounds, as in the scheduler)
//   BM_FlowRoundCold/<nodes>/<pods>/<classes>  the same with a new Decider per
//                                              round (every class scored afresh)
//   BM_GreedyBatch/<nodes>/<pods>/<classes>    the same batch placed one pod at a
//                                              time by the greedy Decider
//
//   flow_bench [--benchmark_filter=FlowRound/12500/10000]
//
// Cluster: nodes of 4/16Gi, 8/32Gi, 16/64Gi, 32/128Gi (110 pods) in 3 zones.
// Pods: 250m / 512Mi, spread evenly over <classes> replication controllers.
// Between iterations (outside the timing) the placed pods are removed again.
// The target for the flow round is <= 100 ms at 12,500 nodes x 10,000 pods.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/api/well_known.h"
#include "core/scheduler/decider.h"
#include "core/scheduler/flow_decider.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/node_table.h"

namespace navarch::scheduler {
namespace {

api::Node BenchNode(int i) {
  static const char* kCpu[] = {"4", "8", "16", "32"};
  static const char* kMem[] = {"16Gi", "32Gi", "64Gi", "128Gi"};
  api::Node n;
  n.metadata.name = "node-" + std::to_string(1000000 + i);
  n.metadata.labels["topology.kubernetes.io/zone"] = "zone-" + std::to_string(i % 3);
  n.status.allocatable["cpu"] = api::Quantity::MustParse(kCpu[(i * 7) % 4]);
  n.status.allocatable["memory"] = api::Quantity::MustParse(kMem[(i * 7) % 4]);
  n.status.allocatable["pods"] = api::Quantity::FromValue(api::kDefaultMaxPods);
  api::NodeCondition ready;
  ready.type = "Ready";
  ready.status = "True";
  n.status.conditions.push_back(ready);
  return n;
}

api::Pod BenchPod(int i, int classes) {
  api::Pod p;
  p.metadata.name = "pod-" + std::to_string(i);
  p.metadata.namespace_ = "default";
  const std::string rc = "rc-" + std::to_string(i % classes);
  p.metadata.labels["app"] = rc;
  api::OwnerReference ref;
  ref.kind = "ReplicationController";
  ref.name = rc;
  ref.controller = true;
  p.metadata.owner_references.push_back(ref);
  api::Container c;
  c.name = "app";
  c.resources.requests["cpu"] = api::Quantity::MustParse("250m");
  c.resources.requests["memory"] = api::Quantity::MustParse("512Mi");
  p.spec.Mutable().containers.push_back(c);
  return p;
}

struct Fixture {
  NodeTable table;
  std::vector<PodInfo> pods;
  std::vector<FlowPod> batch;
  Fixture(int nodes, int pods_count, int classes) {
    for (int i = 0; i < nodes; ++i)
      table.UpsertNode(BenchNode(i));
    table.EnsureRanks();
    pods.reserve(static_cast<size_t>(pods_count));
    for (int i = 0; i < pods_count; ++i) {
      pods.push_back(CompilePod(BenchPod(i, classes)));
      table.Intern(pods.back());
    }
    for (const auto& p : pods)
      batch.push_back({&p, Duration{0}});
  }
  void Undo() {
    for (const auto& p : pods)
      table.RemovePod(p.key);
  }
};

std::unique_ptr<Decider> NewDecider(const ProfileSpec& spec) {
  return std::make_unique<Decider>(std::move(*BuildProfile(spec)));
}

void Report(benchmark::State& state, const FlowDecider& flow) {
  const FlowRoundStats& s = flow.last_round();
  state.counters["placed"] = s.placed;
  state.counters["greedy_fallback"] = s.placed_greedy;
  state.counters["arcs"] = static_cast<double>(s.graph_arcs);
  state.counters["solves"] = s.solves;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.pods));
}

void BM_FlowRound(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
            static_cast<int>(state.range(2)));
  auto decider = NewDecider(FlowProfile());
  FlowDecider flow(*decider);
  for (auto _ : state) {
    auto out = flow.DecideBatch(f.batch, f.table);
    benchmark::DoNotOptimize(out.data());
    state.PauseTiming();
    f.Undo();
    state.ResumeTiming();
  }
  Report(state, flow);
}
BENCHMARK(BM_FlowRound)
    ->Args({5'000, 1'000, 1})
    ->Args({12'500, 10'000, 1})
    ->Args({12'500, 10'000, 10})
    ->Args({100'000, 10'000, 10})
    ->Unit(benchmark::kMillisecond);

void BM_FlowRoundCold(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
            static_cast<int>(state.range(2)));
  std::unique_ptr<Decider> decider;
  std::unique_ptr<FlowDecider> flow;
  for (auto _ : state) {
    state.PauseTiming();
    flow.reset();
    decider = NewDecider(FlowProfile());
    flow = std::make_unique<FlowDecider>(*decider);
    state.ResumeTiming();
    auto out = flow->DecideBatch(f.batch, f.table);
    benchmark::DoNotOptimize(out.data());
    state.PauseTiming();
    f.Undo();
    state.ResumeTiming();
  }
  Report(state, *flow);
}
BENCHMARK(BM_FlowRoundCold)->Args({12'500, 10'000, 10})->Unit(benchmark::kMillisecond);

void BM_GreedyBatch(benchmark::State& state) {
  Fixture f(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)),
            static_cast<int>(state.range(2)));
  auto decider = NewDecider(SpreadProfile());
  for (auto _ : state) {
    for (const auto& p : f.pods) {
      Placement pl = decider->Decide(p, f.table);
      if (pl.node) f.table.AddPod(p, f.table.node(*pl.node).name, /*assumed=*/true);
    }
    state.PauseTiming();
    f.Undo();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(f.pods.size()));
}
BENCHMARK(BM_GreedyBatch)->Args({12'500, 10'000, 10})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace navarch::scheduler

BENCHMARK_MAIN();
