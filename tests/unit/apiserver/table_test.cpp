#include "core/apiserver/table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/types.h"

namespace navarch::apiserver {
namespace {

namespace json = boost::json;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const Time kCreated = Time::FromUnixSeconds(1'700'000'000);  // 2023-11-14T22:13:20Z
const Time kNow = kCreated + minutes(5) + seconds(3);

json::value J(std::string_view text) {
  return json::parse(text);
}

api::ObjectMeta Meta(std::string name, std::string ns = "default") {
  api::ObjectMeta m;
  m.name = std::move(name);
  m.namespace_ = std::move(ns);
  m.uid = "uid-" + m.name;
  m.resource_version = "7";
  m.creation_timestamp = kCreated;
  return m;
}

json::value Cells(const api::Object& obj, Time now = kNow) {
  return TableCells(obj, now);
}

#define EXPECT_JSON_EQ(actual, expected)                                                     \
  do {                                                                                       \
    json::value _a = (actual);                                                               \
    json::value _e = J(expected);                                                            \
    EXPECT_EQ(_a, _e) << "got  " << json::serialize(_a) << "\nwant " << json::serialize(_e); \
  } while (0)

// ---------------------------------------------------------------------------

TEST(HumanDurationTest, KubernetesShortForms) {
  EXPECT_EQ(HumanDuration(seconds(-5)), "<invalid>");
  EXPECT_EQ(HumanDuration(seconds(-1)), "0s");
  EXPECT_EQ(HumanDuration(seconds(0)), "0s");
  EXPECT_EQ(HumanDuration(seconds(45)), "45s");
  EXPECT_EQ(HumanDuration(seconds(119)), "119s");
  EXPECT_EQ(HumanDuration(seconds(120)), "2m");
  EXPECT_EQ(HumanDuration(minutes(5) + seconds(3)), "5m3s");
  EXPECT_EQ(HumanDuration(minutes(12) + seconds(59)), "12m");
  EXPECT_EQ(HumanDuration(minutes(179)), "179m");
  EXPECT_EQ(HumanDuration(hours(3) + minutes(20)), "3h20m");
  EXPECT_EQ(HumanDuration(hours(7)), "7h");
  EXPECT_EQ(HumanDuration(hours(17) + minutes(59)), "17h");
  EXPECT_EQ(HumanDuration(hours(48)), "2d");
  EXPECT_EQ(HumanDuration(hours(5 * 24 + 4)), "5d4h");
  EXPECT_EQ(HumanDuration(hours(120 * 24 + 5)), "120d");
  EXPECT_EQ(HumanDuration(hours((2 * 365 + 30) * 24)), "2y30d");
  EXPECT_EQ(HumanDuration(hours(3 * 365 * 24)), "3y");
  EXPECT_EQ(HumanDuration(hours((9 * 365 + 100) * 24)), "9y");
  EXPECT_EQ(AgeSince(Time(), kNow), "<unknown>");
  EXPECT_EQ(AgeSince(kCreated, kNow), "5m3s");
}

// ---------------------------------------------------------------------------
// Pod

api::Pod RunningPod() {
  api::Pod pod;
  pod.metadata = Meta("web");
  pod.metadata.labels = {{"app", "web"}};
  pod.spec.Mutable().containers.push_back({.name = "nginx", .image = "nginx:1.26"});
  pod.spec.Mutable().node_name = "node-1";
  pod.status.phase = "Running";
  pod.status.pod_ip = "10.244.0.5";
  pod.status.pod_ips.push_back({.ip = "10.244.0.5"});
  pod.status.conditions.push_back({.type = "Ready", .status = "True"});
  api::ContainerStatus cs;
  cs.name = "nginx";
  cs.ready = true;
  cs.state.running = api::ContainerStateRunning{.started_at = kCreated};
  pod.status.container_statuses.push_back(cs);
  return pod;
}

TEST(TableTest, PodGolden) {
  auto pod = std::make_shared<api::Pod>(RunningPod());
  TableOptions options{.now = kNow, .resource_version = "101"};
  json::value table = ToTable(api::Kind::kPod, {pod}, options);
  EXPECT_JSON_EQ(table, R"({
    "kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"101"},
    "columnDefinitions":[
      {"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. It is the object's key in URLs.","priority":0},
      {"name":"Ready","type":"string","format":"","description":"The aggregate readiness state of this pod for accepting traffic: ready containers / containers.","priority":0},
      {"name":"Status","type":"string","format":"","description":"The aggregate status of the containers in this pod.","priority":0},
      {"name":"Restarts","type":"string","format":"","description":"The number of times the containers in this pod have been restarted, and when the last one restarted.","priority":0},
      {"name":"Age","type":"string","format":"","description":"Time since the object was created (its metadata.creationTimestamp).","priority":0},
      {"name":"IP","type":"string","format":"","description":"The IP address allocated to the pod.","priority":1},
      {"name":"Node","type":"string","format":"","description":"The node the pod is bound to.","priority":1},
      {"name":"Nominated Node","type":"string","format":"","description":"The node a preempting pod is expected to run on.","priority":1},
      {"name":"Readiness Gates","type":"string","format":"","description":"Additional conditions the pod's readiness depends on.","priority":1}],
    "rows":[{"cells":["web","1/1","Running","0","5m3s","10.244.0.5","node-1","<none>","<none>"],
             "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                       "metadata":{"name":"web","namespace":"default","uid":"uid-web",
                                   "resourceVersion":"7",
                                   "creationTimestamp":"2023-11-14T22:13:20Z",
                                   "labels":{"app":"web"}}}}]})");
}

TEST(TableTest, PodStatusCell) {
  api::Pod pending;
  pending.metadata = Meta("p");
  pending.spec.Mutable().containers.push_back({.name = "a"});
  pending.spec.Mutable().containers.push_back({.name = "b"});
  pending.status.phase = "Pending";
  EXPECT_JSON_EQ(Cells(pending),
                 R"(["p","0/2","Pending","0","5m3s","<none>","<none>","<none>","<none>"])");

  api::Pod creating = pending;
  api::ContainerStatus waiting;
  waiting.name = "a";
  waiting.state.waiting = api::ContainerStateWaiting{.reason = "ContainerCreating"};
  creating.status.container_statuses = {waiting, waiting};
  creating.status.container_statuses[1].name = "b";
  EXPECT_EQ(Cells(creating).at(2), "ContainerCreating");

  // Crash looping: restarts with the time of the last one.
  api::Pod crashing = RunningPod();
  api::ContainerStatus& cs = crashing.status.container_statuses[0];
  cs.ready = false;
  cs.restart_count = 4;
  cs.state = {};
  cs.state.waiting = api::ContainerStateWaiting{.reason = "CrashLoopBackOff"};
  cs.last_state.terminated = api::ContainerStateTerminated{
      .exit_code = 1, .reason = "Error", .finished_at = kNow - seconds(42)};
  EXPECT_JSON_EQ(Cells(crashing),
                 R"j(["web","0/1","CrashLoopBackOff","4 (42s ago)","5m3s","10.244.0.5","node-1",
                     "<none>","<none>"])j");

  // Finished: the container's terminated reason.
  api::Pod completed = RunningPod();
  completed.status.phase = "Succeeded";
  completed.status.container_statuses[0].ready = false;
  completed.status.container_statuses[0].state = {};
  completed.status.container_statuses[0].state.terminated =
      api::ContainerStateTerminated{.exit_code = 0, .reason = "Completed"};
  EXPECT_EQ(Cells(completed).at(2), "Completed");
  api::Pod failed = completed;
  failed.status.phase = "Failed";
  failed.status.container_statuses[0].state.terminated =
      api::ContainerStateTerminated{.exit_code = 2, .reason = "Error"};
  EXPECT_EQ(Cells(failed).at(2), "Error");
  failed.status.container_statuses[0].state.terminated =
      api::ContainerStateTerminated{.exit_code = 137};
  EXPECT_EQ(Cells(failed).at(2), "ExitCode:137");
  failed.status.container_statuses[0].state.terminated = api::ContainerStateTerminated{.signal = 9};
  EXPECT_EQ(Cells(failed).at(2), "Signal:9");

  // Being deleted.
  api::Pod terminating = RunningPod();
  terminating.metadata.deletion_timestamp = kNow;
  EXPECT_EQ(Cells(terminating).at(2), "Terminating");
  api::Pod lost = terminating;
  lost.status.reason = "NodeLost";
  EXPECT_EQ(Cells(lost).at(2), "Unknown");
  // A finished pod being deleted keeps its final status.
  completed.metadata.deletion_timestamp = kNow;
  EXPECT_EQ(Cells(completed).at(2), "Completed");

  // A pod-level reason (evicted, ...) wins over the phase.
  api::Pod evicted = pending;
  evicted.status.phase = "Failed";
  evicted.status.reason = "Evicted";
  EXPECT_EQ(Cells(evicted).at(2), "Evicted");
}

TEST(TableTest, PodInitContainers) {
  api::Pod pod = RunningPod();
  pod.status.phase = "Pending";
  pod.status.conditions.clear();
  pod.status.container_statuses[0].ready = false;
  pod.status.container_statuses[0].state = {};
  pod.status.container_statuses[0].state.waiting =
      api::ContainerStateWaiting{.reason = "PodInitializing"};
  pod.spec.Mutable().init_containers = {{.name = "i1"}, {.name = "i2"}};
  api::ContainerStatus done;
  done.name = "i1";
  done.state.terminated = api::ContainerStateTerminated{.exit_code = 0, .reason = "Completed"};
  api::ContainerStatus running;
  running.name = "i2";
  running.restart_count = 2;
  running.state.running = api::ContainerStateRunning{.started_at = kCreated};
  pod.status.init_container_statuses = {done, running};
  EXPECT_JSON_EQ(Cells(pod),
                 R"(["web","0/1","Init:1/2","2","5m3s","10.244.0.5","node-1","<none>","<none>"])");

  pod.status.init_container_statuses[1].state = {};
  pod.status.init_container_statuses[1].state.waiting =
      api::ContainerStateWaiting{.reason = "CrashLoopBackOff"};
  EXPECT_EQ(Cells(pod).at(2), "Init:CrashLoopBackOff");
  pod.status.init_container_statuses[1].state = {};
  pod.status.init_container_statuses[1].state.terminated =
      api::ContainerStateTerminated{.exit_code = 3};
  EXPECT_EQ(Cells(pod).at(2), "Init:ExitCode:3");
  pod.status.init_container_statuses[1].state.terminated->reason = "Error";
  EXPECT_EQ(Cells(pod).at(2), "Init:Error");
}

TEST(TableTest, CompletedPodRowsCarryTheCompletedCondition) {
  api::Pod pod = RunningPod();
  pod.status.phase = "Succeeded";
  json::value table = ToTable(api::Kind::kPod, {std::make_shared<api::Pod>(pod)}, {.now = kNow});
  EXPECT_JSON_EQ(table.at_pointer("/rows/0/conditions"),
                 R"([{"type":"Completed","status":"True","reason":"Succeeded",
                      "message":"The pod has completed successfully."}])");
  EXPECT_FALSE(table.as_object().at("metadata").as_object().contains("resourceVersion"));
}

// Row objects carry the metadata exactly as the codec encodes it.
TEST(TableTest, RowMetadataMatchesTheCodec) {
  api::Pod pod = RunningPod();
  pod.metadata.generate_name = "web-";
  pod.metadata.generation = 3;
  pod.metadata.deletion_timestamp = kNow;
  pod.metadata.deletion_grace_period_seconds = 0;
  pod.metadata.labels = {{"app", "web"}, {"tier", ""}};
  pod.metadata.annotations = {{"note", "a\nb"}};
  pod.metadata.owner_references = {{.api_version = "v1",
                                    .kind = "ReplicationController",
                                    .name = "web",
                                    .uid = "rc-1",
                                    .controller = true,
                                    .block_owner_deletion = false},
                                   {.api_version = "v1", .kind = "Node", .name = "n", .uid = ""}};
  pod.metadata.finalizers = {"a/b", "c/d"};
  json::value table = ToTable(api::Kind::kPod, {std::make_shared<api::Pod>(pod)}, {.now = kNow});
  EXPECT_EQ(table.at_pointer("/rows/0/object/metadata"), api::ToJsonValue(pod).at("metadata"));
  api::Namespace bare;
  table = ToTable(api::Kind::kNamespace, {std::make_shared<api::Namespace>(bare)}, {.now = kNow});
  EXPECT_EQ(table.at_pointer("/rows/0/object/metadata"), api::ToJsonValue(bare).at("metadata"));
}

TEST(TableTest, WatchEventsAfterTheFirstHaveNoColumnDefinitions) {
  auto pod = std::make_shared<api::Pod>(RunningPod());
  json::value first = ToTable(api::Kind::kPod, {pod}, {.now = kNow});
  json::value later =
      ToTable(api::Kind::kPod, {pod}, {.now = kNow, .include_column_definitions = false});
  EXPECT_EQ(first.at("columnDefinitions").as_array().size(), 9u);
  EXPECT_TRUE(later.at("columnDefinitions").is_null());
  EXPECT_EQ(later.at("rows"), first.at("rows"));
}

TEST(TableTest, ListMetadataAndEmptyList) {
  json::value table = ToTable(api::Kind::kNamespace, {},
                              {.now = kNow, .resource_version = "55", .continue_token = "tok"});
  EXPECT_JSON_EQ(table.at("metadata"), R"({"resourceVersion":"55","continue":"tok"})");
  EXPECT_JSON_EQ(table.at("rows"), "[]");
}

// ---------------------------------------------------------------------------
// ReplicationController

TEST(TableTest, ReplicationControllerGolden) {
  api::ReplicationController rc;
  rc.metadata = Meta("nginx");
  rc.spec.replicas = 3;
  rc.spec.selector = {{"app", "nginx"}, {"tier", "web"}};
  rc.spec.template_ = api::PodTemplateSpec{};
  rc.spec.template_->spec.Mutable().containers = {{.name = "nginx", .image = "nginx:1.26"},
                                                  {.name = "log", .image = "busybox"}};
  rc.status.replicas = 3;
  rc.status.ready_replicas = 2;
  json::value table = ToTable(api::Kind::kReplicationController,
                              {std::make_shared<api::ReplicationController>(rc)}, {.now = kNow});
  std::vector<std::string> names;
  std::vector<int64_t> priorities;
  std::vector<std::string> types;
  for (const json::value& c : table.at("columnDefinitions").as_array()) {
    names.emplace_back(c.at("name").as_string());
    priorities.push_back(c.at("priority").as_int64());
    types.emplace_back(c.at("type").as_string());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("Name", "Desired", "Current", "Ready", "Age",
                                            "Containers", "Images", "Selector"));
  EXPECT_THAT(priorities, ::testing::ElementsAre(0, 0, 0, 0, 0, 1, 1, 1));
  EXPECT_THAT(types, ::testing::ElementsAre("string", "integer", "integer", "integer", "string",
                                            "string", "string", "string"));
  EXPECT_JSON_EQ(table.at_pointer("/rows/0/cells"),
                 R"(["nginx",3,3,2,"5m3s","nginx,log","nginx:1.26,busybox","app=nginx,tier=web"])");

  api::ReplicationController bare;
  bare.metadata = Meta("bare");
  EXPECT_JSON_EQ(Cells(bare), R"(["bare",1,0,0,"5m3s","","","<none>"])");
}

// ---------------------------------------------------------------------------
// Service

TEST(TableTest, ServiceGolden) {
  api::Service svc;
  svc.metadata = Meta("web");
  svc.spec.type = "ClusterIP";
  svc.spec.cluster_ip = "10.96.0.10";
  svc.spec.cluster_ips = {"10.96.0.10"};
  svc.spec.selector = {{"app", "web"}};
  svc.spec.ports = {{.protocol = "TCP", .port = 80, .target_port = 8080},
                    {.protocol = "UDP", .port = 53}};
  json::value table =
      ToTable(api::Kind::kService, {std::make_shared<api::Service>(svc)}, {.now = kNow});
  std::vector<std::string> names;
  for (const json::value& c : table.at("columnDefinitions").as_array()) {
    names.emplace_back(c.at("name").as_string());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("Name", "Type", "Cluster-IP", "External-IP", "Port(s)",
                                            "Age", "Selector"));
  EXPECT_JSON_EQ(table.at_pointer("/rows/0/cells"),
                 R"(["web","ClusterIP","10.96.0.10","<none>","80/TCP,53/UDP","5m3s","app=web"])");

  api::Service node_port = svc;
  node_port.spec.type = "NodePort";
  node_port.spec.ports = {{.port = 80, .node_port = 30080}};
  node_port.spec.external_ips = {"1.2.3.4", "5.6.7.8"};
  EXPECT_JSON_EQ(Cells(node_port),
                 R"(["web","NodePort","10.96.0.10","1.2.3.4,5.6.7.8","80:30080/TCP","5m3s",
                     "app=web"])");

  api::Service lb = svc;
  lb.spec.type = "LoadBalancer";
  EXPECT_EQ(Cells(lb).at(3), "<pending>");
  lb.status.load_balancer.ingress = {{.ip = "34.1.2.3"}, {.hostname = "lb.example"}};
  lb.spec.external_ips = {"9.9.9.9"};
  EXPECT_EQ(Cells(lb).at(3), "34.1.2.3,lb.example,9.9.9.9");

  api::Service external;
  external.metadata = Meta("ext");
  external.spec.type = "ExternalName";
  external.spec.external_name = "db.example.com";
  EXPECT_JSON_EQ(Cells(external),
                 R"(["ext","ExternalName","<none>","db.example.com","<none>","5m3s","<none>"])");

  api::Service headless;
  headless.metadata = Meta("headless");
  headless.spec.cluster_ip = "None";
  EXPECT_JSON_EQ(Cells(headless),
                 R"(["headless","ClusterIP","None","<none>","<none>","5m3s","<none>"])");
}

// ---------------------------------------------------------------------------
// Node

TEST(TableTest, NodeGolden) {
  api::Node node;
  node.metadata = Meta("node-1", "");
  node.metadata.labels = {{"node-role.kubernetes.io/control-plane", ""},
                          {"node-role.kubernetes.io/worker", "true"},
                          {"kubernetes.io/role", "edge"},
                          {"zone", "a"}};
  node.status.conditions = {{.type = "MemoryPressure", .status = "False"},
                            {.type = "Ready", .status = "True"}};
  node.status.addresses = {{.type = "Hostname", .address = "node-1"},
                           {.type = "InternalIP", .address = "10.0.0.11"}};
  node.status.node_info.kubelet_version = "v1.32.0-navarch";
  node.status.node_info.os_image = "Debian GNU/Linux 12 (bookworm)";
  node.status.node_info.kernel_version = "6.1.0";
  node.status.node_info.container_runtime_version = "docker://24.0.7";
  json::value table =
      ToTable(api::Kind::kNode, {std::make_shared<api::Node>(node)}, {.now = kCreated + hours(50)});
  std::vector<std::string> names;
  for (const json::value& c : table.at("columnDefinitions").as_array()) {
    names.emplace_back(c.at("name").as_string());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("Name", "Status", "Roles", "Age", "Version",
                                            "Internal-IP", "External-IP", "OS-Image",
                                            "Kernel-Version", "Container-Runtime"));
  EXPECT_JSON_EQ(table.at_pointer("/rows/0/cells"),
                 R"j(["node-1","Ready","control-plane,edge,worker","2d2h","v1.32.0-navarch",
                     "10.0.0.11","<none>","Debian GNU/Linux 12 (bookworm)","6.1.0",
                     "docker://24.0.7"])j");
  EXPECT_FALSE(table.at_pointer("/rows/0/object/metadata").as_object().contains("namespace"));

  api::Node fresh;
  fresh.metadata = Meta("node-2", "");
  fresh.spec.unschedulable = true;
  EXPECT_JSON_EQ(Cells(fresh), R"(["node-2","Unknown,SchedulingDisabled","<none>","5m3s","",
                                  "<none>","<none>","<unknown>","<unknown>","<unknown>"])");
  fresh.status.conditions = {{.type = "Ready", .status = "Unknown"}};
  EXPECT_EQ(Cells(fresh).at(1), "NotReady,SchedulingDisabled");
}

// ---------------------------------------------------------------------------
// Endpoints, Namespace, Event

TEST(TableTest, EndpointsGolden) {
  api::Endpoints ep;
  ep.metadata = Meta("web");
  json::value table =
      ToTable(api::Kind::kEndpoints, {std::make_shared<api::Endpoints>(ep)}, {.now = kNow});
  EXPECT_JSON_EQ(table.at("columnDefinitions"), R"([
      {"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. It is the object's key in URLs.","priority":0},
      {"name":"Endpoints","type":"string","format":"","description":"Endpoints of the service (address:port).","priority":0},
      {"name":"Age","type":"string","format":"","description":"Time since the object was created (its metadata.creationTimestamp).","priority":0}])");
  EXPECT_JSON_EQ(table.at_pointer("/rows/0/cells"), R"(["web","<none>","5m3s"])");

  api::EndpointSubset subset;
  subset.addresses = {{.ip = "10.244.0.5"}, {.ip = "10.244.0.6"}};
  subset.ports = {{.name = "http", .port = 80}};
  ep.subsets = {subset};
  EXPECT_EQ(Cells(ep).at(1), "10.244.0.5:80,10.244.0.6:80");
  subset.ports.push_back({.name = "https", .port = 443});
  subset.addresses.push_back({.ip = "fd00::7"});
  ep.subsets = {subset};
  EXPECT_EQ(Cells(ep).at(1), "10.244.0.5:80,10.244.0.6:80,[fd00::7]:80 + 3 more...");
  api::EndpointSubset headless;
  headless.addresses = {{.ip = "10.244.0.9"}};
  ep.subsets = {headless};
  EXPECT_EQ(Cells(ep).at(1), "10.244.0.9");
}

TEST(TableTest, NamespaceGolden) {
  api::Namespace ns;
  ns.metadata = Meta("kube-system", "");
  ns.status.phase = "Active";
  json::value table = ToTable(api::Kind::kNamespace, {std::make_shared<api::Namespace>(ns)},
                              {.now = kCreated + hours(24 * 3), .resource_version = "9"});
  EXPECT_JSON_EQ(table, R"({
    "kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"9"},
    "columnDefinitions":[
      {"name":"Name","type":"string","format":"name","description":"Name must be unique within a namespace. It is the object's key in URLs.","priority":0},
      {"name":"Status","type":"string","format":"","description":"The phase of the namespace (Active, Terminating).","priority":0},
      {"name":"Age","type":"string","format":"","description":"Time since the object was created (its metadata.creationTimestamp).","priority":0}],
    "rows":[{"cells":["kube-system","Active","3d"],
             "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                       "metadata":{"name":"kube-system","uid":"uid-kube-system",
                                   "resourceVersion":"7",
                                   "creationTimestamp":"2023-11-14T22:13:20Z"}}}]})");
}

TEST(TableTest, EventGolden) {
  api::Event ev;
  ev.metadata = Meta("web.17a");
  ev.involved_object = {.kind = "Pod",
                        .namespace_ = "default",
                        .name = "web",
                        .field_path = "spec.containers{nginx}"};
  ev.reason = "Pulled";
  ev.message = "  Container image \"nginx:1.26\" already present on machine\n";
  ev.source = {.component = "kubelet", .host = "node-1"};
  ev.first_timestamp = kCreated;
  ev.last_timestamp = kNow - seconds(30);
  ev.count = 3;
  ev.type = "Normal";
  json::value table = ToTable(api::Kind::kEvent, {std::make_shared<api::Event>(ev)}, {.now = kNow});
  std::vector<std::string> names;
  std::vector<int64_t> priorities;
  for (const json::value& c : table.at("columnDefinitions").as_array()) {
    names.emplace_back(c.at("name").as_string());
    priorities.push_back(c.at("priority").as_int64());
  }
  EXPECT_THAT(names, ::testing::ElementsAre("Last Seen", "Type", "Reason", "Object", "Subobject",
                                            "Source", "Message", "First Seen", "Count", "Name"));
  EXPECT_THAT(priorities, ::testing::ElementsAre(0, 0, 0, 0, 1, 1, 0, 1, 1, 1));
  EXPECT_JSON_EQ(table.at_pointer("/rows/0/cells"),
                 R"(["30s","Normal","Pulled","pod/web","spec.containers{nginx}","kubelet, node-1",
                     "Container image \"nginx:1.26\" already present on machine","5m3s",3,
                     "web.17a"])");

  // A new-style event: eventTime only, reporting controller as source, no count.
  api::Event modern;
  modern.metadata = Meta("e2");
  modern.involved_object = {.kind = "Node"};
  modern.event_time = kNow - seconds(10);
  modern.reporting_component = "navarch-scheduler";
  modern.reporting_instance = "sched-0";
  modern.type = "Warning";
  modern.reason = "FailedScheduling";
  EXPECT_JSON_EQ(Cells(modern), R"(["10s","Warning","FailedScheduling","node","",
                                    "navarch-scheduler, sched-0","","10s",1,"e2"])");
}

TEST(TableTest, EveryKindHasColumnsMatchingItsCells) {
  for (api::Kind kind : api::AllKinds()) {
    SCOPED_TRACE(std::string(api::InfoOf(kind).name));
    api::ObjectPtr empty = api::NewObject(kind);
    EXPECT_EQ(TableColumns(kind).size(), TableCells(*empty, kNow).size());
  }
}

}  // namespace
}  // namespace navarch::apiserver
