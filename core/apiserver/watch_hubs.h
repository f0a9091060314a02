#pragma once
// WatchHubs: the fan-out behind the API server's watch streams. One store
// watcher per kind (created by the first subscription of that kind) feeds
// every subscriber of the kind; pod subscribers that filter on one
// spec.nodeName are indexed by it, so an event costs the subscribers that
// can match it, not all of them. A subscriber that starts from a revision the
// shared watcher has already passed gets a private store watcher replaying
// from there (compacted: OnError with kCompacted).
//
// Threading. Events are decoded once and delivered on the Clock's loop, in
// revision order, one callback at a time. Subscribe/Unsubscribe/Shutdown may
// be called from any thread. A subscriber may still receive a callback that
// was already under way when Unsubscribe returned; it should ignore it.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/api/labels.h"
#include "core/api/object.h"
#include "core/runtime/clock.h"
#include "core/store/store.h"

namespace navarch::apiserver {

// One change, decoded once for every subscriber.
struct HubEvent {
  store::Revision revision = 0;
  bool deleted = false;
  // The new state (a put) or the last state with resourceVersion set to
  // the delete's revision (a delete).
  api::ObjectPtr object;
  // The state before; null for a creation.
  api::ObjectPtr previous;
  // `object` as v1 JSON, encoded on first use.
  const std::string& ObjectJson() const;

 private:
  mutable std::string json_;
};

class WatchSubscriber {
 public:
  virtual ~WatchSubscriber() = default;
  virtual void OnEvent(const HubEvent& event) = 0;
  // The feed failed (kCompacted when the start revision is gone); nothing follows.
  virtual void OnError(const Status& status) = 0;
  // The server is shutting down; nothing follows. Called on any thread.
  virtual void OnShutdown() = 0;
};

class WatchHubs {
 public:
  WatchHubs(store::Store& store, runtime::Clock& clock);
  ~WatchHubs();

  struct Subscription {
    api::Kind kind;
    uint64_t id = 0;
  };
  // Delivers the changes of `kind` with revision > `after` that may concern
  // a subscriber watching pods of `node` (when set), namespace `ns` (when
  // not empty) and objects matching `labels`: subscribers are indexed as
  // LocalApi's watches are (client::WatchIndex: by node, label equality term
  // and namespace), so an event reaches only those that can match it. The
  // subscriber still applies its own filters (it is offered a superset).
  Result<Subscription> Subscribe(api::Kind kind, store::Revision after,
                                 std::optional<std::string> node,
                                 std::shared_ptr<WatchSubscriber> subscriber, std::string ns = {},
                                 const api::LabelSelector& labels = {});
  void Unsubscribe(const Subscription& s);
  // The revision up to which `s` has been handed every event (for bookmarks).
  // Loop thread only.
  store::Revision Delivered(const Subscription& s) const;
  // Calls OnShutdown on every subscriber and refuses new ones.
  void Shutdown();
  size_t SessionCount() const;

 private:
  struct Hub;
  struct Private;
  Hub& HubFor(api::Kind kind);

  store::Store& store_;
  runtime::Clock& clock_;
  mutable std::mutex mu_;
  std::map<api::Kind, std::shared_ptr<Hub>> hubs_;         // guarded by mu_
  std::map<uint64_t, std::shared_ptr<Private>> privates_;  // guarded by mu_
  uint64_t next_id_ = 1;                                   // guarded by mu_
  bool shut_down_ = false;                                 // guarded by mu_
};

}  // namespace navarch::apiserver
