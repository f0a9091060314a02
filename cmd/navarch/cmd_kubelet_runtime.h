#pragma once
// The kubelet's flags and container runtime, shared by `navarch kubelet` and
// `navarch up`: the simulated runtime (sim::SimRuntime on the real-time
// clock, with a runtime model from a scenario-style YAML file) or Docker
// (backends/docker DockerRuntime).

#include <boost/program_options.hpp>
#include <memory>
#include <string>

#include "core/base/status.h"
#include "core/client/api.h"
#include "core/kubelet/options.h"
#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"
#include "sim/runtime_model.h"

namespace navarch::cmd {

struct KubeletFlags {
  std::string node_name;
  std::string runtime = "sim";  // sim | docker
  std::string runtime_model;    // YAML file with a `runtime:` section (sim)
  std::string cpu = "4";
  std::string memory = "8Gi";
  int64_t pods = 110;
  std::string labels;  // k=v,k2=v2
  std::string node_ip = "127.0.0.1";
  std::string pod_ip_prefix = "10.128.0.";  // sim: pod IPs are PREFIX1..PREFIX254
  std::string heartbeat = "10s";
  uint64_t seed = 0;  // sim: 0 = derived from the node name
  std::string docker_socket = "/var/run/docker.sock";
  std::string sandbox_image = "navarch/pause:1";

  void Add(boost::program_options::options_description& desc);
  // kInvalidArgument naming the flag for a bad value.
  Result<kubelet::KubeletOptions> BuildOptions() const;
};

// Owns a container runtime and what it needs (the sim model).
// A runtime model from a YAML file: a `runtime:` section, or the fields
// alone (what --runtime-model takes). "" = the defaults.
Result<sim::RuntimeModel> LoadRuntimeModel(const std::string& path);

class KubeletRuntime {
 public:
  virtual ~KubeletRuntime() = default;
  virtual runtime::ContainerRuntime& runtime() = 0;
};

// The runtime a kubelet drives, from its flags (the simulated one never
// reads the Api). Docker: kUnavailable when dockerd cannot be reached.
Result<std::unique_ptr<KubeletRuntime>> MakeKubeletRuntime(const KubeletFlags& flags,
                                                           runtime::Clock& clock);

}  // namespace navarch::cmd
