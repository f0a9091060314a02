#include "core/controllers/endpoints_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/controllers/controller_utils.h"
#include "tests/unit/controllers/test_cluster.h"

namespace navarch::controllers {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MakePod;
using testing::MakeService;
using testing::TestCluster;

const std::map<std::string, std::string> kWeb = {{"app", "web"}};

std::shared_ptr<const api::Endpoints> GetEndpoints(TestCluster& c, const std::string& name) {
  auto eps = c.local.Get<api::Endpoints>("default", name);
  return eps.ok() ? *eps : nullptr;
}

// "name@ip" of each address, for compact assertions.
std::vector<std::string> Ips(const std::vector<api::EndpointAddress>& addrs) {
  std::vector<std::string> out;
  for (const auto& a : addrs)
    out.push_back((a.target_ref ? a.target_ref->name : "?") + "@" + a.ip);
  return out;
}

api::EndpointPort Port(std::string name, int32_t port) {
  api::EndpointPort p;
  p.name = std::move(name);
  p.port = port;
  p.protocol = "TCP";
  return p;
}

class EndpointsControllerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ec_.Start().ok()); }
  TestCluster c_;
  EndpointsController ec_{c_.api, c_.clock};
};

TEST_F(EndpointsControllerTest, ReadyPodsAreAddressesOthersWithAnIpAreNotReady) {
  c_.CreatePod(MakePod("p1", kWeb));
  c_.CreatePod(MakePod("p2", kWeb));
  c_.CreatePod(MakePod("p3-no-ip", kWeb));
  c_.CreatePod(MakePod("p4-other", {{"app", "other"}}));
  c_.Bind("p1", "n1");
  c_.SetPodStatus("p1", api::kPodRunning, true, "10.0.0.2");
  c_.SetPodStatus("p2", api::kPodRunning, false, "10.0.0.1");
  c_.SetPodStatus("p3-no-ip", api::kPodPending, false);
  c_.SetPodStatus("p4-other", api::kPodRunning, true, "10.0.0.9");
  api::Service svc = MakeService("web", kWeb);
  svc.metadata.labels = {{"tier", "front"}};
  ASSERT_TRUE(c_.local.Create(svc).ok());
  c_.clock.RunUntilIdle();

  auto eps = GetEndpoints(c_, "web");
  ASSERT_TRUE(eps);
  EXPECT_EQ(eps->metadata.labels, svc.metadata.labels);
  ASSERT_EQ(eps->subsets.size(), 1u);
  const auto& s = eps->subsets[0];
  EXPECT_THAT(Ips(s.addresses), ElementsAre("p1@10.0.0.2"));
  EXPECT_THAT(Ips(s.not_ready_addresses), ElementsAre("p2@10.0.0.1"));
  EXPECT_THAT(s.ports, ElementsAre(Port("http", 8080)));
  const auto& a = s.addresses[0];
  EXPECT_EQ(a.node_name, std::optional<std::string>("n1"));
  ASSERT_TRUE(a.target_ref);
  EXPECT_EQ(a.target_ref->kind, "Pod");
  EXPECT_EQ(a.target_ref->namespace_, "default");
  EXPECT_EQ(a.target_ref->uid, c_.Pod("p1")->metadata.uid);
  EXPECT_EQ(s.not_ready_addresses[0].node_name, std::nullopt);

  // p2 becomes ready: addresses ordered by IP.
  c_.SetPodStatus("p2", api::kPodRunning, true, "10.0.0.1");
  c_.clock.RunUntilIdle();
  eps = GetEndpoints(c_, "web");
  EXPECT_THAT(Ips(eps->subsets[0].addresses), ElementsAre("p2@10.0.0.1", "p1@10.0.0.2"));
  EXPECT_THAT(eps->subsets[0].not_ready_addresses, IsEmpty());

  // p1 is being deleted (bound: graceful): no longer ready to serve.
  ASSERT_TRUE(c_.local.Delete(api::Kind::kPod, "default", "p1").ok());
  c_.clock.RunUntilIdle();
  eps = GetEndpoints(c_, "web");
  EXPECT_THAT(Ips(eps->subsets[0].addresses), ElementsAre("p2@10.0.0.1"));
  EXPECT_THAT(Ips(eps->subsets[0].not_ready_addresses), ElementsAre("p1@10.0.0.2"));

  // p2 fails: it is dropped entirely.
  c_.SetPodStatus("p2", api::kPodFailed, false, "10.0.0.1");
  c_.clock.RunUntilIdle();
  eps = GetEndpoints(c_, "web");
  ASSERT_EQ(eps->subsets.size(), 1u);
  EXPECT_THAT(eps->subsets[0].addresses, IsEmpty());
  EXPECT_EQ(ec_.stats().created, 1u);
  EXPECT_EQ(ec_.stats().updated, 3u);
}

TEST_F(EndpointsControllerTest, FollowsSelectorChanges) {
  c_.CreatePod(MakePod("web-1", kWeb));
  c_.CreatePod(MakePod("api-1", {{"app", "api"}}));
  c_.SetPodStatus("web-1", api::kPodRunning, true, "10.0.0.1");
  c_.SetPodStatus("api-1", api::kPodRunning, true, "10.0.0.2");
  ASSERT_TRUE(c_.local.Create(MakeService("svc", kWeb)).ok());
  c_.clock.RunUntilIdle();
  EXPECT_THAT(Ips(GetEndpoints(c_, "svc")->subsets.at(0).addresses), ElementsAre("web-1@10.0.0.1"));

  auto svc = *c_.local.Get<api::Service>("default", "svc");
  api::Service changed = *svc;
  changed.spec.selector = {{"app", "api"}};
  ASSERT_TRUE(c_.local.Update(changed).ok());
  c_.clock.RunUntilIdle();
  EXPECT_THAT(Ips(GetEndpoints(c_, "svc")->subsets.at(0).addresses), ElementsAre("api-1@10.0.0.2"));

  // A pod relabelled into the selector joins; one relabelled out leaves.
  auto web1 = c_.Pod("web-1");
  api::Pod relabeled = *web1;
  relabeled.metadata.labels = {{"app", "api"}};
  ASSERT_TRUE(c_.local.Update(relabeled).ok());
  c_.clock.RunUntilIdle();
  EXPECT_THAT(Ips(GetEndpoints(c_, "svc")->subsets.at(0).addresses),
              ElementsAre("web-1@10.0.0.1", "api-1@10.0.0.2"));
  ASSERT_TRUE(c_.local.Delete(api::Kind::kPod, "default", "api-1").ok());  // unbound: immediate
  c_.clock.RunUntilIdle();
  EXPECT_THAT(Ips(GetEndpoints(c_, "svc")->subsets.at(0).addresses), ElementsAre("web-1@10.0.0.1"));
}

TEST_F(EndpointsControllerTest, NamedTargetPortsResolvePerPod) {
  auto with_port = [](const std::string& name, int32_t port) {
    api::Pod pod = MakePod(name, kWeb);
    if (port) {
      api::ContainerPort cp;
      cp.name = "web";
      cp.container_port = port;
      pod.spec.Mutable().containers[0].ports.push_back(cp);
    }
    return pod;
  };
  c_.CreatePod(with_port("a", 9090));
  c_.CreatePod(with_port("b", 9091));
  c_.CreatePod(with_port("c", 9090));
  c_.CreatePod(with_port("d-no-port", 0));
  c_.SetPodStatus("a", api::kPodRunning, true, "10.0.1.1");
  c_.SetPodStatus("b", api::kPodRunning, true, "10.0.1.2");
  c_.SetPodStatus("c", api::kPodRunning, true, "10.0.1.3");
  c_.SetPodStatus("d-no-port", api::kPodRunning, true, "10.0.1.4");
  api::Service svc = MakeService("web", kWeb);
  svc.spec.ports[0].target_port = "web";
  ASSERT_TRUE(c_.local.Create(svc).ok());
  c_.clock.RunUntilIdle();

  auto eps = GetEndpoints(c_, "web");
  ASSERT_TRUE(eps);
  ASSERT_EQ(eps->subsets.size(), 2u);
  EXPECT_THAT(eps->subsets[0].ports, ElementsAre(Port("http", 9090)));
  EXPECT_THAT(Ips(eps->subsets[0].addresses), ElementsAre("a@10.0.1.1", "c@10.0.1.3"));
  EXPECT_THAT(eps->subsets[1].ports, ElementsAre(Port("http", 9091)));
  EXPECT_THAT(Ips(eps->subsets[1].addresses), ElementsAre("b@10.0.1.2"));
}

TEST_F(EndpointsControllerTest, WrittenOnlyWhenChanged) {
  c_.CreatePod(MakePod("p1", kWeb));
  c_.SetPodStatus("p1", api::kPodRunning, true, "10.0.0.1");
  ASSERT_TRUE(c_.local.Create(MakeService("web", kWeb)).ok());
  c_.clock.RunUntilIdle();
  ASSERT_EQ(ec_.stats().created, 1u);
  std::string rv = GetEndpoints(c_, "web")->metadata.resource_version;

  // An annotation change is nothing an Endpoints shows: not even a sync.
  uint64_t syncs = ec_.stats().syncs;
  api::Pod annotated = *c_.Pod("p1");
  annotated.metadata.annotations["note"] = "x";
  ASSERT_TRUE(c_.local.Update(annotated).ok());
  c_.clock.RunUntilIdle();
  EXPECT_EQ(ec_.stats().syncs, syncs);

  // A forced sync finds it right and writes nothing.
  EXPECT_TRUE(ec_.Sync("default/web").ok());
  EXPECT_EQ(ec_.stats().unchanged, 1u);
  EXPECT_EQ(ec_.stats().updated, 0u);
  EXPECT_EQ(GetEndpoints(c_, "web")->metadata.resource_version, rv);
}

TEST_F(EndpointsControllerTest, DeletedWithTheServiceAndRecreatedIfDeletedAlone) {
  c_.CreatePod(MakePod("p1", kWeb));
  c_.SetPodStatus("p1", api::kPodRunning, true, "10.0.0.1");
  ASSERT_TRUE(c_.local.Create(MakeService("web", kWeb)).ok());
  c_.clock.RunUntilIdle();
  ASSERT_TRUE(GetEndpoints(c_, "web"));

  ASSERT_TRUE(c_.local.Delete(api::Kind::kEndpoints, "default", "web").ok());
  c_.clock.RunUntilIdle();
  auto eps = GetEndpoints(c_, "web");
  ASSERT_TRUE(eps);
  EXPECT_THAT(Ips(eps->subsets.at(0).addresses), ElementsAre("p1@10.0.0.1"));
  EXPECT_EQ(ec_.stats().created, 2u);

  ASSERT_TRUE(c_.local.Delete(api::Kind::kService, "default", "web").ok());
  c_.clock.RunUntilIdle();
  EXPECT_EQ(GetEndpoints(c_, "web"), nullptr);
  EXPECT_EQ(ec_.stats().deleted, 1u);
}

TEST_F(EndpointsControllerTest, PublishNotReadyAddressesAndServicesWithoutSelector) {
  c_.CreatePod(MakePod("p1", kWeb));
  c_.SetPodStatus("p1", api::kPodRunning, false, "10.0.0.1");
  api::Service publish = MakeService("publish", kWeb);
  publish.spec.publish_not_ready_addresses = true;
  ASSERT_TRUE(c_.local.Create(publish).ok());
  ASSERT_TRUE(c_.local.Create(MakeService("manual", {})).ok());
  c_.clock.RunUntilIdle();
  EXPECT_THAT(Ips(GetEndpoints(c_, "publish")->subsets.at(0).addresses),
              ElementsAre("p1@10.0.0.1"));
  EXPECT_EQ(GetEndpoints(c_, "manual"), nullptr);
}

TEST(EndpointsControllerSharedTest, WorksOnASharedInformerSetStartedBeforehand) {
  TestCluster c;
  c.CreatePod(MakePod("p1", kWeb));
  c.SetPodStatus("p1", api::kPodRunning, true, "10.0.0.1");
  ASSERT_TRUE(c.local.Create(MakeService("web", kWeb)).ok());
  InformerSet informers(c.api, c.clock);
  informers.For(api::Kind::kService);
  informers.For(api::Kind::kPod);
  informers.For(api::Kind::kEndpoints);
  ASSERT_TRUE(informers.Start().ok());
  EndpointsControllerOptions o;
  o.informers = &informers;
  EndpointsController ec(c.api, c.clock, o);  // misses the initial adds
  ASSERT_TRUE(ec.Start().ok());
  c.clock.RunUntilIdle();
  auto eps = GetEndpoints(c, "web");
  ASSERT_TRUE(eps);
  // Later pod changes still reach it.
  c.SetPodStatus("p1", api::kPodRunning, false, "10.0.0.1");
  c.clock.RunUntilIdle();
  EXPECT_THAT(Ips(GetEndpoints(c, "web")->subsets.at(0).not_ready_addresses),
              ElementsAre("p1@10.0.0.1"));
}

}  // namespace
}  // namespace navarch::controllers
