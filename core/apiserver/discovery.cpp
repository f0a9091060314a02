// The resource table and the discovery, /version and OpenAPI documents.

#include "core/apiserver/discovery.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cassert>
#include <cstdio>

#include <boost/json.hpp>

namespace navarch::apiserver {

namespace json = boost::json;

namespace {

const std::vector<std::string_view> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                                 "list",   "patch",  "update",           "watch"};
const std::vector<std::string_view> kSubresourceVerbs = {"get", "patch", "update"};

std::vector<ResourceInfo> BuildResources() {
  using api::Kind;
  std::vector<ResourceInfo> r;
  auto top = [&](std::string_view name, std::string_view singular, std::string_view kind,
                 Kind object_kind, bool namespaced, std::vector<std::string_view> verbs,
                 std::vector<std::string_view> short_names,
                 std::vector<std::string_view> categories) {
    r.push_back(ResourceInfo{.name = name,
                             .resource = name,
                             .subresource = {},
                             .singular_name = singular,
                             .kind = kind,
                             .group = {},
                             .version = "v1",
                             .object_kind = object_kind,
                             .namespaced = namespaced,
                             .verbs = std::move(verbs),
                             .short_names = std::move(short_names),
                             .categories = std::move(categories)});
  };
  auto sub = [&](std::string_view name, std::string_view subresource, std::string_view kind,
                 std::string_view group, Kind object_kind, std::vector<std::string_view> verbs) {
    const ResourceInfo& parent = r.back();
    r.push_back(ResourceInfo{.name = name,
                             .resource = parent.resource,
                             .subresource = subresource,
                             .singular_name = {},
                             .kind = kind,
                             .group = group,
                             .version = "v1",
                             .object_kind = object_kind,
                             .namespaced = parent.namespaced,
                             .verbs = std::move(verbs),
                             .short_names = {},
                             .categories = {}});
  };
  top("endpoints", "endpoints", "Endpoints", Kind::kEndpoints, true, kAllVerbs, {"ep"}, {});
  top("events", "event", "Event", Kind::kEvent, true, kAllVerbs, {"ev"}, {});
  top("namespaces", "namespace", "Namespace", Kind::kNamespace, false,
      {"create", "delete", "get", "list", "patch", "update", "watch"}, {"ns"}, {});
  sub("namespaces/status", "status", "Namespace", "", Kind::kNamespace, kSubresourceVerbs);
  top("nodes", "node", "Node", Kind::kNode, false, kAllVerbs, {"no"}, {});
  sub("nodes/status", "status", "Node", "", Kind::kNode, kSubresourceVerbs);
  top("pods", "pod", "Pod", Kind::kPod, true, kAllVerbs, {"po"}, {"all"});
  sub("pods/binding", "binding", "Binding", "", Kind::kPod, {"create"});
  sub("pods/log", "log", "Pod", "", Kind::kPod, {"get"});
  sub("pods/status", "status", "Pod", "", Kind::kPod, kSubresourceVerbs);
  top("replicationcontrollers", "replicationcontroller", "ReplicationController",
      Kind::kReplicationController, true, kAllVerbs, {"rc"}, {"all"});
  sub("replicationcontrollers/scale", "scale", "Scale", "autoscaling", Kind::kReplicationController,
      kSubresourceVerbs);
  sub("replicationcontrollers/status", "status", "ReplicationController", "",
      Kind::kReplicationController, kSubresourceVerbs);
  top("services", "service", "Service", Kind::kService, true, kAllVerbs, {"svc"}, {"all"});
  sub("services/status", "status", "Service", "", Kind::kService, kSubresourceVerbs);
  return r;
}

json::array Strings(const std::vector<std::string_view>& values) {
  json::array out;
  for (std::string_view v : values) {
    out.emplace_back(v);
  }
  return out;
}

}  // namespace

bool ResourceInfo::AllowsVerb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::string ResourceInfo::ApiVersion() const {
  if (group.empty()) {
    return std::string(version);
  }
  return std::string(group) + "/" + std::string(version);
}

const std::vector<ResourceInfo>& Resources() {
  static const std::vector<ResourceInfo> kResources = BuildResources();
  return kResources;
}

const ResourceInfo* FindResource(std::string_view resource, std::string_view subresource) {
  for (const ResourceInfo& info : Resources()) {
    if (info.resource == resource && info.subresource == subresource) {
      return &info;
    }
  }
  return nullptr;
}

const ResourceInfo& ResourceFor(api::Kind kind) {
  for (const ResourceInfo& info : Resources()) {
    if (info.subresource.empty() && info.object_kind == kind) {
      return info;
    }
  }
  assert(false && "every kind has a resource");
  return Resources().front();
}

// ---------------------------------------------------------------------------
// Discovery and /version

json::value VersionDocument(const ServerVersion& version) {
  json::object doc;
  doc["major"] = kCompatibleMajor;
  doc["minor"] = kCompatibleMinor;
  doc["gitVersion"] = std::string(kCompatibleGitVersion) + "+navarch." + version.navarch_version;
  doc["gitCommit"] = version.git_commit;
  doc["gitTreeState"] = version.git_commit.empty() ? "" : "clean";
  doc["buildDate"] = version.build_date;
  doc["goVersion"] = "";
  doc["compiler"] = "navarch";
  doc["platform"] = version.platform;
  return doc;
}

json::value ApiVersionsDocument(std::string_view server_address) {
  return json::object{
      {"kind", "APIVersions"},
      {"versions", json::array{"v1"}},
      {"serverAddressByClientCIDRs",
       json::array{json::object{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json::value ApiGroupListDocument() {
  return json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", json::array()}};
}

json::value ApiResourceListDocument() {
  json::array resources;
  for (const ResourceInfo& info : Resources()) {
    json::object r;
    r["name"] = info.name;
    r["singularName"] = info.singular_name;
    r["namespaced"] = info.namespaced;
    if (!info.group.empty()) {
      r["group"] = info.group;
      r["version"] = info.version;
    }
    r["kind"] = info.kind;
    r["verbs"] = Strings(info.verbs);
    if (!info.short_names.empty()) {
      r["shortNames"] = Strings(info.short_names);
    }
    if (!info.categories.empty()) {
      r["categories"] = Strings(info.categories);
    }
    resources.push_back(std::move(r));
  }
  return json::object{{"kind", "APIResourceList"},
                      {"apiVersion", "v1"},
                      {"groupVersion", "v1"},
                      {"resources", std::move(resources)}};
}

// ---------------------------------------------------------------------------
// OpenAPI v3

namespace {

json::object Gvk(const ResourceInfo& info) {
  return json::object{{"group", info.group}, {"version", info.version}, {"kind", info.kind}};
}

json::object QueryParam(std::string_view name, std::string_view type,
                        std::string_view description) {
  return json::object{{"name", name},
                      {"in", "query"},
                      {"description", description},
                      {"schema", json::object{{"type", type}, {"uniqueItems", true}}}};
}

json::object PathParam(std::string_view name, std::string_view description) {
  return json::object{{"name", name},
                      {"in", "path"},
                      {"description", description},
                      {"required", true},
                      {"schema", json::object{{"type", "string"}, {"uniqueItems", true}}}};
}

json::object AnyObject() {
  return json::object{{"type", "object"}};
}

json::object Content(std::initializer_list<std::string_view> types) {
  json::object content;
  for (std::string_view t : types) {
    content[t] = json::object{{"schema", AnyObject()}};
  }
  return content;
}

json::object Responses(std::initializer_list<int> codes, bool text = false) {
  json::object out;
  for (int code : codes) {
    json::object r{{"description", code == 201 ? "Created" : code == 202 ? "Accepted" : "OK"}};
    r["content"] =
        text ? Content({"text/plain"}) : Content({"application/json", "application/yaml"});
    out[std::to_string(code)] = std::move(r);
  }
  out["401"] = json::object{{"description", "Unauthorized"}};
  return out;
}

json::array ParamsFieldManagerAndValidation() {
  return json::array{
      QueryParam("fieldManager", "string",
                 "a name associated with the actor or entity that is making these changes"),
      QueryParam("fieldValidation", "string",
                 "how the server treats unknown or duplicate fields in the request body: "
                 "Ignore, Warn or Strict (the default)")};
}

json::array ListParams() {
  return json::array{
      QueryParam("allowWatchBookmarks", "boolean", "ask for BOOKMARK events"),
      QueryParam("continue", "string", "the continue token of the previous page"),
      QueryParam("fieldSelector", "string", "restrict the list by fields"),
      QueryParam("labelSelector", "string", "restrict the list by labels"),
      QueryParam("limit", "integer", "the largest number of items to return"),
      QueryParam("resourceVersion", "string", "the resource version to list or watch from"),
      QueryParam("timeoutSeconds", "integer", "how long a watch may last"),
      QueryParam("watch", "boolean", "watch for changes instead of listing")};
}

// The operationId kube-apiserver would give: patchCoreV1NamespacedPodStatus.
std::string OperationId(std::string_view action, const ResourceInfo& parent,
                        std::string_view subresource, bool all_namespaces) {
  std::string prefix;
  bool collection = false;
  if (action == "get") {
    prefix = "read";
  } else if (action == "update") {
    prefix = "replace";
  } else if (action == "deletecollection") {
    prefix = "delete";
    collection = true;
  } else {
    prefix = std::string(action);
  }
  std::string id = prefix + "CoreV1" + (collection ? "Collection" : "");
  if (parent.namespaced && !all_namespaces) {
    id += "Namespaced";
  }
  id += std::string(parent.kind);
  if (!subresource.empty()) {
    id += static_cast<char>(subresource[0] - 'a' + 'A');
    id += std::string(subresource.substr(1));
  }
  if (all_namespaces) {
    id += "ForAllNamespaces";
  }
  return id;
}

json::object Operation(std::string_view action, const ResourceInfo& parent,
                       const ResourceInfo& target, bool all_namespaces = false) {
  json::object op;
  op["tags"] = json::array{"core_v1"};
  op["description"] = std::string(action) + " " + std::string(target.name);
  op["operationId"] = OperationId(action, parent, target.subresource, all_namespaces);
  json::array params;
  if (action == "list" || action == "deletecollection") {
    params = ListParams();
  }
  if (action == "create" || action == "update" || action == "patch") {
    params = ParamsFieldManagerAndValidation();
  }
  if (action == "get" && target.subresource == "log") {
    params = json::array{
        QueryParam("container", "string", "the container to read the log of"),
        QueryParam("follow", "boolean", "stream the log until the container ends"),
        QueryParam("limitBytes", "integer", "stop after this many bytes"),
        QueryParam("previous", "boolean", "the log of the previous instance"),
        QueryParam("sinceSeconds", "integer", "only lines newer than this"),
        QueryParam("tailLines", "integer", "only the last lines"),
        QueryParam("timestamps", "boolean", "prefix every line with its RFC 3339 time")};
  }
  if (!params.empty()) {
    op["parameters"] = std::move(params);
  }
  if (action == "patch") {
    op["requestBody"] = json::object{
        {"content", Content({"application/json-patch+json", "application/merge-patch+json",
                             "application/strategic-merge-patch+json"})},
        {"required", true}};
    op["responses"] = Responses({200, 201});
  } else if (action == "create") {
    op["requestBody"] = json::object{{"content", Content({"application/json", "application/yaml"})},
                                     {"required", true}};
    op["responses"] = Responses({200, 201, 202});
  } else if (action == "update") {
    op["requestBody"] = json::object{{"content", Content({"application/json", "application/yaml"})},
                                     {"required", true}};
    op["responses"] = Responses({200, 201});
  } else if (action == "delete") {
    op["requestBody"] = json::object{{"content", Content({"application/json"})}};
    op["responses"] = Responses({200, 202});
  } else {
    op["responses"] = Responses({200}, target.subresource == "log");
  }
  std::string_view kube_action = action;
  if (action == "create") {
    kube_action = "post";
  } else if (action == "update") {
    kube_action = "put";
  }
  op["x-kubernetes-action"] = kube_action;
  op["x-kubernetes-group-version-kind"] = Gvk(target);
  return op;
}

std::string_view MethodOf(std::string_view action) {
  if (action == "get" || action == "list") {
    return "get";
  }
  if (action == "create") {
    return "post";
  }
  if (action == "update") {
    return "put";
  }
  if (action == "deletecollection") {
    return "delete";
  }
  return action;  // patch, delete
}

json::object PathItem(const ResourceInfo& parent, bool item) {
  json::array params;
  if (item) {
    params.push_back(PathParam("name", "name of the " + std::string(parent.kind)));
  }
  if (parent.namespaced) {
    params.push_back(PathParam("namespace", "object name and auth scope"));
  }
  params.push_back(QueryParam("pretty", "string", "pretty-print the output"));
  return json::object{{"parameters", std::move(params)}};
}

std::string HashOf(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  int ok = EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha512(), nullptr);
  assert(ok == 1);
  (void)ok;
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    char byte[3];
    std::snprintf(byte, sizeof byte, "%02X", digest[i]);
    hex += byte;
  }
  return hex;
}

}  // namespace

OpenApiV3 BuildOpenApiV3() {
  json::object paths;
  const ResourceInfo* parent = nullptr;
  for (const ResourceInfo& info : Resources()) {
    if (info.subresource.empty()) {
      parent = &info;
    }
    assert(parent != nullptr);
    std::string collection = "/api/v1/";
    if (info.namespaced) {
      collection += "namespaces/{namespace}/";
    }
    collection += std::string(parent->resource);
    std::string item_path = collection + "/{name}";
    if (info.subresource.empty()) {
      json::object coll = PathItem(info, false);
      json::object item = PathItem(info, true);
      for (std::string_view verb : info.verbs) {
        bool on_collection = verb == "list" || verb == "create" || verb == "deletecollection";
        if (verb == "watch") {
          continue;  // watch is list with ?watch=true
        }
        (on_collection ? coll : item)[MethodOf(verb)] = Operation(verb, info, info);
      }
      paths[collection] = std::move(coll);
      paths[item_path] = std::move(item);
      if (info.namespaced) {
        json::object all{
            {"parameters", json::array{QueryParam("pretty", "string", "pretty-print the output")}}};
        all["get"] = Operation("list", info, info, true);
        paths["/api/v1/" + std::string(info.resource)] = std::move(all);
      }
    } else {
      json::object sub = PathItem(*parent, true);
      for (std::string_view verb : info.verbs) {
        sub[MethodOf(verb)] = Operation(verb, *parent, info);
      }
      paths[item_path + "/" + std::string(info.subresource)] = std::move(sub);
    }
  }

  OpenApiV3 out;
  out.document = json::object{
      {"openapi", "3.0.0"},
      {"info", json::object{{"title", "Kubernetes"}, {"version", kCompatibleGitVersion}}},
      {"paths", std::move(paths)},
      {"components", json::object{{"schemas", json::object()}}}};
  out.hash = HashOf(json::serialize(out.document));
  out.index = json::object{
      {"paths", json::object{{"api/v1", json::object{{"serverRelativeURL",
                                                      "/openapi/v3/api/v1?hash=" + out.hash}}}}}};
  return out;
}

}  // namespace navarch::apiserver
