#include "core/client/kind_traits.h"

#include <cassert>

#include "core/api/types.h"

namespace navarch::client {
namespace {

template <class T>
bool SpecEqualAs(const api::Object& a, const api::Object& b) {
  return static_cast<const T&>(a).spec == static_cast<const T&>(b).spec;
}

template <class T>
bool StatusEqualAs(const api::Object& a, const api::Object& b) {
  return static_cast<const T&>(a).status == static_cast<const T&>(b).status;
}

template <class T>
void CopyStatusAs(const api::Object& from, api::Object& to) {
  static_cast<T&>(to).status = static_cast<const T&>(from).status;
}

}  // namespace

bool HasStatus(api::Kind kind) {
  switch (kind) {
    case api::Kind::kPod:
    case api::Kind::kNode:
    case api::Kind::kReplicationController:
    case api::Kind::kService:
    case api::Kind::kNamespace:
      return true;
    case api::Kind::kEndpoints:
    case api::Kind::kEvent:
      return false;
  }
  return false;
}

bool SpecEqual(const api::Object& a, const api::Object& b) {
  assert(a.kind() == b.kind());
  switch (a.kind()) {
    case api::Kind::kPod:
      return SpecEqualAs<api::Pod>(a, b);
    case api::Kind::kNode:
      return SpecEqualAs<api::Node>(a, b);
    case api::Kind::kReplicationController:
      return SpecEqualAs<api::ReplicationController>(a, b);
    case api::Kind::kService:
      return SpecEqualAs<api::Service>(a, b);
    case api::Kind::kNamespace:
      return SpecEqualAs<api::Namespace>(a, b);
    case api::Kind::kEndpoints:
    case api::Kind::kEvent:
      return true;
  }
  return true;
}

bool StatusEqual(const api::Object& a, const api::Object& b) {
  assert(a.kind() == b.kind());
  switch (a.kind()) {
    case api::Kind::kPod:
      return StatusEqualAs<api::Pod>(a, b);
    case api::Kind::kNode:
      return StatusEqualAs<api::Node>(a, b);
    case api::Kind::kReplicationController:
      return StatusEqualAs<api::ReplicationController>(a, b);
    case api::Kind::kService:
      return StatusEqualAs<api::Service>(a, b);
    case api::Kind::kNamespace:
      return StatusEqualAs<api::Namespace>(a, b);
    case api::Kind::kEndpoints:
    case api::Kind::kEvent:
      return true;
  }
  return true;
}

void CopyStatus(const api::Object& from, api::Object& to) {
  assert(from.kind() == to.kind());
  switch (from.kind()) {
    case api::Kind::kPod:
      return CopyStatusAs<api::Pod>(from, to);
    case api::Kind::kNode:
      return CopyStatusAs<api::Node>(from, to);
    case api::Kind::kReplicationController:
      return CopyStatusAs<api::ReplicationController>(from, to);
    case api::Kind::kService:
      return CopyStatusAs<api::Service>(from, to);
    case api::Kind::kNamespace:
      return CopyStatusAs<api::Namespace>(from, to);
    case api::Kind::kEndpoints:
    case api::Kind::kEvent:
      return;
  }
}

}  // namespace navarch::client
