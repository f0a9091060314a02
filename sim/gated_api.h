#pragma once
// GatedApi: an Api that forwards to another one while "reachable" and acts
// like a network partition while not. The simulator gives each simulated
// kubelet its Api through one of these, so that a partition event cuts the
// node off from the control plane and heals it without tearing the kubelet
// down; the kubelet itself knows nothing of partitions.
//
// While unreachable:
//   * every synchronous call fails with kUnavailable naming the node;
//   * Watch() fails with kUnavailable;
//   * each live watch is ended: its inner watch is stopped (no event that
//     happens during the partition is delivered) and its handler receives one
//     kError event (kUnavailable), posted on the loop — so an Informer
//     re-lists, and keeps retrying until the Api is reachable again, then
//     emits exactly the changes it missed.
// Becoming reachable again changes nothing by itself: callers find out by
// retrying, as they would after a real partition heals.
//
// Threading: single-threaded, on the Clock's loop, like the Api it wraps. The
// wrapped Api and the Clock must outlive the GatedApi and its watch handles.

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "core/client/api.h"
#include "core/runtime/clock.h"

namespace navarch::sim {

class GatedApi final : public client::Api {
 public:
  // `who` names the side that loses the Api in messages ("node n1").
  GatedApi(client::Api& inner, runtime::Clock& clock, std::string who);
  ~GatedApi() override;
  GatedApi(const GatedApi&) = delete;
  GatedApi& operator=(const GatedApi&) = delete;

  void SetReachable(bool reachable);
  bool reachable() const { return reachable_; }

  using Api::Bind;
  using Api::Create;
  using Api::Delete;
  using Api::Get;
  using Api::List;
  using Api::Update;
  using Api::UpdateStatus;

  Result<client::ObjectPtr> Create(client::ObjectPtr obj,
                                   const client::WriteOptions& options) override;
  Result<client::ObjectPtr> Get(api::Kind kind, std::string_view ns,
                                std::string_view name) override;
  Result<client::ObjectList> List(api::Kind kind, const client::ListOptions& options) override;
  Result<client::ObjectPtr> Update(client::ObjectPtr obj,
                                   const client::WriteOptions& options) override;
  Result<client::ObjectPtr> UpdateStatus(client::ObjectPtr obj,
                                         const client::WriteOptions& options) override;
  Result<client::ObjectPtr> Bind(client::ObjectPtr pod, std::string_view node,
                                 const client::WriteOptions& options) override;
  Result<client::ObjectPtr> Delete(api::Kind kind, std::string_view ns, std::string_view name,
                                   const client::DeleteOptions& options = {}) override;
  Result<std::unique_ptr<client::WatchHandle>> Watch(api::Kind kind,
                                                     const client::WatchOptions& options,
                                                     client::WatchHandler handler) override;

  // Calls refused because the Api was unreachable (for tests and reports).
  uint64_t refused() const { return refused_; }

 private:
  class Handle;
  struct LiveWatch {
    std::unique_ptr<client::WatchHandle> inner;
    client::WatchHandler handler;
  };
  Status Refuse();
  void Forget(uint64_t id) { watches_->erase(id); }

  client::Api& inner_;
  runtime::Clock& clock_;
  const std::string who_;
  bool reachable_ = true;
  uint64_t refused_ = 0;
  uint64_t next_id_ = 1;
  // Shared with the handles so that a handle outliving this object is harmless.
  std::shared_ptr<std::map<uint64_t, LiveWatch>> watches_ =
      std::make_shared<std::map<uint64_t, LiveWatch>>();
};

}  // namespace navarch::sim
