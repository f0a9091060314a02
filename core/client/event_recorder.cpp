#include "core/client/event_recorder.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <utility>
#include <vector>

namespace navarch::client {

namespace {

// Hashes that combine (boost::hash_combine's mixing on 64 bits).
uint64_t Mix(uint64_t seed, std::string_view part) {
  const uint64_t h = std::hash<std::string_view>{}(part);
  return seed ^ (h + 0x9e3779b97f4a7c15ull + (seed << 12) + (seed >> 4));
}

}  // namespace

template <class V>
V* ApiEventRecorder::Lru<V>::Find(uint64_t key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  it->second.used = ++tick_;
  return &it->second.value;
}

template <class V>
V& ApiEventRecorder::Lru<V>::Put(uint64_t key, V value) {
  auto [it, inserted] = map_.try_emplace(key);
  it->second.value = std::move(value);
  it->second.used = ++tick_;
  // The newest entry is kept, and erasing others leaves `it` valid.
  if (inserted && map_.size() >= 2 * cap_) Evict();
  return it->second.value;
}

template <class V>
void ApiEventRecorder::Lru<V>::Evict() {
  // Keep the `cap_` most recently used entries (ticks are distinct).
  std::vector<uint64_t> ticks;
  ticks.reserve(map_.size());
  for (const auto& [key, slot] : map_)
    ticks.push_back(slot.used);
  auto nth = ticks.end() - static_cast<std::ptrdiff_t>(cap_);
  std::nth_element(ticks.begin(), nth, ticks.end());
  const uint64_t oldest_kept = *nth;
  std::erase_if(map_, [&](const auto& entry) { return entry.second.used < oldest_kept; });
}

ApiEventRecorder::ApiEventRecorder(Api& api, runtime::Clock& clock, EventRecorderOptions options)
    : api_(api),
      clock_(clock),
      options_(std::move(options)),
      seen_(std::max<size_t>(1, options_.cache_size)),
      similar_(std::max<size_t>(1, options_.cache_size)),
      buckets_(std::max<size_t>(1, options_.cache_size)) {}

void ApiEventRecorder::Record(const api::Object& regarding, std::string_view type,
                              std::string_view reason, std::string message,
                              std::string_view field_path) {
  const Time now = clock_.Now();
  api::ObjectReference ref;
  ref.kind = std::string(api::InfoOf(regarding.kind()).name);
  ref.api_version = "v1";
  ref.namespace_ = regarding.metadata.namespace_;
  ref.name = regarding.metadata.name;
  ref.uid = regarding.metadata.uid;
  ref.resource_version = regarding.metadata.resource_version;
  ref.field_path = std::string(field_path);

  // The spam filter, per source and object.
  uint64_t object_key = Mix(0, options_.component);
  for (const std::string* part : std::initializer_list<const std::string*>{
           &options_.host, &ref.kind, &ref.namespace_, &ref.name, &ref.uid, &ref.field_path}) {
    object_key = Mix(object_key, *part);
  }
  Bucket* bucket = buckets_.Find(object_key);
  if (!bucket) {
    bucket = &buckets_.Put(object_key, Bucket{static_cast<double>(options_.burst), now});
  } else if (options_.refill > Duration::zero()) {
    const double refilled = static_cast<double>((now - bucket->at).count()) /
                            static_cast<double>(options_.refill.count());
    bucket->tokens = std::min<double>(options_.burst, bucket->tokens + refilled);
    bucket->at = now;
  }
  if (bucket->tokens < 1) {
    ++stats_.dropped;
    return;
  }
  bucket->tokens -= 1;

  // Aggregation of similar events (all but the message alike).
  const uint64_t similar_key = Mix(Mix(object_key, type), reason);
  const uint64_t message_key = Mix(similar_key, message);
  Similar* similar = similar_.Find(similar_key);
  if (!similar || now - similar->window_start > options_.aggregate_window) {
    similar = &similar_.Put(similar_key, Similar{now, {}});
  }
  const size_t cap = static_cast<size_t>(std::max(0, options_.aggregate_max)) + 1;
  if (similar->messages.size() < cap &&
      std::find(similar->messages.begin(), similar->messages.end(), message_key) ==
          similar->messages.end()) {
    similar->messages.push_back(message_key);
  }
  const bool combined = similar->messages.size() >= cap;
  if (combined) {
    message = "(combined from similar events): " + message;
    ++stats_.aggregated;
  }

  // Deduplication: the same event again updates the Event written before;
  // combined ones all update the one combined Event (with the latest
  // message).
  const uint64_t key = combined ? similar_key : message_key;
  const std::string ns = ref.namespace_.empty() ? "default" : ref.namespace_;
  if (Seen* seen = seen_.Find(key)) {
    auto current = api_.Get<api::Event>(ns, seen->name);
    if (current.ok()) {
      api::Event next = **current;
      next.count = std::max(next.count, seen->count) + 1;
      next.last_timestamp = now;
      next.message = message;
      auto written = api_.Update(next);
      if (written.ok()) {
        seen->count = next.count;
        ++stats_.updated;
        return;
      }
    }
    // Gone (expired, deleted) or in conflict: a new Event.
  }

  api::Event ev;
  ev.metadata.namespace_ = ns;
  ev.involved_object = std::move(ref);
  ev.reason = std::string(reason);
  ev.message = message;
  ev.type = std::string(type);
  ev.source.component = options_.component;
  ev.source.host = options_.host;
  ev.first_timestamp = now;
  ev.last_timestamp = now;
  ev.count = 1;
  ev.reporting_component = options_.component;
  ev.reporting_instance = options_.host;
  // Names from the time in ns: events of one instant take the next ones.
  int64_t nanos = std::max(now.UnixNanos(), last_nanos_ + 1);
  for (int attempt = 0; attempt < 8; ++attempt, ++nanos) {
    last_nanos_ = nanos;
    char hex[32];
    std::snprintf(hex, sizeof hex, ".%llx", static_cast<unsigned long long>(nanos));
    ev.metadata.name = ev.involved_object.name + hex;
    auto created = api_.Create(ev);
    if (created.ok()) {
      ++stats_.created;
      seen_.Put(key, Seen{ev.metadata.name, 1});
      return;
    }
    if (created.code() != Code::kAlreadyExists) break;
  }
  ++stats_.failed;
}

}  // namespace navarch::client
