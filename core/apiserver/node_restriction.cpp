#include "core/apiserver/node_restriction.h"

#include <algorithm>

#include "core/apiserver/kubelet_endpoint.h"

namespace navarch::apiserver {

namespace {

bool InGroup(const UserInfo& user, std::string_view group) {
  return std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end();
}

// The node a kubelet identity speaks for, or "" when `user` is not one.
std::string_view NodeOfIdentity(const UserInfo& user) {
  std::string_view name = user.name;
  if (!name.starts_with(kNodeUserPrefix) || !InGroup(user, kNodesGroup)) return {};
  return name.substr(kNodeUserPrefix.size());
}

const std::string* TokenOf(const api::Node& node) {
  auto it = node.metadata.annotations.find(std::string(kKubeletLogTokenAnnotation));
  return it == node.metadata.annotations.end() ? nullptr : &it->second;
}

}  // namespace

NodeAccess NodeAccessOf(const UserInfo& user, std::string_view node) {
  if (user.name.empty() || InGroup(user, kMastersGroup)) return NodeAccess::kAll;
  const std::string_view own = NodeOfIdentity(user);
  if (own.empty()) return NodeAccess::kAllButEndpoint;
  return own == node ? NodeAccess::kAll : NodeAccess::kNone;
}

std::string ChangedEndpointField(NodeWrite write, const api::Node* current, const api::Node& next) {
  const std::string token_field =
      "metadata.annotations[" + std::string(kKubeletLogTokenAnnotation) + "]";
  if (current == nullptr) {
    if (!next.status.addresses.empty()) return "status.addresses";
    if (next.status.daemon_endpoints.kubelet_endpoint.port != 0) {
      return "status.daemonEndpoints.kubeletEndpoint.Port";
    }
    return TokenOf(next) ? token_field : "";
  }
  if (write == NodeWrite::kUpdateStatus) {
    if (next.status.addresses != current->status.addresses) return "status.addresses";
    if (!(next.status.daemon_endpoints == current->status.daemon_endpoints)) {
      return "status.daemonEndpoints.kubeletEndpoint.Port";
    }
    return "";
  }
  if (write == NodeWrite::kUpdate) {
    const std::string* a = TokenOf(*current);
    const std::string* b = TokenOf(next);
    if ((a == nullptr) != (b == nullptr) || (a && *a != *b)) return token_field;
  }
  return "";
}

std::optional<std::string> NodeWriteForbidden(const UserInfo& user, NodeWrite write,
                                              std::string_view node, const api::Node* current,
                                              const api::Node* next) {
  const NodeAccess access = NodeAccessOf(user, node);
  if (access == NodeAccess::kAll) return std::nullopt;
  if (access == NodeAccess::kNone) {
    return "node identity \"" + user.name + "\" may only write its own Node \"" +
           std::string(NodeOfIdentity(user)) + "\", not \"" + std::string(node) + "\"";
  }
  if (write == NodeWrite::kDelete || next == nullptr) return std::nullopt;
  const std::string field = ChangedEndpointField(write, current, *next);
  if (field.empty()) return std::nullopt;
  return "user \"" + user.name + "\" may not " + (current ? "change " : "set ") + field +
         ": the fields the API server uses to reach a node's kubelet (status.addresses, "
         "status.daemonEndpoints.kubeletEndpoint.Port, metadata.annotations[" +
         std::string(kKubeletLogTokenAnnotation) +
         "]) are written only by the node's own identity (user " + std::string(kNodeUserPrefix) +
         std::string(node) + " in group " + std::string(kNodesGroup) +
         ") or an administrator (group " + std::string(kMastersGroup) + ")";
}

}  // namespace navarch::apiserver
