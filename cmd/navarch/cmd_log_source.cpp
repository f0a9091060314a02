#include "cmd/navarch/cmd_log_source.h"

#include <future>

namespace navarch::cmd {

void RuntimeLogSource::AddNode(const std::string& node, runtime::ContainerRuntime* rt) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_[node] = rt;
}

void RuntimeLogSource::RemoveNode(const std::string& node) {
  std::lock_guard<std::mutex> lock(mu_);
  nodes_.erase(node);
}

bool RuntimeLogSource::Serves(const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_.contains(node);
}

Result<runtime::ContainerRuntime*> RuntimeLogSource::RuntimeOf(const std::string& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = nodes_.find(node);
  if (it == nodes_.end()) {
    return NotFound("node " + node +
                    " is not run by this process, so its logs cannot be read here");
  }
  return it->second;
}

namespace {

runtime::LogOptions ToRuntime(const apiserver::LogSource::Options& o, bool follow) {
  runtime::LogOptions lo;
  if (o.tail_lines) lo.tail_lines = *o.tail_lines;
  lo.timestamps = o.timestamps;
  lo.follow = follow;
  return lo;
}

}  // namespace

Result<std::string> RuntimeLogSource::RunningContainer(runtime::ContainerRuntime* rt,
                                                       const std::string& node,
                                                       const std::string& container_id) {
  NAVARCH_RETURN_IF_ERROR(apiserver::ValidateContainerId(container_id, "containerID"));
  const std::string id(apiserver::RuntimeContainerId(container_id));
  // Only a container this node's kubelet created (it stamps the node's name
  // on each) is served: the runtime may run others (a shared Docker daemon).
  auto done = std::make_shared<std::promise<Result<std::vector<runtime::ContainerStatus>>>>();
  auto future = done->get_future();
  runtime::ContainerFilter filter;
  filter.id = id;
  filter.labels[std::string(runtime::kLabelNodeName)] = node;
  clock_.Post([rt, filter, done] {
    rt->ListContainers(filter, [done](Result<std::vector<runtime::ContainerStatus>> r) {
      done->set_value(std::move(r));
    });
  });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return Unavailable("the container runtime did not list containers within 30 s");
  }
  NAVARCH_ASSIGN_OR_RETURN(auto list, future.get());
  for (const auto& c : list) {
    if (c.id == id) return id;
  }
  return NotFound("container " + container_id + " is not run by node " + node +
                  "; its kubelet serves the logs of its own containers only");
}

Result<std::string> RuntimeLogSource::Read(const api::Pod& pod, const Options& options) {
  NAVARCH_ASSIGN_OR_RETURN(std::string id, apiserver::LogContainerId(pod, options));
  return ReadContainer(pod.spec->node_name, id, options);
}

Result<std::string> RuntimeLogSource::ReadContainer(const std::string& node,
                                                    const std::string& container_id,
                                                    const Options& options) {
  NAVARCH_ASSIGN_OR_RETURN(runtime::ContainerRuntime * rt, RuntimeOf(node));
  NAVARCH_ASSIGN_OR_RETURN(const std::string id, RunningContainer(rt, node, container_id));
  struct Shared {
    std::string text;
    std::promise<Status> done;
    std::unique_ptr<runtime::LogStream> stream;
  };
  auto shared = std::make_shared<Shared>();
  auto future = shared->done.get_future();
  const runtime::LogOptions lo = ToRuntime(options, false);
  clock_.Post([shared, rt, id, lo] {
    shared->stream = rt->ContainerLogs(
        id, lo, [shared](std::string_view chunk) { shared->text.append(chunk); },
        [shared](Status s) { shared->done.set_value(std::move(s)); });
  });
  if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
    return Unavailable("the container runtime did not answer a log read within 30 s");
  }
  NAVARCH_RETURN_IF_ERROR(future.get());
  std::string text = std::move(shared->text);
  if (options.limit_bytes && *options.limit_bytes >= 0 &&
      text.size() > static_cast<size_t>(*options.limit_bytes)) {
    text.resize(static_cast<size_t>(*options.limit_bytes));
  }
  return text;
}

Status RuntimeLogSource::Follow(const api::Pod& pod, const Options& options,
                                std::shared_ptr<apiserver::StreamWriter> out) {
  NAVARCH_ASSIGN_OR_RETURN(std::string id, apiserver::LogContainerId(pod, options));
  return FollowContainer(pod.spec->node_name, id, options, std::move(out));
}

Status RuntimeLogSource::FollowContainer(const std::string& node, const std::string& container_id,
                                         const Options& options,
                                         std::shared_ptr<apiserver::StreamWriter> out) {
  NAVARCH_ASSIGN_OR_RETURN(runtime::ContainerRuntime * rt, RuntimeOf(node));
  NAVARCH_ASSIGN_OR_RETURN(const std::string id, RunningContainer(rt, node, container_id));
  struct Target {
    runtime::ContainerRuntime* rt;
    std::string container_id;
  };
  const Target t{rt, id};
  struct Shared {
    std::unique_ptr<runtime::LogStream> stream;
    bool closed = false;  // loop thread only
  };
  auto shared = std::make_shared<Shared>();
  const runtime::LogOptions lo = ToRuntime(options, true);
  runtime::Clock* clock = &clock_;
  out->OnClosed([clock, shared] {
    clock->Post([shared] {
      shared->closed = true;
      if (shared->stream) shared->stream->Cancel();
      shared->stream.reset();
    });
  });
  clock_.Post([shared, t, lo, out] {
    if (shared->closed) return;
    auto sink = [out](std::string_view chunk) { out->Write(std::string(chunk)); };
    shared->stream =
        t.rt->ContainerLogs(t.container_id, lo, sink, [shared, t, lo, out, sink](Status s) {
          if (s.code() == Code::kNotSupported && !shared->closed) {
            // A runtime that cannot follow (the simulated one): what it has
            // logged so far, then the end of the stream.
            runtime::LogOptions once = lo;
            once.follow = false;
            shared->stream = t.rt->ContainerLogs(t.container_id, once, sink, [out](Status s2) {
              if (!s2.ok()) out->Write("error: " + s2.ToString() + "\n");
              out->Finish();
            });
            return;
          }
          if (!s.ok()) out->Write("error: " + s.ToString() + "\n");
          out->Finish();
        });
  });
  return Status::Ok();
}

}  // namespace navarch::cmd
