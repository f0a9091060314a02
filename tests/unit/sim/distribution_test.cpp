#include "sim/distribution.h"

#include <algorithm>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

yaml::Node Load(const std::string& text) {
  yaml::Loaded loaded = yaml::Load(text);
  EXPECT_TRUE(loaded.ok) << loaded.error.ToString();
  return loaded.ok ? loaded.documents[0] : yaml::Node();
}

Distribution Parse(const std::string& text, Diagnostics& diag) {
  std::optional<Distribution> d = ParseDistribution(Load(text), "latency", diag);
  return d.value_or(Distribution());
}

Distribution MustParse(const std::string& text) {
  Diagnostics diag("d.yaml");
  std::optional<Distribution> d = ParseDistribution(Load(text), "latency", diag);
  EXPECT_TRUE(d.has_value()) << diag.ToStatus();
  return d.value_or(Distribution());
}

std::vector<int64_t> Samples(const Distribution& d, uint64_t seed, int n) {
  runtime::Rng rng(seed);
  std::vector<int64_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(d.SampleDuration(rng).count());
  return out;
}

TEST(DistributionTest, ParsesEveryForm) {
  EXPECT_EQ(MustParse("500ms"), Distribution::Constant(milliseconds(500)));
  EXPECT_EQ(MustParse("{constant: 2s}"), Distribution::Constant(seconds(2)));
  EXPECT_EQ(MustParse("{uniform: {min: 1s, max: 3s}}"),
            Distribution::Uniform(seconds(1), seconds(3)));
  EXPECT_EQ(MustParse("{exponential: {mean: 10m}}"), Distribution::Exponential(minutes(10)));
  EXPECT_EQ(MustParse("{normal: {mean: 2s, stddev: 500ms}}"),
            Distribution::Normal(seconds(2), milliseconds(500)));
  EXPECT_EQ(MustParse("{lognormal: {median: 2s, p99: 10s}}"),
            Distribution::LogNormal(seconds(2), seconds(10)));
  EXPECT_EQ(MustParse("{empirical: [1s, 2s, 9s]}"),
            Distribution::Empirical({seconds(1), seconds(2), seconds(9)}));
  EXPECT_EQ(MustParse("{lognormal: {median: 2s, p99: 10s}}").ToString(),
            "{lognormal: {median: 2s, p99: 10s}}");
}

TEST(DistributionTest, BadInputNamesTheFieldAndTheForms) {
  Diagnostics diag("d.yaml");
  Parse("2 seconds", diag);
  Parse("{uniform: {min: 3s, max: 1s}}", diag);
  Parse("{lognormal: {median: 2s}}", diag);
  Parse("{lognormal: {median: 5s, p99: 1s}}", diag);
  Parse("{exponential: {mean: 0s}}", diag);
  Parse("{weibull: {k: 1}}", diag);
  Parse("{uniform: {min: 1s, max: 2s, mode: 1s}}", diag);
  Parse("{empirical: []}", diag);
  ASSERT_EQ(diag.problems().size(), 8u) << diag.ToStatus();
  EXPECT_THAT(diag.problems()[0], HasSubstr("d.yaml:1: latency: invalid duration \"2 seconds\""));
  EXPECT_THAT(diag.problems()[1], HasSubstr("latency.uniform: min (3s) is above max (1s)"));
  EXPECT_THAT(diag.problems()[2], HasSubstr("latency.lognormal.p99: required field is missing"));
  EXPECT_THAT(diag.problems()[3], HasSubstr("latency.lognormal.p99: p99 (1s) must not be below"));
  EXPECT_THAT(diag.problems()[4], HasSubstr("latency.exponential.mean: the mean must be above"));
  EXPECT_THAT(diag.problems()[5], HasSubstr("latency.weibull: unknown distribution \"weibull\""));
  EXPECT_THAT(diag.problems()[6], HasSubstr("latency.uniform.mode: unknown field"));
  EXPECT_THAT(diag.problems()[7], HasSubstr("latency.empirical: expected a non-empty list"));
}

// Golden samples: the same seed gives these exact values on every platform.
TEST(DistributionTest, GoldenSamples) {
  EXPECT_THAT(Samples(Distribution::Constant(seconds(1)), 7, 2),
              ElementsAre(1'000'000'000, 1'000'000'000));
  EXPECT_THAT(Samples(Distribution::Uniform(seconds(1), seconds(3)), 7, 3),
              ElementsAre(2401152964, 1557502459, 2679254924));
  EXPECT_THAT(Samples(Distribution::Exponential(seconds(10)), 7, 3),
              ElementsAre(12058962602, 3267711658, 18302558069));
  EXPECT_THAT(Samples(Distribution::LogNormal(seconds(2), seconds(10)), 7, 3),
              ElementsAre(3897447750, 1620733973, 2469493696));
  EXPECT_THAT(Samples(Distribution::Normal(seconds(2), milliseconds(500)), 7, 3),
              ElementsAre(2482180926, 1848034938, 2152397179));
  EXPECT_THAT(
      Samples(Distribution::Empirical({seconds(1), seconds(2), seconds(9)}), 7, 5),
      ElementsAre(9'000'000'000, 1'000'000'000, 9'000'000'000, 9'000'000'000, 9'000'000'000));
}

double Quantile(std::vector<int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))]);
}

TEST(DistributionTest, LogNormalHitsItsMedianAndP99) {
  std::vector<int64_t> v = Samples(Distribution::LogNormal(seconds(2), seconds(10)), 1, 100'000);
  EXPECT_NEAR(Quantile(v, 0.5) / 1e9, 2.0, 0.05);
  EXPECT_NEAR(Quantile(v, 0.99) / 1e9, 10.0, 0.5);
}

TEST(DistributionTest, MeansAndBounds) {
  const auto mean = [](const std::vector<int64_t>& v) {
    double sum = 0;
    for (int64_t x : v)
      sum += static_cast<double>(x);
    return sum / static_cast<double>(v.size()) / 1e9;
  };
  std::vector<int64_t> u = Samples(Distribution::Uniform(seconds(1), seconds(3)), 2, 50'000);
  EXPECT_NEAR(mean(u), 2.0, 0.02);
  EXPECT_GE(*std::min_element(u.begin(), u.end()), 1'000'000'000);
  EXPECT_LE(*std::max_element(u.begin(), u.end()), 3'000'000'000);
  EXPECT_NEAR(mean(Samples(Distribution::Exponential(seconds(10)), 3, 50'000)), 10.0, 0.2);
  std::vector<int64_t> n = Samples(Distribution::Normal(seconds(1), seconds(1)), 4, 50'000);
  EXPECT_GE(*std::min_element(n.begin(), n.end()), 0);  // clamped at zero
  std::vector<int64_t> e =
      Samples(Distribution::Empirical({seconds(1), seconds(2), seconds(9)}), 5, 30'000);
  EXPECT_NEAR(mean(e), 4.0, 0.1);
  // sigma = ln(5) / z(0.99); mean = median * exp(sigma^2 / 2).
  EXPECT_NEAR(Distribution::LogNormal(seconds(2), seconds(10)).Mean() / 1e9, 2.5408, 0.001);
}

}  // namespace
}  // namespace navarch::sim
