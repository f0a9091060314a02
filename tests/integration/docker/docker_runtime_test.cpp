// DockerRuntime at the seam, without a kubelet: published ports, resource
// limits, exec, probes, log streaming, stopping and removing sandboxes, and
// an unreachable daemon.

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>

#include "backends/docker/docker_client.h"
#include "tests/integration/docker/docker_fixture.h"

namespace navarch::docker::testing {
namespace {

using runtime::ContainerState;

// The daemon's inspect document of a container, through our own client.
boost::json::object Inspect(const std::string& id) {
  DockerClient client("/var/run/docker.sock");
  std::promise<Result<HttpResponse>> p;
  client.Spawn(client.Call(Verb::get, "/containers/" + id + "/json"),
               [&](Result<HttpResponse> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  if (!r.ok() || r->status != 200) return {};
  return boost::json::parse(r->body).as_object();
}

class DockerRuntimeTest : public DockerTest {
 protected:
  runtime::PodSandboxConfig Sandbox(const std::string& name) {
    runtime::PodSandboxConfig cfg;
    cfg.pod_uid = "uid-" + run_id_ + "-" + name;
    cfg.pod_namespace = "default";
    cfg.pod_name = name;
    cfg.node_name = node_;
    return cfg;
  }
  runtime::ContainerConfig Container(const std::string& name, std::string script) {
    runtime::ContainerConfig c;
    c.name = name;
    c.image = kBusybox;
    c.command = {"sh", "-c", std::move(script)};
    return c;
  }
  Result<runtime::ContainerId> Run(const runtime::SandboxId& sb,
                                   const runtime::ContainerConfig& c) {
    auto id = RuntimeCall<runtime::ContainerId>(
        [&](auto done) { runtime_->CreateContainer(sb, c, done); });
    if (!id.ok()) return id;
    Status st = RuntimeStatus([&](auto done) { runtime_->StartContainer(*id, done); });
    if (!st.ok()) return st;
    return id;
  }
};

TEST_F(DockerRuntimeTest, AllocatedPortIsPublishedOnLoopbackAndProbesReachIt) {
  auto cfg = Sandbox("ports");
  cfg.port_mappings.push_back(runtime::PortMapping{.container_port = 8080});
  auto sb = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(cfg, done); });
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto ports = RuntimeCall<std::vector<runtime::PortMapping>>(
      [&](auto done) { runtime_->PublishedPorts(sb->id, done); });
  ASSERT_TRUE(ports.ok()) << ports.status();
  ASSERT_EQ(ports->size(), 1u);
  EXPECT_EQ((*ports)[0].container_port, 8080);
  EXPECT_EQ((*ports)[0].host_ip, "127.0.0.1");
  EXPECT_GT((*ports)[0].host_port, 0);

  auto web = Container(
      "web", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www");
  auto id = Run(sb->id, web);
  ASSERT_TRUE(id.ok()) << id.status();
  runtime::ProbeSpec http{
      .type = runtime::ProbeSpec::Type::kHttpGet, .path = "/index.html", .port = 8080};
  bool ok = false;
  for (int i = 0; i < 50 && !ok; ++i) {
    auto r =
        RuntimeCall<runtime::ProbeResult>([&](auto done) { runtime_->Probe(*id, http, done); });
    ASSERT_TRUE(r.ok()) << r.status();
    ok = r->success;
    if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ok);
  http.path = "/missing";
  auto missing =
      RuntimeCall<runtime::ProbeResult>([&](auto done) { runtime_->Probe(*id, http, done); });
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(missing->success);
  EXPECT_NE(missing->message.find("404"), std::string::npos) << missing->message;

  runtime::ProbeSpec tcp{.type = runtime::ProbeSpec::Type::kTcpSocket, .port = 8080};
  auto t = RuntimeCall<runtime::ProbeResult>([&](auto done) { runtime_->Probe(*id, tcp, done); });
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->success) << t->message;
  tcp.port = 9999;  // nothing listens (not published: probed at the pod IP)
  auto refused =
      RuntimeCall<runtime::ProbeResult>([&](auto done) { runtime_->Probe(*id, tcp, done); });
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->success);

  // A second sandbox asking for the same host port is refused clearly.
  auto taken = Sandbox("taken");
  taken.port_mappings.push_back(
      runtime::PortMapping{.container_port = 80, .host_port = (*ports)[0].host_port});
  auto second = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(taken, done); });
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Code::kInvalidArgument) << second.status();
  EXPECT_NE(second.status().message().find("default/taken"), std::string::npos) << second.status();
}

TEST_F(DockerRuntimeTest, LimitsCommandEnvAndExec) {
  auto sb = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(Sandbox("limits"), done); });
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto c = Container("main", "echo \"$GREETING $0\"; exec sleep 3600");
  c.args = {"from-args"};
  c.env = {{"GREETING", "hello"}};
  c.cpu_limit_millis = 250;
  c.memory_limit_bytes = 64ll << 20;
  c.attempt = 4;
  auto id = Run(sb->id, c);
  ASSERT_TRUE(id.ok()) << id.status();
  auto doc = Inspect(*id);
  const auto& host = doc.at("HostConfig").as_object();
  EXPECT_EQ(host.at("NanoCpus").as_int64(), 250'000'000);
  EXPECT_EQ(host.at("Memory").as_int64(), 64ll << 20);
  EXPECT_EQ(std::string(host.at("NetworkMode").as_string()), "container:" + sb->id);
  EXPECT_EQ(std::string(host.at("RestartPolicy").at("Name").as_string()), "no");

  auto st = RuntimeCall<runtime::ContainerStatus>(
      [&](auto done) { runtime_->GetContainerStatus(*id, done); });
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->state, ContainerState::kRunning);
  EXPECT_EQ(st->attempt, 4u);
  EXPECT_EQ(st->sandbox_id, sb->id);
  EXPECT_FALSE(st->started_at.IsZero());
  EXPECT_EQ(st->image_ref.rfind("sha256:", 0), 0u);
  std::string logs;
  for (int i = 0; i < 50 && logs.empty(); ++i) {
    logs = Logs(*id);
    if (logs.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(logs, "hello from-args\n");

  auto ex = RuntimeCall<runtime::ExecResult>([&](auto done) {
    runtime_->Exec(*id, {"sh", "-c", "echo out; echo err >&2; exit 7"}, seconds(10), done);
  });
  ASSERT_TRUE(ex.ok()) << ex.status();
  EXPECT_EQ(ex->exit_code, 7);
  EXPECT_NE(ex->output.find("out\n"), std::string::npos);
  EXPECT_NE(ex->output.find("err\n"), std::string::npos);

  auto slow = RuntimeCall<runtime::ProbeResult>([&](auto done) {
    runtime_->Probe(*id,
                    runtime::ProbeSpec{.type = runtime::ProbeSpec::Type::kExec,
                                       .command = {"sleep", "5"},
                                       .timeout = seconds(1)},
                    done);
  });
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_FALSE(slow->success);
  EXPECT_NE(slow->message.find("timed out"), std::string::npos) << slow->message;
}

TEST_F(DockerRuntimeTest, FollowedLogsStreamUntilCancelled) {
  auto sb = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(Sandbox("follow"), done); });
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto id = Run(sb->id,
                Container("main", "i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.1; done"));
  ASSERT_TRUE(id.ok()) << id.status();
  auto text = std::make_shared<std::string>();
  auto chunks_after_cancel = std::make_shared<int>(0);
  auto cancelled = std::make_shared<bool>(false);
  std::unique_ptr<runtime::LogStream> stream;
  OnLoop([&] {
    runtime::LogOptions o;
    o.follow = true;
    stream = runtime_->ContainerLogs(
        *id, o,
        [=](std::string_view chunk) {
          if (*cancelled) ++*chunks_after_cancel;
          text->append(chunk);
        },
        [=](Status) {
          if (*cancelled) ++*chunks_after_cancel;
        });
  });
  ASSERT_TRUE(WaitFor([&] { return text->find("tick5\n") != std::string::npos; }, seconds(20)))
      << *text;
  OnLoop([&] {
    stream->Cancel();
    *cancelled = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(OnLoop([&] { return *chunks_after_cancel; }), 0);
  EXPECT_EQ(text->rfind("tick1\n", 0), 0u) << *text;
  OnLoop([&] { stream.reset(); });
}

TEST_F(DockerRuntimeTest, StopAndRemoveSandboxTakeItsContainers) {
  auto sb = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(Sandbox("stopper"), done); });
  ASSERT_TRUE(sb.ok()) << sb.status();
  // A container that ignores SIGTERM is killed after the grace period.
  auto id = Run(sb->id, Container("stubborn", "trap '' TERM; while true; do sleep 1; done"));
  ASSERT_TRUE(id.ok()) << id.status();
  Status st = RuntimeStatus([&](auto done) { runtime_->StopPodSandbox(sb->id, seconds(1), done); });
  ASSERT_TRUE(st.ok()) << st;
  auto cs = RuntimeCall<runtime::ContainerStatus>(
      [&](auto done) { runtime_->GetContainerStatus(*id, done); });
  ASSERT_TRUE(cs.ok()) << cs.status();
  EXPECT_EQ(cs->state, ContainerState::kExited);
  EXPECT_EQ(cs->exit_code, 137);
  auto sbs = RuntimeCall<std::vector<runtime::PodSandboxStatus>>(
      [&](auto done) { runtime_->ListPodSandboxes(runtime::SandboxFilter{.id = sb->id}, done); });
  ASSERT_TRUE(sbs.ok());
  ASSERT_EQ(sbs->size(), 1u);
  EXPECT_EQ((*sbs)[0].state, runtime::SandboxState::kNotReady);
  // Creating in a stopped sandbox: kNotFound (the kubelet makes a new one).
  auto late = RuntimeCall<runtime::ContainerId>(
      [&](auto done) { runtime_->CreateContainer(sb->id, Container("late", "true"), done); });
  EXPECT_EQ(late.code(), Code::kNotFound) << late.status();

  st = RuntimeStatus([&](auto done) { runtime_->RemovePodSandbox(sb->id, done); });
  ASSERT_TRUE(st.ok()) << st;
  auto gone = RuntimeCall<runtime::ContainerStatus>(
      [&](auto done) { runtime_->GetContainerStatus(*id, done); });
  EXPECT_EQ(gone.code(), Code::kNotFound);
  st = RuntimeStatus([&](auto done) { runtime_->RemovePodSandbox(sb->id, done); });
  EXPECT_EQ(st.code(), Code::kNotFound);
}

// Two runtimes with different extra labels on one dockerd (two `navarch run`s
// of one scenario: the same node names) never see each other's sandboxes or
// containers, so a kubelet never adopts or kills another run's.
TEST_F(DockerRuntimeTest, ExtraLabelsScopeWhatARuntimeLists) {
  auto sb = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(Sandbox("mine"), done); });
  ASSERT_TRUE(sb.ok()) << sb.status();
  auto id = Run(sb->id, Container("c", "while true; do sleep 1; done"));
  ASSERT_TRUE(id.ok()) << id.status();
  DockerOptions other_options = Options();
  other_options.extra_labels["io.navarch.test.other"] = "1";
  auto other = OnLoop([&] { return DockerRuntime::Connect(clock_, other_options); });
  ASSERT_TRUE(other.ok()) << other.status();
  auto theirs = RuntimeCall<std::vector<runtime::PodSandboxStatus>>(
      [&](auto done) { (*other)->ListPodSandboxes({}, done); });
  ASSERT_TRUE(theirs.ok()) << theirs.status();
  EXPECT_TRUE(theirs->empty());
  auto their_containers = RuntimeCall<std::vector<runtime::ContainerStatus>>(
      [&](auto done) { (*other)->ListContainers({}, done); });
  ASSERT_TRUE(their_containers.ok());
  EXPECT_TRUE(their_containers->empty());
  // The runtime that made them still lists them.
  auto mine = RuntimeCall<std::vector<runtime::ContainerStatus>>(
      [&](auto done) { runtime_->ListContainers({}, done); });
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(mine->size(), 1u);
  OnLoop([&] { other->reset(); });
}

TEST_F(DockerRuntimeTest, ContainerThatCannotRunIsReportedExited) {
  auto sb = RuntimeCall<runtime::RunPodSandboxResult>(
      [&](auto done) { runtime_->RunPodSandbox(Sandbox("norun"), done); });
  ASSERT_TRUE(sb.ok()) << sb.status();
  runtime::ContainerConfig c;
  c.name = "main";
  c.image = kBusybox;
  c.command = {"/no/such/binary"};
  auto id = Run(sb->id, c);
  ASSERT_TRUE(id.ok()) << id.status();
  auto st = RuntimeCall<runtime::ContainerStatus>(
      [&](auto done) { runtime_->GetContainerStatus(*id, done); });
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->state, ContainerState::kExited);
  EXPECT_EQ(st->reason, "ContainerCannotRun");
  EXPECT_NE(st->message.find("/no/such/binary"), std::string::npos) << st->message;
}

// No dockerd needed: a socket that does not exist.
TEST(DockerUnreachable, ConnectGivesAClearError) {
  realtime::AsioClock clock;
  DockerOptions o;
  o.socket = "/tmp/navarch-no-dockerd-here.sock";
  auto rt = DockerRuntime::Connect(clock, o);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.code(), Code::kUnavailable);
  EXPECT_NE(rt.status().message().find("cannot reach dockerd at /tmp/navarch-no-dockerd-here.sock"),
            std::string::npos)
      << rt.status();
  EXPECT_NE(rt.status().message().find("is dockerd running?"), std::string::npos) << rt.status();

  o.socket = "";
  EXPECT_EQ(DockerRuntime::Connect(clock, o).code(), Code::kInvalidArgument);
}

// A kubelet over an unreachable daemon keeps retrying and reports its Node
// not ready with the runtime's message.
TEST(DockerUnreachable, KubeletReportsTheNodeNotReadyAndRetries) {
  realtime::AsioClock clock;
  store::MemoryStore store;
  client::LocalApi api(store, clock);
  DockerOptions o;
  o.socket = "/tmp/navarch-no-dockerd-here.sock";
  auto rt = DockerRuntime::Create(clock, o);
  ASSERT_TRUE(rt.ok()) << rt.status();
  clock.Start();
  std::unique_ptr<kubelet::Kubelet> k;
  auto on_loop = [&](auto fn) {
    std::promise<void> p;
    clock.Post([&] {
      fn();
      p.set_value();
    });
    p.get_future().wait();
  };
  kubelet::KubeletOptions ko;
  ko.node_name = "unreachable-node";
  ko.runtime_retry = {milliseconds(200), seconds(1), minutes(10)};
  on_loop([&] {
    k = std::make_unique<kubelet::Kubelet>(api, clock, **rt, ko);
    ASSERT_TRUE(k->Start().ok());
  });
  std::string message;
  bool not_ready = false;
  for (int i = 0; i < 100 && !not_ready; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    on_loop([&] {
      auto node = api.Get<api::Node>("", "unreachable-node");
      if (!node.ok()) return;
      for (const auto& c : (*node)->status.conditions) {
        if (c.type == "Ready" && c.status == "False") {
          not_ready = true;
          message = c.message;
        }
      }
    });
  }
  EXPECT_TRUE(not_ready);
  EXPECT_NE(message.find("cannot reach dockerd at /tmp/navarch-no-dockerd-here.sock"),
            std::string::npos)
      << message;
  uint64_t failures = 0;
  on_loop([&] { failures = k->stats().runtime_failures; });
  EXPECT_GE(failures, 1u);
  on_loop([&] {
    k->Stop();
    k.reset();
    rt->reset();
  });
  clock.Stop();
}

}  // namespace
}  // namespace navarch::docker::testing
