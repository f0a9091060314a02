// The scheduler's decision core, driven directly (no Api, no clock):
//
//   BM_Filter/<nodes>          every default filter over every node, one pod (no caches)
//   BM_Score/<nodes>           every default score over every node, one pod (no caches)
//   BM_Decide/<nodes>          a full decision + assumption per pod, all nodes scored,
//                              pods of one replication controller (pods/s)
//   BM_DecideSampled/<nodes>   the same with adaptive node sampling
//                              (percentage_of_nodes_to_score = 0)
//   BM_DecideExplained/<nodes> the same as BM_Decide, building the explanation
//   BM_DecideDistinct/<nodes>  every pod of a different class (worst case for the caches)
//   BM_BareGreedy/<nodes>      a hand-written greedy loop (fit + least allocated) as
//                              the floor the framework is measured against
//   BM_QueuePushPop/<pods>     SchedulingQueue Add then Pop of N pods
//   BM_FilterPlugin/<i>        one filter plugin (profile order) over 5,000 nodes
//   BM_ScorePlugin/<i>         one score plugin (profile order) over 5,000 nodes
//   BM_NodeSelectorMatch/<n>   the NodeSelector filter, a 3-label selector against
//                              nodes with 8 labels, half of them matching
//   BM_ScoreAll/<nodes>        Decider::ScoreAll (the flow strategy's per-class pass)
//                              after one assumption (cached class)
//   BM_AssumeForget/<nodes>    NodeTable AddPod + RemovePod of one pod
//   BM_QueueUnschedulableMove/<pods>  N pods made unschedulable, then all moved
//                              back by MoveUnschedulable and popped
//
//   scheduler_bench [--benchmark_filter=Decide] [--benchmark_min_time=1]
//
// Cluster: nodes of 32 cpu / 128Gi / 110 pods in 3 zones; pods request
// 100m / 256Mi. When the cluster fills up it is rebuilt outside the timing.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/api/well_known.h"
#include "core/runtime/manual_clock.h"
#include "core/scheduler/decider.h"
#include "core/scheduler/framework.h"
#include "core/scheduler/node_table.h"
#include "core/scheduler/plugins.h"
#include "core/scheduler/queue.h"

namespace navarch::scheduler {
namespace {

api::Node BenchNode(int i) {
  api::Node n;
  n.metadata.name = "node-" + std::to_string(100000 + i);
  n.metadata.labels["topology.kubernetes.io/zone"] = "zone-" + std::to_string(i % 3);
  n.metadata.labels["kubernetes.io/hostname"] = n.metadata.name;
  n.status.allocatable["cpu"] = api::Quantity::MustParse("32");
  n.status.allocatable["memory"] = api::Quantity::MustParse("128Gi");
  n.status.allocatable["pods"] = api::Quantity::FromValue(api::kDefaultMaxPods);
  api::NodeCondition ready;
  ready.type = "Ready";
  ready.status = "True";
  n.status.conditions.push_back(ready);
  return n;
}

std::unique_ptr<NodeTable> BuildTable(int nodes) {
  auto t = std::make_unique<NodeTable>();
  for (int i = 0; i < nodes; ++i)
    t->UpsertNode(BenchNode(i));
  t->EnsureRanks();
  return t;
}

api::Pod BenchPod(const std::string& cpu = "100m", const std::string& owner = "web") {
  api::Pod p;
  p.metadata.name = "pod";
  p.metadata.namespace_ = "default";
  p.metadata.labels["app"] = owner;
  api::OwnerReference ref;
  ref.kind = "ReplicationController";
  ref.name = owner;
  ref.controller = true;
  p.metadata.owner_references.push_back(ref);
  api::Container c;
  c.name = "app";
  c.resources.requests["cpu"] = api::Quantity::MustParse(cpu);
  c.resources.requests["memory"] = api::Quantity::MustParse("256Mi");
  p.spec.Mutable().containers.push_back(c);
  return p;
}

std::unique_ptr<Decider> NewDecider(DeciderOptions options = {}) {
  return std::make_unique<Decider>(std::move(*BuildProfile(SpreadProfile())), options);
}

std::vector<uint32_t> AllNodes(const NodeTable& t) {
  std::vector<uint32_t> v(t.size());
  for (uint32_t i = 0; i < t.size(); ++i)
    v[i] = i;
  return v;
}

void BM_Filter(benchmark::State& state) {
  auto table = BuildTable(static_cast<int>(state.range(0)));
  Profile profile = std::move(*BuildProfile(SpreadProfile()));
  ReasonTable reasons;
  PodInfo pod = CompilePod(BenchPod());
  table->Intern(pod);
  std::vector<uint32_t> nodes = AllNodes(*table);
  std::vector<uint16_t> codes(nodes.size());
  for (auto _ : state) {
    std::fill(codes.begin(), codes.end(), 0);
    for (const auto& f : profile.filters)
      f->Filter(pod, *table, nodes, codes, reasons);
    benchmark::DoNotOptimize(codes.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(nodes.size()));
  state.counters["nodes"] = static_cast<double>(nodes.size());
}
BENCHMARK(BM_Filter)->Arg(500)->Arg(5'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_Score(benchmark::State& state) {
  auto table = BuildTable(static_cast<int>(state.range(0)));
  Profile profile = std::move(*BuildProfile(SpreadProfile()));
  PodInfo pod = CompilePod(BenchPod());
  table->Intern(pod);
  std::vector<uint32_t> nodes = AllNodes(*table);
  std::vector<int32_t> out(nodes.size());
  for (auto _ : state) {
    for (const auto& s : profile.scores)
      s.plugin->Score(pod, *table, nodes, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(nodes.size()));
}
BENCHMARK(BM_Score)->Arg(500)->Arg(5'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

// Decide + assume, rebuilding the cluster (untimed) when it is full.
void RunDecide(benchmark::State& state, DeciderOptions options, bool explain, bool distinct) {
  const int n = static_cast<int>(state.range(0));
  auto table = BuildTable(n);
  auto decider = NewDecider(options);
  std::vector<PodInfo> templates;
  const int kinds = distinct ? 4096 : 1;
  for (int k = 0; k < kinds; ++k) {
    PodInfo info = CompilePod(BenchPod(std::to_string(100 + k) + "m"));
    table->Intern(info);
    templates.push_back(std::move(info));
  }
  Explanation e;
  uint64_t counter = 0;
  int64_t placed = 0;
  for (auto _ : state) {
    PodInfo& pod = templates[counter % templates.size()];
    pod.key = "default/p-" + std::to_string(counter++);
    Placement p = decider->Decide(pod, *table, explain ? &e : nullptr);
    if (!p.node) {
      state.PauseTiming();
      table = BuildTable(n);
      decider = NewDecider(options);
      for (auto& t : templates)
        table->Intern(t);
      state.ResumeTiming();
      continue;
    }
    table->AddPod(pod, table->node(*p.node).name, /*assumed=*/true);
    ++placed;
  }
  state.SetItemsProcessed(placed);
  state.counters["refreshed/pod"] =
      benchmark::Counter(static_cast<double>(decider->stats().nodes_refreshed) /
                         static_cast<double>(std::max<uint64_t>(decider->stats().decisions, 1)));
}

void BM_Decide(benchmark::State& state) {
  RunDecide(state, {}, false, false);
}
BENCHMARK(BM_Decide)->Arg(500)->Arg(5'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_DecideSampled(benchmark::State& state) {
  RunDecide(state, {.percentage_of_nodes_to_score = 0}, false, false);
}
BENCHMARK(BM_DecideSampled)->Arg(5'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_DecideExplained(benchmark::State& state) {
  RunDecide(state, {}, true, false);
}
BENCHMARK(BM_DecideExplained)->Arg(5'000)->Unit(benchmark::kMicrosecond);

void BM_DecideDistinct(benchmark::State& state) {
  RunDecide(state, {}, false, true);
}
BENCHMARK(BM_DecideDistinct)->Arg(500)->Arg(5'000)->Unit(benchmark::kMicrosecond);

// The floor: the same cluster as plain arrays, fit + least-allocated score,
// highest score wins (first index on ties), then the pod is subtracted.
void BM_BareGreedy(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const int64_t cpu = 100, mem = 256LL << 20;
  std::vector<int64_t> free_cpu, free_mem, free_pods;
  const int64_t alloc_cpu = 32'000, alloc_mem = 128LL << 30;
  auto reset = [&] {
    free_cpu.assign(n, alloc_cpu);
    free_mem.assign(n, alloc_mem);
    free_pods.assign(n, 110);
  };
  reset();
  int64_t placed = 0;
  for (auto _ : state) {
    int64_t best = -1;
    size_t best_i = 0;
    for (size_t i = 0; i < n; ++i) {
      if (free_pods[i] < 1 || free_cpu[i] < cpu || free_mem[i] < mem) continue;
      const int64_t score =
          ((free_cpu[i] - cpu) * 100 / alloc_cpu + (free_mem[i] - mem) * 100 / alloc_mem) / 2;
      if (score > best) {
        best = score;
        best_i = i;
      }
    }
    if (best < 0) {
      reset();
      continue;
    }
    free_cpu[best_i] -= cpu;
    free_mem[best_i] -= mem;
    free_pods[best_i] -= 1;
    ++placed;
  }
  state.SetItemsProcessed(placed);
}
BENCHMARK(BM_BareGreedy)->Arg(500)->Arg(5'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_QueuePushPop(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  runtime::ManualClock clock;
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i)
    keys.push_back("default/pod-" + std::to_string(i));
  for (auto _ : state) {
    SchedulingQueue q(clock);
    for (size_t i = 0; i < n; ++i)
      q.Add(keys[i], static_cast<int32_t>(i % 4));
    while (auto k = q.Pop()) {
      q.Done(*k);
      benchmark::DoNotOptimize(k->data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_QueuePushPop)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_FilterPlugin(benchmark::State& state) {
  auto table = BuildTable(5'000);
  Profile profile = std::move(*BuildProfile(SpreadProfile()));
  const auto i = static_cast<size_t>(state.range(0));
  ReasonTable reasons;
  PodInfo pod = CompilePod(BenchPod());
  table->Intern(pod);
  std::vector<uint32_t> nodes = AllNodes(*table);
  std::vector<uint16_t> codes(nodes.size());
  for (auto _ : state) {
    std::fill(codes.begin(), codes.end(), 0);
    profile.filters[i]->Filter(pod, *table, nodes, codes, reasons);
    benchmark::DoNotOptimize(codes.data());
  }
  state.SetLabel(std::string(profile.filters[i]->Name()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(nodes.size()));
}
BENCHMARK(BM_FilterPlugin)->DenseRange(0, 5)->Unit(benchmark::kMicrosecond);

void BM_ScorePlugin(benchmark::State& state) {
  auto table = BuildTable(5'000);
  Profile profile = std::move(*BuildProfile(SpreadProfile()));
  const auto i = static_cast<size_t>(state.range(0));
  PodInfo pod = CompilePod(BenchPod());
  table->Intern(pod);
  std::vector<uint32_t> nodes = AllNodes(*table);
  std::vector<int32_t> out(nodes.size());
  for (auto _ : state) {
    profile.scores[i].plugin->Score(pod, *table, nodes, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(std::string(profile.scores[i].plugin->Name()));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(nodes.size()));
}
BENCHMARK(BM_ScorePlugin)->DenseRange(0, 3)->Unit(benchmark::kMicrosecond);

void BM_NodeSelectorMatch(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  NodeTable table;
  for (int i = 0; i < n; ++i) {
    api::Node node = BenchNode(i);
    for (int l = 0; l < 5; ++l)
      node.metadata.labels["example.com/label-" + std::to_string(l)] = "v" + std::to_string(l);
    node.metadata.labels["disk"] = i % 2 == 0 ? "ssd" : "hdd";
    table.UpsertNode(node);
  }
  api::Pod p = BenchPod();
  p.spec.Mutable().node_selector["disk"] = "ssd";
  p.spec.Mutable().node_selector["example.com/label-1"] = "v1";
  p.spec.Mutable().node_selector["example.com/label-3"] = "v3";
  PodInfo pod = CompilePod(p);
  table.Intern(pod);
  auto filter = NewNodeSelectorFilter();
  ReasonTable reasons;
  std::vector<uint32_t> nodes = AllNodes(table);
  std::vector<uint16_t> codes(nodes.size());
  for (auto _ : state) {
    std::fill(codes.begin(), codes.end(), 0);
    filter->Filter(pod, table, nodes, codes, reasons);
    benchmark::DoNotOptimize(codes.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(nodes.size()));
}
BENCHMARK(BM_NodeSelectorMatch)->Arg(5'000)->Unit(benchmark::kMicrosecond);

void BM_ScoreAll(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto table = BuildTable(n);
  auto decider = NewDecider();
  PodInfo pod = CompilePod(BenchPod());
  table->Intern(pod);
  std::vector<int32_t> totals;
  decider->ScoreAll(pod, *table, totals);
  uint64_t counter = 0;
  for (auto _ : state) {
    pod.key = "default/s-" + std::to_string(counter++ % 64);
    table->AddPod(pod, table->node(static_cast<uint32_t>(counter % n)).name, true);
    decider->ScoreAll(pod, *table, totals);
    benchmark::DoNotOptimize(totals.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_ScoreAll)->Arg(5'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

void BM_AssumeForget(benchmark::State& state) {
  auto table = BuildTable(static_cast<int>(state.range(0)));
  PodInfo pod = CompilePod(BenchPod());
  table->Intern(pod);
  pod.key = "default/assumed";
  const std::string node = table->node(table->size() / 2).name;
  for (auto _ : state) {
    table->AddPod(pod, node, /*assumed=*/true);
    table->RemovePod(pod.key);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AssumeForget)->Arg(5'000);

void BM_QueueUnschedulableMove(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  runtime::ManualClock clock;
  std::vector<std::string> keys;
  for (size_t i = 0; i < n; ++i)
    keys.push_back("default/pod-" + std::to_string(i));
  for (auto _ : state) {
    SchedulingQueue q(clock, {.initial_backoff = Duration{0}, .max_backoff = Duration{0}});
    for (const auto& k : keys)
      q.Add(k, 0);
    while (auto k = q.Pop())
      q.AddUnschedulable(*k);
    q.MoveUnschedulable([](const std::string& k) { return k.back() != '7'; });
    while (auto k = q.Pop())
      q.Done(*k);
    benchmark::DoNotOptimize(q.UnschedulableSize());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(n));
}
BENCHMARK(BM_QueueUnschedulableMove)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace navarch::scheduler

BENCHMARK_MAIN();
