#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/patch.h"
#include "core/api/types.h"

namespace navarch::api {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::value J(std::string_view text) {
  return json::parse(text);
}

Result<json::value> Smp(std::string_view kind, std::string_view doc, std::string_view patch) {
  return ApplyStrategicMergePatch(kind, J(doc), J(patch));
}

// Order-sensitive for arrays, order-insensitive for object members.
#define EXPECT_JSON(result, expected)                                                         \
  do {                                                                                        \
    auto&& _r = (result);                                                                     \
    ASSERT_TRUE(_r.ok()) << _r.status();                                                      \
    EXPECT_EQ(*_r, J(expected)) << "got " << json::serialize(*_r) << "\nwant " << (expected); \
  } while (0)

#define EXPECT_ERROR(result, substring)                       \
  do {                                                        \
    auto&& _r = (result);                                     \
    ASSERT_FALSE(_r.ok()) << "got " << json::serialize(*_r);  \
    EXPECT_EQ(_r.code(), Code::kInvalidArgument);             \
    EXPECT_THAT(_r.status().message(), HasSubstr(substring)); \
  } while (0)

constexpr std::string_view kPod = R"({
  "apiVersion":"v1","kind":"Pod",
  "metadata":{"name":"web","namespace":"default","labels":{"app":"web","tier":"front"},
              "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"},
              "finalizers":["a.example/one","b.example/two"]},
  "spec":{"containers":[
            {"name":"nginx","image":"nginx:1.25",
             "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}],
             "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
             "resources":{"limits":{"cpu":"1"}}},
            {"name":"sidecar","image":"busybox","command":["sleep","3600"]}],
          "tolerations":[{"key":"k1","operator":"Exists"}],
          "volumes":[{"name":"data","emptyDir":{}}]},
  "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"},
                                            {"type":"Initialized","status":"True"}]}})";

json::value PodWith(std::string_view pointer_path, const json::value& v) {
  json::value doc = J(kPod);
  doc.at_pointer(pointer_path) = v;
  return doc;
}

TEST(StrategicMergePatchTest, KubectlApplyImageChange) {
  // The body kubectl apply sends for an existing pod whose image changed.
  auto result = Smp("Pod", kPod, R"({
      "metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"x\":1}"}},
      "spec":{"$setElementOrder/containers":[{"name":"nginx"},{"name":"sidecar"}],
              "containers":[{"image":"nginx:1.26","name":"nginx"}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  json::value want = PodWith("/spec/containers/0/image", "nginx:1.26");
  want.at_pointer("/metadata/annotations")
      .as_object()["kubectl.kubernetes.io/last-applied-configuration"] = "{\"x\":1}";
  EXPECT_EQ(*result, want) << json::serialize(*result);
}

TEST(StrategicMergePatchTest, KubectlApplyRemovesFieldsDroppedFromTheManifest) {
  // resources and the tier label were in last-applied and are gone from the
  // manifest: kubectl sends nulls.
  auto result = Smp("Pod", kPod, R"({
      "metadata":{"labels":{"tier":null}},
      "spec":{"$setElementOrder/containers":[{"name":"nginx"},{"name":"sidecar"}],
              "containers":[{"name":"nginx","resources":null,
                             "$setElementOrder/env":[{"name":"A"}],
                             "env":[{"$patch":"delete","name":"B"}]}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/metadata/labels"), J(R"({"app":"web"})"));
  EXPECT_EQ(result->at_pointer("/spec/containers/0"), J(R"({"name":"nginx","image":"nginx:1.25",
                  "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}],
                  "env":[{"name":"A","value":"1"}]})"));
}

TEST(StrategicMergePatchTest, KubectlApplyRemovesAContainer) {
  auto result = Smp("Pod", kPod, R"({
      "spec":{"$setElementOrder/containers":[{"name":"nginx"}],
              "containers":[{"$patch":"delete","name":"sidecar"}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  auto containers = result->at_pointer("/spec/containers").as_array();
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers[0].at("name"), "nginx");
}

// The body kubectl 1.32 sent (captured) for `kubectl apply` of a manifest that
// drops a label, a container, an env var and the tolerations, and adds an env
// var, a port and a volume, against an object last applied with them.
TEST(StrategicMergePatchTest, CapturedKubectlApplyBody) {
  std::string_view live = R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","namespace":"default","labels":{"app":"web","tier":"x"},
                  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"old"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx:1.25",
                             "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
                             "ports":[{"containerPort":80,"protocol":"TCP"}]},
                            {"name":"side","image":"busybox"}],
              "tolerations":[{"key":"k","operator":"Exists"}],"nodeName":"node-1"},
      "status":{"phase":"Running"}})";
  std::string_view body = R"({"metadata":{"annotations":{
      "kubectl.kubernetes.io/last-applied-configuration":"new"},"labels":{"tier":null}},
      "spec":{"$setElementOrder/containers":[{"name":"nginx"}],
              "containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"C"}],
                             "$setElementOrder/ports":[{"containerPort":80},{"containerPort":443}],
                             "env":[{"name":"C","value":"3"},{"$patch":"delete","name":"B"}],
                             "image":"nginx:1.26","name":"nginx","ports":[{"containerPort":443}]},
                            {"$patch":"delete","name":"side"}],
              "tolerations":null,"volumes":[{"emptyDir":{},"name":"data"}]}})";
  EXPECT_JSON(Smp("Pod", live, body), R"({"apiVersion":"v1","kind":"Pod",
      "metadata":{"name":"web","namespace":"default","labels":{"app":"web"},
                  "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"new"}},
      "spec":{"containers":[{"name":"nginx","image":"nginx:1.26",
                             "env":[{"name":"A","value":"1"},{"name":"C","value":"3"}],
                             "ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}]}],
              "nodeName":"node-1","volumes":[{"emptyDir":{},"name":"data"}]},
      "status":{"phase":"Running"}})");
}

TEST(StrategicMergePatchTest, AddsContainerInTheOrderGiven) {
  auto appended = Smp("Pod", kPod, R"({"spec":{"containers":[{"name":"log","image":"fluent"}]}})");
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto& list = appended->at_pointer("/spec/containers").as_array();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].at("name"), "nginx");
  EXPECT_EQ(list[1].at("name"), "sidecar");
  EXPECT_EQ(list[2], J(R"({"name":"log","image":"fluent"})"));

  auto first = Smp("Pod", kPod, R"({"spec":{
      "$setElementOrder/containers":[{"name":"log"},{"name":"nginx"},{"name":"sidecar"}],
      "containers":[{"name":"log","image":"fluent"}]}})");
  ASSERT_TRUE(first.ok()) << first.status();
  auto& ordered = first->at_pointer("/spec/containers").as_array();
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[0].at("name"), "log");
  EXPECT_EQ(ordered[1].at("name"), "nginx");
  EXPECT_EQ(ordered[2].at("name"), "sidecar");
}

TEST(StrategicMergePatchTest, SetElementOrderAloneReorders) {
  auto result = Smp("Pod", kPod, R"({"spec":{
      "$setElementOrder/containers":[{"name":"sidecar"},{"name":"nginx"}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/spec/containers/0/name"), "sidecar");
  EXPECT_EQ(result->at_pointer("/spec/containers/1/name"), "nginx");
  EXPECT_EQ(result->at_pointer("/spec/containers/1/image"), "nginx:1.25");
}

TEST(StrategicMergePatchTest, UnmentionedElementsKeepTheirPlace) {
  // Server order a,b,c; the patch touches c then a: b stays between them
  // by server position, c and a come in patch order.
  auto result =
      Smp("Pod", R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})",
          R"({"spec":{"containers":[{"name":"c","image":"x"},{"name":"a","image":"y"}]}})");
  EXPECT_JSON(result, R"({"spec":{"containers":[{"name":"b"},{"name":"c","image":"x"},
                                                 {"name":"a","image":"y"}]}})");
  auto keep = Smp("Pod", R"({"spec":{"containers":[{"name":"a"},{"name":"b"},{"name":"c"}]}})",
                  R"({"spec":{"containers":[{"name":"b","image":"x"}]}})");
  EXPECT_JSON(keep, R"({"spec":{"containers":[{"name":"a"},{"name":"b","image":"x"},
                                               {"name":"c"}]}})");
}

TEST(StrategicMergePatchTest, PortsMergeByContainerPortAndEnvByName) {
  auto result = Smp("Pod", kPod, R"({"spec":{"containers":[{"name":"nginx",
      "ports":[{"containerPort":443,"name":"https"},{"containerPort":8080}],
      "env":[{"name":"B","value":"3"},{"name":"C","value":"4"}]}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/spec/containers/0/ports"),
            J(R"([{"containerPort":80,"protocol":"TCP"},{"containerPort":443,"name":"https"},
                  {"containerPort":8080}])"));
  EXPECT_EQ(result->at_pointer("/spec/containers/0/env"),
            J(R"([{"name":"A","value":"1"},{"name":"B","value":"3"},{"name":"C","value":"4"}])"));
}

TEST(StrategicMergePatchTest, AtomicListsAreReplaced) {
  auto result = Smp("Pod", kPod, R"({"spec":{
      "tolerations":[{"key":"k2","operator":"Equal","value":"v"}],
      "containers":[{"name":"sidecar","command":["sleep","1"]}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/spec/tolerations"),
            J(R"([{"key":"k2","operator":"Equal","value":"v"}])"));
  EXPECT_EQ(result->at_pointer("/spec/containers/1/command"), J(R"(["sleep","1"])"));
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"tolerations":[{"$patch":"delete","key":"k1"}]}})"),
               "spec.tolerations[0]: $patch directives apply only to lists merged by key; "
               "spec.tolerations is replaced whole");
}

TEST(StrategicMergePatchTest, PatchReplaceAndDeleteOnMaps) {
  auto replaced = Smp("Pod", kPod, R"({"metadata":{"labels":{"$patch":"replace","new":"1"}}})");
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->at_pointer("/metadata/labels"), J(R"({"new":"1"})"));

  auto deleted = Smp("Pod", kPod, R"({"metadata":{"labels":{"$patch":"delete"}}})");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(deleted->at_pointer("/metadata/labels"), J(R"({})"));

  auto merged = Smp("Pod", kPod, R"({"metadata":{"labels":{"$patch":"merge","new":"1"}}})");
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(merged->at_pointer("/metadata/labels"), J(R"({"app":"web","tier":"front","new":"1"})"));

  EXPECT_ERROR(Smp("Pod", kPod, R"({"metadata":{"labels":{"$patch":"remove"}}})"),
               "metadata.labels: unknown $patch directive \"remove\" (use replace, delete or "
               "merge)");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"metadata":{"labels":{"$patch":1}}})"),
               "metadata.labels: $patch must be a string");
}

TEST(StrategicMergePatchTest, PatchReplaceOnAList) {
  auto result = Smp("Pod", kPod, R"({"spec":{"containers":[
      {"$patch":"replace"},{"name":"only","image":"x","resources":null},
      {"$patch":"delete","name":"nginx"}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/spec/containers"), J(R"([{"name":"only","image":"x"}])"));
}

TEST(StrategicMergePatchTest, ListElementDirectiveErrors) {
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"containers":[{"$patch":"delete"}]}})"),
               "spec.containers[0]: {\"$patch\": \"delete\"} needs the merge key \"name\"");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"containers":[{"image":"x"}]}})"),
               "spec.containers[0]: no merge key \"name\"");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"containers":["nginx"]}})"),
               "spec.containers[0]: must be an object with merge key \"name\", got \"nginx\"");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"containers":[{"name":"x","$patch":"zap"}]}})"),
               "spec.containers[0]: unknown $patch directive \"zap\"");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"containers":[{"name":"nginx",
      "ports":[{"protocol":"UDP"}]}]}})"),
               "spec.containers[0].ports[0]: no merge key \"containerPort\"");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"$setElementOrder/containers":[{"image":"x"}]}})"),
               "spec.$setElementOrder/containers[0]: needs the merge key \"name\"");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"$setElementOrder/containers":{}}})"),
               "spec.$setElementOrder/containers: must be a list, got object");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"$frobnicate":[]}})"),
               "spec: unknown directive \"$frobnicate\"");
}

TEST(StrategicMergePatchTest, FinalizersMergeAsASet) {
  auto added = Smp("Pod", kPod, R"({"metadata":{"finalizers":["b.example/two","c.example/3"]}})");
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->at_pointer("/metadata/finalizers"),
            J(R"(["a.example/one","b.example/two","c.example/3"])"));

  // What kubectl apply sends when the manifest's finalizers go [one,two] -> [two,three].
  auto applied = Smp("Pod", kPod, R"({"metadata":{
      "$deleteFromPrimitiveList/finalizers":["a.example/one"],
      "$setElementOrder/finalizers":["c.example/3","b.example/two"],
      "finalizers":["c.example/3"]}})");
  ASSERT_TRUE(applied.ok()) << applied.status();
  EXPECT_EQ(applied->at_pointer("/metadata/finalizers"), J(R"(["c.example/3","b.example/two"])"));

  auto replaced = Smp("Pod", kPod, R"({"metadata":{"finalizers":[{"$patch":"replace"},"z"]}})");
  ASSERT_TRUE(replaced.ok()) << replaced.status();
  EXPECT_EQ(replaced->at_pointer("/metadata/finalizers"), J(R"(["z"])"));

  auto cleared = Smp("Pod", kPod, R"({"metadata":{"finalizers":null}})");
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_FALSE(cleared->at("metadata").as_object().contains("finalizers"));

  EXPECT_ERROR(Smp("Pod", kPod, R"({"metadata":{"finalizers":[{"a":1}]}})"),
               "metadata.finalizers[0]: a list of scalars cannot hold {\"a\":1}");
}

TEST(StrategicMergePatchTest, RetainKeysSwitchesAVolumeSource) {
  auto result = Smp("Pod", kPod, R"({"spec":{"volumes":[
      {"$retainKeys":["configMap","name"],"name":"data","configMap":{"name":"cm"}}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/spec/volumes"),
            J(R"([{"name":"data","configMap":{"name":"cm"}}])"));
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"volumes":[
      {"$retainKeys":["name"],"name":"data","configMap":{"name":"cm"}}]}})"),
               "spec.volumes[0].$retainKeys: the patch sets \"configMap\", which $retainKeys does "
               "not list");
  EXPECT_ERROR(Smp("Pod", kPod, R"({"spec":{"volumes":[{"$retainKeys":"name","name":"data"}]}})"),
               "spec.volumes[0].$retainKeys: must be a list of field names");
}

TEST(StrategicMergePatchTest, NewFieldsHaveDirectivesAppliedAndNullsDropped) {
  auto result = Smp("Pod", R"({"spec":{}})", R"({"spec":{
      "volumes":[{"$patch":"delete","name":"gone"},{"name":"v","emptyDir":{}}],
      "nodeSelector":{"zone":"a","old":null},
      "containers":[{"name":"c","env":[{"name":"E","value":"1","valueFrom":null}]}]}})");
  EXPECT_JSON(result, R"({"spec":{"volumes":[{"name":"v","emptyDir":{}}],
                                  "nodeSelector":{"zone":"a"},
                                  "containers":[{"name":"c","env":[{"name":"E","value":"1"}]}]}})");
}

TEST(StrategicMergePatchTest, StatusConditionsMergeByType) {
  auto result = Smp("Pod", kPod, R"({"status":{
      "conditions":[{"type":"Ready","status":"False","reason":"ContainersNotReady"},
                    {"type":"PodScheduled","status":"True"}]}})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->at_pointer("/status/conditions"),
            J(R"([{"type":"Ready","status":"False","reason":"ContainersNotReady"},
                  {"type":"Initialized","status":"True"},{"type":"PodScheduled","status":"True"}])"));
}

TEST(StrategicMergePatchTest, ReplicationControllerTemplate) {
  std::string_view rc = R"({"metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"app":"web"},
      "template":{"metadata":{"labels":{"app":"web"}},
                  "spec":{"containers":[{"name":"nginx","image":"nginx:1.25",
                                         "ports":[{"containerPort":80}]}]}}},
      "status":{"replicas":2,"conditions":[{"type":"ReplicaFailure","status":"True"}]}})";
  EXPECT_JSON(Smp("ReplicationController", rc, R"({"spec":{"replicas":3,"template":{"spec":{
      "$setElementOrder/containers":[{"name":"nginx"}],
      "containers":[{"name":"nginx","image":"nginx:1.26","ports":[{"containerPort":81}]}]}}},
      "status":{"conditions":[{"type":"ReplicaFailure","$patch":"delete"}]}})"),
              R"({"metadata":{"name":"web"},"spec":{"replicas":3,"selector":{"app":"web"},
      "template":{"metadata":{"labels":{"app":"web"}},
                  "spec":{"containers":[{"name":"nginx","image":"nginx:1.26",
                                         "ports":[{"containerPort":80},{"containerPort":81}]}]}}},
      "status":{"replicas":2,"conditions":[]}})");
  // The selector is a map: merged, not replaced.
  EXPECT_JSON(
      Smp("ReplicationController", rc, R"({"spec":{"selector":{"tier":"x"}}})"),
      R"({"metadata":{"name":"web"},"spec":{"replicas":2,"selector":{"app":"web","tier":"x"},
      "template":{"metadata":{"labels":{"app":"web"}},
                  "spec":{"containers":[{"name":"nginx","image":"nginx:1.25",
                                         "ports":[{"containerPort":80}]}]}}},
      "status":{"replicas":2,"conditions":[{"type":"ReplicaFailure","status":"True"}]}})");
}

TEST(StrategicMergePatchTest, ServicePortsMergeByPort) {
  std::string_view svc = R"({"spec":{"selector":{"app":"web"},"externalIPs":["1.2.3.4"],
      "ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443}]}})";
  EXPECT_JSON(Smp("Service", svc, R"({"spec":{"externalIPs":["5.6.7.8"],
      "ports":[{"port":80,"targetPort":9090},{"port":443,"$patch":"delete"},{"port":53,
               "protocol":"UDP"}]}})"),
              R"({"spec":{"selector":{"app":"web"},"externalIPs":["5.6.7.8"],
      "ports":[{"name":"http","port":80,"targetPort":9090},{"port":53,"protocol":"UDP"}]}})");
}

TEST(StrategicMergePatchTest, NodeAddressesConditionsAndTaints) {
  std::string_view node = R"({"spec":{"podCIDRs":["10.0.0.0/24"],
      "taints":[{"key":"a","effect":"NoSchedule"}]},
      "status":{"addresses":[{"type":"InternalIP","address":"10.1.0.1"},
                             {"type":"Hostname","address":"n1"}],
                "conditions":[{"type":"Ready","status":"True"}]}})";
  EXPECT_JSON(Smp("Node", node, R"({"spec":{"podCIDRs":["10.0.1.0/24"],
      "taints":[{"key":"b","effect":"NoExecute"}]},
      "status":{"addresses":[{"type":"InternalIP","address":"10.1.0.2"}],
                "conditions":[{"type":"Ready","status":"Unknown"},
                              {"type":"MemoryPressure","status":"False"}]}})"),
              R"({"spec":{"podCIDRs":["10.0.0.0/24","10.0.1.0/24"],
      "taints":[{"key":"b","effect":"NoExecute"}]},
      "status":{"addresses":[{"type":"InternalIP","address":"10.1.0.2"},
                             {"type":"Hostname","address":"n1"}],
                "conditions":[{"type":"Ready","status":"Unknown"},
                              {"type":"MemoryPressure","status":"False"}]}})");
}

TEST(StrategicMergePatchTest, EndpointsEventNamespaceOwnerReferences) {
  EXPECT_JSON(Smp("Endpoints", R"({"subsets":[{"addresses":[{"ip":"10.0.0.1"}]}]})",
                  R"({"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]})"),
              R"({"subsets":[{"addresses":[{"ip":"10.0.0.2"}]}]})");
  EXPECT_JSON(Smp("Event", R"({"count":1,"message":"a"})", R"({"count":2})"),
              R"({"count":2,"message":"a"})");
  EXPECT_JSON(
      Smp("Namespace", R"({"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})",
          R"({"spec":{"finalizers":["other"]},"status":{"conditions":[{"type":"X"}]}})"),
      R"({"spec":{"finalizers":["other"]},
                  "status":{"phase":"Active","conditions":[{"type":"X"}]}})");
  EXPECT_JSON(
      Smp("Namespace",
          R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b"}]}})",
          R"({"metadata":{"ownerReferences":[{"uid":"2","name":"c"},{"uid":"3","name":"d"}]}})"),
      R"({"metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"c"},
                                                 {"uid":"3","name":"d"}]}})");
}

TEST(StrategicMergePatchTest, TypeChangesReplace) {
  EXPECT_JSON(
      Smp("Pod", R"({"spec":{"nodeSelector":{"a":"b"}}})", R"({"spec":{"nodeSelector":"x"}})"),
      R"({"spec":{"nodeSelector":"x"}})");
  EXPECT_JSON(Smp("Pod", R"({"spec":{"containers":"junk"}})",
                  R"({"spec":{"containers":[{"name":"a","$patch":"merge"}]}})"),
              R"({"spec":{"containers":[{"name":"a"}]}})");
}

TEST(StrategicMergePatchTest, BadInput) {
  EXPECT_ERROR(Smp("Deployment", "{}", "{}"), "strategic merge patch: unknown kind \"Deployment\"");
  EXPECT_ERROR(Smp("Pod", "{}", "[]"), "a strategic merge patch must be a JSON object, got array");
  EXPECT_ERROR(Smp("Pod", "[]", "{}"), "the Pod to patch is a array, not a JSON object");
  EXPECT_TRUE(HasStrategicMergeSchema("Service"));
  EXPECT_FALSE(HasStrategicMergeSchema("Deployment"));
}

TEST(StrategicMergePatchTest, PatchedPodDecodes) {
  auto decoded = DecodeJson(kPod);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  json::value doc = ToJsonValue(**decoded);
  auto patched = ApplyStrategicMergePatch("Pod", doc, J(R"({
      "metadata":{"labels":{"tier":null,"version":"2"}},
      "spec":{"$setElementOrder/containers":[{"name":"nginx"}],
              "containers":[{"name":"nginx","image":"nginx:1.26"},
                            {"$patch":"delete","name":"sidecar"}]}})"));
  ASSERT_TRUE(patched.ok()) << patched.status();
  auto object = DecodeJsonValue(*patched);
  ASSERT_TRUE(object.ok()) << object.status();
  auto pod = As<Pod>(*object);
  ASSERT_NE(pod, nullptr);
  ASSERT_EQ(pod->spec->containers.size(), 1u);
  EXPECT_EQ(pod->spec->containers[0].image, "nginx:1.26");
  EXPECT_EQ(pod->spec->containers[0].ports.size(), 2u);
  EXPECT_EQ(pod->metadata.labels, (Labels{{"app", "web"}, {"version", "2"}}));
}

}  // namespace
}  // namespace navarch::api
