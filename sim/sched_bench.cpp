#include "sim/sched_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <boost/json.hpp>

#include "core/api/well_known.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/runtime/rng.h"
#include "core/scheduler/decider.h"
#include "core/scheduler/flow_decider.h"
#include "core/scheduler/scheduler.h"
#include "core/store/memory_store.h"
#include "core/store/sqlite_store.h"

namespace navarch::sim {
namespace {

using Steady = std::chrono::steady_clock;

double Since(Steady::time_point t0) {
  return std::chrono::duration<double>(Steady::now() - t0).count();
}

// CPU time consumed by the calling thread, in seconds.
double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void SetRates(SchedBenchResult& r) {
  const auto m = static_cast<double>(r.measured_pods);
  r.pods_per_second = r.seconds > 0 ? m / r.seconds : 0;
  r.pods_per_cpu_second = r.cpu_seconds > 0 ? m / r.cpu_seconds : 0;
}

bool IsKind(const std::string& k) {
  for (const auto& known : SchedBenchKinds())
    if (k == known) return true;
  return false;
}

// "10k" -> 10000, "2500" -> 2500; -1 when malformed.
int64_t ParseCount(const std::string& s) {
  if (s.empty()) return -1;
  int64_t mult = 1;
  std::string digits = s;
  if (digits.back() == 'k' || digits.back() == 'K') {
    mult = 1000;
    digits.pop_back();
  }
  if (digits.empty() || digits.size() > 9) return -1;
  for (char c : digits)
    if (c < '0' || c > '9') return -1;
  return std::stoll(digits) * mult;
}

// ---- the cluster ----------------------------------------------------------

struct Shape {
  int64_t milli_cpu;
  const char* cpu;
  const char* memory;
};

api::Node BenchNode(const SchedBenchWorkload& w, int64_t i, runtime::Rng& rng) {
  api::Node n;
  char name[32];
  std::snprintf(name, sizeof name, "node-%07lld", static_cast<long long>(i));
  n.metadata.name = name;
  n.metadata.labels["kubernetes.io/hostname"] = name;
  const char* cpu = "4";
  const char* memory = "32Gi";
  if (w.kind != "SchedulingBasic") {
    static constexpr Shape kSizes[] = {
        {4000, "4", "16Gi"}, {8000, "8", "32Gi"}, {16000, "16", "64Gi"}, {32000, "32", "128Gi"}};
    const Shape& s = kSizes[rng.Uniform(4)];
    cpu = s.cpu;
    memory = s.memory;
    n.metadata.labels[std::string(scheduler::kZoneLabel)] = "zone-" + std::to_string(i % 3);
    if (w.kind == "NodeSelector" && i % 4 == 0) n.metadata.labels["disk"] = "ssd";
  }
  n.status.allocatable["cpu"] = api::Quantity::MustParse(cpu);
  n.status.allocatable["memory"] = api::Quantity::MustParse(memory);
  n.status.allocatable["pods"] = api::Quantity::FromValue(api::kDefaultMaxPods);
  n.status.capacity = n.status.allocatable;
  api::NodeCondition ready;
  ready.type = "Ready";
  ready.status = "True";
  n.status.conditions.push_back(ready);
  return n;
}

// The pod template of a workload; `index` numbers the pod, `measured` says
// which phase it belongs to.
api::Pod BenchPod(const SchedBenchWorkload& w, int64_t index, bool measured, runtime::Rng& rng) {
  api::Pod p;
  p.metadata.name = (measured ? "m-" : "i-") + std::to_string(index);
  p.metadata.namespace_ = "default";
  api::PodSpec spec;
  api::Container c;
  c.name = "app";
  c.image = "registry.k8s.io/pause:3.9";
  std::string cpu = "250m", memory = "512Mi";
  if (w.kind == "SchedulingBasic") {
    // scheduler_perf's pod-default.yaml.
    cpu = "100m";
    memory = "500Mi";
    api::ContainerPort port;
    port.container_port = 80;
    c.ports.push_back(port);
    c.resources.limits["cpu"] = api::Quantity::MustParse(cpu);
    c.resources.limits["memory"] = api::Quantity::MustParse(memory);
  } else {
    int64_t controllers = 20;
    if (measured && w.kind == "Spread") controllers = 5;
    if (w.kind == "Mixed") {
      const uint64_t r = rng.Uniform(10);
      if (r < 6) {
        cpu = "250m";
        memory = "1Gi";
      } else if (r < 9) {
        cpu = "1";
        memory = "4Gi";
      } else {
        cpu = "6";
        memory = "24Gi";
      }
    }
    const std::string rc =
        std::string(measured ? "m" : "i") + "-rc-" + std::to_string(index % controllers);
    p.metadata.labels["app"] = rc;
    api::OwnerReference ref;
    ref.api_version = "v1";
    ref.kind = "ReplicationController";
    ref.name = rc;
    ref.uid = "uid-" + rc;
    ref.controller = true;
    p.metadata.owner_references.push_back(ref);
    if (measured && w.kind == "NodeSelector") spec.node_selector["disk"] = "ssd";
  }
  c.resources.requests["cpu"] = api::Quantity::MustParse(cpu);
  c.resources.requests["memory"] = api::Quantity::MustParse(memory);
  spec.containers.push_back(std::move(c));
  p.spec = std::move(spec);
  return p;
}

std::vector<api::Node> BuildNodes(const SchedBenchWorkload& w, runtime::Rng& rng) {
  std::vector<api::Node> nodes;
  nodes.reserve(static_cast<size_t>(w.nodes));
  for (int64_t i = 0; i < w.nodes; ++i)
    nodes.push_back(BenchNode(w, i, rng));
  return nodes;
}

// Mixed without an explicit count: about 110% of the cpu free after the
// initial pods (mean measured pod: 1.05 cpu).
int64_t MeasuredCount(const SchedBenchWorkload& w, const std::vector<api::Node>& nodes) {
  if (w.measured_pods > 0) return w.measured_pods;
  int64_t free_milli = 0;
  for (const auto& n : nodes)
    free_milli += n.status.allocatable.at("cpu").MilliValue();
  free_milli -= w.initial_pods * 250;
  return std::max<int64_t>(1, free_milli * 11 / 10 / 1050);
}

// ---- schedulers -----------------------------------------------------------

struct SchedulerChoice {
  scheduler::ProfileSpec profile;
  scheduler::DeciderOptions decider;
};

Result<SchedulerChoice> ParseScheduler(const std::string& text) {
  SchedulerChoice out;
  std::string name = text;
  if (auto at = text.find('@'); at != std::string::npos) {
    name = text.substr(0, at);
    const int64_t pct = ParseCount(text.substr(at + 1));
    if (pct < 0 || pct > 100) {
      return InvalidArgument("scheduler \"" + text +
                             "\": the sampling percentage after @ must be 0 (adaptive) to 100");
    }
    out.decider.percentage_of_nodes_to_score = static_cast<int32_t>(pct);
  }
  NAVARCH_ASSIGN_OR_RETURN(out.profile, scheduler::BuiltinProfile(name));
  return out;
}

// ---- measurements ---------------------------------------------------------

void Percentiles(std::vector<double>& v, SchedBenchResult& r) {
  if (v.empty()) return;
  auto at = [&](double q) {
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
    return v[k];
  };
  r.latency_p50_us = at(0.50) * 1e6;
  r.latency_p99_us = at(0.99) * 1e6;
}

// ---- core mode ------------------------------------------------------------

Result<SchedBenchResult> RunCore(const SchedBenchWorkload& w, const SchedulerChoice& choice,
                                 const SchedBenchOptions& options, SchedBenchResult r) {
  const auto setup = Steady::now();
  runtime::Rng rng(options.seed);
  std::vector<api::Node> nodes = BuildNodes(w, rng);
  r.measured_pods = MeasuredCount(w, nodes);
  scheduler::NodeTable table;
  for (const auto& n : nodes)
    table.UpsertNode(n);
  table.EnsureRanks();
  NAVARCH_ASSIGN_OR_RETURN(scheduler::Profile profile, scheduler::BuildProfile(choice.profile));
  scheduler::Decider decider(std::move(profile), choice.decider);
  std::unique_ptr<scheduler::FlowDecider> flow;
  if (choice.profile.strategy == scheduler::Strategy::kFlow) {
    flow = std::make_unique<scheduler::FlowDecider>(decider);
  }
  auto compile = [&](int64_t count, bool measured) {
    std::vector<scheduler::PodInfo> pods;
    pods.reserve(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) {
      pods.push_back(scheduler::CompilePod(BenchPod(w, i, measured, rng)));
      table.Intern(pods.back());
    }
    return pods;
  };
  std::vector<const scheduler::PodInfo*> unbound;
  std::vector<double> latency;
  auto place = [&](const std::vector<scheduler::PodInfo>& pods, bool timed) {
    const int64_t wave = options.wave > 0 ? options.wave : static_cast<int64_t>(pods.size());
    if (flow) {
      std::vector<scheduler::FlowPod> batch;
      for (size_t b = 0; b < pods.size(); b += static_cast<size_t>(wave)) {
        batch.clear();
        for (size_t k = b; k < std::min(pods.size(), b + static_cast<size_t>(wave)); ++k)
          batch.push_back({&pods[k], Duration{0}});
        const auto t0 = Steady::now();
        auto out = flow->DecideBatch(batch, table);
        const double took = Since(t0);
        if (!timed) continue;
        ++r.flow_rounds;
        r.flow_max_round_ms = std::max(r.flow_max_round_ms, took * 1e3);
        for (size_t k = 0; k < out.size(); ++k) {
          latency.push_back(took);
          if (out[k].outcome == scheduler::FlowPlacement::Outcome::kPlaced) {
            ++r.scheduled;
          } else {
            unbound.push_back(batch[k].info);
          }
        }
      }
      return;
    }
    for (const auto& pod : pods) {
      const auto t0 = Steady::now();
      scheduler::Placement p = decider.Decide(pod, table);
      if (p.node) table.AddPod(pod, table.node(*p.node).name, /*assumed=*/true);
      if (!timed) continue;
      latency.push_back(Since(t0));
      if (p.node) {
        ++r.scheduled;
      } else {
        unbound.push_back(&pod);
      }
    }
  };
  const std::vector<scheduler::PodInfo> initial = compile(w.initial_pods, false);
  place(initial, false);
  const std::vector<scheduler::PodInfo> measured = compile(r.measured_pods, true);
  r.setup_seconds = Since(setup);
  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = Steady::now();
  place(measured, true);
  r.seconds = Since(t0);
  r.cpu_seconds = ThreadCpuSeconds() - cpu0;
  SetRates(r);
  Percentiles(latency, r);
  ComputeSchedBenchQuality(table, unbound, r);
  if (options.on_finish) options.on_finish(table);
  return r;
}

// ---- api / sqlite modes ---------------------------------------------------

Result<SchedBenchResult> RunApi(const SchedBenchWorkload& w, const SchedulerChoice& choice,
                                const SchedBenchOptions& options, SchedBenchResult r, bool sqlite) {
  const auto setup = Steady::now();
  runtime::Rng rng(options.seed);
  std::vector<api::Node> nodes = BuildNodes(w, rng);
  r.measured_pods = MeasuredCount(w, nodes);

  std::unique_ptr<store::Store> store;
  std::string db_path;
  if (sqlite) {
    db_path = options.temp_dir + "/navarch-sched-bench-" + std::to_string(getpid()) + ".db";
    for (const char* suffix : {"", "-wal", "-shm"})
      std::remove((db_path + suffix).c_str());
    store::SqliteStoreOptions so;
    so.sync = store::SqliteStoreOptions::Sync::kNormal;
    auto opened = store::SqliteStore::Open(db_path, so);
    if (!opened.ok()) return opened.status().WithContext("sched bench: sqlite store");
    store = std::move(*opened);
  } else {
    store = std::make_unique<store::MemoryStore>();
  }
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      if (path.empty()) return;
      for (const char* suffix : {"", "-wal", "-shm"})
        std::remove((path + suffix).c_str());
    }
  } cleanup{db_path};

  runtime::ManualClock clock;
  client::LocalApiOptions api_options;
  api_options.seed = options.seed;
  api_options.encode_values = sqlite;
  client::LocalApi api(*store, clock, api_options);
  scheduler::SchedulerOptions so;
  so.profile = choice.profile;
  so.decider = choice.decider;
  // The bench measures the scheduler's own speed: no client limits.
  so.client.limits = {};
  scheduler::Scheduler sched(api, clock, so);
  NAVARCH_RETURN_IF_ERROR(sched.Start().WithContext("sched bench: scheduler"));
  for (const auto& n : nodes) {
    NAVARCH_RETURN_IF_ERROR(api.Create(n).status().WithContext("sched bench: create node"));
  }
  clock.RunUntilIdle();
  for (int64_t i = 0; i < w.initial_pods; ++i) {
    NAVARCH_RETURN_IF_ERROR(
        api.Create(BenchPod(w, i, false, rng)).status().WithContext("sched bench: create pod"));
  }
  clock.RunUntilIdle();

  // Measured pods: created (wall time) and first seen bound.
  std::vector<api::Pod> measured;
  measured.reserve(static_cast<size_t>(r.measured_pods));
  for (int64_t i = 0; i < r.measured_pods; ++i)
    measured.push_back(BenchPod(w, i, true, rng));
  std::vector<Steady::time_point> created(measured.size()), bound(measured.size());
  std::vector<uint8_t> seen(measured.size(), 0);
  int64_t bound_count = 0;
  client::WatchOptions wo;
  auto watch = api.Watch(api::Kind::kPod, wo, [&](const client::WatchEvent& e) {
    if (!e.object || e.type == client::WatchEvent::Type::kDeleted) return;
    const auto* pod = static_cast<const api::Pod*>(e.object.get());
    const std::string& name = pod->metadata.name;
    const api::PodSpec& spec = pod->spec;
    if (spec.node_name.empty() || name.size() < 3 || name[0] != 'm' || name[1] != '-') return;
    const int64_t k = std::stoll(name.substr(2));
    if (k < 0 || k >= static_cast<int64_t>(seen.size()) || seen[k]) return;
    seen[k] = 1;
    bound[k] = Steady::now();
    ++bound_count;
  });
  if (!watch.ok()) return watch.status().WithContext("sched bench: watch");
  r.setup_seconds = Since(setup);

  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = Steady::now();
  const size_t wave = options.wave > 0 ? static_cast<size_t>(options.wave) : measured.size();
  const uint64_t rounds_before = sched.stats().rounds;
  for (size_t b = 0; b < measured.size(); b += wave) {
    for (size_t k = b; k < std::min(measured.size(), b + wave); ++k) {
      created[k] = Steady::now();
      auto c = api.Create(measured[k]);
      if (!c.ok()) return c.status().WithContext("sched bench: create measured pod");
    }
    clock.RunUntilIdle();
  }
  r.seconds = Since(t0);
  r.cpu_seconds = ThreadCpuSeconds() - cpu0;
  r.flow_rounds = static_cast<int64_t>(sched.stats().rounds - rounds_before);
  r.scheduled = bound_count;
  SetRates(r);
  std::vector<double> latency;
  latency.reserve(measured.size());
  std::vector<scheduler::PodInfo> unbound_infos;
  for (size_t k = 0; k < measured.size(); ++k) {
    if (seen[k]) {
      latency.push_back(std::chrono::duration<double>(bound[k] - created[k]).count());
    } else {
      unbound_infos.push_back(scheduler::CompilePod(measured[k]));
    }
  }
  std::vector<const scheduler::PodInfo*> unbound;
  for (const auto& p : unbound_infos)
    unbound.push_back(&p);
  Percentiles(latency, r);
  ComputeSchedBenchQuality(sched.cache(), unbound, r);
  if (options.on_finish) options.on_finish(sched.cache());
  (*watch)->Stop();
  sched.Stop();
  return r;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// A JSON string literal (quotes, backslashes and control characters escaped).
std::string JsonString(const std::string& s) {
  return boost::json::serialize(boost::json::string(s));
}

// One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break.
std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void ComputeSchedBenchQuality(const scheduler::NodeTable& t,
                              const std::vector<const scheduler::PodInfo*>& unbound,
                              SchedBenchResult& r) {
  r.cpu_utilisation = 0;
  r.memory_utilisation = 0;
  r.unschedulable = 0;
  r.fragmented = 0;
  r.zone_skew = 0;
  r.node_skew = 0;
  int64_t alloc_cpu = 0, alloc_mem = 0, req_cpu = 0, req_mem = 0;
  int64_t free_cpu = 0, free_mem = 0, free_pods = 0;
  std::map<uint32_t, std::map<uint32_t, int64_t>> zone_counts;  // group -> zone -> pods
  std::map<uint32_t, std::vector<int64_t>> node_counts;         // group -> pods per node
  std::set<uint32_t> zones;
  uint32_t usable = 0;
  for (uint32_t i = 0; i < t.size(); ++i) {
    const scheduler::NodeInfo& n = t.node(i);
    alloc_cpu += n.alloc_milli_cpu;
    alloc_mem += n.alloc_memory;
    req_cpu += n.req_milli_cpu;
    req_mem += n.req_memory;
    if (!n.ready || n.unschedulable) continue;
    ++usable;
    free_cpu += std::max<int64_t>(n.alloc_milli_cpu - n.req_milli_cpu, 0);
    free_mem += std::max<int64_t>(n.alloc_memory - n.req_memory, 0);
    free_pods += std::max<int64_t>(n.alloc_pods - n.req_pods, 0);
    if (n.zone != 0) zones.insert(n.zone);
    for (const auto& [group, pods] : n.group_counts) {
      if (group == 0) continue;
      zone_counts[group][n.zone] += pods;
      node_counts[group].push_back(pods);
    }
  }
  r.cpu_utilisation =
      alloc_cpu > 0 ? static_cast<double>(req_cpu) / static_cast<double>(alloc_cpu) : 0;
  r.memory_utilisation =
      alloc_mem > 0 ? static_cast<double>(req_mem) / static_cast<double>(alloc_mem) : 0;
  r.unschedulable = static_cast<int64_t>(unbound.size());
  for (const auto* p : unbound) {
    if (p->milli_cpu <= free_cpu && p->memory <= free_mem && free_pods >= 1) {
      ++r.fragmented;
      free_cpu -= p->milli_cpu;
      free_mem -= p->memory;
      --free_pods;
    }
  }
  for (const auto& [group, by_zone] : zone_counts) {
    if (zones.size() < 2) break;
    int64_t mx = 0, mn = INT64_MAX;
    for (uint32_t z : zones) {
      auto it = by_zone.find(z);
      const int64_t c = it == by_zone.end() ? 0 : it->second;
      mx = std::max(mx, c);
      mn = std::min(mn, c);
    }
    r.zone_skew = std::max(r.zone_skew, mx - mn);
  }
  if (node_counts.empty()) {
    // No spread groups (pods without owners or labels): all pods per node.
    int64_t mx = 0, mn = INT64_MAX;
    for (uint32_t i = 0; i < t.size(); ++i) {
      const scheduler::NodeInfo& n = t.node(i);
      if (!n.ready || n.unschedulable) continue;
      mx = std::max(mx, n.req_pods);
      mn = std::min(mn, n.req_pods);
    }
    if (mn != INT64_MAX) r.node_skew = mx - mn;
  }
  for (const auto& [group, counts] : node_counts) {
    const int64_t mx = *std::max_element(counts.begin(), counts.end());
    const int64_t mn = counts.size() < usable ? 0 : *std::min_element(counts.begin(), counts.end());
    r.node_skew = std::max(r.node_skew, mx - mn);
  }
}

std::vector<std::string> SchedBenchKinds() {
  return {"SchedulingBasic", "Plain", "NodeSelector", "Spread", "Mixed"};
}

Result<SchedBenchWorkload> ParseSchedBenchWorkload(const std::string& name) {
  const auto slash = name.find('/');
  const std::string usage =
      "benchmark \"" + name +
      "\": use KIND/<N>Nodes or KIND/<N>Nodes_<K> (K measured pods, e.g. 10k), KIND one of "
      "SchedulingBasic, Plain, NodeSelector, Spread, Mixed";
  if (slash == std::string::npos) return InvalidArgument(usage);
  SchedBenchWorkload w;
  w.name = name;
  w.kind = name.substr(0, slash);
  if (!IsKind(w.kind)) return InvalidArgument(usage);
  std::string rest = name.substr(slash + 1);
  std::string count;
  if (auto u = rest.find('_'); u != std::string::npos) {
    count = rest.substr(u + 1);
    rest = rest.substr(0, u);
    if (count.empty()) return InvalidArgument(usage + " (a count must follow _)");
  }
  if (rest.size() <= 5 || rest.substr(rest.size() - 5) != "Nodes") return InvalidArgument(usage);
  w.nodes = ParseCount(rest.substr(0, rest.size() - 5));
  if (w.nodes < 1 || w.nodes > 1'000'000) {
    return InvalidArgument(usage + " (nodes from 1 to 1,000,000)");
  }
  if (!count.empty()) {
    w.measured_pods = ParseCount(count);
    if (w.measured_pods < 1 || w.measured_pods > 10'000'000) {
      return InvalidArgument(usage + " (measured pods from 1 to 10M)");
    }
  }
  if (w.kind == "SchedulingBasic") {
    w.initial_pods = w.nodes == 500 ? 500 : 1000;
    if (w.measured_pods == 0) w.measured_pods = 1000;
  } else {
    w.initial_pods = std::min<int64_t>(w.nodes / 2, 20'000);
    if (w.measured_pods == 0 && w.kind != "Mixed") w.measured_pods = 10'000;
  }
  return w;
}

Result<SchedBenchResult> RunSchedBench(const SchedBenchWorkload& workload,
                                       const std::string& scheduler, const std::string& mode,
                                       const SchedBenchOptions& options) {
  NAVARCH_ASSIGN_OR_RETURN(SchedulerChoice choice, ParseScheduler(scheduler));
  SchedBenchResult r;
  r.workload = workload.name;
  r.scheduler = scheduler;
  r.mode = mode;
  r.nodes = workload.nodes;
  r.initial_pods = workload.initial_pods;
  if (mode == "core") return RunCore(workload, choice, options, r);
  if (mode == "api") return RunApi(workload, choice, options, r, /*sqlite=*/false);
  if (mode == "sqlite") return RunApi(workload, choice, options, r, /*sqlite=*/true);
  return InvalidArgument("mode \"" + mode + "\": use api, sqlite or core");
}

double KubeSchedulerReference(const std::string& workload) {
  if (workload == "SchedulingBasic/500Nodes") return 305;
  if (workload == "SchedulingBasic/5000Nodes") return 239;
  return 0;
}

Result<std::string> FormatSchedBench(const std::vector<SchedBenchResult>& results,
                                     const std::string& format) {
  std::ostringstream o;
  if (format == "json") {
    o << "[\n";
    for (size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      o << "  {\"benchmark\": " << JsonString(r.workload)
        << ", \"scheduler\": " << JsonString(r.scheduler) << ", \"mode\": " << JsonString(r.mode)
        << ", \"nodes\": " << r.nodes << ", \"initial_pods\": " << r.initial_pods
        << ", \"measured_pods\": " << r.measured_pods << ", \"scheduled\": " << r.scheduled
        << ", \"seconds\": " << Fixed(r.seconds, 6)
        << ", \"pods_per_second\": " << Fixed(r.pods_per_second, 1)
        << ", \"cpu_seconds\": " << Fixed(r.cpu_seconds, 6)
        << ", \"pods_per_cpu_second\": " << Fixed(r.pods_per_cpu_second, 1)
        << ", \"latency_p50_us\": " << Fixed(r.latency_p50_us, 2)
        << ", \"latency_p99_us\": " << Fixed(r.latency_p99_us, 2)
        << ", \"cpu_utilisation\": " << Fixed(r.cpu_utilisation, 4)
        << ", \"memory_utilisation\": " << Fixed(r.memory_utilisation, 4)
        << ", \"unschedulable\": " << r.unschedulable << ", \"fragmented\": " << r.fragmented
        << ", \"zone_skew\": " << r.zone_skew << ", \"node_skew\": " << r.node_skew
        << ", \"flow_rounds\": " << r.flow_rounds
        << ", \"flow_max_round_ms\": " << Fixed(r.flow_max_round_ms, 3)
        << ", \"kube_scheduler_pods_per_second\": " << Fixed(KubeSchedulerReference(r.workload), 0)
        << "}" << (i + 1 < results.size() ? "," : "") << "\n";
    }
    o << "]\n";
    return o.str();
  }
  const bool md = format == "markdown";
  if (!md && format != "csv") {
    return InvalidArgument("format \"" + format + "\": use markdown, csv or json");
  }
  const std::vector<std::string> head = {
      "benchmark",  "scheduler", "mode",       "nodes",
      "measured",   "pods/s",    "pods/cpu-s", "p50",
      "p99",        "cpu util",  "mem util",   "unsched",
      "fragmented", "zone skew", "node skew",  "flow rounds (max ms)"};
  auto row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) {
      if (md) {
        o << (i == 0 ? "| " : " | ") << cells[i];
      } else {
        o << (i == 0 ? "" : ",") << CsvCell(cells[i]);
      }
    }
    o << (md ? " |\n" : "\n");
  };
  auto latency = [](double us) {
    if (us >= 1e6) return Fixed(us / 1e6, 2) + " s";
    if (us >= 1e3) return Fixed(us / 1e3, 2) + " ms";
    return Fixed(us, 1) + " us";
  };
  row(head);
  if (md) {
    std::vector<std::string> rule(head.size(), "---");
    row(rule);
  }
  std::string last;
  for (const auto& r : results) {
    if (r.workload != last) {
      last = r.workload;
      if (double ref = KubeSchedulerReference(r.workload); ref > 0) {
        row({r.workload, "kube-scheduler v1.26 (its scheduler_perf, this machine)", "api+etcd",
             std::to_string(r.nodes), std::to_string(r.measured_pods), Fixed(ref, 0), "", "", "",
             "", "", "", "", "", "", ""});
      }
    }
    row({r.workload, r.scheduler, r.mode, std::to_string(r.nodes), std::to_string(r.measured_pods),
         Fixed(r.pods_per_second, 0), Fixed(r.pods_per_cpu_second, 0), latency(r.latency_p50_us),
         latency(r.latency_p99_us), Fixed(100 * r.cpu_utilisation, 1) + "%",
         Fixed(100 * r.memory_utilisation, 1) + "%", std::to_string(r.unschedulable),
         std::to_string(r.fragmented), std::to_string(r.zone_skew), std::to_string(r.node_skew),
         r.flow_rounds > 0
             ? std::to_string(r.flow_rounds) +
                   (r.flow_max_round_ms > 0 ? " (" + Fixed(r.flow_max_round_ms, 1) + ")" : "")
             : ""});
  }
  return o.str();
}

namespace {

int64_t NodeSkew(const Report& r) {
  std::map<std::string, std::map<std::string, int64_t>> per;  // controller -> node -> pods
  for (const auto& p : r.pods) {
    if (p.controller.empty() || p.node.empty() || p.phase != "Running") continue;
    ++per[p.controller][p.node];
  }
  int64_t skew = 0;
  for (const auto& [controller, nodes] : per) {
    int64_t mx = 0, mn = INT64_MAX;
    for (const auto& [node, count] : nodes) {
      mx = std::max(mx, count);
      mn = std::min(mn, count);
    }
    if (static_cast<int64_t>(nodes.size()) < r.nodes_ready) mn = 0;
    skew = std::max(skew, mx - mn);
  }
  return skew;
}

std::string Seconds(Duration d) {
  return FormatSeconds(d);
}

}  // namespace

Result<std::string> FormatSimComparison(const std::vector<SimComparisonRow>& rows,
                                        const std::string& format) {
  std::ostringstream o;
  if (format == "json") {
    o << "[\n";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Report& r = *rows[i].report;
      int passed = 0;
      for (const auto& e : r.expectations)
        passed += e.passed;
      o << "  {\"scenario\": " << JsonString(r.scenario)
        << ", \"scheduler\": " << JsonString(rows[i].scheduler)
        << ", \"wall_seconds\": " << Fixed(rows[i].wall_seconds, 3)
        << ", \"pods_created\": " << r.pods_created << ", \"pods_scheduled\": " << r.pods_scheduled
        << ", \"pods_pending\": " << r.pods_pending
        << ", \"scheduling_p50_s\": " << Seconds(r.scheduling_latency.p50)
        << ", \"scheduling_p99_s\": " << Seconds(r.scheduling_latency.p99)
        << ", \"startup_p50_s\": " << Seconds(r.startup_latency.p50)
        << ", \"startup_p99_s\": " << Seconds(r.startup_latency.p99)
        << ", \"cpu_mean\": " << Fixed(r.utilisation.cpu_mean, 4)
        << ", \"cpu_final\": " << Fixed(r.utilisation.cpu_final, 4)
        << ", \"memory_mean\": " << Fixed(r.utilisation.memory_mean, 4)
        << ", \"memory_final\": " << Fixed(r.utilisation.memory_final, 4)
        << ", \"unschedulable_attempts\": " << r.scheduler.unschedulable
        << ", \"node_skew\": " << NodeSkew(r) << ", \"expectations_passed\": " << passed
        << ", \"expectations\": " << r.expectations.size() << "}"
        << (i + 1 < rows.size() ? "," : "") << "\n";
    }
    o << "]\n";
    return o.str();
  }
  const bool md = format == "markdown";
  if (!md && format != "csv") {
    return InvalidArgument("format \"" + format + "\": use markdown, csv or json");
  }
  auto row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i)
      o << (md ? (i == 0 ? "| " : " | ") : (i == 0 ? "" : ","))
        << (md ? cells[i] : CsvCell(cells[i]));
    o << (md ? " |\n" : "\n");
  };
  const std::vector<std::string> head = {
      "scheduler",        "wall s",           "pods created",           "scheduled",
      "pending at end",   "sched p50 (sim)",  "sched p99 (sim)",        "startup p50 (sim)",
      "cpu mean / final", "mem mean / final", "unschedulable attempts", "node skew",
      "expectations"};
  row(head);
  if (md) row(std::vector<std::string>(head.size(), "---"));
  for (const auto& x : rows) {
    const Report& r = *x.report;
    int passed = 0;
    for (const auto& e : r.expectations)
      passed += e.passed;
    auto pct = [](double v) { return Fixed(100 * v, 1) + "%"; };
    row({x.scheduler, Fixed(x.wall_seconds, 2), std::to_string(r.pods_created),
         std::to_string(r.pods_scheduled), std::to_string(r.pods_pending),
         Seconds(r.scheduling_latency.p50) + " s", Seconds(r.scheduling_latency.p99) + " s",
         Seconds(r.startup_latency.p50) + " s",
         pct(r.utilisation.cpu_mean) + " / " + pct(r.utilisation.cpu_final),
         pct(r.utilisation.memory_mean) + " / " + pct(r.utilisation.memory_final),
         std::to_string(r.scheduler.unschedulable), std::to_string(NodeSkew(r)),
         std::to_string(passed) + "/" + std::to_string(r.expectations.size())});
  }
  return o.str();
}

}  // namespace navarch::sim
