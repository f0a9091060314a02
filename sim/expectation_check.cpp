#include "sim/expectation_check.h"

#include <algorithm>
#include <cstdio>

namespace navarch::sim {

namespace {

bool Matches(const Expectation& e, const PodLifecycle& p) {
  if (!p.last) return false;
  if (!e.namespace_.empty() && p.last->metadata.namespace_ != e.namespace_) return false;
  return e.selector.Matches(p.last->metadata.labels);
}

std::string Selector(const Expectation& e) {
  std::string s = e.selector_text.empty() ? "all pods" : e.selector_text;
  if (!e.namespace_.empty()) s += " in " + e.namespace_;
  return s;
}

std::string Bounds(const Expectation& e) {
  if (e.at_most && *e.at_most == e.at_least) return "== " + std::to_string(e.at_least);
  if (!e.at_most) return ">= " + std::to_string(e.at_least);
  if (e.at_least == 0) return "<= " + std::to_string(*e.at_most);
  return "in [" + std::to_string(e.at_least) + ", " + std::to_string(*e.at_most) + "]";
}

std::string Want(const Expectation& e) {
  if (e.at_most && *e.at_most == e.at_least) return "want exactly " + std::to_string(e.at_least);
  if (!e.at_most) return "want at least " + std::to_string(e.at_least);
  if (e.at_least == 0) return "want at most " + std::to_string(*e.at_most);
  return "want " + std::to_string(e.at_least) + " to " + std::to_string(*e.at_most);
}

bool InBounds(const Expectation& e, int64_t n) {
  return n >= e.at_least && (!e.at_most || n <= *e.at_most);
}

std::string Percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", p);
  return buf;
}

}  // namespace

std::string DescribeExpectation(const Expectation& e) {
  std::string out(ExpectationTypeName(e.type));
  switch (e.type) {
    case Expectation::Type::kRunningReplicas:
      out += " " + Selector(e) + " " + Bounds(e);
      break;
    case Expectation::Type::kNoPodPendingLongerThan:
      out += " " + FormatDuration(e.threshold);
      if (!e.selector_text.empty()) out += " (" + Selector(e) + ")";
      break;
    case Expectation::Type::kSchedulingLatency:
      out += " p" + Percent(e.percentile) + " <= " + FormatDuration(e.threshold);
      if (!e.selector_text.empty()) out += " (" + Selector(e) + ")";
      break;
    case Expectation::Type::kAllSucceeded:
      out += " " + Selector(e);
      break;
    case Expectation::Type::kReadyNodes:
      out += " " + Bounds(e);
      break;
    case Expectation::Type::kRestarts:
    case Expectation::Type::kEvictions:
      out += " " + Selector(e) + " " + Bounds(e);
      break;
    case Expectation::Type::kReadyEndpoints:
      out += " " + e.namespace_ + "/" + e.name + " " + Bounds(e);
      break;
    case Expectation::Type::kEventCount:
      out += " " + (e.event_type.empty() ? std::string() : e.event_type + " ") + e.reason +
             (e.namespace_.empty() ? std::string() : " in " + e.namespace_) + " " + Bounds(e);
      break;
  }
  out += e.by ? " by " + FormatDuration(*e.by) : " at the end";
  return out;
}

ExpectationResult EvaluateExpectation(const Expectation& e, const Metrics& metrics, Duration now) {
  ExpectationResult r;
  r.path = e.path;
  r.type = std::string(ExpectationTypeName(e.type));
  r.line = e.line;
  r.description = DescribeExpectation(e);
  r.checked_at = now;
  const Time at = metrics.start() + now;
  switch (e.type) {
    case Expectation::Type::kRunningReplicas: {
      int64_t n = 0;
      for (const auto& p : metrics.pods()) {
        if (p.deleted || p.deleting || p.phase != api::kPodRunning || !Matches(e, p)) continue;
        if (PodIsReady(*p.last)) ++n;
      }
      r.passed = InBounds(e, n);
      r.message = std::to_string(n) + " running and ready (" + Want(e) + ")";
      break;
    }
    case Expectation::Type::kNoPodPendingLongerThan: {
      Duration worst{0};
      std::string worst_pod;
      int64_t over = 0;
      for (const auto& p : metrics.pods()) {
        if (!Matches(e, p)) continue;
        Time until = at;
        if (p.started) until = std::min(until, *p.started);
        if (p.deleted) until = std::min(until, *p.deleted);
        const Duration pending = until - p.created;
        if (pending > e.threshold) ++over;
        if (pending > worst) {
          worst = pending;
          worst_pod = p.key;
        }
      }
      r.passed = over == 0;
      r.message = "longest pending " + FormatDuration(worst);
      if (!worst_pod.empty()) r.message += " (" + worst_pod + ")";
      if (!r.passed) {
        r.message += "; " + std::to_string(over) + " pod(s) pending longer than " +
                     FormatDuration(e.threshold);
      }
      break;
    }
    case Expectation::Type::kSchedulingLatency: {
      std::vector<Duration> latencies;
      for (const auto& p : metrics.pods()) {
        if (p.created > at || !Matches(e, p)) continue;
        if (p.scheduled && *p.scheduled <= at) {
          latencies.push_back(*p.scheduled - p.created);
        } else if (!p.deleted || *p.deleted > at) {
          latencies.push_back(at - p.created);
        }
      }
      std::sort(latencies.begin(), latencies.end());
      const Duration value = Percentile(latencies, e.percentile);
      r.passed = value <= e.threshold;
      r.message = "p" + Percent(e.percentile) + " " + FormatDuration(value) + " over " +
                  std::to_string(latencies.size()) + " pod(s) (want at most " +
                  FormatDuration(e.threshold) + ")";
      break;
    }
    case Expectation::Type::kAllSucceeded: {
      int64_t total = 0, succeeded = 0;
      std::string first_other;
      for (const auto& p : metrics.pods()) {
        if (p.deleted || !Matches(e, p)) continue;
        ++total;
        if (p.phase == api::kPodSucceeded) {
          ++succeeded;
        } else if (first_other.empty()) {
          first_other = p.key + " is " + p.phase;
        }
      }
      r.passed = total > 0 && succeeded == total;
      r.message = std::to_string(succeeded) + "/" + std::to_string(total) + " succeeded";
      if (total == 0) r.message += " (no matching pod)";
      if (!first_other.empty()) r.message += "; " + first_other;
      break;
    }
    case Expectation::Type::kReadyNodes: {
      const int64_t n = metrics.ReadyNodes();
      r.passed = InBounds(e, n);
      r.message = std::to_string(n) + " ready node(s) (" + Want(e) + ")";
      break;
    }
    case Expectation::Type::kRestarts: {
      // Container restarts of the matching pods, deleted ones included: a
      // crash loop of a pod that was replaced still counts.
      int64_t n = 0, pods = 0;
      std::string most;
      int32_t most_n = 0;
      for (const auto& p : metrics.pods()) {
        if (!Matches(e, p)) continue;
        ++pods;
        n += p.restarts;
        if (p.restarts > most_n) {
          most_n = p.restarts;
          most = p.key;
        }
      }
      r.passed = InBounds(e, n);
      r.message = std::to_string(n) + " restart(s) over " + std::to_string(pods) + " pod(s) (" +
                  Want(e) + ")";
      if (!most.empty()) r.message += "; most: " + most + " (" + std::to_string(most_n) + ")";
      break;
    }
    case Expectation::Type::kReadyEndpoints: {
      const int64_t n = metrics.ReadyEndpoints(e.namespace_ + "/" + e.name);
      r.passed = InBounds(e, n);
      r.message = std::to_string(n) + " ready endpoint(s) (" + Want(e) + ")";
      break;
    }
    case Expectation::Type::kEventCount: {
      // Occurrences (each Event's count) of the reason among the Events in
      // the Api now; expired ones (older than the Api's event TTL) are gone.
      int64_t n = 0;
      std::string last;
      for (const auto& ev : metrics.KubeEvents()) {
        if (ev->reason != e.reason) continue;
        if (!e.event_type.empty() && ev->type != e.event_type) continue;
        if (!e.namespace_.empty() && ev->metadata.namespace_ != e.namespace_) continue;
        n += ev->count;
        last = ev->involved_object.kind + "/" + ev->involved_object.name + ": " + ev->message;
      }
      r.passed = InBounds(e, n);
      r.message = std::to_string(n) + " event(s) (" + Want(e) + ")";
      if (!last.empty()) r.message += "; e.g. " + last;
      break;
    }
    case Expectation::Type::kEvictions: {
      // Pods evicted (deleted with a DisruptionTarget condition) by `at`.
      int64_t n = 0;
      const PodLifecycle* first = nullptr;
      const PodLifecycle* last = nullptr;
      for (const auto& p : metrics.pods()) {
        if (!p.evicted || *p.evicted > at || !Matches(e, p)) continue;
        ++n;
        if (!first || *p.evicted < *first->evicted) first = &p;
        if (!last || *p.evicted >= *last->evicted) last = &p;
      }
      auto when = [&](const PodLifecycle* p) {
        return p->key + " at " + FormatDuration(*p->evicted - metrics.start());
      };
      r.passed = InBounds(e, n);
      r.message = std::to_string(n) + " pod(s) evicted (" + Want(e) + ")";
      if (n > 0) r.message += "; first " + when(first);
      if (n > 1) r.message += ", last " + when(last);
      break;
    }
  }
  return r;
}

}  // namespace navarch::sim
