#include "backends/realtime/asio_clock.h"

#include <cassert>
#include <utility>

#include <boost/asio/post.hpp>

namespace navarch::realtime {

namespace {
// Callbacks run per dispatch before the loop gets a chance to serve I/O.
constexpr int kBatch = 64;
}  // namespace

AsioClock::AsioClock()
    : work_(boost::asio::make_work_guard(io_)),
      timer_(io_),
      base_system_(std::chrono::system_clock::now()),
      base_steady_(std::chrono::steady_clock::now()) {}

AsioClock::~AsioClock() {
  Stop();
}

Time AsioClock::Now() const {
  const auto since_epoch = std::chrono::duration_cast<Duration>(base_system_.time_since_epoch());
  const auto elapsed =
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - base_steady_);
  return Time::FromUnixNanos(since_epoch.count()) + elapsed;
}

std::chrono::steady_clock::time_point AsioClock::ToSteady(Time t) const {
  const auto since_epoch = std::chrono::duration_cast<Duration>(base_system_.time_since_epoch());
  const Duration offset = t - Time::FromUnixNanos(since_epoch.count());
  return base_steady_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(offset);
}

void AsioClock::Post(std::function<void()> fn) {
  At(Now(), std::move(fn));
}

runtime::TimerId AsioClock::At(Time when, std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  const runtime::TimerId id = next_id_++;
  const Key key{when, next_seq_++};
  queue_.emplace(key, Entry{id, std::move(fn)});
  by_id_.emplace(id, key);
  if (!armed_ || when < armed_for_) {
    armed_ = true;
    armed_for_ = when;
    boost::asio::post(io_, [this] { Dispatch(); });
  }
  return id;
}

bool AsioClock::Cancel(runtime::TimerId id) {
  std::function<void()> dropped;  // destroyed outside the lock
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return false;
  auto q = queue_.find(it->second);
  dropped = std::move(q->second.fn);
  queue_.erase(q);
  by_id_.erase(it);
  return true;
}

void AsioClock::ArmLocked() {
  if (queue_.empty()) {
    armed_ = false;
    return;
  }
  const Time earliest = queue_.begin()->first.when;
  armed_ = true;
  armed_for_ = earliest;
  if (earliest <= Now()) {
    boost::asio::post(io_, [this] { Dispatch(); });
    return;
  }
  // The timer is only touched on the loop thread (ArmLocked runs in Dispatch).
  timer_.expires_at(ToSteady(earliest));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Dispatch();
  });
}

void AsioClock::Dispatch() {
  for (int i = 0; i < kBatch; ++i) {
    if (io_.stopped()) break;
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.empty()) break;
      auto it = queue_.begin();
      if (Now() < it->first.when) break;
      fn = std::move(it->second.fn);
      by_id_.erase(it->second.id);
      queue_.erase(it);
    }
    fn();
  }
  std::lock_guard<std::mutex> lock(mu_);
  ArmLocked();
}

void AsioClock::Run() {
  io_.restart();
  RunLoop();
}

void AsioClock::RunLoop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    assert(loop_thread_ == std::thread::id() && "AsioClock::Run while the loop already runs");
    loop_thread_ = std::this_thread::get_id();
  }
  io_.run();
  std::lock_guard<std::mutex> lock(mu_);
  loop_thread_ = std::thread::id();
}

void AsioClock::Start() {
  std::lock_guard<std::mutex> lock(run_mu_);
  if (thread_.joinable()) {
    if (!io_.stopped()) return;  // already running
    thread_.join();              // stopped from its own callback earlier
  }
  io_.restart();
  thread_ = std::thread([this] { RunLoop(); });
}

void AsioClock::Stop() {
  io_.stop();
  std::lock_guard<std::mutex> lock(run_mu_);
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
    thread_.join();
  }
}

bool AsioClock::OnLoopThread() const {
  std::lock_guard<std::mutex> lock(mu_);
  return loop_thread_ == std::this_thread::get_id();
}

size_t AsioClock::Pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

}  // namespace navarch::realtime
