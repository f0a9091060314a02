#include "core/proxy/service_plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace navarch::proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

api::Service MakeService(std::vector<api::ServicePort> ports) {
  api::Service s;
  s.metadata.namespace_ = "default";
  s.metadata.name = "web";
  s.spec.cluster_ip = "10.96.0.10";
  s.spec.ports = std::move(ports);
  return s;
}

api::ServicePort SvcPort(std::string name, int32_t port, int32_t node_port = 0,
                         std::string protocol = "TCP") {
  api::ServicePort p;
  p.name = std::move(name);
  p.port = port;
  p.node_port = node_port;
  p.protocol = std::move(protocol);
  return p;
}

api::EndpointAddress Addr(std::string ip, std::string pod) {
  api::EndpointAddress a;
  a.ip = std::move(ip);
  api::ObjectReference ref;
  ref.kind = "Pod";
  ref.namespace_ = "default";
  ref.name = std::move(pod);
  a.target_ref = ref;
  return a;
}

api::EndpointPort EpPort(std::string name, int32_t port) {
  api::EndpointPort p;
  p.name = std::move(name);
  p.port = port;
  p.protocol = "TCP";
  return p;
}

api::Endpoints MakeEndpoints(std::vector<api::EndpointAddress> ready,
                             std::vector<api::EndpointAddress> not_ready,
                             std::vector<api::EndpointPort> ports) {
  api::Endpoints e;
  e.metadata.namespace_ = "default";
  e.metadata.name = "web";
  api::EndpointSubset s;
  s.addresses = std::move(ready);
  s.not_ready_addresses = std::move(not_ready);
  s.ports = std::move(ports);
  e.subsets.push_back(s);
  return e;
}

std::vector<std::string> Dials(const BackendSet& set) {
  std::vector<std::string> out;
  for (const auto& b : set.backends)
    out.push_back(b.host + ":" + std::to_string(b.port));
  return out;
}

TEST(ServicePlanTest, ReadyAddressesSortedNotReadyIgnored) {
  auto svc = MakeService({SvcPort("", 80)});
  auto eps = MakeEndpoints({Addr("10.0.0.3", "c"), Addr("10.0.0.1", "a")}, {Addr("10.0.0.2", "b")},
                           {EpPort("", 8080)});
  auto plan = PlanService(svc, &eps, {}, {});
  ASSERT_EQ(plan.listeners.size(), 1u);
  EXPECT_EQ(plan.listeners[0].id, "default/web:80");
  EXPECT_EQ(plan.listeners[0].port, 80);
  EXPECT_THAT(Dials(plan.listeners[0].backends), ElementsAre("10.0.0.1:8080", "10.0.0.3:8080"));
  EXPECT_EQ(plan.listeners[0].backends.backends[0].description, "10.0.0.1:8080 (pod default/a)");
  EXPECT_FALSE(plan.listeners[0].backends.client_ip_affinity);
  EXPECT_THAT(plan.skipped, IsEmpty());
}

TEST(ServicePlanTest, NamedPortsMatchByNameAndNodePortsGetTheirOwnListener) {
  auto svc = MakeService({SvcPort("http", 80, 30080), SvcPort("admin", 81)});
  auto eps =
      MakeEndpoints({Addr("10.0.0.1", "a")}, {}, {EpPort("admin", 9000), EpPort("http", 8080)});
  auto plan = PlanService(svc, &eps, {}, {});
  ASSERT_EQ(plan.listeners.size(), 3u);
  EXPECT_EQ(plan.listeners[0].id, "default/web:80");
  EXPECT_THAT(Dials(plan.listeners[0].backends), ElementsAre("10.0.0.1:8080"));
  EXPECT_EQ(plan.listeners[1].id, "default/web:81");
  EXPECT_THAT(Dials(plan.listeners[1].backends), ElementsAre("10.0.0.1:9000"));
  EXPECT_EQ(plan.listeners[2].id, "default/web:nodePort:30080");
  EXPECT_TRUE(plan.listeners[2].node_port);
  EXPECT_EQ(plan.listeners[2].port, 30080);
  EXPECT_THAT(Dials(plan.listeners[2].backends), ElementsAre("10.0.0.1:8080"));

  PlanOptions no_node_ports;
  no_node_ports.node_ports = false;
  EXPECT_EQ(PlanService(svc, &eps, {}, no_node_ports).listeners.size(), 2u);
}

TEST(ServicePlanTest, UdpHeadlessAndExternalNameAreSkippedWithAReason) {
  auto svc = MakeService({SvcPort("dns", 53, 0, "UDP"), SvcPort("tcp", 5353)});
  auto plan = PlanService(svc, nullptr, {}, {});
  ASSERT_EQ(plan.listeners.size(), 1u);
  EXPECT_EQ(plan.listeners[0].id, "default/web:5353");
  EXPECT_THAT(plan.listeners[0].backends.backends, IsEmpty());
  ASSERT_EQ(plan.skipped.size(), 1u);
  EXPECT_EQ(plan.skipped[0].port, 53);
  EXPECT_THAT(plan.skipped[0].reason, HasSubstr("UDP is not supported by the proxy (TCP only)"));

  auto headless = MakeService({SvcPort("", 80)});
  headless.spec.cluster_ip = "None";
  auto hp = PlanService(headless, nullptr, {}, {});
  EXPECT_THAT(hp.listeners, IsEmpty());
  ASSERT_EQ(hp.skipped.size(), 1u);
  EXPECT_THAT(hp.skipped[0].reason, HasSubstr("headless"));

  auto ext = MakeService({SvcPort("", 80)});
  ext.spec.type = "ExternalName";
  EXPECT_THAT(PlanService(ext, nullptr, {}, {}).skipped[0].reason, HasSubstr("ExternalName"));
}

TEST(ServicePlanTest, AffinityAndItsTimeoutAnnotation) {
  auto svc = MakeService({SvcPort("", 80)});
  svc.spec.session_affinity = "ClientIP";
  auto plan = PlanService(svc, nullptr, {}, {});
  EXPECT_TRUE(plan.listeners[0].backends.client_ip_affinity);
  EXPECT_EQ(plan.listeners[0].backends.affinity_timeout, seconds(10800));
  svc.metadata.annotations[std::string(kAffinityTimeoutAnnotation)] = "60";
  EXPECT_EQ(PlanService(svc, nullptr, {}, {}).listeners[0].backends.affinity_timeout, seconds(60));
  svc.metadata.annotations[std::string(kAffinityTimeoutAnnotation)] = "forever";
  EXPECT_EQ(PlanService(svc, nullptr, {}, {}).listeners[0].backends.affinity_timeout,
            seconds(10800));
}

TEST(ServicePlanTest, PublishedPortsAnnotationWinsThenHostPortThenPodIp) {
  api::Pod annotated;
  annotated.metadata.namespace_ = "default";
  annotated.metadata.name = "a";
  annotated.metadata.annotations[std::string(kPublishedPortsAnnotation)] =
      "8080/TCP=127.0.0.1:32768, 9090/TCP=0.0.0.0:32769";
  annotated.status.host_ip = "192.168.1.5";
  api::Pod host_port;
  host_port.metadata.namespace_ = "default";
  host_port.metadata.name = "b";
  api::Container c;
  c.name = "app";
  api::ContainerPort cp;
  cp.container_port = 8080;
  cp.host_port = 18080;
  c.ports.push_back(cp);
  host_port.spec.Mutable().containers.push_back(c);
  std::map<std::string, const api::Pod*> pods = {{"a", &annotated}, {"b", &host_port}};
  PodLookup lookup = [&](std::string_view ns, std::string_view name) -> const api::Pod* {
    auto it = pods.find(std::string(name));
    return ns == "default" && it != pods.end() ? it->second : nullptr;
  };
  auto svc = MakeService({SvcPort("", 80)});
  auto eps = MakeEndpoints(
      {Addr("172.17.0.2", "a"), Addr("172.17.0.3", "b"), Addr("172.17.0.4", "unknown")}, {},
      {EpPort("", 8080)});
  auto plan = PlanService(svc, &eps, lookup, {});
  EXPECT_THAT(Dials(plan.listeners[0].backends),
              ElementsAre("127.0.0.1:18080", "127.0.0.1:32768", "172.17.0.4:8080"));

  // A wildcard host in the annotation means the pod's host IP.
  auto eps9090 = MakeEndpoints({Addr("172.17.0.2", "a")}, {}, {EpPort("", 9090)});
  EXPECT_THAT(Dials(PlanService(svc, &eps9090, lookup, {}).listeners[0].backends),
              ElementsAre("192.168.1.5:32769"));
}

TEST(ServicePlanTest, ParsePublishedPortsRoundTripsAndNamesBadEntries) {
  auto parsed = ParsePublishedPorts("8080/tcp=127.0.0.1:32768,53/UDP=[::1]:5353");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->at("8080/TCP"), (HostPort{"127.0.0.1", 32768}));
  EXPECT_EQ(parsed->at("53/UDP"), (HostPort{"::1", 5353}));
  EXPECT_EQ(FormatPublishedPorts(*parsed), "53/UDP=[::1]:5353,8080/TCP=127.0.0.1:32768");

  for (const char* bad : {"8080=127.0.0.1:1", "8080/TCP=127.0.0.1", "x/TCP=1.2.3.4:5",
                          "8080/TCP=1.2.3.4:70000", "8080/XTP=1.2.3.4:5"}) {
    auto r = ParsePublishedPorts(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr(std::string("bad entry \"") + bad + "\""));
    EXPECT_THAT(r.status().message(), HasSubstr("<containerPort>/<protocol>=<hostIP>:<hostPort>"));
  }
}

}  // namespace
}  // namespace navarch::proxy
