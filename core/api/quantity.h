#pragma once
// Resource quantities in the Kubernetes wire format ("500m", "2", "1Gi",
// "512M", "1e3", "0.5Gi").
//
// A Quantity is an exact integer count of milli-units plus the format it was
// written in, so that it prints back in the canonical Kubernetes spelling:
//
//   * binary SI:        Ki Mi Gi Ti Pi Ei (powers of 1024)
//   * decimal SI:       m "" k M G T P E (powers of 1000); n and u are accepted
//   * decimal exponent: e or E followed by a signed integer ("1e3", "5E-3")
//
// Precision: values are kept to the milli-unit. Text that needs a finer
// precision ("1n", "0.5m") is rounded up, away from zero, to the next whole
// milli-unit, as Kubernetes does when it reads milli values. The magnitude is
// limited to what fits in an int64 of whole units (about 9.2E); larger text is
// rejected as out of range.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace navarch::api {

class Quantity {
 public:
  enum class Format : uint8_t { kDecimalSI, kBinarySI, kDecimalExponent };

  constexpr Quantity() = default;  // zero, decimal SI

  // Parses the Kubernetes quantity syntax. Errors are kInvalidArgument and
  // name the text and the accepted forms.
  static Result<Quantity> Parse(std::string_view text);
  // Like Parse, for literals known to be valid (tests, defaults): crashes on
  // bad text.
  static Quantity MustParse(std::string_view text);

  static Quantity FromMilli(int64_t milli, Format format = Format::kDecimalSI);
  static Quantity FromValue(int64_t value, Format format = Format::kDecimalSI);

  // Whole units, rounded up (away from zero) when there is a fraction.
  int64_t Value() const;
  // Milli-units; saturates at the int64 range for quantities above ~9.2P.
  int64_t MilliValue() const;
  Format format() const { return format_; }
  bool IsZero() const { return milli_ == 0; }
  int Sign() const { return milli_ > 0 ? 1 : milli_ < 0 ? -1 : 0; }

  // The canonical Kubernetes spelling: "1500m", "1Gi" (for 1024Mi), "1e3",
  // "0". Binary quantities below 1024 or with a fraction print in decimal SI.
  std::string ToString() const;

  // Arithmetic keeps the left operand's format; results are clamped to the
  // representable range.
  Quantity& operator+=(const Quantity& o);
  Quantity& operator-=(const Quantity& o);
  friend Quantity operator+(Quantity a, const Quantity& b) { return a += b; }
  friend Quantity operator-(Quantity a, const Quantity& b) { return a -= b; }

  // Equality and ordering compare the amount only ("1Gi" == "1024Mi").
  friend bool operator==(const Quantity& a, const Quantity& b) { return a.milli_ == b.milli_; }
  friend std::strong_ordering operator<=>(const Quantity& a, const Quantity& b) {
    return a.milli_ <=> b.milli_;
  }

 private:
  __extension__ typedef __int128 Int128;
  Quantity(Int128 milli, Format format) : milli_(milli), format_(format) {}
  static Quantity Clamped(Int128 milli, Format format);

  Int128 milli_ = 0;
  Format format_ = Format::kDecimalSI;
};

}  // namespace navarch::api
