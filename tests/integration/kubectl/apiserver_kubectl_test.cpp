// `navarch apiserver` driven by the real kubectl 1.32: TLS, a bearer token
// and the kubeconfig the server writes; create/apply/get/describe/scale/
// label/patch/delete, get -w, and restarts that keep every object and let a
// watch resume from its last resourceVersion without missing an event.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "tests/integration/kubectl/cluster_harness.h"

namespace navarch::testing {
namespace {

namespace json = boost::json;

class ApiserverKubectl : public ::testing::Test {
 protected:
  void SetUp() override {
    NAVARCH_REQUIRE_KUBECTL();
    port_ = FreePort();
    Start();
  }
  void TearDown() override {
    if (server_) {
      server_->Signal(SIGTERM);
      EXPECT_EQ(server_->Wait(), 0) << server_->Stderr();
    }
  }

  void Start() {
    server_ = std::make_unique<Process>(
        std::vector<std::string>{NavarchBinary(), "apiserver", "--store",
                                 "sqlite:" + dir_ / "state.db", "--listen",
                                 "127.0.0.1:" + std::to_string(port_), "--data-dir", dir_.path()},
        dir_ / ("apiserver-" + std::to_string(starts_++)));
    ASSERT_TRUE(Eventually([&] {
      return std::filesystem::exists(dir_ / "kubeconfig") &&
             kubectl({"get", "namespaces", "-o", "name"}).exit_code == 0;
    })) << server_->Stderr();
  }
  void Stop() {
    server_->Signal(SIGTERM);
    ASSERT_EQ(server_->Wait(), 0) << server_->Stderr();
    server_.reset();
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  CommandResult Ok(std::vector<std::string> args) {
    auto r = kubectl(std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return r;
  }

  TempDir dir_{"navarch-apiserver-it"};
  Kubectl kubectl{dir_ / "kubeconfig", dir_.path()};
  int port_ = 0;
  int starts_ = 0;
  std::unique_ptr<Process> server_;
};

const char* kPod = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.25
    ports:
    - containerPort: 80
)";

const char* kRc = R"(apiVersion: v1
kind: ReplicationController
metadata:
  name: front
spec:
  replicas: 2
  selector:
    app: front
  template:
    metadata:
      labels:
        app: front
    spec:
      containers:
      - name: nginx
        image: IMAGE
)";

const char* kSvc = R"(apiVersion: v1
kind: Service
metadata:
  name: front
spec:
  type: NodePort
  selector:
    app: front
  ports:
  - port: 80
    targetPort: 8080
)";

const char* kNode = R"(apiVersion: v1
kind: Node
metadata:
  name: n1
  labels:
    zone: a
status:
  capacity:
    cpu: "4"
    memory: 8Gi
)";

std::string RcWith(const std::string& image) {
  std::string s = kRc;
  s.replace(s.find("IMAGE"), 5, image);
  return s;
}

TEST_F(ApiserverKubectl, CreateApplyGetDescribeScaleLabelPatchDelete) {
  const std::string pod = Write("pod.yaml", kPod);
  auto created = Ok({"create", "-f", pod});
  EXPECT_NE(created.out.find("pod/web created"), std::string::npos) << created.out;
  auto again = kubectl({"create", "-f", pod});
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.err.find("AlreadyExists"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("pods \"web\" already exists"), std::string::npos) << again.err;

  // apply: create, then change.
  auto a1 = Ok({"apply", "-f", Write("rc.yaml", RcWith("nginx:1.25"))});
  EXPECT_NE(a1.out.find("replicationcontroller/front created"), std::string::npos) << a1.out;
  auto a2 = Ok({"apply", "-f", Write("rc.yaml", RcWith("nginx:1.26"))});
  EXPECT_NE(a2.out.find("replicationcontroller/front configured"), std::string::npos) << a2.out;
  auto image =
      Ok({"get", "rc", "front", "-o", "jsonpath={.spec.template.spec.containers[0].image}"});
  EXPECT_EQ(image.out, "nginx:1.26");
  Ok({"apply", "-f", Write("svc.yaml", kSvc)});
  Ok({"create", "-f", Write("node.yaml", kNode)});

  // get, in every format.
  auto table = Ok({"get", "pods"});
  EXPECT_NE(table.out.find("NAME"), std::string::npos);
  EXPECT_NE(table.out.find("STATUS"), std::string::npos);
  EXPECT_NE(table.out.find("web"), std::string::npos);
  EXPECT_NE(table.out.find("Pending"), std::string::npos) << table.out;
  auto wide = Ok({"get", "pods", "-o", "wide"});
  EXPECT_NE(wide.out.find("NODE"), std::string::npos) << wide.out;
  auto yaml = Ok({"get", "pod", "web", "-o", "yaml"});
  EXPECT_NE(yaml.out.find("image: nginx:1.25"), std::string::npos);
  EXPECT_NE(yaml.out.find("uid:"), std::string::npos);
  auto js = Ok({"get", "pod", "web", "-o", "json"});
  EXPECT_EQ(json::parse(js.out).at("metadata").at("name"), "web");
  auto sel = Ok({"get", "pods", "-l", "app=web", "-o", "name"});
  EXPECT_EQ(sel.out, "pod/web\n");
  auto none = Ok({"get", "pods", "-l", "app=nothing"});
  EXPECT_NE(none.err.find("No resources found"), std::string::npos) << none.err;
  auto all = Ok({"get", "pods", "-A"});
  EXPECT_NE(all.out.find("NAMESPACE"), std::string::npos);
  EXPECT_NE(all.out.find("default"), std::string::npos) << all.out;
  auto nodes = Ok({"get", "nodes", "-o", "wide"});
  EXPECT_NE(nodes.out.find("n1"), std::string::npos);
  auto rc = Ok({"get", "rc", "-o", "wide"});
  EXPECT_NE(rc.out.find("DESIRED"), std::string::npos);
  EXPECT_NE(rc.out.find("front"), std::string::npos);
  auto svc = Ok({"get", "svc", "-o", "wide"});
  EXPECT_NE(svc.out.find("10.96."), std::string::npos) << svc.out;
  EXPECT_NE(svc.out.find("NodePort"), std::string::npos) << svc.out;
  EXPECT_NE(svc.out.find("80:3"), std::string::npos) << svc.out;
  Ok({"get", "ep"});

  // describe.
  auto dpod = Ok({"describe", "pod", "web"});
  EXPECT_NE(dpod.out.find("Name:"), std::string::npos);
  EXPECT_NE(dpod.out.find("nginx:1.25"), std::string::npos) << dpod.out;
  auto drc = Ok({"describe", "rc", "front"});
  EXPECT_NE(drc.out.find("Replicas:"), std::string::npos) << drc.out;
  auto dnode = Ok({"describe", "node", "n1"});
  EXPECT_NE(dnode.out.find("zone=a"), std::string::npos) << dnode.out;

  // scale, label, patch.
  auto scaled = Ok({"scale", "rc", "front", "--replicas=3"});
  EXPECT_NE(scaled.out.find("scaled"), std::string::npos) << scaled.out;
  EXPECT_EQ(Ok({"get", "rc", "front", "-o", "jsonpath={.spec.replicas}"}).out, "3");
  Ok({"label", "pod", "web", "tier=front"});
  EXPECT_EQ(Ok({"get", "pods", "-l", "tier=front", "-o", "name"}).out, "pod/web\n");
  Ok({"patch", "pod", "web", "--type", "merge", "-p", R"({"metadata":{"labels":{"m":"1"}}})"});
  Ok({"patch", "pod", "web", "--type", "json", "-p",
      R"([{"op":"add","path":"/metadata/labels/j","value":"2"}])"});
  Ok({"patch", "pod", "web", "--type", "strategic", "-p",
      R"({"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}})"});
  auto patched = json::parse(Ok({"get", "pod", "web", "-o", "json"}).out);
  EXPECT_EQ(patched.at("metadata").at("labels").at("m"), "1");
  EXPECT_EQ(patched.at("metadata").at("labels").at("j"), "2");
  EXPECT_EQ(patched.at("spec").at("containers").at(0).at("image"), "nginx:1.27");
  EXPECT_EQ(patched.at("spec").at("containers").at(0).at("ports").at(0).at("containerPort"), 80);
  auto ssa = kubectl({"apply", "--server-side", "-f", pod});
  EXPECT_NE(ssa.exit_code, 0);

  // delete by name and -f.
  auto d1 = Ok({"delete", "pod", "web"});
  EXPECT_NE(d1.out.find("pod \"web\" deleted"), std::string::npos) << d1.out;
  EXPECT_NE(kubectl({"get", "pod", "web"}).exit_code, 0);
  auto d2 = Ok({"delete", "-f", dir_ / "rc.yaml"});
  EXPECT_NE(d2.out.find("deleted"), std::string::npos);
  auto gone = kubectl({"get", "rc", "front"});
  EXPECT_NE(gone.err.find("NotFound"), std::string::npos) << gone.err;
}

TEST_F(ApiserverKubectl, GetWatchSeesChanges) {
  Ok({"create", "-f", Write("pod.yaml", kPod)});
  Process watch({KubectlPath(), "--kubeconfig", dir_ / "kubeconfig", "--cache-dir",
                 dir_ / "kube-cache", "get", "pods", "-w"},
                dir_ / "watch");
  ASSERT_TRUE(Eventually([&] { return watch.Stdout().find("web") != std::string::npos; }))
      << watch.Stderr();
  Ok({"label", "pod", "web", "seen=yes"});
  std::string pod2 = kPod;
  pod2.replace(pod2.find("name: web"), 9, "name: two");
  Ok({"create", "-f", Write("pod2.yaml", pod2)});
  ASSERT_TRUE(Eventually([&] { return watch.Stdout().find("two") != std::string::npos; }))
      << watch.Stdout() << watch.Stderr();
  watch.Signal(SIGTERM);
  watch.Wait();
}

// (type, name, resourceVersion) of each event line of a raw watch stream.
struct WatchEvent {
  std::string type;
  std::string name;
  std::string rv;
};
std::vector<WatchEvent> ParseEvents(const std::string& text) {
  std::vector<WatchEvent> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    auto ev = json::parse(line);
    const auto& meta = ev.at("object").at("metadata");
    out.push_back(
        {std::string(ev.at("type").as_string()),
         meta.as_object().contains("name") ? std::string(meta.at("name").as_string()) : "",
         std::string(meta.at("resourceVersion").as_string())});
  }
  return out;
}

TEST_F(ApiserverKubectl, RestartKeepsObjectsAndWatchesResumeWithoutGaps) {
  Ok({"create", "-f", Write("pod.yaml", kPod)});
  Ok({"apply", "-f", Write("rc.yaml", RcWith("nginx:1.25"))});
  Ok({"apply", "-f", Write("svc.yaml", kSvc)});
  Ok({"create", "-f", Write("node.yaml", kNode)});
  const std::string ip = Ok({"get", "svc", "front", "-o", "jsonpath={.spec.clusterIP}"}).out;
  // The list's own resourceVersion (kubectl get -o jsonpath shows a client-side List).
  const std::string rv(json::parse(Ok({"get", "--raw", "/api/v1/namespaces/default/pods"}).out)
                           .at("metadata")
                           .at("resourceVersion")
                           .as_string());
  ASSERT_FALSE(rv.empty());

  // A running watcher (an HTTP watch from the list's resourceVersion).
  auto watcher = std::make_unique<Process>(
      std::vector<std::string>{KubectlPath(), "--kubeconfig", dir_ / "kubeconfig", "--cache-dir",
                               dir_ / "kube-cache", "get", "--raw",
                               "/api/v1/namespaces/default/pods?watch=true&resourceVersion=" + rv},
      dir_ / "watch-1");
  Ok({"label", "pod", "web", "before=restart"});
  ASSERT_TRUE(Eventually([&] { return ParseEvents(watcher->Stdout()).size() == 1; }))
      << watcher->Stdout() << watcher->Stderr();

  // Restart: the watch stream ends with the server.
  Stop();
  watcher->Wait();
  const auto first = ParseEvents(watcher->Stdout());
  ASSERT_EQ(first.size(), 1u) << watcher->Stdout();
  EXPECT_EQ(first[0].type, "MODIFIED");
  EXPECT_EQ(first[0].name, "web");
  Start();

  // Every object is still there.
  EXPECT_EQ(Ok({"get", "pod", "web", "-o", "jsonpath={.metadata.labels.before}"}).out, "restart");
  EXPECT_EQ(Ok({"get", "rc", "front", "-o", "jsonpath={.spec.replicas}"}).out, "2");
  EXPECT_EQ(Ok({"get", "svc", "front", "-o", "jsonpath={.spec.clusterIP}"}).out, ip);
  EXPECT_EQ(Ok({"get", "node", "n1", "-o", "jsonpath={.metadata.labels.zone}"}).out, "a");
  EXPECT_NE(Ok({"get", "namespaces"}).out.find("kube-system"), std::string::npos);

  // Changes while the watcher is away, then it resumes from the last
  // resourceVersion it saw and gets exactly those, in order.
  std::string pod2 = kPod;
  pod2.replace(pod2.find("name: web"), 9, "name: after");
  Ok({"create", "-f", Write("pod2.yaml", pod2)});
  Ok({"label", "pod", "web", "after=restart"});
  Ok({"delete", "pod", "after"});
  auto resumed = Ok({"get", "--raw",
                     "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=2&"
                     "resourceVersion=" +
                         first[0].rv});
  const auto second = ParseEvents(resumed.out);
  ASSERT_EQ(second.size(), 3u) << resumed.out;
  EXPECT_EQ(second[0].type + " " + second[0].name, "ADDED after");
  EXPECT_EQ(second[1].type + " " + second[1].name, "MODIFIED web");
  EXPECT_EQ(second[2].type + " " + second[2].name, "DELETED after");
  EXPECT_LT(std::stoll(first[0].rv), std::stoll(second[0].rv));
  EXPECT_LT(std::stoll(second[0].rv), std::stoll(second[1].rv));
  EXPECT_LT(std::stoll(second[1].rv), std::stoll(second[2].rv));
}

TEST_F(ApiserverKubectl, WithoutTheTokenNothingIsWritten) {
  std::string kc = ReadFileText(dir_ / "kubeconfig");
  const size_t t = kc.find("token: ");
  ASSERT_NE(t, std::string::npos);
  kc.replace(t, kc.find('\n', t) - t, "token: \"wrong\"");
  std::ofstream(dir_ / "bad-kubeconfig") << kc;
  Kubectl bad(dir_ / "bad-kubeconfig", dir_.path());
  auto r = bad({"create", "-f", Write("pod.yaml", kPod), "--validate=false"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Unauthorized"), std::string::npos) << r.err;
  EXPECT_NE(Ok({"get", "pods"}).err.find("No resources found"), std::string::npos);
}

}  // namespace
}  // namespace navarch::testing
