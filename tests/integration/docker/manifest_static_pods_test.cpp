// Static pods on a real dockerd: a kubelet with no API server (its own
// in-memory LocalApi, as `navarch kubelet --standalone` runs) starts the
// containers of a manifest file, restarts them when the file changes, stops
// them when it is removed, and recreates a mirror pod that is deleted.
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/kubelet/manifest_source.h"
#include "tests/integration/docker/docker_fixture.h"

namespace navarch::docker::testing {
namespace {

class StaticPodTest : public DockerTest {
 protected:
  void SetUp() override {
    DockerTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    char tmpl[] = "/tmp/navarch-manifests-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (source_) OnLoop([&] { source_.reset(); });
    DockerTest::TearDown();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  void WriteManifest(const std::string& file, const std::string& message) {
    std::ofstream out(dir_ + "/" + file + ".tmp");
    out << "apiVersion: v1\n"
           "kind: Pod\n"
           "metadata:\n"
           "  name: static-web\n"
           "spec:\n"
           "  terminationGracePeriodSeconds: 2\n"
           "  containers:\n"
           "  - name: main\n"
           "    image: navarch/busybox:1\n"
           "    command: [sh, -c, 'echo "
        << message << "; exec sleep 3600']\n";
    out.close();
    // Atomic replace, as editors and config tools do.
    std::filesystem::rename(dir_ + "/" + file + ".tmp", dir_ + "/" + file);
  }

  void StartSource() {
    OnLoop([&] {
      kubelet::ManifestSourceOptions o;
      o.node_name = node_;
      o.manifest_dir = dir_;
      o.poll_period = milliseconds(300);
      source_ = std::make_unique<kubelet::ManifestSource>(api_, clock_, o, &reader_, nullptr);
      ASSERT_TRUE(source_->Start().ok());
    });
  }

  std::string PodName() const { return "static-web-" + node_; }

  // The pod's identity and state, for failure messages.
  std::string State() {
    return OnLoop([&]() -> std::string {
             auto p = GetPod(PodName());
             if (!p) return "<no pod>";
             return "uid=" + p->metadata.uid +
                    (p->metadata.deletion_timestamp ? " terminating" : "") + " hash=" +
                    p->metadata.annotations.at(std::string(kubelet::kAnnotationConfigHash));
           }) +
           " " + Describe(PodName());
  }

  // The uid of the running static pod, or "". Call on the loop.
  std::string UidOnLoop() {
    auto p = GetPod(PodName());
    return p && p->status.phase == "Running" && !p->metadata.deletion_timestamp ? p->metadata.uid
                                                                                : "";
  }
  std::string RunningUid() {
    return OnLoop([&] { return UidOnLoop(); });
  }

  int RunningContainers(const std::string& uid) {
    int n = 0;
    for (const auto& c : PodContainers(uid))
      n += c.state == runtime::ContainerState::kRunning;
    return n;
  }

  std::string dir_;
  kubelet::DiskManifestReader reader_;
  std::unique_ptr<kubelet::ManifestSource> source_;
};

TEST_F(StaticPodTest, FileStartsContainersEditRestartsThemRemovalStopsThem) {
  StartKubelet();
  WriteManifest("web.yaml", "version-1");
  StartSource();
  ASSERT_TRUE(WaitFor([&] { return !UidOnLoop().empty(); }, seconds(60))) << Describe(PodName());
  const std::string uid1 = RunningUid();
  ASSERT_FALSE(uid1.empty());
  auto ctrs = PodContainers(uid1);
  ASSERT_EQ(ctrs.size(), 1u);
  EXPECT_EQ(ctrs[0].state, runtime::ContainerState::kRunning);
  std::string log;
  for (int i = 0; i < 40 && log.find("version-1") == std::string::npos; ++i) {
    log = Logs(ctrs[0].id);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(log.find("version-1"), std::string::npos) << log;
  OnLoop([&] {
    auto p = GetPod(PodName());
    EXPECT_TRUE(kubelet::IsMirrorPod(*p));
  });

  // Editing the file replaces the pod: the old containers stop, new ones run.
  WriteManifest("web.yaml", "version-2");
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string uid = UidOnLoop();
        return !uid.empty() && uid != uid1;
      },
      seconds(60)))
      << State();
  const std::string uid2 = RunningUid();
  EXPECT_EQ(RunningContainers(uid1), 0);
  auto ctrs2 = PodContainers(uid2);
  ASSERT_EQ(ctrs2.size(), 1u);
  log.clear();
  for (int i = 0; i < 40 && log.find("version-2") == std::string::npos; ++i) {
    log = Logs(ctrs2[0].id);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(log.find("version-2"), std::string::npos) << log;

  // Removing the file stops the pod.
  std::filesystem::remove(dir_ + "/web.yaml");
  ASSERT_TRUE(WaitFor([&] { return !GetPod(PodName()); }, seconds(60))) << Describe(PodName());
  for (int i = 0; i < 100 && RunningContainers(uid2) > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(RunningContainers(uid2), 0);
}

TEST_F(StaticPodTest, DeletedMirrorPodIsRecreatedAndMalformedFileIsReported) {
  StartKubelet();
  WriteManifest("web.yaml", "hello");
  {
    std::ofstream bad(dir_ + "/bad.yaml");
    bad << "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n"
           "  - name: main\n    image: navarch/busybox:1\n    imagePullPolcy: Never\n";
  }
  StartSource();
  ASSERT_TRUE(WaitFor([&] { return !UidOnLoop().empty(); }, seconds(60))) << Describe(PodName());
  const std::string uid1 = RunningUid();
  auto errors = OnLoop([&] { return source_->errors(); });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], dir_ + "/bad.yaml:9: spec.containers[0].imagePullPolcy: unknown field");

  OnLoop([&] { ASSERT_TRUE(api_.Delete<api::Pod>("default", PodName()).ok()); });
  ASSERT_TRUE(WaitFor(
      [&] {
        std::string uid = UidOnLoop();
        return !uid.empty() && uid != uid1;
      },
      seconds(60)))
      << State();
  EXPECT_EQ(RunningContainers(uid1), 0);
}

}  // namespace
}  // namespace navarch::docker::testing
