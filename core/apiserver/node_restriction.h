#pragma once
// NodeRestriction: who may write a Node, in the shape of kube-apiserver's
// NodeRestriction admission plugin, narrowed to what navarch relies on.
//
// A Node carries the fields the API server uses to reach its kubelet
// (kubelet_endpoint.h) — the kubelet endpoint fields:
//   status.addresses
//   status.daemonEndpoints.kubeletEndpoint.Port
//   metadata.annotations[navarch.io/kubelet-log-token]
// Whoever may set them chooses where the API server connects and which
// token it presents, so only the kubelet itself and administrators may:
//
//   user                                    may write
//   ---------------------------------------------------------------------
//   authentication off (user "")            everything (there is no one to
//                                           tell apart: --anonymous and
//                                           --insecure-http are for tests)
//   group system:masters (the admin token)  everything
//   user system:node:<name> in group        its own Node <name> only, all of
//     system:nodes (a kubelet's identity)   it; every other Node is refused
//   anyone else                             any Node, except that a create
//                                           may not set, and an update may
//                                           not change, an endpoint field
//                                           (labels, taints, unschedulable
//                                           stay theirs to change); delete
//
// The rule is applied by the API server's REST layer on every write of a
// Node (create, update, status update, patch, delete, deletecollection)
// through RestServer::Impl::AdmitNodeWrite: identity exists only there — the
// Api seam (LocalApi) carries none, since in-process components and the
// simulator are trusted and have no users.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/types.h"

namespace navarch::apiserver {

inline constexpr std::string_view kMastersGroup = "system:masters";
inline constexpr std::string_view kNodesGroup = "system:nodes";
inline constexpr std::string_view kNodeUserPrefix = "system:node:";

struct UserInfo {
  std::string name;  // "" = authentication is off
  std::vector<std::string> groups;
};

// How much of Node `node` `user` may write.
enum class NodeAccess {
  kAll,             // every field
  kAllButEndpoint,  // every field except the kubelet endpoint fields
  kNone,            // nothing (a node identity writing another Node)
};
NodeAccess NodeAccessOf(const UserInfo& user, std::string_view node);

enum class NodeWrite { kCreate, kUpdate, kUpdateStatus, kDelete };

// The first kubelet endpoint field that `write` would set (create: `current`
// null) or change from `current` to `next`, or "" when none. A kUpdate
// replaces metadata and spec and keeps the stored status; a kUpdateStatus
// replaces only the status — only what the write can change is compared.
std::string ChangedEndpointField(NodeWrite write, const api::Node* current, const api::Node& next);

// Why `user` may not make `write` to Node `node` (nullopt: it may), in
// words for a 403 that names the user, the field and who may write it.
// `current` is the stored Node (null for a create), `next` the Node as the
// request has it (null for a delete).
std::optional<std::string> NodeWriteForbidden(const UserInfo& user, NodeWrite write,
                                              std::string_view node, const api::Node* current,
                                              const api::Node* next);

}  // namespace navarch::apiserver
