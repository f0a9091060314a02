#pragma once
// Expectations: what a controller is waiting to see in its informer cache
// after it issued creates and deletes, so that it does not act twice on the
// same shortfall while its own writes are still in flight (Kubernetes'
// ControllerExpectations / UIDTrackingControllerExpectations).
//
// After a sync issues N creates, it records ExpectCreations(key, N); every
// pod add the informer later delivers for that controller calls
// CreationObserved(key). Deletes are tracked by pod key, so that seeing the
// same deletion twice (first as a deletionTimestamp, then as the delete
// event) counts once. A controller acts again only when Satisfied(key): no
// record, every expected create and delete observed, or the record older
// than `timeout` (a lost event must not wedge the controller forever).
//
// Writes that failed produce no event: the caller lowers the expectation
// itself (CreationObserved / DeletionObserved) for each of them.
//
// Threading: single-threaded on the controller's loop.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/time.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

class Expectations {
 public:
  Expectations(runtime::Clock& clock, Duration timeout) : clock_(clock), timeout_(timeout) {}

  // Replaces the record of `key`: expect `creates` pod adds and the deletion
  // of `deletes` (pod keys); the timeout starts now.
  void Expect(const std::string& key, int creates, std::vector<std::string> deletes);
  void CreationObserved(const std::string& key);
  void DeletionObserved(const std::string& key, const std::string& pod_key);
  // Forgets `key` (its controller was deleted).
  void Delete(const std::string& key);

  bool Satisfied(const std::string& key) const;
  // When an unsatisfied record of `key` expires; nullopt if satisfied.
  std::optional<Time> ExpiresAt(const std::string& key) const;
  // Outstanding creates / deletes of `key` (0 when none).
  int PendingCreates(const std::string& key) const;
  int PendingDeletes(const std::string& key) const;

 private:
  struct Record {
    int creates = 0;
    std::set<std::string> deletes;
    Time since;
  };
  bool Fulfilled(const Record& r) const { return r.creates <= 0 && r.deletes.empty(); }

  runtime::Clock& clock_;
  const Duration timeout_;
  std::map<std::string, Record, std::less<>> records_;
};

}  // namespace navarch::controllers
