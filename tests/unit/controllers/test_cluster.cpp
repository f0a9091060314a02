#include "tests/unit/controllers/test_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/controllers/controller_utils.h"

namespace navarch::controllers::testing {

Result<client::ObjectPtr> FaultyApi::Create(client::ObjectPtr obj,
                                            const client::WriteOptions& options) {
  int n = ++creates;
  if (fail_create && fail_create(n)) {
    return Unavailable("injected failure of create #" + std::to_string(n));
  }
  auto created = inner().Create(std::move(obj), options);
  if (created.ok()) create_times.push_back((*created)->metadata.creation_timestamp);
  return created;
}

namespace {

client::LocalApiOptions ApiOptions(Duration watch_delay) {
  client::LocalApiOptions o;
  o.encode_values = false;
  o.watch_delay = watch_delay;
  return o;
}

}  // namespace

TestCluster::TestCluster(Duration watch_delay, store::Revision retain_revisions)
    : store(store::MemoryStoreOptions{retain_revisions}),
      local(store, clock, ApiOptions(watch_delay)),
      api(local) {}

std::vector<std::shared_ptr<const api::Pod>> TestCluster::Pods(const std::string& ns) {
  client::ListOptions o;
  o.namespace_ = ns;
  auto list = local.List<api::Pod>(o);
  EXPECT_TRUE(list.ok()) << list.status();
  return list.ok() ? list->items : std::vector<std::shared_ptr<const api::Pod>>{};
}

std::vector<std::shared_ptr<const api::Pod>> TestCluster::LivePods(const std::string& ns) {
  auto pods = Pods(ns);
  std::erase_if(pods, [](const auto& p) { return IsTerminating(*p); });
  return pods;
}

std::shared_ptr<const api::Pod> TestCluster::Pod(const std::string& name, const std::string& ns) {
  auto pod = local.Get<api::Pod>(ns, name);
  return pod.ok() ? *pod : nullptr;
}

std::shared_ptr<const api::ReplicationController> TestCluster::Rc(const std::string& name) {
  auto rc = local.Get<api::ReplicationController>("default", name);
  EXPECT_TRUE(rc.ok()) << rc.status();
  return rc.ok() ? *rc : nullptr;
}

std::shared_ptr<const api::Node> TestCluster::Node(const std::string& name) {
  auto node = local.Get<api::Node>("", name);
  EXPECT_TRUE(node.ok()) << node.status();
  return node.ok() ? *node : nullptr;
}

std::shared_ptr<const api::Pod> TestCluster::CreatePod(const api::Pod& pod) {
  auto created = local.Create(pod);
  EXPECT_TRUE(created.ok()) << created.status();
  return created.ok() ? *created : nullptr;
}

void TestCluster::Bind(const std::string& pod_name, const std::string& node) {
  auto pod = Pod(pod_name);
  ASSERT_TRUE(pod) << pod_name;
  auto written = local.Bind(pod, node);
  ASSERT_TRUE(written.ok()) << written.status();
}

void TestCluster::SetPodStatus(const std::string& pod_name, std::string_view phase, bool ready,
                               const std::string& ip) {
  auto pod = Pod(pod_name);
  ASSERT_TRUE(pod) << pod_name;
  api::Pod copy = *pod;
  copy.status.phase = std::string(phase);
  copy.status.pod_ip = ip;
  std::string status(ready ? kConditionTrue : kConditionFalse);
  auto it = std::find_if(copy.status.conditions.begin(), copy.status.conditions.end(),
                         [](const api::PodCondition& c) { return c.type == kConditionReady; });
  if (it == copy.status.conditions.end()) {
    copy.status.conditions.push_back({});
    it = copy.status.conditions.end() - 1;
    it->type = std::string(kConditionReady);
  }
  if (it->status != status) {
    it->status = status;
    it->last_transition_time = clock.Now();
  }
  auto written = local.UpdateStatus(copy);
  ASSERT_TRUE(written.ok()) << written.status();
}

void TestCluster::Scale(const std::string& rc_name, int32_t replicas) {
  auto rc = Rc(rc_name);
  ASSERT_TRUE(rc);
  api::ReplicationController copy = *rc;
  copy.spec.replicas = replicas;
  auto written = local.Update(copy);
  ASSERT_TRUE(written.ok()) << written.status();
}

void TestCluster::Heartbeat(const std::string& name) {
  auto node = Node(name);
  ASSERT_TRUE(node);
  api::Node copy = *node;
  auto it = std::find_if(copy.status.conditions.begin(), copy.status.conditions.end(),
                         [](const api::NodeCondition& c) { return c.type == kConditionReady; });
  ASSERT_NE(it, copy.status.conditions.end());
  if (it->status != kConditionTrue) {
    it->status = std::string(kConditionTrue);
    it->reason = "KubeletReady";
    it->last_transition_time = clock.Now();
  }
  it->last_heartbeat_time = clock.Now();
  auto written = local.UpdateStatus(copy);
  ASSERT_TRUE(written.ok()) << written.status();
}

api::Pod MakePod(const std::string& name, const std::map<std::string, std::string>& labels) {
  api::Pod pod;
  pod.metadata.name = name;
  pod.metadata.namespace_ = "default";
  pod.metadata.labels = labels;
  api::Container c;
  c.name = "main";
  c.image = "nginx";
  pod.spec.Mutable().containers.push_back(c);
  return pod;
}

api::ReplicationController MakeRc(const std::string& name, int32_t replicas,
                                  const std::map<std::string, std::string>& labels) {
  api::ReplicationController rc;
  rc.metadata.name = name;
  rc.metadata.namespace_ = "default";
  rc.spec.replicas = replicas;
  rc.spec.selector = labels;
  api::PodTemplateSpec t;
  t.metadata.labels = labels;
  t.metadata.annotations["team"] = "blue";
  api::Container c;
  c.name = "main";
  c.image = "nginx";
  t.spec.Mutable().containers.push_back(c);
  rc.spec.template_ = t;
  return rc;
}

api::Node MakeNode(const std::string& name, const std::string& zone, Time now) {
  api::Node node;
  node.metadata.name = name;
  if (!zone.empty()) node.metadata.labels["topology.kubernetes.io/zone"] = zone;
  api::NodeCondition ready;
  ready.type = std::string(kConditionReady);
  ready.status = std::string(kConditionTrue);
  ready.reason = "KubeletReady";
  ready.last_heartbeat_time = now;
  ready.last_transition_time = now;
  node.status.conditions.push_back(ready);
  return node;
}

api::Service MakeService(const std::string& name,
                         const std::map<std::string, std::string>& selector) {
  api::Service svc;
  svc.metadata.name = name;
  svc.metadata.namespace_ = "default";
  svc.spec.selector = selector;
  api::ServicePort port;
  port.name = "http";
  port.port = 80;
  port.target_port = 8080;
  port.protocol = "TCP";
  svc.spec.ports.push_back(port);
  return svc;
}

}  // namespace navarch::controllers::testing
