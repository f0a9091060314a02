// WatchFeeds, the one watch fan-out behind LocalApi::Watch and the API
// server's HTTP watch streams: indexed subscriptions, one store watcher per
// kind for a pool of LocalApis, subscriptions made from other threads while
// the loop dispatches, replays, compaction and shutdown.
#include "core/client/watch_feed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "backends/realtime/asio_clock.h"
#include "core/client/local_api.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "tests/unit/client/client_test_util.h"

namespace navarch::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakePod;
using testing::Recorder;

struct Fixture {
  store::MemoryStore store;
  runtime::ManualClock clock;
  std::shared_ptr<WatchFeeds> feeds = std::make_shared<WatchFeeds>(store, clock);
  LocalApi api{store, clock, {.require_namespace = false, .watch_feeds = feeds}};

  std::unique_ptr<WatchHandle> MustWatch(WatchOptions o, Recorder& rec) {
    auto w = api.Watch(api::Kind::kPod, o, rec.Handler());
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(*w) : nullptr;
  }
};

TEST(WatchFeedTest, NamespaceNodeAndNodeFieldSubscriptionsSeeOnlyTheirEvents) {
  Fixture f;
  Recorder in_a, in_b, all, on_n1, on_n1_by_field;
  WatchOptions a;
  a.namespace_ = "a";
  WatchOptions b;
  b.namespace_ = "b";
  WatchOptions n1;
  n1.node_name = "n1";
  WatchOptions n1_field;
  n1_field.field_selector.Equals(FieldSelector::Field::kNodeName, "n1");
  auto wa = f.MustWatch(a, in_a);
  auto wb = f.MustWatch(b, in_b);
  auto wall = f.MustWatch({}, all);
  auto wn = f.MustWatch(n1, on_n1);
  auto wf = f.MustWatch(n1_field, on_n1_by_field);
  ASSERT_TRUE(f.api.Create(MakePod("a", "a1")).ok());
  ASSERT_TRUE(f.api.Create(MakePod("b", "b1")).ok());
  auto a2 = f.api.Create(MakePod("a", "a2"));
  ASSERT_TRUE(a2.ok());
  ASSERT_TRUE(f.api.Bind(*a2, "n1").ok());
  f.clock.RunUntilIdle();
  EXPECT_THAT(in_a.Summary(), ElementsAre("ADDED a/a1", "ADDED a/a2", "MODIFIED a/a2"));
  EXPECT_THAT(in_b.Summary(), ElementsAre("ADDED b/b1"));
  EXPECT_EQ(all.events.size(), 4u);
  // Binding moves the pod into the node's view: ADDED there.
  EXPECT_THAT(on_n1.Summary(), ElementsAre("ADDED a/a2"));
  EXPECT_THAT(on_n1_by_field.Summary(), ElementsAre("ADDED a/a2"));
  wa.reset();
  ASSERT_TRUE(f.api.Create(MakePod("a", "a3")).ok());
  f.clock.RunUntilIdle();
  EXPECT_EQ(in_a.events.size(), 3u);
  EXPECT_EQ(all.events.size(), 5u);
  EXPECT_EQ(f.feeds->SubscriptionCount(), 4u);
}

TEST(WatchFeedTest, APoolOfLocalApisSharesOneStoreWatcherPerKind) {
  Fixture f;
  LocalApi other(f.store, f.clock, {.require_namespace = false, .watch_feeds = f.feeds});
  Recorder r1, r2;
  auto w1 = f.MustWatch({}, r1);
  auto w2 = other.Watch(api::Kind::kPod, {}, r2.Handler());
  ASSERT_TRUE(w2.ok());
  ASSERT_TRUE(other.Create(MakePod("default", "p")).ok());
  f.clock.RunUntilIdle();
  EXPECT_THAT(r1.Summary(), ElementsAre("ADDED default/p"));
  EXPECT_THAT(r2.Summary(), ElementsAre("ADDED default/p"));
  EXPECT_EQ(f.feeds->StoreWatcherCount(), 1u);
  EXPECT_EQ(f.api.StoreWatcherCount(), 1u);
  // Both handles report how far the shared feed has come.
  EXPECT_EQ((*w2)->Delivered(), static_cast<uint64_t>(f.store.CurrentRevision()));
  EXPECT_EQ(w1->Delivered(), (*w2)->Delivered());
}

TEST(WatchFeedTest, EveryWatcherOfOneEventIsHandedTheSameObject) {
  Fixture f;
  Recorder r1, r2, r3;
  auto w1 = f.MustWatch({}, r1);
  auto w2 = f.MustWatch({}, r2);
  WatchOptions ns;
  ns.namespace_ = "default";
  auto w3 = f.MustWatch(ns, r3);
  ASSERT_TRUE(f.api.Create(MakePod("default", "p")).ok());
  ASSERT_TRUE(
      f.api.Delete(api::Kind::kPod, "default", "p", DeleteOptions{.grace_period_seconds = 0}).ok());
  f.clock.RunUntilIdle();
  ASSERT_EQ(r1.events.size(), r2.events.size());
  ASSERT_EQ(r1.events.size(), r3.events.size());
  for (size_t i = 0; i < r1.events.size(); ++i) {
    EXPECT_EQ(r1.events[i].object.get(), r2.events[i].object.get()) << i;
    EXPECT_EQ(r1.events[i].object.get(), r3.events[i].object.get()) << i;
  }
}

TEST(WatchFeedTest, ACompactedStartIsReportedToTheHandlerInKubernetesWords) {
  Fixture f;
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(f.api.Create(MakePod("default", "p" + std::to_string(i))).ok());
  ASSERT_TRUE(f.store.Compact(f.store.CurrentRevision() - 1).ok());
  Recorder rec;
  WatchOptions o;
  o.resource_version = "2";
  auto w = f.MustWatch(o, rec);
  f.clock.RunUntilIdle();
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].type, WatchEvent::Type::kError);
  EXPECT_EQ(rec.events[0].error.code(), Code::kCompacted);
  EXPECT_THAT(rec.events[0].error.message(), HasSubstr("too old resource version: 2"));
}

TEST(WatchFeedTest, ShutdownEndsEveryWatchSilentlyAndRefusesNewOnes) {
  Fixture f;
  Recorder live, replay;
  auto w1 = f.MustWatch({}, live);
  auto p = f.api.Create(MakePod("default", "p"));
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(f.api.Create(MakePod("default", "p2")).ok());
  f.clock.RunUntilIdle();
  WatchOptions old;  // from before p2: a replay
  old.resource_version = (*p)->metadata.resource_version;
  auto w2 = f.MustWatch(old, replay);
  EXPECT_EQ(f.feeds->StoreWatcherCount(), 2u);
  f.feeds->Shutdown();
  ASSERT_TRUE(f.api.Create(MakePod("default", "q")).ok());
  f.clock.RunUntilIdle();
  EXPECT_THAT(live.Summary(), ElementsAre("ADDED default/p", "ADDED default/p2"));
  EXPECT_TRUE(replay.events.empty());
  EXPECT_EQ(f.feeds->StoreWatcherCount(), 0u);
  auto refused = f.api.Watch(api::Kind::kPod, {}, live.Handler());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), Code::kUnavailable);
}

// Watches opened from other threads (as HTTP requests open them) while the
// loop thread dispatches a stream of writes: each sees every change after
// its start revision exactly once, in order — whether it joined the shared
// feed or needed a replay because the feed had passed its start.
TEST(WatchFeedTest, SubscribingFromOtherThreadsWhileTheLoopDispatchesLosesNothing) {
  store::MemoryStore store;
  realtime::AsioClock clock;
  clock.Start();
  auto feeds = std::make_shared<WatchFeeds>(store, clock);
  LocalApi writer(store, clock, {.require_namespace = false, .watch_feeds = feeds});
  ASSERT_TRUE(writer.Create(MakePod("default", "first")).ok());  // revision >= 1: 0 means "now"
  constexpr int kWrites = 1500;
  constexpr int kWatchers = 24;

  struct Seen {
    std::mutex mu;
    std::vector<uint64_t> revisions;
    store::Revision start = 0;
  };
  std::vector<std::shared_ptr<Seen>> seen;
  std::vector<std::unique_ptr<WatchHandle>> handles(kWatchers);
  std::mutex handles_mu;
  std::thread producer([&] {
    for (int i = 0; i < kWrites; ++i)
      ASSERT_TRUE(writer.Create(MakePod("default", "p" + std::to_string(i))).ok());
  });
  for (int i = 0; i < kWatchers; ++i)
    seen.push_back(std::make_shared<Seen>());
  std::vector<std::thread> watchers;
  for (int t = 0; t < 2; ++t) {
    watchers.emplace_back([&, t] {
      LocalApi api(store, clock, {.require_namespace = false, .watch_feeds = feeds});
      for (int i = t; i < kWatchers; i += 2) {
        auto s = seen[i];
        // Every third watcher starts a little in the past: a replay once
        // the shared feed has passed it.
        store::Revision start = store.CurrentRevision();
        if (i % 3 == 0 && start > 40) start -= 40;
        s->start = start;
        WatchOptions o;
        o.resource_version = std::to_string(start);
        auto w = api.Watch(api::Kind::kPod, o, [s](const WatchEvent& ev) {
          std::lock_guard<std::mutex> lock(s->mu);
          s->revisions.push_back(std::stoull(ev.object->metadata.resource_version));
        });
        ASSERT_TRUE(w.ok()) << w.status();
        std::lock_guard<std::mutex> lock(handles_mu);
        handles[i] = std::move(*w);
        std::this_thread::sleep_for(std::chrono::microseconds(300));
      }
    });
  }
  producer.join();
  for (auto& t : watchers)
    t.join();
  const uint64_t last = store.CurrentRevision();
  // Wait for the loop to hand out the last write (a bound, not a speed check).
  for (int spin = 0; spin < 6000; ++spin) {
    bool done = true;
    for (auto& s : seen) {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->revisions.empty() || s->revisions.back() != last) done = false;
    }
    if (done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  handles.clear();
  clock.Stop();
  for (int i = 0; i < kWatchers; ++i) {
    std::lock_guard<std::mutex> lock(seen[i]->mu);
    const auto& revs = seen[i]->revisions;
    // Every pod write has its own revision: the sequence must be exactly
    // start+1 .. last.
    ASSERT_EQ(revs.size(), last - seen[i]->start) << "watcher " << i;
    for (size_t k = 0; k < revs.size(); ++k)
      ASSERT_EQ(revs[k], seen[i]->start + 1 + k) << "watcher " << i << " event " << k;
  }
}

}  // namespace
}  // namespace navarch::client
