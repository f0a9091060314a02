#pragma once
// A small in-process cluster for controller tests: a ManualClock, a
// MemoryStore, a LocalApi (optionally with simulated watch latency) and, in
// front of it, a FaultyApi that counts calls and fails chosen writes.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/client/api.h"
#include "core/client/api_wrapper.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::controllers::testing {

// Forwards to another Api; counts creates/deletes and can fail them.
class FaultyApi final : public client::ApiWrapper {
 public:
  explicit FaultyApi(client::Api& inner) : ApiWrapper(inner) {}

  using Api::Create;
  using Api::Delete;
  using Api::Get;
  using Api::List;
  using Api::Update;
  using Api::UpdateStatus;

  // Create number n (1-based, counting every Create call) fails if
  // fail_create(n) says so.
  std::function<bool(int)> fail_create;
  int creates = 0;
  int deletes = 0;
  int updates = 0;
  int status_updates = 0;
  // Creation times of successful creates, in order.
  std::vector<Time> create_times;

  Result<client::ObjectPtr> Create(client::ObjectPtr obj,
                                   const client::WriteOptions& options) override;
  Result<client::ObjectPtr> Update(client::ObjectPtr obj,
                                   const client::WriteOptions& options) override {
    ++updates;
    return inner().Update(std::move(obj), options);
  }
  Result<client::ObjectPtr> UpdateStatus(client::ObjectPtr obj,
                                         const client::WriteOptions& options) override {
    ++status_updates;
    return inner().UpdateStatus(std::move(obj), options);
  }
  Result<client::ObjectPtr> Delete(api::Kind kind, std::string_view ns, std::string_view name,
                                   const client::DeleteOptions& options = {}) override {
    ++deletes;
    return inner().Delete(kind, ns, name, options);
  }
};

struct TestCluster {
  // `retain_revisions` > 0 makes the store compact itself (long runs).
  explicit TestCluster(Duration watch_delay = Duration::zero(),
                       store::Revision retain_revisions = 0);

  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi local;
  FaultyApi api;

  // Ground truth from the Api (not a cache), sorted by name.
  std::vector<std::shared_ptr<const api::Pod>> Pods(const std::string& ns = "default");
  // Pods not being deleted.
  std::vector<std::shared_ptr<const api::Pod>> LivePods(const std::string& ns = "default");
  std::shared_ptr<const api::Pod> Pod(const std::string& name, const std::string& ns = "default");
  std::shared_ptr<const api::ReplicationController> Rc(const std::string& name);
  std::shared_ptr<const api::Node> Node(const std::string& name);

  // Writes (the test fails on error).
  std::shared_ptr<const api::Pod> CreatePod(const api::Pod& pod);
  void Bind(const std::string& pod, const std::string& node);
  // Sets phase, podIP and the Ready condition (transition time = now when it
  // changes).
  void SetPodStatus(const std::string& pod, std::string_view phase, bool ready,
                    const std::string& ip = "");
  void Scale(const std::string& rc, int32_t replicas);
  // Writes a kubelet heartbeat: Ready=True with lastHeartbeatTime = now.
  void Heartbeat(const std::string& node);
};

// Objects.
api::Pod MakePod(const std::string& name, const std::map<std::string, std::string>& labels);
api::ReplicationController MakeRc(const std::string& name, int32_t replicas,
                                  const std::map<std::string, std::string>& labels);
// A node with Ready=True (heartbeat now) in `zone` (no label when empty).
api::Node MakeNode(const std::string& name, const std::string& zone, Time now);
api::Service MakeService(const std::string& name,
                         const std::map<std::string, std::string>& selector);

}  // namespace navarch::controllers::testing
