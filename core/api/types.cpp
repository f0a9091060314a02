#include "core/api/types.h"

#include <cstdlib>

namespace navarch::api {

std::unique_ptr<Object> NewMutableObject(Kind kind) {
  switch (kind) {
    case Kind::kPod:
      return std::make_unique<Pod>();
    case Kind::kNode:
      return std::make_unique<Node>();
    case Kind::kReplicationController:
      return std::make_unique<ReplicationController>();
    case Kind::kService:
      return std::make_unique<Service>();
    case Kind::kEndpoints:
      return std::make_unique<Endpoints>();
    case Kind::kEvent:
      return std::make_unique<Event>();
    case Kind::kNamespace:
      return std::make_unique<Namespace>();
  }
  std::abort();  // not a Kind: a bug in the caller
}

ObjectPtr NewObject(Kind kind) {
  return ObjectPtr(NewMutableObject(kind));
}

}  // namespace navarch::api
