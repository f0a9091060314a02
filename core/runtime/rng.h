#pragma once
// Rng: deterministic seeded random numbers, the same sequence on every
// platform, compiler and standard library.
//
// The standard distributions (std::uniform_int_distribution, ...) are not
// used because their output is implementation-defined; the distributions here
// are written out over xoshiro256** (seeded through splitmix64), and the
// logarithm and exponential they need are computed by DeterministicLog() and
// DeterministicExp() below from IEEE-754 +, -, *, / alone (the C library's
// log and exp may differ in the last bit between platforms). This requires
// binary64 arithmetic without excess precision or fused multiply-add
// contraction, which the implementation checks or disables.
//
// Streams. One Rng per scenario is handed down explicitly; a component that
// needs its own stream takes Fork("name"). A fork is derived from the parent's
// seed and the name only — it does not consume the parent's sequence — so
// adding a stream never changes any other stream. Forking the same name twice
// gives the same stream.
//
// An Rng is a plain value (copying it copies its position in the sequence)
// and is not thread-safe.

#include <cstdint>
#include <iterator>
#include <string_view>
#include <utility>

namespace navarch::runtime {

class Rng {
 public:
  explicit Rng(uint64_t seed);

  // The seed this generator was built from (a fork's derived seed).
  uint64_t seed() const { return seed_; }

  // 64 uniformly distributed bits.
  uint64_t Next();
  // Uniform in [0, n), without modulo bias. n must be > 0 (asserted; 0 in
  // release builds).
  uint64_t Uniform(uint64_t n);
  // Uniform in [lo, hi] (inclusive). Requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi);
  // Uniform in [0, 1), a multiple of 2^-53.
  double UniformDouble();
  // Exponentially distributed with the given mean (> 0).
  double Exponential(double mean);
  // Normally distributed (Marsaglia's polar method).
  double Normal(double mean, double stddev);
  // exp(Normal(mu, sigma)): `mu` and `sigma` are those of the logarithm.
  double LogNormal(double mu, double sigma);
  // True with probability p (p <= 0: never; p >= 1: always). Always draws
  // exactly one number.
  bool Bernoulli(double p);

  // An independent stream derived from this generator's seed and `name`.
  Rng Fork(std::string_view stream_name) const;

  // Fisher-Yates shuffle of [first, last) with Uniform().
  template <class RandomIt>
  void Shuffle(RandomIt first, RandomIt last) {
    auto n = static_cast<uint64_t>(last - first);
    for (uint64_t i = n; i > 1; --i) {
      uint64_t j = Uniform(i);
      using std::swap;
      swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(j)]);
    }
  }
  template <class Container>
  void Shuffle(Container& c) {
    Shuffle(std::begin(c), std::end(c));
  }

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

// Natural logarithm, reproducible bit for bit everywhere; within a few ulp
// of the exact value. x <= 0 gives -inf (0) or NaN (negative); +inf gives +inf.
double DeterministicLog(double x);
// e^x, reproducible bit for bit everywhere; within a few ulp of the exact
// value. Overflows to +inf, underflows to 0.
double DeterministicExp(double x);

}  // namespace navarch::runtime
