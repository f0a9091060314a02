#include "core/controllers/work_queue.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/controllers/controller_utils.h"
#include "core/controllers/expectations.h"
#include "core/runtime/manual_clock.h"

namespace navarch::controllers {
namespace {

using ::testing::ElementsAre;

struct Recorder {
  runtime::ManualClock clock;
  std::vector<std::string> log;
  std::vector<Duration> at;  // sync times relative to the start
  Time start = clock.Now();
};

TEST(WorkQueueTest, DeduplicatesAndNeverSyncsInline) {
  Recorder r;
  WorkQueue q(r.clock, [&](const std::string& k) {
    r.log.push_back(k);
    return Status::Ok();
  });
  q.Add("a");
  q.Add("b");
  q.Add("a");
  EXPECT_TRUE(r.log.empty());
  EXPECT_EQ(q.Len(), 2u);
  r.clock.RunUntilIdle();
  EXPECT_THAT(r.log, ElementsAre("a", "b"));
  EXPECT_EQ(q.stats().adds, 2u);
  EXPECT_EQ(q.stats().syncs, 2u);
}

TEST(WorkQueueTest, KeyAddedDuringItsSyncRunsAgainAfterwardsNeverReentrantly) {
  Recorder r;
  bool in_sync = false;
  WorkQueue* queue = nullptr;
  WorkQueue q(r.clock, [&](const std::string& k) {
    EXPECT_FALSE(in_sync) << "re-entrant sync of " << k;
    in_sync = true;
    r.log.push_back(k);
    if (r.log.size() == 1) {
      queue->Add("a");
      queue->Add("b");
    }
    in_sync = false;
    return Status::Ok();
  });
  queue = &q;
  q.Add("a");
  r.clock.RunUntilIdle();
  EXPECT_THAT(r.log, ElementsAre("a", "b", "a"));
}

TEST(WorkQueueTest, ABatchYieldsToOtherCallbacksDueNow) {
  Recorder r;
  WorkQueueOptions o;
  o.batch = 2;
  WorkQueue q(
      r.clock,
      [&](const std::string& k) {
        r.log.push_back(k);
        return Status::Ok();
      },
      o);
  for (const char* k : {"k1", "k2", "k3", "k4", "k5"})
    q.Add(k);
  r.clock.Post([&] { r.log.push_back("other"); });
  r.clock.RunUntilIdle();
  EXPECT_THAT(r.log, ElementsAre("k1", "k2", "other", "k3", "k4", "k5"));
  EXPECT_EQ(q.stats().turns, 3u);
}

TEST(WorkQueueTest, FailedSyncsBackOffExponentiallyPerKeyUpToTheCap) {
  Recorder r;
  WorkQueueOptions o;
  o.base_backoff = seconds(1);
  o.max_backoff = seconds(4);
  int calls = 0;
  WorkQueue q(
      r.clock,
      [&](const std::string&) {
        r.at.push_back(r.clock.Now() - r.start);
        ++calls;
        return calls < 6 ? Unavailable("store down") : Status::Ok();
      },
      o);
  q.Add("a");
  r.clock.AdvanceTo(r.start + seconds(60));
  EXPECT_THAT(
      r.at, ElementsAre(seconds(0), seconds(1), seconds(3), seconds(7), seconds(11), seconds(15)));
  EXPECT_EQ(q.Failures("a"), 0);  // the last sync succeeded
  EXPECT_EQ(q.stats().errors, 5u);
  EXPECT_EQ(q.stats().last_error.ToString(), "unavailable: a: store down");
}

TEST(WorkQueueTest, AddAfterCollapsesToTheEarliestDelay) {
  Recorder r;
  WorkQueue q(r.clock, [&](const std::string& k) {
    r.log.push_back(k);
    r.at.push_back(r.clock.Now() - r.start);
    return Status::Ok();
  });
  q.AddAfter("a", seconds(10));
  q.AddAfter("a", seconds(5));
  q.AddAfter("a", seconds(7));
  EXPECT_EQ(q.Delayed(), 1u);
  r.clock.Advance(seconds(20));
  EXPECT_THAT(r.at, ElementsAre(seconds(5)));
  EXPECT_EQ(q.Delayed(), 0u);
}

TEST(WorkQueueTest, ShutDownStopsEverything) {
  Recorder r;
  WorkQueue q(r.clock, [&](const std::string& k) {
    r.log.push_back(k);
    return Status::Ok();
  });
  q.Add("a");
  q.AddAfter("b", seconds(1));
  q.ShutDown();
  q.Add("c");
  r.clock.Advance(seconds(2));
  EXPECT_TRUE(r.log.empty());
}

TEST(ExpectationsTest, SatisfiedWhenObservedOrExpired) {
  runtime::ManualClock clock;
  Expectations e(clock, seconds(30));
  EXPECT_TRUE(e.Satisfied("rc"));
  e.Expect("rc", 2, {"ns/p1"});
  EXPECT_FALSE(e.Satisfied("rc"));
  e.CreationObserved("rc");
  e.CreationObserved("rc");
  e.CreationObserved("rc");  // extra adds do not go negative
  EXPECT_EQ(e.PendingCreates("rc"), 0);
  EXPECT_FALSE(e.Satisfied("rc"));
  e.DeletionObserved("rc", "ns/other");
  EXPECT_EQ(e.PendingDeletes("rc"), 1);
  e.DeletionObserved("rc", "ns/p1");
  e.DeletionObserved("rc", "ns/p1");  // seen twice (deletionTimestamp, then gone)
  EXPECT_TRUE(e.Satisfied("rc"));

  e.Expect("rc", 1, {});
  EXPECT_EQ(e.ExpiresAt("rc"), clock.Now() + seconds(30));
  clock.Advance(seconds(30) - Duration(1));
  EXPECT_FALSE(e.Satisfied("rc"));
  clock.Advance(Duration(1));
  EXPECT_TRUE(e.Satisfied("rc"));
}

api::Pod RankedPod(std::string name, std::string node, std::string_view phase,
                   std::optional<Time> ready_since, Time created) {
  api::Pod p;
  p.metadata.name = std::move(name);
  p.metadata.creation_timestamp = created;
  p.spec.Mutable().node_name = std::move(node);
  p.status.phase = std::string(phase);
  api::PodCondition c;
  c.type = "Ready";
  c.status = ready_since ? "True" : "False";
  c.last_transition_time = ready_since.value_or(Time());
  p.status.conditions.push_back(c);
  return p;
}

TEST(DeleteBeforeTest, LeastValuableFirst) {
  Time t = Time::FromUnixSeconds(1000);
  std::vector<api::Pod> pods = {
      RankedPod("ready-long", "n", api::kPodRunning, t, t),
      RankedPod("ready-short", "n", api::kPodRunning, t + seconds(5), t),
      RankedPod("unknown", "n", api::kPodUnknown, std::nullopt, t),
      RankedPod("not-ready-old", "n", api::kPodRunning, std::nullopt, t),
      RankedPod("not-ready-new", "n", api::kPodRunning, std::nullopt, t + seconds(1)),
      RankedPod("pending", "n", api::kPodPending, std::nullopt, t),
      RankedPod("unscheduled-b", "", api::kPodPending, std::nullopt, t),
      RankedPod("unscheduled-a", "", api::kPodPending, std::nullopt, t),
  };
  std::sort(pods.begin(), pods.end(), DeleteBefore);
  std::vector<std::string> names;
  for (const auto& p : pods)
    names.push_back(p.metadata.name);
  EXPECT_THAT(names, ElementsAre("unscheduled-a", "unscheduled-b", "pending", "unknown",
                                 "not-ready-new", "not-ready-old", "ready-short", "ready-long"));
}

}  // namespace
}  // namespace navarch::controllers
