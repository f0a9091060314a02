#pragma once
// The API server's metrics, rendered in the Prometheus text format at
// /metrics:
//   apiserver_request_total{verb,resource,code}              counter
//   apiserver_request_duration_seconds{verb,resource}        histogram
//   apiserver_registered_watchers                            gauge (open watch streams)
//   apiserver_storage_operation_duration_seconds{operation}  histogram
//   navarch_store_compactions_total{result="ok"|"error"}     counter
//   navarch_store_compacted_revision                         gauge (older
//       resourceVersions are gone: lists and watches from them get 410)
//   navarch_store_compaction_removed_versions_total          counter (superseded
//       versions and tombstones compaction removed)
// Durations are measured by the caller (from a Clock). Thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "core/base/time.h"
#include "core/runtime/clock.h"
#include "core/store/store.h"

namespace navarch::apiserver {

class Metrics {
 public:
  void ObserveRequest(std::string_view verb, std::string_view resource, int code, Duration latency);
  void ObserveStore(std::string_view operation, Duration latency);
  // One compaction of the store's history (compactor.h): `ok`, the revision
  // it compacted to and the versions it removed.
  void ObserveCompaction(bool ok, store::Revision revision, int64_t removed);
  // The store's compacted revision as found at start.
  void SetCompactedRevision(store::Revision revision);
  void WatchOpened();
  void WatchClosed();
  int64_t Watchers() const;
  uint64_t RequestCount(std::string_view verb, std::string_view resource, int code) const;

  std::string Render() const;

  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   10};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> request_latency_;
  std::map<std::string, Histogram> store_latency_;
  int64_t watchers_ = 0;
  uint64_t compactions_ok_ = 0;
  uint64_t compactions_failed_ = 0;
  store::Revision compacted_revision_ = 0;
  int64_t compaction_removed_ = 0;
};

// A Store decorator that times every call into Metrics (operation = get,
// list, create, update, delete, watch, compact). Clock::Now() must be thread-safe.
class MeteredStore final : public store::Store {
 public:
  MeteredStore(store::Store& inner, runtime::Clock& clock, Metrics& metrics)
      : inner_(inner), clock_(clock), metrics_(metrics) {}

  Result<store::KeyValue> Get(std::string_view key) override;
  Result<store::ListResult> List(std::string_view prefix,
                                 const store::ListOptions& options) override;
  Result<store::KeyValue> Create(std::string_view key, std::string value,
                                 const store::WriteOptions& options) override;
  Result<store::KeyValue> Update(std::string_view key, std::string value,
                                 store::Revision expected_revision,
                                 const store::WriteOptions& options) override;
  Result<store::KeyValue> Delete(std::string_view key, store::Revision expected_revision) override;
  Result<std::unique_ptr<store::Watcher>> Watch(const store::WatchOptions& options) override;
  void Remember(std::string_view key, store::Revision mod_revision,
                std::shared_ptr<const void> cached) override {
    inner_.Remember(key, mod_revision, std::move(cached));
  }
  Result<int64_t> Compact(store::Revision revision) override;
  store::Revision CurrentRevision() override { return inner_.CurrentRevision(); }
  store::Revision CompactedRevision() override { return inner_.CompactedRevision(); }
  std::string Describe() const override { return inner_.Describe(); }

 private:
  store::Store& inner_;
  runtime::Clock& clock_;
  Metrics& metrics_;
};

}  // namespace navarch::apiserver
