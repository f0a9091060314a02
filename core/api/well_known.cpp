#include "core/api/well_known.h"

#include <charconv>
#include <string>

namespace navarch::api {

bool IsBuiltinNamespace(std::string_view ns) {
  for (std::string_view b : kBuiltinNamespaces) {
    if (ns == b) return true;
  }
  return false;
}

bool IsPodReady(const Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

bool TolerationMatches(const Toleration& t, const Taint& taint) {
  if (!t.effect.empty() && t.effect != taint.effect) return false;
  if (t.operator_ == "Exists") return t.key.empty() || t.key == taint.key;
  return t.key == taint.key && t.value == taint.value;  // "" or "Equal"
}

const Toleration* FindToleration(const std::vector<Toleration>& tolerations, const Taint& taint) {
  for (const auto& t : tolerations) {
    if (TolerationMatches(t, taint)) return &t;
  }
  return nullptr;
}

ResourceList EffectiveRequests(const PodSpec& spec) {
  ResourceList sum;
  for (const auto& c : spec.containers) {
    for (const auto& [name, q] : c.resources.requests)
      sum[name] += q;
  }
  for (const auto& c : spec.init_containers) {
    for (const auto& [name, q] : c.resources.requests) {
      auto& cur = sum[name];
      if (cur < q) cur = q;
    }
  }
  return sum;
}

Result<int64_t> ParseResourceVersion(std::string_view rv, std::string_view what) {
  if (rv.empty()) return int64_t{0};
  int64_t out = 0;
  auto [p, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), out);
  if (ec != std::errc() || p != rv.data() + rv.size() || out < 0) {
    return InvalidArgument(std::string(what) + " \"" + std::string(rv) +
                           "\" is not a resourceVersion (a non-negative decimal integer)");
  }
  return out;
}

}  // namespace navarch::api
