#pragma once
// Compactor: keeps the store's history bounded, as kube-apiserver's
// --etcd-compaction-interval compactor does for etcd.
//
// Every `interval` it compacts the store (Store::Compact) to the revision
// that was current one interval earlier, and remembers the current one for
// the next round. So a watch or list from a resourceVersion younger than one
// interval always resumes; one older than two intervals has been compacted
// away and gets 410 Gone (Expired), after which clients re-list, as in
// Kubernetes. The first round, one interval after Start(), compacts to the
// revision current at Start(). A round whose target is not above the
// compacted revision does nothing and reports nothing.
//
// Time is the Clock's: rounds run as Clock timers, on the Clock's loop, so
// tests drive them with a ManualClock. A round compacts in steps of at most
// `step_revisions` revisions, each its own Store::Compact (SqliteStore: its
// own transaction, queued with the writers) and its own task on the loop, so
// neither writers nor the loop wait for a whole interval's history at once
// (figures in docs/store.md). The round is reported once, after its last
// step.
//
// Threading. Start() and Stop() may be called from any thread (Stop waits
// for a round in progress); the observer runs on the loop and must not call
// Stop(). The Store and Clock must outlive the Compactor.

#include <cstdint>
#include <functional>
#include <memory>

#include "core/base/status.h"
#include "core/base/time.h"
#include "core/runtime/clock.h"
#include "core/store/store.h"

namespace navarch::apiserver {

struct CompactorOptions {
  // Time between rounds; zero (or negative) disables compaction.
  Duration interval = minutes(5);
  // The most revisions one step compacts (at least 1).
  store::Revision step_revisions = 10'000;
};

// One round that compacted (or failed to).
struct CompactionReport {
  store::Revision revision = 0;  // the revision compacted to (the round's target)
  int64_t removed = 0;           // versions removed by all its steps (Store::Compact)
  int steps = 0;                 // Store::Compact calls
  Status status;                 // ok, or why the store refused (the round stops there)
};

class Compactor {
 public:
  using Observer = std::function<void(const CompactionReport&)>;

  Compactor(store::Store& store, runtime::Clock& clock, CompactorOptions options,
            Observer observer = {});
  ~Compactor();  // Stop()
  Compactor(const Compactor&) = delete;
  Compactor& operator=(const Compactor&) = delete;

  // Schedules the first round one interval from now. No-op when disabled or
  // already started.
  void Start();
  // Cancels the next round; once it returns, no round runs again.
  // Idempotent.
  void Stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace navarch::apiserver
