// api::Quantity::Parse. Input: the quantity text.
//
// Invariants: ToString() parses back to an equal amount (and, but for the
// binary format's plain-number case, prints the same), q - q is zero,
// adding zero changes nothing, and Value() is MilliValue() rounded up away
// from zero.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/api/quantity.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using navarch::api::Quantity;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto q = Quantity::Parse(text);
  if (!q.ok()) return 0;

  // The text reads back as the same amount. It need not print the same:
  // like Kubernetes, a binary quantity that is no whole multiple of its
  // suffix prints as a plain number ("62.5Ki" -> "64000"), which then reads
  // as decimal SI ("64k"). One more round is a fixed point.
  const std::string text1 = q->ToString();
  auto q2 = Quantity::Parse(text1);
  FUZZ_CHECK_OK(q2);
  FUZZ_CHECK(*q2 == *q);
  const std::string text2 = q2->ToString();
  auto q3 = Quantity::Parse(text2);
  FUZZ_CHECK_OK(q3);
  FUZZ_CHECK(*q3 == *q);
  FUZZ_CHECK_EQ(q3->ToString(), text2);
  if (q->format() != Quantity::Format::kBinarySI) FUZZ_CHECK_EQ(text2, text1);

  FUZZ_CHECK((*q - *q).IsZero());
  FUZZ_CHECK(*q + Quantity() == *q);
  FUZZ_CHECK((*q + *q) - *q <= *q || q->Sign() < 0);

  const int64_t milli = q->MilliValue();
  const int64_t value = q->Value();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  if (milli != kMax && milli != kMin) {
    // Not saturated: whole units, rounded away from zero.
    int64_t whole = milli / 1000 + (milli % 1000 > 0 ? 1 : 0) - (milli % 1000 < 0 ? 1 : 0);
    FUZZ_CHECK(value == whole);
    FUZZ_CHECK(Quantity::FromMilli(milli) == *q);
  }
  return 0;
}
