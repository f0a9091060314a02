// Watch semantics of LocalApi: filtering, ADDED/DELETED on matching
// changes, replay, compaction, latency, and the indexed fan-out.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/client/local_api.h"
#include "tests/unit/client/client_test_util.h"

namespace navarch::client {
namespace {

using api::Pod;
using ::testing::ElementsAre;
using testing::MakeNamespace;
using testing::MakePod;
using testing::Recorder;

class WatchTest : public testing::ApiTest {
 protected:
  std::unique_ptr<WatchHandle> MustWatch(WatchOptions options, Recorder& rec,
                                         api::Kind kind = api::Kind::kPod) {
    auto w = api_.Watch(kind, options, rec.Handler());
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(*w) : nullptr;
  }
  void Bind(const std::string& name, const std::string& node) {
    auto pod = api_.Get(api::Kind::kPod, "default", name);
    ASSERT_TRUE(pod.ok());
    ASSERT_TRUE(api_.Bind(*pod, node).ok());
  }
};

TEST_F(WatchTest, EventsArriveOnTheLoopNeverInline) {
  Recorder rec;
  auto w = MustWatch({}, rec);
  MustCreate(MakePod("default", "a"));
  EXPECT_TRUE(rec.events.empty());
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/a"));
}

TEST_F(WatchTest, AddedModifiedDeletedInRevisionOrder) {
  Recorder rec;
  auto w = MustWatch({}, rec);
  auto a = MustCreate(MakePod("default", "a"));
  MustCreate(MakePod("default", "b"));
  Pod mod = *a;
  mod.metadata.labels["x"] = "y";
  ASSERT_TRUE(api_.Update(mod).ok());
  ASSERT_TRUE(api_.Delete<Pod>("default", "b").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/a", "ADDED default/b", "MODIFIED default/a",
                                         "DELETED default/b"));
  // The modification carries the previous state; the deletion the revision of the delete.
  ASSERT_TRUE(rec.events[2].previous);
  EXPECT_EQ(rec.events[2].previous->metadata.labels.count("x"), 0u);
  EXPECT_EQ(rec.events[3].object->metadata.resource_version,
            std::to_string(store_.CurrentRevision()));
  int64_t last = 0;
  for (const auto& ev : rec.events) {
    int64_t rv = std::stoll(ev.object->metadata.resource_version);
    EXPECT_GT(rv, last);
    last = rv;
  }
}

TEST_F(WatchTest, FiltersByNamespace) {
  ASSERT_TRUE(api_.Create(MakeNamespace("team-a")).ok());
  Recorder rec;
  auto w = MustWatch({.namespace_ = "team-a"}, rec);
  MustCreate(MakePod("default", "x"));
  MustCreate(MakePod("team-a", "y"));
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED team-a/y"));
}

TEST_F(WatchTest, SelectorEntryAndExitAreAddedAndDeleted) {
  Recorder rec;
  auto w = MustWatch({.label_selector = *api::LabelSelector::Parse("app=web")}, rec);
  auto a = MustCreate(MakePod("default", "a", {{"app", "db"}}));
  Pod p = *a;
  p.metadata.labels["app"] = "web";  // starts matching
  auto v2 = api_.Update(p);
  ASSERT_TRUE(v2.ok());
  p = **v2;
  p.metadata.labels["tier"] = "front";  // still matching
  auto v3 = api_.Update(p);
  ASSERT_TRUE(v3.ok());
  p = **v3;
  p.metadata.labels["app"] = "db";  // stops matching
  ASSERT_TRUE(api_.Update(p).ok());
  ASSERT_TRUE(api_.Delete<Pod>("default", "a").ok());  // not seen: no longer matching
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(),
              ElementsAre("ADDED default/a", "MODIFIED default/a", "DELETED default/a"));
  EXPECT_TRUE(rec.events[0].previous);  // the state before it matched
}

TEST_F(WatchTest, NodeWatchSeesAPodWhenItIsBoundAndLosesItWhenDeleted) {
  Recorder n1, n2, unbound;
  auto w1 = MustWatch({.node_name = "n1"}, n1);
  auto w2 = MustWatch({.node_name = "n2"}, n2);
  auto wu = MustWatch({.node_name = ""}, unbound);
  MustCreate(MakePod("default", "a"));
  clock_.RunUntilIdle();
  EXPECT_THAT(unbound.Summary(), ElementsAre("ADDED default/a"));
  EXPECT_TRUE(n1.events.empty());

  Bind("a", "n1");
  clock_.RunUntilIdle();
  EXPECT_THAT(n1.Summary(), ElementsAre("ADDED default/a"));
  EXPECT_THAT(unbound.Summary(), ElementsAre("ADDED default/a", "DELETED default/a"));
  EXPECT_TRUE(n2.events.empty());

  // A bound pod is never moved (the API refuses).
  auto pod = api_.Get(api::Kind::kPod, "default", "a");
  ASSERT_TRUE(pod.ok());
  EXPECT_EQ(api_.Bind(*pod, "n2").code(), Code::kConflict);

  ASSERT_TRUE(api_.Delete<Pod>("default", "a", {.grace_period_seconds = 0}).ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(n1.Summary(), ElementsAre("ADDED default/a", "DELETED default/a"));
  EXPECT_TRUE(n2.events.empty());
}

TEST_F(WatchTest, GracefulDeletionIsAModificationThenADeletion) {
  MustCreate(MakePod("default", "a", {}, "n1"));
  Recorder rec;
  auto w = MustWatch({.node_name = "n1"}, rec);
  ASSERT_TRUE(api_.Delete<Pod>("default", "a").ok());
  clock_.RunUntilIdle();
  ASSERT_THAT(rec.Summary(), ElementsAre("MODIFIED default/a"));
  EXPECT_TRUE(rec.events[0].object->metadata.deletion_timestamp);
  ASSERT_TRUE(api_.Delete<Pod>("default", "a", {.grace_period_seconds = 0}).ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("MODIFIED default/a", "DELETED default/a"));
}

TEST_F(WatchTest, FieldSelectorsApplyToWatches) {
  Recorder rec;
  auto w = MustWatch({.field_selector = *FieldSelector::Parse("metadata.name=b")}, rec);
  MustCreate(MakePod("default", "a"));
  MustCreate(MakePod("default", "b"));
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/b"));
}

TEST_F(WatchTest, StoppingAWatchStopsDelivery) {
  Recorder rec;
  auto w = MustWatch({}, rec);
  MustCreate(MakePod("default", "a"));
  w.reset();  // queued but not delivered yet
  MustCreate(MakePod("default", "b"));
  clock_.RunUntilIdle();
  EXPECT_TRUE(rec.events.empty());
}

TEST_F(WatchTest, AHandlerMayStopOtherWatchesDuringDelivery) {
  Recorder second;
  std::unique_ptr<WatchHandle> w2;
  int first_calls = 0;
  auto w1 = api_.Watch(api::Kind::kPod, {}, [&](const WatchEvent&) {
    ++first_calls;
    w2.reset();
  });
  ASSERT_TRUE(w1.ok());
  w2 = MustWatch({}, second);
  MustCreate(MakePod("default", "a"));
  clock_.RunUntilIdle();
  EXPECT_EQ(first_calls, 1);
  EXPECT_TRUE(second.events.empty());
}

TEST_F(WatchTest, WatchFromAListContinuesWithoutGaps) {
  MustCreate(MakePod("default", "a"));
  Recorder early;
  auto we = MustWatch({}, early);  // makes the shared watcher exist
  auto list = api_.List<Pod>();
  ASSERT_TRUE(list.ok());
  MustCreate(MakePod("default", "b"));
  Recorder rec;
  auto w = MustWatch({.resource_version = list->resource_version}, rec);
  MustCreate(MakePod("default", "c"));
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/b", "ADDED default/c"));
  EXPECT_EQ(api_.StoreWatcherCount(), 1u);  // served by the shared watcher
}

TEST_F(WatchTest, WatchFromAnOldRevisionReplaysFromTheStore) {
  Recorder live;
  auto wl = MustWatch({}, live);
  auto a = MustCreate(MakePod("default", "a"));
  MustCreate(MakePod("default", "b"));
  MustCreate(MakePod("default", "c"));
  clock_.RunUntilIdle();  // the shared watcher is now past a's revision
  Recorder rec;
  auto w = MustWatch({.resource_version = a->metadata.resource_version}, rec);
  EXPECT_EQ(api_.StoreWatcherCount(), 2u);
  MustCreate(MakePod("default", "d"));
  clock_.RunUntilIdle();
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/b", "ADDED default/c", "ADDED default/d"));
  w.reset();
  EXPECT_EQ(api_.StoreWatcherCount(), 1u);
}

TEST_F(WatchTest, WatchFromACompactedRevisionGetsACompactedError) {
  Recorder live;
  auto wl = MustWatch({}, live);
  auto a = MustCreate(MakePod("default", "a"));
  MustCreate(MakePod("default", "b"));
  clock_.RunUntilIdle();
  ASSERT_TRUE(store_.Compact(store_.CurrentRevision()).ok());
  Recorder rec;
  auto w = MustWatch({.resource_version = "1"}, rec);
  EXPECT_TRUE(rec.events.empty());  // errors arrive on the loop too
  clock_.RunUntilIdle();
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].type, WatchEvent::Type::kError);
  EXPECT_EQ(rec.events[0].error.code(), Code::kCompacted);
  MustCreate(MakePod("default", "c"));
  clock_.RunUntilIdle();
  EXPECT_EQ(rec.events.size(), 1u);  // nothing after the error
}

TEST_F(WatchTest, BadOptionsAreRejectedUpFront) {
  Recorder rec;
  EXPECT_EQ(api_.Watch(api::Kind::kNode, {.node_name = "n1"}, rec.Handler()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(api_.Watch(api::Kind::kPod, {.resource_version = "abc"}, rec.Handler()).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(api_.Watch(api::Kind::kPod, {}, nullptr).code(), Code::kInvalidArgument);
}

TEST_F(WatchTest, KindsAreSeparate) {
  Recorder pods, nodes;
  auto wp = MustWatch({}, pods);
  auto wn = MustWatch({}, nodes, api::Kind::kNode);
  api::Node node;
  node.metadata.name = "n1";
  ASSERT_TRUE(api_.Create(node).ok());
  MustCreate(MakePod("default", "a"));
  clock_.RunUntilIdle();
  EXPECT_THAT(nodes.Summary(), ElementsAre("ADDED n1"));
  EXPECT_THAT(pods.Summary(), ElementsAre("ADDED default/a"));
}

class DelayedWatchTest : public testing::ApiTest {
 protected:
  DelayedWatchTest() : ApiTest(LocalApiOptions{.watch_delay = milliseconds(250)}) {}
};

TEST_F(DelayedWatchTest, EventsArriveAfterTheSimulatedLatency) {
  Recorder rec;
  auto w = api_.Watch(api::Kind::kPod, {}, rec.Handler());
  ASSERT_TRUE(w.ok());
  MustCreate(MakePod("default", "a"));
  clock_.Advance(milliseconds(249));
  EXPECT_TRUE(rec.events.empty());
  MustCreate(MakePod("default", "b"));
  clock_.Advance(milliseconds(1));
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/a"));
  clock_.Advance(milliseconds(250));
  EXPECT_THAT(rec.Summary(), ElementsAre("ADDED default/a", "ADDED default/b"));
}

// Thousands of kubelets each watching their node: a pod change must reach
// only the watchers of the nodes involved, through one store watcher.
TEST_F(WatchTest, ThousandsOfNodeWatchersOnlyMatchingHandlersAreCalled) {
  constexpr int kNodes = 2000;
  std::vector<int> calls(kNodes, 0);
  std::vector<std::unique_ptr<WatchHandle>> handles;
  for (int i = 0; i < kNodes; ++i) {
    auto w = api_.Watch(api::Kind::kPod, {.node_name = "n" + std::to_string(i)},
                        [&calls, i](const WatchEvent&) { ++calls[i]; });
    ASSERT_TRUE(w.ok());
    handles.push_back(std::move(*w));
  }
  int unbound_calls = 0;
  auto wu =
      api_.Watch(api::Kind::kPod, {.node_name = ""}, [&](const WatchEvent&) { ++unbound_calls; });
  ASSERT_TRUE(wu.ok());
  EXPECT_EQ(api_.StoreWatcherCount(), 1u);

  // 10 pods bound at creation to nodes 0, 7, 14, ...; 5 created unbound then
  // bound to node 1999.
  for (int p = 0; p < 10; ++p) {
    MustCreate(MakePod("default", "bound-" + std::to_string(p), {}, "n" + std::to_string(p * 7)));
  }
  for (int p = 0; p < 5; ++p)
    MustCreate(MakePod("default", "late-" + std::to_string(p)));
  for (int p = 0; p < 5; ++p)
    Bind("late-" + std::to_string(p), "n1999");
  clock_.RunUntilIdle();

  int total = 0;
  for (int i = 0; i < kNodes; ++i) {
    int expected = (i % 7 == 0 && i / 7 < 10) ? 1 : (i == 1999 ? 5 : 0);
    EXPECT_EQ(calls[i], expected) << "node n" << i;
    total += calls[i];
  }
  EXPECT_EQ(total, 15);
  EXPECT_EQ(unbound_calls, 10);  // 5 ADDED + 5 DELETED on bind
}

}  // namespace
}  // namespace navarch::client
