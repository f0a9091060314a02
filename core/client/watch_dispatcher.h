#pragma once
// WatchDispatcher: the fan-out behind LocalApi::Watch (internal to
// core/client/; see local_api.h for the contract callers see).
//
// One dispatcher owns one store Watcher over one kind's key prefix and serves
// any number of Api watches ("subscriptions") from it. Subscriptions are
// indexed by node, label equality term and namespace (client::WatchIndex, the
// index the API server's HTTP watches use too), so an event is offered only
// to those that can match it; candidates are visited in subscription order
// (ids ascending), so delivery is deterministic. Label and field selectors
// are evaluated only for candidates, against both the old and new state, to
// turn a change into ADDED / MODIFIED / DELETED for that subscription.
//
// A subscription starts after a revision: events at or below it are skipped.
// The dispatcher can take a subscription starting at any revision >=
// dispatched() (everything after that is still to come from its Watcher).
//
// Threading: the Clock's loop only. The store's on_ready posts Drain(); with
// a delay, each drained batch is dispatched `delay` later (same delay for all
// batches, so order is kept).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/client/api.h"
#include "core/client/watch_index.h"
#include "core/runtime/clock.h"
#include "core/store/store.h"

namespace navarch::client {

class WatchDispatcher : public std::enable_shared_from_this<WatchDispatcher> {
 public:
  WatchDispatcher(store::Store& store, runtime::Clock& clock, Kind kind, Duration delay);
  ~WatchDispatcher();
  WatchDispatcher(const WatchDispatcher&) = delete;
  WatchDispatcher& operator=(const WatchDispatcher&) = delete;

  // Opens the store watcher for changes after `after`.
  Status Start(store::Revision after);
  bool watching() const { return watcher_ != nullptr && !failed_; }
  bool failed() const { return failed_; }

  // Adds a subscription receiving events with revision > `after`. The
  // returned handle removes it when destroyed.
  std::unique_ptr<WatchHandle> Add(const WatchOptions& options, WatchHandler handler,
                                   store::Revision after);
  void Remove(uint64_t id);

  // The revision of the last event handed to subscriptions (or Start's).
  store::Revision dispatched() const { return dispatched_; }

  // Delivers a kError with `status` to every subscription (later, on the
  // loop) and ends them.
  void FailLater(Status status);
  // Called after the last subscription is removed.
  void SetOnEmpty(std::function<void()> fn) { on_empty_ = std::move(fn); }

  // Handler invocations so far (for tests and benchmarks).
  uint64_t deliveries() const { return deliveries_; }

 private:
  struct Sub {
    uint64_t id = 0;
    WatchOptions options;
    WatchHandler handler;
    store::Revision after = 0;
    bool active = true;
  };

  void Drain();
  void Dispatch(const std::vector<store::Event>& events);
  void DispatchOne(const store::Event& event);
  void Fail(const Status& status);
  bool Matches(const Sub& sub, const api::Object& obj) const;

  store::Store& store_;
  runtime::Clock& clock_;
  const Kind kind_;
  const Duration delay_;
  std::unique_ptr<store::Watcher> watcher_;
  store::Revision dispatched_ = 0;
  bool failed_ = false;

  uint64_t next_id_ = 1;
  WatchIndex<std::shared_ptr<Sub>> subs_;
  std::vector<uint64_t> candidates_;  // scratch of DispatchOne
  std::function<void()> on_empty_;
  uint64_t deliveries_ = 0;
};

}  // namespace navarch::client
