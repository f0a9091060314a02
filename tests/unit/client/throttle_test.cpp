#include "core/client/throttle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/runtime/manual_clock.h"
#include "tests/unit/client/client_test_util.h"

namespace navarch::client {
namespace {

using testing::ApiTest;
using ::testing::ElementsAre;
using testing::MakePod;

TEST(RateLimiterTest, StartsFullThenRefillsAtQps) {
  const Time t0 = Time() + seconds(100);
  RateLimiter bucket(ClientLimits{20, 30}, t0);
  // The burst goes at once.
  for (int i = 0; i < 30; ++i)
    EXPECT_EQ(bucket.Reserve(t0), t0) << i;
  // Then one request per 50 ms, each behind the one before.
  EXPECT_EQ(bucket.Reserve(t0), t0 + milliseconds(50));
  EXPECT_EQ(bucket.Reserve(t0), t0 + milliseconds(100));
  EXPECT_EQ(bucket.NextFree(t0), t0 + milliseconds(150));
  // A second later 20 tokens have come: the 2 owed and 18 more.
  const Time t1 = t0 + seconds(1);
  for (int i = 0; i < 18; ++i)
    EXPECT_EQ(bucket.Reserve(t1), t1) << i;
  EXPECT_EQ(bucket.Reserve(t1), t1 + milliseconds(50));
  // Idle time refills up to the burst, never beyond.
  const Time t2 = t1 + seconds(3600);
  EXPECT_DOUBLE_EQ(bucket.TokensAt(t2), 30);
}

TEST(RateLimiterTest, NoLimitWhenQpsIsNotPositive) {
  RateLimiter bucket(ClientLimits{0, 0}, Time());
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(bucket.Reserve(Time()), Time());
}

TEST(RateLimiterTest, TenThousandRequestsAtTwentyQpsTakeWhatKubernetesTakes) {
  RateLimiter bucket(ClientLimits{20, 30}, Time());
  Time last;
  for (int i = 0; i < 10'000; ++i)
    last = bucket.Reserve(Time());
  // The 30 of the burst at once, the other 9,970 at 20 per second.
  EXPECT_EQ(last, Time() + milliseconds(9970 * 50));
}

TEST(ThrottleTest, SubmittedRequestsRunInOrderWhenTheirTokensCome) {
  runtime::ManualClock clock;
  const Time t0 = clock.Now();
  Throttle throttle(clock, ThrottleOptions{.limits = {10, 2}});
  std::vector<std::pair<int, Duration>> ran;
  for (int i = 0; i < 5; ++i)
    throttle.Submit([&, i] { ran.emplace_back(i, clock.Now() - t0); });
  // The burst ran inline.
  ASSERT_EQ(ran.size(), 2u);
  clock.Advance(seconds(1));
  EXPECT_THAT(ran, ElementsAre(std::pair{0, Duration{}}, std::pair{1, Duration{}},
                               std::pair{2, Duration{milliseconds(100)}},
                               std::pair{3, Duration{milliseconds(200)}},
                               std::pair{4, Duration{milliseconds(300)}}));
  EXPECT_EQ(throttle.stats().requests, 5u);
  EXPECT_EQ(throttle.stats().waited, 3u);
  EXPECT_EQ(throttle.stats().wait, milliseconds(600));
}

TEST(ThrottleTest, WithoutLimitsEverythingRunsInlineAndNothingIsCounted) {
  runtime::ManualClock clock;
  Throttle throttle(clock,
                    ThrottleOptions{.limits = {}, .request_latency = [] { return seconds(1); }});
  int ran = 0;
  for (int i = 0; i < 100; ++i) {
    throttle.Submit([&] { ++ran; });
    throttle.Charge();
  }
  EXPECT_EQ(ran, 100);
  EXPECT_EQ(throttle.ReadyAt(), clock.Now());
  EXPECT_EQ(throttle.stats().requests, 0u);
}

TEST(ThrottleTest, ChargesGoIntoDebtAndReadyAtSaysWhenItIsPaid) {
  runtime::ManualClock clock;
  const Time t0 = clock.Now();
  Throttle throttle(clock, ThrottleOptions{.limits = {20, 30}});
  for (int i = 0; i < 29; ++i)
    throttle.Charge();
  EXPECT_EQ(throttle.ReadyAt(), t0);  // one token left
  throttle.Charge();
  EXPECT_EQ(throttle.ReadyAt(), t0 + milliseconds(50));
  for (int i = 0; i < 10; ++i)
    throttle.Charge();
  // Ten requests made beyond the budget: the next one may go after 11 tokens.
  EXPECT_EQ(throttle.ReadyAt(), t0 + milliseconds(550));
  EXPECT_EQ(throttle.stats().waited, 10u);
}

TEST(ThrottleTest, RequestLatencyHoldsTheCallerAndDelaysSubmittedRequests) {
  runtime::ManualClock clock;
  const Time t0 = clock.Now();
  Throttle throttle(clock, ThrottleOptions{.limits = {100, 100},
                                           .request_latency = [] { return milliseconds(3); }});
  throttle.Charge();
  throttle.Charge();
  // Two requests one after the other: the caller is busy for both.
  EXPECT_EQ(throttle.ReadyAt(), t0 + milliseconds(6));
  Time ran;
  throttle.Submit([&] { ran = clock.Now(); });
  EXPECT_EQ(ran, Time());  // not inline: its latency has to pass
  clock.Advance(milliseconds(10));
  EXPECT_EQ(ran, t0 + milliseconds(3));
}

// A submitted request's own call through the ThrottledApi is not charged a
// second time; any further call is.
class ThrottledApiTest : public ApiTest {};

TEST_F(ThrottledApiTest, ASubmittedRequestPaysForItsFirstCallOnly) {
  Throttle throttle(clock_, ThrottleOptions{.limits = {1, 3}});
  ThrottledApi api(api_, throttle);
  throttle.Submit(
      [&] { ASSERT_TRUE(api.Create(std::make_shared<api::Pod>(MakePod("default", "a"))).ok()); });
  EXPECT_EQ(throttle.stats().requests, 1u);
  ASSERT_TRUE(api.Get(api::Kind::kPod, "default", "a").ok());
  ASSERT_TRUE(api.List(api::Kind::kPod, {}).ok());
  EXPECT_EQ(throttle.stats().requests, 3u);
  EXPECT_EQ(throttle.ReadyAt(), clock_.Now() + seconds(1));
}

TEST(ThrottleTest, DestroyedThrottleDropsWaitingRequests) {
  runtime::ManualClock clock;
  int ran = 0;
  {
    Throttle throttle(clock, ThrottleOptions{.limits = {1, 1}});
    throttle.Submit([&] { ++ran; });
    throttle.Submit([&] { ++ran; });
  }
  clock.Advance(seconds(5));
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace navarch::client
