#pragma once
// EventRecorder: the seam through which every component reports what it did
// or saw as a Kubernetes Event (core/v1) — the scheduler's Scheduled and
// FailedScheduling, the replication manager's SuccessfulCreate, the kubelet's
// Pulling/Created/Started/Killing/BackOff, and so on — so that
// `kubectl describe` and `kubectl events` show them. The same code records
// them in the simulator (virtual time, deterministic) and on a real cluster.
//
// ApiEventRecorder writes them through an Api with Kubernetes' client-side
// semantics (client-go's EventCorrelator):
//
//   * Deduplication. An event identical to a recent one (same source,
//     involved object, type, reason and message) updates that Event instead
//     of creating one: count + 1, lastTimestamp = now.
//   * Aggregation. More than `aggregate_max` (10) events in
//     `aggregate_window` (10 min) that differ only in their message become
//     one Event whose message is "(combined from similar events): " + the
//     latest message, counted as above.
//   * Spam filter. Per source and involved object, a token bucket of
//     `burst` (25) refilled one token per `refill` (5 min): beyond it events
//     are dropped (counted in stats).
//   * Naming. "<object name>.<hex of the time in ns>" in the object's
//     namespace ("default" for cluster-scoped objects), as client-go names
//     them; a name already taken moves on by a nanosecond.
//   * Failures (an unreachable API, a partitioned kubelet) drop the event,
//     as client-go does after its retries; nothing blocks the component.
//
// Events expire: LocalApi deletes an Event `event_ttl` (1 h, as
// kube-apiserver's --event-ttl) after its last write.
//
// Threading: the Clock's loop (as the component that owns it).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/api/types.h"
#include "core/client/api.h"
#include "core/runtime/clock.h"

namespace navarch::client {

class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // `type` is api::kEventNormal or api::kEventWarning; `reason` a short
  // CamelCase word ("Scheduled"); `field_path` names a part of the object
  // ("spec.containers{web}").
  virtual void Record(const api::Object& regarding, std::string_view type, std::string_view reason,
                      std::string message, std::string_view field_path = {}) = 0;
};

// Records nothing (components built without a recorder).
class NullEventRecorder final : public EventRecorder {
 public:
  void Record(const api::Object&, std::string_view, std::string_view, std::string,
              std::string_view) override {}
};

struct EventRecorderOptions {
  // source.component and reportingComponent ("default-scheduler", "kubelet").
  std::string component;
  // source.host and reportingInstance (the kubelet's node name); may be "".
  std::string host;
  int burst = 25;
  Duration refill = minutes(5);
  int aggregate_max = 10;
  Duration aggregate_window = minutes(10);
  // How many recent events are remembered for deduplication.
  size_t cache_size = 4096;
};

struct EventRecorderStats {
  uint64_t created = 0;
  uint64_t updated = 0;     // deduplicated into an existing Event
  uint64_t aggregated = 0;  // recorded under a combined message
  uint64_t dropped = 0;     // by the spam filter
  uint64_t failed = 0;      // the write failed
};

class ApiEventRecorder final : public EventRecorder {
 public:
  ApiEventRecorder(Api& api, runtime::Clock& clock, EventRecorderOptions options);
  void Record(const api::Object& regarding, std::string_view type, std::string_view reason,
              std::string message, std::string_view field_path = {}) override;
  const EventRecorderStats& stats() const { return stats_; }

 private:
  // A map that keeps at least its `cap` most recently used entries (client-go
  // keeps its correlator's caches to 4,096 entries). Keys are 64-bit hashes
  // of what client-go keys its caches by, so that a recorded event costs no
  // key strings. Each entry carries the tick of its last use; when the map
  // reaches 2 * cap, the older half is dropped at once (one allocation per
  // entry and one lookup per use; amortised O(1) eviction).
  template <class V>
  class Lru {
   public:
    explicit Lru(size_t cap) : cap_(cap) {}
    V* Find(uint64_t key);
    V& Put(uint64_t key, V value);

   private:
    struct Slot {
      V value;
      uint64_t used = 0;
    };
    void Evict();
    size_t cap_;
    uint64_t tick_ = 0;
    std::unordered_map<uint64_t, Slot> map_;
  };
  struct Seen {        // an Event already written
    std::string name;  // in the object's namespace
    int32_t count = 0;
  };
  struct Similar {  // messages of one source/object/type/reason in a window
    Time window_start;
    std::vector<uint64_t> messages;  // distinct, at most aggregate_max + 1
  };
  struct Bucket {  // the spam filter of one source/object
    double tokens = 0;
    Time at;
  };

  Api& api_;
  runtime::Clock& clock_;
  const EventRecorderOptions options_;
  Lru<Seen> seen_;
  Lru<Similar> similar_;
  Lru<Bucket> buckets_;
  int64_t last_nanos_ = 0;  // of the last Event name
  EventRecorderStats stats_;
};

}  // namespace navarch::client
