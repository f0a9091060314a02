#pragma once
// What the API server serves, in one table, and the documents that describe
// it to clients: legacy discovery (/api, /apis, /api/v1), /version and the
// OpenAPI v3 index and core/v1 document kubectl reads before `apply` and
// `create` with validation on.
//
// Everything here is a pure function of its arguments (and of the resource
// table, which is constant): the HTTP layer serialises the returned values
// with boost::json::serialize and sends them as application/json.
//
// The OpenAPI document carries the operations kubectl looks for, not the
// object schemas: every PATCH has x-kubernetes-group-version-kind, a
// fieldValidation query parameter and request bodies for the three patch
// content types, so kubectl trusts the server to validate fields
// (fieldValidation=Strict) and computes apply patches from its built-in v1
// types. `components.schemas` is empty, so `kubectl explain` has nothing to
// show (it says the resource is not found).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/api/object.h"

namespace navarch::apiserver {

// One resource or subresource of the core/v1 group version.
struct ResourceInfo {
  std::string_view name;           // discovery name: "pods", "pods/status"
  std::string_view resource;       // "pods"
  std::string_view subresource;    // "", "status", "binding", "log", "scale"
  std::string_view singular_name;  // "pod"; empty for subresources (as kube-apiserver)
  // Kind of the request/response body: "Pod"; "Binding" for pods/binding,
  // "Scale" for replicationcontrollers/scale.
  std::string_view kind;
  std::string_view group;    // "" for core; "autoscaling" for the scale subresource
  std::string_view version;  // "v1"
  api::Kind object_kind;     // the stored kind behind the (sub)resource
  bool namespaced = true;
  std::vector<std::string_view> verbs;  // sorted: "create", "delete", "get", ...
  std::vector<std::string_view> short_names;
  std::vector<std::string_view> categories;

  bool AllowsVerb(std::string_view verb) const;
  // "v1", or "autoscaling/v1" for the scale subresource.
  std::string ApiVersion() const;
};

// Every resource and subresource navarch serves, resources before their
// subresources, in a stable order (the order of /api/v1).
const std::vector<ResourceInfo>& Resources();
// The (sub)resource with that URL name, or nullptr.
const ResourceInfo* FindResource(std::string_view resource, std::string_view subresource = {});
// The top-level resource storing `kind`.
const ResourceInfo& ResourceFor(api::Kind kind);

// The Kubernetes version navarch's API is compatible with, reported by
// /version (major, minor) and as the OpenAPI info.version.
inline constexpr std::string_view kCompatibleMajor = "1";
inline constexpr std::string_view kCompatibleMinor = "32";
inline constexpr std::string_view kCompatibleGitVersion = "v1.32.0";

struct ServerVersion {
  std::string navarch_version;  // "0.1.0"; required
  std::string git_commit;       // may be empty
  std::string build_date;       // RFC 3339, may be empty
  std::string platform = "linux/amd64";
};

// GET /version: {"major":"1","minor":"32","gitVersion":"v1.32.0+navarch.0.1.0",...}.
// kubectl compares major/minor for version skew and prints gitVersion;
// navarch's own version is the semver build metadata of gitVersion (the
// convention of distributions such as k3s) and `compiler` is "navarch".
boost::json::value VersionDocument(const ServerVersion& version);

// GET /api: APIVersions listing "v1". `server_address` ("127.0.0.1:6443") is
// reported for every client CIDR.
boost::json::value ApiVersionsDocument(std::string_view server_address);
// GET /apis: an empty APIGroupList (navarch serves no named groups; the
// autoscaling/v1 Scale exists only as a subresource of the core group).
boost::json::value ApiGroupListDocument();
// GET /api/v1: the APIResourceList of Resources().
boost::json::value ApiResourceListDocument();

struct OpenApiV3 {
  boost::json::value document;  // GET /openapi/v3/api/v1
  std::string hash;             // upper-case hex SHA-512 of the serialised document
  boost::json::value index;     // GET /openapi/v3: points at api/v1?hash=<hash>
};
// Builds the OpenAPI v3 documents (deterministic: same build, same bytes and
// hash; any change to the document changes the hash, which is what tells
// kubectl's cache to refetch).
OpenApiV3 BuildOpenApiV3();

}  // namespace navarch::apiserver
