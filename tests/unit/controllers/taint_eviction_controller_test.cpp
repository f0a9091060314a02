// TaintEvictionController (the taint manager): NoExecute taints evict the
// pods that do not tolerate them at once, the others after their
// tolerationSeconds, never when a toleration gives none; a taint that goes
// before then cancels the eviction.
#include "core/controllers/taint_eviction_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/controllers/test_cluster.h"

namespace navarch::controllers {
namespace {

using testing::MakeNode;
using testing::MakePod;
using testing::TestCluster;

class TaintEvictionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(c_.local.Create(MakeNode("n1", "a", c_.clock.Now())).ok());
    ASSERT_TRUE(c_.local.Create(MakeNode("n2", "a", c_.clock.Now())).ok());
    ASSERT_TRUE(tec_.Start().ok());
  }
  // A running pod on `node` with `tolerations` (admission adds the default
  // 300 s not-ready / unreachable ones unless the pod has its own).
  void PodOn(const std::string& name, const std::string& node,
             std::vector<api::Toleration> tolerations = {}) {
    api::Pod p = MakePod(name, {{"app", "x"}});
    p.spec.Mutable().tolerations = std::move(tolerations);
    c_.CreatePod(p);
    c_.Bind(name, node);
    c_.SetPodStatus(name, api::kPodRunning, true, "10.0.0.1");
  }
  void SetTaints(const std::string& node, std::vector<api::Taint> taints) {
    auto n = c_.local.Get<api::Node>("", node);
    ASSERT_TRUE(n.ok());
    api::Node copy = **n;
    copy.spec.taints = std::move(taints);
    ASSERT_TRUE(c_.local.Update(copy).ok());
    c_.clock.RunUntilIdle();
  }
  static api::Taint NoExecute(std::string key, std::string value = "") {
    api::Taint t;
    t.key = std::move(key);
    t.value = std::move(value);
    t.effect = "NoExecute";
    return t;
  }
  static api::Toleration Tolerate(std::string key, std::optional<int64_t> secs) {
    api::Toleration t;
    t.key = std::move(key);
    t.operator_ = "Exists";
    t.effect = "NoExecute";
    t.toleration_seconds = secs;
    return t;
  }
  bool Gone(const std::string& pod) {
    auto p = c_.Pod(pod);
    return !p || p->metadata.deletion_timestamp.has_value();
  }

  TestCluster c_;
  TaintEvictionController tec_{c_.api, c_.clock};
};

TEST_F(TaintEvictionTest,
       APodThatDoesNotTolerateTheTaintIsEvictedAtOnceTheOthersAfterTheirSeconds) {
  PodOn("plain", "n1");
  PodOn("forever", "n1", {Tolerate("dedicated", std::nullopt)});
  PodOn("thirty", "n1", {Tolerate("dedicated", 30)});
  PodOn("elsewhere", "n2");
  const Time t = c_.clock.Now();
  SetTaints("n1", {NoExecute("dedicated", "gpu")});
  EXPECT_TRUE(Gone("plain"));
  EXPECT_FALSE(Gone("forever"));
  EXPECT_FALSE(Gone("thirty"));
  EXPECT_EQ(tec_.EvictionTime("default", "thirty"), t + seconds(30));
  c_.clock.AdvanceTo(t + seconds(30) - Duration(1));
  EXPECT_FALSE(Gone("thirty"));
  c_.clock.Advance(Duration(1));
  EXPECT_TRUE(Gone("thirty"));
  c_.clock.Advance(minutes(60));
  EXPECT_FALSE(Gone("forever"));
  EXPECT_FALSE(Gone("elsewhere"));
  EXPECT_EQ(tec_.stats().pods_evicted, 2u);
}

TEST_F(TaintEvictionTest, DefaultTolerationsGiveEveryPodFiveMinutesOnAnUnreachableNode) {
  PodOn("web", "n1");
  auto pod = c_.Pod("web");
  ASSERT_EQ(pod->spec->tolerations.size(), 2u);  // admission's defaults
  const Time t = c_.clock.Now();
  SetTaints("n1", {NoExecute("node.kubernetes.io/unreachable")});
  EXPECT_EQ(tec_.EvictionTime("default", "web"), t + minutes(5));
}

TEST_F(TaintEvictionTest, AnUnreachableTolerationOfThirtySecondsIsHonouredAndUnsetMeansNever) {
  PodOn("short", "n1", {Tolerate("node.kubernetes.io/unreachable", 30)});
  PodOn("unset", "n1", {Tolerate("node.kubernetes.io/unreachable", std::nullopt)});
  const Time t = c_.clock.Now();
  SetTaints("n1", {NoExecute("node.kubernetes.io/unreachable")});
  c_.clock.AdvanceTo(t + seconds(30));
  EXPECT_TRUE(Gone("short"));
  c_.clock.AdvanceTo(t + minutes(90));
  EXPECT_FALSE(Gone("unset"));
  EXPECT_FALSE(tec_.EvictionTime("default", "unset").has_value());
}

TEST_F(TaintEvictionTest, ATaintRemovedInTimeCancelsTheEviction) {
  PodOn("web", "n1", {Tolerate("maintenance", 60)});
  const Time t = c_.clock.Now();
  SetTaints("n1", {NoExecute("maintenance")});
  c_.clock.AdvanceTo(t + seconds(59));
  SetTaints("n1", {});
  EXPECT_FALSE(tec_.EvictionTime("default", "web").has_value());
  c_.clock.AdvanceTo(t + minutes(10));
  EXPECT_FALSE(Gone("web"));
  EXPECT_EQ(tec_.stats().evictions_cancelled, 1u);
}

TEST_F(TaintEvictionTest, ASecondTaintTheScheduledPodDoesNotTolerateEvictsItAtOnce) {
  PodOn("web", "n1", {Tolerate("maintenance", 600)});
  SetTaints("n1", {NoExecute("maintenance")});
  EXPECT_FALSE(Gone("web"));
  SetTaints("n1", {NoExecute("maintenance"), NoExecute("broken")});
  EXPECT_TRUE(Gone("web"));
}

TEST_F(TaintEvictionTest, APodBoundToAnAlreadyTaintedNodeIsEvictedToo) {
  SetTaints("n2", {NoExecute("dedicated")});
  PodOn("late", "n2");
  c_.clock.RunUntilIdle();
  EXPECT_TRUE(Gone("late"));
}

TEST_F(TaintEvictionTest, NegativeTolerationSecondsMeanAtOnce) {
  PodOn("web", "n1", {Tolerate("maintenance", -5)});
  SetTaints("n1", {NoExecute("maintenance")});
  EXPECT_TRUE(Gone("web"));
}

}  // namespace
}  // namespace navarch::controllers
