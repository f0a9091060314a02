#include "sim/synthetic.h"

#include <algorithm>

#include "core/api/labels.h"

namespace navarch::sim {

namespace {

api::Container ContainerOf(const std::string& image, int64_t cpu_millis, int64_t memory_bytes) {
  api::Container c;
  c.name = "main";
  c.image = image;
  c.resources.requests[std::string(api::kResourceCpu)] = api::Quantity::FromMilli(cpu_millis);
  c.resources.requests[std::string(api::kResourceMemory)] =
      api::Quantity::FromValue(memory_bytes, api::Quantity::Format::kBinarySI);
  return c;
}

Expectation Expect(Expectation::Type type, const std::string& selector, int64_t at_least) {
  Expectation e;
  e.type = type;
  e.path = "expect[synthetic]";
  e.selector_text = selector;
  e.selector = api::LabelSelector::Parse(selector).value();
  e.at_least = at_least;
  return e;
}

}  // namespace

Result<Scenario> SyntheticScenario(const SyntheticSpec& spec) {
  if (spec.nodes < 1) return InvalidArgument("synthetic scenario: nodes must be at least 1");
  if (spec.zones < 1 || spec.racks_per_zone < 1) {
    return InvalidArgument("synthetic scenario: zones and racks_per_zone must be at least 1");
  }
  if (spec.service_pods < 0 || spec.batch_pods < 0) {
    return InvalidArgument("synthetic scenario: pod counts must not be negative");
  }
  Scenario s;
  s.name = spec.name;
  s.description = std::to_string(spec.nodes) + " nodes, " + std::to_string(spec.service_pods) +
                  " service pods, " + std::to_string(spec.batch_pods) + " batch pods";
  s.source = "(synthetic)";
  s.seed = spec.seed;
  s.run_until_idle = true;
  s.max_duration = spec.max_duration;

  NodeGroupSpec g;
  g.name = "n";
  g.count = spec.nodes;
  g.min_size = 0;
  g.max_size = spec.nodes;
  for (int32_t z = 0; z < spec.zones; ++z)
    g.zones.push_back("zone-" + std::to_string(z + 1));
  g.racks_per_zone = spec.racks_per_zone;
  g.instance_type = "sim-synthetic";
  g.capacity = {spec.node_cpu_millis, spec.node_memory_bytes, spec.node_pods};
  s.node_groups.push_back(g);
  s.runtime.batch_run_duration = spec.batch_run;

  auto add_namespace = [&s](const std::string& name) {
    auto ns = std::make_shared<api::Namespace>();
    ns->metadata.name = name;
    s.objects.push_back({ns, s.source, 0});
  };
  const int32_t per_rc = std::max(1, spec.pods_per_controller);
  for (int32_t left = spec.service_pods, k = 1; left > 0; left -= per_rc, ++k) {
    const std::string ns = "web-" + std::to_string(k);
    add_namespace(ns);
    auto rc = std::make_shared<api::ReplicationController>();
    rc->metadata.name = "web";
    rc->metadata.namespace_ = ns;
    rc->spec.replicas = std::min(left, per_rc);
    rc->spec.selector = {{"app", "web"}};
    api::PodTemplateSpec t;
    t.metadata.labels = {{"app", "web"}};
    t.spec.Mutable().containers.push_back(
        ContainerOf("navarch/web", spec.service_cpu_millis, spec.service_memory_bytes));
    rc->spec.template_ = std::move(t);
    s.objects.push_back({rc, s.source, 0});
  }
  if (spec.service_pods > 0) {
    s.expectations.push_back(
        Expect(Expectation::Type::kRunningReplicas, "app=web", spec.service_pods));
  }
  const api::Container batch =
      ContainerOf("navarch/batch", spec.batch_cpu_millis, spec.batch_memory_bytes);
  const int32_t per_ns = std::max(1, spec.batch_pods_per_namespace);
  std::string batch_ns;
  for (int32_t i = 0; i < spec.batch_pods; ++i) {
    if (i % per_ns == 0) {
      batch_ns = "batch-" + std::to_string(i / per_ns + 1);
      add_namespace(batch_ns);
    }
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = "job-" + std::to_string(i + 1);
    pod->metadata.namespace_ = batch_ns;
    pod->metadata.labels = {{"app", "job"}};
    pod->spec.Mutable().restart_policy = std::string(api::kRestartNever);
    pod->spec.Mutable().containers.push_back(batch);
    s.objects.push_back({pod, s.source, 0});
  }
  if (spec.batch_pods > 0) {
    s.expectations.push_back(Expect(Expectation::Type::kAllSucceeded, "app=job", 0));
  }
  for (size_t i = 0; i < s.expectations.size(); ++i)
    s.expectations[i].path = "expect[" + std::to_string(i) + "]";
  return s;
}

}  // namespace navarch::sim
