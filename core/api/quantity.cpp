#include "core/api/quantity.h"

#include <cstdlib>
#include <iostream>
#include <limits>

namespace navarch::api {
namespace {

__extension__ typedef __int128 Int128;

constexpr Int128 kMaxMilli = Int128(std::numeric_limits<int64_t>::max()) * 1000;
// Products are checked against this bound, well inside the Int128 range.
constexpr Int128 kLimit = Int128(1) << 120;

constexpr std::string_view kAcceptedForms =
    "want a number with an optional suffix, e.g. 500m, 2, 1.5, 1Gi, 512Mi, 512M, 1e3 "
    "(binary suffixes Ki Mi Gi Ti Pi Ei; decimal suffixes n u m k M G T P E; or an "
    "exponent e<n>)";

Status BadQuantity(std::string_view text, std::string_view why = {}) {
  std::string m = "invalid quantity \"" + std::string(text) + "\"";
  if (!why.empty()) m.append(": ").append(why);
  m.append(": ").append(kAcceptedForms);
  return InvalidArgument(std::move(m));
}

Status OutOfRange(std::string_view text) {
  return InvalidArgument("quantity \"" + std::string(text) +
                         "\" is out of range: the magnitude must be below 2^63 units "
                         "(about 9.2E, or 8Ei)");
}

bool MulChecked(Int128& v, Int128 by) {
  if (v != 0 && by > kLimit / v) return false;
  v *= by;
  return v <= kLimit;
}

std::string Int128ToString(Int128 v) {
  if (v == 0) return "0";
  bool neg = v < 0;
  if (neg) v = -v;
  char buf[48];
  int i = sizeof buf;
  while (v > 0) {
    buf[--i] = char('0' + int(v % 10));
    v /= 10;
  }
  if (neg) buf[--i] = '-';
  return std::string(buf + i, sizeof buf - i);
}

struct Suffix {
  Quantity::Format format;
  int base10 = 0;    // decimal exponent (decimal SI and exponent forms)
  int base1024 = 0;  // power of 1024 (binary SI)
};

bool ParseSuffix(std::string_view s, Suffix& out) {
  using F = Quantity::Format;
  if (s.empty()) {
    out = {F::kDecimalSI, 0, 0};
    return true;
  }
  if (s.size() == 2 && s[1] == 'i') {
    constexpr std::string_view kBin = "KMGTPE";
    size_t k = kBin.find(s[0]);
    if (k == std::string_view::npos) return false;
    out = {F::kBinarySI, 0, int(k) + 1};
    return true;
  }
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n':
        out = {F::kDecimalSI, -9, 0};
        return true;
      case 'u':
        out = {F::kDecimalSI, -6, 0};
        return true;
      case 'm':
        out = {F::kDecimalSI, -3, 0};
        return true;
      case 'k':
        out = {F::kDecimalSI, 3, 0};
        return true;
      case 'M':
        out = {F::kDecimalSI, 6, 0};
        return true;
      case 'G':
        out = {F::kDecimalSI, 9, 0};
        return true;
      case 'T':
        out = {F::kDecimalSI, 12, 0};
        return true;
      case 'P':
        out = {F::kDecimalSI, 15, 0};
        return true;
      case 'E':
        out = {F::kDecimalSI, 18, 0};
        return true;
      default:
        return false;
    }
  }
  if (s[0] != 'e' && s[0] != 'E') return false;
  size_t i = 1;
  bool neg = false;
  if (s[i] == '+' || s[i] == '-') {
    neg = s[i] == '-';
    ++i;
  }
  if (i == s.size()) return false;
  int e = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (e < 10000) e = e * 10 + (s[i] - '0');
  }
  out = {F::kDecimalExponent, neg ? -e : e, 0};
  return true;
}

}  // namespace

Result<Quantity> Quantity::Parse(std::string_view text) {
  if (text.empty()) return BadQuantity(text, "empty");
  size_t i = 0;
  bool neg = false;
  if (text[i] == '+' || text[i] == '-') {
    neg = text[i] == '-';
    ++i;
  }
  // Digits, with at most one decimal point.
  Int128 n = 0;
  int significant = 0;
  int frac_digits = 0;
  int digits = 0;
  bool point = false;
  int trailing_frac_zeros = 0;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (point) return BadQuantity(text, "more than one decimal point");
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    ++digits;
    if (point) {
      ++frac_digits;
      trailing_frac_zeros = c == '0' ? trailing_frac_zeros + 1 : 0;
    }
    if (n == 0 && c == '0') continue;
    if (++significant > 36) return OutOfRange(text);
    n = n * 10 + (c - '0');
  }
  if (digits == 0) return BadQuantity(text, "no digits");
  // Trailing zeros of the fraction add no value: drop them.
  for (int z = 0; z < trailing_frac_zeros && n % 10 == 0 && n != 0; ++z) {
    n /= 10;
    --frac_digits;
  }
  if (n == 0) frac_digits = 0;
  Suffix suffix;
  if (!ParseSuffix(text.substr(i), suffix)) {
    return BadQuantity(text, "unknown suffix \"" + std::string(text.substr(i)) + "\"");
  }
  Int128 num = n;
  for (int k = 0; k < suffix.base1024; ++k) {
    if (!MulChecked(num, 1024)) return OutOfRange(text);
  }
  // milli = num * 10^p
  int p = 3 - frac_digits + suffix.base10;
  Int128 milli = 0;
  if (num == 0) {
    milli = 0;
  } else if (p >= 0) {
    milli = num;
    for (int k = 0; k < p; ++k) {
      if (!MulChecked(milli, 10)) return OutOfRange(text);
    }
  } else if (-p > 38) {
    milli = 1;  // a positive amount below one milli-unit rounds up
  } else {
    Int128 den = 1;
    for (int k = 0; k < -p; ++k)
      den *= 10;
    milli = num / den + (num % den != 0 ? 1 : 0);
  }
  if (milli > kMaxMilli) return OutOfRange(text);
  return Quantity(neg ? -milli : milli, suffix.format);
}

Quantity Quantity::MustParse(std::string_view text) {
  auto q = Parse(text);
  if (!q.ok()) {
    std::cerr << "Quantity::MustParse: " << q.status().message() << "\n";
    std::abort();
  }
  return *q;
}

Quantity Quantity::FromMilli(int64_t milli, Format format) {
  return Quantity(milli, format);
}
Quantity Quantity::FromValue(int64_t value, Format format) {
  return Quantity(Int128(value) * 1000, format);
}

Quantity Quantity::Clamped(Int128 milli, Format format) {
  if (milli > kMaxMilli) milli = kMaxMilli;
  if (milli < -kMaxMilli) milli = -kMaxMilli;
  return Quantity(milli, format);
}

int64_t Quantity::Value() const {
  Int128 v = milli_ >= 0 ? (milli_ + 999) / 1000 : (milli_ - 999) / 1000;
  return int64_t(v);
}

int64_t Quantity::MilliValue() const {
  constexpr Int128 kMax = std::numeric_limits<int64_t>::max();
  constexpr Int128 kMin = std::numeric_limits<int64_t>::min();
  if (milli_ > kMax) return int64_t(kMax);
  if (milli_ < kMin) return int64_t(kMin);
  return int64_t(milli_);
}

Quantity& Quantity::operator+=(const Quantity& o) {
  *this = Clamped(milli_ + o.milli_, format_);
  return *this;
}

Quantity& Quantity::operator-=(const Quantity& o) {
  *this = Clamped(milli_ - o.milli_, format_);
  return *this;
}

std::string Quantity::ToString() const {
  if (milli_ == 0) return "0";
  std::string sign = milli_ < 0 ? "-" : "";
  Int128 m = milli_ < 0 ? -milli_ : milli_;
  if (format_ == Format::kBinarySI && m % 1000 == 0 && m / 1000 >= 1024) {
    Int128 v = m / 1000;
    int k = 0;
    while (k < 6 && v % 1024 == 0) {
      v /= 1024;
      ++k;
    }
    static constexpr std::string_view kBin[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return sign + Int128ToString(v) + std::string(kBin[k]);
  }
  // mantissa * 10^e, with e a multiple of 3 and the mantissa an integer.
  int e = -3;
  while (m % 10 == 0) {
    m /= 10;
    ++e;
  }
  int r = ((e % 3) + 3) % 3;
  for (int k = 0; k < r; ++k)
    m *= 10;
  e -= r;
  if (format_ == Format::kDecimalExponent) {
    return sign + Int128ToString(m) + (e != 0 ? "e" + std::to_string(e) : "");
  }
  while (e > 18) {
    m *= 1000;
    e -= 3;
  }
  static constexpr std::string_view kDec[] = {"m", "", "k", "M", "G", "T", "P", "E"};
  return sign + Int128ToString(m) + std::string(kDec[(e + 3) / 3]);
}

}  // namespace navarch::api
