// WatchHubs, the fan-out behind HTTP watches: subscribers are indexed by
// node and by namespace, so an event is offered only to those that can
// match it.
#include "core/apiserver/watch_hubs.h"

#include <gtest/gtest.h>

#include "core/api/types.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::apiserver {
namespace {

class Counter final : public WatchSubscriber {
 public:
  void OnEvent(const HubEvent& e) override { names.push_back(e.object->metadata.name); }
  void OnError(const Status&) override {}
  void OnShutdown() override {}
  std::vector<std::string> names;
};

api::Pod Pod(const std::string& ns, const std::string& name) {
  api::Pod p;
  p.metadata.namespace_ = ns;
  p.metadata.name = name;
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  p.spec.Mutable().containers.push_back(c);
  return p;
}

TEST(WatchHubsTest, NamespacedAndNodeSubscribersAreOfferedOnlyTheirEvents) {
  store::MemoryStore store;
  runtime::ManualClock clock;
  client::LocalApi api(store, clock, {.require_namespace = false});
  WatchHubs hubs(store, clock);
  auto in_a = std::make_shared<Counter>();
  auto in_b = std::make_shared<Counter>();
  auto everywhere = std::make_shared<Counter>();
  auto on_n1 = std::make_shared<Counter>();
  const auto rev = store.CurrentRevision();
  auto sa = hubs.Subscribe(api::Kind::kPod, rev, std::nullopt, in_a, "a");
  auto sb = hubs.Subscribe(api::Kind::kPod, rev, std::nullopt, in_b, "b");
  auto sall = hubs.Subscribe(api::Kind::kPod, rev, std::nullopt, everywhere);
  auto sn = hubs.Subscribe(api::Kind::kPod, rev, std::string("n1"), on_n1);
  ASSERT_TRUE(sa.ok() && sb.ok() && sall.ok() && sn.ok());
  ASSERT_TRUE(api.Create(Pod("a", "a1")).ok());
  ASSERT_TRUE(api.Create(Pod("b", "b1")).ok());
  auto bound = api.Create(Pod("a", "a2"));
  ASSERT_TRUE(bound.ok());
  ASSERT_TRUE(api.Bind(*bound, "n1").ok());
  clock.RunUntilIdle();
  EXPECT_EQ(in_a->names, (std::vector<std::string>{"a1", "a2", "a2"}));
  EXPECT_EQ(in_b->names, (std::vector<std::string>{"b1"}));
  EXPECT_EQ(everywhere->names.size(), 4u);
  EXPECT_EQ(on_n1->names, (std::vector<std::string>{"a2"}));
  hubs.Unsubscribe(*sa);
  ASSERT_TRUE(api.Create(Pod("a", "a3")).ok());
  clock.RunUntilIdle();
  EXPECT_EQ(in_a->names.size(), 3u);
  EXPECT_EQ(everywhere->names.size(), 5u);
  EXPECT_EQ(hubs.SessionCount(), 3u);
}

TEST(WatchHubsTest, LabelSelectedSubscribersAreOfferedOnlyObjectsWithTheLabel) {
  store::MemoryStore store;
  runtime::ManualClock clock;
  client::LocalApi api(store, clock, {.require_namespace = false});
  WatchHubs hubs(store, clock);
  auto web = std::make_shared<Counter>();
  auto sel = api::LabelSelector::Parse("app=web");
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(
      hubs.Subscribe(api::Kind::kPod, store.CurrentRevision(), std::nullopt, web, "", *sel).ok());
  api::Pod a = Pod("a", "w1");
  a.metadata.labels["app"] = "web";
  ASSERT_TRUE(api.Create(a).ok());
  ASSERT_TRUE(api.Create(Pod("a", "other")).ok());
  auto got = api.Get<api::Pod>("a", "w1");
  api::Pod relabelled = **got;
  relabelled.metadata.labels["app"] = "db";  // leaves the selector: still offered
  ASSERT_TRUE(api.Update(relabelled).ok());
  clock.RunUntilIdle();
  EXPECT_EQ(web->names, (std::vector<std::string>{"w1", "w1"}));
}

}  // namespace
}  // namespace navarch::apiserver
