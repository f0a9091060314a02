#pragma once
// RuntimeLogSource: where the in-process API server of `navarch up` reads
// container logs for pods/log (`kubectl logs`): straight from the container
// runtime of the node the pod runs on, on the components' loop; and the
// reader behind `navarch kubelet`'s log endpoint (core/apiserver/kubelet_logs.h).

#include <map>
#include <mutex>
#include <string>

#include "core/apiserver/kubelet_logs.h"
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
  bool Serves(const std::string& node) const override;

  // By container id ("[<runtime>://]<id>", checked against the grammar of
  // core/apiserver/kubelet_endpoint.h), from the runtime of `node`; kNotFound
  // unless the runtime runs that container for `node`.
  Result<std::string> ReadContainer(const std::string& node, const std::string& container_id,
                                    const Options& options);
  Status FollowContainer(const std::string& node, const std::string& container_id,
                         const Options& options, std::shared_ptr<apiserver::StreamWriter> out);

 private:
  Result<runtime::ContainerRuntime*> RuntimeOf(const std::string& node) const;
  // The runtime's id of `container_id` when `rt` runs it for `node`.
  Result<std::string> RunningContainer(runtime::ContainerRuntime* rt, const std::string& node,
                                       const std::string& container_id);

  runtime::Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, runtime::ContainerRuntime*> nodes_;
};

// The log endpoint's reader of one node of a RuntimeLogSource (what
// `navarch kubelet` serves on --log-listen).
class NodeLogReader final : public apiserver::ContainerLogReader {
 public:
  NodeLogReader(RuntimeLogSource& source, std::string node)
      : source_(source), node_(std::move(node)) {}
  Result<std::string> ReadContainer(const std::string& container_id,
                                    const apiserver::LogSource::Options& options) override {
    return source_.ReadContainer(node_, container_id, options);
  }
  Status FollowContainer(const std::string& container_id,
                         const apiserver::LogSource::Options& options,
                         std::shared_ptr<apiserver::StreamWriter> out) override {
    return source_.FollowContainer(node_, container_id, options, std::move(out));
  }

 private:
  RuntimeLogSource& source_;
  std::string node_;
};

}  // namespace navarch::cmd
