// The scheduling queue: priority then FIFO, exact back-off, unschedulable
// pods moved only on request, and a pod in at most one place.

#include "core/scheduler/queue.h"

#include <gtest/gtest.h>

#include "core/runtime/manual_clock.h"

namespace navarch::scheduler {
namespace {

using Place = SchedulingQueue::Place;

class QueueTest : public ::testing::Test {
 protected:
  std::vector<std::string> Drain() {
    std::vector<std::string> out;
    while (auto k = queue_.Pop())
      out.push_back(*k);
    return out;
  }
  runtime::ManualClock clock_;
  SchedulingQueue queue_{clock_};
};

TEST_F(QueueTest, PriorityThenArrivalOrder) {
  queue_.Add("a", 0);
  queue_.Add("b", 10);
  queue_.Add("c", 0);
  queue_.Add("d", 10);
  queue_.Add("e", -5);
  queue_.Add("f", 0);
  EXPECT_EQ(Drain(), (std::vector<std::string>{"b", "d", "a", "c", "f", "e"}));
}

TEST_F(QueueTest, APodIsInOnePlaceOnly) {
  queue_.Add("a", 0);
  queue_.Add("a", 0);
  EXPECT_EQ(queue_.ActiveSize(), 1u);
  ASSERT_EQ(queue_.Pop(), "a");
  queue_.AddUnschedulable("a");
  queue_.Add("a", 3);  // already known: stays unschedulable
  EXPECT_EQ(queue_.Where("a"), Place::kUnschedulable);
  EXPECT_EQ(queue_.ActiveSize(), 0u);
  EXPECT_EQ(queue_.UnschedulableSize(), 1u);
  queue_.Delete("a");
  EXPECT_EQ(queue_.Where("a"), Place::kNone);
  EXPECT_EQ(queue_.UnschedulableSize(), 0u);
  EXPECT_EQ(queue_.Attempts("a"), 0);
}

TEST_F(QueueTest, BackoffDoublesToTheCapExactly) {
  EXPECT_EQ(queue_.BackoffFor(1), seconds(1));
  EXPECT_EQ(queue_.BackoffFor(2), seconds(2));
  EXPECT_EQ(queue_.BackoffFor(3), seconds(4));
  EXPECT_EQ(queue_.BackoffFor(4), seconds(8));
  EXPECT_EQ(queue_.BackoffFor(5), seconds(10));
  EXPECT_EQ(queue_.BackoffFor(50), seconds(10));

  int woken = 0;
  queue_.SetOnActive([&] { ++woken; });
  queue_.Add("p", 0);
  EXPECT_EQ(woken, 1);
  const Duration expected[] = {seconds(1), seconds(2),  seconds(4),
                               seconds(8), seconds(10), seconds(10)};
  for (Duration wait : expected) {
    ASSERT_EQ(queue_.Pop(), "p");
    const Time failed = clock_.Now();
    queue_.AddBackoff("p");
    EXPECT_EQ(queue_.Where("p"), Place::kBackoff);
    EXPECT_EQ(queue_.BackoffExpiry("p"), failed + wait);
    clock_.Advance(wait - milliseconds(1));
    EXPECT_EQ(queue_.Where("p"), Place::kBackoff) << FormatDuration(wait);
    EXPECT_FALSE(queue_.Pop().has_value());
    clock_.Advance(milliseconds(1));
    EXPECT_EQ(queue_.Where("p"), Place::kActive) << FormatDuration(wait);
  }
  EXPECT_EQ(queue_.Attempts("p"), 6);
  EXPECT_EQ(woken, 7);
}

TEST_F(QueueTest, CustomBackoff) {
  SchedulingQueue q(clock_,
                    {.initial_backoff = milliseconds(100), .max_backoff = milliseconds(250)});
  EXPECT_EQ(q.BackoffFor(1), milliseconds(100));
  EXPECT_EQ(q.BackoffFor(2), milliseconds(200));
  EXPECT_EQ(q.BackoffFor(3), milliseconds(250));
}

TEST_F(QueueTest, UnschedulableWaitsForAMoveNotForTime) {
  queue_.Add("a", 0);
  queue_.Add("b", 0);
  queue_.Add("c", 0);
  ASSERT_EQ(queue_.Pop(), "a");
  queue_.AddUnschedulable("a");
  ASSERT_EQ(queue_.Pop(), "b");
  queue_.AddUnschedulable("b");
  ASSERT_EQ(queue_.Pop(), "c");
  queue_.AddUnschedulable("c");
  clock_.Advance(minutes(4));  // before the 5-minute flush (QueueFlushTest)
  EXPECT_EQ(queue_.UnschedulableSize(), 3u);
  EXPECT_EQ(queue_.ActiveSize(), 0u);

  // Only the pods the predicate picks move, oldest first; their back-off has
  // long expired, so straight to active.
  EXPECT_EQ(queue_.MoveUnschedulable([](const std::string& k) { return k != "b"; }), 2u);
  EXPECT_EQ(queue_.UnschedulableKeys(), (std::vector<std::string>{"b"}));
  EXPECT_EQ(Drain(), (std::vector<std::string>{"a", "c"}));
}

TEST_F(QueueTest, MovedBeforeBackoffExpiresWaitsTheRest) {
  queue_.Add("a", 0);
  ASSERT_EQ(queue_.Pop(), "a");
  queue_.AddUnschedulable("a");  // back-off 1s from now
  clock_.Advance(milliseconds(400));
  queue_.MoveUnschedulable();
  EXPECT_EQ(queue_.Where("a"), Place::kBackoff);
  clock_.Advance(milliseconds(599));
  EXPECT_EQ(queue_.Where("a"), Place::kBackoff);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(queue_.Where("a"), Place::kActive);
}

TEST_F(QueueTest, UpdateMovesAnUnschedulablePod) {
  queue_.Add("a", 0);
  ASSERT_EQ(queue_.Pop(), "a");
  queue_.AddUnschedulable("a");
  clock_.Advance(seconds(5));
  queue_.Update("a", 7);
  EXPECT_EQ(queue_.Where("a"), Place::kActive);
  queue_.Add("b", 0);
  EXPECT_EQ(Drain(), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace navarch::scheduler

namespace navarch::scheduler {
namespace {

// As Kubernetes' scheduler: a pod left unschedulable for 5 minutes is tried
// again even if no cluster event says it may fit (checked every 30 s).
TEST(QueueFlushTest, UnschedulablePodsAreRetriedAfterFiveMinutes) {
  runtime::ManualClock clock;
  SchedulingQueue queue(clock);
  const Time t0 = clock.Now();
  queue.Add("a", 0);
  ASSERT_EQ(queue.Pop(), "a");
  queue.AddUnschedulable("a");
  clock.AdvanceTo(t0 + seconds(150));
  queue.Add("b", 0);
  ASSERT_EQ(queue.Pop(), "b");
  queue.AddUnschedulable("b");
  clock.AdvanceTo(t0 + minutes(5) - seconds(1));
  EXPECT_EQ(queue.Where("a"), SchedulingQueue::Place::kUnschedulable);
  clock.AdvanceTo(t0 + minutes(5) + seconds(30));  // the first check after 5 min
  EXPECT_EQ(queue.Where("a"), SchedulingQueue::Place::kActive);
  EXPECT_EQ(queue.Where("b"), SchedulingQueue::Place::kUnschedulable);
  EXPECT_EQ(queue.flushed(), 1u);
  clock.AdvanceTo(t0 + seconds(150) + minutes(5) + seconds(30));
  EXPECT_EQ(queue.Where("b"), SchedulingQueue::Place::kActive);
  EXPECT_EQ(queue.flushed(), 2u);
  // Nothing unschedulable: no timer left running.
  EXPECT_FALSE(clock.RunNext());
}

TEST(QueueFlushTest, ZeroTurnsTheFlushOff) {
  runtime::ManualClock clock;
  QueueOptions o;
  o.max_unschedulable = Duration::zero();
  SchedulingQueue queue(clock, o);
  queue.Add("a", 0);
  ASSERT_EQ(queue.Pop(), "a");
  queue.AddUnschedulable("a");
  clock.AdvanceTo(clock.Now() + minutes(60));
  EXPECT_EQ(queue.Where("a"), SchedulingQueue::Place::kUnschedulable);
}

}  // namespace
}  // namespace navarch::scheduler
