#include "core/controllers/work_queue.h"

#include <algorithm>
#include <utility>

namespace navarch::controllers {

WorkQueue::WorkQueue(runtime::Clock& clock, SyncFn sync, WorkQueueOptions options)
    : clock_(clock), sync_(std::move(sync)), options_(options) {}

WorkQueue::~WorkQueue() {
  ShutDown();
}

void WorkQueue::ShutDown() {
  if (shut_down_) return;
  shut_down_ = true;
  *alive_ = false;
  for (auto& [key, delay] : delayed_)
    clock_.Cancel(delay.timer);
  delayed_.clear();
  queue_.clear();
  dirty_.clear();
}

void WorkQueue::Add(const std::string& key) {
  if (shut_down_) return;
  if (!dirty_.insert(key).second) return;
  ++stats_.adds;
  // A key being processed is queued again when its sync returns.
  if (is_processing_ && processing_ == key) return;
  queue_.push_back(key);
  ScheduleDrain();
}

void WorkQueue::AddAfter(const std::string& key, Duration delay) {
  if (shut_down_) return;
  if (delay <= Duration::zero()) {
    Add(key);
    return;
  }
  Time when = clock_.Now() + delay;
  auto it = delayed_.find(key);
  if (it != delayed_.end()) {
    if (it->second.when <= when) return;
    clock_.Cancel(it->second.timer);
    delayed_.erase(it);
  }
  std::weak_ptr<bool> alive = alive_;
  runtime::TimerId timer = clock_.At(when, [this, alive, key] {
    if (auto a = alive.lock(); !a || !*a) return;
    delayed_.erase(key);
    Add(key);
  });
  delayed_[key] = Delay{when, timer};
}

void WorkQueue::AddRateLimited(const std::string& key) {
  if (shut_down_) return;
  int failures = ++failures_[key];
  ++stats_.retries;
  Duration backoff = options_.base_backoff;
  for (int i = 1; i < failures && backoff < options_.max_backoff; ++i)
    backoff *= 2;
  AddAfter(key, std::min(backoff, options_.max_backoff));
}

void WorkQueue::Forget(const std::string& key) {
  failures_.erase(key);
}

int WorkQueue::Failures(const std::string& key) const {
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::ScheduleDrain() {
  ScheduleDrainAt(clock_.Now());
}

void WorkQueue::ScheduleDrainAt(Time when) {
  if (drain_scheduled_ || queue_.empty()) return;
  drain_scheduled_ = true;
  std::weak_ptr<bool> alive = alive_;
  clock_.At(when, [this, alive] {
    if (auto a = alive.lock(); !a || !*a) return;
    drain_scheduled_ = false;
    Drain();
  });
}

void WorkQueue::Drain() {
  size_t limit = std::max<size_t>(1, options_.batch);
  size_t done = 0;
  std::weak_ptr<bool> alive = alive_;
  while (done < limit && !queue_.empty() && !shut_down_) {
    if (options_.throttle) {
      Time ready = options_.throttle->ReadyAt();
      if (ready > clock_.Now()) {
        if (done > 0) ++stats_.turns;
        ++stats_.throttled;
        ScheduleDrainAt(ready);
        return;
      }
    }
    processing_ = std::move(queue_.front());
    queue_.pop_front();
    dirty_.erase(processing_);
    is_processing_ = true;
    ++stats_.syncs;
    Status st = sync_(processing_);
    // The sync function may have destroyed or shut the queue down.
    if (auto a = alive.lock(); !a || !*a) return;
    is_processing_ = false;
    if (st.ok()) {
      Forget(processing_);
    } else {
      ++stats_.errors;
      stats_.last_error = st.WithContext(processing_);
      AddRateLimited(processing_);
    }
    // Re-added during its sync: queue it behind the others.
    if (dirty_.count(processing_)) queue_.push_back(processing_);
    ++done;
  }
  if (done > 0) ++stats_.turns;
  ScheduleDrain();
}

}  // namespace navarch::controllers
