#pragma once
// WatchFeeds: the one watch fan-out engine. Every watch of a process goes
// through it — LocalApi::Watch (the simulator, in-process components) and
// the API server's HTTP watch streams (which reach it through LocalApi::Watch
// of its pool, all sharing one WatchFeeds) — so what a watcher sees, and in
// which order, does not depend on the transport.
//
// One WatchFeed per kind owns one store Watcher over the kind's key prefix.
// Each store event is decoded once and offered, through client::WatchIndex
// (node, label equality term, namespace), only to the subscriptions that can
// match it; candidates are visited in subscription order (ids ascending), so
// delivery is deterministic. Label and field selectors are evaluated, for
// candidates only, against both the old and new state, to turn a change into
// ADDED / MODIFIED / DELETED for that subscription. All subscriptions of one
// event are handed the same ObjectPtr, so a consumer that encodes it (the
// HTTP streams) can encode it once.
//
// A subscription starts after a revision: events at or below it are skipped.
// One from a revision the kind's feed has already passed gets a private feed
// replaying from there (kError kCompacted, later on the loop, when that
// revision is compacted).
//
// Threading. Events reach handlers on the Clock's loop, in revision order,
// one at a time, optionally `delay` after they were drained from the store
// (the same delay for every batch, so order is kept). Watch, Stop and
// Shutdown may be called from any thread; a handle stopped on the loop
// thread is never called again once Stop returned (from another thread, a
// call already under way may still complete).

#include <cstdint>
#include <memory>

#include "core/client/api.h"
#include "core/runtime/clock.h"
#include "core/store/store.h"

namespace navarch::client {

class WatchFeeds {
 public:
  WatchFeeds(store::Store& store, runtime::Clock& clock, Duration delay = Duration::zero());
  ~WatchFeeds();
  WatchFeeds(const WatchFeeds&) = delete;
  WatchFeeds& operator=(const WatchFeeds&) = delete;

  // Delivers the changes of `kind` after revision `after` that match
  // `options` (its resource_version is not read: `after` is the start).
  // Fails at once only when no store watcher can be opened at all, or after
  // Shutdown; a compacted `after` is reported to the handler.
  Result<std::unique_ptr<WatchHandle>> Watch(Kind kind, const WatchOptions& options,
                                             WatchHandler handler, store::Revision after);

  // Ends every watch without a further call to its handler, cancels the
  // store watchers and refuses new watches (kUnavailable).
  void Shutdown();

  // Store watchers open: one per watched kind plus one per running replay.
  size_t StoreWatcherCount() const;
  // Live subscriptions, shared and replaying.
  size_t SubscriptionCount() const;
  // Handler invocations so far (for tests and benchmarks).
  uint64_t deliveries() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace navarch::client
