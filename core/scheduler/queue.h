#pragma once
// SchedulingQueue: the pods waiting for a scheduling attempt.
//
// A pod is in at most one of three places:
//   active         ready to be tried; Pop() returns the highest priority
//                  (spec.priority) first, then the earliest to enter active;
//   backoff        waiting for its back-off to expire after a failed
//                  attempt, then moved to active by a timer on the Clock;
//   unschedulable  no node fitted at its last attempt; it stays there until
//                  the cluster changes in a way that may help
//                  (MoveUnschedulable), or — as Kubernetes' scheduler
//                  flushes them — until it has been there
//                  `max_unschedulable` (5 min), checked every
//                  `unschedulable_flush_period` (30 s): a change the
//                  scheduler cannot see (or misjudged) is not waited for
//                  forever.
// A pod being tried (between Pop and the report of the outcome) is in none.
//
// Back-off. The n-th failed attempt of a pod (n = attempts so far) makes it
// wait initial_backoff * 2^(n-1), capped at max_backoff, from the time of the
// failure: 1s, 2s, 4s, 8s, 10s, 10s, ... with the defaults. An unschedulable
// pod moved by a cluster event before its back-off expired goes to backoff
// for the rest of it, not straight to active.
//
// Notification. `on_active` (optional) is called, inline, whenever a pod
// enters active; the owner posts its work from there. The queue's own timer
// runs on the Clock loop.
//
// Single-threaded: use on the Clock's loop thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/base/time.h"
#include "core/runtime/clock.h"

namespace navarch::scheduler {

struct QueueOptions {
  Duration initial_backoff = seconds(1);
  Duration max_backoff = seconds(10);
  // Kubernetes' podMaxInUnschedulablePodsDuration; 0 = never flushed.
  Duration max_unschedulable = minutes(5);
  Duration unschedulable_flush_period = seconds(30);
};

class SchedulingQueue {
 public:
  enum class Place : uint8_t { kNone, kActive, kBackoff, kUnschedulable };

  SchedulingQueue(runtime::Clock& clock, QueueOptions options = {});
  ~SchedulingQueue();
  SchedulingQueue(const SchedulingQueue&) = delete;
  SchedulingQueue& operator=(const SchedulingQueue&) = delete;

  void SetOnActive(std::function<void()> fn) { on_active_ = std::move(fn); }

  // A new pod (or one not in the queue): to active. If it is already queued,
  // only its priority is updated (it keeps its place).
  void Add(const std::string& key, int32_t priority);
  // The pod's spec changed: an unschedulable pod may fit now, so it moves
  // (to backoff if its back-off has not expired, else active); elsewhere only
  // the priority is updated.
  void Update(const std::string& key, int32_t priority);
  // Forgets the pod wherever it is (including its attempt count).
  void Delete(const std::string& key);

  // The next pod to try, or nullopt. Counts an attempt for it.
  std::optional<std::string> Pop();
  // Outcomes of an attempt of a popped pod:
  //   no node fitted -> unschedulable (with back-off recorded);
  void AddUnschedulable(const std::string& key);
  //   an error (a failed bind) -> backoff.
  void AddBackoff(const std::string& key);
  //   the pod is placed: the queue forgets it.
  void Done(const std::string& key);

  // Moves every unschedulable pod for which `may_help(key)` is true (all when
  // no predicate), in the order they became unschedulable. Returns how many.
  size_t MoveUnschedulable(const std::function<bool(const std::string&)>& may_help = {});

  Place Where(std::string_view key) const;
  // Attempts counted for the pod (0 if unknown).
  int32_t Attempts(std::string_view key) const;
  // When the pod's current back-off ends (nullopt if not backing off).
  std::optional<Time> BackoffExpiry(std::string_view key) const;
  // The back-off after `attempts` failed attempts.
  Duration BackoffFor(int32_t attempts) const;

  size_t ActiveSize() const { return active_.size(); }
  size_t BackoffSize() const { return backoff_.size(); }
  size_t UnschedulableSize() const { return unschedulable_.size(); }
  // Pods moved out of unschedulable because they stayed there too long.
  uint64_t flushed() const { return flushed_; }
  // Keys of the unschedulable pods, oldest first.
  std::vector<std::string> UnschedulableKeys() const;

 private:
  struct Entry {
    Place place = Place::kNone;
    int32_t priority = 0;
    int32_t attempts = 0;
    uint64_t seq = 0;  // order within its place
    Time backoff_until;
    Time unschedulable_since;
  };
  using ActiveKey = std::tuple<int64_t, uint64_t, std::string>;  // (-priority, seq, key)
  using BackoffKey = std::tuple<Time, uint64_t, std::string>;    // (until, seq, key)
  using UnschedKey = std::pair<uint64_t, std::string>;           // (seq, key)

  void Remove(const std::string& key, Entry& e);
  void PushActive(const std::string& key, Entry& e);
  void PushBackoff(const std::string& key, Entry& e);
  void ArmTimer();
  void OnTimer();
  void ArmFlush();
  void Flush();

  runtime::Clock& clock_;
  const QueueOptions options_;
  std::function<void()> on_active_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::set<ActiveKey> active_;
  std::set<BackoffKey> backoff_;
  std::set<UnschedKey> unschedulable_;
  uint64_t next_seq_ = 1;
  uint64_t flushed_ = 0;
  runtime::TimerId timer_ = 0;
  Time timer_at_;
  runtime::TimerId flush_timer_ = 0;
};

}  // namespace navarch::scheduler
