#pragma once
// WorkQueue: the queue of object keys every controller works from, in the
// shape of Kubernetes' controller work queues, on one Clock loop.
//
// Contract.
//   * Event handlers only call Add/AddAfter with a key ("<namespace>/<name>"
//     or "<name>"); the queue calls the controller's sync function later, on
//     the loop, never inline inside Add.
//   * De-duplication: a key added several times before it is processed is
//     processed once. A key added while it is being processed (the sync
//     function, or something it calls, adds it again) is processed once more
//     afterwards, never re-entrantly: one key never runs twice at once.
//   * Order: first in, first out by the time a key was (re-)added.
//   * Batching: at most `batch` keys are synced per loop turn; if more wait,
//     the rest is posted behind whatever else is due now, so a storm of
//     events cannot starve timers and watch deliveries on the same loop.
//   * Outcome: a sync returning ok forgets the key's failure history; a sync
//     returning an error requeues the key after a per-key exponential
//     back-off: base_backoff * 2^(failures-1), capped at max_backoff.
//   * AddAfter(key, d): the key is added once `d` has passed. Several
//     pending delays for one key collapse to the earliest.
//   * Client limits: with `throttle` set (the controller's client, see
//     core/client/throttle.h), the next key is synced only once the
//     throttle's ReadyAt() has come, so a controller whose requests exceeded
//     its QPS and burst pauses as a blocked client-go worker would.
//
// Threading: single-threaded on the Clock's loop (construct, call and destroy
// there). Callbacks already scheduled are inert once the queue is destroyed
// or ShutDown() was called.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>

#include "core/base/status.h"
#include "core/base/time.h"
#include "core/client/throttle.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

struct WorkQueueOptions {
  // Keys synced per loop turn before yielding (>= 1).
  size_t batch = 64;
  // Back-off of the first retry after a failed sync, doubling per failure.
  Duration base_backoff = milliseconds(5);
  Duration max_backoff = seconds(1000);
  // The controller's client limits (not owned); null = none.
  client::Throttle* throttle = nullptr;
};

struct WorkQueueStats {
  uint64_t adds = 0;       // Add calls that queued a key (not de-duplicated away)
  uint64_t syncs = 0;      // sync calls
  uint64_t errors = 0;     // syncs that returned an error
  uint64_t retries = 0;    // rate-limited requeues
  uint64_t turns = 0;      // loop turns that synced at least one key
  uint64_t throttled = 0;  // times processing paused for the client limits
  Status last_error;       // the most recent sync error (with the key as context)
};

class WorkQueue {
 public:
  using SyncFn = std::function<Status(const std::string& key)>;

  WorkQueue(runtime::Clock& clock, SyncFn sync, WorkQueueOptions options = {});
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` (de-duplicated) and makes sure processing is scheduled.
  void Add(const std::string& key);
  // Adds `key` once `delay` has passed (<= 0: now).
  void AddAfter(const std::string& key, Duration delay);
  // Adds `key` after its next back-off step (and counts the failure).
  void AddRateLimited(const std::string& key);
  // Clears the failure history of `key` (its next back-off is the base).
  void Forget(const std::string& key);
  // Failed syncs of `key` since it last succeeded.
  int Failures(const std::string& key) const;

  // Keys waiting to be synced (not counting delayed ones).
  size_t Len() const { return queue_.size(); }
  // Keys waiting for an AddAfter/back-off delay.
  size_t Delayed() const { return delayed_.size(); }
  // Stops processing; pending timers are cancelled, later Adds are ignored.
  void ShutDown();

  const WorkQueueStats& stats() const { return stats_; }

 private:
  void ScheduleDrain();
  void ScheduleDrainAt(Time when);
  void Drain();

  runtime::Clock& clock_;
  SyncFn sync_;
  const WorkQueueOptions options_;
  std::deque<std::string> queue_;
  // Keys that need a sync: queued, or re-added while being processed.
  // Only looked up, never iterated.
  std::unordered_set<std::string> dirty_;
  std::string processing_;
  bool is_processing_ = false;
  bool drain_scheduled_ = false;
  bool shut_down_ = false;
  struct Delay {
    Time when;
    runtime::TimerId timer = 0;
  };
  std::map<std::string, Delay, std::less<>> delayed_;
  std::map<std::string, int, std::less<>> failures_;
  WorkQueueStats stats_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace navarch::controllers
