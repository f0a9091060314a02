#include "sim/topology.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Two zones with two racks each, two nodes per rack: a1..a4 in zone-a, b1..b4 in zone-b.
Topology Build() {
  Topology t;
  for (std::string zone : {"a", "b"}) {
    for (int n = 1; n <= 4; ++n) {
      const std::string rack = "zone-" + zone + "-rack-" + std::to_string((n - 1) / 2 + 1);
      EXPECT_TRUE(t.AddNode("zone-" + zone, rack, zone + std::to_string(n)).ok());
    }
  }
  return t;
}

TEST(TopologyTest, Structure) {
  Topology t = Build();
  EXPECT_THAT(t.Zones(), ElementsAre("zone-a", "zone-b"));
  EXPECT_THAT(t.RacksIn("zone-b"), ElementsAre("zone-b-rack-1", "zone-b-rack-2"));
  EXPECT_THAT(t.NodesUnder(DomainLevel::kRack, "zone-a-rack-2"), ElementsAre("a3", "a4"));
  EXPECT_EQ(t.node_count(), 8u);
  EXPECT_EQ(t.ZoneOf("b3"), "zone-b");
  EXPECT_EQ(t.RackOf("b3"), "zone-b-rack-2");
  EXPECT_EQ(t.AddNode("zone-a", "zone-a-rack-1", "a1").code(), Code::kAlreadyExists);
  EXPECT_EQ(t.AddNode("zone-b", "zone-a-rack-1", "x").code(), Code::kInvalidArgument);
}

TEST(TopologyTest, ZoneFailureTakesDownExactlyItsRacksNodes) {
  Topology t = Build();
  Result<TopologyChange> c = t.SetFailed(DomainLevel::kZone, "zone-a", true);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->went_down, ElementsAre("a1", "a2", "a3", "a4"));
  EXPECT_THAT(c->came_up, IsEmpty());
  for (const char* n : {"a1", "a2", "a3", "a4"})
    EXPECT_FALSE(t.IsUp(n)) << n;
  for (const char* n : {"b1", "b2", "b3", "b4"})
    EXPECT_TRUE(t.IsUp(n)) << n;
  c = t.SetFailed(DomainLevel::kZone, "zone-a", false);
  EXPECT_THAT(c->came_up, ElementsAre("a1", "a2", "a3", "a4"));
}

TEST(TopologyTest, FlagsNest) {
  Topology t = Build();
  ASSERT_TRUE(t.SetFailed(DomainLevel::kRack, "zone-a-rack-1", true).ok());
  Result<TopologyChange> c = t.SetFailed(DomainLevel::kZone, "zone-a", true);
  EXPECT_THAT(c->went_down, ElementsAre("a3", "a4"));  // a1, a2 were already down
  c = t.SetFailed(DomainLevel::kRack, "zone-a-rack-1", false);
  EXPECT_TRUE(c->empty());  // the zone is still down
  c = t.SetFailed(DomainLevel::kZone, "zone-a", false);
  EXPECT_THAT(c->came_up, ElementsAre("a1", "a2", "a3", "a4"));
}

TEST(TopologyTest, PartitionAndHeal) {
  Topology t = Build();
  Result<TopologyChange> c = t.SetPartitioned(DomainLevel::kRack, "zone-b-rack-1", true);
  EXPECT_THAT(c->became_unreachable, ElementsAre("b1", "b2"));
  EXPECT_TRUE(t.IsUp("b1"));
  EXPECT_FALSE(t.IsReachable("b1"));
  EXPECT_TRUE(t.IsReachable("b3"));
  // A node that fails while partitioned goes down; healing then changes nothing for it.
  c = t.SetFailed(DomainLevel::kNode, "b1", true);
  EXPECT_THAT(c->went_down, ElementsAre("b1"));
  c = t.SetPartitioned(DomainLevel::kRack, "zone-b-rack-1", false);
  EXPECT_THAT(c->became_reachable, ElementsAre("b2"));
  c = t.SetFailed(DomainLevel::kNode, "b1", false);
  EXPECT_THAT(c->came_up, ElementsAre("b1"));
  EXPECT_TRUE(t.IsReachable("b1"));
}

TEST(TopologyTest, UnknownNamesListTheKnownOnes) {
  Topology t = Build();
  Result<TopologyChange> c = t.SetFailed(DomainLevel::kZone, "zone-z", true);
  EXPECT_EQ(c.code(), Code::kNotFound);
  EXPECT_EQ(c.status().message(), "unknown zone \"zone-z\" (zones: zone-a, zone-b)");
}

TEST(TopologyTest, RemovedNodesLeaveTheirDomains) {
  Topology t = Build();
  ASSERT_TRUE(t.RemoveNode("a1").ok());
  EXPECT_FALSE(t.HasDomain(DomainLevel::kNode, "a1"));
  Result<TopologyChange> c = t.SetFailed(DomainLevel::kRack, "zone-a-rack-1", true);
  EXPECT_THAT(c->went_down, ElementsAre("a2"));
  EXPECT_EQ(t.RemoveNode("a1").code(), Code::kNotFound);
  ASSERT_TRUE(t.AddNode("zone-b", "zone-b-rack-1", "a1").ok());  // back elsewhere
  EXPECT_EQ(t.ZoneOf("a1"), "zone-b");
}

}  // namespace
}  // namespace navarch::sim
