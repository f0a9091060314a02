#include "core/runtime/rng.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace navarch::runtime {
namespace {

constexpr int kSamples = 100'000;

// Golden values: the sequence for a seed is part of the contract (scenario
// reports must replay bit for bit), so any change to it must fail here.
TEST(RngGolden, Next) {
  Rng rng(42);
  EXPECT_EQ(rng.Next(), 0x15780b2e0c2ec716ULL);
  EXPECT_EQ(rng.Next(), 0x6104d9866d113a7eULL);
  EXPECT_EQ(rng.Next(), 0xae17533239e499a1ULL);
  EXPECT_EQ(rng.Next(), 0xecb8ad4703b360a1ULL);
  EXPECT_EQ(Rng(0).Next(), 0x99ec5f36cb75f2b4ULL);
}

TEST(RngGolden, Uniform) {
  Rng rng(42);
  EXPECT_EQ(rng.Uniform(100), 8u);
  EXPECT_EQ(rng.Uniform(100), 37u);
  EXPECT_EQ(rng.Uniform(100), 68u);
  EXPECT_EQ(rng.Uniform(100), 92u);
}

TEST(RngGolden, UniformDouble) {
  Rng rng(42);
  EXPECT_EQ(rng.UniformDouble(), 0.083862971059882163);
  EXPECT_EQ(rng.UniformDouble(), 0.37898025066266861);
  EXPECT_EQ(rng.UniformDouble(), 0.68004341102813937);
}

TEST(RngGolden, Distributions) {
  Rng e(42);
  EXPECT_EQ(e.Exponential(2.0), 0.17517866116683514);
  EXPECT_EQ(e.Exponential(2.0), 0.9527847901575448);
  EXPECT_EQ(e.Exponential(2.0), 2.2791399037077551);
  Rng n(42);
  EXPECT_EQ(n.Normal(10, 3), 7.8213425852656435);
  EXPECT_EQ(n.Normal(10, 3), 10.664868104510781);
  EXPECT_EQ(n.Normal(10, 3), 11.39253193048742);
  Rng l(42);
  EXPECT_EQ(l.LogNormal(0, 1), 0.48373447012957155);
  EXPECT_EQ(l.LogNormal(0, 1), 1.2481003826192449);
  EXPECT_EQ(l.LogNormal(0, 1), 1.5907049935973767);
}

TEST(RngGolden, ForkAndShuffle) {
  Rng rng(42);
  EXPECT_EQ(rng.Fork("scheduler").Next(), 0xa865898859d030beULL);
  EXPECT_EQ(rng.Fork("cloud").Next(), 0x4733ab06cc32fd02ULL);
  std::vector<int> v = {0, 1, 2, 3, 4, 5, 6, 7};
  Rng(42).Shuffle(v);
  EXPECT_EQ(v, (std::vector<int>{7, 1, 6, 3, 5, 4, 2, 0}));
}

TEST(Rng, SameSeedSameSequenceDifferentSeedDifferentSequence) {
  Rng a(7), b(7), c(8);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next();
    EXPECT_EQ(x, b.Next());
    differs = differs || x != c.Next();
  }
  EXPECT_TRUE(differs);
}

TEST(Rng, CopyContinuesFromTheSamePosition) {
  Rng a(3);
  a.Next();
  Rng b = a;
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(Rng, ForkIsIndependentOfTheParentsPositionAndOtherStreams) {
  Rng parent(99);
  Rng fresh(99);
  Rng s1 = parent.Fork("scheduler");
  // Forking consumed nothing from the parent.
  EXPECT_EQ(parent.Next(), fresh.Next());
  // A fork depends only on the seed and name, not on the parent's position
  // or on which other streams exist.
  Rng other = fresh.Fork("cloud");
  (void)other;
  Rng s2 = fresh.Fork("scheduler");
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(s1.Next(), s2.Next());
  // Different names, different streams; and a fork differs from its parent.
  Rng x = parent.Fork("x"), y = parent.Fork("y"), z = Rng(99);
  EXPECT_NE(x.Next(), y.Next());
  EXPECT_NE(parent.Fork("x").Next(), z.Next());
  // Nested forks differ by path.
  EXPECT_NE(parent.Fork("a").Fork("b").Next(), parent.Fork("b").Fork("a").Next());
  EXPECT_EQ(parent.Fork("a").Fork("b").Next(), Rng(99).Fork("a").Fork("b").Next());
}

TEST(Rng, UniformStaysInRange) {
  Rng rng(1);
  EXPECT_EQ(rng.Uniform(1), 0u);
  const uint64_t big = (uint64_t{1} << 63) + 1;  // rejects almost half the draws
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LT(rng.Uniform(3), 3u);
    EXPECT_LT(rng.Uniform(big), big);
    EXPECT_LT(rng.Uniform(std::numeric_limits<uint64_t>::max()),
              std::numeric_limits<uint64_t>::max());
  }
}

TEST(Rng, UniformIsUnbiased) {
  Rng rng(2);
  std::vector<int> counts(10);
  for (int i = 0; i < kSamples; ++i)
    ++counts[rng.Uniform(10)];
  // Expected 10,000 each with standard deviation about 95: allow ~6 sigma.
  for (int c : counts) {
    EXPECT_GT(c, 9'430);
    EXPECT_LT(c, 10'570);
  }
  // n close to 2^64 * 2/3: a modulo-based draw would put two thirds of the
  // samples in the lower half of the range; an unbiased one puts half there.
  const uint64_t n = 0xaaaaaaaaaaaaaaaaULL;
  int lower = 0;
  for (int i = 0; i < kSamples; ++i)
    lower += rng.Uniform(n) < n / 2;
  EXPECT_GT(lower, 49'000);
  EXPECT_LT(lower, 51'000);
}

TEST(Rng, UniformIntCoversInclusiveRange) {
  Rng rng(3);
  std::vector<int> seen(5);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = rng.UniformInt(-2, 2);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 2);
    ++seen[static_cast<size_t>(v + 2)];
  }
  for (int c : seen)
    EXPECT_GT(c, 100);
  EXPECT_EQ(rng.UniformInt(5, 5), 5);
  // The full int64 range does not overflow.
  rng.UniformInt(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
}

TEST(Rng, UniformDoubleMoments) {
  Rng rng(4);
  double sum = 0, lo = 1, hi = 0;
  for (int i = 0; i < kSamples; ++i) {
    double u = rng.UniformDouble();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  // Standard error of the mean: sqrt(1/12 / 1e5) ~ 0.0009.
  EXPECT_NEAR(sum / kSamples, 0.5, 0.005);
  EXPECT_LT(lo, 0.001);
  EXPECT_GT(hi, 0.999);
}

TEST(Rng, ExponentialMean) {
  Rng rng(5);
  double sum = 0;
  for (int i = 0; i < kSamples; ++i) {
    double x = rng.Exponential(3.0);
    ASSERT_GE(x, 0.0);
    sum += x;
  }
  // Standard error: 3 / sqrt(1e5) ~ 0.0095.
  EXPECT_NEAR(sum / kSamples, 3.0, 0.06);
}

TEST(Rng, NormalMeanAndStddev) {
  Rng rng(6);
  double sum = 0, sq = 0;
  for (int i = 0; i < kSamples; ++i) {
    double x = rng.Normal(10.0, 2.0);
    sum += x;
    sq += x * x;
  }
  const double mean = sum / kSamples;
  const double var = sq / kSamples - mean * mean;
  EXPECT_NEAR(mean, 10.0, 0.04);  // standard error ~ 0.0063
  EXPECT_NEAR(std::sqrt(var), 2.0, 0.03);
}

TEST(Rng, LogNormalMedianAndMean) {
  Rng rng(7);
  std::vector<double> xs;
  xs.reserve(kSamples);
  for (int i = 0; i < kSamples; ++i)
    xs.push_back(rng.LogNormal(1.0, 0.5));
  const double mean = std::accumulate(xs.begin(), xs.end(), 0.0) / kSamples;
  std::nth_element(xs.begin(), xs.begin() + kSamples / 2, xs.end());
  // Median e^mu, mean e^(mu + sigma^2 / 2).
  EXPECT_NEAR(xs[kSamples / 2], std::exp(1.0), 0.05);
  EXPECT_NEAR(mean, std::exp(1.0 + 0.125), 0.05);
}

TEST(Rng, BernoulliRateAndEdges) {
  Rng rng(8);
  int hits = 0;
  for (int i = 0; i < kSamples; ++i)
    hits += rng.Bernoulli(0.3);
  EXPECT_GT(hits, 29'100);  // expected 30,000, standard deviation ~145
  EXPECT_LT(hits, 30'900);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(rng.Bernoulli(0.0));
    EXPECT_TRUE(rng.Bernoulli(1.0));
  }
  // Always one draw, whatever p is, so streams stay aligned.
  Rng a(9), b(9);
  a.Bernoulli(0.0);
  b.Bernoulli(1.0);
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(Rng, ShuffleIsAPermutationAndUniform) {
  Rng rng(10);
  std::vector<int> v(20);
  std::iota(v.begin(), v.end(), 0);
  rng.Shuffle(v);
  std::vector<int> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(sorted[static_cast<size_t>(i)], i);
  // Where element 0 of a 4-element array lands: 1/4 each.
  std::vector<int> where(4);
  for (int i = 0; i < 40'000; ++i) {
    int a[4] = {0, 1, 2, 3};
    rng.Shuffle(std::begin(a), std::end(a));
    ++where[static_cast<size_t>(std::find(a, a + 4, 0) - a)];
  }
  for (int c : where) {
    EXPECT_GT(c, 9'500);  // expected 10,000, standard deviation ~87
    EXPECT_LT(c, 10'500);
  }
  std::vector<int> empty;
  rng.Shuffle(empty);
}

TEST(DeterministicMath, CloseToTheCLibrary) {
  Rng rng(11);
  for (int i = 0; i < 100'000; ++i) {
    const double x =
        std::ldexp(1.0 + rng.UniformDouble(), static_cast<int>(rng.Uniform(2000)) - 1000);
    EXPECT_NEAR(DeterministicLog(x), std::log(x), 4e-16 * std::max(1.0, std::fabs(std::log(x))))
        << x;
    const double y = (rng.UniformDouble() * 2 - 1) * 700;
    EXPECT_NEAR(DeterministicExp(y), std::exp(y), 4e-16 * std::exp(y)) << y;
  }
}

TEST(DeterministicMath, SpecialValues) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(DeterministicLog(1.0), 0.0);
  EXPECT_EQ(DeterministicLog(0.0), -inf);
  EXPECT_EQ(DeterministicLog(inf), inf);
  EXPECT_TRUE(std::isnan(DeterministicLog(-1.0)));
  EXPECT_TRUE(std::isnan(DeterministicLog(std::nan(""))));
  EXPECT_NEAR(DeterministicLog(std::numeric_limits<double>::denorm_min()), -744.44007192138126,
              1e-12);
  EXPECT_EQ(DeterministicExp(0.0), 1.0);
  EXPECT_EQ(DeterministicExp(710.0), inf);
  EXPECT_EQ(DeterministicExp(-746.0), 0.0);
  EXPECT_GT(DeterministicExp(-745.0), 0.0);  // subnormal, not flushed
  EXPECT_TRUE(std::isnan(DeterministicExp(std::nan(""))));
  EXPECT_NEAR(DeterministicExp(1.0), 2.718281828459045, 1e-15);
}

}  // namespace
}  // namespace navarch::runtime
