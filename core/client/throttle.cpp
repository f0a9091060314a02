#include "core/client/throttle.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

namespace navarch::client {
namespace {

Duration SecondsToDuration(double seconds) {
  return Duration(static_cast<int64_t>(std::ceil(seconds * 1e9)));
}

double DurationToSeconds(Duration d) {
  return static_cast<double>(d.count()) / 1e9;
}

}  // namespace

RateLimiter::RateLimiter(ClientLimits limits, Time start)
    : qps_(limits.qps),
      burst_(std::max<double>(1, limits.burst)),
      tokens_(std::max<double>(1, limits.burst)),
      last_(start) {}

double RateLimiter::TokensAt(Time now) const {
  if (qps_ <= 0) return burst_;
  if (now <= last_) return tokens_;
  return std::min(burst_, tokens_ + DurationToSeconds(now - last_) * qps_);
}

Time RateLimiter::Reserve(Time now) {
  if (qps_ <= 0) return now;
  if (now > last_) {
    tokens_ = TokensAt(now);
    last_ = now;
  }
  tokens_ -= 1;
  if (tokens_ >= 0) return last_;
  return last_ + SecondsToDuration(-tokens_ / qps_);
}

Time RateLimiter::NextFree(Time now) const {
  if (qps_ <= 0) return now;
  double tokens = TokensAt(now);
  Time from = std::max(now, last_);
  if (tokens >= 1) return from;
  return from + SecondsToDuration((1 - tokens) / qps_);
}

Throttle::Throttle(runtime::Clock& clock, ThrottleOptions options)
    : clock_(clock),
      options_(std::move(options)),
      limited_(options_.limits.limited()),
      bucket_(options_.limits, clock.Now()),
      busy_until_(clock.Now()) {
  if (!limited_) options_.request_latency = nullptr;
}

Throttle::~Throttle() {
  *alive_ = false;
}

Time Throttle::Take() {
  ++stats_.requests;
  const Time now = clock_.Now();
  const Time when = bucket_.Reserve(now);
  if (when > now) {
    ++stats_.waited;
    stats_.wait += when - now;
  }
  return when;
}

Duration Throttle::Latency() {
  return options_.request_latency ? std::max(Duration::zero(), options_.request_latency())
                                  : Duration::zero();
}

void Throttle::Submit(std::function<void()> request) {
  if (!limited_) {
    request();
    return;
  }
  const Time when = Take() + Latency();
  auto run = [this, request = std::move(request)] {
    ++prepaid_;
    request();
    prepaid_ = 0;
  };
  if (when <= clock_.Now()) {
    run();
    return;
  }
  clock_.At(when, [alive = std::weak_ptr<bool>(alive_), run = std::move(run)] {
    if (auto a = alive.lock(); a && *a) run();
  });
}

void Throttle::Charge() {
  if (!limited_) return;
  if (prepaid_ > 0) {
    --prepaid_;
    return;
  }
  // A caller's requests run one after the other.
  const Time when = std::max(Take(), busy_until_) + Latency();
  busy_until_ = std::max(busy_until_, when);
}

Time Throttle::ReadyAt() const {
  const Time now = clock_.Now();
  if (!limited_) return now;
  return std::max({now, busy_until_, bucket_.NextFree(now)});
}

Result<ObjectPtr> ThrottledApi::Create(ObjectPtr obj, const WriteOptions& options) {
  throttle_.Charge();
  return ApiWrapper::Create(std::move(obj), options);
}

Result<ObjectPtr> ThrottledApi::Get(Kind kind, std::string_view ns, std::string_view name) {
  throttle_.Charge();
  return ApiWrapper::Get(kind, ns, name);
}

Result<ObjectList> ThrottledApi::List(Kind kind, const ListOptions& options) {
  throttle_.Charge();
  return ApiWrapper::List(kind, options);
}

Result<ObjectPtr> ThrottledApi::Update(ObjectPtr obj, const WriteOptions& options) {
  throttle_.Charge();
  return ApiWrapper::Update(std::move(obj), options);
}

Result<ObjectPtr> ThrottledApi::UpdateStatus(ObjectPtr obj, const WriteOptions& options) {
  throttle_.Charge();
  return ApiWrapper::UpdateStatus(std::move(obj), options);
}

Result<ObjectPtr> ThrottledApi::Bind(ObjectPtr pod, std::string_view node,
                                     const WriteOptions& options) {
  throttle_.Charge();
  return ApiWrapper::Bind(std::move(pod), node, options);
}

Result<ObjectPtr> ThrottledApi::Delete(Kind kind, std::string_view ns, std::string_view name,
                                       const DeleteOptions& options) {
  throttle_.Charge();
  return ApiWrapper::Delete(kind, ns, name, options);
}

Result<std::unique_ptr<WatchHandle>> ThrottledApi::Watch(Kind kind, const WatchOptions& options,
                                                         WatchHandler handler) {
  throttle_.Charge();
  return ApiWrapper::Watch(kind, options, std::move(handler));
}

}  // namespace navarch::client
