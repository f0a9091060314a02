#pragma once
// The common shape of every API object: Kubernetes v1 `apiVersion`, `kind`,
// `metadata`. Concrete kinds (Pod, Node, ...) live in core/api/types.h and
// derive from `Object`.
//
// Objects handed around the control plane are immutable and shared:
// `ObjectPtr` is a shared_ptr<const Object>. To change one, Clone() it (or
// copy the concrete type), modify the copy, and write it through the Api.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/time.h"

namespace navarch::api {

enum class Kind : uint8_t {
  kPod,
  kNode,
  kReplicationController,
  kService,
  kEndpoints,
  kEvent,
  kNamespace,
};
inline constexpr int kNumKinds = 7;

struct KindInfo {
  Kind kind;
  std::string_view name;         // "Pod"
  std::string_view resource;     // "pods" (the URL and store path segment)
  std::string_view api_version;  // "v1"
  bool namespaced;
};

const KindInfo& InfoOf(Kind kind);
// By `kind` ("Pod") or by resource ("pods"); nullopt if unknown.
std::optional<Kind> KindFromName(std::string_view name);
std::optional<Kind> KindFromResource(std::string_view resource);
// All kinds in declaration order.
const std::vector<Kind>& AllKinds();

using Labels = std::map<std::string, std::string>;
using Annotations = std::map<std::string, std::string>;

struct OwnerReference {
  std::string api_version;  // "v1"
  std::string kind;         // "ReplicationController"
  std::string name;
  std::string uid;
  std::optional<bool> controller;
  std::optional<bool> block_owner_deletion;
  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name;
  std::string generate_name;
  std::string namespace_;  // "namespace" on the wire; empty for cluster-scoped kinds
  std::string uid;
  // The store's mod_revision as a decimal string; empty before creation.
  std::string resource_version;
  int64_t generation = 0;
  Time creation_timestamp;                 // zero = unset
  std::optional<Time> deletion_timestamp;  // set when graceful deletion started
  std::optional<int64_t> deletion_grace_period_seconds;
  Labels labels;
  Annotations annotations;
  std::vector<OwnerReference> owner_references;
  std::vector<std::string> finalizers;
  bool operator==(const ObjectMeta&) const = default;
};

class Object {
 public:
  virtual ~Object() = default;
  virtual Kind kind() const = 0;
  virtual std::unique_ptr<Object> Clone() const = 0;
  // Field-by-field equality (same kind and every field equal).
  virtual bool Equals(const Object& other) const = 0;

  ObjectMeta metadata;

 protected:
  Object() = default;
  Object(const Object&) = default;
  Object& operator=(const Object&) = default;
};

using ObjectPtr = std::shared_ptr<const Object>;

// Checked downcast: returns null if `obj` is not a T.
template <class T>
std::shared_ptr<const T> As(const ObjectPtr& obj) {
  if (!obj || obj->kind() != T::kKind) return nullptr;
  return std::static_pointer_cast<const T>(obj);
}
template <class T>
const T* As(const Object* obj) {
  if (!obj || obj->kind() != T::kKind) return nullptr;
  return static_cast<const T*>(obj);
}

// CRTP helper: concrete kinds derive from ObjectOf<Self, Kind::kX>, which
// provides kind(), Clone() and Equals() from the type's defaulted operator==.
template <class Self, Kind K>
class ObjectOf : public Object {
 public:
  static constexpr Kind kKind = K;
  Kind kind() const override { return K; }
  std::unique_ptr<Object> Clone() const override {
    return std::make_unique<Self>(static_cast<const Self&>(*this));
  }
  bool Equals(const Object& other) const override {
    return other.kind() == K && static_cast<const Self&>(*this) == static_cast<const Self&>(other);
  }
  // Lets the concrete kind default its operator== (this compares metadata).
  bool operator==(const ObjectOf& other) const { return metadata == other.metadata; }
};

// "<namespace>/<name>" for namespaced objects, "<name>" otherwise: the key
// used by caches and work queues.
std::string KeyOf(const Object& obj);
std::string KeyOf(std::string_view ns, std::string_view name);

}  // namespace navarch::api
