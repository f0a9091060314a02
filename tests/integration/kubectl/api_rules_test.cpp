// The API's rules as kubectl 1.32 sees them against `navarch up`: dryRun
// (kubectl diff, apply --dry-run=server), each --cascade of delete rc,
// namespace deletion, an RC deleted during a scale-up, immutable pod fields
// and requests defaulted from limits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/kubectl/cluster_harness.h"

namespace navarch::testing {
namespace {

std::string RcYaml(const std::string& name, int replicas, const std::string& ns = "default") {
  return "apiVersion: v1\nkind: ReplicationController\nmetadata:\n  name: " + name +
         "\n  namespace: " + ns + "\nspec:\n  replicas: " + std::to_string(replicas) +
         "\n  selector:\n    rc: " + name + "\n  template:\n    metadata:\n      labels:\n" +
         "        rc: " + name +
         "\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n";
}

class ApiRulesTest : public ::testing::Test {
 protected:
  void StartUp() {
    const int port = FreePort();
    up_ = std::make_unique<Process>(
        std::vector<std::string>{NavarchBinary(), "up", "--listen",
                                 "127.0.0.1:" + std::to_string(port), "--data-dir", dir_ / "data",
                                 "--nodes", "2", "--heartbeat", "2s"},
        dir_ / "up");
    ASSERT_TRUE(Eventually(
        [&] {
          return up_->Stdout().find("export KUBECONFIG=") != std::string::npos || !up_->Running();
        },
        std::chrono::seconds(30)))
        << up_->Stderr();
    ASSERT_TRUE(up_->Running()) << up_->Stderr();
    kubectl_ = std::make_unique<Kubectl>(dir_ / "data/kubeconfig", dir_.path());
  }
  void TearDown() override {
    if (HasFailure() && up_) std::cerr << "--- navarch up stderr ---\n" << up_->Stderr();
    if (up_) {
      up_->Signal(SIGTERM);
      up_->Wait();
    }
  }
  CommandResult K(std::vector<std::string> args, const std::string& input = {}) {
    return (*kubectl_)(std::move(args), input);
  }
  std::string Get(const std::vector<std::string>& what, const std::string& jsonpath) {
    std::vector<std::string> args = {"get"};
    args.insert(args.end(), what.begin(), what.end());
    args.push_back("-o");
    args.push_back("jsonpath=" + jsonpath);
    auto r = K(args);
    return r.exit_code == 0 ? r.out : "<error: " + r.err + ">";
  }
  // Pods with label rc=<name> in `ns`: name -> "<phase>,<deleting>,<owners>".
  std::map<std::string, std::string> Pods(const std::string& rc,
                                          const std::string& ns = "default") {
    auto out =
        Get({"pods", "-n", ns, "-l", "rc=" + rc},
            "{range .items[*]}{.metadata.name} {.status.phase},"
            "{.metadata.deletionTimestamp},{.metadata.ownerReferences[*].uid}{\"\\n\"}{end}");
    std::map<std::string, std::string> pods;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
      const size_t sp = line.find(' ');
      if (sp != std::string::npos) pods[line.substr(0, sp)] = line.substr(sp + 1);
    }
    return pods;
  }
  bool RunningPods(const std::string& rc, size_t n) {
    auto pods = Pods(rc);
    size_t running = 0;
    for (auto& [name, state] : pods)
      running += state.starts_with("Running,,");
    return pods.size() == n && running == n;
  }
  void Apply(const std::string& yaml) {
    auto r = K({"apply", "-f", "-"}, yaml);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  TempDir dir_{"navarch-api-rules"};
  std::unique_ptr<Process> up_;
  std::unique_ptr<Kubectl> kubectl_;
};

TEST_F(ApiRulesTest, DiffAndServerSideDryRunChangeNothing) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp();
  if (HasFatalFailure()) return;
  Apply(RcYaml("web", 3));
  const std::string rv = Get({"rc", "web"}, "{.metadata.resourceVersion}");
  const std::string changed = RcYaml("web", 4);
  auto diff = K({"diff", "-f", "-"}, changed);
  EXPECT_EQ(diff.exit_code, 1) << diff.out << diff.err;  // 1: differences found
  EXPECT_NE(diff.out.find("replicas: 4"), std::string::npos) << diff.out;
  auto dry = K({"apply", "--dry-run=server", "-f", "-"}, changed);
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_NE(dry.out.find("(server dry run)"), std::string::npos) << dry.out;
  auto scale = K({"scale", "rc", "web", "--replicas=7", "--dry-run=server"});
  ASSERT_EQ(scale.exit_code, 0) << scale.err;
  auto del = K({"delete", "rc", "web", "--dry-run=server"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  auto create = K({"create", "--dry-run=server", "-f", "-"}, RcYaml("other", 1));
  ASSERT_EQ(create.exit_code, 0) << create.err;
  EXPECT_EQ(Get({"rc", "web"}, "{.metadata.resourceVersion}"), rv);
  EXPECT_EQ(Get({"rc", "web"}, "{.spec.replicas}"), "3");
  EXPECT_NE(K({"get", "rc", "other"}).exit_code, 0);
}

TEST_F(ApiRulesTest, EachCascadeLeavesWhatKubernetesLeaves) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp();
  if (HasFatalFailure()) return;
  for (std::string cascade : {"background", "foreground", "orphan"}) {
    const std::string name = "web-" + cascade;
    Apply(RcYaml(name, 3));
    ASSERT_TRUE(Eventually([&] { return RunningPods(name, 3); }, std::chrono::seconds(60)))
        << K({"get", "pods", "-o", "wide"}).out;
    const std::string uid = Get({"rc", name}, "{.metadata.uid}");
    // kubectl waits until the RC is gone (foreground: after its pods).
    auto del = K({"delete", "rc", name, "--cascade=" + cascade, "--timeout=60s"});
    ASSERT_EQ(del.exit_code, 0) << cascade << ": " << del.err;
    EXPECT_NE(K({"get", "rc", name}).exit_code, 0) << cascade;
    if (cascade == "orphan") {
      // The pods keep running, and no longer name the RC.
      EXPECT_TRUE(Eventually([&] {
        auto pods = Pods(name);
        if (pods.size() != 3) return false;
        for (auto& [p, state] : pods) {
          if (state != "Running,,") return false;
        }
        return true;
      })) << K({"get", "pods", "-l", "rc=" + name, "-o", "yaml"}).out;
    } else {
      if (cascade == "foreground") {
        // Foreground: the RC went only after its pods did.
        EXPECT_TRUE(Pods(name).empty()) << K({"get", "pods", "-l", "rc=" + name}).out;
      }
      EXPECT_TRUE(Eventually([&] { return Pods(name).empty(); }, std::chrono::seconds(60)))
          << cascade << ": " << K({"get", "pods", "-l", "rc=" + name}).out;
    }
  }
}

TEST_F(ApiRulesTest, DeletingANamespaceWithRcsServicesAndPodsEndsWithNothingLeft) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp();
  if (HasFatalFailure()) return;
  ASSERT_EQ(K({"create", "namespace", "team"}).exit_code, 0);
  Apply(RcYaml("web", 2, "team"));
  Apply(RcYaml("db", 1, "team"));
  ASSERT_EQ(K({"create", "service", "clusterip", "web", "-n", "team", "--tcp=80:80"}).exit_code, 0);
  ASSERT_EQ(K({"run", "solo", "-n", "team", "--image=nginx:1.25", "--restart=Never"}).exit_code, 0);
  ASSERT_TRUE(Eventually([&] { return Pods("web", "team").size() == 2; }));
  auto del = K({"delete", "namespace", "team", "--timeout=90s"});
  ASSERT_EQ(del.exit_code, 0) << del.err;
  auto gone = K({"get", "namespace", "team"});
  EXPECT_NE(gone.exit_code, 0) << gone.out;
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos) << gone.err;
  // The namespace can be made again, empty.
  ASSERT_EQ(K({"create", "namespace", "team"}).exit_code, 0);
  auto all = K({"get", "pods,rc,services,endpoints", "-n", "team", "-o", "name"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.out, "") << all.out;
}

TEST_F(ApiRulesTest, AnRcDeletedDuringAScaleUpLeavesNoPod) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp();
  if (HasFatalFailure()) return;
  for (int round = 0; round < 5; ++round) {
    const std::string name = "burst-" + std::to_string(round);
    Apply(RcYaml(name, 1));
    ASSERT_TRUE(Eventually([&] { return Pods(name).size() == 1; }));
    ASSERT_EQ(K({"scale", "rc", name, "--replicas=20"}).exit_code, 0);
    auto del = K({"delete", "rc", name, "--wait=false"});
    ASSERT_EQ(del.exit_code, 0) << del.err;
  }
  for (int round = 0; round < 5; ++round) {
    const std::string name = "burst-" + std::to_string(round);
    EXPECT_TRUE(Eventually([&] { return Pods(name).empty(); }, std::chrono::seconds(90)))
        << name << ": " << K({"get", "pods", "-l", "rc=" + name, "-o", "wide"}).out;
  }
}

TEST_F(ApiRulesTest, PodSpecIsImmutableAndRequestsComeFromLimits) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp();
  if (HasFatalFailure()) return;
  const std::string pod = R"(apiVersion: v1
kind: Pod
metadata:
  name: limited
spec:
  containers:
  - name: app
    image: nginx:1.25
    ports:
    - containerPort: 80
    resources:
      limits:
        cpu: 250m
        memory: 64Mi
)";
  Apply(pod);
  EXPECT_EQ(Get({"pod", "limited"}, "{.spec.containers[0].resources.requests.cpu}"), "250m");
  auto port =
      K({"patch", "pod", "limited", "--type=json", "-p",
         R"([{"op":"replace","path":"/spec/containers/0/ports/0/containerPort","value":81}])"});
  EXPECT_NE(port.exit_code, 0);
  EXPECT_NE(port.err.find("is invalid"), std::string::npos) << port.err;
  EXPECT_NE(port.err.find("pod updates may not change fields"), std::string::npos) << port.err;
  ASSERT_TRUE(Eventually([&] { return !Get({"pod", "limited"}, "{.spec.nodeName}").empty(); }));
  auto move = K({"patch", "pod", "limited", "-p", R"({"spec":{"nodeName":"elsewhere"}})"});
  EXPECT_NE(move.exit_code, 0);
  EXPECT_NE(move.err.find("spec.nodeName"), std::string::npos) << move.err;
  auto image = K({"set", "image", "pod/limited", "app=nginx:1.26"});
  EXPECT_EQ(image.exit_code, 0) << image.err;
}

// Events from every component, as kubectl describe and kubectl events show
// them; a NoExecute taint put on with kubectl taint evicts the node's pods
// through the taint manager, and says so.
TEST_F(ApiRulesTest, DescribeShowsTheEventsAndATaintEvictsThroughTheTaintManager) {
  NAVARCH_REQUIRE_KUBECTL();
  StartUp();
  if (HasFatalFailure()) return;
  Apply(RcYaml("web", 2));
  ASSERT_TRUE(Eventually([&] { return RunningPods("web", 2); }, std::chrono::seconds(30)));
  const std::string pod = Pods("web").begin()->first;
  const std::string node = Get({"pod", pod}, "{.spec.nodeName}");
  auto describe = K({"describe", "pod", pod});
  ASSERT_EQ(describe.exit_code, 0) << describe.err;
  for (const char* want : {"Scheduled", "Successfully assigned default/", "default-scheduler",
                           "Pulled", "Created", "Started", "Started container app", "kubelet"}) {
    EXPECT_NE(describe.out.find(want), std::string::npos) << want << "\n" << describe.out;
  }
  auto rc = K({"describe", "rc", "web"});
  ASSERT_EQ(rc.exit_code, 0) << rc.err;
  EXPECT_NE(rc.out.find("SuccessfulCreate"), std::string::npos) << rc.out;
  EXPECT_NE(rc.out.find("Created pod: " + pod), std::string::npos) << rc.out;
  auto events = K({"events", "--for", "pod/" + pod});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  EXPECT_NE(events.out.find("Started"), std::string::npos) << events.out;
  auto listed = K({"get", "events", "--field-selector", "reason=SuccessfulCreate"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("replicationcontroller/web"), std::string::npos) << listed.out;

  // kubectl taint: the pods on the node do not tolerate it and go at once;
  // the RC's replacements stay off the node.
  auto taint = K({"taint", "nodes", node, "maintenance=now:NoExecute"});
  ASSERT_EQ(taint.exit_code, 0) << taint.err;
  ASSERT_TRUE(Eventually(
      [&] {
        for (const auto& [name, state] : Pods("web")) {
          if (Get({"pod", name}, "{.spec.nodeName}") == node &&
              state.find("Running,,") != std::string::npos) {
            return false;
          }
        }
        return true;
      },
      std::chrono::seconds(30)));
  auto evicted = K({"get", "events", "--field-selector",
                    "reason=TaintManagerEviction,involvedObject.name=" + pod});
  ASSERT_EQ(evicted.exit_code, 0) << evicted.err;
  EXPECT_NE(evicted.out.find("Marking for deletion Pod default/" + pod), std::string::npos)
      << evicted.out;
  auto taints = Get({"node", node}, "{.spec.taints[*].key}");
  EXPECT_NE(taints.find("maintenance"), std::string::npos) << taints;
}

}  // namespace
}  // namespace navarch::testing
