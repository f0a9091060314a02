#include "core/apiserver/discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include <boost/json.hpp>

namespace navarch::apiserver {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;

// Round trip through text, as a client sees the document.
json::value Wire(const json::value& v) {
  return json::parse(json::serialize(v));
}

const json::object* FindByName(const json::array& resources, std::string_view name) {
  for (const json::value& r : resources) {
    if (r.at("name").as_string() == name) {
      return &r.as_object();
    }
  }
  return nullptr;
}

TEST(DiscoveryTest, ResourceTable) {
  const ResourceInfo* pods = FindResource("pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->kind, "Pod");
  EXPECT_EQ(pods->object_kind, api::Kind::kPod);
  EXPECT_TRUE(pods->namespaced);
  EXPECT_TRUE(pods->AllowsVerb("watch"));
  EXPECT_FALSE(pods->AllowsVerb("proxy"));
  EXPECT_EQ(pods->ApiVersion(), "v1");

  const ResourceInfo* scale = FindResource("replicationcontrollers", "scale");
  ASSERT_NE(scale, nullptr);
  EXPECT_EQ(scale->name, "replicationcontrollers/scale");
  EXPECT_EQ(scale->kind, "Scale");
  EXPECT_EQ(scale->ApiVersion(), "autoscaling/v1");
  EXPECT_EQ(scale->object_kind, api::Kind::kReplicationController);
  EXPECT_TRUE(scale->AllowsVerb("patch"));
  EXPECT_FALSE(scale->AllowsVerb("delete"));

  const ResourceInfo* binding = FindResource("pods", "binding");
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ(binding->kind, "Binding");
  EXPECT_THAT(binding->verbs, ElementsAre("create"));

  EXPECT_EQ(FindResource("deployments"), nullptr);
  EXPECT_EQ(FindResource("pods", "exec"), nullptr);
  EXPECT_FALSE(FindResource("nodes")->namespaced);
  EXPECT_FALSE(FindResource("nodes", "status")->namespaced);
  EXPECT_FALSE(FindResource("namespaces")->AllowsVerb("deletecollection"));

  // Every stored kind has exactly one top-level resource, named as object.h names it.
  for (api::Kind kind : api::AllKinds()) {
    const ResourceInfo& info = ResourceFor(kind);
    EXPECT_EQ(info.resource, api::InfoOf(kind).resource);
    EXPECT_EQ(info.kind, api::InfoOf(kind).name);
    EXPECT_EQ(info.namespaced, api::InfoOf(kind).namespaced);
    EXPECT_TRUE(info.subresource.empty());
  }
}

TEST(DiscoveryTest, ApiResourceList) {
  json::value doc = Wire(ApiResourceListDocument());
  EXPECT_EQ(doc.at("kind"), "APIResourceList");
  EXPECT_EQ(doc.at("groupVersion"), "v1");
  const json::array& resources = doc.at("resources").as_array();
  std::vector<std::string> names;
  for (const json::value& r : resources) {
    names.emplace_back(r.at("name").as_string());
  }
  EXPECT_THAT(names, ElementsAre("endpoints", "events", "namespaces", "namespaces/status", "nodes",
                                 "nodes/status", "pods", "pods/binding", "pods/log", "pods/status",
                                 "replicationcontrollers", "replicationcontrollers/scale",
                                 "replicationcontrollers/status", "services", "services/status"));

  EXPECT_EQ(*FindByName(resources, "pods"),
            json::parse(R"({"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod",
              "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
              "shortNames":["po"],"categories":["all"]})")
                .as_object());
  EXPECT_EQ(*FindByName(resources, "replicationcontrollers/scale"),
            json::parse(R"({"name":"replicationcontrollers/scale","singularName":"",
              "namespaced":true,"group":"autoscaling","version":"v1","kind":"Scale",
              "verbs":["get","patch","update"]})")
                .as_object());
  EXPECT_EQ(*FindByName(resources, "pods/log"),
            json::parse(R"({"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod",
              "verbs":["get"]})")
                .as_object());
  EXPECT_EQ(FindByName(resources, "nodes")->at("namespaced"), false);
  EXPECT_EQ(FindByName(resources, "services")->at("shortNames"), json::parse(R"(["svc"])"));
  EXPECT_EQ(FindByName(resources, "replicationcontrollers")->at("shortNames"),
            json::parse(R"(["rc"])"));
  EXPECT_EQ(FindByName(resources, "endpoints")->at("shortNames"), json::parse(R"(["ep"])"));
  EXPECT_EQ(FindByName(resources, "events")->at("shortNames"), json::parse(R"(["ev"])"));
  EXPECT_EQ(FindByName(resources, "namespaces")->at("shortNames"), json::parse(R"(["ns"])"));
  EXPECT_EQ(FindByName(resources, "nodes")->at("shortNames"), json::parse(R"(["no"])"));
}

TEST(DiscoveryTest, ApiVersionsAndGroups) {
  EXPECT_EQ(Wire(ApiVersionsDocument("127.0.0.1:6443")),
            json::parse(R"({"kind":"APIVersions","versions":["v1"],
              "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0",
                                             "serverAddress":"127.0.0.1:6443"}]})"));
  EXPECT_EQ(Wire(ApiGroupListDocument()),
            json::parse(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[]})"));
}

TEST(DiscoveryTest, Version) {
  json::value doc = Wire(VersionDocument(
      {.navarch_version = "0.1.0", .git_commit = "abc123", .build_date = "2026-01-02T03:04:05Z"}));
  EXPECT_EQ(doc.at("major"), "1");
  EXPECT_EQ(doc.at("minor"), "32");
  EXPECT_EQ(doc.at("gitVersion"), "v1.32.0+navarch.0.1.0");
  EXPECT_EQ(doc.at("gitCommit"), "abc123");
  EXPECT_EQ(doc.at("gitTreeState"), "clean");
  EXPECT_EQ(doc.at("buildDate"), "2026-01-02T03:04:05Z");
  EXPECT_EQ(doc.at("compiler"), "navarch");
  EXPECT_EQ(doc.at("platform"), "linux/amd64");
}

TEST(DiscoveryTest, OpenApiIndexPointsAtTheDocumentByHash) {
  OpenApiV3 a = BuildOpenApiV3();
  OpenApiV3 b = BuildOpenApiV3();
  EXPECT_EQ(json::serialize(a.document), json::serialize(b.document));
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.hash.size(), 128u);  // SHA-512, hex
  EXPECT_EQ(a.hash.find_first_not_of("0123456789ABCDEF"), std::string::npos);
  EXPECT_EQ(Wire(a.index),
            json::parse(R"({"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=)" +
                        a.hash + R"("}}})"));
}

// What kubectl's field-validation verifier looks for: a PATCH whose GVK is
// the object's and which takes fieldValidation; and what its apply patcher
// needs: a strategic-merge-patch request body.
TEST(DiscoveryTest, OpenApiHasAPatchPerKindWithFieldValidation) {
  json::value doc = Wire(BuildOpenApiV3().document);
  EXPECT_EQ(doc.at("openapi"), "3.0.0");
  EXPECT_EQ(doc.at_pointer("/info/version"), "v1.32.0");
  EXPECT_EQ(doc.at_pointer("/components/schemas"), json::object());
  const json::object& paths = doc.at("paths").as_object();

  struct Want {
    std::string path;
    std::string group;
    std::string kind;
  };
  const Want wants[] = {
      {"/api/v1/namespaces/{namespace}/pods/{name}", "", "Pod"},
      {"/api/v1/namespaces/{namespace}/replicationcontrollers/{name}", "", "ReplicationController"},
      {"/api/v1/namespaces/{namespace}/services/{name}", "", "Service"},
      {"/api/v1/namespaces/{namespace}/endpoints/{name}", "", "Endpoints"},
      {"/api/v1/namespaces/{namespace}/events/{name}", "", "Event"},
      {"/api/v1/nodes/{name}", "", "Node"},
      {"/api/v1/namespaces/{name}", "", "Namespace"},
      {"/api/v1/namespaces/{namespace}/pods/{name}/status", "", "Pod"},
      {"/api/v1/namespaces/{namespace}/replicationcontrollers/{name}/scale", "autoscaling",
       "Scale"},
  };
  for (const Want& want : wants) {
    SCOPED_TRACE(want.path);
    const json::value* item = paths.if_contains(want.path);
    ASSERT_NE(item, nullptr);
    const json::value& patch = item->at("patch");
    EXPECT_EQ(
        patch.at("x-kubernetes-group-version-kind"),
        json::value(json::object{{"group", want.group}, {"version", "v1"}, {"kind", want.kind}}));
    EXPECT_EQ(patch.at("x-kubernetes-action"), "patch");
    bool field_validation = false;
    for (const json::value& p : patch.at("parameters").as_array()) {
      field_validation =
          field_validation || (p.at("name") == "fieldValidation" && p.at("in") == "query");
    }
    EXPECT_TRUE(field_validation);
    const json::object& content = patch.at_pointer("/requestBody/content").as_object();
    EXPECT_TRUE(content.contains("application/strategic-merge-patch+json"));
    EXPECT_TRUE(content.contains("application/merge-patch+json"));
    EXPECT_TRUE(content.contains("application/json-patch+json"));
    EXPECT_TRUE(patch.at("responses").as_object().contains("200"));
  }
}

TEST(DiscoveryTest, OpenApiCoversEveryVerbOnce) {
  json::value doc = BuildOpenApiV3().document;
  const json::object& paths = doc.at("paths").as_object();
  const json::object& pods = paths.at("/api/v1/namespaces/{namespace}/pods").as_object();
  EXPECT_EQ(pods.at("get").at("operationId"), "listCoreV1NamespacedPod");
  EXPECT_EQ(pods.at("post").at("operationId"), "createCoreV1NamespacedPod");
  EXPECT_EQ(pods.at("delete").at("operationId"), "deleteCoreV1CollectionNamespacedPod");
  const json::object& pod = paths.at("/api/v1/namespaces/{namespace}/pods/{name}").as_object();
  EXPECT_EQ(pod.at("get").at("operationId"), "readCoreV1NamespacedPod");
  EXPECT_EQ(pod.at("put").at("operationId"), "replaceCoreV1NamespacedPod");
  EXPECT_EQ(pod.at("patch").at("operationId"), "patchCoreV1NamespacedPod");
  EXPECT_EQ(pod.at("delete").at("operationId"), "deleteCoreV1NamespacedPod");
  EXPECT_EQ(paths.at("/api/v1/pods").at("get").at("operationId"), "listCoreV1PodForAllNamespaces");
  EXPECT_EQ(paths.at("/api/v1/namespaces/{namespace}/pods/{name}/log").at("get").at("operationId"),
            "readCoreV1NamespacedPodLog");
  EXPECT_EQ(paths.at("/api/v1/namespaces/{namespace}/pods/{name}/binding")
                .at("post")
                .at("x-kubernetes-group-version-kind"),
            json::parse(R"({"group":"","version":"v1","kind":"Binding"})"));
  EXPECT_EQ(paths.at("/api/v1/nodes/{name}/status").at("patch").at("operationId"),
            "patchCoreV1NodeStatus");
  // Cluster-scoped resources have no namespace parameter and no all-namespaces list.
  for (const json::value& p : paths.at("/api/v1/nodes/{name}").at("parameters").as_array()) {
    EXPECT_NE(p.at("name"), "namespace");
  }
  EXPECT_FALSE(paths.contains("/api/v1/namespaces/{namespace}/nodes"));
  // Only what the server implements: no dryRun parameter anywhere.
  EXPECT_EQ(json::serialize(doc).find("dryRun"), std::string::npos);
  // Every operation has a unique id.
  std::set<std::string> ids;
  size_t operations = 0;
  for (const auto& path : paths) {
    for (const auto& member : path.value().as_object()) {
      if (member.key() == "parameters") {
        continue;
      }
      ++operations;
      ids.insert(std::string(member.value().at("operationId").as_string()));
    }
  }
  EXPECT_EQ(ids.size(), operations);
}

}  // namespace
}  // namespace navarch::apiserver
