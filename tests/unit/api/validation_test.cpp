#include "core/api/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/api/names.h"
#include "core/api/types.h"

namespace navarch::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> Errors(const Object& obj) {
  std::vector<std::string> out;
  for (const FieldError& e : Validate(obj))
    out.push_back(e.path + ": " + e.message);
  return out;
}

Pod ValidPod() {
  Pod p;
  p.metadata.name = "web-0";
  p.metadata.namespace_ = "default";
  p.metadata.labels = {{"app", "web"}};
  Container c{.name = "web", .image = "nginx"};
  c.ports.push_back({.name = "http", .container_port = 80, .protocol = "TCP"});
  c.resources.requests = {{"cpu", Quantity::MustParse("250m")}};
  c.resources.limits = {{"cpu", Quantity::MustParse("1")}};
  p.spec.Mutable().containers.push_back(c);
  p.spec.Mutable().restart_policy = "Always";
  return p;
}

ReplicationController ValidRc() {
  ReplicationController rc;
  rc.metadata.name = "web";
  rc.spec.replicas = 2;
  rc.spec.selector = {{"app", "web"}};
  rc.spec.template_.emplace();
  rc.spec.template_->metadata.labels = {{"app", "web"}, {"tier", "front"}};
  rc.spec.template_->spec = ValidPod().spec;
  return rc;
}

Service ValidService() {
  Service s;
  s.metadata.name = "web";
  s.spec.selector = {{"app", "web"}};
  s.spec.ports = {{.name = "http", .port = 80, .target_port = IntOrString("http")}};
  return s;
}

TEST(ValidationTest, ValidObjectsHaveNoErrors) {
  EXPECT_THAT(Errors(ValidPod()), IsEmpty());
  EXPECT_THAT(Errors(ValidRc()), IsEmpty());
  EXPECT_THAT(Errors(ValidService()), IsEmpty());
  Node n;
  n.metadata.name = "node-1.example.com";
  n.spec.taints = {{.key = "dedicated", .value = "gpu", .effect = "NoSchedule"}};
  EXPECT_THAT(Errors(n), IsEmpty());
  Namespace ns;
  ns.metadata.name = "prod";
  EXPECT_THAT(Errors(ns), IsEmpty());
}

TEST(ValidationTest, NameRequiredUnlessGenerateName) {
  Pod p = ValidPod();
  p.metadata.name.clear();
  EXPECT_THAT(Errors(p),
              ElementsAre("metadata.name: required: set metadata.name (or metadata.generateName)"));
  p.metadata.generate_name = "web-";
  EXPECT_THAT(Errors(p), IsEmpty());
  p.metadata.generate_name = "Web-";
  EXPECT_THAT(Errors(p),
              ElementsAre("metadata.generateName: " + ValidateDns1123Subdomain("Weba").at(0)));
}

TEST(ValidationTest, NamesAreSubdomainsOrLabelsByKind) {
  Pod p = ValidPod();
  p.metadata.name = "web.example";  // a subdomain is fine for pods
  EXPECT_THAT(Errors(p), IsEmpty());
  p.metadata.name = "Web_0";
  EXPECT_THAT(Errors(p), ElementsAre("metadata.name: " + ValidateDns1123Subdomain("Web_0").at(0)));

  Service s = ValidService();
  s.metadata.name = "web.example";  // services need a DNS-1123 label
  EXPECT_THAT(Errors(s),
              ElementsAre("metadata.name: " + ValidateDns1123Label("web.example").at(0)));
  Namespace ns;
  ns.metadata.name = "a.b";
  EXPECT_THAT(Errors(ns), ElementsAre("metadata.name: " + ValidateDns1123Label("a.b").at(0)));
}

TEST(ValidationTest, NamespaceOfObjects) {
  Pod p = ValidPod();
  p.metadata.namespace_ = "Prod";
  EXPECT_THAT(Errors(p), ElementsAre("metadata.namespace: " + ValidateDns1123Label("Prod").at(0)));
  Node n;
  n.metadata.name = "n";
  n.metadata.namespace_ = "default";
  EXPECT_THAT(Errors(n),
              ElementsAre("metadata.namespace: not allowed: Node is not namespaced; remove it"));
}

TEST(ValidationTest, LabelsAndAnnotations) {
  Pod p = ValidPod();
  p.metadata.labels = {{"bad key", "v"}, {"ok", "bad value!"}};
  p.metadata.annotations = {{"-x", "anything goes"}};
  EXPECT_THAT(Errors(p),
              ElementsAre("metadata.labels.bad key: " + ValidateLabelKey("bad key").at(0),
                          "metadata.labels.ok: " + ValidateLabelValue("bad value!").at(0),
                          "metadata.annotations.-x: " + ValidateLabelKey("-x").at(0)));
  p = ValidPod();
  p.metadata.annotations = {{"big", std::string(300 * 1024, 'x')}};
  EXPECT_THAT(Errors(p), ElementsAre("metadata.annotations: annotations must total at most "
                                     "262144 bytes, they have 307203"));
}

TEST(ValidationTest, OwnerReferenceFieldsRequired) {
  Pod p = ValidPod();
  p.metadata.owner_references.push_back({.kind = "ReplicationController", .name = "web"});
  EXPECT_THAT(Errors(p), ElementsAre("metadata.ownerReferences[0].apiVersion: required",
                                     "metadata.ownerReferences[0].uid: required"));
}

TEST(ValidationTest, ContainersRequiredNamedUniqueWithImage) {
  Pod p = ValidPod();
  p.spec.Mutable().containers.clear();
  EXPECT_THAT(Errors(p),
              ElementsAre("spec.containers: required: a pod needs at least one container"));

  p = ValidPod();
  p.spec.Mutable().init_containers.push_back({.name = "web", .image = "busybox"});
  p.spec.Mutable().containers.push_back({.name = "Side_Car"});
  p.spec.Mutable().containers.push_back({.image = "x"});
  EXPECT_THAT(
      Errors(p),
      ElementsAre("spec.containers[0].name: duplicate container name \"web\" (also "
                  "spec.initContainers[0])",
                  "spec.containers[1].name: " + ValidateDns1123Label("Side_Car").at(0),
                  "spec.containers[1].image: required: the container image to run, e.g. nginx",
                  "spec.containers[2].name: required"));
}

TEST(ValidationTest, ContainerPorts) {
  Pod p = ValidPod();
  auto& ports = p.spec.Mutable().containers[0].ports;
  ports = {{.name = "http", .host_port = 70000, .container_port = 0, .protocol = "ICMP"},
           {.name = "http", .container_port = 65536},
           {.name = "Has_Upper", .container_port = 1},
           {.name = "12345", .container_port = 2}};
  EXPECT_THAT(
      Errors(p),
      ElementsAre("spec.containers[0].ports[0].containerPort: must be between 1 and 65535, got 0",
                  "spec.containers[0].ports[0].hostPort: must be between 0 and 65535, got 70000",
                  "spec.containers[0].ports[0].protocol: unsupported value \"ICMP\": want one of "
                  "TCP, UDP, SCTP",
                  "spec.containers[0].ports[1].containerPort: must be between 1 and 65535, got "
                  "65536",
                  "spec.containers[0].ports[1].name: duplicate port name \"http\"",
                  "spec.containers[0].ports[2].name: invalid port name \"Has_Upper\": it "
                  "contains H; want at most 15 lower-case letters, digits and '-' with at least "
                  "one letter",
                  "spec.containers[0].ports[3].name: invalid port name \"12345\": it has no "
                  "letter; want at most 15 lower-case letters, digits and '-' with at least one "
                  "letter"));
}

TEST(ValidationTest, EnvAndVolumeMounts) {
  Pod p = ValidPod();
  Container& c = p.spec.Mutable().containers[0];
  c.env = {
      {.value = "x"},
      {.name = "A", .value = "x", .value_from = EnvVarSource{.field_ref = ObjectFieldSelector{}}},
      {.name = "B", .value_from = EnvVarSource{}}};
  c.volume_mounts = {{.name = "missing", .mount_path = ""}};
  EXPECT_THAT(Errors(p),
              ElementsAre("spec.containers[0].env[0].name: required",
                          "spec.containers[0].env[1].valueFrom: may not be specified when `value` "
                          "is not empty",
                          "spec.containers[0].env[1].valueFrom.fieldRef.fieldPath: required",
                          "spec.containers[0].env[2].valueFrom: must specify exactly one of "
                          "fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef",
                          "spec.containers[0].volumeMounts[0].name: not found: no volume named "
                          "\"missing\" in spec.volumes",
                          "spec.containers[0].volumeMounts[0].mountPath: required"));
}

TEST(ValidationTest, ResourcesRequestsAtMostLimits) {
  Pod p = ValidPod();
  auto& r = p.spec.Mutable().containers[0].resources;
  r.requests = {{"cpu", Quantity::MustParse("2")}, {"memory", Quantity::MustParse("-1Mi")}};
  r.limits = {{"cpu", Quantity::MustParse("1500m")}};
  EXPECT_THAT(Errors(p), ElementsAre("spec.containers[0].resources.requests.cpu: must be less "
                                     "than or equal to the cpu limit of 1500m, got 2",
                                     "spec.containers[0].resources.requests.memory: must be "
                                     "greater than or equal to 0, got -1Mi"));
}

TEST(ValidationTest, Probes) {
  Pod p = ValidPod();
  Container& c = p.spec.Mutable().containers[0];
  c.liveness_probe = Probe{.period_seconds = -1, .success_threshold = 2};
  c.readiness_probe = Probe{.exec = ExecAction{},
                            .http_get = HttpGetAction{.port = 0, .scheme = "FTP"},
                            .timeout_seconds = -5};
  c.startup_probe = Probe{.tcp_socket = TcpSocketAction{.port = IntOrString("no_such")},
                          .initial_delay_seconds = -1,
                          .failure_threshold = -3};
  EXPECT_THAT(
      Errors(p),
      ElementsAre(
          "spec.containers[0].livenessProbe: must specify a handler: one of exec, httpGet or "
          "tcpSocket",
          "spec.containers[0].livenessProbe.periodSeconds: must be positive (or unset), got -1",
          "spec.containers[0].livenessProbe.successThreshold: must be 1 for liveness and startup "
          "probes, got 2",
          "spec.containers[0].readinessProbe: may not specify more than one handler (exec, "
          "httpGet, tcpSocket)",
          "spec.containers[0].readinessProbe.exec.command: required",
          "spec.containers[0].readinessProbe.httpGet.port: must be between 1 and 65535, got 0",
          "spec.containers[0].readinessProbe.httpGet.scheme: unsupported value \"FTP\": want one "
          "of HTTP, HTTPS",
          "spec.containers[0].readinessProbe.timeoutSeconds: must be positive (or unset), got -5",
          "spec.containers[0].startupProbe.tcpSocket.port: invalid port name \"no_such\": it "
          "contains _; want a number between 1 and 65535 or a name of at most 15 lower-case "
          "letters, digits and '-' with at least one letter",
          "spec.containers[0].startupProbe.initialDelaySeconds: must be greater than or equal to "
          "0, got -1",
          "spec.containers[0].startupProbe.failureThreshold: must be positive (or unset), got "
          "-3"));
}

TEST(ValidationTest, PodSpecEnums) {
  Pod p = ValidPod();
  p.spec.Mutable().restart_policy = "Sometimes";
  p.spec.Mutable().dns_policy = "Google";
  p.spec.Mutable().containers[0].image_pull_policy = "Maybe";
  p.spec.Mutable().containers[0].termination_message_policy = "Stdout";
  p.spec.Mutable().termination_grace_period_seconds = -1;
  p.spec.Mutable().active_deadline_seconds = 0;
  EXPECT_THAT(
      Errors(p),
      ElementsAre("spec.containers[0].imagePullPolicy: unsupported value \"Maybe\": want one of "
                  "Always, IfNotPresent, Never",
                  "spec.containers[0].terminationMessagePolicy: unsupported value \"Stdout\": "
                  "want one of File, FallbackToLogsOnError",
                  "spec.restartPolicy: unsupported value \"Sometimes\": want one of Always, "
                  "OnFailure, Never",
                  "spec.dnsPolicy: unsupported value \"Google\": want one of ClusterFirst, "
                  "ClusterFirstWithHostNet, Default, None",
                  "spec.terminationGracePeriodSeconds: must be greater than or equal to 0, got -1",
                  "spec.activeDeadlineSeconds: must be positive, got 0"));
}

TEST(ValidationTest, Volumes) {
  Pod p = ValidPod();
  p.spec.Mutable().volumes = {
      {.name = "data", .empty_dir = EmptyDirVolumeSource{.medium = "Disk"}},
      {.name = "data"},
      {.name = "two", .host_path = HostPathVolumeSource{}, .secret = SecretVolumeSource{}}};
  EXPECT_THAT(Errors(p),
              ElementsAre("spec.volumes[0].emptyDir.medium: unsupported value \"Disk\": want one "
                          "of Memory",
                          "spec.volumes[1].name: duplicate volume \"data\"",
                          "spec.volumes[2]: may not specify more than one volume source",
                          "spec.volumes[2].hostPath.path: required",
                          "spec.volumes[2].secret.secretName: required"));
}

TEST(ValidationTest, Tolerations) {
  Pod p = ValidPod();
  p.spec.Mutable().tolerations = {{.key = "k", .operator_ = "Contains", .effect = "NoRun"},
                                  {.operator_ = "Equal", .value = "v"},
                                  {.key = "k", .operator_ = "Exists", .value = "v"},
                                  {.key = "k", .effect = "NoSchedule", .toleration_seconds = 10}};
  EXPECT_THAT(
      Errors(p),
      ElementsAre("spec.tolerations[0].operator: unsupported value \"Contains\": want one of "
                  "Exists, Equal",
                  "spec.tolerations[0].effect: unsupported value \"NoRun\": want one of "
                  "NoSchedule, PreferNoSchedule, NoExecute",
                  "spec.tolerations[1].operator: must be Exists when `key` is empty (a toleration "
                  "of every taint)",
                  "spec.tolerations[2].value: must be empty when `operator` is Exists",
                  "spec.tolerations[3].tolerationSeconds: may only be set when `effect` is "
                  "NoExecute"));
}

TEST(ValidationTest, ReplicationController) {
  ReplicationController rc = ValidRc();
  rc.spec.replicas = -1;
  rc.spec.selector = {{"app", "api"}, {"tier", "front"}};
  rc.spec.template_->spec.Mutable().restart_policy = "OnFailure";
  EXPECT_THAT(Errors(rc),
              ElementsAre("spec.replicas: must be greater than or equal to 0, got -1",
                          "spec.template.metadata.labels: selector does not match template "
                          "labels: the template needs app=api",
                          "spec.template.spec.restartPolicy: unsupported value \"OnFailure\": a "
                          "replication controller's pods must use Always"));
  rc = ValidRc();
  rc.spec.selector.clear();
  rc.spec.template_.reset();
  EXPECT_THAT(Errors(rc), ElementsAre("spec.selector: required: the labels of the pods to "
                                      "manage, e.g. app: web",
                                      "spec.template: required: the pod template to create "
                                      "replicas from"));
  rc = ValidRc();
  rc.spec.template_->spec.Mutable().containers[0].image.clear();
  EXPECT_THAT(Errors(rc), ElementsAre("spec.template.spec.containers[0].image: required: the "
                                      "container image to run, e.g. nginx"));
}

TEST(ValidationTest, ServicePorts) {
  Service s = ValidService();
  s.spec.ports.clear();
  EXPECT_THAT(Errors(s), ElementsAre("spec.ports: required: at least one port, e.g. - port: 80"));
  s.spec.cluster_ip = "None";  // headless services may have no ports
  EXPECT_THAT(Errors(s), IsEmpty());

  s = ValidService();
  s.spec.ports = {{.name = "http", .protocol = "HTTP", .port = 0, .target_port = 70000},
                  {.name = "http", .port = 81, .node_port = 30000},
                  {.port = 82, .target_port = IntOrString("")}};
  EXPECT_THAT(
      Errors(s),
      ElementsAre("spec.ports[0].port: must be between 1 and 65535, got 0",
                  "spec.ports[0].protocol: unsupported value \"HTTP\": want one of TCP, UDP, SCTP",
                  "spec.ports[0].targetPort: must be between 1 and 65535, got 70000",
                  "spec.ports[1].name: duplicate port name \"http\"",
                  "spec.ports[1].nodePort: may only be set when `type` is NodePort or "
                  "LoadBalancer",
                  "spec.ports[2].name: required when there is more than one port",
                  "spec.ports[2].targetPort: invalid port name \"\": it must not be empty; want a "
                  "number between 1 and 65535 or a name of at most 15 lower-case letters, digits "
                  "and '-' with at least one letter"));
}

TEST(ValidationTest, ServiceEnums) {
  Service s = ValidService();
  s.spec.type = "Ingress";
  s.spec.session_affinity = "Sticky";
  s.spec.external_traffic_policy = "Everywhere";
  EXPECT_THAT(Errors(s),
              ElementsAre("spec.type: unsupported value \"Ingress\": want one of ClusterIP, "
                          "NodePort, LoadBalancer, ExternalName",
                          "spec.sessionAffinity: unsupported value \"Sticky\": want one of None, "
                          "ClientIP",
                          "spec.externalTrafficPolicy: unsupported value \"Everywhere\": want one "
                          "of Cluster, Local"));
  s = ValidService();
  s.spec.type = "ExternalName";
  s.spec.ports.clear();
  EXPECT_THAT(Errors(s), ElementsAre("spec.externalName: required when `type` is ExternalName"));
}

TEST(ValidationTest, NodeTaints) {
  Node n;
  n.metadata.name = "n1";
  n.spec.taints = {{.key = "", .effect = "NoSchedule"},
                   {.key = "k", .effect = "Never"},
                   {.key = "k", .effect = ""},
                   {.key = "d", .effect = "NoExecute"},
                   {.key = "d", .effect = "NoExecute"}};
  n.status.capacity = {{"cpu", Quantity::MustParse("-1")}};
  EXPECT_THAT(Errors(n),
              ElementsAre("spec.taints[0].key: required",
                          "spec.taints[1].effect: unsupported value \"Never\": want one of "
                          "NoSchedule, PreferNoSchedule, NoExecute",
                          "spec.taints[2].effect: required: want one of NoSchedule, "
                          "PreferNoSchedule, NoExecute",
                          "spec.taints[4]: duplicate taint \"d:NoExecute\": a key may be used "
                          "once per effect",
                          "status.capacity.cpu: must be greater than or equal to 0, got -1"));
}

TEST(ValidationTest, EndpointsAndEvents) {
  Endpoints e;
  e.metadata.name = "web";
  e.subsets = {{.addresses = {{.ip = ""}}, .ports = {{.port = 0}, {.name = "a", .port = 1}}}};
  EXPECT_THAT(Errors(e), ElementsAre("subsets[0].addresses[0].ip: required",
                                     "subsets[0].ports[0].port: must be between 1 and 65535, got 0",
                                     "subsets[0].ports[0].name: required when there is more than "
                                     "one port"));
  Event ev;
  ev.metadata.name = "x.1";
  ev.type = "Fatal";
  ev.count = -1;
  EXPECT_THAT(Errors(ev),
              ElementsAre("involvedObject: required: the kind and name of the object the event is "
                          "about",
                          "type: unsupported value \"Fatal\": want one of Normal, Warning",
                          "count: must be greater than or equal to 0, got -1"));
}

TEST(ValidationTest, FormatErrorsUsesNearestLine) {
  Document doc;
  doc.line = 3;
  doc.field_lines = {{"spec", 8}, {"spec.containers[0]", 10}, {"spec.containers[0].name", 10}};
  std::vector<FieldError> errors = {{"spec.containers[0].image", "required"},
                                    {"spec.replicas", "must be greater than or equal to 0"},
                                    {"metadata.name", "required"}};
  EXPECT_EQ(FormatErrors(errors, doc, "web.yaml"),
            "web.yaml:10: spec.containers[0].image: required\n"
            "web.yaml:8: spec.replicas: must be greater than or equal to 0\n"
            "web.yaml:3: metadata.name: required");
  EXPECT_EQ(FormatErrors({{"spec", "bad"}}, Document{}, ""), "spec: bad");
}

}  // namespace
}  // namespace navarch::api
