// docker_bench: pod startup through the kubelet on Docker, against plain
// Docker of the same containers, and how many pods per second the host
// sustains.
//
//   docker_bench [--iterations=N] [--pods=N] [--socket=PATH] [--smoke]
//
// 1. Baseline "docker run": the same two containers a one-container pod needs
//    (the navarch/pause:1 sandbox, then navarch/busybox:1 `sleep` joined to
//    its network), created and started back to back through the Engine API;
//    and the same with the docker CLI (`docker run -d` twice), if it exists.
// 2. Kubelet: a pod bound to the node is created in the Api; the time until
//    its status says Running (sandbox, image check, create, start, status
//    written), observed on the kubelet's loop.
// 3. Throughput: --pods pods created at once; pods/second until all Running.
// Medians and p90 over --iterations. Pods stay up until the end (each
// iteration adds one); every container is labelled io.navarch.bench and
// removed at the end, with the kubelet stopped.
//
// Not a timing assertion: a program that prints figures. --smoke runs one
// small iteration, and exits 0 with a message when no dockerd is reachable.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "backends/docker/docker_client.h"
#include "backends/docker/docker_runtime.h"
#include "backends/realtime/asio_clock.h"
#include "core/client/local_api.h"
#include "core/kubelet/kubelet.h"
#include "core/store/memory_store.h"

namespace navarch::docker {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kBenchLabel = "io.navarch.bench";

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Stats {
  double median = 0, p90 = 0, min = 0;
};
Stats Summarize(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p90 = v[std::min(v.size() - 1, v.size() * 9 / 10)];
  s.min = v.front();
  return s;
}

template <class T>
T Await(DockerClient& client, asio::awaitable<T> coro) {
  std::promise<T> p;
  client.Spawn(std::move(coro), [&](T r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

// Create + start one container through the API; returns its id.
Result<std::string> RunRaw(DockerClient& client, const std::string& body) {
  auto r = Await(client, client.Call(Verb::post, "/containers/create", body));
  if (!r.ok()) return r.status();
  if (r->status != 201) return Internal("create: " + r->Message());
  std::string id(boost::json::parse(r->body).at("Id").as_string());
  auto s = Await(client, client.Call(Verb::post, "/containers/" + id + "/start"));
  if (!s.ok()) return s.status();
  if (s->status != 204) return Internal("start: " + s->Message());
  return id;
}

void RemoveRaw(DockerClient& client, const std::string& id) {
  (void)Await(client, client.Call(Verb::delete_, "/containers/" + id + "?force=1&v=1"));
}

std::vector<double> BaselineApi(DockerClient& client, int iterations) {
  std::vector<double> out;
  std::vector<std::string> made;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = Clock::now();
    auto sb = RunRaw(client, R"({"Image":"navarch/pause:1","Labels":{"io.navarch.bench":"1"},)"
                             R"("HostConfig":{"RestartPolicy":{"Name":"no"}}})");
    if (!sb.ok()) {
      std::cerr << "baseline sandbox: " << sb.status() << "\n";
      return out;
    }
    auto app = RunRaw(
        client, R"({"Image":"navarch/busybox:1","Entrypoint":["sh","-c","exec sleep 3600"],)"
                R"("Labels":{"io.navarch.bench":"1"},"HostConfig":{"NetworkMode":"container:)" +
                    *sb + R"(","RestartPolicy":{"Name":"no"}}})");
    const auto t1 = Clock::now();
    if (!app.ok()) {
      std::cerr << "baseline app: " << app.status() << "\n";
      RemoveRaw(client, *sb);
      return out;
    }
    out.push_back(Ms(t1 - t0));
    made.push_back(*app);
    made.push_back(*sb);
  }
  // Removed at the end, as the kubelet's pods are: a removal still settling
  // in dockerd would slow the next iteration.
  for (const auto& id : made)
    RemoveRaw(client, id);
  return out;
}

std::vector<double> BaselineCli(int iterations) {
  std::vector<double> out;
  if (std::system("docker version >/dev/null 2>&1") != 0) return out;
  for (int i = 0; i < iterations; ++i) {
    const std::string name =
        "navarch-bench-" + std::to_string(::getpid()) + "-" + std::to_string(i);
    const auto t0 = Clock::now();
    int a = std::system(("docker run -d --label io.navarch.bench=1 --name " + name +
                         "-sb navarch/pause:1 >/dev/null")
                            .c_str());
    int b = std::system(("docker run -d --label io.navarch.bench=1 --name " + name +
                         "-app --network container:" + name +
                         "-sb navarch/busybox:1 sleep 3600 >/dev/null")
                            .c_str());
    const auto t1 = Clock::now();
    if (a == 0 && b == 0) out.push_back(Ms(t1 - t0));
  }
  (void)std::system(
      "docker ps -aq --filter label=io.navarch.bench=1 | xargs -r docker rm -f >/dev/null");
  return out;
}

// A kubelet on a real-time loop over DockerRuntime.
class KubeletHarness {
 public:
  explicit KubeletHarness(const std::string& socket) : api_(store_, clock_) {
    clock_.Start();
    DockerOptions o;
    o.socket = socket;
    o.extra_labels[kBenchLabel] = "1";
    auto rt = OnLoop([&] { return DockerRuntime::Connect(clock_, o); });
    if (!rt.ok()) {
      status_ = rt.status();
      return;
    }
    runtime_ = std::move(*rt);
    OnLoop([&] {
      kubelet::KubeletOptions ko;
      ko.node_name = "bench-node-" + std::to_string(::getpid());
      ko.capacity = {{"cpu", api::Quantity::MustParse("64")},
                     {"memory", api::Quantity::MustParse("256Gi")},
                     {"pods", api::Quantity::MustParse("1000")}};
      ko.addresses = {{"InternalIP", "127.0.0.1"}};
      node_ = ko.node_name;
      kubelet_ = std::make_unique<kubelet::Kubelet>(api_, clock_, *runtime_, ko);
      status_ = kubelet_->Start();
    });
  }
  ~KubeletHarness() {
    OnLoop([&] {
      if (kubelet_) kubelet_->Stop();
      kubelet_.reset();
      runtime_.reset();
    });
    clock_.Stop();
  }
  const Status& status() const { return status_; }

  template <class F>
  auto OnLoop(F fn) -> std::invoke_result_t<F> {
    using R = std::invoke_result_t<F>;
    if constexpr (std::is_void_v<R>) {
      std::promise<void> p;
      clock_.Post([&] {
        fn();
        p.set_value();
      });
      p.get_future().wait();
    } else {
      std::promise<R> p;
      clock_.Post([&] { p.set_value(fn()); });
      return p.get_future().get();
    }
  }

  // Creates `n` pods at once; returns the seconds until each was Running
  // (measured on the loop, polling every millisecond) or an empty vector.
  std::vector<double> StartPods(const std::string& prefix, int n) {
    auto t0 = std::make_shared<Clock::time_point>();
    auto done = std::make_shared<std::vector<double>>(n, -1.0);
    auto remaining = std::make_shared<int>(n);
    auto finished = std::make_shared<std::promise<void>>();
    OnLoop([&] {
      *t0 = Clock::now();
      for (int i = 0; i < n; ++i) {
        api::Pod p;
        p.metadata.name = prefix + "-" + std::to_string(i);
        p.metadata.namespace_ = "default";
        p.spec.Mutable().node_name = node_;
        p.spec.Mutable().termination_grace_period_seconds = 1;
        api::Container c;
        c.name = "main";
        c.image = "navarch/busybox:1";
        c.command = {"sh", "-c", "exec sleep 3600"};
        p.spec.Mutable().containers.push_back(c);
        auto r = api_.Create(p);
        if (!r.ok()) std::cerr << "create: " << r.status() << "\n";
      }
      Poll(prefix, n, t0, done, remaining, finished);
    });
    if (finished->get_future().wait_for(std::chrono::minutes(5)) != std::future_status::ready) {
      std::cerr << "pods did not all start within 5 minutes\n";
      return {};
    }
    return *done;
  }

  // Stops the kubelet and removes every sandbox and container of the bench.
  void Cleanup() {
    OnLoop([&] {
      if (kubelet_) kubelet_->Stop();
    });
    runtime::RuntimeLabels mine{{kBenchLabel, "1"}};
    std::promise<void> listed;
    OnLoop([&] {
      runtime_->ListPodSandboxes(
          runtime::SandboxFilter{.labels = mine},
          [&, rt = runtime_.get()](Result<std::vector<runtime::PodSandboxStatus>> r) {
            auto left = std::make_shared<size_t>(r.ok() ? r->size() : 0);
            if (*left == 0) {
              listed.set_value();
              return;
            }
            for (const auto& s : *r) {
              rt->RemovePodSandbox(s.id, [&, left](Status) {
                if (--*left == 0) listed.set_value();
              });
            }
          });
    });
    listed.get_future().wait();
  }

 private:
  void Poll(const std::string& prefix, int n, std::shared_ptr<Clock::time_point> t0,
            std::shared_ptr<std::vector<double>> done, std::shared_ptr<int> remaining,
            std::shared_ptr<std::promise<void>> finished) {
    for (int i = 0; i < n; ++i) {
      if ((*done)[i] >= 0) continue;
      auto p = api_.Get<api::Pod>("default", prefix + "-" + std::to_string(i));
      if (p.ok() && (*p)->status.phase == "Running") {
        (*done)[i] = Ms(Clock::now() - *t0);
        --*remaining;
      }
    }
    if (*remaining == 0) {
      finished->set_value();
      return;
    }
    clock_.After(milliseconds(1), [=, this] { Poll(prefix, n, t0, done, remaining, finished); });
  }

  realtime::AsioClock clock_;
  store::MemoryStore store_;
  client::LocalApi api_;
  std::unique_ptr<DockerRuntime> runtime_;
  std::unique_ptr<kubelet::Kubelet> kubelet_;
  std::string node_;
  Status status_;
};

void Print(const char* what, const std::vector<double>& v) {
  if (v.empty()) {
    std::printf("%-44s (not measured)\n", what);
    return;
  }
  Stats s = Summarize(v);
  std::printf("%-44s n=%-3zu median %7.1f ms  p90 %7.1f ms  min %7.1f ms\n", what, v.size(),
              s.median, s.p90, s.min);
}

int Main(int argc, char** argv) {
  int iterations = 10, pods = 20;
  bool smoke = false;
  std::string socket = "/var/run/docker.sock";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--smoke") {
      smoke = true;
    } else if (a.rfind("--iterations=", 0) == 0) {
      iterations = std::max(1, std::atoi(a.c_str() + 13));
    } else if (a.rfind("--pods=", 0) == 0) {
      pods = std::max(1, std::atoi(a.c_str() + 7));
    } else if (a.rfind("--socket=", 0) == 0) {
      socket = a.substr(9);
    } else if (a.rfind("--benchmark_", 0) == 0) {
      // Google Benchmark flags of the CTest smoke run: not used here.
    } else {
      std::cerr << "docker_bench: unknown argument '" << a
                << "'; use --iterations=N --pods=N --socket=PATH --smoke\n";
      return 2;
    }
  }
  if (smoke) {
    iterations = 1;
    pods = 2;
  }
  KubeletHarness harness(socket);
  if (!harness.status().ok()) {
    if (smoke) {
      std::cout << "docker_bench --smoke: no usable dockerd (" << harness.status()
                << "); nothing measured\n";
      return 0;
    }
    std::cerr << "docker_bench: " << harness.status() << "\n";
    return 1;
  }
  DockerClient client(socket);
  std::vector<double> api_runs = BaselineApi(client, iterations);
  std::vector<double> cli_runs = BaselineCli(iterations);

  std::cerr << "docker_bench: baselines done; pods through the kubelet...\n";
  std::vector<double> kubelet_runs;
  for (int i = 0; i < iterations; ++i) {
    auto t = harness.StartPods("lat" + std::to_string(i), 1);
    if (t.empty()) return 1;
    kubelet_runs.push_back(t[0]);
  }
  const auto t0 = Clock::now();
  auto burst = harness.StartPods("burst", pods);
  const double burst_ms = Ms(Clock::now() - t0);
  harness.Cleanup();

  std::printf("docker_bench: %d iterations, burst of %d pods (one busybox container each)\n",
              iterations, pods);
  Print("docker API: sandbox + app create/start", api_runs);
  Print("docker CLI: 2x docker run -d", cli_runs);
  Print("kubelet: pod bound -> Running", kubelet_runs);
  if (!api_runs.empty()) {
    std::printf("%-44s %.2fx (median vs docker API)\n", "kubelet / docker API",
                Summarize(kubelet_runs).median / Summarize(api_runs).median);
  }
  if (!cli_runs.empty()) {
    std::printf("%-44s %.2fx (median vs docker CLI)\n", "kubelet / docker CLI",
                Summarize(kubelet_runs).median / Summarize(cli_runs).median);
  }
  if (!burst.empty()) {
    Print("burst: each pod created -> Running", burst);
    std::printf("%-44s %.1f pods/s (%d pods in %.0f ms)\n", "burst throughput",
                pods * 1000.0 / burst_ms, pods, burst_ms);
  }
  return 0;
}

}  // namespace
}  // namespace navarch::docker

int main(int argc, char** argv) {
  return navarch::docker::Main(argc, argv);
}
