#include "core/runtime/rng.h"

#include <cassert>
#include <cfloat>
#include <cmath>
#include <limits>

// Reproducibility needs every double operation rounded once, to binary64.
static_assert(FLT_EVAL_METHOD == 0, "Rng needs binary64 arithmetic without excess precision");
static_assert(std::numeric_limits<double>::is_iec559, "Rng needs IEEE-754 doubles");
// No fused multiply-add: a*b+c must round twice, as written. (GCC in ISO C++
// mode, which the build uses, does not contract; clang honours this pragma.)
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

namespace navarch::runtime {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

uint64_t Rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

// The splitmix64 output function: a bijective 64-bit mixer.
uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The high and low 64 bits of a 64x64-bit product, portably.
void Multiply128(uint64_t a, uint64_t b, uint64_t& hi, uint64_t& lo) {
  const uint64_t a_lo = a & 0xffffffffULL, a_hi = a >> 32;
  const uint64_t b_lo = b & 0xffffffffULL, b_hi = b >> 32;
  const uint64_t p0 = a_lo * b_lo;
  const uint64_t p1 = a_lo * b_hi;
  const uint64_t p2 = a_hi * b_lo;
  const uint64_t p3 = a_hi * b_hi;
  const uint64_t mid = (p0 >> 32) + (p1 & 0xffffffffULL) + (p2 & 0xffffffffULL);
  lo = (mid << 32) | (p0 & 0xffffffffULL);
  hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

// FNV-1a over the bytes of `s`.
uint64_t HashName(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// ln 2 split so that k * kLn2Hi is exact for |k| < 2^11.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
constexpr double kLn2 = 0.693147180559945309417232121458176568;
constexpr double kSqrtHalf = 0.707106781186547524400844362104849039;

}  // namespace

double DeterministicLog(double x) {
  if (std::isnan(x)) return x;
  if (x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); frexp and the doubling are exact.
  int e = 0;
  double m = std::frexp(x, &e);  // m in [0.5, 1)
  if (m < kSqrtHalf) {
    m *= 2;
    --e;
  }
  // ln(m) = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.172:
  // 2 (s + s^3/3 + s^5/5 + ...), summed smallest term first.
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double s2 = s * s;
  double poly = 0.0;
  for (int k = 23; k >= 3; k -= 2)
    poly = (poly + 1.0 / k) * s2;
  const double log_m = 2.0 * s + 2.0 * s * poly;
  const double de = static_cast<double>(e);
  return de * kLn2Hi + (log_m + de * kLn2Lo);
}

double DeterministicExp(double x) {
  if (std::isnan(x)) return x;
  if (x > 709.782712893384) return std::numeric_limits<double>::infinity();
  if (x < -745.1332191019412) return 0.0;
  // x = k ln2 + r with |r| <= ln2 / 2; e^x = 2^k e^r.
  const double kd = std::nearbyint(x / kLn2);
  const int k = static_cast<int>(kd);
  const double r = (x - kd * kLn2Hi) - kd * kLn2Lo;
  // Taylor series of e^r to the r^17 term, Horner form.
  double sum = 1.0;
  for (int n = 17; n >= 1; --n)
    sum = 1.0 + sum * r / n;
  // Scale in two steps so that 2^k itself never overflows or underflows.
  const int k1 = k / 2;
  return std::ldexp(std::ldexp(sum, k1), k - k1);
}

Rng::Rng(uint64_t seed) : seed_(seed) {
  // Fill the state from a splitmix64 sequence started at the seed; it is never
  // all zero.
  uint64_t z = seed;
  for (uint64_t& word : s_) {
    z += kGolden;
    word = Mix64(z);
  }
}

uint64_t Rng::Next() {
  // xoshiro256**
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Rng::Uniform(uint64_t n) {
  assert(n > 0 && "Rng::Uniform(0)");
  if (n == 0) return 0;
  // Lemire's multiply-shift with rejection: the high word of x * n is
  // uniform in [0, n) once the low word's biased zone is rejected.
  uint64_t hi, lo;
  Multiply128(Next(), n, hi, lo);
  if (lo < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (lo < threshold)
      Multiply128(Next(), n, hi, lo);
  }
  return hi;
}

int64_t Rng::UniformInt(int64_t lo, int64_t hi) {
  assert(lo <= hi && "Rng::UniformInt with lo > hi");
  if (hi <= lo) return lo;
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t offset = span == ~uint64_t{0} ? Next() : Uniform(span + 1);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

double Rng::UniformDouble() {
  return static_cast<double>(Next() >> 11) * 0x1.0p-53;
}

double Rng::Exponential(double mean) {
  // 1 - U is in (0, 1], so the logarithm is finite.
  return -mean * DeterministicLog(1.0 - UniformDouble());
}

double Rng::Normal(double mean, double stddev) {
  double u, v, s;
  do {
    u = 2.0 * UniformDouble() - 1.0;
    v = 2.0 * UniformDouble() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  // sqrt is correctly rounded by IEEE-754, hence reproducible.
  const double factor = std::sqrt(-2.0 * DeterministicLog(s) / s);
  return mean + stddev * (u * factor);
}

double Rng::LogNormal(double mu, double sigma) {
  return DeterministicExp(Normal(mu, sigma));
}

bool Rng::Bernoulli(double p) {
  return UniformDouble() < p;
}

Rng Rng::Fork(std::string_view stream_name) const {
  return Rng(Mix64(Mix64(seed_ + kGolden) ^ HashName(stream_name)));
}

}  // namespace navarch::runtime
