#include "cmd/navarch/cmd_kubelet_runtime.h"

#include <sstream>

#include "backends/docker/docker_runtime.h"
#include "core/api/quantity.h"
#include "core/api/types.h"
#include "core/base/files.h"
#include "core/base/yaml.h"
#include "core/runtime/rng.h"
#include "sim/diagnostics.h"
#include "sim/runtime_model.h"
#include "sim/sim_runtime.h"

namespace navarch::cmd {

namespace po = boost::program_options;

void KubeletFlags::Add(po::options_description& desc) {
  desc.add_options()("node-name", po::value(&node_name), "the Node's name (required)")(
      "runtime", po::value(&runtime)->default_value(runtime),
      "container runtime: sim (simulated containers in real time) or docker")(
      "runtime-model", po::value(&runtime_model),
      "sim: YAML file with a scenario-style `runtime:` section (latencies, run times, crashes)")(
      "cpu", po::value(&cpu)->default_value(cpu), "node capacity: cpu")(
      "memory", po::value(&memory)->default_value(memory), "node capacity: memory")(
      "max-pods", po::value(&pods)->default_value(pods), "node capacity: pods")(
      "node-labels", po::value(&labels), "labels for the Node: k=v,k2=v2")(
      "node-ip", po::value(&node_ip)->default_value(node_ip), "the Node's InternalIP")(
      "pod-ip-prefix", po::value(&pod_ip_prefix)->default_value(pod_ip_prefix),
      "sim: pod IPs are PREFIX1 .. PREFIX254")(
      "heartbeat", po::value(&heartbeat)->default_value(heartbeat), "node status period")(
      "seed", po::value(&seed)->default_value(seed),
      "sim: random seed of the runtime model (0: derived from the node name)")(
      "docker-socket", po::value(&docker_socket)->default_value(docker_socket),
      "docker: the daemon's unix socket")("sandbox-image",
                                          po::value(&sandbox_image)->default_value(sandbox_image),
                                          "docker: the pod sandbox (pause) image");
}

Result<kubelet::KubeletOptions> KubeletFlags::BuildOptions() const {
  kubelet::KubeletOptions ko;
  ko.node_name = node_name;
  auto c = api::Quantity::Parse(cpu);
  if (!c.ok()) return InvalidArgument("--cpu: " + c.status().message());
  auto m = api::Quantity::Parse(memory);
  if (!m.ok()) return InvalidArgument("--memory: " + m.status().message());
  if (pods <= 0) return InvalidArgument("--max-pods: must be positive");
  ko.capacity[std::string(api::kResourceCpu)] = *c;
  ko.capacity[std::string(api::kResourceMemory)] = *m;
  ko.capacity[std::string(api::kResourcePods)] = api::Quantity::FromValue(pods);
  if (!labels.empty()) {
    std::stringstream ss(labels);
    std::string item;
    while (std::getline(ss, item, ',')) {
      const size_t eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        return InvalidArgument("--node-labels: \"" + item + "\" is not KEY=VALUE");
      }
      ko.labels[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  if (!node_ip.empty()) ko.addresses.push_back({"InternalIP", node_ip});
  ko.addresses.push_back({"Hostname", node_name});
  auto hb = ParseDuration(heartbeat);
  if (!hb.ok()) return InvalidArgument("--heartbeat: " + hb.status().message());
  if (*hb <= Duration{0}) return InvalidArgument("--heartbeat: must be positive");
  ko.node_status.heartbeat_period = *hb;
  if (runtime != "sim" && runtime != "docker") {
    return InvalidArgument("--runtime: \"" + runtime + "\" is not sim or docker");
  }
  return ko;
}

namespace {

class SimKubeletRuntime final : public KubeletRuntime {
 public:
  SimKubeletRuntime(runtime::Clock& clock, sim::RuntimeModel model, uint64_t seed,
                    sim::SimRuntimeOptions options)
      : model_(std::move(model)), runtime_(clock, model_, runtime::Rng(seed), std::move(options)) {}
  runtime::ContainerRuntime& runtime() override { return runtime_; }

 private:
  sim::RuntimeModel model_;
  sim::SimRuntime runtime_;
};

class DockerKubeletRuntime final : public KubeletRuntime {
 public:
  explicit DockerKubeletRuntime(std::unique_ptr<docker::DockerRuntime> rt) : rt_(std::move(rt)) {}
  runtime::ContainerRuntime& runtime() override { return *rt_; }

 private:
  std::unique_ptr<docker::DockerRuntime> rt_;
};

}  // namespace

Result<sim::RuntimeModel> LoadRuntimeModel(const std::string& path) {
  if (path.empty()) return sim::RuntimeModel();
  auto text = ReadBoundedFile(path, yaml::Limits().max_input_bytes, "--runtime-model");
  if (!text.ok()) return InvalidArgument(text.status().message());
  yaml::Loaded loaded = yaml::Load(*text);
  if (!loaded.ok) return InvalidArgument(path + ": not valid YAML: " + loaded.error.ToString());
  const yaml::Node root = loaded.documents[0];
  const yaml::Node section = root.Find("runtime") ? root.Find("runtime") : root;
  sim::Diagnostics diag(path);
  auto model = sim::RuntimeModel::Parse(section, "runtime", diag);
  if (!diag.ok() || !model)
    return diag.ok() ? InvalidArgument(path + ": not a runtime model") : diag.ToStatus();
  return std::move(*model);
}

namespace {

uint64_t SeedOf(const std::string& name) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

Result<std::unique_ptr<KubeletRuntime>> MakeKubeletRuntime(const KubeletFlags& flags,
                                                           runtime::Clock& clock) {
  if (flags.runtime == "docker") {
    docker::DockerOptions o;
    o.socket = flags.docker_socket;
    o.sandbox_image = flags.sandbox_image;
    if (!flags.node_ip.empty()) o.host_ip = flags.node_ip;
    NAVARCH_ASSIGN_OR_RETURN(auto rt, docker::DockerRuntime::Connect(clock, std::move(o)));
    return std::unique_ptr<KubeletRuntime>(new DockerKubeletRuntime(std::move(rt)));
  }
  NAVARCH_ASSIGN_OR_RETURN(sim::RuntimeModel model, LoadRuntimeModel(flags.runtime_model));
  sim::SimRuntimeOptions ro;
  ro.node_name = flags.node_name;
  if (!flags.node_ip.empty()) ro.node_ip = flags.node_ip;
  ro.pod_ip_prefix = flags.pod_ip_prefix;
  const uint64_t seed = flags.seed != 0 ? flags.seed : SeedOf(flags.node_name);
  return std::unique_ptr<KubeletRuntime>(
      new SimKubeletRuntime(clock, std::move(model), seed, std::move(ro)));
}

}  // namespace navarch::cmd
