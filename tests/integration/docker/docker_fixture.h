#pragma once
// The Docker integration tests' world: a real dockerd, a DockerRuntime over
// it, an AsioClock loop thread, a MemoryStore behind a LocalApi, and a real
// Kubelet — everything touched only on the loop thread (OnLoop).
//
// Without a reachable dockerd, or without the local images
// (scripts/build-images), a test FAILS under CI=true and is skipped loudly
// otherwise. Every sandbox and container a test creates carries the label
// io.navarch.test=<run id>, and TearDown removes them all.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <gtest/gtest.h>

#include "backends/docker/docker_runtime.h"
#include "backends/realtime/asio_clock.h"
#include "core/api/types.h"
#include "core/client/local_api.h"
#include "core/kubelet/kubelet.h"
#include "core/kubelet/pod_status.h"
#include "core/store/memory_store.h"

namespace navarch::docker::testing {

inline constexpr const char* kBusybox = "navarch/busybox:1";
inline constexpr const char* kTestLabel = "io.navarch.test";

inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

class DockerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    run_id_ = "t" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    node_ = "docker-test-" + run_id_;
    clock_.Start();
    auto rt = OnLoop([&] { return DockerRuntime::Connect(clock_, Options()); });
    if (!rt.ok()) {
      if (InCi()) FAIL() << "CI=true and dockerd is not usable: " << rt.status();
      GTEST_SKIP() << "\n*** SKIPPED: no usable dockerd (" << rt.status()
                   << ").\n*** Start dockerd to run the Docker integration tests. ***";
    }
    runtime_ = std::move(*rt);
    for (const char* image : {"navarch/pause:1", kBusybox}) {
      auto id = RuntimeCall<std::string>([&](auto done) { runtime_->PullImage(image, done); });
      if (!id.ok()) {
        if (InCi()) FAIL() << "CI=true and a local image is missing: " << id.status();
        GTEST_SKIP() << "\n*** SKIPPED: " << id.status()
                     << "\n*** Run scripts/build-images to run the Docker integration tests. ***";
      }
    }
  }

  void TearDown() override {
    if (kubelet_) OnLoop([&] { kubelet_->Stop(); });
    if (runtime_) {
      runtime::RuntimeLabels mine{{kTestLabel, run_id_}};
      auto ctrs = RuntimeCall<std::vector<runtime::ContainerStatus>>([&](auto done) {
        runtime_->ListContainers(runtime::ContainerFilter{.labels = mine}, done);
      });
      if (ctrs.ok()) {
        for (const auto& c : *ctrs) {
          (void)RuntimeStatus([&](auto done) { runtime_->RemoveContainer(c.id, done); });
        }
      }
      auto sbs = RuntimeCall<std::vector<runtime::PodSandboxStatus>>([&](auto done) {
        runtime_->ListPodSandboxes(runtime::SandboxFilter{.labels = mine}, done);
      });
      if (sbs.ok()) {
        for (const auto& s : *sbs) {
          (void)RuntimeStatus([&](auto done) { runtime_->RemovePodSandbox(s.id, done); });
        }
      }
    }
    if (kubelet_) OnLoop([&] { kubelet_.reset(); });
    if (runtime_) OnLoop([&] { runtime_.reset(); });
    clock_.Stop();
  }

  DockerOptions Options() const {
    DockerOptions o;
    o.extra_labels[kTestLabel] = run_id_;
    return o;
  }

  kubelet::KubeletOptions KubeletOptions() const {
    kubelet::KubeletOptions o;
    o.node_name = node_;
    o.capacity = {{"cpu", api::Quantity::MustParse("4")},
                  {"memory", api::Quantity::MustParse("8Gi")}};
    o.addresses = {{"InternalIP", "127.0.0.1"}, {"Hostname", node_}};
    o.crash_backoff = {seconds(1), seconds(8), minutes(10)};
    o.runtime_retry = {milliseconds(500), seconds(2), minutes(10)};
    o.api_retry = {milliseconds(200), seconds(1), minutes(10)};
    return o;
  }

  void StartKubelet() {
    OnLoop([&] {
      kubelet_ = std::make_unique<kubelet::Kubelet>(api_, clock_, *runtime_, KubeletOptions());
      ASSERT_TRUE(kubelet_->Start().ok());
    });
  }

  // Runs `fn` on the loop thread and returns its result (directly when
  // already there).
  template <class F>
  auto OnLoop(F fn) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if (clock_.OnLoopThread()) return fn();  // already on the loop (nested helper)
    std::promise<void> done;
    std::optional<std::conditional_t<std::is_void_v<R>, int, R>> out;
    clock_.Post([&] {
      if constexpr (std::is_void_v<R>) {
        fn();
      } else {
        out.emplace(fn());
      }
      done.set_value();
    });
    done.get_future().wait();
    if constexpr (!std::is_void_v<R>) return std::move(*out);
  }

  // Calls a runtime method (on the loop) and waits for its completion.
  template <class T>
  Result<T> RuntimeCall(std::function<void(runtime::Callback<T>)> call,
                        Duration timeout = seconds(60)) {
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto future = promise->get_future();
    OnLoop([&] { call([promise](Result<T> r) { promise->set_value(std::move(r)); }); });
    if (future.wait_for(timeout) != std::future_status::ready) {
      return Unavailable("the runtime did not complete within the test's timeout");
    }
    return future.get();
  }
  Status RuntimeStatus(std::function<void(runtime::StatusCallback)> call,
                       Duration timeout = seconds(60)) {
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    OnLoop([&] { call([promise](Status s) { promise->set_value(std::move(s)); }); });
    if (future.wait_for(timeout) != std::future_status::ready) {
      return Unavailable("the runtime did not complete within the test's timeout");
    }
    return future.get();
  }

  // Polls `pred` on the loop every 50ms until it holds or `timeout` passes.
  bool WaitFor(const std::function<bool()>& pred, Duration timeout = seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (OnLoop(pred)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return OnLoop(pred);
  }

  // Polls `pred` on the test thread (it may call OnLoop, Logs, ...).
  bool Eventually(const std::function<bool()>& pred, Duration timeout = seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pred();
  }

  api::Pod MakePod(const std::string& name, std::vector<api::Container> containers,
                   std::string restart_policy = "Always") {
    api::Pod p;
    p.metadata.name = name;
    p.metadata.namespace_ = "default";
    p.spec.Mutable().node_name = node_;
    p.spec.Mutable().restart_policy = std::move(restart_policy);
    p.spec.Mutable().termination_grace_period_seconds = 2;
    p.spec.Mutable().containers = std::move(containers);
    return p;
  }

  static api::Container Shell(std::string name, std::string script) {
    api::Container c;
    c.name = std::move(name);
    c.image = kBusybox;
    c.command = {"sh", "-c", std::move(script)};
    return c;
  }

  std::shared_ptr<const api::Pod> CreatePod(const api::Pod& pod) {
    return OnLoop([&]() -> std::shared_ptr<const api::Pod> {
      auto r = api_.Create(pod);
      EXPECT_TRUE(r.ok()) << r.status();
      return r.ok() ? *r : nullptr;
    });
  }

  // Call on the loop.
  std::shared_ptr<const api::Pod> GetPod(const std::string& name) {
    auto r = api_.Get<api::Pod>("default", name);
    return r.ok() ? *r : nullptr;
  }
  // Call on the loop.
  std::optional<api::ContainerStatus> CStatus(const std::string& pod, const std::string& name) {
    auto p = GetPod(pod);
    if (!p) return std::nullopt;
    for (const auto& s : p->status.container_statuses) {
      if (s.name == name) return s;
    }
    return std::nullopt;
  }
  bool PodRunning(const std::string& name) {
    return OnLoop([&] {
      auto p = GetPod(name);
      return p && p->status.phase == "Running";
    });
  }
  std::string Condition(const std::string& pod, std::string_view type) {
    return OnLoop([&]() -> std::string {
      auto p = GetPod(pod);
      if (!p) return "<no pod>";
      const auto* c = kubelet::FindPodCondition(p->status.conditions, type);
      return c ? c->status : "<absent>";
    });
  }
  std::string Describe(const std::string& pod) {
    return OnLoop([&]() -> std::string {
      auto p = GetPod(pod);
      if (!p) return "<no pod " + pod + ">";
      std::string out = "phase=" + p->status.phase;
      for (const auto& s : p->status.container_statuses) {
        out += " [" + s.name + " restarts=" + std::to_string(s.restart_count);
        if (s.state.waiting)
          out += " waiting " + s.state.waiting->reason + ": " + s.state.waiting->message;
        if (s.state.running) out += " running";
        if (s.state.terminated) out += " terminated " + s.state.terminated->reason;
        out += "]";
      }
      return out;
    });
  }

  // Labels selecting one pod of this test's node. (Pod uids come from a
  // deterministic sequence, so another process sharing dockerd may use the
  // same ones: always select by node too.)
  runtime::RuntimeLabels PodLabels(const std::string& uid) const {
    return {{std::string(runtime::kLabelPodUid), uid},
            {std::string(runtime::kLabelNodeName), node_}};
  }

  // The containers the runtime holds for a pod.
  std::vector<runtime::ContainerStatus> PodContainers(const std::string& uid) {
    auto r = RuntimeCall<std::vector<runtime::ContainerStatus>>([&](auto done) {
      runtime_->ListContainers(runtime::ContainerFilter{.labels = PodLabels(uid)}, done);
    });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<runtime::ContainerStatus>{};
  }

  // The whole log of a container, or its last `tail` lines.
  std::string Logs(const runtime::ContainerId& id, int64_t tail = -1) {
    auto text = std::make_shared<std::string>();
    std::unique_ptr<runtime::LogStream> stream;
    Status st = RuntimeStatus([&](auto done) {
      runtime::LogOptions o;
      o.tail_lines = tail;
      stream = runtime_->ContainerLogs(
          id, o, [text](std::string_view chunk) { text->append(chunk); }, done);
    });
    EXPECT_TRUE(st.ok()) << st;
    OnLoop([&] { stream.reset(); });
    return *text;
  }

  std::string run_id_;
  std::string node_;
  realtime::AsioClock clock_;
  store::MemoryStore store_;
  client::LocalApi api_{store_, clock_};
  std::unique_ptr<DockerRuntime> runtime_;
  std::unique_ptr<kubelet::Kubelet> kubelet_;
};

}  // namespace navarch::docker::testing
