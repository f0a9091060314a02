#include "backends/docker/docker_runtime.h"

#include <future>
#include <utility>

#include "backends/docker/docker_client.h"
#include "backends/docker/docker_ops.h"

namespace navarch::docker {
namespace {

Status ValidateOptions(const DockerOptions& o) {
  if (o.socket.empty()) {
    return InvalidArgument(
        "docker runtime: the socket path is empty; give the path of dockerd's "
        "unix socket (usually /var/run/docker.sock)");
  }
  if (o.sandbox_image.empty()) {
    return InvalidArgument(
        "docker runtime: the sandbox image is empty; name a local image that "
        "sleeps until SIGTERM (scripts/build-images builds navarch/pause:1)");
  }
  if (o.publish_ip.empty() || o.host_ip.empty()) {
    return InvalidArgument(
        "docker runtime: publish_ip and host_ip must be IP addresses "
        "(for example 127.0.0.1)");
  }
  if (o.request_timeout.count() <= 0) {
    return InvalidArgument("docker runtime: the request timeout must be positive");
  }
  return Status::Ok();
}

class DockerLogStream final : public runtime::LogStream {
 public:
  DockerLogStream(StreamCancel cancel, std::shared_ptr<bool> active)
      : cancel_(std::move(cancel)), active_(std::move(active)) {}
  ~DockerLogStream() override { Cancel(); }
  void Cancel() override {
    *active_ = false;
    cancel_.Cancel();
  }

 private:
  StreamCancel cancel_;
  std::shared_ptr<bool> active_;  // read and written on the loop only
};

}  // namespace

DockerRuntime::DockerRuntime(runtime::Clock& clock, DockerOptions options)
    : clock_(clock),
      options_(std::move(options)),
      events_cancel_(std::make_unique<StreamCancel>()),
      client_(std::make_unique<DockerClient>(options_.socket)),
      ops_(std::make_unique<Ops>(*client_, options_, clock_)) {}

DockerRuntime::~DockerRuntime() {
  *alive_ = false;
  events_cancel_->Cancel();
  client_.reset();  // stops and joins the I/O thread; no completion is posted after this
  ops_.reset();
}

Result<std::unique_ptr<DockerRuntime>> DockerRuntime::Create(runtime::Clock& clock,
                                                             DockerOptions options) {
  NAVARCH_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<DockerRuntime> rt(new DockerRuntime(clock, std::move(options)));
  rt->StartEvents();
  return rt;
}

Result<std::unique_ptr<DockerRuntime>> DockerRuntime::Connect(runtime::Clock& clock,
                                                              DockerOptions options) {
  NAVARCH_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<DockerRuntime> rt(new DockerRuntime(clock, std::move(options)));
  std::promise<Result<std::string>> promise;
  auto future = promise.get_future();
  rt->client_->Spawn(rt->ops_->Version(),
                     [&promise](Result<std::string> r) { promise.set_value(std::move(r)); });
  Result<std::string> version = future.get();
  if (!version.ok()) return version.status();
  {
    std::lock_guard<std::mutex> lock(rt->mu_);
    rt->version_ = *version;
  }
  rt->StartEvents();
  return rt;
}

std::string DockerRuntime::Describe() const {
  std::lock_guard<std::mutex> lock(mu_);
  return "docker(unix://" + options_.socket + ", " + version_ + ")";
}

template <class T, class Coro>
void DockerRuntime::Run(Coro coro, std::function<void(T)> done) {
  client_->Spawn(
      std::move(coro), [clock = &clock_, alive = alive_, done = std::move(done)](T result) mutable {
        clock->Post([alive, done = std::move(done), result = std::move(result)]() mutable {
          if (*alive) done(std::move(result));
        });
      });
}

void DockerRuntime::StartEvents() {
  auto deliver = [clock = &clock_, alive = alive_, handler = handler_](runtime::ContainerEvent ev) {
    clock->Post([alive, handler, ev = std::move(ev)] {
      if (*alive && *handler) (*handler)(ev);
    });
  };
  client_->Spawn(ops_->Events(std::move(deliver), *events_cancel_), [](Status) {});
  // The version, if Connect did not learn it.
  client_->Spawn(ops_->Version(), [this](Result<std::string> r) {
    if (!r.ok()) return;
    std::lock_guard<std::mutex> lock(mu_);
    version_ = *r;
  });
}

void DockerRuntime::SetEventHandler(runtime::ContainerEventHandler handler) {
  *handler_ = std::move(handler);
}

void DockerRuntime::RunPodSandbox(const runtime::PodSandboxConfig& config,
                                  runtime::Callback<runtime::RunPodSandboxResult> done) {
  Run<Result<runtime::RunPodSandboxResult>>(ops_->RunSandbox(config), std::move(done));
}

void DockerRuntime::StopPodSandbox(const runtime::SandboxId& id, Duration grace_period,
                                   runtime::StatusCallback done) {
  Run<Status>(ops_->StopSandbox(id, grace_period), std::move(done));
}

void DockerRuntime::RemovePodSandbox(const runtime::SandboxId& id, runtime::StatusCallback done) {
  Run<Status>(ops_->RemoveSandbox(id), std::move(done));
}

void DockerRuntime::ListPodSandboxes(
    const runtime::SandboxFilter& filter,
    runtime::Callback<std::vector<runtime::PodSandboxStatus>> done) {
  Run<Result<std::vector<runtime::PodSandboxStatus>>>(ops_->ListSandboxes(filter), std::move(done));
}

void DockerRuntime::PublishedPorts(const runtime::SandboxId& id,
                                   runtime::Callback<std::vector<runtime::PortMapping>> done) {
  Run<Result<std::vector<runtime::PortMapping>>>(ops_->PublishedPorts(id), std::move(done));
}

void DockerRuntime::CreateContainer(const runtime::SandboxId& sandbox,
                                    const runtime::ContainerConfig& config,
                                    runtime::Callback<runtime::ContainerId> done) {
  Run<Result<runtime::ContainerId>>(ops_->CreateContainer(sandbox, config), std::move(done));
}

void DockerRuntime::StartContainer(const runtime::ContainerId& id, runtime::StatusCallback done) {
  Run<Status>(ops_->StartContainer(id), std::move(done));
}

void DockerRuntime::StopContainer(const runtime::ContainerId& id, Duration timeout,
                                  runtime::StatusCallback done) {
  Run<Status>(ops_->StopContainer(id, timeout), std::move(done));
}

void DockerRuntime::RemoveContainer(const runtime::ContainerId& id, runtime::StatusCallback done) {
  Run<Status>(ops_->RemoveContainer(id), std::move(done));
}

void DockerRuntime::ListContainers(const runtime::ContainerFilter& filter,
                                   runtime::Callback<std::vector<runtime::ContainerStatus>> done) {
  Run<Result<std::vector<runtime::ContainerStatus>>>(ops_->ListContainers(filter), std::move(done));
}

void DockerRuntime::GetContainerStatus(const runtime::ContainerId& id,
                                       runtime::Callback<runtime::ContainerStatus> done) {
  Run<Result<runtime::ContainerStatus>>(ops_->InspectContainer(id), std::move(done));
}

std::unique_ptr<runtime::LogStream> DockerRuntime::ContainerLogs(const runtime::ContainerId& id,
                                                                 const runtime::LogOptions& options,
                                                                 runtime::LogSink sink,
                                                                 runtime::StatusCallback done) {
  StreamCancel cancel;
  auto active = std::make_shared<bool>(true);
  auto deliver = [clock = &clock_, alive = alive_, active, sink](std::string chunk) {
    clock->Post([alive, active, sink, chunk = std::move(chunk)] {
      if (*alive && *active) sink(chunk);
    });
  };
  Run<Status>(ops_->Logs(id, options, std::move(deliver), cancel),
              [active, done = std::move(done)](Status st) {
                if (*active) done(std::move(st));
              });
  return std::make_unique<DockerLogStream>(cancel, active);
}

void DockerRuntime::Exec(const runtime::ContainerId& id, const std::vector<std::string>& command,
                         Duration timeout, runtime::Callback<runtime::ExecResult> done) {
  Run<Result<runtime::ExecResult>>(ops_->Exec(id, command, timeout), std::move(done));
}

void DockerRuntime::Probe(const runtime::ContainerId& id, const runtime::ProbeSpec& probe,
                          runtime::Callback<runtime::ProbeResult> done) {
  Run<Result<runtime::ProbeResult>>(ops_->Probe(id, probe), std::move(done));
}

void DockerRuntime::PullImage(const std::string& image, runtime::Callback<std::string> done) {
  Run<Result<std::string>>(ops_->ImageId(image), std::move(done));
}

}  // namespace navarch::docker
