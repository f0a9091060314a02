#include "sim/runtime_model.h"

namespace navarch::sim {

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // Iterative matcher with single-star backtracking.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

bool ProbeBehaviour::Matches(const runtime::ProbeSpec& probe) const {
  if (type && *type != probe.type) return false;
  if (path && *path != probe.path) return false;
  if (port && *port != probe.port) return false;
  return true;
}

void BehaviourOverrides::ApplyTo(ContainerBehaviour& b) const {
  if (image_pull) b.image_pull = *image_pull;
  if (container_start) b.container_start = *container_start;
  if (container_stop) b.container_stop = *container_stop;
  if (run_duration) b.run_duration = *run_duration;
  if (exit_code) b.exit_code = *exit_code;
  if (failure_probability) b.failure_probability = *failure_probability;
  if (failure_exit_code) b.failure_exit_code = *failure_exit_code;
  if (start_failure_probability) b.start_failure_probability = *start_failure_probability;
  if (crash) b.crash = *crash;
  if (probes) b.probes = *probes;
}

bool RuntimeRule::Matches(std::string_view img,
                          const std::map<std::string, std::string>& pod_labels) const {
  if (!image.empty() && !GlobMatch(image, img)) return false;
  for (const auto& [k, v] : labels) {
    auto it = pod_labels.find(k);
    if (it == pod_labels.end() || it->second != v) return false;
  }
  return true;
}

ContainerBehaviour RuntimeModel::Resolve(std::string_view image,
                                         const std::map<std::string, std::string>& pod_labels,
                                         std::string_view restart_policy) const {
  ContainerBehaviour b;
  defaults.ApplyTo(b);
  for (const RuntimeRule& rule : rules) {
    if (rule.Matches(image, pod_labels)) rule.overrides.ApplyTo(b);
  }
  const bool batch = restart_policy == "OnFailure" || restart_policy == "Never";
  if (batch && !b.run_duration) b.run_duration = batch_run_duration;
  return b;
}

Distribution RuntimeModel::PullLatency(std::string_view image) const {
  ContainerBehaviour b;
  defaults.ApplyTo(b);
  for (const RuntimeRule& rule : rules) {
    if (rule.labels.empty() && rule.Matches(image, {})) rule.overrides.ApplyTo(b);
  }
  return b.image_pull;
}

namespace {

std::optional<CrashModel> ParseCrash(const yaml::Node& node, const std::string& path,
                                     Diagnostics& diag) {
  YamlMap m(node, path, diag);
  if (!m.valid()) return std::nullopt;
  CrashModel crash;
  bool ok = true;
  if (yaml::Node p = m.Require("probability")) {
    std::optional<double> v = ReadProbability(p, m.PathOf("probability"), diag);
    ok = ok && v;
    if (v) crash.probability = *v;
  } else {
    ok = false;
  }
  if (yaml::Node a = m.Get("after")) {
    std::optional<Distribution> d = ParseDistribution(a, m.PathOf("after"), diag);
    ok = ok && d;
    if (d) crash.after = *d;
  }
  if (std::optional<int64_t> c = m.Int("exitCode", 0, 255))
    crash.exit_code = static_cast<int32_t>(*c);
  if (std::optional<std::string> r = m.String("reason")) crash.reason = *r;
  m.Finish();
  if (!ok) return std::nullopt;
  return crash;
}

std::optional<ProbeBehaviour> ParseProbe(const yaml::Node& node, const std::string& path,
                                         Diagnostics& diag) {
  YamlMap m(node, path, diag);
  if (!m.valid()) {
    if (!node.IsMap()) diag.Error(node, path, "expected a mapping");
    return std::nullopt;
  }
  ProbeBehaviour probe;
  if (yaml::Node t = m.Get("type")) {
    std::optional<std::string> s = ReadString(t, m.PathOf("type"), diag);
    if (s) {
      if (*s == "exec") {
        probe.type = runtime::ProbeSpec::Type::kExec;
      } else if (*s == "httpGet") {
        probe.type = runtime::ProbeSpec::Type::kHttpGet;
      } else if (*s == "tcpSocket") {
        probe.type = runtime::ProbeSpec::Type::kTcpSocket;
      } else {
        diag.Error(t, m.PathOf("type"),
                   "unknown probe type \"" + *s + "\"; use exec, httpGet or tcpSocket");
      }
    }
  }
  probe.path = m.String("path");
  if (std::optional<int64_t> port = m.Int("port", 1, 65535)) {
    probe.port = static_cast<int32_t>(*port);
  }
  if (std::optional<double> p = m.Probability("successProbability")) {
    probe.success_probability = *p;
  }
  probe.fails_after = m.DurationField("failsAfter");
  m.Finish();
  return probe;
}

// Reads the behaviour fields of `m` (the top level of `runtime:` or a rule).
BehaviourOverrides ParseOverrides(YamlMap& m, Diagnostics& diag) {
  BehaviourOverrides o;
  const auto dist = [&](std::string_view key) -> std::optional<Distribution> {
    yaml::Node n = m.Get(key);
    if (!n) return std::nullopt;
    return ParseDistribution(n, m.PathOf(key), diag);
  };
  o.image_pull = dist("imagePull");
  o.container_start = dist("containerStart");
  o.container_stop = dist("containerStop");
  if (yaml::Node n = m.Get("runDuration")) {
    if (n.IsScalar() && n.scalar() == "forever") {
      o.run_duration = std::optional<Distribution>();
    } else if (std::optional<Distribution> d =
                   ParseDistribution(n, m.PathOf("runDuration"), diag)) {
      o.run_duration = d;
    }
  }
  if (std::optional<int64_t> c = m.Int("exitCode", 0, 255)) o.exit_code = static_cast<int32_t>(*c);
  o.failure_probability = m.Probability("failureProbability");
  if (std::optional<int64_t> c = m.Int("failureExitCode", 1, 255)) {
    o.failure_exit_code = static_cast<int32_t>(*c);
  }
  o.start_failure_probability = m.Probability("startFailureProbability");
  if (yaml::Node n = m.Get("crash")) o.crash = ParseCrash(n, m.PathOf("crash"), diag);
  if (yaml::Node n = m.Get("probes")) {
    if (!n.IsSequence()) {
      diag.Error(n, m.PathOf("probes"), "expected a list of probe behaviours");
    } else {
      std::vector<ProbeBehaviour> probes;
      for (size_t i = 0; i < n.size(); ++i) {
        if (std::optional<ProbeBehaviour> p =
                ParseProbe(n[i], IndexPath(m.PathOf("probes"), i), diag)) {
          probes.push_back(std::move(*p));
        }
      }
      o.probes = std::move(probes);
    }
  }
  return o;
}

}  // namespace

std::optional<RuntimeModel> RuntimeModel::Parse(const yaml::Node& node, std::string_view path,
                                                Diagnostics& diag) {
  RuntimeModel model;
  const size_t before = diag.problems().size();
  YamlMap m(node, std::string(path), diag);
  if (!m.valid())
    return node.IsDefined() && !node.IsNull() ? std::nullopt : std::optional<RuntimeModel>(model);
  if (yaml::Node n = m.Get("sandboxStart")) {
    if (auto d = ParseDistribution(n, m.PathOf("sandboxStart"), diag)) model.sandbox_start = *d;
  }
  if (yaml::Node n = m.Get("batchRunDuration")) {
    if (auto d = ParseDistribution(n, m.PathOf("batchRunDuration"), diag)) {
      model.batch_run_duration = *d;
    }
  }
  if (yaml::Node n = m.Get("startContention")) {
    if (auto v = ReadDouble(n, m.PathOf("startContention"), diag)) {
      if (*v < 0 || *v > 100) {
        diag.Error(n, m.PathOf("startContention"),
                   "the fraction each concurrent start adds to a start; must be 0 to 100");
      } else {
        model.start_contention = *v;
      }
    }
  }
  if (auto v = m.Bool("sharedEngine")) model.shared_engine = *v;
  model.defaults = ParseOverrides(m, diag);
  if (yaml::Node rules = m.Get("rules")) {
    if (!rules.IsSequence()) {
      diag.Error(rules, m.PathOf("rules"), "expected a list of rules");
    } else {
      for (size_t i = 0; i < rules.size(); ++i) {
        const std::string rule_path = IndexPath(m.PathOf("rules"), i);
        YamlMap r(rules[i], rule_path, diag);
        if (!r.valid()) {
          if (!rules[i].IsMap()) diag.Error(rules[i], rule_path, "expected a mapping");
          continue;
        }
        RuntimeRule rule;
        rule.line = LineOf(rules[i]);
        if (std::optional<std::string> image = r.String("image")) rule.image = *image;
        if (yaml::Node labels = r.Get("labels")) {
          if (auto l = ReadStringMap(labels, r.PathOf("labels"), diag)) rule.labels = *l;
        }
        rule.overrides = ParseOverrides(r, diag);
        r.Finish();
        model.rules.push_back(std::move(rule));
      }
    }
  }
  m.Finish();
  if (diag.problems().size() != before) return std::nullopt;
  return model;
}

}  // namespace navarch::sim
