#pragma once
// Watch plumbing shared by the Store implementations (internal to
// core/store/; other folders use the Watcher interface in store.h).
//
// A WatchQueue is one subscription's event queue. A WatchHub holds the live
// queues indexed by prefix and fans one event out to every queue whose prefix
// matches the key, in O(number of distinct prefix lengths) map lookups rather
// than a scan of all watchers.
//
// Ordering contract with the stores: a store publishes events while holding
// the lock that serialises its writes, and registers a new queue (after
// queueing its backlog) while holding the same lock, so every queue sees a
// gap-free, duplicate-free sequence in revision order. on_ready callbacks are
// collected during Publish and run afterwards by the store, with no store
// lock held (RunReady).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/store.h"

namespace navarch::store {

class WatchQueue {
 public:
  WatchQueue(std::string prefix, std::function<void()> on_ready)
      : prefix_(std::move(prefix)), on_ready_(std::move(on_ready)) {}

  const std::string& prefix() const { return prefix_; }

  // Appends one event. Returns true when the queue went from empty to
  // non-empty and an on_ready callback must be run (after locks are released).
  bool Push(const Event& event);
  bool Push(Event&& event);

  std::vector<Event> Poll();
  Result<std::vector<Event>> Next(std::chrono::milliseconds timeout);

  // Owner cancellation: queued events are discarded, Next returns kCancelled,
  // and once Cancel returns on_ready is never called again (a callback running
  // on another thread is waited for; Cancel from inside on_ready is allowed).
  void Cancel();
  // Store shutdown: events already queued can still be taken, then Next
  // returns kCancelled with `reason`.
  void Close(std::string reason);

  // Runs on_ready unless cancelled. Called without store locks held.
  void RunReady();

 private:
  const std::string prefix_;
  std::function<void()> on_ready_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> queue_;
  bool cancelled_ = false;
  bool closed_ = false;
  std::string close_reason_;

  // Held while on_ready runs, so Cancel can wait for a running callback.
  // Recursive so that on_ready may itself cancel its own watcher.
  std::recursive_mutex callback_mu_;
};

// Queues whose on_ready must run once the publishing store drops its locks.
using ReadyList = std::vector<std::shared_ptr<WatchQueue>>;
void RunReady(ReadyList& ready);

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  // Registers a queue. Returns false (and registers nothing) after Close.
  bool Add(std::shared_ptr<WatchQueue> queue);
  void Remove(const WatchQueue* queue);

  // True when no queue is registered: lets a writer skip building events.
  bool empty() const { return count_.load(std::memory_order_acquire) == 0; }

  // Delivers `event` to every queue whose prefix is a prefix of the event's
  // key. Queues needing on_ready are appended to `ready`.
  void Publish(const Event& event, ReadyList& ready);

  // Closes every queue (their Next returns kCancelled with `reason`) and
  // refuses new ones. Called from a store's destructor.
  void Close(const std::string& reason);

 private:
  mutable std::mutex mu_;
  std::atomic<size_t> count_{0};
  bool closed_ = false;
  std::map<std::string, std::vector<std::shared_ptr<WatchQueue>>, std::less<>> by_prefix_;
  // Distinct prefix lengths in use, with how many prefixes have each length.
  std::map<size_t, size_t> lengths_;
};

// The Watcher handed to callers: owns its queue and unregisters it from the
// hub on Cancel or destruction. Holds the hub weakly so a Watcher may outlive
// its store (it then reports kCancelled "store closed").
class HubWatcher final : public Watcher {
 public:
  HubWatcher(std::shared_ptr<WatchQueue> queue, std::weak_ptr<WatchHub> hub)
      : queue_(std::move(queue)), hub_(std::move(hub)) {}
  ~HubWatcher() override { Cancel(); }

  std::vector<Event> Poll() override { return queue_->Poll(); }
  Result<std::vector<Event>> Next(std::chrono::milliseconds timeout) override {
    return queue_->Next(timeout);
  }
  void Cancel() override;

 private:
  std::shared_ptr<WatchQueue> queue_;
  std::weak_ptr<WatchHub> hub_;
};

// True if `key` starts with `prefix`.
inline bool HasPrefix(std::string_view key, std::string_view prefix) {
  return key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0;
}

// Shared message builders so both stores word their errors identically.
Status EmptyKeyError(std::string_view operation);
Status CompactedError(Revision requested, Revision compacted);
Status FutureRevisionError(Revision requested, Revision current);
Status NotFoundError(std::string_view key);
Status AlreadyExistsError(std::string_view key, Revision create_revision);
Status ConflictError(std::string_view key, Revision expected, Revision actual);
Status NegativeError(std::string_view what, int64_t value);

// The revision a List or Watch starts from: `requested`, or `current` when
// `requested` is 0. Fails with FutureRevisionError / CompactedError when it
// lies outside [compacted, current]. Both stores call it under their lock.
Result<Revision> ResolveRevision(Revision requested, Revision current, Revision compacted);

}  // namespace navarch::store
