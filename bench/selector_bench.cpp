// Label selector costs: parsing the text form, and Matches() on the hot path
// (every pod against every replication controller and service).
//
//   selector_bench [--benchmark_filter=Match]

#include <cstdlib>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/api/labels.h"

namespace navarch::api {
namespace {

// A typical pod: five labels.
Labels PodLabels() {
  return {{"app", "web"},
          {"env", "prod"},
          {"pod-template-hash", "7c9f8d6b5"},
          {"tier", "frontend"},
          {"track", "stable"}};
}

LabelSelector MustParse(std::string_view text) {
  auto s = LabelSelector::Parse(text);
  if (!s.ok()) std::abort();
  return *s;
}

void BM_ParseEquality(benchmark::State& state) {
  for (auto _ : state) {
    auto s = LabelSelector::Parse("app=web,tier=frontend");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ParseEquality);

void BM_ParseMixed(benchmark::State& state) {
  for (auto _ : state) {
    auto s =
        LabelSelector::Parse("app=web,tier!=db,env in (prod,qa),env notin (dev),!canary,track");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ParseMixed);

void BM_ParseError(benchmark::State& state) {
  for (auto _ : state) {
    auto s = LabelSelector::Parse("app=web,env in (prod");
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_ParseError);

void BM_ToString(benchmark::State& state) {
  LabelSelector s = MustParse("app=web,tier!=db,env in (prod,qa),env notin (dev),!canary,track");
  for (auto _ : state)
    benchmark::DoNotOptimize(s.ToString());
}
BENCHMARK(BM_ToString);

// Three requirements against a five-label pod.
void MatchBench(benchmark::State& state, const char* selector, bool want) {
  LabelSelector s = MustParse(selector);
  const Labels pod = PodLabels();
  if (s.Matches(pod) != want) std::abort();
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Matches(pod));
  }
}
BENCHMARK_CAPTURE(MatchBench, Equality3Hit, "app=web,env=prod,tier=frontend", true);
BENCHMARK_CAPTURE(MatchBench, Equality3MissFirst, "app=db,env=prod,tier=frontend", false);
BENCHMARK_CAPTURE(MatchBench, Equality3MissLast, "app=web,env=prod,tier=backend", false);
BENCHMARK_CAPTURE(MatchBench, SetBased3Hit, "env in (prod,qa),!canary,track", true);
BENCHMARK_CAPTURE(MatchBench, SetBased3Miss, "env notin (prod,qa),!canary,track", false);

// The replication manager's v1 map selector (two equalities).
void BM_MatchFromMap(benchmark::State& state) {
  LabelSelector s = LabelSelector::FromMap({{"app", "web"}, {"tier", "frontend"}});
  const Labels pod = PodLabels();
  for (auto _ : state)
    benchmark::DoNotOptimize(s.Matches(pod));
}
BENCHMARK(BM_MatchFromMap);

// One selector against many pods with varied labels, as when a controller
// counts its pods: throughput in pods per second.
void BM_MatchManyPods(benchmark::State& state) {
  LabelSelector s = MustParse("app=web,env in (prod,qa),!canary");
  std::vector<Labels> pods;
  const char* apps[] = {"web", "db", "cache", "api"};
  const char* envs[] = {"prod", "qa", "dev"};
  for (int i = 0; i < 1024; ++i) {
    Labels l = PodLabels();
    l["app"] = apps[i % 4];
    l["env"] = envs[(i / 4) % 3];
    if (i % 5 == 0) l["canary"] = "true";
    pods.push_back(std::move(l));
  }
  for (auto _ : state) {
    int matched = 0;
    for (const auto& p : pods)
      matched += s.Matches(p);
    benchmark::DoNotOptimize(matched);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pods.size()));
}
BENCHMARK(BM_MatchManyPods);

}  // namespace
}  // namespace navarch::api

BENCHMARK_MAIN();
