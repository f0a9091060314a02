#pragma once
// The registry: the one home of the API's per-kind rules, applied by
// client::LocalApi on every write — so the simulator, in-process components
// and the HTTP server (which writes through LocalApi) all store exactly the
// same objects. For each kind it owns:
//
//   defaulting        defaults.h (requests from limits included), on create
//                     and on every update of the spec
//   validation        api::Validate() on create and update; ValidateStatus()
//                     on a status write
//   immutability      Pod: spec may change only in containers[*].image,
//                     initContainers[*].image, activeDeadlineSeconds and
//                     added tolerations (spec.nodeName is set by a binding
//                     only); Node: spec.podCIDR(s) once set; Service:
//                     clusterIP; Namespace: spec.finalizers are kept by an
//                     update of a live namespace, and may only lose entries
//                     once it is terminating (the namespace controller's
//                     "finalize");
//                     every kind: no new finalizer once deletion started
//   allocation        Service cluster IPs and node ports: taken at
//                     admission, given back when the write fails, is a dry
//                     run, or the Service is deleted
//
// A failed check is kInvalidArgument with one cause per field
// ("<Kind> \"<name>\" is invalid: <path>: <message>, ..."; HTTP 422).
//
// Thread-safe: one Registry serves every LocalApi of a process (the API
// server's write pool and the in-process components), so allocations stay
// consistent.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/field_error.h"
#include "core/api/object.h"
#include "core/api/types.h"
#include "core/base/status.h"
#include "core/registry/service_allocator.h"

namespace navarch::registry {

struct RegistryOptions {
  // Service cluster IPs come from this IPv4 CIDR; node ports from the range.
  std::string service_cidr = "10.96.0.0/16";
  int32_t node_port_min = 30000;
  int32_t node_port_max = 32767;
  // Kubernetes' DefaultTolerationSeconds admission: a pod created without a
  // NoExecute toleration of node.kubernetes.io/not-ready (unreachable) gets
  // one for this long (kube-apiserver's --default-not-ready-toleration-seconds
  // and --default-unreachable-toleration-seconds), so that the taint manager
  // evicts it that long after its node is tainted. nullopt: add none.
  std::optional<int64_t> default_not_ready_toleration_seconds = 300;
  std::optional<int64_t> default_unreachable_toleration_seconds = 300;
};

// What one write took from (and will give back to) the allocators. Commit
// after the write is stored, Abort when it is not (failed, or a dry run).
struct Allocation {
  std::vector<std::string> ips_taken;
  std::vector<int32_t> ports_taken;
  std::vector<int32_t> ports_dropped;  // released on Commit
  bool empty() const { return ips_taken.empty() && ports_taken.empty() && ports_dropped.empty(); }
};

enum class UpdateKind {
  kUpdate,  // metadata and spec (Update, PATCH, PUT)
  kStatus,  // status only (UpdateStatus, the status subresource)
  kBind,    // spec.nodeName of an unbound pod (the binding subresource)
};

// kInvalidArgument "<Kind> \"<name>\" is invalid: ..." with `errors` as causes
// (HTTP: 422 Invalid with details.causes).
Status Invalid(const api::Object& obj, const std::vector<api::FieldError>& errors);
// The same for what is not an object (a Scale, a Binding body).
Status Invalid(std::string_view kind, std::string_view name,
               const std::vector<api::FieldError>& errors);

class Registry {
 public:
  // kInvalidArgument naming the CIDR or port range when they are unusable.
  static Result<std::shared_ptr<Registry>> Create(const RegistryOptions& options = {});

  // A new object: defaults, validation, allocation. `obj` has its final
  // name and namespace.
  Status AdmitCreate(api::Object& obj, Allocation* alloc);
  // An update of `current` (as stored) to `next`, which already carries
  // what the write may not change (the status of an update, the spec and
  // metadata of a status write: see LocalApi). Defaults, immutability,
  // validation, allocation.
  Status AdmitUpdate(const api::Object& current, api::Object& next, UpdateKind kind,
                     Allocation* alloc);
  void Commit(const Allocation& alloc);
  void Abort(const Allocation& alloc);
  // The object left the store: its allocations are free again.
  void Removed(const api::Object& obj);
  // A stored object seen at start-up: marks what it holds as taken.
  void Restore(const api::Object& obj);

  ServiceAllocator& allocator() { return *alloc_; }

 private:
  Registry(const RegistryOptions& options, std::unique_ptr<ServiceAllocator> alloc)
      : options_(options), alloc_(std::move(alloc)) {}
  void AddDefaultTolerations(api::Pod& pod) const;

  const RegistryOptions options_;
  std::unique_ptr<ServiceAllocator> alloc_;
  // The last pod spec defaulted at create, and its defaulted form.
  std::mutex memo_mu_;
  std::optional<api::Shared<api::PodSpec>> memo_in_;   // guarded by memo_mu_
  std::optional<api::Shared<api::PodSpec>> memo_out_;  // guarded by memo_mu_
};

// The immutability and update rules alone (no defaulting, no allocation):
// every problem with changing `current` into `next`.
std::vector<api::FieldError> ValidateUpdate(const api::Object& current, const api::Object& next,
                                            UpdateKind kind);

}  // namespace navarch::registry
