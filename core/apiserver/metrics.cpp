#include "core/apiserver/metrics.h"

#include <algorithm>
#include <cstdio>

namespace navarch::apiserver {

namespace {

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

double Seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void Metrics::Histogram::Observe(double seconds) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts[i];
  }
  ++count;
  sum += seconds;
}

void Metrics::ObserveRequest(std::string_view verb, std::string_view resource, int code,
                             Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(verb), std::string(resource), code}];
  request_latency_[{std::string(verb), std::string(resource)}].Observe(Seconds(latency));
}

void Metrics::ObserveStore(std::string_view operation, Duration latency) {
  std::lock_guard<std::mutex> lock(mu_);
  store_latency_[std::string(operation)].Observe(Seconds(latency));
}

void Metrics::ObserveCompaction(bool ok, store::Revision revision, int64_t removed) {
  std::lock_guard<std::mutex> lock(mu_);
  compaction_removed_ += removed;  // a failed round may have removed some first
  if (!ok) {
    ++compactions_failed_;
    return;
  }
  ++compactions_ok_;
  compacted_revision_ = std::max(compacted_revision_, revision);
}

void Metrics::SetCompactedRevision(store::Revision revision) {
  std::lock_guard<std::mutex> lock(mu_);
  compacted_revision_ = std::max(compacted_revision_, revision);
}

void Metrics::WatchOpened() {
  std::lock_guard<std::mutex> lock(mu_);
  ++watchers_;
}

void Metrics::WatchClosed() {
  std::lock_guard<std::mutex> lock(mu_);
  --watchers_;
}

int64_t Metrics::Watchers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watchers_;
}

uint64_t Metrics::RequestCount(std::string_view verb, std::string_view resource, int code) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find({std::string(verb), std::string(resource), code});
  return it == requests_.end() ? 0 : it->second;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  auto histogram = [&out](const std::string& name, const std::string& labels, const Histogram& h) {
    const std::string sep = labels.empty() ? "" : ",";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      out += name + "_bucket{" + labels + sep + "le=\"" + Num(kBuckets[i]) + "\"} " +
             std::to_string(h.counts[i]) + "\n";
    }
    out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    out += name + "_sum{" + labels + "} " + Num(h.sum) + "\n";
    out += name + "_count{" + labels + "} " + std::to_string(h.count) + "\n";
  };
  out += "# HELP apiserver_request_total Requests served, by verb, resource and HTTP code.\n";
  out += "# TYPE apiserver_request_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [verb, resource, code] = key;
    out += "apiserver_request_total{verb=\"" + verb + "\",resource=\"" + resource + "\",code=\"" +
           std::to_string(code) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP apiserver_request_duration_seconds Request latency, by verb and resource.\n";
  out += "# TYPE apiserver_request_duration_seconds histogram\n";
  for (const auto& [key, h] : request_latency_) {
    histogram("apiserver_request_duration_seconds",
              "verb=\"" + key.first + "\",resource=\"" + key.second + "\"", h);
  }
  out += "# HELP apiserver_registered_watchers Open watch streams.\n";
  out += "# TYPE apiserver_registered_watchers gauge\n";
  out += "apiserver_registered_watchers " + std::to_string(watchers_) + "\n";
  out += "# HELP apiserver_storage_operation_duration_seconds Store call latency.\n";
  out += "# TYPE apiserver_storage_operation_duration_seconds histogram\n";
  for (const auto& [op, h] : store_latency_) {
    histogram("apiserver_storage_operation_duration_seconds", "operation=\"" + op + "\"", h);
  }
  out += "# HELP navarch_store_compactions_total Compactions of the store's history, by result.\n";
  out += "# TYPE navarch_store_compactions_total counter\n";
  out += "navarch_store_compactions_total{result=\"ok\"} " + std::to_string(compactions_ok_) + "\n";
  out += "navarch_store_compactions_total{result=\"error\"} " +
         std::to_string(compactions_failed_) + "\n";
  out +=
      "# HELP navarch_store_compacted_revision The revision the store's history is compacted to; "
      "lists and watches from an older resourceVersion get 410 Gone.\n";
  out += "# TYPE navarch_store_compacted_revision gauge\n";
  out += "navarch_store_compacted_revision " + std::to_string(compacted_revision_) + "\n";
  out +=
      "# HELP navarch_store_compaction_removed_versions_total Superseded versions and tombstones "
      "removed from the store by compaction.\n";
  out += "# TYPE navarch_store_compaction_removed_versions_total counter\n";
  out += "navarch_store_compaction_removed_versions_total " + std::to_string(compaction_removed_) +
         "\n";
  return out;
}

#define NAVARCH_TIMED(op, expr)                     \
  const Time _start = clock_.Now();                 \
  auto _result = (expr);                            \
  metrics_.ObserveStore(op, clock_.Now() - _start); \
  return _result

Result<store::KeyValue> MeteredStore::Get(std::string_view key) {
  NAVARCH_TIMED("get", inner_.Get(key));
}
Result<store::ListResult> MeteredStore::List(std::string_view prefix,
                                             const store::ListOptions& options) {
  NAVARCH_TIMED("list", inner_.List(prefix, options));
}
Result<store::KeyValue> MeteredStore::Create(std::string_view key, std::string value,
                                             const store::WriteOptions& options) {
  NAVARCH_TIMED("create", inner_.Create(key, std::move(value), options));
}
Result<store::KeyValue> MeteredStore::Update(std::string_view key, std::string value,
                                             store::Revision expected_revision,
                                             const store::WriteOptions& options) {
  NAVARCH_TIMED("update", inner_.Update(key, std::move(value), expected_revision, options));
}
Result<store::KeyValue> MeteredStore::Delete(std::string_view key,
                                             store::Revision expected_revision) {
  NAVARCH_TIMED("delete", inner_.Delete(key, expected_revision));
}
Result<std::unique_ptr<store::Watcher>> MeteredStore::Watch(const store::WatchOptions& options) {
  NAVARCH_TIMED("watch", inner_.Watch(options));
}
Result<int64_t> MeteredStore::Compact(store::Revision revision) {
  NAVARCH_TIMED("compact", inner_.Compact(revision));
}

#undef NAVARCH_TIMED

}  // namespace navarch::apiserver
