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
  // A uniform distribution over what was seen, in whole milliseconds (at
  // least 1 ms): honest about the spread, no shape assumed.
  std::string Distribution() const {
    auto [lo, hi] = std::minmax_element(ms.begin(), ms.end());
    const long a = std::max(1L, std::lround(*lo));
    const long b = std::max(a, std::lround(*hi));
    char buf[96];
    if (a == b) {
      std::snprintf(buf, sizeof buf, "%ldms", a);
    } else {
      std::snprintf(buf, sizeof buf, "{uniform: {min: %ldms, max: %ldms}}", a, b);
    }
    return buf;
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
  int samples = 5;
  docker::DockerOptions o;
  desc.add_options()("help,h", "show this help")("out", po::value(&out)->default_value(out),
                                                 "where to write the runtime model")(
      "samples", po::value(&samples)->default_value(samples), "pods to start and stop (1-50)")(
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
  realtime::AsioClock clock;
  o.extra_labels["io.navarch.calibrate"] = "1";
  auto rt = docker::DockerRuntime::Connect(clock, o);
  if (!rt.ok()) {
    std::cerr << "navarch calibrate: " << rt.status().message() << "\n";
    return 1;
  }
  clock.Start();
  runtime::ContainerRuntime& docker = **rt;
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
    if (id.ok()) {
      (void)OnLoop<Status>(clock, [&](auto done) { docker.RemoveContainer(*id, std::move(done)); });
    }
    (void)OnLoop<Status>(
        clock, [&](auto done) { docker.StopPodSandbox(sb->id, seconds(0), std::move(done)); });
    (void)OnLoop<Status>(clock,
                         [&](auto done) { docker.RemovePodSandbox(sb->id, std::move(done)); });
    if (!st.ok()) failure = st.WithContext("starting and stopping a container of " + image);
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
  f.close();
  if (!f) {
    std::cerr << "navarch calibrate: cannot write " << out << "\n";
    return 1;
  }
  std::cout << "image check       " << pull.Summary() << "\n"
            << "sandbox start     " << sandbox.Summary() << "\n"
            << "container start   " << start.Summary() << "\n"
            << "container stop    " << stop.Summary() << "\n"
            << "wrote " << out << "\n";
  return 0;
}

}  // namespace navarch::cmd
