// Static pods from manifests: parsing, and a ManifestSource feeding a real
// Kubelet (FakeRuntime, LocalApi, ManualClock).
#include "core/kubelet/manifest_source.h"
#include "tests/unit/hostile_inputs.h"

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/unit/kubelet/kubelet_fixture.h"

namespace navarch::kubelet {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const char kWeb[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: app:1
)";

const char kWebV2[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: batch:1
)";

const char kBad[] = R"(apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: app:1
    imagePullPolcy: Always
)";

// An in-memory directory.
class FakeReader final : public ManifestReader {
 public:
  std::map<std::string, std::string> files;  // path -> text
  bool missing = false;
  Result<std::vector<Manifest>> ReadDir(const std::string& dir,
                                        std::vector<std::string>*) override {
    if (missing) return NotFound("manifest directory " + dir + " does not exist");
    std::vector<Manifest> out;
    for (const auto& [path, text] : files)
      out.push_back({path, text});
    return out;
  }
};

class FakeFetcher final : public ManifestFetcher {
 public:
  Result<std::string> body = std::string();
  int fetches = 0;
  Result<std::string> Fetch(const std::string&) override {
    ++fetches;
    return body;
  }
};

TEST(ParseManifestTest, StaticPodIsNamedForTheNodeBoundAndAnnotated) {
  auto parsed = ParseManifest({"/etc/manifests/web.yaml", kWeb}, "file", "n1");
  ASSERT_THAT(parsed.errors, IsEmpty());
  ASSERT_EQ(parsed.pods.size(), 1u);
  const api::Pod& p = parsed.pods[0];
  EXPECT_EQ(p.metadata.name, "web-n1");
  EXPECT_EQ(p.metadata.namespace_, "default");
  EXPECT_EQ(p.spec->node_name, "n1");
  const auto& a = p.metadata.annotations;
  EXPECT_EQ(a.at("kubernetes.io/config.source"), "file");
  EXPECT_EQ(a.at("navarch.io/manifest"), "/etc/manifests/web.yaml");
  EXPECT_EQ(a.at("kubernetes.io/config.hash").size(), 16u);
  EXPECT_EQ(a.at("kubernetes.io/config.mirror"), a.at("kubernetes.io/config.hash"));
  EXPECT_TRUE(IsMirrorPod(p));

  // The hash is a function of the content and the source.
  auto again = ParseManifest({"/etc/manifests/web.yaml", kWeb}, "file", "n1");
  EXPECT_EQ(again.pods[0].metadata.annotations, a);
  auto changed = ParseManifest({"/etc/manifests/web.yaml", kWebV2}, "file", "n1");
  EXPECT_NE(changed.pods[0].metadata.annotations.at("kubernetes.io/config.hash"),
            a.at("kubernetes.io/config.hash"));
  auto other_node = ParseManifest({"/etc/manifests/web.yaml", kWeb}, "file", "n2");
  EXPECT_EQ(other_node.pods[0].metadata.name, "web-n2");
}

TEST(ParseManifestTest, ErrorsNameTheFileAndLine) {
  auto parsed = ParseManifest({"web.yaml", kBad}, "file", "n1");
  EXPECT_THAT(parsed.pods, IsEmpty());
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_EQ(parsed.errors[0], "web.yaml:9: spec.containers[0].imagePullPolcy: unknown field");

  auto broken = ParseManifest({"broken.yaml", "kind: Pod\nmetadata: [unclosed\n"}, "file", "n1");
  ASSERT_EQ(broken.errors.size(), 1u);
  EXPECT_THAT(broken.errors[0], HasSubstr("broken.yaml:"));

  auto no_image =
      ParseManifest({"x.yaml",
                     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers:\n  - "
                     "name: app\n"},
                    "file", "n1");
  ASSERT_EQ(no_image.errors.size(), 1u);
  EXPECT_THAT(no_image.errors[0], HasSubstr("x.yaml:7: spec.containers[0].image"));

  auto service = ParseManifest(
      {"svc.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"}, "file", "n1");
  ASSERT_EQ(service.errors.size(), 1u);
  EXPECT_EQ(service.errors[0],
            "svc.yaml:1: kind Service: only Pods can be static pods (document skipped)");
}

TEST(ParseManifestTest, MultipleDocumentsListsAndJson) {
  std::string two = std::string(kWeb) + "---\n" +
                    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: db\nspec:\n  containers:\n  - "
                    "name: db\n    image: app:1\n";
  auto parsed = ParseManifest({"two.yaml", two}, "file", "n1");
  ASSERT_THAT(parsed.errors, IsEmpty());
  ASSERT_EQ(parsed.pods.size(), 2u);
  EXPECT_EQ(parsed.pods[1].metadata.name, "db-n1");

  const char list[] = R"(apiVersion: v1
kind: PodList
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec: {containers: [{name: c, image: app:1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: b}
  spec: {containers: [{name: c, image: app:1, bogus: 1}]}
)";
  auto l = ParseManifest({"http://h/pods", list}, "http", "n1");
  ASSERT_EQ(l.pods.size(), 1u);
  EXPECT_EQ(l.pods[0].metadata.name, "a-n1");
  EXPECT_EQ(l.pods[0].metadata.annotations.at("kubernetes.io/config.source"), "http");
  ASSERT_EQ(l.errors.size(), 1u);
  EXPECT_THAT(l.errors[0], HasSubstr("http://h/pods items[1]:11: spec.containers[0].bogus"));
  EXPECT_THAT(l.errors[0], HasSubstr("bogus: unknown field"));

  const char json[] =
      R"({"kind":"List","apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Pod",)"
      R"("metadata":{"name":"j","namespace":"infra"},"spec":{"containers":[{"name":"c","image":"app:1"}]}}]})";
  auto j = ParseManifest({"pods.json", json}, "file", "n1");
  ASSERT_THAT(j.errors, IsEmpty());
  ASSERT_EQ(j.pods.size(), 1u);
  EXPECT_EQ(api::KeyOf(j.pods[0]), "infra/j-n1");
}

class ManifestSourceTest : public testing::KubeletTest {
 protected:
  void StartAll(bool url = false) {
    StartKubelet();
    ManifestSourceOptions o;
    o.node_name = "n1";
    o.manifest_dir = "/etc/manifests";
    if (url) o.manifest_url = "http://127.0.0.1:1/pods";
    o.log = [this](std::string_view line) { log_.emplace_back(line); };
    source_ = std::make_unique<ManifestSource>(api_, clock_, o, &reader_, &fetcher_);
    ASSERT_TRUE(source_->Start().ok());
    Settle();
  }
  // Lets the kubelet and the source react (runtime calls complete on the loop).
  void Settle() {
    for (int i = 0; i < 5; ++i) {
      clock_.RunUntilIdle();
      clock_.Advance(milliseconds(100));
    }
  }
  // Past the next directory poll.
  void Poll() {
    clock_.Advance(seconds(5));
    Settle();
  }
  std::vector<std::string> PodNames() {
    std::vector<std::string> out;
    auto list = api_.List<api::Pod>();
    for (const auto& p : list->items)
      out.push_back(p->metadata.name);
    return out;
  }
  int LogLines(const std::string& needle) {
    int n = 0;
    for (const auto& l : log_)
      n += l.find(needle) != std::string::npos;
    return n;
  }

  FakeReader reader_;
  FakeFetcher fetcher_;
  std::vector<std::string> log_;
  std::unique_ptr<ManifestSource> source_;
};

TEST_F(ManifestSourceTest, FileStartsAMirrorPodThatTheKubeletRuns) {
  reader_.files["/etc/manifests/web.yaml"] = kWeb;
  StartAll();
  auto pod = GetPod("web-n1");
  ASSERT_TRUE(pod);
  EXPECT_TRUE(IsMirrorPod(*pod));
  EXPECT_EQ(pod->spec->node_name, "n1");
  ASSERT_EQ(pod->metadata.owner_references.size(), 1u);
  EXPECT_EQ(pod->metadata.owner_references[0].kind, "Node");
  EXPECT_EQ(pod->metadata.owner_references[0].uid, GetNode()->metadata.uid);
  EXPECT_EQ(pod->metadata.owner_references[0].controller, true);
  EXPECT_EQ(pod->status.phase, api::kPodRunning);
  EXPECT_EQ(runtime_.Running("app").size(), 1u);
  EXPECT_EQ(source_->stats().pods_created, 1u);
  EXPECT_THAT(source_->DesiredPods(), ElementsAre("default/web-n1"));
}

TEST_F(ManifestSourceTest, EditingTheFileReplacesThePodRemovingItStopsIt) {
  reader_.files["/etc/manifests/web.yaml"] = kWeb;
  StartAll();
  const std::string old_uid = GetPod("web-n1")->metadata.uid;
  reader_.files["/etc/manifests/web.yaml"] = kWebV2;
  Poll();
  Poll();  // the old pod terminates, then the new one is created
  auto pod = GetPod("web-n1");
  ASSERT_TRUE(pod);
  EXPECT_NE(pod->metadata.uid, old_uid);
  EXPECT_EQ(pod->spec->containers[0].image, "batch:1");
  EXPECT_EQ(pod->status.phase, api::kPodRunning);
  auto running = runtime_.Running("app");
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].image, "batch:1");

  reader_.files.clear();
  Poll();
  Poll();
  EXPECT_FALSE(GetPod("web-n1"));
  EXPECT_THAT(runtime_.Running("app"), IsEmpty());
  EXPECT_EQ(LogLines("its manifest was removed"), 1);
}

TEST_F(ManifestSourceTest, DeletedMirrorPodIsRecreated) {
  reader_.files["/etc/manifests/web.yaml"] = kWeb;
  StartAll();
  const std::string old_uid = GetPod("web-n1")->metadata.uid;
  ASSERT_TRUE(api_.Delete<api::Pod>("default", "web-n1").ok());
  Settle();
  Settle();
  auto pod = GetPod("web-n1");
  ASSERT_TRUE(pod);
  EXPECT_NE(pod->metadata.uid, old_uid);
  EXPECT_EQ(pod->status.phase, api::kPodRunning);
  EXPECT_EQ(source_->stats().pods_created, 2u);
}

TEST_F(ManifestSourceTest, MalformedFileIsLoggedOnceOthersKeepRunning) {
  reader_.files["/etc/manifests/web.yaml"] = kWeb;
  reader_.files["/etc/manifests/bad.yaml"] = std::string(kBad);
  StartAll();
  EXPECT_THAT(PodNames(), ElementsAre("web-n1"));
  EXPECT_THAT(source_->errors(), ElementsAre("/etc/manifests/bad.yaml:9: "
                                             "spec.containers[0].imagePullPolcy: unknown field"));
  Poll();
  Poll();
  EXPECT_EQ(LogLines("imagePullPolcy"), 1);

  // A good file that turns bad keeps its previous version running.
  const std::string uid = GetPod("web-n1")->metadata.uid;
  reader_.files["/etc/manifests/web.yaml"] = "kind: Pod\nmetadata: {name: web\n";
  Poll();
  EXPECT_EQ(GetPod("web-n1")->metadata.uid, uid);
  EXPECT_EQ(source_->errors().size(), 2u);
  // Fixing the bad file starts it.
  reader_.files["/etc/manifests/bad.yaml"] =
      std::string(kWeb).replace(std::string(kWeb).find("name: web"), 9, "name: fixed");
  Poll();
  EXPECT_THAT(PodNames(), ElementsAre("fixed-n1", "web-n1"));
}

TEST_F(ManifestSourceTest, DuplicateNamesAndAnUnreadableDirectory) {
  reader_.files["/etc/manifests/a.yaml"] = kWeb;
  reader_.files["/etc/manifests/b.yaml"] = kWeb;
  StartAll();
  EXPECT_THAT(PodNames(), ElementsAre("web-n1"));
  ASSERT_EQ(source_->errors().size(), 1u);
  EXPECT_THAT(source_->errors()[0],
              HasSubstr("/etc/manifests/b.yaml: pod default/web-n1 is already defined by "
                        "/etc/manifests/a.yaml"));
  // The directory vanishing for a moment keeps the pods.
  reader_.missing = true;
  Poll();
  EXPECT_THAT(PodNames(), ElementsAre("web-n1"));
  EXPECT_THAT(source_->errors(), ElementsAre(HasSubstr("already defined"),
                                             "manifest directory /etc/manifests does not exist"));
}

TEST_F(ManifestSourceTest, UrlSourcePolledAndFailuresKeepThePods) {
  fetcher_.body = std::string(kWeb);
  StartAll(/*url=*/true);
  auto pod = GetPod("web-n1");
  ASSERT_TRUE(pod);
  EXPECT_EQ(pod->metadata.annotations.at("kubernetes.io/config.source"), "http");
  EXPECT_EQ(fetcher_.fetches, 1);
  fetcher_.body = Unavailable("GET http://127.0.0.1:1/pods: connection refused");
  clock_.Advance(seconds(20));
  Settle();
  EXPECT_EQ(fetcher_.fetches, 2);
  EXPECT_TRUE(GetPod("web-n1"));
  EXPECT_THAT(source_->errors(), ElementsAre(HasSubstr("connection refused")));
  fetcher_.body = std::string();  // an empty body: no pods
  clock_.Advance(seconds(20));
  Settle();
  Poll();
  EXPECT_FALSE(GetPod("web-n1"));
}

TEST_F(ManifestSourceTest, ANonStaticPodOfTheSameNameIsReported) {
  auto other = MakePod("web-n1", {testing::MakeContainer("x")});
  other.spec.Mutable().node_name = "n2";
  CreatePod(other);
  reader_.files["/etc/manifests/web.yaml"] = kWeb;
  StartAll();
  EXPECT_FALSE(IsMirrorPod(*GetPod("web-n1")));
  ASSERT_EQ(source_->errors().size(), 1u);
  EXPECT_THAT(source_->errors()[0], HasSubstr("not this node's static pod exists; delete it"));
  Poll();
  EXPECT_EQ(LogLines("delete it"), 1);
}

TEST(ManifestSourceOptionsTest, UnusableOptionsAreRejected) {
  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi api(store, clock);
  FakeReader reader;
  ManifestSourceOptions o;
  o.manifest_dir = "/m";
  EXPECT_THAT(ManifestSource(api, clock, o, &reader, nullptr).Start().message(),
              HasSubstr("node name is required"));
  o.node_name = "n1";
  o.manifest_dir.clear();
  EXPECT_THAT(ManifestSource(api, clock, o, &reader, nullptr).Start().message(),
              HasSubstr("set a manifest directory or a manifest URL"));
  o.manifest_url = "http://x/";
  EXPECT_THAT(ManifestSource(api, clock, o, &reader, nullptr).Start().message(),
              HasSubstr("needs a fetcher"));
}

// Standalone: no API server; the kubelet and the source share a private
// in-memory store, and the pods come from the manifests alone.
TEST(StandaloneTest, KubeletRunsStaticPodsWithoutAnApiServer) {
  runtime::ManualClock clock;
  store::MemoryStore local_store;
  client::LocalApi local(local_store, clock);
  testing::FakeRuntime rt(clock);
  rt.AddRegistryImage("app:1");
  KubeletOptions ko;
  ko.node_name = "n1";
  Kubelet kubelet(local, clock, rt, ko);
  ASSERT_TRUE(kubelet.Start().ok());
  clock.RunUntilIdle();
  FakeReader reader;
  reader.files["/m/web.yaml"] = kWeb;
  ManifestSourceOptions o;
  o.node_name = "n1";
  o.manifest_dir = "/m";
  ManifestSource source(local, clock, o, &reader, nullptr);
  ASSERT_TRUE(source.Start().ok());
  for (int i = 0; i < 10; ++i)
    clock.Advance(milliseconds(100));
  EXPECT_EQ(rt.Running("app").size(), 1u);
  auto pod = local.Get<api::Pod>("default", "web-n1");
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ((*pod)->status.phase, api::kPodRunning);
}

TEST(ManifestSource, HostileYamlIsReportedNotFatal) {
  const std::string bomb = navarch::testing::AliasBomb("apiVersion: v1\nkind: Pod\n");
  for (const std::string& text : {std::string("!,"), std::string(","), bomb}) {
    auto parsed = ParseManifest({"bad.yaml", text}, "file", "n1");
    EXPECT_THAT(parsed.pods, IsEmpty());
    ASSERT_EQ(parsed.errors.size(), 1u);
    EXPECT_THAT(parsed.errors[0], HasSubstr("bad.yaml: malformed YAML"));
  }
}

TEST(ManifestSource, AnOversizedFileInTheDirectoryIsSkippedNotRead) {
  const std::filesystem::path dir =
      std::filesystem::path(NAVARCH_BINARY_DIR) / "manifest-size-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "ok.yaml") << "apiVersion: v1\nkind: Pod\n";
    std::ofstream big(dir / "big.yaml");
  }
  std::filesystem::resize_file(dir / "big.yaml", 17u << 20);  // sparse
  DiskManifestReader reader;
  std::vector<std::string> unreadable;
  auto read = reader.ReadDir(dir.string(), &unreadable);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  ASSERT_EQ(unreadable.size(), 1u);
  EXPECT_THAT(unreadable[0], HasSubstr("big.yaml: 17825792 bytes, more than the 16 MiB"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace navarch::kubelet
