#pragma once
// Client-side request limits: how fast a component may talk to the API.
//
// Every Kubernetes component talks to the API server through a client with
// a token bucket (client-go's flowcontrol.NewTokenBucketRateLimiter over
// golang.org/x/time/rate): `burst` tokens, refilled at `qps` per second, the
// bucket full at the start; each request takes one token and, when none is
// left, waits until one has refilled, waiters served in order. Defaults of
// the components (Kubernetes 1.32): kube-controller-manager 20 QPS / 30
// burst, each controller with a bucket of its own; kube-scheduler 50 / 100;
// kubelet 50 / 100. This file is that limiter, one for the simulator and for
// production, driven by the Clock.
//
// The components here are event-driven state machines on one loop, so a
// request cannot block its caller. A component therefore uses a Throttle in
// one of two ways:
//
//   * Submit(request): asynchronous requests (the scheduler's binds, the
//     replication manager's creates and deletes, as client-go issues them from
//     goroutines): each runs on the loop at the time the bucket grants its
//     token, in submission order. This is exact.
//   * ThrottledApi: synchronous requests are charged when made and never
//     wait; a request beyond the budget puts the bucket in debt, and
//     ReadyAt() is when the caller's next request would have been allowed.
//     Workers pause until then before they take the next item (WorkQueue
//     does so with WorkQueueOptions::throttle; the scheduler before its next
//     cycle). Over time the rate and the burst are client-go's; inside one
//     sync its requests go out together.
//
// `request_latency` (the simulator's model of the API's response time; none
// in production, where requests take real time) adds to each synchronous
// request the time it holds its caller, and delays each submitted request's
// effect by its latency.
//
// A Throttle with qps <= 0 limits nothing: Submit runs the request at once
// (inline) and charges cost nothing, exactly as without a throttle.
//
// Threading: the Clock's loop only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "core/base/time.h"
#include "core/client/api_wrapper.h"
#include "core/runtime/clock.h"

namespace navarch::client {

struct ClientLimits {
  // Requests per second refilled into the bucket; <= 0: no limit.
  double qps = 0;
  // Bucket size (>= 1 when qps > 0; 0 is taken as 1).
  int32_t burst = 0;

  bool limited() const { return qps > 0; }
};

// Kubernetes 1.32's defaults per component.
inline constexpr ClientLimits kControllerManagerLimits{20, 30};
inline constexpr ClientLimits kSchedulerLimits{50, 100};
inline constexpr ClientLimits kKubeletLimits{50, 100};

// The token bucket, as golang.org/x/time/rate.Limiter's Reserve: pure
// arithmetic on the times it is given.
class RateLimiter {
 public:
  RateLimiter(ClientLimits limits, Time start);
  // Takes one token for a request made at `now` (not before the previous
  // call's `now`) and returns when the request may go: `now` if a token was
  // left, otherwise when the bucket will have refilled one for it (behind
  // every earlier reservation).
  Time Reserve(Time now);
  // When a request made at `now` could go, without taking a token.
  Time NextFree(Time now) const;
  double TokensAt(Time now) const;

 private:
  double qps_;
  double burst_;
  double tokens_;
  Time last_;
};

struct ThrottleOptions {
  ClientLimits limits;
  // The time each request takes (see above); null or limits off: none.
  std::function<Duration()> request_latency;
};

struct ThrottleStats {
  uint64_t requests = 0;  // charged and submitted requests
  uint64_t waited = 0;    // requests that could not go at once
  Duration wait{};        // their total wait
};

class Throttle {
 public:
  Throttle(runtime::Clock& clock, ThrottleOptions options);
  ~Throttle();
  Throttle(const Throttle&) = delete;
  Throttle& operator=(const Throttle&) = delete;

  bool limited() const { return limited_; }

  // Runs `request` on the loop when the bucket grants it a token (and its
  // latency has passed): inline when that is now. Its first request through
  // a ThrottledApi of this throttle is not charged again. Requests still
  // waiting when the Throttle is destroyed are dropped.
  void Submit(std::function<void()> request);

  // A synchronous request made now: takes a token (possibly into debt).
  void Charge();

  // When the caller may make its next request: now, unless a charged
  // request is still running (its latency) or the bucket is in debt or
  // empty.
  Time ReadyAt() const;

  const ThrottleStats& stats() const { return stats_; }

 private:
  // Takes a token for a request made now (counted in stats_) and returns
  // when the bucket lets it go.
  Time Take();
  // One draw of options_.request_latency (zero without one).
  Duration Latency();

  runtime::Clock& clock_;
  ThrottleOptions options_;
  bool limited_;
  RateLimiter bucket_;
  Time busy_until_;
  int prepaid_ = 0;
  ThrottleStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// An Api whose every request is charged to a Throttle (see above). Watches
// count as one request each, as their opening request does.
class ThrottledApi final : public ApiWrapper {
 public:
  ThrottledApi(Api& inner, Throttle& throttle) : ApiWrapper(inner), throttle_(throttle) {}

  using Api::Bind;
  using Api::Create;
  using Api::Delete;
  using Api::Get;
  using Api::List;
  using Api::Update;
  using Api::UpdateStatus;

  Result<ObjectPtr> Create(ObjectPtr obj, const WriteOptions& options) override;
  Result<ObjectPtr> Get(Kind kind, std::string_view ns, std::string_view name) override;
  Result<ObjectList> List(Kind kind, const ListOptions& options) override;
  Result<ObjectPtr> Update(ObjectPtr obj, const WriteOptions& options) override;
  Result<ObjectPtr> UpdateStatus(ObjectPtr obj, const WriteOptions& options) override;
  Result<ObjectPtr> Bind(ObjectPtr pod, std::string_view node,
                         const WriteOptions& options) override;
  Result<ObjectPtr> Delete(Kind kind, std::string_view ns, std::string_view name,
                           const DeleteOptions& options = {}) override;
  Result<std::unique_ptr<WatchHandle>> Watch(Kind kind, const WatchOptions& options,
                                             WatchHandler handler) override;

  Throttle& throttle() { return throttle_; }

 private:
  Throttle& throttle_;
};

}  // namespace navarch::client
