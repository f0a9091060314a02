#include "core/controllers/taint_eviction_controller.h"

#include <algorithm>
#include <utility>

#include "core/api/well_known.h"
#include "core/controllers/controller_utils.h"

namespace navarch::controllers {
namespace {

std::vector<api::Taint> NoExecuteTaints(const api::Node* node) {
  std::vector<api::Taint> out;
  if (!node) return out;
  for (const auto& t : node->spec.taints) {
    if (t.effect == api::kEffectNoExecute) out.push_back(t);
  }
  return out;
}

// The condition Kubernetes sets on a pod before a disruption deletes it.
constexpr std::string_view kConditionDisruptionTarget = "DisruptionTarget";

}  // namespace

TaintEvictionController::TaintEvictionController(client::Api& api, runtime::Clock& clock,
                                                 TaintEvictionOptions options)
    : api_(api),
      clock_(clock),
      options_(options),
      own_informers_(options.informers ? nullptr : std::make_unique<InformerSet>(api, clock)),
      informers_(options.informers ? *options.informers : *own_informers_),
      nodes_(informers_.For(api::Kind::kNode)),
      pods_(informers_.For(api::Kind::kPod)) {
  std::weak_ptr<bool> alive = alive_;
  auto live = [alive] {
    auto a = alive.lock();
    return a && *a;
  };
  client::InformerHandlers nh;
  nh.on_add = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnNode(nullptr, api::As<api::Node>(obj.get()));
  };
  nh.on_update = [this, live](const client::ObjectPtr& old, const client::ObjectPtr& cur) {
    if (live()) OnNode(api::As<api::Node>(old.get()), api::As<api::Node>(cur.get()));
  };
  nh.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live()) OnNode(api::As<api::Node>(obj.get()), nullptr);
  };
  nodes_.AddHandlers(std::move(nh));
  client::InformerHandlers ph;
  ph.on_add = [this, live](const client::ObjectPtr& obj) {
    if (!live()) return;
    if (auto* pod = api::As<api::Pod>(obj.get())) OnPod(*pod);
  };
  ph.on_update = [this, live](const client::ObjectPtr&, const client::ObjectPtr& cur) {
    if (!live()) return;
    if (auto* pod = api::As<api::Pod>(cur.get())) OnPod(*pod);
  };
  ph.on_delete = [this, live](const client::ObjectPtr& obj) {
    if (live()) Cancel(api::KeyOf(*obj));
  };
  pods_.AddHandlers(std::move(ph));
}

TaintEvictionController::~TaintEvictionController() {
  *alive_ = false;
  for (auto& [key, s] : scheduled_) {
    if (s.timer) clock_.Cancel(s.timer);
  }
}

Status TaintEvictionController::Start() {
  NAVARCH_RETURN_IF_ERROR(informers_.Start());
  for (const auto& obj : nodes_.List()) {
    // A node already seen through the handlers is not looked at twice.
    if (!tainted_.contains(obj->metadata.name)) OnNode(nullptr, api::As<api::Node>(obj.get()));
  }
  return Status::Ok();
}

std::optional<Time> TaintEvictionController::EvictionTime(const std::string& ns,
                                                          const std::string& name) const {
  auto it = scheduled_.find(ns + "/" + name);
  if (it == scheduled_.end()) return std::nullopt;
  return it->second.fire;
}

void TaintEvictionController::OnNode(const api::Node* old, const api::Node* cur) {
  const std::string& name = cur ? cur->metadata.name : old->metadata.name;
  std::vector<api::Taint> taints = NoExecuteTaints(cur);
  auto it = tainted_.find(name);
  const std::vector<api::Taint> none;
  const std::vector<api::Taint>& before = it == tainted_.end() ? none : it->second;
  if (before == taints && (old || taints.empty())) return;
  if (taints.empty()) {
    if (it != tainted_.end()) tainted_.erase(it);
  } else {
    tainted_[name] = taints;
  }
  for (const auto& obj : pods_.ByIndex(client::kIndexNodeName, name)) {
    if (auto* pod = api::As<api::Pod>(obj.get())) ProcessPod(*pod, taints);
  }
}

void TaintEvictionController::OnPod(const api::Pod& pod) {
  const std::string& node = pod.spec->node_name;
  auto it = node.empty() ? tainted_.end() : tainted_.find(node);
  if (it == tainted_.end()) {
    if (!scheduled_.empty()) Cancel(api::KeyOf(pod));
    return;
  }
  ProcessPod(pod, it->second);
}

void TaintEvictionController::ProcessPod(const api::Pod& pod,
                                         const std::vector<api::Taint>& taints) {
  const std::string key = api::KeyOf(pod);
  if (taints.empty() || IsTerminating(pod) || pod.spec->node_name.empty()) {
    Cancel(key, IsTerminating(pod) ? nullptr : &pod);
    return;
  }
  const Time now = clock_.Now();
  std::optional<Duration> min;  // nullopt: tolerated forever
  for (const auto& taint : taints) {
    const api::Toleration* t = api::FindToleration(pod.spec->tolerations, taint);
    if (!t) {
      // Not tolerated: evicted now, whatever was scheduled before.
      auto existing = scheduled_.find(key);
      if (existing != scheduled_.end() && existing->second.fire <= now) return;
      Cancel(key);
      Schedule(pod, now, now);
      return;
    }
    if (!t->toleration_seconds) continue;
    const Duration d = seconds(std::max<int64_t>(0, *t->toleration_seconds));
    if (!min || d < *min) min = d;
  }
  if (!min) {
    Cancel(key, &pod);
    return;
  }
  auto existing = scheduled_.find(key);
  if (existing != scheduled_.end()) {
    // Kubernetes keeps an eviction scheduled earlier.
    if (existing->second.created < now) return;
    Time created = existing->second.created;
    Cancel(key);
    Schedule(pod, created, now + *min);
    return;
  }
  Schedule(pod, now, now + *min);
}

void TaintEvictionController::Schedule(const api::Pod& pod, Time created, Time fire) {
  const std::string key = api::KeyOf(pod);
  Scheduled s;
  s.uid = pod.metadata.uid;
  s.node = pod.spec->node_name;
  s.created = created;
  s.fire = fire;
  std::weak_ptr<bool> alive = alive_;
  s.timer = clock_.At(fire, [this, alive, key] {
    if (auto a = alive.lock(); a && *a) Fire(key);
  });
  scheduled_[key] = std::move(s);
  ++stats_.evictions_scheduled;
  recorder().Record(pod, api::kEventNormal, "TaintManagerEviction",
                    "Marking for deletion Pod " + key);
}

void TaintEvictionController::Cancel(const std::string& key, const api::Pod* pod) {
  auto it = scheduled_.find(key);
  if (it == scheduled_.end()) return;
  if (it->second.timer) clock_.Cancel(it->second.timer);
  scheduled_.erase(it);
  ++stats_.evictions_cancelled;
  if (pod) {
    recorder().Record(*pod, api::kEventNormal, "TaintManagerEviction",
                      "Cancelling deletion of Pod " + key);
  }
}

void TaintEvictionController::Fire(const std::string& key) {
  auto it = scheduled_.find(key);
  if (it == scheduled_.end()) return;
  it->second.timer = 0;
  if (Evict(key, it->second)) {
    scheduled_.erase(it);
    return;
  }
  Scheduled& s = it->second;
  if (++s.attempts > options_.max_retries) {
    scheduled_.erase(it);
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  s.timer = clock_.After(options_.retry_after, [this, alive, key] {
    if (auto a = alive.lock(); a && *a) Fire(key);
  });
}

bool TaintEvictionController::Evict(const std::string& key, const Scheduled& s) {
  const size_t slash = key.find('/');
  const std::string ns = key.substr(0, slash);
  const std::string name = key.substr(slash + 1);
  auto cached = api::As<api::Pod>(pods_.Get(ns, name));
  if (!cached || cached->metadata.uid != s.uid || IsTerminating(*cached)) return true;
  // The condition first, as Kubernetes does, so that whoever watches the pod
  // go knows why. A conflict only means the cache lags: the delete decides.
  api::Pod copy = *cached;
  bool has = false;
  for (auto& c : copy.status.conditions) {
    if (c.type != kConditionDisruptionTarget) continue;
    has = true;
    c.status = std::string(kConditionTrue);
  }
  if (!has) {
    api::PodCondition c;
    c.type = std::string(kConditionDisruptionTarget);
    c.status = std::string(kConditionTrue);
    c.reason = "DeletionByTaintManager";
    c.message = "Taint manager: deleting due to NoExecute taint";
    c.last_transition_time = clock_.Now();
    copy.status.conditions.push_back(std::move(c));
    (void)api_.UpdateStatus(copy);
  }
  client::DeleteOptions opts;
  opts.grace_period_seconds = options_.grace_period_seconds;
  opts.uid = s.uid;
  auto deleted = api_.Delete(api::Kind::kPod, ns, name, opts);
  if (deleted.ok()) {
    ++stats_.pods_evicted;
    return true;
  }
  if (deleted.code() == Code::kNotFound || deleted.code() == Code::kConflict) return true;
  ++stats_.eviction_errors;
  return false;
}

}  // namespace navarch::controllers
