#include "sim/distribution.h"

#include <cassert>
#include <cmath>

namespace navarch::sim {
namespace {

// The 0.99 quantile of the standard normal distribution.
constexpr double kZ99 = 2.3263478740408408;

double Nanos(Duration d) {
  return static_cast<double>(d.count());
}

std::string FormatNanos(double ns) {
  return FormatDuration(Duration(static_cast<int64_t>(std::llround(ns))));
}

}  // namespace

Distribution Distribution::Constant(Duration value) {
  Distribution d;
  d.kind_ = Kind::kConstant;
  d.a_ = Nanos(value);
  return d;
}

Distribution Distribution::Uniform(Duration min, Duration max) {
  assert(min <= max);
  Distribution d;
  d.kind_ = Kind::kUniform;
  d.a_ = Nanos(min);
  d.b_ = Nanos(max);
  return d;
}

Distribution Distribution::Exponential(Duration mean) {
  assert(mean.count() > 0);
  Distribution d;
  d.kind_ = Kind::kExponential;
  d.a_ = Nanos(mean);
  return d;
}

Distribution Distribution::Normal(Duration mean, Duration stddev) {
  Distribution d;
  d.kind_ = Kind::kNormal;
  d.a_ = Nanos(mean);
  d.b_ = Nanos(stddev);
  return d;
}

Distribution Distribution::LogNormal(Duration median, Duration p99) {
  assert(median.count() > 0 && median <= p99);
  Distribution d;
  d.kind_ = Kind::kLogNormal;
  d.a_ = Nanos(median);
  d.b_ = Nanos(p99);
  d.c_ = runtime::DeterministicLog(d.a_);
  d.d_ = (runtime::DeterministicLog(d.b_) - d.c_) / kZ99;
  return d;
}

Distribution Distribution::Empirical(std::vector<Duration> values) {
  assert(!values.empty());
  Distribution d;
  d.kind_ = Kind::kEmpirical;
  for (Duration v : values)
    d.values_.push_back(Nanos(v));
  return d;
}

double Distribution::Sample(runtime::Rng& rng) const {
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return a_ + (b_ - a_) * rng.UniformDouble();
    case Kind::kExponential:
      return rng.Exponential(a_);
    case Kind::kNormal:
      return rng.Normal(a_, b_);
    case Kind::kLogNormal:
      return d_ == 0 ? a_ : rng.LogNormal(c_, d_);
    case Kind::kEmpirical:
      return values_[rng.Uniform(values_.size())];
  }
  return 0;
}

Duration Distribution::SampleDuration(runtime::Rng& rng) const {
  const double ns = Sample(rng);
  if (!(ns > 0)) return Duration(0);
  // Beyond ~292 years: saturate rather than overflow.
  if (ns >= 9.2e18) return Duration(INT64_C(9200000000000000000));
  return Duration(static_cast<int64_t>(std::llround(ns)));
}

double Distribution::Mean() const {
  switch (kind_) {
    case Kind::kConstant:
      return a_;
    case Kind::kUniform:
      return (a_ + b_) / 2;
    case Kind::kExponential:
    case Kind::kNormal:
      return a_;
    case Kind::kLogNormal:
      return runtime::DeterministicExp(c_ + d_ * d_ / 2);
    case Kind::kEmpirical: {
      double sum = 0;
      for (double v : values_)
        sum += v;
      return sum / static_cast<double>(values_.size());
    }
  }
  return 0;
}

std::string Distribution::ToString() const {
  switch (kind_) {
    case Kind::kConstant:
      return FormatNanos(a_);
    case Kind::kUniform:
      return "{uniform: {min: " + FormatNanos(a_) + ", max: " + FormatNanos(b_) + "}}";
    case Kind::kExponential:
      return "{exponential: {mean: " + FormatNanos(a_) + "}}";
    case Kind::kNormal:
      return "{normal: {mean: " + FormatNanos(a_) + ", stddev: " + FormatNanos(b_) + "}}";
    case Kind::kLogNormal:
      return "{lognormal: {median: " + FormatNanos(a_) + ", p99: " + FormatNanos(b_) + "}}";
    case Kind::kEmpirical: {
      std::string out = "{empirical: [";
      for (size_t i = 0; i < values_.size(); ++i) {
        if (i) out += ", ";
        out += FormatNanos(values_[i]);
      }
      return out + "]}";
    }
  }
  return "";
}

namespace {

constexpr std::string_view kForms =
    "write a duration (500ms) or one of {constant: D}, {uniform: {min: D, max: D}}, "
    "{exponential: {mean: D}}, {normal: {mean: D, stddev: D}}, "
    "{lognormal: {median: D, p99: D}}, {empirical: [D, ...]}";

}  // namespace

std::optional<Distribution> ParseDistribution(const yaml::Node& node, std::string_view path,
                                              Diagnostics& diag) {
  if (node.IsScalar()) {
    std::optional<Duration> d = ReadDuration(node, path, diag);
    if (!d) return std::nullopt;
    return Distribution::Constant(*d);
  }
  if (!node.IsMap() || node.size() != 1) {
    diag.Error(node, path, "expected a distribution: " + std::string(kForms));
    return std::nullopt;
  }
  const std::string kind = node.entries().begin()->first.scalar();
  const yaml::Node body = node.entries().begin()->second;
  const std::string body_path = JoinPath(path, kind);
  if (kind == "constant") {
    std::optional<Duration> d = ReadDuration(body, body_path, diag);
    if (!d) return std::nullopt;
    return Distribution::Constant(*d);
  }
  if (kind == "empirical") {
    if (!body.IsSequence() || body.size() == 0) {
      diag.Error(body, body_path, "expected a non-empty list of durations");
      return std::nullopt;
    }
    std::vector<Duration> values;
    bool ok = true;
    for (size_t i = 0; i < body.size(); ++i) {
      std::optional<Duration> d = ReadDuration(body[i], IndexPath(body_path, i), diag);
      if (d) {
        values.push_back(*d);
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    return Distribution::Empirical(std::move(values));
  }
  if (kind != "uniform" && kind != "exponential" && kind != "normal" && kind != "lognormal") {
    diag.Error(node.entries().begin()->first, body_path,
               "unknown distribution \"" + kind + "\"; " + std::string(kForms));
    return std::nullopt;
  }
  if (!body.IsMap()) {
    diag.Error(body.IsNull() ? node : body, body_path,
               "expected a mapping with the parameters of the " + kind + " distribution");
    return std::nullopt;
  }
  YamlMap m(body, body_path, diag);
  if (kind == "uniform") {
    yaml::Node lo_node = m.Require("min");
    yaml::Node hi_node = m.Require("max");
    m.Finish();
    std::optional<Duration> lo, hi;
    if (lo_node) lo = ReadDuration(lo_node, m.PathOf("min"), diag);
    if (hi_node) hi = ReadDuration(hi_node, m.PathOf("max"), diag);
    if (!lo || !hi) return std::nullopt;
    if (*lo > *hi) {
      diag.Error(body, body_path,
                 "min (" + FormatDuration(*lo) + ") is above max (" + FormatDuration(*hi) + ")");
      return std::nullopt;
    }
    return Distribution::Uniform(*lo, *hi);
  }
  if (kind == "exponential") {
    yaml::Node mean_node = m.Require("mean");
    m.Finish();
    if (!mean_node) return std::nullopt;
    std::optional<Duration> mean = ReadDuration(mean_node, m.PathOf("mean"), diag);
    if (!mean) return std::nullopt;
    if (mean->count() <= 0) {
      diag.Error(mean_node, m.PathOf("mean"), "the mean must be above zero");
      return std::nullopt;
    }
    return Distribution::Exponential(*mean);
  }
  if (kind == "normal") {
    yaml::Node mean_node = m.Require("mean");
    yaml::Node sd_node = m.Require("stddev");
    m.Finish();
    std::optional<Duration> mean, sd;
    if (mean_node) mean = ReadDuration(mean_node, m.PathOf("mean"), diag);
    if (sd_node) sd = ReadDuration(sd_node, m.PathOf("stddev"), diag);
    if (!mean || !sd) return std::nullopt;
    return Distribution::Normal(*mean, *sd);
  }
  if (kind == "lognormal") {
    yaml::Node median_node = m.Require("median");
    yaml::Node p99_node = m.Require("p99");
    m.Finish();
    std::optional<Duration> median, p99;
    if (median_node) median = ReadDuration(median_node, m.PathOf("median"), diag);
    if (p99_node) p99 = ReadDuration(p99_node, m.PathOf("p99"), diag);
    if (!median || !p99) return std::nullopt;
    if (median->count() <= 0) {
      diag.Error(median_node, m.PathOf("median"), "the median must be above zero");
      return std::nullopt;
    }
    if (*p99 < *median) {
      diag.Error(p99_node, m.PathOf("p99"),
                 "p99 (" + FormatDuration(*p99) + ") must not be below the median (" +
                     FormatDuration(*median) + ")");
      return std::nullopt;
    }
    return Distribution::LogNormal(*median, *p99);
  }
  return std::nullopt;  // unreachable: the kinds were checked above
}

}  // namespace navarch::sim
