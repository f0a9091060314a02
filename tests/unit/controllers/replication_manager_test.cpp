#include "core/controllers/replication_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/client/throttle.h"
#include "core/controllers/controller_utils.h"
#include "tests/unit/controllers/test_cluster.h"

namespace navarch::controllers {
namespace {

using ::testing::ElementsAre;
using testing::MakePod;
using testing::MakeRc;
using ::testing::StartsWith;
using testing::TestCluster;

const std::map<std::string, std::string> kWeb = {{"app", "web"}};

std::vector<std::string> Names(const std::vector<std::shared_ptr<const api::Pod>>& pods) {
  std::vector<std::string> out;
  for (const auto& p : pods)
    out.push_back(p->metadata.name);
  return out;
}

TEST(ReplicationManagerTest, CreatesReplicasFromTemplateWithControllerReference) {
  TestCluster c;
  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  auto rc = c.local.Create(MakeRc("web", 3, kWeb));
  ASSERT_TRUE(rc.ok()) << rc.status();
  c.clock.RunUntilIdle();

  auto pods = c.Pods();
  ASSERT_EQ(pods.size(), 3u);
  api::OwnerReference want;
  want.api_version = "v1";
  want.kind = "ReplicationController";
  want.name = "web";
  want.uid = (*rc)->metadata.uid;
  want.controller = true;
  want.block_owner_deletion = true;
  for (const auto& pod : pods) {
    EXPECT_EQ(pod->metadata.generate_name, "web-");
    EXPECT_THAT(pod->metadata.name, StartsWith("web-"));
    EXPECT_EQ(pod->metadata.labels, kWeb);
    EXPECT_EQ(pod->metadata.annotations.at("team"), "blue");
    EXPECT_THAT(pod->metadata.owner_references, ElementsAre(want));
    EXPECT_EQ(pod->spec->containers.at(0).image, "nginx");
  }
  EXPECT_EQ(c.api.creates, 3);
  auto status = c.Rc("web")->status;
  EXPECT_EQ(status.replicas, 3);
  EXPECT_EQ(status.fully_labeled_replicas, 3);
  EXPECT_EQ(status.ready_replicas, 0);
  EXPECT_EQ(status.available_replicas, 0);
  EXPECT_EQ(status.observed_generation, 1);
  EXPECT_EQ(rm.stats().pods_created, 3u);
}

// Slow start: batches of 1, 2, 4, 8, ...; the batch with the first failure
// is the last one of the sync.
TEST(ReplicationManagerTest, SlowStartStopsGrowingAtTheFirstFailedBatch) {
  struct Case {
    int fail;      // which create fails
    int attempts;  // creates attempted by the first sync
  };
  for (Case k : {Case{1, 1}, Case{2, 3}, Case{3, 3}, Case{4, 7}, Case{7, 7}, Case{8, 15}}) {
    SCOPED_TRACE("create #" + std::to_string(k.fail) + " fails");
    TestCluster c(seconds(1));
    c.api.fail_create = [&](int n) { return n == k.fail; };
    ReplicationManager rm(c.api, c.clock);
    ASSERT_TRUE(rm.Start().ok());
    ASSERT_TRUE(c.local.Create(MakeRc("web", 20, kWeb)).ok());
    c.clock.Advance(seconds(1));  // the RC reaches the informer
    EXPECT_EQ(c.api.creates, k.attempts);
    EXPECT_EQ(c.Pods().size(), static_cast<size_t>(k.attempts - 1));
    EXPECT_EQ(rm.stats().create_errors, 1u);
    EXPECT_EQ(rm.stats().creates_skipped, static_cast<uint64_t>(20 - k.attempts));
    EXPECT_EQ(rm.queue().stats().errors, 1u);
    // The retry after back-off waits for the pods already created to be
    // observed; then the rest is created (no further failures).
    c.clock.Advance(milliseconds(500));
    EXPECT_EQ(c.api.creates, k.fail == 1 ? 21 : k.attempts);
    c.clock.Advance(milliseconds(500));
    EXPECT_EQ(c.Pods().size(), 20u);
    EXPECT_EQ(c.api.creates, 21);
  }
}

TEST(ReplicationManagerTest, BurstCapLimitsEachSync) {
  TestCluster c(seconds(1));
  ReplicationManagerOptions o;
  o.burst_replicas = 5;
  ReplicationManager rm(c.api, c.clock, o);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 12, kWeb)).ok());
  std::vector<size_t> counts;
  for (int i = 0; i < 4; ++i) {
    c.clock.Advance(seconds(1));
    counts.push_back(c.Pods().size());
  }
  EXPECT_THAT(counts, ElementsAre(5u, 10u, 12u, 12u));
  EXPECT_EQ(c.api.creates, 12);

  // Scaling down is capped the same way.
  c.Scale("web", 0);
  counts.clear();
  for (int i = 0; i < 4; ++i) {
    c.clock.Advance(seconds(1));
    counts.push_back(c.Pods().size());
  }
  EXPECT_THAT(counts, ElementsAre(7u, 2u, 0u, 0u));
  EXPECT_EQ(c.api.deletes, 12);
}

// Under client limits, creates go as the token bucket allows: the burst at
// once, then `qps` per second, as kube-controller-manager's creates do.
TEST(ReplicationManagerTest, CreatesAreSpreadByTheClientsTokenBucket) {
  TestCluster c;
  client::Throttle throttle(c.clock, client::ThrottleOptions{.limits = {10, 5}});
  client::ThrottledApi api(c.api, throttle);
  // Informers shared (as in a ControllerManager): their lists and watches
  // are not this client's requests.
  InformerSet informers(c.api, c.clock);
  ReplicationManagerOptions o;
  o.queue.throttle = &throttle;
  o.informers = &informers;
  ReplicationManager rm(api, c.clock, o);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(informers.Start().ok());
  const Time t0 = c.clock.Now();
  ASSERT_TRUE(c.local.Create(MakeRc("web", 100, kWeb)).ok());
  c.clock.RunUntilIdle();
  // The burst went at once.
  EXPECT_EQ(c.Pods().size(), 5u);
  std::vector<size_t> counts;
  for (int s = 1; s <= 11; ++s) {
    c.clock.AdvanceTo(t0 + seconds(s));
    counts.push_back(c.Pods().size());
  }
  // 10 per second after the burst, less one: the first sync's status write
  // took the token after the creates already waiting (slow-start batches
  // 1, 2, 4 went in the sync; the rest follow as their batches complete).
  EXPECT_THAT(counts, ElementsAre(14u, 24u, 34u, 44u, 54u, 64u, 74u, 84u, 94u, 100u, 100u));
  EXPECT_EQ(c.api.creates, 100);
  EXPECT_EQ(rm.stats().pods_created, 100u);
  EXPECT_GT(throttle.stats().waited, 90u);
}

TEST(ReplicationManagerTest, ExpectationsPreventDoubleCreatesWhileTheInformerLags) {
  TestCluster c(seconds(10));
  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 3, kWeb)).ok());
  c.clock.Advance(seconds(10));
  EXPECT_EQ(c.api.creates, 3);

  // The cache still shows no pods; syncing again must not create more.
  for (int i = 0; i < 3; ++i) {
    Status st = rm.Sync("default/web");
    EXPECT_TRUE(st.ok()) << st;
    c.clock.Advance(seconds(3));
  }
  EXPECT_EQ(c.api.creates, 3);
  EXPECT_EQ(rm.stats().expectation_waits, 3u);
  EXPECT_EQ(rm.expectations().PendingCreates("default/web"), 3);

  c.clock.Advance(seconds(1));  // t = 20s: the creates are observed
  EXPECT_TRUE(rm.expectations().Satisfied("default/web"));
  EXPECT_TRUE(rm.Sync("default/web").ok());
  c.clock.Advance(seconds(30));
  EXPECT_EQ(c.api.creates, 3);
  EXPECT_EQ(c.Pods().size(), 3u);
  EXPECT_EQ(c.Rc("web")->status.replicas, 3);
}

TEST(ReplicationManagerTest, ExpectationsExpireSoALostEventCannotWedgeTheController) {
  TestCluster c(seconds(90));
  ReplicationManagerOptions o;
  o.expectations_timeout = minutes(1);
  ReplicationManager rm(c.api, c.clock, o);
  ASSERT_TRUE(rm.Start().ok());
  Time t0 = c.clock.Now();
  ASSERT_TRUE(c.local.Create(MakeRc("web", 3, kWeb)).ok());
  c.clock.Advance(seconds(90));
  EXPECT_EQ(c.api.creates, 3);
  c.clock.AdvanceTo(t0 + seconds(150) - Duration(1));
  EXPECT_EQ(c.api.creates, 3);
  c.clock.Advance(Duration(1));  // expired while the cache still shows nothing
  EXPECT_EQ(c.api.creates, 6);

  // Both rounds are observed (at 180s and 240s); the surplus, the newest
  // three, goes.
  c.clock.AdvanceTo(t0 + seconds(400));
  auto pods = c.Pods();
  ASSERT_EQ(pods.size(), 3u);
  for (const auto& pod : pods)
    EXPECT_EQ(pod->metadata.creation_timestamp, t0 + seconds(90));
  EXPECT_EQ(c.api.creates, 6);
  EXPECT_EQ(rm.stats().pods_deleted, 3u);
}

// Orphans created one second apart, then put in states of rising value.
TEST(ReplicationManagerTest, ScaleDownDeletesTheLeastValuablePodsFirst) {
  TestCluster c;
  for (const char* name : {"a-unscheduled-old", "b-unscheduled-new", "c-pending", "d-not-ready",
                           "e-ready-long", "f-ready-short"}) {
    c.CreatePod(MakePod(name, kWeb));
    c.clock.Advance(seconds(1));
  }
  for (const char* name : {"c-pending", "d-not-ready", "e-ready-long", "f-ready-short"})
    c.Bind(name, "n1");
  c.SetPodStatus("c-pending", api::kPodPending, false);
  c.SetPodStatus("d-not-ready", api::kPodRunning, false);
  c.SetPodStatus("e-ready-long", api::kPodRunning, true);
  c.clock.Advance(seconds(1));
  c.SetPodStatus("f-ready-short", api::kPodRunning, true);

  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 6, kWeb)).ok());
  c.clock.RunUntilIdle();
  EXPECT_EQ(rm.stats().adopted, 6u);
  EXPECT_EQ(c.api.creates, 0);

  std::vector<std::string> order;
  for (int replicas = 5; replicas >= 1; --replicas) {
    auto before = Names(c.LivePods());
    c.Scale("web", replicas);
    c.clock.Advance(seconds(1));
    auto after = Names(c.LivePods());
    ASSERT_EQ(after.size(), static_cast<size_t>(replicas));
    for (const auto& name : before) {
      if (std::find(after.begin(), after.end(), name) == after.end()) order.push_back(name);
    }
  }
  EXPECT_THAT(order, ElementsAre("b-unscheduled-new", "a-unscheduled-old", "c-pending",
                                 "d-not-ready", "f-ready-short"));
  EXPECT_THAT(Names(c.LivePods()), ElementsAre("e-ready-long"));
  // Bound pods are deleted gracefully: they remain, terminating.
  EXPECT_TRUE(c.Pod("f-ready-short")->metadata.deletion_timestamp.has_value());
  EXPECT_EQ(c.Pod("a-unscheduled-old"), nullptr);
  EXPECT_EQ(c.Rc("web")->status.replicas, 1);
}

TEST(ReplicationManagerTest, ScaleDownTiesAreBrokenByName) {
  TestCluster c;
  for (const char* name : {"web-b", "web-c", "web-a"})
    c.CreatePod(MakePod(name, kWeb));
  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 1, kWeb)).ok());
  c.clock.RunUntilIdle();
  EXPECT_THAT(Names(c.Pods()), ElementsAre("web-c"));
}

TEST(ReplicationManagerTest, AdoptsMatchingOrphansAndReleasesPodsThatStopMatching) {
  TestCluster c;
  c.CreatePod(MakePod("orphan", kWeb));
  api::Pod foreign = MakePod("foreign", kWeb);
  api::OwnerReference other;
  other.api_version = "v1";
  other.kind = "ReplicationController";
  other.name = "other";
  other.uid = "uid-of-another-controller";
  other.controller = true;
  foreign.metadata.owner_references.push_back(other);
  c.CreatePod(foreign);

  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  auto rc = c.local.Create(MakeRc("web", 2, kWeb));
  ASSERT_TRUE(rc.ok());
  c.clock.RunUntilIdle();

  EXPECT_EQ(rm.stats().adopted, 1u);
  EXPECT_EQ(c.api.creates, 1);
  auto orphan = c.Pod("orphan");
  ASSERT_EQ(orphan->metadata.owner_references.size(), 1u);
  EXPECT_EQ(orphan->metadata.owner_references[0].uid, (*rc)->metadata.uid);
  EXPECT_THAT(c.Pod("foreign")->metadata.owner_references, ElementsAre(other));

  // Relabel the adopted pod: it is released and replaced.
  api::Pod relabeled = *orphan;
  relabeled.metadata.labels = {{"app", "debug"}};
  ASSERT_TRUE(c.local.Update(relabeled).ok());
  c.clock.RunUntilIdle();
  EXPECT_EQ(rm.stats().released, 1u);
  EXPECT_TRUE(c.Pod("orphan")->metadata.owner_references.empty());
  EXPECT_EQ(c.api.creates, 2);
  EXPECT_EQ(c.Pods().size(), 4u);
  EXPECT_EQ(c.Rc("web")->status.replicas, 2);
}

TEST(ReplicationManagerTest, StatusCountsReadyAndAvailablePodsAndIsWrittenOnlyWhenChanged) {
  TestCluster c;
  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  api::ReplicationController spec = MakeRc("web", 2, kWeb);
  spec.spec.min_ready_seconds = 10;
  ASSERT_TRUE(c.local.Create(spec).ok());
  c.clock.RunUntilIdle();
  auto pods = c.Pods();
  ASSERT_EQ(pods.size(), 2u);
  Time ready_at = c.clock.Now();
  for (const auto& pod : pods) {
    c.Bind(pod->metadata.name, "n1");
    c.SetPodStatus(pod->metadata.name, api::kPodRunning, true);
  }
  c.clock.RunUntilIdle();
  auto status = c.Rc("web")->status;
  EXPECT_EQ(status.ready_replicas, 2);
  EXPECT_EQ(status.available_replicas, 0);

  c.clock.AdvanceTo(ready_at + seconds(10) - Duration(1));
  EXPECT_EQ(c.Rc("web")->status.available_replicas, 0);
  c.clock.Advance(Duration(1));
  EXPECT_EQ(c.Rc("web")->status.available_replicas, 2);

  // Steady state: syncing again writes nothing.
  uint64_t writes = rm.stats().status_updates;
  EXPECT_TRUE(rm.Sync("default/web").ok());
  EXPECT_EQ(rm.stats().status_updates, writes);

  // A spec change bumps the generation; the status records it.
  c.Scale("web", 3);
  c.clock.RunUntilIdle();
  status = c.Rc("web")->status;
  EXPECT_EQ(status.observed_generation, 2);
  EXPECT_EQ(status.replicas, 3);
  EXPECT_EQ(status.ready_replicas, 2);
  EXPECT_EQ(status.available_replicas, 2);

  // A pod that loses a template label is fully labelled no more (the
  // selector still matches it).
  api::ReplicationController rc = *c.Rc("web");
  rc.spec.template_->metadata.labels["tier"] = "front";
  ASSERT_TRUE(c.local.Update(rc).ok());
  c.clock.RunUntilIdle();
  EXPECT_EQ(c.Rc("web")->status.fully_labeled_replicas, 0);
  EXPECT_EQ(c.Rc("web")->status.observed_generation, 3);
}

TEST(ReplicationManagerTest, FinishedAndTerminatingPodsAreReplaced) {
  TestCluster c;
  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 2, kWeb)).ok());
  c.clock.RunUntilIdle();
  auto pods = c.Pods();
  ASSERT_EQ(pods.size(), 2u);

  c.SetPodStatus(pods[0]->metadata.name, api::kPodFailed, false);
  c.clock.RunUntilIdle();
  EXPECT_EQ(c.api.creates, 3);

  c.Bind(pods[1]->metadata.name, "n1");
  ASSERT_TRUE(c.local.Delete(api::Kind::kPod, "default", pods[1]->metadata.name).ok());
  c.clock.RunUntilIdle();
  EXPECT_TRUE(c.Pod(pods[1]->metadata.name)->metadata.deletion_timestamp.has_value());
  EXPECT_EQ(c.api.creates, 4);
  EXPECT_EQ(c.Pods().size(), 4u);
  EXPECT_EQ(c.Rc("web")->status.replicas, 2);
}

TEST(ReplicationManagerTest, DeletedControllerIsForgotten) {
  TestCluster c;
  ReplicationManager rm(c.api, c.clock);
  ASSERT_TRUE(rm.Start().ok());
  ASSERT_TRUE(c.local.Create(MakeRc("web", 2, kWeb)).ok());
  c.clock.RunUntilIdle();
  ASSERT_TRUE(c.local.Delete(api::Kind::kReplicationController, "default", "web").ok());
  c.clock.RunUntilIdle();
  // Pods are left to garbage collection; nothing is created or deleted.
  EXPECT_EQ(c.Pods().size(), 2u);
  EXPECT_EQ(c.api.creates, 2);
  EXPECT_EQ(c.api.deletes, 0);
  EXPECT_TRUE(rm.expectations().Satisfied("default/web"));
}

}  // namespace
}  // namespace navarch::controllers
