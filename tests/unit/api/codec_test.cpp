#include "core/api/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/api/types.h"
#include "tests/unit/hostile_inputs.h"

namespace navarch::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Time T(int64_t s) {
  return Time::FromUnixSeconds(1'700'000'000 + s);
}
Quantity Q(std::string_view s) {
  return Quantity::MustParse(s);
}

ObjectMeta FullMeta(std::string name) {
  ObjectMeta m;
  m.name = std::move(name);
  m.generate_name = "gen-";
  m.namespace_ = "prod";
  m.uid = "0b7e0c2e-1";
  m.resource_version = "42";
  m.generation = 7;
  m.creation_timestamp = T(1);
  m.deletion_timestamp = T(2);
  m.deletion_grace_period_seconds = 0;
  m.labels = {{"app", "web"}, {"app.kubernetes.io/tier", "front"}, {"empty", ""}};
  m.annotations = {{"note", "true"}, {"multi", "line one\nline two"}, {"num", "123"}};
  m.owner_references.push_back({.api_version = "v1",
                                .kind = "ReplicationController",
                                .name = "web",
                                .uid = "u-1",
                                .controller = true,
                                .block_owner_deletion = false});
  m.finalizers = {"navarch.io/cleanup"};
  return m;
}

Probe FullProbe(int variant) {
  Probe p;
  if (variant == 0) {
    p.http_get = HttpGetAction{.path = "/healthz",
                               .port = IntOrString("http"),
                               .host = "10.0.0.1",
                               .scheme = "HTTPS",
                               .http_headers = {{"X-Probe", "1"}, {"Empty", ""}}};
  } else if (variant == 1) {
    p.tcp_socket = TcpSocketAction{.port = 8080, .host = "localhost"};
  } else {
    p.exec = ExecAction{.command = {"cat", "/tmp/ready"}};
  }
  p.initial_delay_seconds = 1;
  p.timeout_seconds = 2;
  p.period_seconds = 3;
  p.success_threshold = 1;
  p.failure_threshold = 5;
  p.termination_grace_period_seconds = 30;
  return p;
}

Container FullContainer(std::string name) {
  Container c;
  c.name = std::move(name);
  c.image = "nginx:1.25";
  c.command = {"/bin/sh", "-c"};
  c.args = {"echo hi", "--flag=true", "", "- dash", "key: value"};
  c.working_dir = "/srv";
  c.ports = {{.name = "http",
              .host_port = 8080,
              .container_port = 80,
              .protocol = "TCP",
              .host_ip = "0.0.0.0"},
             {.container_port = 53, .protocol = "UDP"}};
  c.env = {
      {.name = "PLAIN", .value = "1"},
      {.name = "POD",
       .value_from = EnvVarSource{.field_ref = ObjectFieldSelector{.api_version = "v1",
                                                                   .field_path = "metadata.name"}}},
      {.name = "CPU",
       .value_from =
           EnvVarSource{.resource_field_ref = ResourceFieldSelector{.container_name = "web",
                                                                    .resource = "limits.cpu",
                                                                    .divisor = Q("1m")}}},
      {.name = "CM",
       .value_from = EnvVarSource{.config_map_key_ref =
                                      KeySelector{.name = "cfg", .key = "k", .optional = true}}},
      {.name = "SECRET",
       .value_from = EnvVarSource{.secret_key_ref = KeySelector{.name = "s", .key = "password"}}}};
  c.resources.requests = {{"cpu", Q("250m")}, {"memory", Q("64Mi")}};
  c.resources.limits = {{"cpu", Q("1")}, {"memory", Q("1Gi")}, {"ephemeral-storage", Q("1e9")}};
  c.volume_mounts = {{.name = "data", .read_only = true, .mount_path = "/data", .sub_path = "x"}};
  c.liveness_probe = FullProbe(0);
  c.readiness_probe = FullProbe(1);
  c.startup_probe = FullProbe(2);
  c.termination_message_path = "/dev/termination-log";
  c.termination_message_policy = "FallbackToLogsOnError";
  c.image_pull_policy = "IfNotPresent";
  c.stdin = true;
  c.stdin_once = true;
  c.tty = true;
  return c;
}

PodSpec FullPodSpec() {
  PodSpec s;
  s.volumes = {
      {.name = "data",
       .empty_dir = EmptyDirVolumeSource{.medium = "Memory", .size_limit = Q("1Gi")}},
      {.name = "host", .host_path = HostPathVolumeSource{.path = "/var/log", .type = "Directory"}},
      {.name = "cfg",
       .config_map = ConfigMapVolumeSource{.name = "cfg",
                                           .items = {{.key = "a", .path = "a.txt", .mode = 0644}},
                                           .default_mode = 0600,
                                           .optional = false}},
      {.name = "sec", .secret = SecretVolumeSource{.secret_name = "s", .optional = true}},
      {.name = "pvc",
       .persistent_volume_claim =
           PersistentVolumeClaimVolumeSource{.claim_name = "claim", .read_only = true}},
      {.name = "plain-empty", .empty_dir = EmptyDirVolumeSource{}}};
  s.init_containers = {FullContainer("init")};
  s.containers = {FullContainer("web"), Container{.name = "side", .image = "busybox"}};
  s.restart_policy = "Always";
  s.termination_grace_period_seconds = 0;
  s.active_deadline_seconds = 600;
  s.dns_policy = "ClusterFirst";
  s.node_selector = {{"disktype", "ssd"}};
  s.service_account_name = "default";
  s.automount_service_account_token = false;
  s.node_name = "node-1";
  s.host_network = true;
  s.host_pid = true;
  s.host_ipc = true;
  s.image_pull_secrets = {{"regcred"}};
  s.hostname = "web-0";
  s.subdomain = "web";
  s.scheduler_name = "default-scheduler";
  s.tolerations = {
      {.key = "dedicated", .operator_ = "Equal", .value = "gpu", .effect = "NoSchedule"},
      {.operator_ = "Exists", .effect = "NoExecute", .toleration_seconds = 300}};
  s.priority_class_name = "high";
  s.priority = 0;
  s.enable_service_links = true;
  return s;
}

ContainerStatus FullContainerStatus() {
  ContainerStatus cs;
  cs.name = "web";
  cs.state.running = ContainerStateRunning{.started_at = T(10)};
  cs.last_state.terminated = ContainerStateTerminated{.exit_code = 137,
                                                      .signal = 9,
                                                      .reason = "OOMKilled",
                                                      .message = "out of memory",
                                                      .started_at = T(5),
                                                      .finished_at = T(9),
                                                      .container_id = "docker://abc"};
  cs.ready = true;
  cs.restart_count = 2;
  cs.image = "nginx:1.25";
  cs.image_id = "docker-pullable://nginx@sha256:0";
  cs.container_id = "docker://def";
  cs.started = true;
  return cs;
}

std::shared_ptr<Pod> FullPod() {
  auto p = std::make_shared<Pod>();
  p->metadata = FullMeta("web-0");
  p->spec = FullPodSpec();
  PodStatus& st = p->status;
  st.phase = "Running";
  st.conditions = {{.type = "Ready",
                    .status = "True",
                    .last_probe_time = T(20),
                    .last_transition_time = T(21),
                    .reason = "Ok",
                    .message = "all good"}};
  st.message = "m";
  st.reason = "r";
  st.host_ip = "10.0.0.1";
  st.pod_ip = "10.1.0.5";
  st.pod_ips = {{"10.1.0.5"}, {"fd00::5"}};
  st.start_time = T(3);
  ContainerStatus waiting;
  waiting.name = "init";
  waiting.state.waiting =
      ContainerStateWaiting{.reason = "CrashLoopBackOff", .message = "back-off"};
  st.init_container_statuses = {waiting};
  st.container_statuses = {FullContainerStatus(), ContainerStatus{.name = "side"}};
  st.qos_class = "Burstable";
  return p;
}

std::shared_ptr<Node> FullNode() {
  auto n = std::make_shared<Node>();
  n->metadata = FullMeta("node-1");
  n->metadata.namespace_.clear();
  n->spec = {
      .pod_cidr = "10.1.0.0/24",
      .pod_cidrs = {"10.1.0.0/24"},
      .provider_id = "gce://p/z/node-1",
      .unschedulable = true,
      .taints = {
          {.key = "dedicated", .value = "gpu", .effect = "NoSchedule"},
          {.key = "node.kubernetes.io/unreachable", .effect = "NoExecute", .time_added = T(30)}}};
  n->status.capacity = {{"cpu", Q("4")}, {"memory", Q("16Gi")}, {"pods", Q("110")}};
  n->status.allocatable = {{"cpu", Q("3800m")}, {"memory", Q("15Gi")}, {"pods", Q("110")}};
  n->status.phase = "Running";
  n->status.conditions = {{.type = "Ready",
                           .status = "True",
                           .last_heartbeat_time = T(40),
                           .last_transition_time = T(1),
                           .reason = "KubeletReady",
                           .message = "kubelet is posting ready status"}};
  n->status.addresses = {{"InternalIP", "10.0.0.1"}, {"Hostname", "node-1"}};
  n->status.daemon_endpoints.kubelet_endpoint.port = 10250;
  n->status.node_info = {.machine_id = "m",
                         .system_uuid = "s",
                         .boot_id = "b",
                         .kernel_version = "6.1",
                         .os_image = "Debian GNU/Linux 12",
                         .container_runtime_version = "docker://24.0",
                         .kubelet_version = "v0.1.0",
                         .kube_proxy_version = "v0.1.0",
                         .operating_system = "linux",
                         .architecture = "amd64"};
  return n;
}

std::shared_ptr<ReplicationController> FullRc() {
  auto rc = std::make_shared<ReplicationController>();
  rc->metadata = FullMeta("web");
  rc->spec.replicas = 0;
  rc->spec.min_ready_seconds = 10;
  rc->spec.selector = {{"app", "web"}};
  rc->spec.template_.emplace();
  rc->spec.template_->metadata.labels = {{"app", "web"}};
  rc->spec.template_->metadata.annotations = {{"a", "b"}};
  rc->spec.template_->spec = FullPodSpec();
  rc->status = {.replicas = 3,
                .fully_labeled_replicas = 3,
                .ready_replicas = 2,
                .available_replicas = 1,
                .observed_generation = 7,
                .conditions = {{.type = "ReplicaFailure",
                                .status = "True",
                                .last_transition_time = T(50),
                                .reason = "FailedCreate",
                                .message = "quota"}}};
  return rc;
}

std::shared_ptr<Service> FullService() {
  auto s = std::make_shared<Service>();
  s->metadata = FullMeta("web");
  s->spec.ports = {{.name = "http",
                    .protocol = "TCP",
                    .app_protocol = "http",
                    .port = 80,
                    .target_port = IntOrString("http"),
                    .node_port = 30080},
                   {.name = "metrics", .protocol = "TCP", .port = 9090, .target_port = 9091}};
  s->spec.selector = {{"app", "web"}};
  s->spec.cluster_ip = "10.96.0.10";
  s->spec.cluster_ips = {"10.96.0.10"};
  s->spec.type = "LoadBalancer";
  s->spec.external_ips = {"1.2.3.4"};
  s->spec.session_affinity = "ClientIP";
  s->spec.load_balancer_ip = "1.2.3.5";
  s->spec.external_name = "web.example.com";
  s->spec.external_traffic_policy = "Local";
  s->spec.internal_traffic_policy = "Cluster";
  s->spec.ip_families = {"IPv4"};
  s->spec.ip_family_policy = "SingleStack";
  s->spec.publish_not_ready_addresses = false;
  s->status.load_balancer.ingress = {{.ip = "1.2.3.5"}, {.hostname = "lb.example.com"}};
  return s;
}

std::shared_ptr<Endpoints> FullEndpoints() {
  auto e = std::make_shared<Endpoints>();
  e->metadata = FullMeta("web");
  EndpointAddress a{.ip = "10.1.0.5",
                    .hostname = "web-0",
                    .node_name = "node-1",
                    .target_ref = ObjectReference{.kind = "Pod",
                                                  .namespace_ = "prod",
                                                  .name = "web-0",
                                                  .uid = "u-2",
                                                  .resource_version = "9"}};
  e->subsets = {{.addresses = {a},
                 .not_ready_addresses = {{.ip = "10.1.0.6"}},
                 .ports = {{.name = "http", .port = 80, .protocol = "TCP"}, {.port = 0}}}};
  return e;
}

std::shared_ptr<Event> FullEvent() {
  auto e = std::make_shared<Event>();
  e->metadata = FullMeta("web-0.17a");
  e->involved_object = {.kind = "Pod",
                        .namespace_ = "prod",
                        .name = "web-0",
                        .uid = "u-2",
                        .api_version = "v1",
                        .resource_version = "9",
                        .field_path = "spec.containers{web}"};
  e->reason = "Scheduled";
  e->message = "Successfully assigned prod/web-0 to node-1";
  e->source = {.component = "scheduler", .host = "master"};
  e->first_timestamp = T(60);
  e->last_timestamp = T(61);
  e->count = 2;
  e->type = "Normal";
  e->event_time = T(60) + microseconds(123456);
  e->action = "Binding";
  e->reporting_component = "navarch-scheduler";
  e->reporting_instance = "scheduler-1";
  return e;
}

std::shared_ptr<Namespace> FullNamespace() {
  auto n = std::make_shared<Namespace>();
  n->metadata = FullMeta("prod");
  n->metadata.namespace_.clear();
  n->spec.finalizers = {"kubernetes"};
  n->status.phase = "Active";
  return n;
}

std::vector<ObjectPtr> FullObjects() {
  return {FullPod(),       FullNode(),  FullRc(),       FullService(),
          FullEndpoints(), FullEvent(), FullNamespace()};
}

// ---------------------------------------------------------------------------

TEST(CodecTest, FullObjectsCoverEveryKind) {
  std::vector<Kind> kinds;
  for (const ObjectPtr& o : FullObjects())
    kinds.push_back(o->kind());
  EXPECT_EQ(kinds, AllKinds());
}

TEST(CodecTest, JsonRoundTripsEveryKind) {
  for (const ObjectPtr& obj : FullObjects()) {
    std::string text = EncodeJson(*obj);
    auto back = DecodeJson(text);
    ASSERT_TRUE(back.ok()) << InfoOf(obj->kind()).name << ": " << back.status() << "\n" << text;
    EXPECT_TRUE((*back)->Equals(*obj)) << InfoOf(obj->kind()).name << "\n"
                                       << text << "\n"
                                       << EncodeJson(**back);
    EXPECT_EQ(EncodeJson(**back), text);  // stable output
  }
}

TEST(CodecTest, YamlRoundTripsEveryKind) {
  for (const ObjectPtr& obj : FullObjects()) {
    std::string text = EncodeYaml(*obj);
    auto back = DecodeYaml(text);
    ASSERT_TRUE(back.ok()) << InfoOf(obj->kind()).name << ": " << back.status() << "\n" << text;
    ASSERT_EQ(back->size(), 1u);
    EXPECT_TRUE((*back)[0].object->Equals(*obj)) << InfoOf(obj->kind()).name << "\n" << text;
    EXPECT_EQ(EncodeYaml(*(*back)[0].object), text);
  }
}

TEST(CodecTest, RoundTripChangesAreDetected) {
  // The round-trip checks above can fail: a changed field is not Equal.
  auto pod = FullPod();
  auto other = std::make_shared<Pod>(*pod);
  other->spec.Mutable().containers[0].resources.limits["cpu"] = Q("2");
  EXPECT_FALSE(other->Equals(*pod));
  auto back = DecodeJson(EncodeJson(*other));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE((*back)->Equals(*pod));
}

TEST(CodecTest, EncodesMinimalPodWithOmitEmpty) {
  Pod pod;
  pod.metadata.name = "one";
  pod.spec.Mutable().containers.push_back({.name = "c", .image = "busybox"});
  pod.spec.Mutable().containers[0].ports.push_back({.container_port = 80});
  pod.spec.Mutable().containers[0].resources.requests["cpu"] = Q("0.5");
  EXPECT_EQ(EncodeJson(pod),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"one"},"spec":{"containers":)"
            R"([{"name":"c","image":"busybox","ports":[{"containerPort":80}],)"
            R"("resources":{"requests":{"cpu":"500m"}}}]}})");
  EXPECT_EQ(EncodeYaml(pod),
            "apiVersion: v1\n"
            "kind: Pod\n"
            "metadata:\n"
            "  name: one\n"
            "spec:\n"
            "  containers:\n"
            "  - name: c\n"
            "    image: busybox\n"
            "    ports:\n"
            "    - containerPort: 80\n"
            "    resources:\n"
            "      requests:\n"
            "        cpu: 500m\n");
  Namespace ns;
  EXPECT_EQ(EncodeJson(ns), R"({"apiVersion":"v1","kind":"Namespace","metadata":{}})");
}

TEST(CodecTest, EncodesTimesAndOptionals) {
  ReplicationController rc;
  rc.metadata.name = "web";
  rc.metadata.creation_timestamp = Time::FromUnixSeconds(0) + seconds(86400);
  rc.spec.replicas = 0;  // present though zero
  boost::json::value v = ToJsonValue(rc);
  EXPECT_EQ(v.at("metadata").at("creationTimestamp"), "1970-01-02T00:00:00Z");
  EXPECT_EQ(v.at("spec").at("replicas"), 0);
  EXPECT_EQ(v.at("status").at("replicas"), 0);  // not omitempty in v1
  Event ev;
  ev.event_time = Time::FromUnixSeconds(0) + microseconds(1500);
  EXPECT_EQ(ToJsonValue(ev).at("eventTime"), "1970-01-01T00:00:00.001500Z");
}

TEST(CodecTest, YamlQuotesStringsThatWouldReadAsOtherTypes) {
  Pod pod;
  pod.metadata.name = "one";
  pod.metadata.annotations = {{"a", "true"}, {"b", "123"}, {"c", ""},     {"d", "null"},
                              {"e", "1.5"},  {"f", "yes"}, {"g", "a: b"}, {"h", "#x"},
                              {"i", " x"},   {"j", "- y"}, {"k", "0x1F"}, {"l", "~"}};
  std::string yaml = EncodeYaml(pod);
  EXPECT_THAT(yaml, HasSubstr("a: \"true\"\n"));
  EXPECT_THAT(yaml, HasSubstr("b: \"123\"\n"));
  EXPECT_THAT(yaml, HasSubstr("c: \"\"\n"));
  EXPECT_THAT(yaml, HasSubstr("f: \"yes\"\n"));
  auto back = DecodeYaml(yaml);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE((*back)[0].object->Equals(pod)) << yaml;
}

TEST(CodecTest, DecodesMultiDocumentYamlWithLines) {
  auto docs = DecodeFile(NAVARCH_SOURCE_DIR "/tests/unit/api/testdata/web.yaml");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 2u);  // the empty document is skipped
  auto rc = As<ReplicationController>((*docs)[0].object);
  ASSERT_NE(rc, nullptr);
  EXPECT_EQ((*docs)[0].line, 2);
  EXPECT_EQ(rc->metadata.name, "web");
  EXPECT_EQ(rc->spec.replicas, 3);
  const Container& c = rc->spec.template_->spec->containers.at(0);
  EXPECT_EQ(c.image, "nginx:1.25");
  EXPECT_EQ(c.ports.at(0).container_port, 80);
  EXPECT_EQ(c.resources.requests.at("cpu").MilliValue(), 250);
  EXPECT_EQ(c.resources.limits.at("memory").Value(), 128 << 20);
  EXPECT_EQ(c.readiness_probe->http_get->port, IntOrString("http"));
  EXPECT_EQ(c.readiness_probe->period_seconds, 5);
  EXPECT_EQ((*docs)[0].field_lines.at("spec.template.spec.containers[0].image"), 19);
  EXPECT_EQ((*docs)[0].field_lines.at("spec.template.spec.containers[0]"), 18);
  EXPECT_EQ((*docs)[0].field_lines.at("spec.replicas"), 9);

  auto svc = As<Service>((*docs)[1].object);
  ASSERT_NE(svc, nullptr);
  EXPECT_EQ((*docs)[1].line, 37);
  EXPECT_EQ(svc->spec.ports.at(0).target_port, IntOrString("http"));
  EXPECT_EQ((*docs)[1].field_lines.at("spec.ports[0].port"), 45);
}

TEST(CodecTest, ReportsEveryProblemWithFileAndLine) {
  auto docs =
      DecodeFile(NAVARCH_SOURCE_DIR "/tests/unit/api/testdata/bad.yaml", {.source = "bad.yaml"});
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.code(), Code::kInvalidArgument);
  EXPECT_EQ(docs.status().message(),
            "bad.yaml:6: spec.replicas: expected a 32-bit integer, got string \"three\"\n"
            "bad.yaml:17: spec.template.spec.containers[0].imagePullPolcy: unknown field\n"
            "bad.yaml:20: spec.template.spec.containers[0].resources.limits.memory: invalid "
            "quantity \"12Q\": unknown suffix \"Q\": want a number with an optional suffix, e.g. "
            "500m, 2, 1.5, 1Gi, 512Mi, 512M, 1e3 (binary suffixes Ki Mi Gi Ti Pi Ei; decimal "
            "suffixes n u m k M G T P E; or an exponent e<n>)");
}

TEST(CodecTest, NonStrictDropsUnknownFieldsWithWarnings) {
  std::vector<std::string> warnings;
  auto docs = DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  shareProcessNamespace: true\n"
      "  containers:\n  - name: c\n    image: i\n    securityContext: {}\n",
      {.source = "p.yaml", .strict = false, .warnings = &warnings});
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_THAT(warnings, ElementsAre("p.yaml:6: spec.shareProcessNamespace: unknown field (dropped)",
                                    "p.yaml:10: spec.containers[0].securityContext: unknown field "
                                    "(dropped)"));
  EXPECT_EQ(As<Pod>((*docs)[0].object)->spec->containers.at(0).image, "i");
}

TEST(CodecTest, ToleratesManagedFieldsAndSelfLink) {
  auto obj = DecodeJson(
      R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x","selfLink":"/api/v1/namespaces/x",)"
      R"("managedFields":[{"manager":"kubectl","operation":"Update"}]}})");
  ASSERT_TRUE(obj.ok()) << obj.status();
  EXPECT_EQ((*obj)->metadata.name, "x");
  EXPECT_EQ(EncodeJson(**obj), R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}})");
}

struct BadInput {
  const char* name;
  const char* yaml;
  const char* message;
};

class YamlErrorTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(YamlErrorTest, Message) {
  auto docs = DecodeYaml(GetParam().yaml, {.source = "in.yaml"});
  ASSERT_FALSE(docs.ok()) << GetParam().name;
  EXPECT_EQ(docs.code(), Code::kInvalidArgument);
  EXPECT_EQ(docs.status().message(), GetParam().message) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Inputs, YamlErrorTest,
    ::testing::Values(
        BadInput{"MissingKind", "apiVersion: v1\nmetadata:\n  name: x\n",
                 "in.yaml:1: kind: required: want one of Pod, Node, ReplicationController, "
                 "Service, Endpoints, Event, Namespace"},
        BadInput{"UnknownKind", "apiVersion: apps/v1\nkind: Deployment\n",
                 "in.yaml:2: kind: unknown kind \"Deployment\": want one of Pod, Node, "
                 "ReplicationController, Service, Endpoints, Event, Namespace\n"
                 "in.yaml:1: apiVersion: unsupported apiVersion \"apps/v1\": want \"v1\""},
        BadInput{"WrongApiVersion", "apiVersion: v2\nkind: Pod\nmetadata:\n  name: x\n",
                 "in.yaml:1: apiVersion: unsupported apiVersion \"v2\" for kind Pod: want \"v1\""},
        BadInput{"MissingApiVersion", "kind: Pod\n",
                 "in.yaml:1: apiVersion: required: want \"v1\""},
        BadInput{"KindNotString", "apiVersion: v1\nkind: [Pod]\n",
                 "in.yaml:2: kind: expected a string naming one of Pod, Node, "
                 "ReplicationController, Service, Endpoints, Event, Namespace, got a list"},
        BadInput{"NotAMapping", "- a\n- b\n",
                 "in.yaml:1: expected a mapping with apiVersion, kind and metadata, got a list"},
        BadInput{"BadTimestamp",
                 "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: yesterday\n",
                 "in.yaml:4: metadata.creationTimestamp: invalid timestamp \"yesterday\": want "
                 "RFC 3339, e.g. 2026-01-02T15:04:05Z"},
        BadInput{"TimestampNotString",
                 "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: 5\n",
                 "in.yaml:4: metadata.creationTimestamp: expected an RFC 3339 timestamp string, "
                 "got number 5"},
        BadInput{"IntOutOfRange",
                 "apiVersion: v1\nkind: ReplicationController\nspec:\n  replicas: 4294967296\n",
                 "in.yaml:4: spec.replicas: expected a 32-bit integer, got 4294967296 (out of "
                 "range)"},
        BadInput{"FloatForInt",
                 "apiVersion: v1\nkind: ReplicationController\nspec:\n  replicas: 1.5\n",
                 "in.yaml:4: spec.replicas: expected a 32-bit integer, got number 1.5E0"},
        BadInput{"StringGotNumber",
                 "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: c\n    image: 5\n",
                 "in.yaml:6: spec.containers[0].image: expected a string, got number 5"},
        BadInput{"BoolGotString", "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: \"yes\"\n",
                 "in.yaml:4: spec.hostNetwork: expected true or false, got string \"yes\""},
        BadInput{"ListGotMapping", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    name: c\n",
                 "in.yaml:4: spec.containers: expected a list, got a mapping"},
        BadInput{"NullListItem", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  -\n",
                 "in.yaml:5: spec.containers[0]: expected a list item, got null"},
        BadInput{"LabelValueNotString",
                 "apiVersion: v1\nkind: Pod\nmetadata:\n  labels:\n    version: 2\n",
                 "in.yaml:5: metadata.labels.version: expected a string, got number 2"},
        BadInput{
            "IntOrStringGotBool",
            "apiVersion: v1\nkind: Service\nspec:\n  ports:\n  - port: 80\n    targetPort: true\n",
            "in.yaml:6: spec.ports[0].targetPort: expected an integer or a string, got "
            "boolean true"},
        BadInput{"QuantityGotList",
                 "apiVersion: v1\nkind: Node\nstatus:\n  capacity:\n    cpu: [1]\n",
                 "in.yaml:5: status.capacity.cpu: expected a quantity such as \"500m\" or "
                 "\"1Gi\", got a list"},
        BadInput{"DuplicateKey", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  name: b\n",
                 "in.yaml:5: metadata.name: malformed YAML at column 3: duplicate key \"name\" "
                 "(first given at line 4, again at line 5)"},
        BadInput{"UnknownTopLevel", "apiVersion: v1\nkind: Pod\nspecs: {}\n",
                 "in.yaml:3: specs: unknown field"},
        BadInput{"ErrorsInTwoDocuments",
                 "apiVersion: v1\nkind: Pod\nfoo: 1\n---\napiVersion: v1\nkind: Service\nbar: 2\n",
                 "in.yaml:3: foo: unknown field\nin.yaml:7: bar: unknown field"},
        BadInput{"MalformedYaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [a\n",
                 "in.yaml:5: metadata.name[1]: malformed YAML at column 1: did not find "
                 "expected ',' or ']' (while parsing a flow sequence)"},
        BadInput{"BadIndentation", "apiVersion: v1\nkind: Pod\n metadata: x\n",
                 "in.yaml:3: malformed YAML at column 10: mapping values are not allowed in "
                 "this context"}));

TEST(CodecTest, JsonErrorsNameThePath) {
  auto obj = DecodeJson(R"({"apiVersion":"v1","kind":"Pod","spec":{"containers":[{"nme":"c"}],)"
                        R"("priority":"high"}})",
                        {.source = "p.json"});
  ASSERT_FALSE(obj.ok());
  EXPECT_EQ(obj.status().message(),
            "p.json: spec.containers[0].nme: unknown field\n"
            "p.json: spec.priority: expected a 32-bit integer, got string \"high\"");
}

TEST(CodecTest, MalformedJsonGivesLine) {
  auto obj = DecodeJson("{\"apiVersion\": \"v1\",\n \"kind\": \"Pod\",\n \"spec\": {,}}",
                        {.source = "p.json"});
  ASSERT_FALSE(obj.ok());
  EXPECT_THAT(obj.status().message(), HasSubstr("p.json:3: malformed JSON at column 11: "));
  auto trailing = DecodeJson("{\"apiVersion\": \"v1\", \"kind\": \"Pod\"} x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_THAT(trailing.status().message(), HasSubstr("line 1: malformed JSON at column"));
}

TEST(CodecTest, DecodesJsonFileAndNullFields) {
  auto docs = DecodeFile(NAVARCH_SOURCE_DIR "/tests/unit/api/testdata/pod.json");
  ASSERT_TRUE(docs.ok()) << docs.status();
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].line, 0);
  auto pod = As<Pod>((*docs)[0].object);
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->spec->containers.at(0).command, (std::vector<std::string>{"sleep", "3600"}));

  // kubectl writes "creationTimestamp: null": null means unset.
  auto nulls = DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  creationTimestamp: null\n  labels: ~\nspec:\n");
  ASSERT_TRUE(nulls.ok()) << nulls.status();
  EXPECT_TRUE((*nulls)[0].object->metadata.creation_timestamp.IsZero());
}

TEST(CodecTest, MissingFileIsNotFound) {
  auto docs = DecodeFile("/nonexistent/web.yaml");
  ASSERT_FALSE(docs.ok());
  EXPECT_EQ(docs.code(), Code::kNotFound);
  EXPECT_THAT(docs.status().message(), HasSubstr("/nonexistent/web.yaml"));
}

TEST(CodecTest, QuantitiesAcceptNumbers) {
  auto docs = DecodeYaml(
      "apiVersion: v1\nkind: Node\nstatus:\n  capacity:\n    cpu: 4\n    memory: 0.5\n"
      "    pods: \"110\"\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  auto node = As<Node>((*docs)[0].object);
  EXPECT_EQ(node->status.capacity.at("cpu").MilliValue(), 4000);
  EXPECT_EQ(node->status.capacity.at("memory").MilliValue(), 500);
  EXPECT_EQ(node->status.capacity.at("pods").Value(), 110);
}

TEST(CodecTest, EmptyYamlGivesNoDocuments) {
  auto docs = DecodeYaml("# nothing here\n---\n---\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  EXPECT_TRUE(docs->empty());
}

// --- hostile input -----------------------------------------------------------

TEST(CodecHostile, YamlThatLoopedTheOldParserIsAnErrorNamingTheSource) {
  for (std::string_view text : {"!,", ",", "- !,\n"}) {
    auto docs = DecodeYaml(text, {.source = "in.yaml"});
    ASSERT_FALSE(docs.ok()) << text;
    EXPECT_THAT(docs.status().message(), HasSubstr("in.yaml:1: "));
    EXPECT_THAT(docs.status().message(), HasSubstr("malformed YAML"));
  }
}

TEST(CodecHostile, AliasBombIsRefusedBeforeItExpands) {
  auto docs = DecodeYaml(navarch::testing::AliasBomb("apiVersion: v1\nkind: ConfigMap\n"),
                         {.source = "bomb.yaml"});
  ASSERT_FALSE(docs.ok());
  EXPECT_THAT(docs.status().message(), HasSubstr("bomb.yaml:"));
  EXPECT_THAT(docs.status().message(), HasSubstr("expands to more than 1000000 nodes"));
}

TEST(CodecHostile, NonUtf8YamlIsRefused) {
  auto docs =
      DecodeYaml("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    a: \"\xff\"\n",
                 {.source = "in.yaml"});
  ASSERT_FALSE(docs.ok());
  EXPECT_THAT(docs.status().message(), HasSubstr("not valid UTF-8"));
}

TEST(CodecHostile, EscapedNulSurvivesARoundTrip) {
  auto docs = DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: \"x\\0y\"\n");
  ASSERT_TRUE(docs.ok()) << docs.status();
  const Object& obj = *(*docs)[0].object;
  EXPECT_EQ(obj.metadata.annotations.at("a"), std::string("x\0y", 3));
  auto back = DecodeJson(EncodeJson(obj));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->metadata.annotations.at("a"), std::string("x\0y", 3));
  auto yaml_back = DecodeYaml(EncodeYaml(obj));
  ASSERT_TRUE(yaml_back.ok()) << yaml_back.status();
  EXPECT_EQ((*yaml_back)[0].object->metadata.annotations.at("a"), std::string("x\0y", 3));
}

TEST(CodecHostile, JsonDuplicateFieldsFollowFieldValidation) {
  const std::string text =
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","labels":{"x":"1","x":"2"},)"
      R"("name":"b"},"spec":{"containers":[{"name":"c","image":"i","image":"j"}]}})";
  auto strict = DecodeJson(text, {.source = "body", .strict = true});
  ASSERT_FALSE(strict.ok());
  EXPECT_THAT(strict.status().message(), HasSubstr("body: metadata.labels.x: duplicate field"));
  EXPECT_THAT(strict.status().message(), HasSubstr("body: metadata.name: duplicate field"));
  EXPECT_THAT(strict.status().message(),
              HasSubstr("body: spec.containers[0].image: duplicate field"));
  std::vector<std::string> warnings;
  auto warn = DecodeJson(text, {.source = "body", .strict = false, .warnings = &warnings});
  ASSERT_TRUE(warn.ok()) << warn.status();
  EXPECT_EQ(warnings.size(), 3u);
  EXPECT_EQ((*warn)->metadata.name, "b");  // the last value, as in Kubernetes
  auto ignore = DecodeJson(text, {.source = "body", .strict = false});
  ASSERT_TRUE(ignore.ok());
  auto dups = FindDuplicateJsonKeys(R"([{"a":1},{"b":{"c":1,"c":2}}])");
  ASSERT_TRUE(dups.ok());
  EXPECT_THAT(*dups, ElementsAre("[1].b.c"));
}

TEST(CodecHostile, NonUtf8JsonIsNamedAsSuch) {
  auto obj = DecodeJson("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"\xc3\"}}",
                        {.source = "body"});
  ASSERT_FALSE(obj.ok());
  EXPECT_THAT(obj.status().message(), HasSubstr("not valid UTF-8"));
}

TEST(CodecHostile, TimestampsPastYear2262AreInvalid) {
  auto docs = DecodeYaml(
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  creationTimestamp: "
      "\"3000-01-01T00:00:00Z\"\n",
      {.source = "in.yaml"});
  ASSERT_FALSE(docs.ok());
  EXPECT_THAT(docs.status().message(), HasSubstr("in.yaml:5: metadata.creationTimestamp"));
  EXPECT_THAT(docs.status().message(), HasSubstr("out of range"));
}

TEST(CodecHostile, EncodingNeverWritesInvalidUtf8) {
  Pod p;
  p.metadata.name = "p";
  p.metadata.annotations["msg"] = "bad \xff byte";
  const std::string json = EncodeJson(p);
  auto back = DecodeJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->metadata.annotations.at("msg"), "bad \xEF\xBF\xBD byte");
}

TEST(CodecHostile, EpochDeletionTimestampReadsBack) {
  Namespace ns;
  ns.metadata.name = "a";
  ns.metadata.deletion_timestamp = Time::FromUnixSeconds(0);
  auto json = DecodeJson(EncodeJson(ns));
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_TRUE((*json)->Equals(ns));
  auto yaml = DecodeYaml(EncodeYaml(ns));
  ASSERT_TRUE(yaml.ok()) << yaml.status();
  EXPECT_TRUE((*yaml)[0].object->Equals(ns));
}

TEST(CodecHostile, YamlEncodingEscapesWhatYamlCannotHoldAsIs) {
  // DEL, a C1 control, NEL, LS, PS, a BOM and U+FFFE: valid UTF-8 that YAML
  // either forbids or folds as a line break, in keys and values.
  Namespace ns;
  ns.metadata.name = "a";
  for (std::string v :
       {std::string("\x7f"), std::string("\xc2\x9e"), std::string("x\xc2\x85y"),
        std::string("\xe2\x80\xa8"), std::string("\xe2\x80\xa9"), std::string("\xef\xbb\xbf"),
        std::string("\xef\xbf\xbe"), std::string("caf\xc3\xa9 \xf0\x9f\x9a\x80")}) {
    ns.metadata.annotations["k" + std::to_string(ns.metadata.annotations.size())] = v;
    ns.metadata.annotations[v + "-key"] = "v";
  }
  const std::string text = EncodeYaml(ns);
  auto back = DecodeYaml(text);
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << text;
  EXPECT_TRUE((*back)[0].object->Equals(ns)) << text;
  EXPECT_NE(text.find("caf\xc3\xa9 \xf0\x9f\x9a\x80"), std::string::npos) << "printable text stays";
}

}  // namespace
}  // namespace navarch::api
