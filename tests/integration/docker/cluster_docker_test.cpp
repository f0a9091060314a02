// Whole-cluster tests on a real dockerd, driven only through the navarch
// binary, the real kubectl and the docker CLI:
//
//   * `navarch up --runtime docker --nodes 3` (API server, scheduler,
//     controllers and three Docker kubelets in one process) for the pod-level
//     behaviour: a pod runs as labelled Docker containers, containers of one
//     pod share localhost, crash back-off and restartCount, liveness restarts,
//     readiness in the Service's endpoints, `kubectl logs`, a Service through
//     `navarch proxy`, deleting an RC removes its containers;
//   * `navarch up --runtime docker --nodes 0 --without controllers` plus a
//     `navarch controller-manager` with short node-lifecycle timeouts and
//     separate `navarch kubelet --runtime docker` processes, for the tests that
//     kill a kubelet: a restarted kubelet adopts its running containers; a
//     kubelet gone for good gets its pods replaced on the other nodes.
//
// Every test works in its own namespace (e2e-<pid>-<n>); separate kubelets get
// node names with the same prefix. TearDown stops every process and removes
// every Docker container carrying those labels, also after a failure.
//
// Without a usable dockerd, the local images (scripts/build-images) or
// kubectl, a test FAILS under CI=true and is skipped loudly otherwise.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/kubectl/cluster_harness.h"

namespace navarch::testing {
namespace {

using std::chrono::seconds;

const char* const kNamespaceLabel = "io.navarch.pod.namespace";
const char* const kNodeLabel = "io.navarch.node.name";
const char* const kPodLabel = "io.navarch.pod.name";

std::string DockerPath() {
  const char* env = std::getenv("DOCKER");
  if (env && *env) return env;
  for (const char* p : {"/usr/bin/docker", "/usr/local/bin/docker"}) {
    if (access(p, X_OK) == 0) return p;
  }
  return "/usr/bin/docker";
}

// The docker CLI; `workdir` holds its captured output for a moment.
CommandResult Docker(std::vector<std::string> args, const std::string& workdir) {
  args.insert(args.begin(), DockerPath());
  return RunCommand(args, workdir);
}

// Ids (full) of the containers, running or not, carrying label `key=value`.
std::vector<std::string> ContainerIds(const std::string& key, const std::string& value,
                                      const std::string& workdir, bool all = true,
                                      const std::string& extra_filter = {}) {
  std::vector<std::string> args = {"ps", "-q", "--no-trunc", "--filter",
                                   "label=" + key + "=" + value};
  if (all) args.push_back("-a");
  if (!extra_filter.empty()) {
    args.push_back("--filter");
    args.push_back(extra_filter);
  }
  auto r = Docker(args, workdir);
  auto ids = Words(r.out);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void RemoveContainers(const std::string& key, const std::string& value,
                      const std::string& workdir) {
  auto ids = ContainerIds(key, value, workdir);
  if (ids.empty()) return;
  std::vector<std::string> args = {"rm", "-f", "-v"};
  args.insert(args.end(), ids.begin(), ids.end());
  auto r = Docker(args, workdir);
  if (r.exit_code != 0) std::cerr << "cleanup: docker rm failed: " << r.err;
}

// One HTTP/1.0 GET to 127.0.0.1:port; the body, or "" when the exchange
// failed.
std::string HttpGet(int port, const std::string& path = "/") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string resp;
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  const size_t body = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.find(" 200 ") == std::string::npos ||
      body == std::string::npos) {
    return "";
  }
  return resp.substr(body + 4);
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

class DockerClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NAVARCH_REQUIRE_KUBECTL();
    RequireDocker();
    if (HasFatalFailure() || IsSkipped()) return;
    static int counter = 0;
    ns_ = "e2e-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
  }

  void TearDown() override {
    if (HasFailure()) DumpLogs();
    // Processes first (no kubelet may restart what is removed next), then
    // every container of this test's namespace and nodes.
    for (auto& [name, p] : procs_) {
      if (p && p->Running()) {
        p->Signal(SIGKILL);
        p->Wait();
      }
    }
    if (up_ && up_->Running()) {
      up_->Signal(SIGKILL);
      up_->Wait();
    }
    if (!ns_.empty()) RemoveContainers(kNamespaceLabel, ns_, dir_.path());
    for (const auto& node : own_nodes_)
      RemoveContainers(kNodeLabel, node, dir_.path());
  }

  void RequireDocker() {
    auto info = Docker({"version", "--format", "{{.Server.Version}}"}, dir_.path());
    std::string why;
    if (access(DockerPath().c_str(), X_OK) != 0) {
      why = "the docker CLI is not at " + DockerPath() + " (set DOCKER=/path/to/docker)";
    } else if (info.exit_code != 0) {
      why = "dockerd is not reachable (" + Trim(info.err) + "); start dockerd";
    } else {
      for (const char* image : {"navarch/pause:1", "navarch/busybox:1"}) {
        if (Docker({"image", "inspect", image}, dir_.path()).exit_code != 0) {
          why = std::string("the local image ") + image + " is missing; run scripts/build-images";
          break;
        }
      }
    }
    if (why.empty()) return;
    if (InCi()) FAIL() << "CI=true and " << why;
    GTEST_SKIP() << "\n*** SKIPPED: " << why
                 << ".\n*** The whole-cluster Docker tests need dockerd and the local images. ***";
  }

  // `navarch up --runtime docker` with `extra` flags; waits for the
  // kubeconfig and creates this test's namespace.
  void StartUp(std::vector<std::string> extra) {
    port_ = FreePort();
    std::vector<std::string> argv = {NavarchBinary(), "up",
                                     "--runtime",     "docker",
                                     "--listen",      "127.0.0.1:" + std::to_string(port_),
                                     "--data-dir",    dir_ / "data",
                                     "--heartbeat",   "1s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    up_ = std::make_unique<Process>(argv, dir_ / "up");
    ASSERT_TRUE(Eventually(
        [&] {
          return up_->Stdout().find("export KUBECONFIG=") != std::string::npos || !up_->Running();
        },
        seconds(30)))
        << up_->Stderr();
    ASSERT_TRUE(up_->Running()) << "navarch up exited:\n" << up_->Stderr();
    kubeconfig_ = dir_ / "data/kubeconfig";
    kubectl_ = std::make_unique<Kubectl>(kubeconfig_, dir_.path());
    // apply, not `create namespace`: kubectl's create generators send
    // protobuf, which the API server does not accept.
    auto ns = (*kubectl_)({"apply", "-f", "-"},
                          "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns_ + "\n");
    ASSERT_EQ(ns.exit_code, 0) << ns.err;
  }

  // Starts a named extra process of the navarch binary.
  Process& Start(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), NavarchBinary());
    auto& slot = procs_[name];
    if (slot && slot->Running()) {
      slot->Signal(SIGKILL);
      slot->Wait();
    }
    slot = std::make_unique<Process>(args, dir_ / name);
    return *slot;
  }

  std::string NodeName(const std::string& suffix) {
    std::string n = ns_ + "-" + suffix;
    if (std::find(own_nodes_.begin(), own_nodes_.end(), n) == own_nodes_.end())
      own_nodes_.push_back(n);
    return n;
  }

  Process& StartKubelet(const std::string& node) {
    return Start("kubelet-" + node, {"kubelet", "--runtime", "docker", "--node-name", node,
                                     "--kubeconfig", kubeconfig_, "--heartbeat", "1s"});
  }

  CommandResult K(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {"-n", ns_});
    return (*kubectl_)(args, input);
  }

  CommandResult Apply(const std::string& yaml) { return K({"apply", "-f", "-"}, yaml); }

  std::string PodField(const std::string& pod, const std::string& jsonpath) {
    auto r = K({"get", "pod", pod, "-o", "jsonpath=" + jsonpath});
    return r.exit_code == 0 ? r.out : "";
  }

  bool PodRunning(const std::string& pod) { return PodField(pod, "{.status.phase}") == "Running"; }

  int RestartCount(const std::string& pod, const std::string& container) {
    auto s =
        PodField(pod, "{.status.containerStatuses[?(@.name==\"" + container + "\")].restartCount}");
    return s.empty() ? -1 : std::stoi(s);
  }

  // name -> "phase,node" of the live (not terminating) pods with `selector`.
  std::map<std::string, std::pair<std::string, std::string>> LivePods(const std::string& selector) {
    auto r = K({"get", "pods", "-l", selector, "-o",
                "jsonpath={range .items[*]}{.metadata.name},{.status.phase},{.spec.nodeName},"
                "{.metadata.deletionTimestamp}{\"\\n\"}{end}"});
    std::map<std::string, std::pair<std::string, std::string>> out;
    if (r.exit_code != 0) return out;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      std::vector<std::string> f;
      size_t start = 0;
      for (;;) {
        size_t c = line.find(',', start);
        f.push_back(line.substr(start, c == std::string::npos ? std::string::npos : c - start));
        if (c == std::string::npos) break;
        start = c + 1;
      }
      if (f.size() != 4 || !f[3].empty()) continue;
      out[f[0]] = {f[1], f[2]};
    }
    return out;
  }

  bool AllRunning(const std::string& selector, size_t n) {
    auto pods = LivePods(selector);
    if (pods.size() != n) return false;
    for (auto& [name, pn] : pods)
      if (pn.first != "Running") return false;
    return true;
  }

  std::vector<std::string> ReadyNodes() {
    auto r = (*kubectl_)(
        {"get", "nodes", "-o",
         "jsonpath={range "
         ".items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}"});
    std::vector<std::string> ready;
    for (auto& w : Words(r.out)) {
      if (w.size() > 5 && w.substr(w.size() - 5) == "=True")
        ready.push_back(w.substr(0, w.size() - 5));
    }
    std::sort(ready.begin(), ready.end());
    return ready;
  }

  std::string Describe() {
    return K({"get", "pods", "-o", "wide"}).out + K({"get", "pods", "-o", "yaml"}).out;
  }

  void DumpLogs() {
    if (up_) std::cerr << "--- navarch up stderr ---\n" << up_->Stderr();
    for (auto& [name, p] : procs_)
      if (p) std::cerr << "--- " << name << " stderr ---\n" << p->Stderr();
  }

  TempDir dir_{"navarch-e2e"};
  std::string ns_;
  int port_ = 0;
  std::unique_ptr<Process> up_;
  std::map<std::string, std::unique_ptr<Process>> procs_;
  std::vector<std::string> own_nodes_;
  std::string kubeconfig_;
  std::unique_ptr<Kubectl> kubectl_;
};

// ---------------------------------------------------------------------------
// `navarch up --runtime docker --nodes 3`.

class UpDockerTest : public DockerClusterTest {
 protected:
  void SetUp() override {
    DockerClusterTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_NO_FATAL_FAILURE(StartUp({"--nodes", "3"}));
    ASSERT_TRUE(Eventually([&] { return ReadyNodes().size() == 3; }, seconds(30)))
        << (*kubectl_)({"get", "nodes"}).out << up_->Stderr();
  }
};

TEST_F(UpDockerTest, PodRunsAsLabelledDockerContainers) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: sleeper
spec:
  containers:
  - name: main
    image: navarch/busybox:1
    command: ["sleep", "3600"]
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return PodRunning("sleeper"); }, seconds(30))) << Describe();

  // The container is in `docker ps`, running, with the pod's labels.
  auto ids = ContainerIds(kPodLabel, "sleeper", dir_.path(), /*all=*/false,
                          "label=io.navarch.container.name=main");
  ASSERT_EQ(ids.size(), 1u) << Docker({"ps", "-a"}, dir_.path()).out;
  auto labels = Docker({"inspect", "--format",
                        "{{index .Config.Labels \"io.navarch.pod.namespace\"}} "
                        "{{index .Config.Labels \"io.navarch.node.name\"}} "
                        "{{index .Config.Labels \"io.navarch.pod.uid\"}} {{.State.Running}}",
                        ids[0]},
                       dir_.path());
  ASSERT_EQ(labels.exit_code, 0) << labels.err;
  auto w = Words(labels.out);
  ASSERT_EQ(w.size(), 4u) << labels.out;
  EXPECT_EQ(w[0], ns_);
  EXPECT_EQ(w[1], PodField("sleeper", "{.spec.nodeName}"));
  EXPECT_EQ(w[2], PodField("sleeper", "{.metadata.uid}"));
  EXPECT_EQ(w[3], "true");
  // The pod's status names that container.
  EXPECT_NE(PodField("sleeper", "{.status.containerStatuses[0].containerID}").find(ids[0]),
            std::string::npos);
  // One sandbox besides the container, and nothing else for the pod.
  EXPECT_EQ(ContainerIds(kPodLabel, "sleeper", dir_.path(), false, "label=io.navarch.kind=sandbox")
                .size(),
            1u);
}

TEST_F(UpDockerTest, KubectlLogsReturnsTheContainersOutput) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: talker
spec:
  containers:
  - name: main
    image: navarch/busybox:1
    command: ["sh", "-c", "echo first line; echo second line >&2; echo third line; sleep 3600"]
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return PodRunning("talker"); }, seconds(30))) << Describe();
  CommandResult logs;
  ASSERT_TRUE(Eventually(
      [&] {
        logs = K({"logs", "talker"});
        return logs.exit_code == 0 && logs.out.find("third line") != std::string::npos;
      },
      seconds(15)))
      << logs.out << logs.err;
  EXPECT_NE(logs.out.find("first line"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("second line"), std::string::npos) << logs.out;
  EXPECT_LT(logs.out.find("first line"), logs.out.find("third line")) << logs.out;
  // -c names the container; an unknown one is an error.
  auto named = K({"logs", "talker", "-c", "main"});
  EXPECT_EQ(named.exit_code, 0) << named.err;
  EXPECT_NE(named.out.find("third line"), std::string::npos);
  EXPECT_NE(K({"logs", "talker", "-c", "nope"}).exit_code, 0);
  // --tail: only the last line. stdout and stderr are one log ordered by
  // the time dockerd read them, so the last is "third line" or (read later
  // from stderr) "second line" — never "first line", which stdout wrote
  // before "third line".
  auto tail = K({"logs", "talker", "--tail=1"});
  EXPECT_EQ(tail.exit_code, 0) << tail.err;
  EXPECT_TRUE(tail.out == "third line\n" || tail.out == "second line\n") << tail.out;
  // -f: what was logged arrives and the stream stays open while the
  // container runs.
  Process follow({KubectlPath(), "--kubeconfig", kubeconfig_, "--cache-dir", dir_ / "kube-cache",
                  "-n", ns_, "logs", "-f", "talker"},
                 dir_ / "follow");
  EXPECT_TRUE(Eventually([&] { return follow.Stdout().find("third line") != std::string::npos; },
                         seconds(15)))
      << follow.Stdout() << follow.Stderr();
  EXPECT_TRUE(follow.Running()) << "kubectl logs -f ended: " << follow.Stderr();
  follow.Signal(SIGTERM);
  follow.Wait();
}

TEST_F(UpDockerTest, ContainersOfOnePodTalkOverLocalhost) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: pair
spec:
  containers:
  - name: server
    image: navarch/busybox:1
    command: ["sh", "-c", "mkdir -p /www && echo pong-from-server > /www/index.html && exec httpd -f -p 8080 -h /www"]
  - name: client
    image: navarch/busybox:1
    command: ["sh", "-c", "while true; do wget -q -O - http://127.0.0.1:8080/ && echo; sleep 1; done"]
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return PodRunning("pair"); }, seconds(30))) << Describe();
  CommandResult logs;
  ASSERT_TRUE(Eventually(
      [&] {
        logs = K({"logs", "pair", "-c", "client"});
        return logs.out.find("pong-from-server") != std::string::npos;
      },
      seconds(20)))
      << logs.out << logs.err;
}

TEST_F(UpDockerTest, CrashingContainerRestartsWithGrowingBackOff) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: crasher
spec:
  restartPolicy: Always
  containers:
  - name: main
    image: navarch/busybox:1
    command: ["sh", "-c", "echo crashing; exit 3"]
)")
                .exit_code,
            0);
  // While the container waits to restart, its status says CrashLoopBackOff
  // with the back-off; each further wait is longer (10 s, then 20 s: the
  // second restart comes about 30 s after the first exit).
  std::map<int, double> backoff_by_restarts;  // restartCount -> back-off seconds
  std::string waiting;
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = K({"get", "pod", "crasher", "-o",
                    "jsonpath={.status.containerStatuses[0].restartCount} "
                    "{.status.containerStatuses[0].state.waiting.reason} "
                    "{.status.containerStatuses[0].state.waiting.message}"});
        auto w = Words(r.out);
        if (w.size() >= 3 && w[1] == "CrashLoopBackOff" && w[2] == "back-off") {
          waiting = r.out;
          double secs = 0;
          if (w.size() >= 4 && std::sscanf(w[3].c_str(), "%lfs", &secs) == 1)
            backoff_by_restarts[std::stoi(w[0])] = secs;
        }
        return !w.empty() && std::stoi(w[0]) >= 2;
      },
      seconds(60)))
      << Describe();
  EXPECT_EQ(PodField("crasher", "{.status.containerStatuses[0].lastState.terminated.exitCode}"),
            "3");
  EXPECT_NE(waiting.find("restarting failed container=main"), std::string::npos) << waiting;
  ASSERT_TRUE(backoff_by_restarts.count(0) && backoff_by_restarts.count(1))
      << "the waiting state before each restart was not seen: " << waiting;
  EXPECT_GT(backoff_by_restarts[0], 0);
  EXPECT_GT(backoff_by_restarts[1], backoff_by_restarts[0]);
  // The output of the last attempt is there.
  EXPECT_NE(K({"logs", "crasher"}).out.find("crashing"), std::string::npos);
}

TEST_F(UpDockerTest, FailingLivenessProbeRestartsTheContainer) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: unhealthy
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: navarch/busybox:1
    command: ["sh", "-c", "touch /tmp/healthy; sleep 4; rm /tmp/healthy; sleep 3600"]
    livenessProbe:
      exec:
        command: ["cat", "/tmp/healthy"]
      periodSeconds: 1
      failureThreshold: 2
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return PodRunning("unhealthy"); }, seconds(30))) << Describe();
  EXPECT_EQ(RestartCount("unhealthy", "main"), 0);
  ASSERT_TRUE(Eventually([&] { return RestartCount("unhealthy", "main") >= 1; }, seconds(40)))
      << Describe();
  // The kubelet killed it (it did not exit by itself): the previous
  // attempt ended by a signal, and the new one runs.
  const std::string exit_code =
      PodField("unhealthy", "{.status.containerStatuses[0].lastState.terminated.exitCode}");
  EXPECT_TRUE(exit_code == "137" || exit_code == "143") << exit_code << "\n" << Describe();
  EXPECT_TRUE(Eventually([&] { return PodRunning("unhealthy"); }, seconds(20)));
}

TEST_F(UpDockerTest, ReadinessRemovesThePodFromTheEndpoints) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Service
metadata:
  name: ready
spec:
  selector:
    app: ready
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: flipper
  labels:
    app: ready
spec:
  containers:
  - name: main
    image: navarch/busybox:1
    command: ["sh", "-c", "touch /tmp/ready; sleep 10; rm /tmp/ready; sleep 3600"]
    ports:
    - containerPort: 8080
    readinessProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      periodSeconds: 1
      failureThreshold: 1
)")
                .exit_code,
            0);
  auto ep = [&](const std::string& which) {
    return K({"get", "endpoints", "ready", "-o", "jsonpath={.subsets[*]." + which + "[*].ip}"}).out;
  };
  std::string ip;
  // Ready: the pod's IP is among the addresses.
  ASSERT_TRUE(Eventually(
      [&] {
        ip = PodField("flipper", "{.status.podIP}");
        return !ip.empty() && ep("addresses") == ip;
      },
      seconds(30)))
      << Describe() << K({"get", "endpoints", "ready", "-o", "yaml"}).out;
  // The probe starts failing: the pod is NotReady and moves to
  // notReadyAddresses.
  ASSERT_TRUE(Eventually([&] { return ep("addresses").empty() && ep("notReadyAddresses") == ip; },
                         seconds(30)))
      << K({"get", "endpoints", "ready", "-o", "yaml"}).out << Describe();
  EXPECT_EQ(PodField("flipper", "{.status.conditions[?(@.type==\"Ready\")].status}"), "False");
  EXPECT_EQ(PodField("flipper", "{.status.phase}"), "Running");
}

TEST_F(UpDockerTest, ServiceAnswersThroughTheProxyFromAllThreeReplicas) {
  const int svc_port = FreePort();
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 3
  selector:
    app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: httpd
        image: navarch/busybox:1
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www"]
        ports:
        - containerPort: 8080
        readinessProbe:
          tcpSocket:
            port: 8080
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: )" + std::to_string(svc_port) +
                  R"(
    targetPort: 8080
)")
                .exit_code,
            0);
  Start("proxy", {"proxy", "--kubeconfig", kubeconfig_, "--namespace", ns_, "--no-node-ports"});
  ASSERT_TRUE(Eventually([&] { return AllRunning("app=web", 3); }, seconds(40))) << Describe();
  std::set<std::string> want;
  std::set<std::string> nodes;
  for (auto& [name, pn] : LivePods("app=web")) {
    want.insert(name);
    nodes.insert(pn.second);
  }
  EXPECT_EQ(nodes.size(), 3u) << "the spread profile puts one replica on each node";
  std::set<std::string> seen;
  std::vector<std::string> bodies;
  ASSERT_TRUE(Eventually(
      [&] {
        auto body = Trim(HttpGet(svc_port));
        if (!body.empty()) {
          seen.insert(body);
          if (bodies.size() < 50) bodies.push_back(body);
        }
        return seen == want;
      },
      seconds(40)))
      << "answers: " << ::testing::PrintToString(bodies)
      << "\nwanted: " << ::testing::PrintToString(want) << "\n"
      << procs_["proxy"]->Stderr() << K({"get", "endpoints", "web", "-o", "yaml"}).out;
}

TEST_F(UpDockerTest, DeletingAnRcRemovesItsContainers) {
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: ReplicationController
metadata:
  name: doomed
spec:
  replicas: 2
  selector:
    app: doomed
  template:
    metadata:
      labels:
        app: doomed
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: navarch/busybox:1
        command: ["sleep", "3600"]
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return AllRunning("app=doomed", 2); }, seconds(40))) << Describe();
  // Two pods: two sandboxes and two containers.
  EXPECT_EQ(ContainerIds(kNamespaceLabel, ns_, dir_.path()).size(), 4u)
      << Docker({"ps", "-a"}, dir_.path()).out;
  auto del = K({"delete", "rc", "doomed", "--wait=false"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  ASSERT_TRUE(Eventually([&] { return ContainerIds(kNamespaceLabel, ns_, dir_.path()).empty(); },
                         seconds(40)))
      << Docker({"ps", "-a", "--filter", std::string("label=") + kNamespaceLabel + "=" + ns_},
                dir_.path())
             .out
      << Describe();
  EXPECT_TRUE(Eventually([&] { return LivePods("app=doomed").empty(); }, seconds(20)));
}

// ---------------------------------------------------------------------------
// API server + scheduler (`navarch up --nodes 0 --without controllers`), a
// controller-manager with short node-lifecycle timeouts, and each kubelet as
// its own process.

class KubeletProcessTest : public DockerClusterTest {
 protected:
  void SetUp() override {
    DockerClusterTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    // Pods tolerate their node's not-ready/unreachable taint for 2 s (the
    // API server's admission), so they are evicted 2 s after it is tainted.
    ASSERT_NO_FATAL_FAILURE(StartUp({"--nodes", "0", "--without", "controllers",
                                     "--default-not-ready-toleration-seconds", "2",
                                     "--default-unreachable-toleration-seconds", "2"}));
    Start("controller-manager",
          {"controller-manager", "--kubeconfig", kubeconfig_, "--node-monitor-grace-period", "4s"});
  }
};

TEST_F(KubeletProcessTest, RestartedKubeletAdoptsTheRunningContainers) {
  const std::string node = NodeName("solo");
  StartKubelet(node);
  ASSERT_TRUE(
      Eventually([&] { return ReadyNodes() == std::vector<std::string>{node}; }, seconds(30)))
      << (*kubectl_)({"get", "nodes"}).out;
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: Pod
metadata:
  name: survivor
spec:
  containers:
  - name: a
    image: navarch/busybox:1
    command: ["sleep", "3600"]
  - name: b
    image: navarch/busybox:1
    command: ["sleep", "3600"]
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return PodRunning("survivor"); }, seconds(30))) << Describe();
  const auto before = ContainerIds(kNodeLabel, node, dir_.path());
  ASSERT_EQ(before.size(), 3u) << "a sandbox and two containers";
  const std::string status_before =
      PodField("survivor", "{.status.containerStatuses[*].containerID}");

  // kill -9: the containers keep running without their kubelet.
  auto& k1 = *procs_["kubelet-" + node];
  k1.Signal(SIGKILL);
  k1.Wait();
  EXPECT_EQ(ContainerIds(kNodeLabel, node, dir_.path(), /*all=*/false), before);

  auto heartbeat = [&] {
    return (*kubectl_)({"get", "node", node, "-o",
                        "jsonpath={.status.conditions[?(@.type==\"Ready\")].lastHeartbeatTime}"})
        .out;
  };
  const std::string hb_before = heartbeat();
  Process& k2 = StartKubelet(node);
  // The new kubelet has synced its node (a fresh heartbeat, twice) ...
  std::string hb1;
  ASSERT_TRUE(Eventually(
      [&] {
        hb1 = heartbeat();
        return !hb1.empty() && hb1 != hb_before;
      },
      seconds(20)))
      << k2.Stderr();
  ASSERT_TRUE(Eventually([&] { return heartbeat() != hb1; }, seconds(20))) << k2.Stderr();
  // ... and kept the very same containers: none replaced, none added.
  EXPECT_EQ(ContainerIds(kNodeLabel, node, dir_.path(), /*all=*/true), before)
      << Docker({"ps", "-a"}, dir_.path()).out << k2.Stderr();
  EXPECT_EQ(ContainerIds(kNodeLabel, node, dir_.path(), /*all=*/false), before);
  EXPECT_TRUE(PodRunning("survivor"));
  EXPECT_EQ(PodField("survivor", "{.status.containerStatuses[*].containerID}"), status_before);
  EXPECT_EQ(RestartCount("survivor", "a"), 0);
  EXPECT_EQ(RestartCount("survivor", "b"), 0);
}

TEST_F(KubeletProcessTest, PodsOfAKubeletGoneForGoodAreReplacedOnOtherNodes) {
  const std::vector<std::string> nodes = {NodeName("a"), NodeName("b"), NodeName("c")};
  for (const auto& n : nodes)
    StartKubelet(n);
  ASSERT_TRUE(Eventually([&] { return ReadyNodes() == nodes; }, seconds(30)))
      << (*kubectl_)({"get", "nodes"}).out;
  ASSERT_EQ(Apply(R"(apiVersion: v1
kind: ReplicationController
metadata:
  name: keep
spec:
  replicas: 3
  selector:
    app: keep
  template:
    metadata:
      labels:
        app: keep
    spec:
      containers:
      - name: main
        image: navarch/busybox:1
        command: ["sleep", "3600"]
)")
                .exit_code,
            0);
  ASSERT_TRUE(Eventually([&] { return AllRunning("app=keep", 3); }, seconds(40))) << Describe();
  std::string victim_node;
  std::set<std::string> victims;
  for (auto& [name, pn] : LivePods("app=keep")) {
    if (victim_node.empty()) victim_node = pn.second;
    if (pn.second == victim_node) victims.insert(name);
  }
  ASSERT_FALSE(victims.empty());

  // The kubelet dies and does not come back.
  auto& dead = *procs_["kubelet-" + victim_node];
  dead.Signal(SIGKILL);
  dead.Wait();

  // Its Node goes Unknown after the grace period; after the eviction timeout
  // its pods are deleted and the RC puts replacements on the live nodes.
  ASSERT_TRUE(Eventually(
      [&] {
        auto pods = LivePods("app=keep");
        if (pods.size() != 3) return false;
        for (auto& [name, pn] : pods) {
          if (victims.count(name) || pn.second == victim_node || pn.first != "Running")
            return false;
        }
        return true;
      },
      seconds(60)))
      << Describe() << (*kubectl_)({"get", "nodes"}).out;
  auto cond = (*kubectl_)({"get", "node", victim_node, "-o",
                           "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}"});
  EXPECT_EQ(cond.out, "Unknown");
  auto ready = ReadyNodes();
  EXPECT_EQ(ready.size(), 2u);
}

}  // namespace
}  // namespace navarch::testing
