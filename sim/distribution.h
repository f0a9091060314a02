#pragma once
// Distribution: a random quantity of the scenario (a boot latency, an image
// pull time, a run duration), sampled through the deterministic Rng so that
// the same seed gives the same samples on every platform.
//
// Kinds and their YAML forms (durations are written like 250ms, 2s, 1m30s):
//
//   500ms                                     constant
//   {constant: 500ms}                         constant
//   {uniform: {min: 1s, max: 3s}}             uniform in [min, max]
//   {exponential: {mean: 10m}}                exponential with that mean
//   {normal: {mean: 2s, stddev: 500ms}}       normal (samples below 0 are 0)
//   {lognormal: {median: 2s, p99: 10s}}       log-normal fixed by its median
//                                             and 99th percentile
//   {empirical: [1s, 2s, 2s, 9s]}             one of the listed values, each
//                                             item equally likely
//
// Values are held in nanoseconds as doubles. SampleDuration() rounds to the
// nanosecond and never returns a negative duration. Each Sample() draws a
// fixed number of values from the Rng for a given kind (the normal kinds use
// a rejection loop and may draw more), so unrelated streams never interfere.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/yaml.h"

#include "core/base/time.h"
#include "core/runtime/rng.h"
#include "sim/diagnostics.h"

namespace navarch::sim {

class Distribution {
 public:
  enum class Kind { kConstant, kUniform, kExponential, kNormal, kLogNormal, kEmpirical };

  // A constant zero.
  Distribution() = default;

  static Distribution Constant(Duration value);
  // Requires min <= max.
  static Distribution Uniform(Duration min, Duration max);
  // Requires mean > 0.
  static Distribution Exponential(Duration mean);
  static Distribution Normal(Duration mean, Duration stddev);
  // Requires 0 < median <= p99. median == p99 is a constant.
  static Distribution LogNormal(Duration median, Duration p99);
  // Requires at least one value.
  static Distribution Empirical(std::vector<Duration> values);

  Kind kind() const { return kind_; }

  // One sample in nanoseconds (may be fractional; may be negative for kNormal).
  double Sample(runtime::Rng& rng) const;
  // One sample as a duration: rounded to the nanosecond, at least zero.
  Duration SampleDuration(runtime::Rng& rng) const;

  // The distribution's mean in nanoseconds (kNormal ignores the clamp at zero).
  double Mean() const;

  // The YAML form, e.g. "{lognormal: {median: 2s, p99: 10s}}" or "500ms".
  std::string ToString() const;

  bool operator==(const Distribution&) const = default;

 private:
  Kind kind_ = Kind::kConstant;
  // kConstant: a; kUniform: [a, b]; kExponential: mean a; kNormal: mean a,
  // stddev b; kLogNormal: median a, p99 b (mu, sigma cached in c, d).
  double a_ = 0, b_ = 0, c_ = 0, d_ = 0;
  std::vector<double> values_;  // kEmpirical
};

// Parses a duration distribution in one of the forms above. Records every
// problem in `diag` (naming `path`) and returns nullopt on error.
std::optional<Distribution> ParseDistribution(const yaml::Node& node, std::string_view path,
                                              Diagnostics& diag);

}  // namespace navarch::sim
