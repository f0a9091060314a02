// The API conformance suite: the same behavioural checks run against the
// in-process Api (client::LocalApi, what the simulator and in-process
// components use) and against the HTTP server through client::HttpApi
// (what kubectl and split-process components see), so that the two can
// never drift apart. Covered: defaulting (requests from limits included),
// validation with causes, immutable fields, the binding subresource,
// conflicts, dryRun on every Api verb, finalizers, each propagation policy
// (with the garbage collector running), namespace deletion (with the
// namespace controller running), the built-in namespaces, and service IP
// and port allocation.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "backends/realtime/asio_clock.h"
#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/apiclient/http_api.h"
#include "core/apiserver/rest.h"
#include "core/client/local_api.h"
#include "core/controllers/controller_manager.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "tests/unit/apiclient/test_http_server.h"

namespace navarch::apiclient {
namespace {

// In process: a LocalApi on a MemoryStore, controllers on a ManualClock.
class LocalTransport {
 public:
  LocalTransport() : api_(store_, clock_, {}) {}
  client::Api& api() { return api_; }
  void StartControllers() {
    cm_ = std::make_unique<controllers::ControllerManager>(api_, clock_);
    ASSERT_TRUE(cm_->Start().ok());
  }
  // Runs simulated time until `done` holds (at most 5 simulated minutes).
  bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 3000; ++i) {
      if (done()) return true;
      clock_.AdvanceTo(clock_.Now() + milliseconds(100));
    }
    return done();
  }

 private:
  runtime::ManualClock clock_;
  store::MemoryStore store_;
  client::LocalApi api_;
  std::unique_ptr<controllers::ControllerManager> cm_;
};

// Behind HTTP: RestServer + a small HTTP front, HttpApi as the client,
// controllers on the client's loop (as `navarch controller-manager` runs).
class HttpTransport : testing::HttpApiHarness {
 public:
  HttpTransport() {
    Status st = StartHarness();
    EXPECT_TRUE(st.ok()) << st;
  }
  ~HttpTransport() {
    if (cm_) OnLoop([this] { cm_.reset(); });
    StopHarness();
  }
  client::Api& api() { return *api_; }
  void StartControllers() {
    Status st;
    OnLoop([&] {
      cm_ = std::make_unique<controllers::ControllerManager>(*api_, clock_);
      st = cm_->Start();
    });
    ASSERT_TRUE(st.ok()) << st;
  }
  bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 400; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done();
  }

 private:
  // Runs `fn` on the client clock's loop and waits for it.
  void OnLoop(const std::function<void()>& fn) {
    std::promise<void> p;
    auto f = p.get_future();
    clock_.Post([&] {
      fn();
      p.set_value();
    });
    f.get();
  }

  std::unique_ptr<controllers::ControllerManager> cm_;
};

api::Pod MakePod(const std::string& name, const std::string& ns = "default") {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = ns;
  p.metadata.labels = {{"app", "web"}};
  api::Container c;
  c.name = "app";
  c.image = "nginx:1.25";
  api::ContainerPort port;
  port.container_port = 80;
  c.ports.push_back(port);
  p.spec.Mutable().containers.push_back(c);
  return p;
}

api::ReplicationController MakeRc(const std::string& name, int32_t replicas,
                                  const std::string& ns = "default") {
  api::ReplicationController rc;
  rc.metadata.name = name;
  rc.metadata.namespace_ = ns;
  rc.spec.replicas = replicas;
  rc.spec.selector = {{"rc", name}};
  api::PodTemplateSpec t;
  t.metadata.labels = {{"rc", name}};
  api::Container c;
  c.name = "app";
  c.image = "nginx:1.25";
  t.spec.Mutable().containers.push_back(c);
  rc.spec.template_ = t;
  return rc;
}

template <class T>
class ApiConformance : public ::testing::Test {
 protected:
  T t;
  client::Api& api() { return t.api(); }

  std::vector<std::shared_ptr<const api::Pod>> Pods(const std::string& ns = "default") {
    client::ListOptions o;
    o.namespace_ = ns;
    auto list = api().template List<api::Pod>(o);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? list->items : std::vector<std::shared_ptr<const api::Pod>>{};
  }
  bool Gone(api::Kind kind, const std::string& ns, const std::string& name) {
    return api().Get(kind, ns, name).code() == Code::kNotFound;
  }
};

using Transports = ::testing::Types<LocalTransport, HttpTransport>;
class TransportNames {
 public:
  template <class T>
  static std::string GetName(int) {
    return std::is_same_v<T, LocalTransport> ? "LocalApi" : "HttpApi";
  }
};
TYPED_TEST_SUITE(ApiConformance, Transports, TransportNames);

// --- Defaulting and validation ------------------------------------------------

TYPED_TEST(ApiConformance, CreateAppliesDefaultsIncludingRequestsFromLimits) {
  api::Pod pod = MakePod("limits-only");
  pod.spec.Mutable().containers[0].resources.limits["cpu"] = api::Quantity::MustParse("2");
  auto created = this->api().Create(pod);
  ASSERT_TRUE(created.ok()) << created.status();
  const auto& spec = *(*created)->spec;
  EXPECT_EQ(spec.restart_policy, "Always");
  EXPECT_EQ(spec.termination_grace_period_seconds, 30);
  EXPECT_EQ(spec.dns_policy, "ClusterFirst");
  EXPECT_EQ(spec.scheduler_name, "default-scheduler");
  EXPECT_EQ(spec.containers[0].image_pull_policy, "IfNotPresent");
  EXPECT_EQ(spec.containers[0].ports[0].protocol, "TCP");
  ASSERT_EQ(spec.containers[0].resources.requests.count("cpu"), 1u);
  EXPECT_EQ(spec.containers[0].resources.requests.at("cpu"), api::Quantity::MustParse("2"));
  EXPECT_EQ((*created)->status.phase, "Pending");
}

TYPED_TEST(ApiConformance, ValidationFailureNamesEveryField) {
  api::Pod pod = MakePod("bad");
  pod.spec.Mutable().containers[0].image.clear();
  pod.spec.Mutable().restart_policy = "Sometimes";
  auto created = this->api().Create(pod);
  ASSERT_EQ(created.code(), Code::kInvalidArgument) << created.status();
  EXPECT_NE(created.status().message().find("Pod \"bad\" is invalid"), std::string::npos)
      << created.status();
  std::vector<std::string> fields;
  for (const auto& c : created.status().causes())
    fields.push_back(c.field);
  EXPECT_NE(std::find(fields.begin(), fields.end(), "spec.containers[0].image"), fields.end());
  EXPECT_NE(std::find(fields.begin(), fields.end(), "spec.restartPolicy"), fields.end());
  EXPECT_TRUE(this->Gone(api::Kind::kPod, "default", "bad"));
}

TYPED_TEST(ApiConformance, PodSpecIsImmutableExceptImage) {
  auto created = this->api().Create(MakePod("web"));
  ASSERT_TRUE(created.ok()) << created.status();
  api::Pod port_change = **created;
  port_change.spec.Mutable().containers[0].ports[0].container_port = 8080;
  auto res = this->api().Update(port_change);
  EXPECT_EQ(res.code(), Code::kInvalidArgument) << res.status();
  ASSERT_FALSE(res.status().causes().empty());
  EXPECT_EQ(res.status().causes()[0].field, "spec");

  api::Pod image_change = **created;
  image_change.spec.Mutable().containers[0].image = "nginx:1.26";
  auto ok = this->api().Update(image_change);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)->spec->containers[0].image, "nginx:1.26");
  EXPECT_EQ((*ok)->metadata.generation, 2);
}

TYPED_TEST(ApiConformance, NodeNameIsSetOnlyByBinding) {
  auto created = this->api().Create(MakePod("web"));
  ASSERT_TRUE(created.ok()) << created.status();
  api::Pod moved = **created;
  moved.spec.Mutable().node_name = "n1";
  auto res = this->api().Update(moved);
  EXPECT_EQ(res.code(), Code::kInvalidArgument) << res.status();

  auto bound = this->api().Bind(*created, "n1");
  ASSERT_TRUE(bound.ok()) << bound.status();
  auto got = this->api().template Get<api::Pod>("default", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->spec->node_name, "n1");
  auto again = this->api().Bind(*created, "n2");
  EXPECT_EQ(again.code(), Code::kConflict) << again.status();
  api::Pod rebound = **got;
  rebound.spec.Mutable().node_name = "n2";
  EXPECT_EQ(this->api().Update(rebound).code(), Code::kInvalidArgument);
}

TYPED_TEST(ApiConformance, StaleResourceVersionConflicts) {
  auto created = this->api().Create(MakeRc("web", 1));
  ASSERT_TRUE(created.ok()) << created.status();
  api::ReplicationController a = **created, b = **created;
  a.spec.replicas = 2;
  ASSERT_TRUE(this->api().Update(a).ok());
  b.spec.replicas = 3;
  EXPECT_EQ(this->api().Update(b).code(), Code::kConflict);
}

// --- dryRun -----------------------------------------------------------------------

TYPED_TEST(ApiConformance, DryRunRunsEveryCheckAndStoresNothing) {
  client::WriteOptions dry{true};
  // Create: defaulted object back, nothing stored.
  auto pod = this->api().Create(std::make_shared<const api::Pod>(MakePod("dry")), dry);
  ASSERT_TRUE(pod.ok()) << pod.status();
  EXPECT_EQ(api::As<api::Pod>(*pod)->spec->restart_policy, "Always");
  EXPECT_TRUE((*pod)->metadata.resource_version.empty());
  EXPECT_TRUE(this->Gone(api::Kind::kPod, "default", "dry"));
  // Validation still runs.
  api::Pod bad = MakePod("dry-bad");
  bad.spec.Mutable().containers[0].image.clear();
  EXPECT_EQ(this->api().Create(std::make_shared<const api::Pod>(bad), dry).code(),
            Code::kInvalidArgument);

  auto rc = this->api().Create(MakeRc("web", 3));
  ASSERT_TRUE(rc.ok()) << rc.status();
  const std::string rv = (*rc)->metadata.resource_version;
  // Update: the new object back, the stored one unchanged.
  api::ReplicationController more = **rc;
  more.spec.replicas = 4;
  auto updated = this->api().Update(std::make_shared<const api::ReplicationController>(more), dry);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(api::As<api::ReplicationController>(*updated)->spec.replicas, 4);
  // Conflicts are still checked.
  api::ReplicationController stale = more;
  stale.metadata.resource_version = std::to_string(std::stoll(rv) + 1000);
  EXPECT_EQ(
      this->api().Update(std::make_shared<const api::ReplicationController>(stale), dry).code(),
      Code::kConflict);
  // Status.
  api::ReplicationController status = **rc;
  status.status.replicas = 7;
  ASSERT_TRUE(this->api()
                  .UpdateStatus(std::make_shared<const api::ReplicationController>(status), dry)
                  .ok());
  // Delete.
  client::DeleteOptions d;
  d.dry_run = true;
  d.propagation_policy = "Background";
  ASSERT_TRUE(this->api().Delete(api::Kind::kReplicationController, "default", "web", d).ok());

  auto after = this->api().template Get<api::ReplicationController>("default", "web");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ((*after)->metadata.resource_version, rv);
  EXPECT_EQ((*after)->spec.replicas, 3);
  EXPECT_EQ((*after)->status.replicas, 0);
  EXPECT_FALSE((*after)->metadata.deletion_timestamp);
}

// --- Finalizers and propagation ---------------------------------------------------

TYPED_TEST(ApiConformance, FinalizersHoldAnObjectUntilRemoved) {
  api::Pod pod = MakePod("held");
  pod.metadata.finalizers = {"example.com/hold"};
  ASSERT_TRUE(this->api().Create(pod).ok());
  client::DeleteOptions d;
  auto deleting = this->api().Delete(api::Kind::kPod, "default", "held", d);
  ASSERT_TRUE(deleting.ok()) << deleting.status();
  auto got = this->api().template Get<api::Pod>("default", "held");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE((*got)->metadata.deletion_timestamp);
  // No new finalizer once deletion started.
  api::Pod more = **got;
  more.metadata.finalizers.push_back("example.com/other");
  EXPECT_EQ(this->api().Update(more).code(), Code::kInvalidArgument);
  // Removing the last one removes the object.
  api::Pod done = **got;
  done.metadata.finalizers.clear();
  ASSERT_TRUE(this->api().Update(done).ok());
  EXPECT_TRUE(this->Gone(api::Kind::kPod, "default", "held"));
}

TYPED_TEST(ApiConformance, PropagationPoliciesSetTheirFinalizers) {
  for (auto [policy, finalizer] :
       {std::pair{"Orphan", "orphan"}, std::pair{"Foreground", "foregroundDeletion"},
        std::pair{"", "orphan"}}) {
    const std::string name = std::string("rc-") + (policy[0] ? policy : "default");
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    ASSERT_TRUE(this->api().Create(MakeRc(lower, 0)).ok());
    client::DeleteOptions d;
    d.propagation_policy = policy;
    auto res = this->api().Delete(api::Kind::kReplicationController, "default", lower, d);
    ASSERT_TRUE(res.ok()) << res.status();
    auto got = this->api().template Get<api::ReplicationController>("default", lower);
    ASSERT_TRUE(got.ok()) << lower << ": " << got.status();
    EXPECT_TRUE((*got)->metadata.deletion_timestamp);
    EXPECT_EQ((*got)->metadata.finalizers, std::vector<std::string>{finalizer}) << lower;
  }
  ASSERT_TRUE(this->api().Create(MakeRc("rc-background", 0)).ok());
  client::DeleteOptions d;
  d.propagation_policy = "Background";
  ASSERT_TRUE(
      this->api().Delete(api::Kind::kReplicationController, "default", "rc-background", d).ok());
  EXPECT_TRUE(this->Gone(api::Kind::kReplicationController, "default", "rc-background"));
}

// With the controllers running: what each policy leaves behind.
TYPED_TEST(ApiConformance, DeletingAnRcWithEachPolicyLeavesWhatKubernetesLeaves) {
  this->t.StartControllers();
  for (std::string policy : {"Background", "Foreground", "Orphan"}) {
    std::string name = "web-" + policy;
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);
    auto rc = this->api().Create(MakeRc(name, 3));
    ASSERT_TRUE(rc.ok()) << rc.status();
    auto owned = [&] {
      int n = 0;
      for (const auto& p : this->Pods()) {
        if (p->metadata.labels.count("rc") && p->metadata.labels.at("rc") == name) ++n;
      }
      return n;
    };
    ASSERT_TRUE(this->t.Eventually([&] { return owned() == 3; })) << name;
    client::DeleteOptions d;
    d.propagation_policy = policy;
    ASSERT_TRUE(this->api().Delete(api::Kind::kReplicationController, "default", name, d).ok());
    ASSERT_TRUE(this->t.Eventually([&] {
      return this->Gone(api::Kind::kReplicationController, "default", name);
    })) << name
        << " never went";
    if (policy == "Orphan") {
      // The pods stay, and no longer name their owner.
      EXPECT_TRUE(this->t.Eventually([&] { return owned() == 3; }));
      for (const auto& p : this->Pods()) {
        if (p->metadata.labels.at("rc") != name) continue;
        EXPECT_TRUE(p->metadata.owner_references.empty()) << p->metadata.name;
        EXPECT_FALSE(p->metadata.deletion_timestamp);
      }
    } else {
      // Unbound pods go at once (no kubelet to wait for).
      EXPECT_TRUE(this->t.Eventually([&] { return owned() == 0; })) << name;
    }
  }
}

// --- Namespaces --------------------------------------------------------------------

TYPED_TEST(ApiConformance, BuiltinNamespacesCannotBeDeleted) {
  auto res = this->api().Delete(api::Kind::kNamespace, "", "kube-system");
  EXPECT_EQ(res.code(), Code::kForbidden) << res.status();
}

TYPED_TEST(ApiConformance, DeletingANamespaceEmptiesItThenRemovesIt) {
  api::Namespace ns;
  ns.metadata.name = "team";
  auto created = this->api().Create(ns);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ((*created)->status.phase, "Active");
  EXPECT_EQ((*created)->spec.finalizers, std::vector<std::string>{"kubernetes"});
  ASSERT_TRUE(this->api().Create(MakeRc("web", 2, "team")).ok());
  api::Service svc;
  svc.metadata.name = "web";
  svc.metadata.namespace_ = "team";
  svc.spec.selector = {{"rc", "web"}};
  api::ServicePort port;
  port.port = 80;
  svc.spec.ports.push_back(port);
  ASSERT_TRUE(this->api().Create(svc).ok());
  ASSERT_TRUE(this->api().Create(MakePod("solo", "team")).ok());

  // Without the controller: Terminating, and closed to new objects.
  auto deleting = this->api().Delete(api::Kind::kNamespace, "", "team");
  ASSERT_TRUE(deleting.ok()) << deleting.status();
  auto got = this->api().template Get<api::Namespace>("", "team");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)->status.phase, "Terminating");
  EXPECT_EQ(this->api().Create(MakePod("late", "team")).code(), Code::kForbidden);

  this->t.StartControllers();
  EXPECT_TRUE(this->t.Eventually([&] { return this->Gone(api::Kind::kNamespace, "", "team"); }));
  EXPECT_TRUE(this->Pods("team").empty());
  EXPECT_TRUE(this->Gone(api::Kind::kReplicationController, "team", "web"));
  EXPECT_TRUE(this->Gone(api::Kind::kService, "team", "web"));
}

// --- Services ------------------------------------------------------------------------

TYPED_TEST(ApiConformance, ServicesGetAnImmutableClusterIpAndNodePorts) {
  api::Service svc;
  svc.metadata.name = "web";
  svc.metadata.namespace_ = "default";
  svc.spec.type = "NodePort";
  api::ServicePort port;
  port.port = 80;
  svc.spec.ports.push_back(port);
  auto created = this->api().Create(svc);
  ASSERT_TRUE(created.ok()) << created.status();
  const std::string ip = (*created)->spec.cluster_ip;
  EXPECT_FALSE(ip.empty());
  EXPECT_GE((*created)->spec.ports[0].node_port, 30000);
  EXPECT_EQ((*created)->spec.ports[0].target_port.int_val, 80);
  api::Service moved = **created;
  moved.spec.cluster_ip = "10.96.9.9";
  moved.spec.cluster_ips = {"10.96.9.9"};
  EXPECT_EQ(this->api().Update(moved).code(), Code::kInvalidArgument);
  // The address is taken until the Service goes.
  api::Service same = svc;
  same.metadata.name = "same-ip";
  same.spec.cluster_ip = ip;
  EXPECT_EQ(this->api().Create(same).code(), Code::kInvalidArgument);
  ASSERT_TRUE(this->api().Delete(api::Kind::kService, "default", "web").ok());
  EXPECT_TRUE(this->api().Create(same).ok());
}

}  // namespace
}  // namespace navarch::apiclient

namespace navarch::apiclient {
namespace {

TYPED_TEST(ApiConformance, ALiveNamespaceKeepsItsFinalizers) {
  api::Namespace ns;
  ns.metadata.name = "keep";
  auto created = this->api().Create(ns);
  ASSERT_TRUE(created.ok()) << created.status();
  api::Namespace edited = **created;
  edited.spec.finalizers.clear();
  edited.metadata.labels["team"] = "a";
  auto updated = this->api().Update(edited);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ((*updated)->spec.finalizers, std::vector<std::string>{"kubernetes"});
  EXPECT_EQ((*updated)->metadata.labels.at("team"), "a");
  // So a delete still waits for the namespace controller.
  ASSERT_TRUE(this->api().Delete(api::Kind::kNamespace, "", "keep").ok());
  EXPECT_FALSE(this->Gone(api::Kind::kNamespace, "", "keep"));
}

}  // namespace
}  // namespace navarch::apiclient

namespace navarch::apiclient {
namespace {

TYPED_TEST(ApiConformance, DryRunBindingChecksButBindsNothing) {
  auto created = this->api().Create(MakePod("dry-bind"));
  ASSERT_TRUE(created.ok()) << created.status();
  client::WriteOptions dry{true};
  ASSERT_TRUE(this->api().Bind(*created, "n1", dry).ok());
  auto got = this->api().template Get<api::Pod>("default", "dry-bind");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->spec->node_name, "");
  EXPECT_EQ((*got)->metadata.resource_version, (*created)->metadata.resource_version);
  EXPECT_EQ(this->api().Bind(*created, "Not_A_Node", dry).code(), Code::kInvalidArgument);
  ASSERT_TRUE(this->api().Bind(*created, "n1").ok());
  EXPECT_EQ(this->api().Bind(*created, "n2", dry).code(), Code::kConflict);
}

// kubectl describe asks for a pod's events by involvedObject field selector,
// on a list and on a watch; both transports filter the same way.
TYPED_TEST(ApiConformance, EventFieldSelectorsFilterListsAndWatches) {
  auto event = [](const std::string& name, const std::string& pod, const std::string& type) {
    api::Event ev;
    ev.metadata.name = name;
    ev.metadata.namespace_ = "default";
    ev.involved_object.kind = "Pod";
    ev.involved_object.namespace_ = "default";
    ev.involved_object.name = pod;
    ev.type = type;
    ev.reason = "Started";
    ev.message = "m";
    return ev;
  };
  auto sel = client::FieldSelector::Parse("involvedObject.name=web-1,type=Warning");
  ASSERT_TRUE(sel.ok());
  std::mutex mu;
  std::vector<std::string> watched;
  client::WatchOptions wo;
  wo.namespace_ = "default";
  wo.field_selector = *sel;
  auto w = this->api().Watch(api::Kind::kEvent, wo, [&](const client::WatchEvent& ev) {
    std::lock_guard<std::mutex> lock(mu);
    if (ev.object) watched.push_back(ev.object->metadata.name);
  });
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(this->api().Create(event("a", "web-1", "Warning")).ok());
  ASSERT_TRUE(this->api().Create(event("b", "web-2", "Warning")).ok());
  ASSERT_TRUE(this->api().Create(event("c", "web-1", "Normal")).ok());
  client::ListOptions lo;
  lo.namespace_ = "default";
  lo.field_selector = *sel;
  auto list = this->api().template List<api::Event>(lo);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0]->metadata.name, "a");
  EXPECT_TRUE(this->t.Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !watched.empty();
  }));
  // Two further events that do not match, then one that does: only "a"
  // and "d" may arrive.
  ASSERT_TRUE(this->api().Create(event("d", "web-1", "Warning")).ok());
  EXPECT_TRUE(this->t.Eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return watched.size() >= 2;
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(watched, (std::vector<std::string>{"a", "d"}));
  auto bad = client::FieldSelector::Parse("involvedObject.name=x");
  ASSERT_TRUE(bad.ok());
  client::ListOptions pods;
  pods.field_selector = *bad;
  EXPECT_EQ(this->api().List(api::Kind::kPod, pods).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace navarch::apiclient
