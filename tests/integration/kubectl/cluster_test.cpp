// Whole-cluster tests with the real kubectl: `navarch up` (and the
// components as separate processes) started as child processes, driven only
// through kubectl 1.32 and the kubeconfig the cluster writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "tests/integration/kubectl/cluster_harness.h"

namespace navarch::testing {
namespace {

const char* kRc = R"(apiVersion: v1
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
      - name: nginx
        image: nginx:1.25
        resources:
          requests:
            cpu: 100m
)";

// name -> phase of the pods with app=web that are not terminating.
std::map<std::string, std::string> LivePods(const Kubectl& kubectl) {
  auto r = kubectl({"get", "pods", "-l", "app=web", "-o",
                    "jsonpath={range .items[*]}{.metadata.name},{.status.phase},"
                    "{.metadata.deletionTimestamp}{\"\\n\"}{end}"});
  std::map<std::string, std::string> out;
  if (r.exit_code != 0) return out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    const size_t a = line.find(',');
    const size_t b = line.find(',', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    if (b + 1 < line.size()) continue;  // terminating
    out[line.substr(0, a)] = line.substr(a + 1, b - a - 1);
  }
  return out;
}

size_t CountRunning(const std::map<std::string, std::string>& pods) {
  size_t n = 0;
  for (auto& [name, phase] : pods)
    n += phase == "Running";
  return n;
}

bool AllRunning(const Kubectl& kubectl, size_t n) {
  auto pods = LivePods(kubectl);
  return pods.size() == n && CountRunning(pods) == n;
}

class ClusterTest : public ::testing::Test {
 protected:
  void StartUp(std::vector<std::string> extra = {}) {
    if (port_ == 0) port_ = FreePort();
    std::vector<std::string> argv = {
        NavarchBinary(), "up",          "--listen",    "127.0.0.1:" + std::to_string(port_),
        "--data-dir",    dir_ / "data", "--heartbeat", "2s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    up_ = std::make_unique<Process>(argv, dir_ / ("up-" + std::to_string(++starts_)));
    ASSERT_TRUE(Eventually(
        [&] {
          return up_->Stdout().find("export KUBECONFIG=") != std::string::npos || !up_->Running();
        },
        std::chrono::seconds(30)))
        << up_->Stderr();
    ASSERT_TRUE(up_->Running()) << "navarch up exited:\n" << up_->Stderr();
    kubeconfig_ = dir_ / "data/kubeconfig";
    kubectl_ = std::make_unique<Kubectl>(kubeconfig_, dir_.path());
  }
  void StopUp() {
    up_->Signal(SIGTERM);
    EXPECT_EQ(up_->Wait(), 0) << up_->Stderr();
  }
  void TearDown() override {
    if (HasFailure() && up_) std::cerr << "--- navarch up stderr ---\n" << up_->Stderr();
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
    return ready;
  }

  TempDir dir_{"navarch-cluster"};
  int port_ = 0;
  int starts_ = 0;
  std::unique_ptr<Process> up_;
  std::string kubeconfig_;
  std::unique_ptr<Kubectl> kubectl_;
};

TEST_F(ClusterTest, UpRunsAReplicationControllerEndToEnd) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp({"--nodes", "2"});
  const Kubectl& kubectl = *kubectl_;
  ASSERT_TRUE(Eventually([&] { return ReadyNodes().size() == 2; }))
      << kubectl({"get", "nodes"}).err;

  // apply -f: the RC's pods are scheduled and Running on the sim kubelets.
  std::ofstream(dir_ / "rc.yaml") << kRc;
  auto applied = kubectl({"apply", "-f", dir_ / "rc.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_NE(applied.out.find("replicationcontroller/web created"), std::string::npos)
      << applied.out;
  ASSERT_TRUE(Eventually([&] { return AllRunning(kubectl, 3); }))
      << kubectl({"get", "pods", "-o", "wide"}).out;
  auto wide = kubectl({"get", "pods", "-o", "wide"});
  EXPECT_NE(wide.out.find("node-"), std::string::npos) << wide.out;

  // delete pod: the RC replaces it.
  auto before = LivePods(kubectl);
  const std::string victim = before.begin()->first;
  auto del = kubectl({"delete", "pod", victim, "--wait=false"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  ASSERT_TRUE(Eventually([&] {
    auto now = LivePods(kubectl);
    return now.size() == 3 && !now.count(victim) && CountRunning(now) == 3;
  })) << kubectl({"get", "pods"}).out;

  // scale rc: more pods, then fewer.
  auto scaled = kubectl({"scale", "rc", "web", "--replicas=5"});
  ASSERT_EQ(scaled.exit_code, 0) << scaled.err;
  ASSERT_TRUE(Eventually([&] { return AllRunning(kubectl, 5); })) << kubectl({"get", "pods"}).out;
  ASSERT_EQ(kubectl({"scale", "rc", "web", "--replicas=2"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return AllRunning(kubectl, 2); })) << kubectl({"get", "pods"}).out;

  // describe rc / pod / node.
  // Scaled-down pods are Terminating (still Running) until their kubelet
  // confirms the graceful deletion, and describe counts them, as kubectl does
  // against Kubernetes: wait for them to go.
  CommandResult drc;
  EXPECT_TRUE(Eventually([&] {
    drc = kubectl({"describe", "rc", "web"});
    return drc.exit_code == 0 && drc.out.find("2 Running") != std::string::npos;
  })) << drc.out;
  EXPECT_NE(drc.out.find("Replicas:"), std::string::npos) << drc.out;
  const std::string pod = LivePods(kubectl).begin()->first;
  auto dpod = kubectl({"describe", "pod", pod});
  ASSERT_EQ(dpod.exit_code, 0) << dpod.err;
  EXPECT_NE(dpod.out.find("nginx:1.25"), std::string::npos) << dpod.out;
  EXPECT_NE(dpod.out.find("Running"), std::string::npos) << dpod.out;
  auto dnode = kubectl({"describe", "node", "node-1"});
  ASSERT_EQ(dnode.exit_code, 0) << dnode.err;
  EXPECT_NE(dnode.out.find("node-1"), std::string::npos) << dnode.out;

  // logs: what the simulated runtime logged for the container.
  auto logs = kubectl({"logs", pod});
  ASSERT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("started nginx:1.25 (attempt 0)"), std::string::npos) << logs.out;

  StopUp();
}

TEST_F(ClusterTest, RestartKeepsObjectsAndTheClusterRecovers) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp({"--nodes", "1"});
  const Kubectl* kubectl = kubectl_.get();
  std::ofstream(dir_ / "rc.yaml") << kRc;
  ASSERT_EQ((*kubectl)({"apply", "-f", dir_ / "rc.yaml"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return AllRunning(*kubectl, 3); }))
      << (*kubectl)({"get", "pods"}).out;
  auto uid_before = (*kubectl)({"get", "rc", "web", "-o", "jsonpath={.metadata.uid}"}).out;
  StopUp();

  // Same data directory and port: every object is still there.
  StartUp({"--nodes", "1"});
  kubectl = kubectl_.get();
  auto uid_after = (*kubectl)({"get", "rc", "web", "-o", "jsonpath={.metadata.uid}"});
  ASSERT_EQ(uid_after.exit_code, 0) << uid_after.err;
  EXPECT_EQ(uid_after.out, uid_before);
  ASSERT_TRUE(Eventually([&] { return AllRunning(*kubectl, 3); }))
      << (*kubectl)({"get", "pods"}).out;
  ASSERT_EQ((*kubectl)({"scale", "rc", "web", "--replicas=4"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return AllRunning(*kubectl, 4); }))
      << (*kubectl)({"get", "pods"}).out;
  StopUp();
}

TEST_F(ClusterTest, TypedCreateCommandsThatSendProtobuf) {
  NAVARCH_REQUIRE_KUBECTL();
  // kubectl create namespace / create service send their object as
  // Kubernetes protobuf, not JSON.
  StartUp({"--nodes", "1"});
  Kubectl& kubectl = *kubectl_;
  auto ns = kubectl({"create", "namespace", "team-a"});
  ASSERT_EQ(ns.exit_code, 0) << ns.err;
  EXPECT_EQ(kubectl({"get", "namespace", "team-a", "-o", "jsonpath={.status.phase}"}).out,
            "Active");
  auto again = kubectl({"create", "namespace", "team-a"});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("AlreadyExists"), std::string::npos) << again.err;

  auto svc = kubectl({"create", "service", "clusterip", "web", "-n", "team-a", "--tcp=80:8080"});
  ASSERT_EQ(svc.exit_code, 0) << svc.err;
  auto got = kubectl({"get", "svc", "web", "-n", "team-a", "-o",
                      "jsonpath={.spec.clusterIP} {.spec.ports[0].port} "
                      "{.spec.ports[0].targetPort} {.spec.selector.app}"});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(got.out.rfind("10.96.", 0), 0u) << got.out;
  EXPECT_NE(got.out.find(" 80 8080 web"), std::string::npos) << got.out;

  auto np =
      kubectl({"create", "service", "nodeport", "edge", "--tcp=81:8081", "--node-port=30081"});
  ASSERT_EQ(np.exit_code, 0) << np.err;
  EXPECT_EQ(
      kubectl({"get", "svc", "edge", "-o", "jsonpath={.spec.type} {.spec.ports[0].nodePort}"}).out,
      "NodePort 30081");
  StopUp();
}

TEST_F(ClusterTest, SeparateProcessesResumeAfterRestarts) {
  NAVARCH_REQUIRE_KUBECTL();
  // The API server and controllers in one process, no kubelet and no
  // scheduler in it: those run as their own processes over HTTPS. The
  // kubelet has its own identity in the token file, and alice is an
  // ordinary user.
  std::filesystem::create_directories(dir_ / "data");
  std::ofstream(dir_ / "data/tokens.csv")
      << "admin-token-0123,admin,admin,\"system:masters\"\n"
      << "solo-token-4567,system:node:solo,system:node:solo,\"system:nodes\"\n"
      << "alice-token-89ab,alice,alice\n";
  std::filesystem::permissions(dir_ / "data/tokens.csv", std::filesystem::perms::owner_read |
                                                             std::filesystem::perms::owner_write);
  StartUp({"--nodes", "0", "--without", "scheduler"});
  const std::string kc = kubeconfig_;
  auto kubelet = std::make_unique<Process>(
      std::vector<std::string>{NavarchBinary(), "kubelet", "--node-name", "solo", "--kubeconfig",
                               kc, "--token", "solo-token-4567", "--heartbeat", "2s"},
      dir_ / "kubelet");
  auto scheduler = std::make_unique<Process>(
      std::vector<std::string>{NavarchBinary(), "scheduler", "--kubeconfig", kc},
      dir_ / "scheduler");
  ASSERT_TRUE(Eventually([&] { return ReadyNodes() == std::vector<std::string>{"solo"}; }))
      << kubelet->Stderr();

  std::ofstream(dir_ / "rc.yaml") << kRc;
  ASSERT_EQ((*kubectl_)({"apply", "-f", dir_ / "rc.yaml"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return AllRunning(*kubectl_, 3); }))
      << (*kubectl_)({"get", "pods"}).out << scheduler->Stderr() << kubelet->Stderr();

  // kubectl logs: the API server reads them from the kubelet process over
  // the log endpoint the Node advertises.
  {
    const std::string pod = LivePods(*kubectl_).begin()->first;
    auto logs = (*kubectl_)({"logs", pod});
    ASSERT_EQ(logs.exit_code, 0) << logs.err << kubelet->Stderr();
    EXPECT_NE(logs.out.find("started nginx:1.25 (attempt 0)"), std::string::npos) << logs.out;
    auto follow = (*kubectl_)({"logs", "-f", pod});  // the simulated runtime cannot follow
    ASSERT_EQ(follow.exit_code, 0) << follow.err;
    EXPECT_NE(follow.out.find("started nginx:1.25 (attempt 0)"), std::string::npos) << follow.out;
    auto node = (*kubectl_)(
        {"get", "node", "solo", "-o", "jsonpath={.status.daemonEndpoints.kubeletEndpoint.Port}"});
    EXPECT_NE(node.out, "10250") << "the kubelet advertises the port it bound";
    auto missing = (*kubectl_)({"logs", pod, "-c", "nope"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;
  }

  // Only the kubelet (and an administrator) may say where it is: alice may
  // label the Node but not take over its log token or addresses.
  {
    auto steal = (*kubectl_)({"--token", "alice-token-89ab", "annotate", "node", "solo",
                              "navarch.io/kubelet-log-token=stolen", "--overwrite"});
    EXPECT_NE(steal.exit_code, 0) << steal.out;
    EXPECT_NE(steal.err.find("nodes \"solo\" is forbidden: user \"alice\" may not change "
                             "metadata.annotations[navarch.io/kubelet-log-token]"),
              std::string::npos)
        << steal.err;
    auto move = (*kubectl_)({"--token", "alice-token-89ab", "patch", "node", "solo",
                             "--subresource=status", "--type=merge", "-p",
                             R"({"status":{"addresses":[{"type":"InternalIP",)"
                             R"("address":"169.254.169.254"}]}})"});
    EXPECT_NE(move.exit_code, 0) << move.out;
    EXPECT_NE(move.err.find("may not change status.addresses"), std::string::npos) << move.err;
    auto label = (*kubectl_)({"--token", "alice-token-89ab", "label", "node", "solo", "team=a"});
    EXPECT_EQ(label.exit_code, 0) << label.err;
    const std::string pod = LivePods(*kubectl_).begin()->first;
    auto logs = (*kubectl_)({"logs", pod});
    EXPECT_EQ(logs.exit_code, 0) << logs.err;  // the endpoint is still the kubelet's
  }

  // kill -9 the scheduler: new pods stay Pending until it is back.
  scheduler->Signal(SIGKILL);
  scheduler->Wait();
  ASSERT_EQ((*kubectl_)({"scale", "rc", "web", "--replicas=4"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return LivePods(*kubectl_).size() == 4; }));
  EXPECT_EQ(CountRunning(LivePods(*kubectl_)), 3u);
  scheduler = std::make_unique<Process>(
      std::vector<std::string>{NavarchBinary(), "scheduler", "--kubeconfig", kc},
      dir_ / "scheduler2");
  ASSERT_TRUE(Eventually([&] { return AllRunning(*kubectl_, 4); }))
      << (*kubectl_)({"get", "pods"}).out << scheduler->Stderr();

  // Restart the API server: the scheduler and kubelet resume their watches.
  StopUp();
  StartUp({"--nodes", "0", "--without", "scheduler"});
  ASSERT_EQ((*kubectl_)({"scale", "rc", "web", "--replicas=5"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return AllRunning(*kubectl_, 5); }))
      << (*kubectl_)({"get", "pods"}).out << scheduler->Stderr() << kubelet->Stderr();

  // SIGTERM stops the components cleanly.
  scheduler->Signal(SIGTERM);
  kubelet->Signal(SIGTERM);
  EXPECT_EQ(scheduler->Wait(), 0) << scheduler->Stderr();
  EXPECT_EQ(kubelet->Wait(), 0) << kubelet->Stderr();
  StopUp();
}

}  // namespace
}  // namespace navarch::testing
