// navarch calibrate: measures the local Docker engine the way a kubelet uses
// it — image pull (a local image: the check), pod sandbox start, container
// create + start, graceful container stop — and writes a runtime model
// (the `runtime:` section of a scenario) with those latencies, so that
// `navarch sim --runtime-model FILE` replays a scenario with the timings of
// this machine's Docker instead of the defaults.
#include <boost/program_options.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backends/docker/docker_runtime.h"
#include "backends/realtime/asio_clock.h"
#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"

namespace navarch::cmd {
namespace {

namespace po = boost::program_options;
using WallClock = std::chrono::steady_clock;

// Runs `op` (which must call its callback exactly once) on the clock's loop
// and waits for its result.
template <class T, class Op>
T OnLoop(runtime::Clock& clock, Op op) {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  clock.Post([op = std::move(op), promise]() mutable {
    op([promise](T r) { promise->set_value(std::move(r)); });
  });
  return future.get();
}

struct Samples {
  std::vector<double> ms;
  void Add(WallClock::duration d) {
    ms.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  // The values seen, each equally likely (an empirical distribution, in
  // whole milliseconds, at least 1 ms): no shape assumed, and an outlier
  // weighs one sample, not the width of a range.
  std::string Distribution() const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    std::string out = "{empirical: [";
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i > 0) out += ", ";
      out += std::to_string(std::max(1L, std::lround(sorted[i]))) + "ms";
    }
    return out + "]}";
  }
  double Mean() const {
    double sum = 0;
    for (double v : ms)
      sum += v;
    return ms.empty() ? 0 : sum / static_cast<double>(ms.size());
  }
  std::string Summary() const {
    std::vector<double> s = ms;
    std::sort(s.begin(), s.end());
    char buf[96];
    std::snprintf(buf, sizeof buf, "min %.1f ms, median %.1f ms, max %.1f ms", s.front(),
                  s[s.size() / 2], s.back());
    return buf;
  }
};

}  // namespace

int RunCalibrate(const Args& args) {
  po::options_description desc(
      "navarch calibrate: measure the local Docker engine (image check, sandbox start,\n"
      "container create+start, graceful stop) and write a runtime model for\n"
      "`navarch sim --runtime-model FILE` / `navarch run --backend sim --runtime-model FILE`.\n"
      "Creates and removes its own pods (namespace navarch-calibrate).\n\nOptions");
  std::string out = "runtime-calibrated.yaml", image = "navarch/busybox:1";
  int samples = 10, concurrency = 4;
  docker::DockerOptions o;
  desc.add_options()("help,h", "show this help")("out", po::value(&out)->default_value(out),
                                                 "where to write the runtime model")(
      "samples", po::value(&samples)->default_value(samples), "pods to start and stop (1-50)")(
      "concurrency", po::value(&concurrency)->default_value(concurrency),
      "pods then started at once, to measure how concurrent starts slow each other down "
      "(1: not measured; at most 20)")(
      "image", po::value(&image)->default_value(image),
      "a local image with a shell (built by scripts/build-images)")(
      "docker-socket", po::value(&o.socket)->default_value(o.socket), "dockerd's unix socket")(
      "sandbox-image", po::value(&o.sandbox_image)->default_value(o.sandbox_image),
      "image of the pod sandboxes");
  po::variables_map vm;
  if (int rc = ParseOptions("calibrate", args, desc, {}, vm); rc >= 0) return rc;
  if (samples < 1 || samples > 50) {
    std::cerr << "navarch calibrate: --samples must be between 1 and 50\n";
    return 2;
  }
  if (concurrency < 1 || concurrency > 20) {
    std::cerr << "navarch calibrate: --concurrency must be between 1 and 20\n";
    return 2;
  }
  realtime::AsioClock clock;
  o.extra_labels["io.navarch.calibrate"] = "1";
  auto rt = docker::DockerRuntime::Connect(clock, o);
  if (!rt.ok()) {
    std::cerr << "navarch calibrate: " << rt.status().message() << "\n";
    return 1;
  }
  clock.Start();
  runtime::ContainerRuntime& docker = **rt;
  // Removes a calibration pod (either id may be empty); errors are ignored.
  auto remove_pod = [&](const runtime::SandboxId& sandbox, const runtime::ContainerId& container) {
    if (!container.empty()) {
      (void)OnLoop<Status>(
          clock, [&](auto done) { docker.StopContainer(container, seconds(0), std::move(done)); });
      (void)OnLoop<Status>(clock,
                           [&](auto done) { docker.RemoveContainer(container, std::move(done)); });
    }
    if (!sandbox.empty()) {
      (void)OnLoop<Status>(
          clock, [&](auto done) { docker.StopPodSandbox(sandbox, seconds(0), std::move(done)); });
      (void)OnLoop<Status>(clock,
                           [&](auto done) { docker.RemovePodSandbox(sandbox, std::move(done)); });
    }
  };
  Samples pull, sandbox, start, stop;
  std::mt19937_64 rng(std::random_device{}());
  Status failure;
  for (int i = 0; i < samples && failure.ok(); ++i) {
    runtime::PodSandboxConfig sc;
    sc.pod_uid = "calibrate-" + std::to_string(rng());
    sc.pod_namespace = "navarch-calibrate";
    sc.pod_name = "calibrate-" + std::to_string(i);
    sc.node_name = "calibrate";
    sc.restart_policy = "Always";
    auto t0 = WallClock::now();
    auto pulled = OnLoop<Result<std::string>>(
        clock, [&](auto done) { docker.PullImage(image, std::move(done)); });
    if (!pulled.ok() && pulled.code() != Code::kNotSupported) {
      failure = pulled.status().WithContext("checking image " + image);
      break;
    }
    pull.Add(WallClock::now() - t0);
    t0 = WallClock::now();
    auto sb = OnLoop<Result<runtime::RunPodSandboxResult>>(
        clock, [&](auto done) { docker.RunPodSandbox(sc, std::move(done)); });
    if (!sb.ok()) {
      failure = sb.status().WithContext("starting a pod sandbox");
      break;
    }
    sandbox.Add(WallClock::now() - t0);
    runtime::ContainerConfig cc;
    cc.name = "c";
    cc.image = image;
    // Exits promptly on SIGTERM, as a well-behaved server does.
    cc.command = {"sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"};
    t0 = WallClock::now();
    auto id = OnLoop<Result<runtime::ContainerId>>(
        clock, [&](auto done) { docker.CreateContainer(sb->id, cc, std::move(done)); });
    Status st =
        id.ok()
            ? OnLoop<Status>(clock, [&](auto done) { docker.StartContainer(*id, std::move(done)); })
            : id.status();
    if (st.ok()) {
      start.Add(WallClock::now() - t0);
      // Let it settle into its loop before the stop is timed.
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      t0 = WallClock::now();
      st = OnLoop<Status>(
          clock, [&](auto done) { docker.StopContainer(*id, seconds(10), std::move(done)); });
      if (st.ok()) stop.Add(WallClock::now() - t0);
    }
    remove_pod(sb->id, id.ok() ? *id : runtime::ContainerId());
    if (!st.ok()) failure = st.WithContext("starting and stopping a container of " + image);
  }
  // Concurrent starts: `concurrency` pods (sandbox, then container) at once
  // on the one engine, as the Docker backend's nodes start pods together.
  // Under the simulator's model the i-th of them (0-based) starts while i
  // others are in progress, so on average a start is slowed by
  // startContention * (concurrency - 1) / 2; the measured slowdown of a pod's
  // whole start against the sequential ones gives startContention.
  double contention = 0;
  Samples together;
  const int rounds = 3;  // of `concurrency` pods each, averaged
  for (int round = 0; round < rounds && failure.ok() && concurrency > 1; ++round) {
    struct Pod {
      runtime::SandboxId sandbox;
      runtime::ContainerId container;
      WallClock::duration took{};
      Status status;
    };
    std::vector<Pod> pods(static_cast<size_t>(concurrency));
    runtime::ContainerConfig cc;
    cc.name = "c";
    cc.image = image;
    cc.command = {"sleep", "3600"};
    (void)OnLoop<int>(clock, [&](auto done) {
      auto left = std::make_shared<int>(concurrency);
      auto finish = [left, done](Pod& pod, Status st) mutable {
        pod.status = std::move(st);
        if (--*left == 0) done(0);
      };
      for (int i = 0; i < concurrency; ++i) {
        Pod& pod = pods[static_cast<size_t>(i)];
        runtime::PodSandboxConfig sc;
        sc.pod_uid = "calibrate-" + std::to_string(rng());
        sc.pod_namespace = "navarch-calibrate";
        sc.pod_name = "calibrate-together-" + std::to_string(round) + "-" + std::to_string(i);
        sc.node_name = "calibrate";
        sc.restart_policy = "Always";
        const auto t0 = WallClock::now();
        docker.RunPodSandbox(sc, [&, t0, finish](Result<runtime::RunPodSandboxResult> sb) mutable {
          if (!sb.ok()) return finish(pod, sb.status());
          pod.sandbox = sb->id;
          docker.CreateContainer(sb->id, cc,
                                 [&, t0, finish](Result<runtime::ContainerId> id) mutable {
                                   if (!id.ok()) return finish(pod, id.status());
                                   pod.container = *id;
                                   docker.StartContainer(*id, [&, t0, finish](Status st) mutable {
                                     pod.took = WallClock::now() - t0;
                                     finish(pod, std::move(st));
                                   });
                                 });
        });
      }
    });
    for (Pod& pod : pods) {
      if (!pod.status.ok() && failure.ok()) {
        failure = pod.status.WithContext("starting pods together");
      }
      if (pod.status.ok()) together.Add(pod.took);
      remove_pod(pod.sandbox, pod.container);
    }
  }
  if (failure.ok() && concurrency > 1) {
    const double alone = sandbox.Mean() + start.Mean();
    const double slowdown = together.Mean() / alone;
    contention = std::max(0.0, (slowdown - 1) / ((concurrency - 1) / 2.0));
  }
  clock.Stop();
  if (!failure.ok()) {
    std::cerr << "navarch calibrate: " << failure.message() << "\n";
    return 1;
  }
  std::ofstream f(out);
  f << "# A runtime model measured by `navarch calibrate` on the local Docker engine\n"
    << "# (" << samples << " pods of " << image << "). Use it with\n"
    << "#   navarch sim SCENARIO --runtime-model " << out << "\n"
    << "# or paste the fields into a scenario's `runtime:` section.\n"
    << "runtime:\n"
    << "  imagePull: " << pull.Distribution() << "   # the image is local: the check only\n"
    << "  sandboxStart: " << sandbox.Distribution() << "\n"
    << "  containerStart: " << start.Distribution() << "   # create + start\n"
    << "  containerStop: " << stop.Distribution() << "   # graceful stop (SIGTERM handled)\n";
  if (concurrency > 1) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "  startContention: %.3f   # %d x %d pods at once took %.0f ms each on average, "
                  "alone %.0f ms\n",
                  contention, rounds, concurrency, together.Mean(), sandbox.Mean() + start.Mean());
    f << buf
      << "  sharedEngine: true   # one engine for every node, as the Docker backend on one "
         "machine\n";
  }
  f.close();
  if (!f) {
    std::cerr << "navarch calibrate: cannot write " << out << "\n";
    return 1;
  }
  std::cout << "image check       " << pull.Summary() << "\n"
            << "sandbox start     " << sandbox.Summary() << "\n"
            << "container start   " << start.Summary() << "\n"
            << "container stop    " << stop.Summary() << "\n";
  if (concurrency > 1) {
    std::cout << "pods started together (" << rounds << " x " << concurrency
              << ", sandbox + container) " << together.Summary() << "; contention " << contention
              << " per concurrent start\n";
  }
  std::cout << "wrote " << out << "\n";
  return 0;
}

}  // namespace navarch::cmd
