// Store benchmarks: writes/s (create, update, concurrent creates), reads/s
// (get, list), watch fan-out (one write delivered to N watchers) and
// compaction (versions removed/s), for every backend.
//
//   store_bench [--backends=memory,memory_retain,sqlite,sqlite_normal] [--seed=N]
//               [--dir=PATH] [--smoke] [Google Benchmark flags, e.g. --benchmark_filter=create]
//
// Backends: "memory" (MemoryStore keeping all history), "memory_retain"
// (MemoryStore compacting itself to the last 10,000 revisions), "sqlite" (SqliteStore, sync=full:
// one fsync per commit) and "sqlite_normal" (sync=normal: no fsync per commit). SQLite databases
// are created in a fresh directory under --dir (default /tmp) and removed afterwards.

#include <stdlib.h>
#include <algorithm>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/store/memory_store.h"
#include "core/store/sqlite_store.h"
#include "core/store/store.h"

namespace navarch::store {
namespace {

struct Flags {
  std::vector<std::string> backends = {"memory", "memory_retain", "sqlite", "sqlite_normal"};
  uint64_t seed = 1;
  std::string dir = "/tmp";
  // --smoke: every size and fixed iteration count divided by 100, so a CTest
  // run only checks that each benchmark still works.
  bool smoke = false;
};
Flags* g_flags = nullptr;  // set once in main before any benchmark runs

std::string BenchDir() {
  std::string templ = g_flags->dir + "/navarch-store-bench-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    std::cerr << "store_bench: cannot create a directory under " << g_flags->dir << "\n";
    std::exit(1);
  }
  return templ;
}

// A store plus the directory that holds it.
class Backend {
 public:
  explicit Backend(const std::string& name) {
    if (name == "memory") {
      store_ = std::make_unique<MemoryStore>();
      return;
    }
    if (name == "memory_retain") {  // as a long simulation runs it
      store_ = std::make_unique<MemoryStore>(MemoryStoreOptions{.retain_revisions = 10'000});
      return;
    }
    dir_ = BenchDir();
    SqliteStoreOptions options;
    options.sync =
        name == "sqlite" ? SqliteStoreOptions::Sync::kFull : SqliteStoreOptions::Sync::kNormal;
    auto opened = SqliteStore::Open(dir_ + "/bench.db", options);
    if (!opened.ok()) {
      std::cerr << "store_bench: " << opened.status() << "\n";
      std::exit(1);
    }
    store_ = std::move(opened).value();
  }
  ~Backend() {
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  Store& store() { return *store_; }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
};

// A pod-sized value (a typical Pod in JSON is a few hundred bytes to 2 KB).
const std::string& Value() {
  static const std::string value(600, 'v');
  return value;
}

std::string PodKey(int64_t i) {
  return "/registry/pods/ns" + std::to_string(i % 100) + "/pod-" + std::to_string(i);
}

// Creates keys 0..n-1 from several threads, so that SQLite group-commits
// them instead of paying one commit per key.
void Populate(Store& store, int64_t n) {
  constexpr int kThreads = 16;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, n, t] {
      for (int64_t i = t; i < n; i += kThreads) {
        if (!store.Create(PodKey(i), Value()).ok()) std::abort();
      }
    });
  }
  for (auto& t : threads)
    t.join();
}

void BM_Create(benchmark::State& state, std::string backend) {
  Backend b(backend);
  int64_t i = 0;
  for (auto _ : state) {
    auto r = b.store().Create(PodKey(i++), Value());
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

// Steady state of a 100,000-pod cluster: each iteration creates one pod and
// deletes the oldest (two writes), so the store neither grows nor shrinks.
void BM_Churn(benchmark::State& state, std::string backend) {
  Backend b(backend);
  const int64_t kPods = g_flags->smoke ? 1'000 : 100'000;
  Populate(b.store(), kPods);
  int64_t i = kPods;
  for (auto _ : state) {
    auto c = b.store().Create(PodKey(i), Value());
    auto d = b.store().Delete(PodKey(i - kPods), 0);
    if (!c.ok() || !d.ok()) state.SkipWithError("churn write failed");
    ++i;
  }
  state.SetItemsProcessed(2 * state.iterations());
}

// Several threads creating at once: exercises SQLite group commit.
void BM_CreateConcurrent(benchmark::State& state, std::string backend) {
  static std::unique_ptr<Backend> shared;
  static std::atomic<int64_t> next{0};
  if (state.thread_index() == 0) {
    shared = std::make_unique<Backend>(backend);
    next = 0;
  }
  for (auto _ : state) {  // the loop starts with a barrier across threads
    auto r = shared->store().Create(PodKey(next++), Value());
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    if (auto* sqlite = dynamic_cast<SqliteStore*>(&shared->store())) {
      state.counters["writes_per_commit"] =
          static_cast<double>(next.load()) / static_cast<double>(sqlite->CommitCount());
    }
    shared.reset();
  }
}

void BM_Update(benchmark::State& state, std::string backend) {
  Backend b(backend);
  constexpr int64_t kKeys = 10'000;
  Populate(b.store(), kKeys);
  std::vector<Revision> mods(kKeys);
  for (int64_t k = 0; k < kKeys; ++k)
    mods[k] = b.store().Get(PodKey(k))->mod_revision;
  int64_t i = 0;
  for (auto _ : state) {
    int64_t k = i++ % kKeys;
    auto r = b.store().Update(PodKey(k), Value(), mods[k]);  // compare-and-swap
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    mods[k] = r->mod_revision;
  }
  state.SetItemsProcessed(state.iterations());
}

// Compaction of one interval's history: `range(0)` superseded versions
// (1,000 keys, each updated range(0)/1,000 times, from 16 threads so that
// SQLite group-commits them), then one Compact to the current revision —
// what the API server's compactor does every interval. Only the Compact is
// timed; items = versions removed.
void BM_Compact(benchmark::State& state, std::string backend) {
  Backend b(backend);
  constexpr int64_t kKeys = 1'000;
  const int64_t versions = state.range(0);
  Populate(b.store(), kKeys);
  int64_t removed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&b, versions, t] {
        for (int64_t i = t; i < versions; i += 16) {
          if (!b.store().Update(PodKey(i % kKeys), Value(), 0).ok()) std::abort();
        }
      });
    }
    for (auto& t : threads)
      t.join();
    const Revision target = b.store().CurrentRevision();
    state.ResumeTiming();
    auto r = b.store().Compact(target);
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    removed += r.value_or(0);
  }
  state.SetItemsProcessed(removed);
}

void BM_Get(benchmark::State& state, std::string backend) {
  Backend b(backend);
  const int64_t keys = state.range(0);
  Populate(b.store(), keys);
  std::mt19937_64 rng(g_flags->seed);
  std::vector<std::string> probe;
  for (int i = 0; i < 4096; ++i)
    probe.push_back(PodKey(static_cast<int64_t>(rng() % keys)));
  size_t i = 0;
  for (auto _ : state) {
    auto r = b.store().Get(probe[i++ & 4095]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// List one namespace (1% of the keys) at the current or at a past revision.
void BM_List(benchmark::State& state, std::string backend, bool past) {
  Backend b(backend);
  const int64_t keys = state.range(0);
  Populate(b.store(), keys);
  Revision at = past ? keys / 2 : 0;
  if (past) {
    // Some history after `at`, so a past read is really a past read.
    for (int64_t k = 0; k < keys; k += 10)
      (void)b.store().Update(PodKey(k), Value(), 0);
  }
  int64_t i = 0, items = 0;
  for (auto _ : state) {
    auto r =
        b.store().List("/registry/pods/ns" + std::to_string(i++ % 100) + "/", {.at_revision = at});
    if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
    items += static_cast<int64_t>(r->items.size());
  }
  state.SetItemsProcessed(items);
  state.counters["lists_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// One write delivered to N watchers of the written prefix, plus 100 watchers
// of other namespaces that must not cost anything. Watchers are drained every
// 64 writes; items/s counts delivered events.
void BM_WatchFanout(benchmark::State& state, std::string backend) {
  Backend b(backend);
  const int64_t watchers = state.range(0);
  std::vector<std::unique_ptr<Watcher>> ws;
  for (int64_t w = 0; w < watchers; ++w) {
    ws.push_back(std::move(b.store().Watch({.prefix = "/registry/pods/"})).value());
  }
  std::vector<std::unique_ptr<Watcher>> others;
  for (int n = 0; n < 100; ++n) {
    others.push_back(
        std::move(b.store().Watch({.prefix = "/registry/other/ns" + std::to_string(n) + "/"}))
            .value());
  }
  Populate(b.store(), 1000);
  for (auto& w : ws)
    w->Poll();
  int64_t i = 0, delivered = 0;
  for (auto _ : state) {
    (void)b.store().Update(PodKey(i % 1000), Value(), 0);
    if (++i % 64 == 0) {
      for (auto& w : ws)
        delivered += static_cast<int64_t>(w->Poll().size());
    }
  }
  for (auto& w : ws)
    delivered += static_cast<int64_t>(w->Poll().size());
  state.SetItemsProcessed(delivered);
  state.counters["writes_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

int64_t Size(int64_t n) {
  return g_flags->smoke ? std::max<int64_t>(1, n / 100) : n;
}

void RegisterAll() {
  for (const std::string& be : g_flags->backends) {
    // SQLite setups are slow (every populated key is committed): run those
    // benchmarks once with a fixed iteration count instead of letting the
    // library repeat them to pick one.
    const bool sqlite = be.starts_with("sqlite");
    auto fixed = [&](benchmark::internal::Benchmark* b, int64_t iterations) {
      // SQLite writes wait on the disk: rates must come from wall time.
      if (g_flags->smoke) iterations = std::max<int64_t>(1, iterations / 100);
      if (sqlite) b->Iterations(iterations)->UseRealTime();
      return b;
    };
    fixed(benchmark::RegisterBenchmark(("create/" + be).c_str(), BM_Create, be), 500);
    fixed(benchmark::RegisterBenchmark(("update/" + be).c_str(), BM_Update, be), 500);
    if (!sqlite) benchmark::RegisterBenchmark(("churn_100k/" + be).c_str(), BM_Churn, be);
    fixed(
        benchmark::RegisterBenchmark(("create_concurrent/" + be).c_str(), BM_CreateConcurrent, be),
        500)
        ->Threads(1)
        ->Threads(4)
        ->Threads(16)
        ->UseRealTime();
    // Setup dominates (paused): a fixed, small number of rounds.
    benchmark::RegisterBenchmark(("compact/" + be).c_str(), BM_Compact, be)
        ->Arg(Size(10'000))  // one step of the API server's compactor
        ->Arg(Size(100'000))
        ->Iterations(g_flags->smoke ? 1 : 3)
        ->UseRealTime();
    fixed(benchmark::RegisterBenchmark(("get/" + be).c_str(), BM_Get, be), 200'000)
        ->Arg(Size(sqlite ? 10'000 : 100'000));
    fixed(benchmark::RegisterBenchmark(("list/" + be).c_str(), BM_List, be, false), 2'000)
        ->Arg(Size(10'000));
    fixed(benchmark::RegisterBenchmark(("list_past/" + be).c_str(), BM_List, be, true), 500)
        ->Arg(Size(10'000));
    fixed(benchmark::RegisterBenchmark(("watch_fanout/" + be).c_str(), BM_WatchFanout, be), 500)
        ->Arg(1)
        ->Arg(10)
        ->Arg(100)
        ->Arg(1000);
  }
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace
}  // namespace navarch::store

int main(int argc, char** argv) {
  using navarch::store::Flags;
  Flags flags;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--backends=", 0) == 0) {
      flags.backends = navarch::store::Split(arg.substr(11));
      for (const auto& be : flags.backends) {
        if (be != "memory" && be != "memory_retain" && be != "sqlite" && be != "sqlite_normal") {
          std::cerr << "store_bench: unknown backend \"" << be
                    << "\"; accepted: memory, memory_retain, sqlite, sqlite_normal\n";
          return 2;
        }
      }
    } else if (arg.rfind("--seed=", 0) == 0) {
      flags.seed = std::stoull(arg.substr(7));
    } else if (arg == "--smoke") {
      flags.smoke = true;
    } else if (arg.rfind("--dir=", 0) == 0) {
      flags.dir = arg.substr(6);
    } else {
      rest.push_back(argv[i]);
    }
  }
  navarch::store::g_flags = &flags;
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  navarch::store::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
