#include "backends/realtime/asio_clock.h"

#include <atomic>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace navarch::realtime {
namespace {

// Waits (bounded, generously) for a condition set by the loop thread.
class Latch {
 public:
  void Set() {
    std::lock_guard<std::mutex> lock(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

TEST(AsioClock, NowIsCloseToSystemTimeAndNeverGoesBack) {
  AsioClock clock;
  const auto sys =
      std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch());
  const Time now = clock.Now();
  EXPECT_LT(std::chrono::abs(now - Time::FromUnixNanos(sys.count())), std::chrono::seconds(5));
  Time prev = clock.Now();
  for (int i = 0; i < 10000; ++i) {
    const Time t = clock.Now();
    ASSERT_GE(t, prev);
    prev = t;
  }
}

TEST(AsioClock, NothingRunsInlineAndRunStopsOnStop) {
  AsioClock clock;
  std::vector<int> order;
  clock.Post([&] { order.push_back(1); });
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(clock.Pending(), 1u);
  clock.Post([&] {
    order.push_back(2);
    EXPECT_TRUE(clock.OnLoopThread());
    clock.Stop();
  });
  clock.Run();  // returns because the second callback stops the loop
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_FALSE(clock.OnLoopThread());
  EXPECT_EQ(clock.Pending(), 0u);
}

TEST(AsioClock, SameInstantRunsInSchedulingOrder) {
  AsioClock clock;
  std::vector<int> order;
  const Time t = clock.Now() + milliseconds(20);
  for (int i = 0; i < 50; ++i) {
    clock.At(t, [&order, i] { order.push_back(i); });
  }
  // Scheduled later in sequence but for an earlier time: runs first.
  clock.At(t - milliseconds(10), [&order] { order.push_back(-1); });
  clock.At(t + milliseconds(5), [&] { clock.Stop(); });
  clock.Run();
  ASSERT_EQ(order.size(), 51u);
  EXPECT_EQ(order[0], -1);
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(order[i + 1], i);
}

TEST(AsioClock, TimersFireNoEarlierThanDue) {
  AsioClock clock;
  const Time start = clock.Now();
  Time ran_at;
  clock.After(milliseconds(30), [&] {
    ran_at = clock.Now();
    clock.Stop();
  });
  clock.Run();
  EXPECT_GE(ran_at - start, milliseconds(30));
}

TEST(AsioClock, CancelledCallbacksNeverRun) {
  AsioClock clock;
  std::atomic<int> ran{0};
  const runtime::TimerId a = clock.After(milliseconds(5), [&] { ran += 1; });
  const runtime::TimerId b = clock.After(milliseconds(5), [&] { ran += 10; });
  EXPECT_NE(a, b);
  EXPECT_TRUE(clock.Cancel(a));
  EXPECT_FALSE(clock.Cancel(a));
  EXPECT_FALSE(clock.Cancel(12345));
  clock.After(milliseconds(20), [&] { clock.Stop(); });
  clock.Run();
  EXPECT_EQ(ran.load(), 10);
  EXPECT_FALSE(clock.Cancel(b));  // already ran
}

TEST(AsioClock, AnEarlierTimerScheduledLaterStillRunsFirst) {
  AsioClock clock;
  std::vector<int> order;
  clock.Start();
  Latch done;
  clock.After(milliseconds(200), [&] {
    order.push_back(2);
    done.Set();
  });
  clock.After(milliseconds(10), [&] { order.push_back(1); });
  ASSERT_TRUE(done.Wait());
  clock.Stop();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST(AsioClock, PostFromManyThreadsRunsEachOnceOnTheLoopThread) {
  AsioClock clock;
  clock.Start();
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::atomic<int> ran{0};
  std::atomic<int> off_loop{0};
  std::atomic<int> concurrent{0};
  std::atomic<int> max_concurrent{0};
  Latch done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        clock.Post([&] {
          const int c = ++concurrent;
          if (c > max_concurrent) max_concurrent = c;
          if (!clock.OnLoopThread()) ++off_loop;
          --concurrent;
          if (++ran == kThreads * kEach) done.Set();
        });
      }
    });
  }
  for (auto& th : threads)
    th.join();
  ASSERT_TRUE(done.Wait());
  clock.Stop();
  EXPECT_EQ(ran.load(), kThreads * kEach);
  EXPECT_EQ(off_loop.load(), 0);
  EXPECT_EQ(max_concurrent.load(), 1);
}

TEST(AsioClock, PostsFromOneThreadKeepTheirOrder) {
  AsioClock clock;
  clock.Start();
  std::vector<int> order;
  Latch done;
  for (int i = 0; i < 1000; ++i)
    clock.Post([&order, i] { order.push_back(i); });
  clock.Post([&] { done.Set(); });
  ASSERT_TRUE(done.Wait());
  clock.Stop();
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(order[i], i);
}

TEST(AsioClock, StopKeepsScheduledCallbacksForTheNextRun) {
  AsioClock clock;
  int ran = 0;
  clock.Post([&] { clock.Stop(); });
  clock.Post([&] { ++ran; });
  clock.Run();
  EXPECT_EQ(ran, 0);
  EXPECT_EQ(clock.Pending(), 1u);
  clock.Post([&] { clock.Stop(); });
  clock.Run();
  EXPECT_EQ(ran, 1);
}

TEST(AsioClock, StartStopRestartAndDestroyWithPendingWork) {
  auto clock = std::make_unique<AsioClock>();
  clock->Start();
  clock->Start();  // no-op
  Latch first;
  clock->Post([&] { first.Set(); });
  ASSERT_TRUE(first.Wait());
  clock->Stop();
  clock->Stop();  // idempotent
  Latch second;
  clock->Start();
  clock->Post([&] { second.Set(); });
  ASSERT_TRUE(second.Wait());
  bool ran = false;
  clock->After(std::chrono::hours(1), [&] { ran = true; });
  clock.reset();  // stops, joins, drops the pending callback
  EXPECT_FALSE(ran);
}

TEST(AsioClock, SocketsShareTheLoop) {
  AsioClock clock;
  std::atomic<bool> ran{false};
  boost::asio::post(clock.io_context(), [&] {
    ran = true;
    clock.Stop();
  });
  clock.Run();
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace navarch::realtime
