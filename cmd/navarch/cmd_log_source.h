#pragma once
// RuntimeLogSource: where the in-process API server of `navarch up` reads
// container logs for pods/log (`kubectl logs`): straight from the container
// runtime of the node the pod runs on, on the components' loop.

#include <map>
#include <mutex>
#include <string>

#include "core/apiserver/rest.h"
#include "core/runtime/clock.h"
#include "core/runtime/container_runtime.h"

namespace navarch::cmd {

class RuntimeLogSource final : public apiserver::LogSource {
 public:
  // `clock` is the loop the runtimes run on; Read/Follow must not be called
  // on that loop's thread (they wait for it).
  explicit RuntimeLogSource(runtime::Clock& clock) : clock_(clock) {}

  // Registers the runtime of a node (before the server serves requests, or
  // under the internal lock at any time). The runtime must outlive the source
  // or be removed first.
  void AddNode(const std::string& node, runtime::ContainerRuntime* rt);
  void RemoveNode(const std::string& node);

  Result<std::string> Read(const api::Pod& pod, const Options& options) override;
  Status Follow(const api::Pod& pod, const Options& options,
                std::shared_ptr<apiserver::StreamWriter> out) override;

 private:
  struct Target {
    runtime::ContainerRuntime* rt = nullptr;
    std::string container_id;
  };
  Result<Target> Find(const api::Pod& pod, const Options& options);

  runtime::Clock& clock_;
  std::mutex mu_;
  std::map<std::string, runtime::ContainerRuntime*> nodes_;
};

}  // namespace navarch::cmd
