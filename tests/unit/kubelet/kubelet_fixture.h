#pragma once
// The kubelet tests' world: a ManualClock, a MemoryStore behind a LocalApi,
// a FakeRuntime, and a Kubelet for node "n1" — everything advanced by hand.

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/api/types.h"
#include "core/client/local_api.h"
#include "core/kubelet/kubelet.h"
#include "core/kubelet/pod_status.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "sim/gated_api.h"
#include "tests/unit/kubelet/fake_runtime.h"

namespace navarch::kubelet::testing {

inline const Time kT0 = runtime::ManualClock::kDefaultStart;

inline api::Container MakeContainer(std::string name, std::string image = "app:1") {
  api::Container c;
  c.name = std::move(name);
  c.image = std::move(image);
  return c;
}

inline api::Probe ExecProbe(std::string command, int initial_delay, int period, int failure = 0) {
  api::Probe p;
  p.exec = api::ExecAction{{std::move(command)}};
  p.initial_delay_seconds = initial_delay;
  p.period_seconds = period;
  p.failure_threshold = failure;
  return p;
}

class KubeletTest : public ::testing::Test {
 protected:
  KubeletTest() : api_(store_, clock_), gate_(api_, clock_, "node n1"), runtime_(clock_) {
    runtime_.AddRegistryImage("app:1");
    runtime_.AddRegistryImage("batch:1");
    runtime_.AddRegistryImage("crash:1");
  }

  KubeletOptions Options() const {
    KubeletOptions o;
    o.node_name = "n1";
    o.labels = {{"zone", "a"}};
    o.capacity = {{"cpu", api::Quantity::MustParse("2")},
                  {"memory", api::Quantity::MustParse("4Gi")}};
    o.addresses = {{"InternalIP", "192.168.0.10"}, {"Hostname", "n1"}};
    o.node_status.heartbeat_jitter = 0;  // exact times (jitter: its own test)
    return o;
  }

  void StartKubelet(KubeletOptions o) {
    // Through a gate, as the simulator runs kubelets, so that a test can
    // partition the node (gate_.SetReachable(false)).
    kubelet_ = std::make_unique<Kubelet>(gate_, clock_, runtime_, std::move(o));
    ASSERT_TRUE(kubelet_->Start().ok());
    clock_.RunUntilIdle();
  }
  void StartKubelet() { StartKubelet(Options()); }

  api::Pod MakePod(const std::string& name, std::vector<api::Container> containers,
                   std::string restart_policy = "Always") {
    api::Pod p;
    p.metadata.name = name;
    p.metadata.namespace_ = "default";
    p.spec.Mutable().node_name = "n1";
    p.spec.Mutable().restart_policy = std::move(restart_policy);
    p.spec.Mutable().containers = std::move(containers);
    return p;
  }

  std::shared_ptr<const api::Pod> CreatePod(const api::Pod& pod) {
    auto r = api_.Create(pod);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : nullptr;
  }

  std::shared_ptr<const api::Pod> GetPod(const std::string& name) {
    auto r = api_.Get<api::Pod>("default", name);
    return r.ok() ? *r : nullptr;
  }

  // The status of container `name` of pod `pod`.
  api::ContainerStatus CStatus(const std::string& pod, const std::string& name) {
    auto p = GetPod(pod);
    if (p) {
      for (const auto* list : {&p->status.container_statuses, &p->status.init_container_statuses}) {
        for (const auto& s : *list) {
          if (s.name == name) return s;
        }
      }
    }
    ADD_FAILURE() << "no status for container " << name << " of pod " << pod;
    return {};
  }

  std::string Condition(const std::string& pod, std::string_view type) {
    auto p = GetPod(pod);
    if (!p) return "<no pod>";
    const auto* c = FindPodCondition(p->status.conditions, type);
    return c ? c->status : "<absent>";
  }

  std::shared_ptr<const api::Node> GetNode() {
    auto r = api_.Get<api::Node>("", "n1");
    return r.ok() ? *r : nullptr;
  }

  const api::NodeCondition* NodeReady(const api::Node& node) {
    for (const auto& c : node.status.conditions) {
      if (c.type == "Ready") return &c;
    }
    return nullptr;
  }

  runtime::ManualClock clock_;
  store::MemoryStore store_;
  client::LocalApi api_;
  sim::GatedApi gate_;
  FakeRuntime runtime_;
  std::unique_ptr<Kubelet> kubelet_;
};

}  // namespace navarch::kubelet::testing
