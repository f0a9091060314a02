#include "sim/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::sim {
namespace {

using ::testing::ElementsAre;

TEST(EngineTest, RunsInTimeThenSequenceOrder) {
  Engine engine(1);
  std::vector<std::string> order;
  auto& clock = engine.clock();
  clock.After(seconds(2), [&] { order.push_back("b"); });
  clock.After(seconds(1), [&] { order.push_back("a1"); });
  clock.After(seconds(1), [&] { order.push_back("a2"); });
  EXPECT_EQ(engine.RunUntil(engine.start() + seconds(1)), 2u);
  EXPECT_THAT(order, ElementsAre("a1", "a2"));
  EXPECT_EQ(engine.Elapsed(), seconds(1));
  engine.RunFor(seconds(5));
  EXPECT_THAT(order, ElementsAre("a1", "a2", "b"));
  EXPECT_EQ(engine.events_processed(), 3u);
}

TEST(EngineTest, RunUntilIdleStopsWhenThePredicateHolds) {
  Engine engine(1);
  auto& clock = engine.clock();
  // A heartbeat every 10s forever, and work that finishes at 35s.
  std::function<void()> beat = [&] { clock.After(seconds(10), beat); };
  clock.Post(beat);
  bool work_done = false;
  clock.After(seconds(35), [&] { work_done = true; });
  Engine::RunResult r = engine.RunUntilIdle(engine.start() + hours(1), [&] { return work_done; });
  EXPECT_EQ(r.reason, Engine::StopReason::kIdle);
  EXPECT_EQ(r.stopped_at - engine.start(), seconds(35));
  EXPECT_EQ(r.events, 5u);  // beats at 0, 10, 20, 30 and the work
}

TEST(EngineTest, RunUntilIdleDeadlineAndDrain) {
  Engine engine(1);
  auto& clock = engine.clock();
  std::function<void()> beat = [&] { clock.After(seconds(10), beat); };
  clock.Post(beat);
  Engine::RunResult r = engine.RunUntilIdle(engine.start() + seconds(25), [] { return false; });
  EXPECT_EQ(r.reason, Engine::StopReason::kDeadline);
  EXPECT_EQ(engine.Elapsed(), seconds(25));
  EXPECT_EQ(StopReasonName(r.reason), "deadline");

  Engine quiet(1);
  quiet.clock().After(seconds(3), [] {});
  r = quiet.RunUntilIdle(quiet.start() + hours(1), nullptr);
  EXPECT_EQ(r.reason, Engine::StopReason::kDrained);
  EXPECT_EQ(quiet.Elapsed(), seconds(3));
}

TEST(EngineTest, StreamsAreIndependentAndStable) {
  Engine a(42), b(42);
  runtime::Rng cloud_a = a.Stream("cloud");
  runtime::Rng cloud_b = b.Stream("cloud");
  EXPECT_EQ(cloud_a.Next(), cloud_b.Next());
  EXPECT_NE(a.Stream("cloud").Next(), a.Stream("runtime").Next());
  EXPECT_EQ(a.seed(), 42u);
}

}  // namespace
}  // namespace navarch::sim
