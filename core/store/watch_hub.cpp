#include "core/store/watch_hub.h"

#include <algorithm>
#include <utility>

namespace navarch::store {

bool WatchQueue::Push(const Event& event) {
  std::lock_guard lock(mu_);
  if (cancelled_ || closed_) return false;
  bool was_empty = queue_.empty();
  queue_.push_back(event);
  if (!was_empty) return false;
  cv_.notify_all();
  return static_cast<bool>(on_ready_);
}

bool WatchQueue::Push(Event&& event) {
  std::lock_guard lock(mu_);
  if (cancelled_ || closed_) return false;
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(event));
  if (!was_empty) return false;
  cv_.notify_all();
  return static_cast<bool>(on_ready_);
}

std::vector<Event> WatchQueue::Poll() {
  std::vector<Event> out;
  std::lock_guard lock(mu_);
  out.swap(queue_);
  return out;
}

Result<std::vector<Event>> WatchQueue::Next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || cancelled_ || closed_; });
  if (cancelled_) return Cancelled("watch on prefix \"" + prefix_ + "\" was cancelled");
  if (!queue_.empty()) {
    std::vector<Event> out;
    out.swap(queue_);
    return out;
  }
  if (closed_) return Cancelled("watch on prefix \"" + prefix_ + "\": " + close_reason_);
  return std::vector<Event>{};
}

void WatchQueue::Cancel() {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      cancelled_ = true;
      queue_.clear();
      cv_.notify_all();
    }
  }
  // Wait for an on_ready running on another thread; after this no callback
  // can start, because RunReady checks cancelled_ under callback_mu_.
  std::lock_guard callback_lock(callback_mu_);
}

void WatchQueue::Close(std::string reason) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  closed_ = true;
  close_reason_ = std::move(reason);
  cv_.notify_all();
}

void WatchQueue::RunReady() {
  std::lock_guard callback_lock(callback_mu_);
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
  }
  on_ready_();
}

void RunReady(ReadyList& ready) {
  for (auto& queue : ready)
    queue->RunReady();
  ready.clear();
}

bool WatchHub::Add(std::shared_ptr<WatchQueue> queue) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  auto [it, inserted] = by_prefix_.try_emplace(queue->prefix());
  if (inserted) ++lengths_[queue->prefix().size()];
  it->second.push_back(std::move(queue));
  count_.fetch_add(1, std::memory_order_release);
  return true;
}

void WatchHub::Remove(const WatchQueue* queue) {
  std::lock_guard lock(mu_);
  auto it = by_prefix_.find(queue->prefix());
  if (it == by_prefix_.end()) return;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(),
                          [&](const std::shared_ptr<WatchQueue>& q) { return q.get() == queue; });
  if (pos == list.end()) return;
  list.erase(pos);
  count_.fetch_sub(1, std::memory_order_release);
  if (!list.empty()) return;
  auto len = lengths_.find(it->first.size());
  if (--len->second == 0) lengths_.erase(len);
  by_prefix_.erase(it);
}

void WatchHub::Publish(const Event& event, ReadyList& ready) {
  std::lock_guard lock(mu_);
  const std::string_view key = event.kv.key;
  for (const auto& [length, unused] : lengths_) {
    if (length > key.size()) break;
    auto it = by_prefix_.find(key.substr(0, length));
    if (it == by_prefix_.end()) continue;
    for (const auto& queue : it->second) {
      if (queue->Push(event)) ready.push_back(queue);
    }
  }
}

void WatchHub::Close(const std::string& reason) {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& [prefix, list] : by_prefix_) {
    for (auto& queue : list)
      queue->Close(reason);
  }
  by_prefix_.clear();
  lengths_.clear();
  count_.store(0, std::memory_order_release);
}

void HubWatcher::Cancel() {
  queue_->Cancel();
  if (auto hub = hub_.lock()) hub->Remove(queue_.get());
  hub_.reset();
}

Status EmptyKeyError(std::string_view operation) {
  return InvalidArgument(std::string(operation) +
                         ": empty key; keys must be non-empty, conventionally "
                         "\"/registry/<resource>/<namespace>/<name>\"");
}

Status CompactedError(Revision requested, Revision compacted) {
  return Compacted("revision " + std::to_string(requested) +
                   " has been compacted; the oldest available is " + std::to_string(compacted) +
                   ": re-list and watch from the list's revision");
}

Status FutureRevisionError(Revision requested, Revision current) {
  return InvalidArgument("revision " + std::to_string(requested) +
                         " is in the future; the current revision is " + std::to_string(current));
}

Result<Revision> ResolveRevision(Revision requested, Revision current, Revision compacted) {
  Revision rev = requested == 0 ? current : requested;
  if (rev > current) return FutureRevisionError(rev, current);
  if (rev < compacted) return CompactedError(rev, compacted);
  return rev;
}

Status NotFoundError(std::string_view key) {
  return NotFound("key \"" + std::string(key) + "\" not found");
}

Status AlreadyExistsError(std::string_view key, Revision create_revision) {
  return AlreadyExists("key \"" + std::string(key) + "\" already exists (created at revision " +
                       std::to_string(create_revision) + ")");
}

Status ConflictError(std::string_view key, Revision expected, Revision actual) {
  return Conflict("key \"" + std::string(key) + "\" was modified: expected revision " +
                  std::to_string(expected) + ", current revision " + std::to_string(actual) +
                  "; re-read and retry");
}

Status NegativeError(std::string_view what, int64_t value) {
  return InvalidArgument(std::string(what) + " must not be negative, got " + std::to_string(value));
}

}  // namespace navarch::store
