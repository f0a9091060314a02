#include "core/scheduler/queue.h"

#include <algorithm>

namespace navarch::scheduler {

SchedulingQueue::SchedulingQueue(runtime::Clock& clock, QueueOptions options)
    : clock_(clock), options_(options) {}

SchedulingQueue::~SchedulingQueue() {
  if (timer_ != 0) clock_.Cancel(timer_);
  if (flush_timer_ != 0) clock_.Cancel(flush_timer_);
}

void SchedulingQueue::ArmFlush() {
  if (flush_timer_ != 0 || unschedulable_.empty()) return;
  if (options_.max_unschedulable <= Duration::zero()) return;
  flush_timer_ = clock_.After(options_.unschedulable_flush_period, [this] {
    flush_timer_ = 0;
    Flush();
    ArmFlush();
  });
}

void SchedulingQueue::Flush() {
  // Oldest first (seq order is the order they became unschedulable).
  const Time now = clock_.Now();
  std::vector<std::string> moving;
  for (const auto& [seq, key] : unschedulable_) {
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    if (it->second.unschedulable_since + options_.max_unschedulable > now) break;
    moving.push_back(key);
  }
  for (const auto& key : moving) {
    Entry& e = entries_[key];
    Remove(key, e);
    PushBackoff(key, e);
    ++flushed_;
  }
}

Duration SchedulingQueue::BackoffFor(int32_t attempts) const {
  Duration d = options_.initial_backoff;
  for (int32_t i = 1; i < attempts && d < options_.max_backoff; ++i)
    d *= 2;
  return std::min(d, options_.max_backoff);
}

void SchedulingQueue::Remove(const std::string& key, Entry& e) {
  switch (e.place) {
    case Place::kActive:
      active_.erase(ActiveKey{-static_cast<int64_t>(e.priority), e.seq, key});
      break;
    case Place::kBackoff:
      backoff_.erase(BackoffKey{e.backoff_until, e.seq, key});
      break;
    case Place::kUnschedulable:
      unschedulable_.erase(UnschedKey{e.seq, key});
      break;
    case Place::kNone:
      break;
  }
  e.place = Place::kNone;
}

void SchedulingQueue::PushActive(const std::string& key, Entry& e) {
  e.place = Place::kActive;
  e.seq = next_seq_++;
  active_.emplace(-static_cast<int64_t>(e.priority), e.seq, key);
  if (on_active_) on_active_();
}

void SchedulingQueue::PushBackoff(const std::string& key, Entry& e) {
  if (e.backoff_until <= clock_.Now()) {
    PushActive(key, e);
    return;
  }
  e.place = Place::kBackoff;
  e.seq = next_seq_++;
  backoff_.emplace(e.backoff_until, e.seq, key);
  ArmTimer();
}

void SchedulingQueue::ArmTimer() {
  if (backoff_.empty()) return;
  const Time next = std::get<0>(*backoff_.begin());
  if (timer_ != 0) {
    if (timer_at_ <= next) return;
    clock_.Cancel(timer_);
  }
  timer_at_ = next;
  timer_ = clock_.At(next, [this] {
    timer_ = 0;
    OnTimer();
  });
}

void SchedulingQueue::OnTimer() {
  const Time now = clock_.Now();
  while (!backoff_.empty() && std::get<0>(*backoff_.begin()) <= now) {
    std::string key = std::get<2>(*backoff_.begin());
    backoff_.erase(backoff_.begin());
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    it->second.place = Place::kNone;
    PushActive(key, it->second);
  }
  ArmTimer();
}

void SchedulingQueue::Add(const std::string& key, int32_t priority) {
  auto [it, inserted] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (!inserted && e.place != Place::kNone) {
    if (e.priority != priority) {
      Place where = e.place;
      Remove(key, e);
      e.priority = priority;
      // Keep the place; re-inserting in active gives it a new FIFO position
      // among its new priority peers.
      if (where == Place::kActive) PushActive(key, e);
      if (where == Place::kBackoff) PushBackoff(key, e);
      if (where == Place::kUnschedulable) {
        e.place = Place::kUnschedulable;
        e.seq = next_seq_++;
        unschedulable_.emplace(e.seq, key);
      }
    }
    return;
  }
  e.priority = priority;
  PushActive(key, e);
}

void SchedulingQueue::Update(const std::string& key, int32_t priority) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.place != Place::kUnschedulable) {
    if (it != entries_.end() && it->second.place != Place::kNone) Add(key, priority);
    return;
  }
  Entry& e = it->second;
  Remove(key, e);
  e.priority = priority;
  PushBackoff(key, e);
}

void SchedulingQueue::Delete(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Remove(key, it->second);
  entries_.erase(it);
  // An armed timer for a removed entry finds nothing and re-arms; harmless.
}

std::optional<std::string> SchedulingQueue::Pop() {
  if (active_.empty()) return std::nullopt;
  std::string key = std::get<2>(*active_.begin());
  active_.erase(active_.begin());
  Entry& e = entries_[key];
  e.place = Place::kNone;
  ++e.attempts;
  return key;
}

void SchedulingQueue::AddUnschedulable(const std::string& key) {
  Entry& e = entries_[key];
  Remove(key, e);
  e.backoff_until = clock_.Now() + BackoffFor(std::max(e.attempts, 1));
  e.unschedulable_since = clock_.Now();
  e.place = Place::kUnschedulable;
  e.seq = next_seq_++;
  unschedulable_.emplace(e.seq, key);
  ArmFlush();
}

void SchedulingQueue::AddBackoff(const std::string& key) {
  Entry& e = entries_[key];
  Remove(key, e);
  e.backoff_until = clock_.Now() + BackoffFor(std::max(e.attempts, 1));
  PushBackoff(key, e);
}

void SchedulingQueue::Done(const std::string& key) {
  Delete(key);
}

size_t SchedulingQueue::MoveUnschedulable(const std::function<bool(const std::string&)>& may_help) {
  std::vector<std::string> moving;
  for (const auto& [seq, key] : unschedulable_) {
    if (!may_help || may_help(key)) moving.push_back(key);
  }
  for (const auto& key : moving) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.place != Place::kUnschedulable) continue;
    Remove(key, it->second);
    PushBackoff(key, it->second);
  }
  return moving.size();
}

SchedulingQueue::Place SchedulingQueue::Where(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? Place::kNone : it->second.place;
}

int32_t SchedulingQueue::Attempts(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.attempts;
}

std::optional<Time> SchedulingQueue::BackoffExpiry(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.place == Place::kActive) return std::nullopt;
  if (it->second.backoff_until <= clock_.Now()) return std::nullopt;
  return it->second.backoff_until;
}

std::vector<std::string> SchedulingQueue::UnschedulableKeys() const {
  std::vector<std::string> out;
  out.reserve(unschedulable_.size());
  for (const auto& [seq, key] : unschedulable_)
    out.push_back(key);
  return out;
}

}  // namespace navarch::scheduler
