#include "sim/runner.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include "core/api/codec.h"
#include "core/api/patch.h"
#include "core/api/well_known.h"
#include "core/client/local_api.h"
#include "core/controllers/controller_manager.h"
#include "core/controllers/informer_set.h"
#include "core/controllers/node_lifecycle_controller.h"
#include "core/controllers/replication_manager.h"
#include "core/kubelet/kubelet.h"
#include "core/registry/registry.h"
#include "core/scheduler/scheduler.h"
#include "core/store/memory_store.h"
#include "sim/engine.h"
#include "sim/expectation_check.h"
#include "sim/gated_api.h"
#include "sim/machine_backend.h"
#include "sim/metrics.h"
#include "sim/sim_cloud.h"
#include "sim/sim_runtime.h"

namespace navarch::sim {

namespace {

int32_t ScaleCount(int32_t n, double scale) {
  if (n <= 0) return n;
  return std::max<int32_t>(1, static_cast<int32_t>(std::llround(n * scale)));
}

void ScaleObjects(std::vector<ScenarioObject>& objects, double scale) {
  for (auto& o : objects) {
    auto rc = api::As<api::ReplicationController>(o.object);
    if (!rc) continue;
    auto copy = std::make_shared<api::ReplicationController>(*rc);
    copy->spec.replicas = ScaleCount(rc->spec.replicas.value_or(1), scale);
    o.object = copy;
  }
}

std::string ObjectLabel(const api::Object& obj) {
  std::string ns = obj.metadata.namespace_;
  if (ns.empty() && api::InfoOf(obj.kind()).namespaced) ns = "default";
  return std::string(api::InfoOf(obj.kind()).name) + " " + api::KeyOf(ns, obj.metadata.name);
}

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

bool IsFailure(EventType t) {
  switch (t) {
    case EventType::kFailNode:
    case EventType::kFailRack:
    case EventType::kFailZone:
    case EventType::kPartitionNode:
    case EventType::kPartitionRack:
    case EventType::kPartitionZone:
    case EventType::kRemoveNodes:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status ScaleScenario(Scenario& scenario, double scale) {
  if (!(scale > 0 && scale <= 1)) {
    return InvalidArgument("scale " + std::to_string(scale) +
                           " is out of range: give a factor in (0, 1]");
  }
  if (scale == 1) return Status::Ok();
  for (auto& g : scenario.node_groups) {
    g.count = ScaleCount(g.count, scale);
    g.min_size = std::min(g.count, g.min_size > 0 ? ScaleCount(g.min_size, scale) : 0);
    g.max_size = std::max(g.count, ScaleCount(g.max_size, scale));
  }
  ScaleObjects(scenario.objects, scale);
  for (auto& ev : scenario.events) {
    ScaleObjects(ev.objects, scale);
    if (ev.type == EventType::kScale) ev.replicas = ScaleCount(ev.replicas, scale);
    if (ev.type == EventType::kAddNodes) ev.count = ScaleCount(ev.count, scale);
  }
  for (auto& x : scenario.expectations) {
    if (x.type == Expectation::Type::kRunningReplicas || x.type == Expectation::Type::kReadyNodes) {
      x.at_least = ScaleCount(static_cast<int32_t>(x.at_least), scale);
      if (x.at_most) *x.at_most = ScaleCount(static_cast<int32_t>(*x.at_most), scale);
    }
  }
  return Status::Ok();
}

// Everything one run builds. Members are destroyed in reverse order: nodes
// (kubelets, runtimes) first, the engine and its clock last.
class Runner::World {
 public:
  World(const Scenario& scenario, const RunnerOptions& options, uint64_t seed)
      : scenario_(scenario),
        options_(options),
        engine_(seed),
        backend_(options.backend),
        clock_(backend_ ? backend_->clock() : engine_.clock()),
        start_(backend_ ? clock_.Now() : engine_.start()),
        memory_store_(store::MemoryStoreOptions{.retain_revisions = 20'000}),
        store_(options.store ? *options.store : memory_store_) {}

  ~World() {
    // Kubelets and runtimes before the control plane they talk to.
    nodes_.clear();
  }

  Status Build();
  Report Run();

 private:
  struct SimNode {
    std::unique_ptr<SimRuntime> runtime;
    runtime::ContainerRuntime* external = nullptr;  // the backend's runtime, if any
    std::unique_ptr<GatedApi> gate;                 // before the kubelet: it must outlive it
    std::unique_ptr<kubelet::Kubelet> kubelet;
  };

  // A component's client under the scenario's controlPlane: `limits`, and
  // the request latency drawn from stream "requests/<name>".
  client::ThrottleOptions ClientOptions(client::ClientLimits limits, const std::string& name);
  void NodeUp(const SimMachine& m);
  void NodeDown(const std::string& name, NodeDownReason reason);
  void SetReachable(const std::string& name, bool reachable);
  void ApplyEvent(size_t index);
  std::string ApplyObjects(const ScenarioEvent& ev, bool replace);
  // Rewrites node `name` with `edit` (false: nothing to change), retrying
  // on a conflict.
  Status EditNode(const std::string& name, const std::function<bool(api::Node&)>& edit);
  void CheckExpectation(size_t index);
  void SampleTick();
  bool Idle();
  bool Healthy(const std::string& node) const {
    return cloud_->IsUp(node) && cloud_->IsReachable(node);
  }
  Duration Elapsed() const { return clock_.Now() - start_; }
  void Progress(bool done);

  const Scenario& scenario_;
  const RunnerOptions& options_;
  Engine engine_;
  MachineBackend* backend_;  // null: the simulator
  runtime::Clock& clock_;
  const Time start_;
  store::MemoryStore memory_store_;
  store::Store& store_;
  std::unique_ptr<client::LocalApi> api_;
  std::optional<Distribution> request_latency_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<controllers::ControllerManager> controllers_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<SimCloud> cloud_;
  std::map<std::string, SimNode> nodes_;
  std::shared_ptr<EngineLoad> shared_engine_;  // runtime.sharedEngine

  std::string profile_name_;
  std::vector<EventRecord> events_;
  std::vector<std::optional<ExpectationResult>> checks_;
  size_t events_left_ = 0;
  size_t checks_left_ = 0;
  std::set<std::string> booting_;
  Duration settle_{0};
  std::optional<Time> idle_since_;
  uint64_t next_progress_ = 0;
};

Status Runner::World::Build() {
  // Api.
  client::LocalApiOptions api_options;
  api_options.seed = engine_.Stream("api").Next();
  api_options.encode_values = options_.store != nullptr;
  {
    // The API rules of a real server, with the scenario's eviction timeout
    // as the default toleration of the node-lifecycle taints.
    registry::RegistryOptions ro;
    const int64_t secs =
        std::chrono::duration_cast<seconds>(scenario_.controllers.pod_eviction_timeout).count();
    ro.default_not_ready_toleration_seconds = secs;
    ro.default_unreachable_toleration_seconds = secs;
    NAVARCH_ASSIGN_OR_RETURN(api_options.registry, registry::Registry::Create(ro));
  }
  if (scenario_.api.watch_latency && !backend_) {
    api_options.watch_delay =
        Duration(static_cast<int64_t>(std::llround(scenario_.api.watch_latency->Mean())));
    settle_ = 2 * api_options.watch_delay;
  }
  api_ = std::make_unique<client::LocalApi>(store_, clock_, api_options);

  // The observer first, so that it sees every object from its creation.
  MetricsOptions metrics_options;
  metrics_options.record_decisions = options_.record_decisions;
  metrics_ = std::make_unique<Metrics>(*api_, clock_, start_, metrics_options);
  NAVARCH_RETURN_IF_ERROR(metrics_->Start());

  // Controllers.
  // Controllers: the same ControllerManager `navarch up` and `navarch
  // controller-manager` run.
  const auto& cc = scenario_.controllers;
  controllers::ControllerManagerOptions cm_options;
  cm_options.record_events = scenario_.api.record_events;
  auto& nlc_options = cm_options.node_lifecycle;
  nlc_options.node_monitor_grace_period = cc.node_monitor_grace_period;
  nlc_options.large_cluster_size_threshold = cc.large_cluster_size_threshold;
  nlc_options.eviction_rate = cc.eviction_rate;
  nlc_options.secondary_eviction_rate = cc.secondary_eviction_rate;
  nlc_options.unhealthy_zone_threshold = cc.unhealthy_zone_threshold;
  // What the control plane's work costs (docs/sim.md): client limits on
  // every backend; request latency and decision time only in virtual time.
  const ControlPlaneConfig& cp = scenario_.control_plane;
  if (cp.request_latency_on && !backend_) {
    request_latency_ = cp.request_latency.value_or(Distribution::LogNormal(
        ControlPlaneConfig::kDefaultRequestMedian, ControlPlaneConfig::kDefaultRequestP99));
  }
  cm_options.client = ClientOptions(cp.controller_manager, "controller-manager");
  controllers_ = std::make_unique<controllers::ControllerManager>(*api_, clock_, cm_options);

  // Scheduler.
  scheduler::SchedulerOptions sched_options;
  sched_options.record_events = scenario_.api.record_events;
  sched_options.client = ClientOptions(cp.scheduler, "scheduler");
  if (cp.scheduling_cost && !backend_) {
    sched_options.decision_cost.fixed = cp.scheduling_fixed;
    sched_options.decision_cost.per_node = cp.scheduling_per_node;
  }
  profile_name_ = options_.scheduler_profile.value_or(scenario_.scheduler.profile);
  if (profile_name_ == "custom") {
    sched_options.profile.name = "custom";
    for (const auto& [plugin, weight] : scenario_.scheduler.plugin_weights)
      sched_options.profile.scores.push_back({plugin, weight});
  } else {
    auto profile = scheduler::BuiltinProfile(profile_name_);
    if (!profile.ok()) return profile.status().WithContext("scheduler profile");
    sched_options.profile = *profile;
  }
  if (options_.record_decisions) {
    sched_options.observer = [this](const scheduler::SchedulingDecision& d) {
      metrics_->RecordDecision(d);
    };
  }
  // One cache of pods and nodes for the scheduler and the controllers.
  sched_options.pod_informer = &controllers_->informers().For(api::Kind::kPod);
  sched_options.node_informer = &controllers_->informers().For(api::Kind::kNode);
  scheduler_ = std::make_unique<scheduler::Scheduler>(*api_, clock_, sched_options);
  if (Status st = scheduler_->Start(); !st.ok()) return st.WithContext("scheduler");
  NAVARCH_RETURN_IF_ERROR(controllers_->Start());

  // Cloud.
  cloud_ = std::make_unique<SimCloud>(clock_, engine_.Stream("cloud"));
  for (const auto& g : scenario_.node_groups) {
    NAVARCH_RETURN_IF_ERROR(cloud_->AddGroup(g));
  }
  SimCloudListener listener;
  listener.node_up = [this](const SimMachine& m) { NodeUp(m); };
  listener.node_down = [this](const std::string& n, NodeDownReason r) { NodeDown(n, r); };
  listener.node_unreachable = [this](const std::string& n) { SetReachable(n, false); };
  listener.node_reachable = [this](const std::string& n) { SetReachable(n, true); };
  cloud_->SetListener(std::move(listener));
  NAVARCH_RETURN_IF_ERROR(cloud_->Bootstrap());
  // Let the initial machines come up and register their Nodes (all at t=0)
  // before the objects arrive, so the first decisions see the cluster.
  if (backend_) {
    int64_t machines = 0;
    for (const auto& g : scenario_.node_groups)
      machines += g.count;
    (void)backend_->RunUntil(clock_.Now() + seconds(30),
                             [this, machines] { return metrics_->NodeCount() >= machines; });
  } else {
    engine_.clock().RunUntilIdle();
  }

  // The scenario's objects, now (t=0), in file order.
  for (const auto& o : scenario_.objects) {
    auto created = api_->Create(o.object);
    if (!created.ok()) {
      return InvalidArgument(o.source + ":" + std::to_string(o.line) + ": " +
                             ObjectLabel(*o.object) + ": " + created.status().message());
    }
  }

  // Timed events, expectation checks and sampling.
  events_.resize(scenario_.events.size());
  for (size_t i = 0; i < scenario_.events.size(); ++i) {
    const auto& ev = scenario_.events[i];
    events_[i].path = ev.path;
    events_[i].type = std::string(EventTypeName(ev.type));
    events_[i].at = ev.at;
    clock_.At(start_ + ev.at, [this, i] { ApplyEvent(i); });
  }
  events_left_ = scenario_.events.size();
  checks_.resize(scenario_.expectations.size());
  checks_left_ = 0;
  for (size_t i = 0; i < scenario_.expectations.size(); ++i) {
    const auto& e = scenario_.expectations[i];
    if (!e.by) continue;
    ++checks_left_;
    clock_.At(start_ + *e.by, [this, i] { CheckExpectation(i); });
  }
  if (options_.sample_interval > Duration{0}) {
    clock_.Post([this] { SampleTick(); });
  }
  return Status::Ok();
}

client::ThrottleOptions Runner::World::ClientOptions(client::ClientLimits limits,
                                                     const std::string& name) {
  client::ThrottleOptions t;
  if (!scenario_.control_plane.client_limits) return t;  // no limits at all
  t.limits = limits;
  if (request_latency_) {
    // Each client draws from a stream of its own.
    t.request_latency = [this,
                         rng = std::make_shared<runtime::Rng>(engine_.Stream("requests/" + name))] {
      return request_latency_->SampleDuration(*rng);
    };
  }
  return t;
}

void Runner::World::NodeUp(const SimMachine& m) {
  metrics_->RecoveryInputsChanged();
  const std::string& name = m.machine.name;
  booting_.erase(name);
  SimNode& node = nodes_[name];
  if (backend_) {
    if (!node.external) node.external = &backend_->RuntimeFor(m);
  } else if (!node.runtime) {
    SimRuntimeOptions ro;
    ro.node_name = name;
    if (!m.machine.internal_ip.empty()) ro.node_ip = m.machine.internal_ip;
    ro.pod_ip_prefix = m.pod_ip_prefix;
    if (scenario_.runtime.shared_engine) {
      if (!shared_engine_) shared_engine_ = std::make_shared<EngineLoad>();
      ro.engine = shared_engine_;
    }
    node.runtime = std::make_unique<SimRuntime>(clock_, scenario_.runtime,
                                                engine_.Stream("runtime/" + name), std::move(ro));
  } else {
    node.runtime->PowerOn();
  }
  kubelet::KubeletOptions ko;
  ko.node_name = name;
  ko.record_events = scenario_.api.record_events;
  ko.client = ClientOptions(scenario_.control_plane.kubelet, "kubelet/" + name);
  for (const auto& [k, v] : m.machine.labels)
    ko.labels[k] = v;
  ko.taints = m.taints;
  const auto& cap = m.machine.capacity;
  ko.capacity[std::string(api::kResourceCpu)] = api::Quantity::FromMilli(cap.cpu_millis);
  ko.capacity[std::string(api::kResourceMemory)] =
      api::Quantity::FromValue(cap.memory_bytes, api::Quantity::Format::kBinarySI);
  ko.capacity[std::string(api::kResourcePods)] = api::Quantity::FromValue(cap.pods);
  if (!m.machine.internal_ip.empty()) ko.addresses.push_back({"InternalIP", m.machine.internal_ip});
  ko.addresses.push_back({"Hostname", name});
  ko.node_status.heartbeat_period = scenario_.controllers.node_status_update_period;
  // Heartbeats jittered as Kubernetes' kubelet does, from the scenario's seed.
  ko.node_status.jitter_seed = engine_.Stream("heartbeat/" + name).Next() | 1;
  // The node reaches the Api through its own gate (partition events).
  if (!node.gate) node.gate = std::make_unique<GatedApi>(*api_, clock_, "node " + name);
  node.gate->SetReachable(true);
  node.kubelet = std::make_unique<kubelet::Kubelet>(
      *node.gate, clock_, node.external ? *node.external : *node.runtime, std::move(ko));
  (void)node.kubelet->Start();  // options are ours and valid; later failures are retried
}

void Runner::World::NodeDown(const std::string& name, NodeDownReason reason) {
  metrics_->RecoveryInputsChanged();
  booting_.erase(name);
  auto it = nodes_.find(name);
  if (it != nodes_.end()) {
    if (it->second.kubelet) it->second.kubelet->Stop();
    it->second.kubelet.reset();
    if (it->second.runtime) it->second.runtime->PowerOff();
    if (it->second.external) backend_->PowerOff(name);
  }
  if (reason != NodeDownReason::kRemoved) return;
  if (it != nodes_.end()) nodes_.erase(it);
  // The machine is gone for good: delete its Node and the pods bound to it.
  (void)api_->Delete(api::Kind::kNode, "", name);
  client::DeleteOptions force;
  force.grace_period_seconds = 0;
  for (const auto& key : metrics_->PodsOn(name)) {
    auto [ns, pod] = SplitKey(key);
    (void)api_->Delete(api::Kind::kPod, ns, pod, force);
  }
}

void Runner::World::SetReachable(const std::string& name, bool reachable) {
  metrics_->RecoveryInputsChanged();
  auto it = nodes_.find(name);
  if (it != nodes_.end() && it->second.gate) it->second.gate->SetReachable(reachable);
}

std::string Runner::World::ApplyObjects(const ScenarioEvent& ev, bool replace) {
  std::string errors;
  auto fail = [&](const api::Object& o, const Status& st) {
    if (!errors.empty()) errors += "; ";
    errors += ObjectLabel(o) + ": " + st.message();
  };
  for (const auto& so : ev.objects) {
    const api::Object& obj = *so.object;
    if (replace) {
      std::string ns = obj.metadata.namespace_;
      if (ns.empty() && api::InfoOf(obj.kind()).namespaced) ns = "default";
      auto existing = api_->Get(obj.kind(), ns, obj.metadata.name);
      if (existing.ok()) {
        // As `kubectl apply` does: the manifest is merged into the live
        // object (strategic merge), so what others set (a pod's node, an
        // allocated cluster IP) is kept.
        auto merged = api::ApplyStrategicMergePatch(
            api::InfoOf(obj.kind()).name, api::ToJsonValue(**existing), api::ToJsonValue(obj));
        Result<api::ObjectPtr> next = merged.ok() ? api::DecodeJsonValue(*merged) : merged.status();
        if (!next.ok()) {
          fail(obj, next.status());
          continue;
        }
        auto updated = api_->Update(*next);
        if (!updated.ok()) fail(obj, updated.status());
        continue;
      }
    }
    auto created = api_->Create(so.object);
    if (!created.ok()) fail(obj, created.status());
  }
  return errors;
}

Status Runner::World::EditNode(const std::string& name,
                               const std::function<bool(api::Node&)>& edit) {
  for (int attempt = 0;; ++attempt) {
    NAVARCH_ASSIGN_OR_RETURN(auto node, api_->Get<api::Node>("", name));
    api::Node copy = *node;
    if (!edit(copy)) return Status::Ok();
    auto updated = api_->Update(copy);
    if (updated.ok() || updated.code() != Code::kConflict || attempt >= 5) {
      return updated.status();
    }
  }
}

void Runner::World::ApplyEvent(size_t index) {
  const ScenarioEvent& ev = scenario_.events[index];
  EventRecord& rec = events_[index];
  Status st;
  std::string errors;
  switch (ev.type) {
    case EventType::kCreate:
    case EventType::kApply: {
      for (const auto& o : ev.objects) {
        if (!rec.target.empty()) rec.target += ", ";
        rec.target += ObjectLabel(*o.object);
      }
      errors = ApplyObjects(ev, ev.type == EventType::kApply);
      break;
    }
    case EventType::kDelete:
      for (const auto& t : ev.targets) {
        if (!rec.target.empty()) rec.target += ", ";
        rec.target += t.ToString();
        client::DeleteOptions options;
        // kubectl's default, not the API's (Orphan for an RC).
        options.propagation_policy =
            ev.propagation_policy.empty() ? "Background" : ev.propagation_policy;
        auto deleted = api_->Delete(t.kind, t.namespace_, t.name, options);
        if (!deleted.ok()) {
          if (!errors.empty()) errors += "; ";
          errors += deleted.status().message();
        }
      }
      break;
    case EventType::kScale: {
      rec.target = ev.target.ToString() + " to " + std::to_string(ev.replicas);
      for (int attempt = 0;; ++attempt) {
        auto rc = api_->Get<api::ReplicationController>(ev.target.namespace_, ev.target.name);
        if (!rc.ok()) {
          st = rc.status();
          break;
        }
        api::ReplicationController copy = **rc;
        copy.spec.replicas = ev.replicas;
        auto updated = api_->Update(copy);
        st = updated.status();
        if (updated.ok() || updated.code() != Code::kConflict || attempt >= 5) break;
      }
      break;
    }
    case EventType::kCordon:
    case EventType::kUncordon:
      rec.target = ev.name;
      st = EditNode(ev.name, [&](api::Node& n) {
        const bool want = ev.type == EventType::kCordon;
        if (n.spec.unschedulable == want) return false;
        n.spec.unschedulable = want;
        return true;
      });
      break;
    case EventType::kTaint:
      rec.target = ev.name;
      st = EditNode(ev.name, [&](api::Node& n) {
        // As `kubectl taint --overwrite`: one taint per key and effect.
        std::erase_if(n.spec.taints, [&](const api::Taint& t) {
          return t.key == ev.taint.key && t.effect == ev.taint.effect;
        });
        api::Taint t = ev.taint;
        if (t.effect == api::kEffectNoExecute) t.time_added = clock_.Now();
        n.spec.taints.push_back(std::move(t));
        return true;
      });
      break;
    case EventType::kUntaint:
      rec.target = ev.name;
      st = EditNode(ev.name, [&](api::Node& n) {
        return std::erase_if(n.spec.taints, [&](const api::Taint& t) {
                 return t.key == ev.taint.key &&
                        (ev.taint.effect.empty() || t.effect == ev.taint.effect);
               }) > 0;
      });
      break;
    case EventType::kLabel:
      rec.target = ev.name;
      st = EditNode(ev.name, [&](api::Node& n) {
        bool changed = false;
        for (const auto& [k, v] : ev.labels) {
          std::string& slot = n.metadata.labels[k];
          changed = changed || slot != v || v.empty();
          slot = v;
        }
        for (const auto& k : ev.remove_labels)
          changed = n.metadata.labels.erase(k) > 0 || changed;
        return changed;
      });
      break;
    case EventType::kDrain: {
      rec.target = ev.name;
      st = EditNode(ev.name, [](api::Node& n) {
        if (n.spec.unschedulable) return false;
        n.spec.unschedulable = true;
        return true;
      });
      client::DeleteOptions options;
      if (ev.grace_period) {
        options.grace_period_seconds =
            std::chrono::duration_cast<std::chrono::seconds>(*ev.grace_period).count();
      }
      for (const auto& key : metrics_->PodsOn(ev.name)) {
        auto [ns, name] = SplitKey(key);
        auto deleted = api_->Delete(api::Kind::kPod, ns, name, options);
        if (!deleted.ok() && deleted.code() != Code::kNotFound) {
          if (!errors.empty()) errors += "; ";
          errors += deleted.status().message();
        }
      }
      break;
    }
    case EventType::kFailNode:
    case EventType::kFailRack:
    case EventType::kFailZone:
    case EventType::kPartitionNode:
    case EventType::kPartitionRack:
    case EventType::kPartitionZone:
    case EventType::kRecoverNode:
    case EventType::kRecoverRack:
    case EventType::kRecoverZone:
    case EventType::kHealNode:
    case EventType::kHealRack:
    case EventType::kHealZone: {
      rec.target = ev.name;
      const DomainLevel level = EventDomain(ev.type);
      std::vector<std::string> hit = cloud_->topology().NodesUnder(level, ev.name);
      switch (ev.type) {
        case EventType::kFailNode:
        case EventType::kFailRack:
        case EventType::kFailZone:
          st = cloud_->Fail(level, ev.name);
          break;
        case EventType::kPartitionNode:
        case EventType::kPartitionRack:
        case EventType::kPartitionZone:
          st = cloud_->Partition(level, ev.name);
          break;
        case EventType::kRecoverNode:
        case EventType::kRecoverRack:
        case EventType::kRecoverZone:
          st = cloud_->Recover(level, ev.name);
          break;
        default:
          st = cloud_->Heal(level, ev.name);
          break;
      }
      if (st.ok() && IsFailure(ev.type)) {
        metrics_->BeginRecovery({ev.path, rec.type, ev.name, ev.at, std::move(hit), {}, {}});
      }
      break;
    }
    case EventType::kAddNodes: {
      rec.target = ev.name + " +" + std::to_string(ev.count);
      auto added = cloud_->AddNodes(ev.name, ev.count);
      if (added.ok()) {
        booting_.insert(added->begin(), added->end());
      } else {
        st = added.status();
      }
      break;
    }
    case EventType::kRemoveNodes: {
      std::vector<std::string> removed;
      for (const auto& n : ev.nodes) {
        if (!rec.target.empty()) rec.target += ", ";
        rec.target += n;
        Status r = cloud_->RemoveNode(n);
        if (r.ok()) {
          removed.push_back(n);
        } else {
          if (!errors.empty()) errors += "; ";
          errors += r.message();
        }
      }
      if (!removed.empty()) {
        metrics_->BeginRecovery({ev.path, rec.type, rec.target, ev.at, removed, {}, {}});
      }
      break;
    }
  }
  if (!st.ok()) {
    if (!errors.empty()) errors += "; ";
    errors += st.message();
  }
  rec.result = errors.empty() ? "ok" : errors;
  --events_left_;
}

void Runner::World::CheckExpectation(size_t index) {
  if (checks_[index]) return;
  checks_[index] = EvaluateExpectation(scenario_.expectations[index], *metrics_, Elapsed());
  if (scenario_.expectations[index].by) --checks_left_;
}

void Runner::World::SampleTick() {
  const auto& q = scheduler_->queue();
  metrics_->Sample(static_cast<int64_t>(q.ActiveSize() + q.BackoffSize() + q.UnschedulableSize()));
  clock_.After(options_.sample_interval, [this] { SampleTick(); });
}

bool Runner::World::Idle() {
  const auto& q = scheduler_->queue();
  bool idle = events_left_ == 0 && checks_left_ == 0 && booting_.empty() && q.ActiveSize() == 0 &&
              q.BackoffSize() == 0 &&
              metrics_->unbound() <= static_cast<int64_t>(q.UnschedulableSize()) &&
              metrics_->ControllerDeficit() == 0 &&
              !metrics_->AnyUnsettled([this](const std::string& n) { return cloud_->IsUp(n); });
  if (!idle) {
    idle_since_.reset();
    return false;
  }
  if (!idle_since_) idle_since_ = clock_.Now();
  return clock_.Now() - *idle_since_ >= settle_;
}

void Runner::World::Progress(bool done) {
  if (!options_.progress) return;
  RunProgress p;
  p.elapsed = Elapsed();
  p.horizon = scenario_.Horizon();
  p.events = engine_.events_processed();
  p.pods_running = metrics_->running();
  p.pods_pending = metrics_->pending();
  p.done = done;
  options_.progress(p);
}

Report Runner::World::Run() {
  const Time deadline = start_ + scenario_.Horizon();
  next_progress_ = options_.progress_every;
  auto on_instant = [this] {
    if (metrics_->RecoveryOpen()) {
      metrics_->UpdateRecoveries([this](const std::string& n) { return Healthy(n); });
    }
    if (options_.progress && engine_.events_processed() >= next_progress_) {
      next_progress_ = engine_.events_processed() + options_.progress_every;
      Progress(false);
    }
    return scenario_.run_until_idle && Idle();
  };
  Report report;
  Engine::RunResult result;
  if (backend_) {
    switch (backend_->RunUntil(deadline, on_instant)) {
      case MachineBackend::Stop::kDone:
        result.reason = Engine::StopReason::kIdle;
        break;
      case MachineBackend::Stop::kDeadline:
        result.reason = Engine::StopReason::kDeadline;
        break;
      case MachineBackend::Stop::kInterrupted:
        result.reason = Engine::StopReason::kIdle;
        report.stop_reason = "interrupted";
        break;
    }
  } else {
    result = engine_.RunUntilIdle(deadline, on_instant);
  }

  if (report.stop_reason.empty()) switch (result.reason) {
      case Engine::StopReason::kIdle:
        report.stop_reason = "idle";
        break;
      case Engine::StopReason::kDrained:
        report.stop_reason = "drained";
        break;
      case Engine::StopReason::kDeadline:
        report.stop_reason = scenario_.run_until_idle ? "max-duration" : "duration";
        break;
    }
  if (metrics_->RecoveryOpen()) {
    metrics_->UpdateRecoveries([this](const std::string& n) { return Healthy(n); });
  }
  for (size_t i = 0; i < checks_.size(); ++i)
    CheckExpectation(i);
  if (options_.sample_interval > Duration{0} &&
      (metrics_->series().empty() || metrics_->series().back().t != Elapsed())) {
    const auto& q = scheduler_->queue();
    metrics_->Sample(
        static_cast<int64_t>(q.ActiveSize() + q.BackoffSize() + q.UnschedulableSize()));
  }
  Progress(true);

  report.scenario = scenario_.name;
  report.description = scenario_.description;
  report.seed = engine_.seed();
  report.scheduler_profile = profile_name_;
  report.horizon = scenario_.Horizon();
  report.run_until_idle = scenario_.run_until_idle;
  report.scale = options_.scale;
  report.ended_at = Elapsed();
  report.events_processed = engine_.events_processed();

  const Metrics& m = *metrics_;
  report.pods_created = m.created_total();
  report.pods_scheduled = m.scheduled_total();
  report.pods_started = m.started_total();
  report.pods_succeeded_total = m.succeeded_total();
  report.pods_failed_total = m.failed_total();
  report.pods_deleted = m.deleted_total();
  report.pods_evicted = m.evicted_total();
  report.pods_pending = m.pending();
  report.pods_running = m.running();
  report.pods_succeeded = m.succeeded();
  report.pods_failed = m.failed();
  report.pods_terminating = m.terminating();
  report.nodes = m.NodeCount();
  report.nodes_ready = m.ReadyNodes();

  std::vector<Duration> sched, startup;
  const Time start = start_;
  for (const auto& p : m.pods()) {
    report.restarts += p.restarts;
    if (p.scheduled) sched.push_back(*p.scheduled - p.created);
    if (p.started) startup.push_back(*p.started - p.created);
    if (!options_.record_pods) continue;
    PodRow row;
    auto [ns, name] = SplitKey(p.key);
    row.namespace_ = ns;
    row.name = name;
    row.controller = p.controller;
    row.node = p.node;
    row.phase = p.deleted ? "Deleted" : p.deleting ? "Terminating" : p.phase;
    row.created = p.created - start;
    auto rel = [&](const std::optional<Time>& t) -> std::optional<Duration> {
      if (!t) return std::nullopt;
      return *t - start;
    };
    row.scheduled = rel(p.scheduled);
    row.started = rel(p.started);
    row.ready = rel(p.ready);
    row.finished = rel(p.finished);
    row.deleted = rel(p.deleted);
    row.evicted = rel(p.evicted);
    row.eviction_reason = p.eviction_reason;
    row.restarts = p.restarts;
    row.scheduling_attempts = p.scheduling_attempts;
    row.cpu_millis = p.cpu_millis;
    row.memory_bytes = p.memory_bytes;
    report.pods.push_back(std::move(row));
  }
  report.timeline = m.timeline();
  report.start = start;
  report.kube_events = m.KubeEvents();
  std::stable_sort(
      report.kube_events.begin(), report.kube_events.end(),
      [](const auto& a, const auto& b) { return a->first_timestamp < b->first_timestamp; });
  report.scheduling_latency = Summarize(std::move(sched));
  report.startup_latency = Summarize(std::move(startup));

  auto& u = report.utilisation;
  const auto& series = m.series();
  int64_t n = 0;
  for (const auto& s : series) {
    double cpu = s.cpu_allocatable_millis > 0
                     ? static_cast<double>(s.cpu_requested_millis) / s.cpu_allocatable_millis
                     : 0;
    double mem = s.memory_allocatable_bytes > 0
                     ? static_cast<double>(s.memory_requested_bytes) / s.memory_allocatable_bytes
                     : 0;
    u.cpu_mean += cpu;
    u.memory_mean += mem;
    u.cpu_peak = std::max(u.cpu_peak, cpu);
    u.memory_peak = std::max(u.memory_peak, mem);
    u.cpu_final = cpu;
    u.memory_final = mem;
    ++n;
  }
  if (n > 0) {
    u.cpu_mean /= n;
    u.memory_mean /= n;
  }

  const auto& ss = scheduler_->stats();
  report.scheduler = {ss.attempts, ss.scheduled, ss.unschedulable, ss.bind_errors};
  report.recoveries = m.recoveries();
  for (auto& c : checks_)
    report.expectations.push_back(std::move(*c));
  report.events = events_;
  report.series = series;
  report.decisions = m.decisions();
  return report;
}

Runner::Runner(Scenario scenario, RunnerOptions options)
    : scenario_(std::move(scenario)), options_(std::move(options)) {}

Runner::~Runner() = default;

Result<Report> Runner::Run() {
  if (ran_) return InvalidArgument("a Runner runs once: build a new one for another run");
  ran_ = true;
  if (options_.sample_interval < Duration{0}) {
    return InvalidArgument("sample interval must not be negative");
  }
  NAVARCH_RETURN_IF_ERROR(ScaleScenario(scenario_, options_.scale));
  if (options_.backend) NAVARCH_RETURN_IF_ERROR(options_.backend->Check(scenario_));
  const uint64_t seed = options_.seed.value_or(scenario_.seed);
  auto world = std::make_unique<World>(scenario_, options_, seed);
  if (Status st = world->Build(); !st.ok()) {
    return InvalidArgument("scenario " + scenario_.name + ": " + st.message());
  }
  auto report = world->Run();
  if (options_.defer_teardown) world_ = std::move(world);
  return report;
}

}  // namespace navarch::sim
