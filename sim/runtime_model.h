#pragma once
// RuntimeModel: how simulated containers behave — the latencies of the
// runtime's operations, how long batch containers run and how they exit,
// crashes, and probe outcomes. One model (from the scenario's `runtime:`
// section) is shared by the SimRuntime of every node; each runtime draws from
// its own Rng stream.
//
// A ContainerBehaviour is resolved per container from the built-in defaults,
// then the model's top-level fields, then every rule that matches the
// container in file order (a later rule overrides the fields it sets). A rule
// matches when its `image` glob ('*' matches any run of characters; empty
// matches all) matches the container's image and every one of its `labels`
// is among the pod's labels. Image pulls happen before a pod is known, so a
// pull latency comes only from rules without `labels`.
//
// Run duration. A container with a run duration exits on its own after it
// (with exit_code, or failure_exit_code with failure_probability). Without
// one it runs until stopped — except that containers of pods whose restart
// policy is OnFailure or Never ("batch" pods) use batch_run_duration.
//
// Crashes. On every start, with crash.probability, the container crashes
// after a time drawn from crash.after (if that is before its run ends), with
// crash.exit_code and crash.reason ("Error", "OOMKilled").
//
// Probes. The first ProbeBehaviour whose match fields (type, path, port; unset
// fields match anything) fit the probe decides it: it fails once the
// container has been running for fails_after (if set), and otherwise succeeds
// with success_probability. No match: the probe succeeds. Exec uses the same
// rules (type exec): success is exit code 0, failure exit code 1.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/yaml.h"

#include "core/runtime/container_runtime.h"
#include "sim/diagnostics.h"
#include "sim/distribution.h"

namespace navarch::sim {

struct CrashModel {
  double probability = 0;  // per start
  Distribution after = Distribution::Constant(hours(1));
  int32_t exit_code = 1;
  std::string reason = "Error";
  bool operator==(const CrashModel&) const = default;
};

struct ProbeBehaviour {
  std::optional<runtime::ProbeSpec::Type> type;
  std::optional<std::string> path;
  std::optional<int32_t> port;
  double success_probability = 1.0;
  std::optional<Duration> fails_after;
  bool operator==(const ProbeBehaviour&) const = default;

  bool Matches(const runtime::ProbeSpec& probe) const;
};

struct ContainerBehaviour {
  Distribution image_pull = Distribution::Constant(seconds(2));
  Distribution container_start = Distribution::Constant(milliseconds(500));
  Distribution container_stop = Distribution::Constant(milliseconds(500));
  std::optional<Distribution> run_duration;  // unset: runs until stopped
  int32_t exit_code = 0;
  double failure_probability = 0;
  int32_t failure_exit_code = 1;
  double start_failure_probability = 0;
  CrashModel crash;
  std::vector<ProbeBehaviour> probes;
  bool operator==(const ContainerBehaviour&) const = default;
};

// The fields a model section or rule may set; unset fields leave the value
// below them.
struct BehaviourOverrides {
  std::optional<Distribution> image_pull;
  std::optional<Distribution> container_start;
  std::optional<Distribution> container_stop;
  // Set to nullopt-inside ("runDuration: forever") to run until stopped.
  std::optional<std::optional<Distribution>> run_duration;
  std::optional<int32_t> exit_code;
  std::optional<double> failure_probability;
  std::optional<int32_t> failure_exit_code;
  std::optional<double> start_failure_probability;
  std::optional<CrashModel> crash;
  std::optional<std::vector<ProbeBehaviour>> probes;

  void ApplyTo(ContainerBehaviour& b) const;
};

struct RuntimeRule {
  std::string image;  // glob; empty matches every image
  std::map<std::string, std::string> labels;
  BehaviourOverrides overrides;
  int line = 0;  // where the rule is written (0 when built in code)

  bool Matches(std::string_view image, const std::map<std::string, std::string>& pod_labels) const;
};

class RuntimeModel {
 public:
  Distribution sandbox_start = Distribution::Constant(milliseconds(200));
  Distribution batch_run_duration = Distribution::Constant(minutes(1));
  // Contention of the container engine: a sandbox or container start that
  // begins while k others are in progress on the same engine takes
  // (1 + start_contention * k) times its sampled latency. The engine is each
  // node's own, or with shared_engine one for every node (the Docker backend
  // on one machine, which `navarch calibrate` measures).
  double start_contention = 0;
  bool shared_engine = false;
  BehaviourOverrides defaults;
  std::vector<RuntimeRule> rules;

  // The behaviour of a container of `image` in a pod with these labels and
  // restart policy ("Always", "OnFailure", "Never"; empty means Always).
  ContainerBehaviour Resolve(std::string_view image,
                             const std::map<std::string, std::string>& pod_labels,
                             std::string_view restart_policy) const;
  // The pull latency of `image` (rules without labels only).
  Distribution PullLatency(std::string_view image) const;

  // Parses the `runtime:` section; records problems in `diag`.
  static std::optional<RuntimeModel> Parse(const yaml::Node& node, std::string_view path,
                                           Diagnostics& diag);
};

// '*' matches any run of characters (including none); everything else is literal.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace navarch::sim
