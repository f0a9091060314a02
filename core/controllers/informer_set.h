#pragma once
// InformerSet: one shared informer per kind, so that several controllers (and
// the scheduler) cache pods, nodes and services once instead of once each.
//
// Usage. Build the set, construct every controller that shares it (each
// registers its handlers and indexes in its constructor, through For()), then
// Start() — the set's or any controller's, which starts the set: informers
// must have all their handlers before they start (Informer contract), so a
// controller constructed after the set started misses the initial adds of
// the kinds it shares. Controllers guard against that by enqueueing every
// object of their primary kind from the cache when they start.
//
// Informers are created lazily by For(kind), watch every namespace with no
// selector, and are started in Kind order. Threading: single-threaded on the
// Clock's loop, like the informers themselves. The Api and Clock must outlive
// the set; the set must outlive the controllers using it.

#include <map>
#include <memory>

#include "core/api/object.h"
#include "core/client/api.h"
#include "core/client/informer.h"
#include "core/runtime/clock.h"

namespace navarch::controllers {

class InformerSet {
 public:
  InformerSet(client::Api& api, runtime::Clock& clock, client::InformerOptions options = {});
  InformerSet(const InformerSet&) = delete;
  InformerSet& operator=(const InformerSet&) = delete;

  // The informer of `kind`, created on first use (not started).
  client::Informer& For(api::Kind kind);

  // Starts every informer created so far that has not started yet, in Kind
  // order. Returns the first list error (the failed informer and those after
  // it stay unstarted; call Start again). Idempotent.
  Status Start();
  // True when every informer created so far has applied its initial list.
  bool HasSynced() const;

  client::Api& api() { return api_; }
  runtime::Clock& clock() { return clock_; }

 private:
  client::Api& api_;
  runtime::Clock& clock_;
  const client::InformerOptions options_;
  std::map<api::Kind, std::unique_ptr<client::Informer>> informers_;
};

}  // namespace navarch::controllers
