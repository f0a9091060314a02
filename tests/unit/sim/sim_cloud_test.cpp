#include "sim/sim_cloud.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/runtime/manual_clock.h"

namespace navarch::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class SimCloudTest : public ::testing::Test {
 protected:
  SimCloudTest() : cloud_(clock_, runtime::Rng(11).Fork("cloud")) {
    SimCloudListener l;
    l.node_up = [this](const SimMachine& m) { log_.push_back("up " + m.machine.name); };
    l.node_down = [this](const std::string& n, NodeDownReason r) {
      log_.push_back("down " + n + " " + std::string(NodeDownReasonName(r)));
    };
    l.node_unreachable = [this](const std::string& n) { log_.push_back("unreachable " + n); };
    l.node_reachable = [this](const std::string& n) { log_.push_back("reachable " + n); };
    cloud_.SetListener(std::move(l));
  }

  NodeGroupSpec Pool(int32_t count, int32_t max) {
    NodeGroupSpec g;
    g.name = "pool";
    g.count = count;
    g.max_size = max;
    g.zones = {"zone-a", "zone-b"};
    g.racks_per_zone = 2;
    g.instance_type = "sim-4";
    g.capacity = {4000, int64_t{16} << 30, 110};
    g.boot_latency = Distribution::Constant(seconds(45));
    return g;
  }

  std::vector<std::string> TakeLog() { return std::exchange(log_, {}); }

  runtime::ManualClock clock_;
  SimCloud cloud_;
  std::vector<std::string> log_;
};

TEST_F(SimCloudTest, BootstrapPlacesRoundRobinAndAnnouncesLater) {
  ASSERT_TRUE(cloud_.AddGroup(Pool(5, 10)).ok());
  ASSERT_TRUE(cloud_.Bootstrap().ok());
  EXPECT_THAT(log_, IsEmpty());  // never inline
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(),
              ElementsAre("up pool-1", "up pool-2", "up pool-3", "up pool-4", "up pool-5"));
  const SimMachine* m = cloud_.Find("pool-4");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->machine.zone, "zone-b");
  EXPECT_EQ(m->rack, "zone-b-rack-2");
  EXPECT_EQ(m->machine.labels.at("topology.kubernetes.io/zone"), "zone-b");
  EXPECT_EQ(m->machine.labels.at("navarch.io/rack"), "zone-b-rack-2");
  EXPECT_EQ(m->machine.labels.at("kubernetes.io/hostname"), "pool-4");
  EXPECT_EQ(m->machine.labels.at("node.kubernetes.io/instance-type"), "sim-4");
  EXPECT_EQ(m->machine.internal_ip, "10.0.0.4");
  EXPECT_EQ(m->pod_ip_prefix, "10.128.4.");
  EXPECT_EQ(cloud_.Find("pool-5")->rack, "zone-a-rack-1");  // wraps around the racks
}

TEST_F(SimCloudTest, AddedMachinesBootAfterTheirLatency) {
  ASSERT_TRUE(cloud_.AddGroup(Pool(1, 3)).ok());
  ASSERT_TRUE(cloud_.Bootstrap().ok());
  clock_.RunUntilIdle();
  TakeLog();
  std::vector<std::string> added;
  cloud_.AddMachines("pool", 2, [&](Result<std::vector<std::string>> r) {
    ASSERT_TRUE(r.ok()) << r.status();
    added = *r;
  });
  clock_.RunUntilIdle();
  EXPECT_THAT(added, ElementsAre("pool-2", "pool-3"));
  EXPECT_EQ(cloud_.Find("pool-2")->machine.state, runtime::MachineState::kProvisioning);
  clock_.Advance(seconds(44));
  EXPECT_THAT(log_, IsEmpty());
  clock_.Advance(seconds(1));
  EXPECT_THAT(TakeLog(), ElementsAre("up pool-2", "up pool-3"));
  EXPECT_EQ(cloud_.Find("pool-2")->machine.state, runtime::MachineState::kRunning);

  Status st;
  cloud_.AddMachines("pool", 1, [&](Result<std::vector<std::string>> r) { st = r.status(); });
  clock_.RunUntilIdle();
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "node group \"pool\": adding 1 to 3 machines would exceed maxSize 3");
}

TEST_F(SimCloudTest, ZoneFailureAndRecovery) {
  ASSERT_TRUE(cloud_.AddGroup(Pool(4, 4)).ok());
  ASSERT_TRUE(cloud_.Bootstrap().ok());
  clock_.RunUntilIdle();
  TakeLog();
  ASSERT_TRUE(cloud_.Fail(DomainLevel::kZone, "zone-a").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(), ElementsAre("down pool-1 failed", "down pool-3 failed"));
  EXPECT_THAT(cloud_.UpMachines(), ElementsAre("pool-2", "pool-4"));
  std::vector<runtime::Machine> listed;
  cloud_.ListMachines([&](Result<std::vector<runtime::Machine>> r) { listed = *r; });
  clock_.RunUntilIdle();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "pool-2");
  ASSERT_TRUE(cloud_.Recover(DomainLevel::kZone, "zone-a").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(), ElementsAre("up pool-1", "up pool-3"));
  EXPECT_EQ(cloud_.Fail(DomainLevel::kZone, "zone-z").message(),
            "unknown zone \"zone-z\" (zones: zone-a, zone-b)");
}

TEST_F(SimCloudTest, PartitionKeepsMachinesUp) {
  ASSERT_TRUE(cloud_.AddGroup(Pool(4, 4)).ok());
  ASSERT_TRUE(cloud_.Bootstrap().ok());
  clock_.RunUntilIdle();
  TakeLog();
  ASSERT_TRUE(cloud_.Partition(DomainLevel::kRack, "zone-b-rack-1").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(), ElementsAre("unreachable pool-2"));
  EXPECT_TRUE(cloud_.IsUp("pool-2"));
  EXPECT_FALSE(cloud_.IsReachable("pool-2"));
  // A failure and recovery inside the partition comes back unreachable.
  ASSERT_TRUE(cloud_.Fail(DomainLevel::kNode, "pool-2").ok());
  ASSERT_TRUE(cloud_.Recover(DomainLevel::kNode, "pool-2").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(), ElementsAre("down pool-2 failed", "up pool-2", "unreachable pool-2"));
  ASSERT_TRUE(cloud_.Heal(DomainLevel::kRack, "zone-b-rack-1").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(), ElementsAre("reachable pool-2"));
}

TEST_F(SimCloudTest, RemoveAndReboot) {
  NodeGroupSpec g = Pool(3, 3);
  g.min_size = 2;
  ASSERT_TRUE(cloud_.AddGroup(g).ok());
  ASSERT_TRUE(cloud_.Bootstrap().ok());
  clock_.RunUntilIdle();
  TakeLog();
  Status removed = Internal("not called");
  cloud_.RemoveMachine("pool-3", [&](Status s) { removed = s; });
  clock_.RunUntilIdle();
  EXPECT_TRUE(removed.ok());
  EXPECT_THAT(TakeLog(), ElementsAre("down pool-3 removed"));
  EXPECT_EQ(cloud_.Find("pool-3"), nullptr);
  EXPECT_FALSE(cloud_.topology().HasDomain(DomainLevel::kNode, "pool-3"));
  EXPECT_EQ(cloud_.RemoveNode("pool-2").message(),
            "node group \"pool\": removing \"pool-2\" would take it below minSize 2 (size 2)");
  cloud_.RebootMachine("pool-1", [](Status s) { EXPECT_TRUE(s.ok()) << s; });
  clock_.RunUntilIdle();
  EXPECT_THAT(TakeLog(), ElementsAre("down pool-1 rebooted"));
  clock_.Advance(seconds(45));
  EXPECT_THAT(TakeLog(), ElementsAre("up pool-1"));
}

TEST_F(SimCloudTest, GroupValidation) {
  NodeGroupSpec g = Pool(3, 2);
  EXPECT_EQ(cloud_.AddGroup(g).message(),
            "node group \"pool\": count 3 must lie within [minSize, maxSize] = [0, 2]");
  g = Pool(1, 1);
  g.zones.clear();
  EXPECT_EQ(cloud_.AddGroup(g).message(), "node group \"pool\": zones: list at least one zone");
}

}  // namespace
}  // namespace navarch::sim
