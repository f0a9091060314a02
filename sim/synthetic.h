#pragma once
// Synthetic scenarios: a cluster and workload built in code rather than read
// from a file — for benchmarks and load tests at sizes where writing 100,000
// pods into YAML (and decoding them) would dominate the measurement.
//
// The scenario: one node group of `nodes` machines spread over `zones` zones
// with `racks_per_zone` racks each; `service_pods` long-running pods (label
// app=web) in ReplicationControllers "web" of `pods_per_controller` replicas
// each, every one in its own namespace "web-<k>"; `batch_pods` bare pods
// (label app=job, restartPolicy Never) that run for `batch_run` and succeed,
// in namespaces "batch-<k>" of `batch_pods_per_namespace`. (Controllers
// read their namespace's pods on every sync, as Kubernetes' do: a cluster of
// 100,000 pods in one namespace measures that scan, not the simulator.)
// Everything is created at t=0 and the run lasts until idle (at most
// `max_duration`). Expectations: every batch pod succeeded, and `web` has
// all its replicas running at the end.

#include <cstdint>
#include <string>

#include "core/base/time.h"
#include "sim/distribution.h"
#include "sim/scenario.h"

namespace navarch::sim {

struct SyntheticSpec {
  std::string name = "synthetic";
  uint64_t seed = 1;
  int32_t nodes = 100;
  int32_t zones = 3;
  int32_t racks_per_zone = 20;
  int64_t node_cpu_millis = 16'000;
  int64_t node_memory_bytes = int64_t{64} << 30;
  int64_t node_pods = 110;
  int32_t service_pods = 1'000;
  int32_t pods_per_controller = 100;
  int64_t service_cpu_millis = 500;
  int64_t service_memory_bytes = int64_t{1} << 30;
  int32_t batch_pods = 1'000;
  int32_t batch_pods_per_namespace = 1'000;
  int64_t batch_cpu_millis = 250;
  int64_t batch_memory_bytes = int64_t{256} << 20;
  Distribution batch_run = Distribution::Uniform(minutes(1), minutes(5));
  Duration max_duration = hours(2);
};

// kInvalidArgument naming the field for negative counts or no nodes/zones.
Result<Scenario> SyntheticScenario(const SyntheticSpec& spec);

}  // namespace navarch::sim
