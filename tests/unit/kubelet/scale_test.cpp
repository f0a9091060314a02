// Scale figures: many kubelets on one loop, as in the simulator. Disabled by
// default (it is a measurement, not a check of behaviour); run with
//   navarch_kubelet_tests --gtest_also_run_disabled_tests --gtest_filter='*Scale*'
// It prints deterministic counts (callbacks run, writes) and asserts only
// those; the wall time is gtest's own report, never asserted.

#include <iostream>

#include <gtest/gtest.h>

#include "tests/unit/kubelet/kubelet_fixture.h"

namespace navarch::kubelet::testing {
namespace {

TEST(KubeletScale, DISABLED_ThousandNodesTenPodsEach) {
  constexpr int kNodes = 1000;
  constexpr int kPodsPerNode = 10;
  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi api(store, clock, client::LocalApiOptions{.encode_values = false});
  std::vector<std::unique_ptr<FakeRuntime>> runtimes;
  std::vector<std::unique_ptr<Kubelet>> kubelets;
  for (int n = 0; n < kNodes; ++n) {
    auto rt = std::make_unique<FakeRuntime>(clock);
    rt->AddRegistryImage("app:1");
    KubeletOptions o;
    o.node_name = "node-" + std::to_string(n);
    o.capacity = {{"cpu", api::Quantity::MustParse("16")}};
    kubelets.push_back(std::make_unique<Kubelet>(api, clock, *rt, o));
    ASSERT_TRUE(kubelets.back()->Start().ok());
    runtimes.push_back(std::move(rt));
  }
  clock.RunUntilIdle();
  const uint64_t start_callbacks = clock.Executed();
  for (int n = 0; n < kNodes; ++n) {
    for (int i = 0; i < kPodsPerNode; ++i) {
      api::Pod p;
      p.metadata.name = "p-" + std::to_string(n) + "-" + std::to_string(i);
      p.metadata.namespace_ = "default";
      p.spec.Mutable().node_name = "node-" + std::to_string(n);
      p.spec.Mutable().containers = {MakeContainer("app")};
      ASSERT_TRUE(api.Create(p).ok());
    }
  }
  clock.RunUntilIdle();
  uint64_t pod_writes = 0;
  for (const auto& k : kubelets)
    pod_writes += k->stats().pod_status_writes;
  const uint64_t pod_callbacks = clock.Executed() - start_callbacks;
  const uint64_t before_idle = clock.Executed();
  clock.Advance(minutes(10));
  const uint64_t idle_callbacks = clock.Executed() - before_idle;
  std::cout << "nodes=" << kNodes << " pods=" << kNodes * kPodsPerNode
            << " callbacks_to_start_all_pods=" << pod_callbacks
            << " pod_status_writes=" << pod_writes << " callbacks_per_10min_idle=" << idle_callbacks
            << "\n";
  // Pending; Pending with the pod IP; Running.
  EXPECT_EQ(pod_writes, static_cast<uint64_t>(3 * kNodes * kPodsPerNode));
  EXPECT_EQ(idle_callbacks, static_cast<uint64_t>(kNodes * 60));
}

}  // namespace
}  // namespace navarch::kubelet::testing
