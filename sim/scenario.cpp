#include "sim/scenario.h"

#include <filesystem>

#include "core/api/codec.h"
#include "core/api/quantity.h"
#include "core/api/validation.h"
#include "core/base/files.h"
#include "sim/scenario_parser.h"

namespace navarch::sim {

std::string ObjectRef::ToString() const {
  std::string out(api::InfoOf(kind).name);
  out += ' ';
  if (!namespace_.empty()) out += namespace_ + "/";
  return out + name;
}

Result<Scenario> LoadScenarioFile(const std::string& path) {
  NAVARCH_ASSIGN_OR_RETURN(std::string text,
                           ReadBoundedFile(path, yaml::Limits().max_input_bytes, "scenario file"));
  const std::string base = std::filesystem::path(path).parent_path().string();
  return ParseScenario(text, path, base);
}

Result<Scenario> ParseScenario(std::string_view text, const std::string& source,
                               const std::string& base_dir) {
  Diagnostics diag(source);
  internal::ScenarioParser parser(text, source, base_dir, diag);
  std::optional<Scenario> scenario = parser.Parse();
  if (!diag.ok() || !scenario) {
    if (diag.ok()) diag.Error(0, "", "the scenario could not be read");
    return diag.ToStatus();
  }
  return std::move(*scenario);
}

namespace internal {

std::optional<Scenario> ScenarioParser::Parse() {
  yaml::Loaded loaded = yaml::Load(text_);
  if (!loaded.ok) {
    std::string what = "invalid YAML";
    if (loaded.error.column > 0) what += " at column " + std::to_string(loaded.error.column);
    diag_.Error(loaded.error.line, loaded.error.path, what + ": " + loaded.error.message);
    return std::nullopt;
  }
  const yaml::Node root = loaded.documents[0];
  Scenario s;
  s.source = source_;
  s.base_dir = base_dir_;
  if (!root.IsMap()) {
    diag_.Error(root, "",
                "a scenario is a YAML mapping with name, cluster, objects, events, expect, ...");
    return std::nullopt;
  }
  YamlMap m(root, "", diag_);
  if (yaml::Node n = m.Require("name")) {
    if (auto v = ReadString(n, "name", diag_)) s.name = *v;
  }
  if (auto v = m.String("description")) s.description = *v;
  if (auto v = m.Int("seed", 0, INT64_MAX)) s.seed = static_cast<uint64_t>(*v);
  s.duration = m.DurationField("duration");
  if (yaml::Node n = m.Get("runUntilIdle")) {
    if (n.IsScalar()) {
      if (auto b = ReadBool(n, "runUntilIdle", diag_)) s.run_until_idle = *b;
    } else {
      YamlMap r(n, "runUntilIdle", diag_);
      s.run_until_idle = r.valid();
      if (auto d = r.DurationField("maxDuration")) s.max_duration = *d;
      r.Finish();
    }
  }
  if (s.duration && s.run_until_idle) {
    diag_.Error(m.Get("runUntilIdle"), "runUntilIdle",
                "give either duration or runUntilIdle, not both");
  } else if (!m.Has("duration") && !m.Has("runUntilIdle")) {
    diag_.Error(root, "duration",
                "required: say how long to run with duration (e.g. 10m) or runUntilIdle");
  }
  if (s.duration && s.duration->count() <= 0) {
    diag_.Error(m.Get("duration"), "duration", "must be above zero");
  }
  if (yaml::Node n = m.Require("cluster")) ParseCluster(n, s);
  if (yaml::Node n = m.Get("scheduler")) ParseScheduler(n, s);
  if (yaml::Node n = m.Get("runtime")) {
    if (auto model = RuntimeModel::Parse(n, "runtime", diag_)) s.runtime = std::move(*model);
  }
  if (yaml::Node n = m.Get("controllers")) ParseControllers(n, s);
  if (yaml::Node n = m.Get("api")) ParseApi(n, s);
  if (yaml::Node n = m.Get("controlPlane")) ParseControlPlane(n, s);
  if (yaml::Node n = m.Get("objects")) {
    if (!n.IsSequence()) {
      diag_.Error(n, "objects", "expected a list of manifests or {file: path} items");
    } else {
      s.objects = ParseManifests(n, "objects");
    }
  }
  if (yaml::Node n = m.Get("events")) ParseEvents(n, s);
  if (yaml::Node n = m.Get("expect")) ParseExpectations(n, s);
  m.Finish();
  if (!diag_.ok()) return std::nullopt;
  CheckReferences(s);
  if (!diag_.ok()) return std::nullopt;
  return s;
}

void ScenarioParser::ParseCluster(const yaml::Node& node, Scenario& s) {
  YamlMap m(node, "cluster", diag_);
  if (!m.valid()) return;
  yaml::Node groups = m.Require("nodeGroups");
  m.Finish();
  if (!groups) return;
  if (!groups.IsSequence() || groups.size() == 0) {
    diag_.Error(groups, "cluster.nodeGroups", "expected a non-empty list of node groups");
    return;
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string path = IndexPath("cluster.nodeGroups", i);
    if (auto g = ParseGroup(groups[i], path)) {
      for (const NodeGroupSpec& other : s.node_groups) {
        if (other.name == g->name) {
          diag_.Error(groups[i], path + ".name",
                      "node group \"" + g->name + "\" is declared twice; names must be unique");
        }
      }
      s.node_groups.push_back(std::move(*g));
      group_lines_.push_back(LineOf(groups[i]));
    }
  }
}

std::optional<NodeGroupSpec> ScenarioParser::ParseGroup(const yaml::Node& node,
                                                        const std::string& path) {
  const size_t before = diag_.problems().size();
  YamlMap m(node, path, diag_);
  if (!m.valid()) {
    if (!node.IsMap()) diag_.Error(node, path, "expected a node group mapping");
    return std::nullopt;
  }
  NodeGroupSpec g;
  if (yaml::Node n = m.Require("name")) {
    if (auto v = ReadString(n, m.PathOf("name"), diag_)) g.name = *v;
  }
  if (yaml::Node n = m.Require("count")) {
    if (auto v = ReadInt(n, m.PathOf("count"), diag_, 0, 1'000'000)) {
      g.count = static_cast<int32_t>(*v);
    }
  }
  g.min_size = static_cast<int32_t>(m.Int("minSize", 0, 1'000'000).value_or(0));
  g.max_size = static_cast<int32_t>(m.Int("maxSize", 0, 1'000'000).value_or(g.count));
  if (g.max_size < g.count || g.min_size > g.count) {
    diag_.Error(node, path,
                "count " + std::to_string(g.count) + " must lie within [minSize, maxSize] = [" +
                    std::to_string(g.min_size) + ", " + std::to_string(g.max_size) + "]");
  }
  if (yaml::Node n = m.Get("zones")) {
    if (auto zones = ReadStringList(n, m.PathOf("zones"), diag_)) {
      if (zones->empty()) diag_.Error(n, m.PathOf("zones"), "list at least one zone");
      g.zones = std::move(*zones);
    }
  } else {
    g.zones = {"zone-a"};
  }
  g.racks_per_zone = static_cast<int32_t>(m.Int("racksPerZone", 1, 10'000).value_or(1));
  g.instance_type = m.String("instanceType").value_or("sim-standard");
  g.capacity = runtime::MachineCapacity{4000, int64_t{16} << 30, 110};
  if (yaml::Node cap = m.Get("capacity")) {
    YamlMap c(cap, m.PathOf("capacity"), diag_);
    const auto quantity = [&](std::string_view key) -> std::optional<api::Quantity> {
      yaml::Node q = c.Get(key);
      if (!q) return std::nullopt;
      auto text = ReadString(q, c.PathOf(key), diag_);
      if (!text) return std::nullopt;
      Result<api::Quantity> parsed = api::Quantity::Parse(*text);
      if (!parsed.ok()) {
        diag_.Error(q, c.PathOf(key), parsed.status().message());
        return std::nullopt;
      }
      if (parsed->Sign() <= 0) {
        diag_.Error(q, c.PathOf(key), "must be above zero, got \"" + *text + "\"");
        return std::nullopt;
      }
      return *parsed;
    };
    if (auto q = quantity("cpu")) g.capacity.cpu_millis = q->MilliValue();
    if (auto q = quantity("memory")) g.capacity.memory_bytes = q->Value();
    if (auto q = quantity("pods")) g.capacity.pods = q->Value();
    c.Finish();
  }
  if (yaml::Node n = m.Get("labels")) {
    if (auto l = ReadStringMap(n, m.PathOf("labels"), diag_)) g.labels = std::move(*l);
  }
  if (yaml::Node n = m.Get("taints")) {
    if (!n.IsSequence()) {
      diag_.Error(n, m.PathOf("taints"), "expected a list of {key, value, effect}");
    } else {
      for (size_t i = 0; i < n.size(); ++i) {
        YamlMap t(n[i], IndexPath(m.PathOf("taints"), i), diag_);
        api::Taint taint;
        if (yaml::Node k = t.Require("key")) {
          if (auto v = ReadString(k, t.PathOf("key"), diag_)) taint.key = *v;
        }
        taint.value = t.String("value").value_or("");
        if (yaml::Node e = t.Require("effect")) {
          if (auto v = ReadString(e, t.PathOf("effect"), diag_)) {
            if (*v != "NoSchedule" && *v != "PreferNoSchedule" && *v != "NoExecute") {
              diag_.Error(
                  e, t.PathOf("effect"),
                  "unknown effect \"" + *v + "\"; use NoSchedule, PreferNoSchedule or NoExecute");
            }
            taint.effect = *v;
          }
        }
        t.Finish();
        g.taints.push_back(std::move(taint));
      }
    }
  }
  g.boot_latency = Distribution::Constant(seconds(30));
  if (yaml::Node n = m.Get("bootLatency")) {
    if (auto d = ParseDistribution(n, m.PathOf("bootLatency"), diag_)) g.boot_latency = *d;
  }
  m.Finish();
  if (diag_.problems().size() != before) return std::nullopt;
  return g;
}

void ScenarioParser::ParseScheduler(const yaml::Node& node, Scenario& s) {
  YamlMap m(node, "scheduler", diag_);
  if (!m.valid()) return;
  if (yaml::Node p = m.Get("profile")) {
    if (auto v = ReadString(p, "scheduler.profile", diag_)) {
      if (*v != "spread" && *v != "binpack" && *v != "flow" && *v != "flow-binpack" &&
          *v != "custom") {
        diag_.Error(
            p, "scheduler.profile",
            "unknown profile \"" + *v + "\"; use spread, binpack, flow, flow-binpack or custom");
      }
      s.scheduler.profile = *v;
    }
  }
  if (yaml::Node p = m.Get("plugins")) {
    if (s.scheduler.profile != "custom") {
      diag_.Error(p, "scheduler.plugins", "plugin weights need profile: custom");
    } else if (!p.IsMap()) {
      diag_.Error(p, "scheduler.plugins", "expected a mapping of score plugin name to weight");
    } else {
      for (auto it = p.entries().begin(); it != p.entries().end(); ++it) {
        const std::string key = it->first.scalar();
        if (auto w = ReadInt(it->second, JoinPath("scheduler.plugins", key), diag_, 0, 100)) {
          s.scheduler.plugin_weights[key] = static_cast<int32_t>(*w);
        }
      }
    }
  } else if (s.scheduler.profile == "custom") {
    diag_.Error(node, "scheduler.plugins", "profile custom needs plugin weights");
  }
  m.Finish();
}

void ScenarioParser::ParseControllers(const yaml::Node& node, Scenario& s) {
  YamlMap m(node, "controllers", diag_);
  ControllersConfig& c = s.controllers;
  const auto positive = [&](std::string_view key, Duration& out) {
    yaml::Node n = m.Get(key);
    if (!n) return;
    if (auto d = ReadDuration(n, m.PathOf(key), diag_)) {
      if (d->count() <= 0) {
        diag_.Error(n, m.PathOf(key), "must be above zero");
      } else {
        out = *d;
      }
    }
  };
  positive("nodeMonitorGracePeriod", c.node_monitor_grace_period);
  positive("podEvictionTimeout", c.pod_eviction_timeout);
  if (c.pod_eviction_timeout % seconds(1) != Duration::zero()) {
    diag_.Error(m.Get("podEvictionTimeout"), m.PathOf("podEvictionTimeout"),
                "must be a whole number of seconds (it becomes the pods' tolerationSeconds)");
  }
  positive("nodeStatusUpdatePeriod", c.node_status_update_period);
  if (yaml::Node n = m.Get("evictionRate")) {
    if (auto v = ReadDouble(n, m.PathOf("evictionRate"), diag_)) {
      if (*v <= 0) diag_.Error(n, m.PathOf("evictionRate"), "nodes per second; must be above 0");
      c.eviction_rate = *v;
    }
  }
  if (yaml::Node n = m.Get("secondaryEvictionRate")) {
    if (auto v = ReadDouble(n, m.PathOf("secondaryEvictionRate"), diag_)) {
      if (*v < 0) diag_.Error(n, m.PathOf("secondaryEvictionRate"), "must not be negative");
      c.secondary_eviction_rate = *v;
    }
  }
  if (auto v = m.Probability("unhealthyZoneThreshold")) c.unhealthy_zone_threshold = *v;
  if (auto v = m.Int("largeClusterSizeThreshold", 0, 1000000)) {
    c.large_cluster_size_threshold = static_cast<int>(*v);
  }
  m.Finish();
}

void ScenarioParser::ParseApi(const yaml::Node& node, Scenario& s) {
  YamlMap m(node, "api", diag_);
  if (yaml::Node n = m.Get("watchLatency")) {
    s.api.watch_latency = ParseDistribution(n, "api.watchLatency", diag_);
  }
  if (auto v = m.Bool("recordEvents")) s.api.record_events = *v;
  m.Finish();
}

void ScenarioParser::ParseControlPlane(const yaml::Node& node, Scenario& s) {
  ControlPlaneConfig& c = s.control_plane;
  if (node.IsScalar()) {
    if (node.scalar() == "ideal") {
      c.client_limits = false;
      c.request_latency_on = false;
      c.scheduling_cost = false;
    } else {
      diag_.Error(node, "controlPlane",
                  "expected ideal (no cost at all) or a mapping of clientLimits, "
                  "controllerManager, scheduler, kubelet, requestLatency, schedulingCost");
    }
    return;
  }
  YamlMap m(node, "controlPlane", diag_);
  if (auto v = m.Bool("clientLimits")) c.client_limits = *v;
  const auto limits = [&](std::string_view key, client::ClientLimits& out) {
    yaml::Node n = m.Get(key);
    if (!n) return;
    YamlMap l(n, m.PathOf(key), diag_);
    if (yaml::Node q = l.Get("qps")) {
      if (auto v = ReadDouble(q, l.PathOf("qps"), diag_)) {
        if (*v <= 0 || *v > 1e6) {
          diag_.Error(q, l.PathOf("qps"),
                      "requests per second; must be above 0 and at most 1000000 (turn the limits "
                      "off with clientLimits: false)");
        } else {
          out.qps = *v;
        }
      }
    }
    if (auto v = l.Int("burst", 1, 1000000)) out.burst = static_cast<int32_t>(*v);
    l.Finish();
  };
  limits("controllerManager", c.controller_manager);
  limits("scheduler", c.scheduler);
  limits("kubelet", c.kubelet);
  if (yaml::Node n = m.Get("requestLatency")) {
    if (n.IsScalar() && n.scalar() == "none") {
      c.request_latency_on = false;
    } else if (auto d = ParseDistribution(n, m.PathOf("requestLatency"), diag_)) {
      c.request_latency = std::move(*d);
    }
  }
  if (yaml::Node n = m.Get("schedulingCost")) {
    if (n.IsScalar() && n.scalar() == "none") {
      c.scheduling_cost = false;
    } else {
      YamlMap sc(n, m.PathOf("schedulingCost"), diag_);
      for (auto [key, out] : {std::pair{"fixed", &c.scheduling_fixed},
                              std::pair{"perNode", &c.scheduling_per_node}}) {
        if (auto d = sc.DurationField(key)) *out = *d;  // never negative
      }
      sc.Finish();
    }
  }
  m.Finish();
}

std::vector<ScenarioObject> ScenarioParser::ParseManifests(const yaml::Node& node,
                                                           const std::string& path) {
  std::vector<ScenarioObject> out;
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      std::vector<ScenarioObject> more = ParseManifests(node[i], IndexPath(path, i));
      for (ScenarioObject& o : more)
        out.push_back(std::move(o));
    }
    return out;
  }
  if (!node.IsMap()) {
    diag_.Error(node, path, "expected a Kubernetes manifest or {file: path}");
    return out;
  }
  if (node.Find("file")) {
    YamlMap m(node, path, diag_);
    yaml::Node file = m.Get("file");
    m.Finish();
    return LoadManifestFile(file, m.PathOf("file"));
  }
  return DecodeInline(node, path);
}

std::vector<ScenarioObject> ScenarioParser::CheckDocuments(Result<std::vector<api::Document>> docs,
                                                           const std::string& source,
                                                           const yaml::Node& at,
                                                           const std::string& path) {
  std::vector<ScenarioObject> out;
  if (!docs.ok()) {
    if (docs.code() == Code::kNotFound) {
      diag_.Error(at, path, docs.status().message());
    } else {
      diag_.AddFormatted(docs.status().message());
    }
    return out;
  }
  for (api::Document& doc : *docs) {
    std::vector<api::FieldError> errors = api::Validate(*doc.object);
    if (!errors.empty()) {
      diag_.AddFormatted(api::FormatErrors(errors, doc, source));
      continue;
    }
    out.push_back(ScenarioObject{doc.object, source, doc.line});
  }
  return out;
}

std::vector<ScenarioObject> ScenarioParser::LoadManifestFile(const yaml::Node& file_node,
                                                             const std::string& path) {
  auto file = ReadString(file_node, path, diag_);
  if (!file) return {};
  std::filesystem::path full = std::filesystem::path(*file);
  if (full.is_relative() && !base_dir_.empty()) full = std::filesystem::path(base_dir_) / full;
  const std::string display = full.lexically_normal().string();
  if (!std::filesystem::exists(full)) {
    diag_.Error(file_node, path,
                "manifest file " + display + " does not exist (paths are relative to the " +
                    "scenario file)");
    return {};
  }
  api::DecodeOptions options;
  options.source = display;
  return CheckDocuments(api::DecodeFile(display, options), display, file_node, path);
}

std::vector<ScenarioObject> ScenarioParser::DecodeInline(const yaml::Node& node,
                                                         const std::string& path) {
  api::DecodeOptions options;
  options.source = source_;
  Result<api::Document> doc = api::DecodeYamlNode(node, options);
  if (!doc.ok()) return CheckDocuments(doc.status(), source_, node, path);
  std::vector<api::Document> docs;
  docs.push_back(std::move(*doc));
  return CheckDocuments(std::move(docs), source_, node, path);
}

}  // namespace internal
}  // namespace navarch::sim
