// ApiEventRecorder: client-go's event semantics — one Event per distinct
// event, repeats counted into it, similar ones combined past ten, a per
// object spam filter, names from the object and the time.
#include "core/client/event_recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/client/local_api.h"
#include "tests/unit/client/client_test_util.h"

namespace navarch::client {
namespace {

using ::testing::HasSubstr;
using testing::MakePod;

class EventRecorderTest : public testing::ApiTest {
 protected:
  EventRecorderTest() : testing::ApiTest({.require_namespace = false}) {}
  std::vector<std::shared_ptr<const api::Event>> Events() {
    auto list = api_.List<api::Event>({});
    EXPECT_TRUE(list.ok());
    return list.ok() ? list->items : std::vector<std::shared_ptr<const api::Event>>{};
  }
  ApiEventRecorder recorder_{api_, clock_, {.component = "kubelet", .host = "node-1"}};
};

TEST_F(EventRecorderTest, AnEventNamesItsObjectSourceAndTime) {
  auto pod = MustCreate(MakePod("default", "web"));
  const Time t = clock_.Now();
  recorder_.Record(*pod, api::kEventNormal, "Started", "Started container c", "spec.containers{c}");
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  const api::Event& ev = *events[0];
  EXPECT_EQ(ev.metadata.namespace_, "default");
  EXPECT_THAT(ev.metadata.name, ::testing::StartsWith("web."));
  EXPECT_EQ(ev.involved_object.kind, "Pod");
  EXPECT_EQ(ev.involved_object.name, "web");
  EXPECT_EQ(ev.involved_object.uid, pod->metadata.uid);
  EXPECT_EQ(ev.involved_object.field_path, "spec.containers{c}");
  EXPECT_EQ(ev.reason, "Started");
  EXPECT_EQ(ev.type, "Normal");
  EXPECT_EQ(ev.source.component, "kubelet");
  EXPECT_EQ(ev.source.host, "node-1");
  EXPECT_EQ(ev.count, 1);
  EXPECT_EQ(ev.first_timestamp, t);
  EXPECT_EQ(ev.last_timestamp, t);
}

TEST_F(EventRecorderTest, RepeatsAreCountedIntoOneEvent) {
  auto pod = MustCreate(MakePod("default", "web"));
  const Time t0 = clock_.Now();
  for (int i = 0; i < 4; ++i) {
    recorder_.Record(*pod, api::kEventWarning, "BackOff", "Back-off restarting failed container");
    clock_.Advance(seconds(10));
  }
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->count, 4);
  EXPECT_EQ(events[0]->first_timestamp, t0);
  EXPECT_EQ(events[0]->last_timestamp, t0 + seconds(30));
  EXPECT_EQ(recorder_.stats().created, 1u);
  EXPECT_EQ(recorder_.stats().updated, 3u);
}

// The caches keep at least their `cache_size` most recent entries: a repeat
// of a recent event is counted into its Event; one pushed out by many newer
// ones gets a new Event.
TEST_F(EventRecorderTest, TheCachesKeepTheMostRecentEntries) {
  ApiEventRecorder small(api_, clock_, {.component = "kubelet", .cache_size = 3});
  std::vector<std::shared_ptr<const api::Pod>> pods;
  for (int i = 0; i < 12; ++i)
    pods.push_back(MustCreate(MakePod("default", "p" + std::to_string(i))));
  for (const auto& pod : pods)
    small.Record(*pod, api::kEventNormal, "Started", "Started container c");
  EXPECT_EQ(small.stats().created, 12u);
  small.Record(*pods[11], api::kEventNormal, "Started", "Started container c");
  EXPECT_EQ(small.stats().updated, 1u);  // recent: counted
  small.Record(*pods[0], api::kEventNormal, "Started", "Started container c");
  EXPECT_EQ(small.stats().created, 13u);  // forgotten: a new Event
  EXPECT_EQ(Events().size(), 13u);
}

TEST_F(EventRecorderTest, TwoEventsAtTheSameInstantGetTwoNames) {
  auto pod = MustCreate(MakePod("default", "web"));
  recorder_.Record(*pod, api::kEventNormal, "Pulled", "already present");
  recorder_.Record(*pod, api::kEventNormal, "Created", "Created container c");
  EXPECT_EQ(Events().size(), 2u);
}

TEST_F(EventRecorderTest, MoreThanTenSimilarEventsAreCombined) {
  auto pod = MustCreate(MakePod("default", "web"));
  for (int i = 0; i < 14; ++i)
    recorder_.Record(*pod, api::kEventWarning, "Unhealthy", "probe failed: " + std::to_string(i));
  auto events = Events();
  ASSERT_EQ(events.size(), 11u);  // ten distinct, then one combined
  int combined = 0;
  for (const auto& e : events) {
    if (e->message.starts_with("(combined from similar events): ")) {
      ++combined;
      EXPECT_EQ(e->count, 4);
      EXPECT_THAT(e->message, HasSubstr("probe failed: 13"));
    }
  }
  EXPECT_EQ(combined, 1);
}

TEST_F(EventRecorderTest, TheSpamFilterDropsBeyondTheBurstAndRefills) {
  auto pod = MustCreate(MakePod("default", "web"));
  for (int i = 0; i < 30; ++i)
    recorder_.Record(*pod, api::kEventNormal, "R" + std::to_string(i), "m");
  EXPECT_EQ(recorder_.stats().dropped, 5u);
  clock_.Advance(minutes(5));  // one token back
  recorder_.Record(*pod, api::kEventNormal, "Late", "m");
  recorder_.Record(*pod, api::kEventNormal, "TooLate", "m");
  EXPECT_EQ(recorder_.stats().dropped, 6u);
  EXPECT_EQ(Events().size(), 26u);
}

TEST_F(EventRecorderTest, ACanceledWriteIsDroppedNotRetriedForever) {
  api::Node node;  // cluster-scoped: the Event goes to "default"
  node.metadata.name = "n1";
  ASSERT_TRUE(api_.Create(node).ok());
  auto stored = api_.Get<api::Node>("", "n1");
  recorder_.Record(**stored, api::kEventNormal, "NodeNotReady",
                   "Node n1 status is now: NodeNotReady");
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]->metadata.namespace_, "default");
  EXPECT_EQ(events[0]->involved_object.kind, "Node");
}

}  // namespace
}  // namespace navarch::client

namespace navarch::client {
namespace {

// Events expire an hour after their last write (kube-apiserver's
// --event-ttl): an Event written again lives on from then.
TEST_F(EventRecorderTest, EventsExpireAnHourAfterTheirLastWrite) {
  auto pod = MustCreate(testing::MakePod("default", "web"));
  const Time t0 = clock_.Now();
  recorder_.Record(*pod, api::kEventNormal, "Once", "m");
  recorder_.Record(*pod, api::kEventNormal, "Again", "m");
  clock_.AdvanceTo(t0 + minutes(30));
  recorder_.Record(*pod, api::kEventNormal, "Again", "m");  // written again at +30m
  clock_.AdvanceTo(t0 + minutes(60) - Duration(1));
  EXPECT_EQ(Events().size(), 2u);
  clock_.AdvanceTo(t0 + minutes(60) + seconds(1));  // swept within a second
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(Events()[0]->reason, "Again");
  clock_.AdvanceTo(t0 + minutes(90) + seconds(1));
  EXPECT_TRUE(Events().empty());
}

}  // namespace
}  // namespace navarch::client
