#include "sim/gated_api.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/api/types.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"

namespace navarch::sim {
namespace {

api::Container MakeContainer(std::string name) {
  api::Container c;
  c.name = std::move(name);
  c.image = "app:1";
  return c;
}

TEST(GatedApi, PartitionRefusesCallsAndEndsWatches) {
  runtime::ManualClock clock;
  store::MemoryStore store;
  client::LocalApi inner(store, clock);
  GatedApi api(inner, clock, "node n1");
  std::vector<std::string> seen;
  auto w = api.Watch(api::Kind::kPod, {}, [&](const client::WatchEvent& ev) {
    seen.push_back(std::string(client::WatchEventTypeName(ev.type)) +
                   (ev.object ? " " + ev.object->metadata.name : ""));
  });
  ASSERT_TRUE(w.ok());
  api::Pod pod;
  pod.metadata.name = "a";
  pod.metadata.namespace_ = "default";
  pod.spec.Mutable().containers = {MakeContainer("c")};
  ASSERT_TRUE(api.Create(pod).ok());
  clock.RunUntilIdle();
  api.SetReachable(false);
  auto refused = api.Get<api::Pod>("default", "a");
  EXPECT_EQ(refused.code(), Code::kUnavailable);
  EXPECT_NE(refused.status().message().find("node n1"), std::string::npos);
  EXPECT_EQ(api.Watch(api::Kind::kPod, {}, [](const client::WatchEvent&) {}).code(),
            Code::kUnavailable);
  pod.metadata.name = "b";
  ASSERT_TRUE(inner.Create(pod).ok());  // someone else still reaches the Api
  clock.RunUntilIdle();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0],
            std::string(client::WatchEventTypeName(client::WatchEvent::Type::kAdded)) + " a");
  EXPECT_EQ(seen[1], std::string(client::WatchEventTypeName(client::WatchEvent::Type::kError)));
  api.SetReachable(true);
  EXPECT_TRUE(api.Get<api::Pod>("default", "b").ok());
  EXPECT_EQ(api.refused(), 2u);
}

}  // namespace
}  // namespace navarch::sim
