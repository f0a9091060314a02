#include "core/api/quantity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::api {
namespace {

using ::testing::HasSubstr;
using F = Quantity::Format;

struct Case {
  const char* text;
  int64_t milli;
  F format;
  const char* canonical;
};

class QuantityParseTest : public ::testing::TestWithParam<Case> {};

TEST_P(QuantityParseTest, ParsesExactlyAndPrintsCanonically) {
  const Case& c = GetParam();
  auto q = Quantity::Parse(c.text);
  ASSERT_TRUE(q.ok()) << c.text << ": " << q.status();
  EXPECT_EQ(q->MilliValue(), c.milli) << c.text;
  EXPECT_EQ(q->format(), c.format) << c.text;
  EXPECT_EQ(q->ToString(), c.canonical) << c.text;
  // The canonical form parses back to the same amount and prints the same.
  auto again = Quantity::Parse(q->ToString());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *q);
  EXPECT_EQ(again->ToString(), c.canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, QuantityParseTest,
    ::testing::Values(
        Case{"500m", 500, F::kDecimalSI, "500m"}, Case{"2", 2000, F::kDecimalSI, "2"},
        Case{"0", 0, F::kDecimalSI, "0"}, Case{"1500m", 1500, F::kDecimalSI, "1500m"},
        Case{"1.5", 1500, F::kDecimalSI, "1500m"}, Case{"+1", 1000, F::kDecimalSI, "1"},
        Case{"-2", -2000, F::kDecimalSI, "-2"}, Case{".5", 500, F::kDecimalSI, "500m"},
        Case{"1.", 1000, F::kDecimalSI, "1"}, Case{"1000", 1'000'000, F::kDecimalSI, "1k"},
        Case{"1200", 1'200'000, F::kDecimalSI, "1200"},
        Case{"512M", 512'000'000'000, F::kDecimalSI, "512M"},
        Case{"1.5G", 1'500'000'000'000, F::kDecimalSI, "1500M"},
        Case{"100k", 100'000'000, F::kDecimalSI, "100k"},
        Case{"1Gi", 1024LL * 1024 * 1024 * 1000, F::kBinarySI, "1Gi"},
        Case{"1024Mi", 1024LL * 1024 * 1024 * 1000, F::kBinarySI, "1Gi"},
        Case{"0.5Gi", 512LL * 1024 * 1024 * 1000, F::kBinarySI, "512Mi"},
        Case{"1.5Gi", 1536LL * 1024 * 1024 * 1000, F::kBinarySI, "1536Mi"},
        Case{"100Ki", 102'400'000, F::kBinarySI, "100Ki"},
        Case{"1500Ki", 1'536'000'000, F::kBinarySI, "1500Ki"},
        Case{"1025Ki", 1'049'600'000, F::kBinarySI, "1025Ki"},
        // Binary amounts below 1Ki or with a fraction print in decimal SI.
        Case{"0.5Ki", 512'000, F::kBinarySI, "512"},
        Case{"0.1Ki", 102'400, F::kBinarySI, "102400m"},
        Case{"1e3", 1'000'000, F::kDecimalExponent, "1e3"},
        Case{"1E3", 1'000'000, F::kDecimalExponent, "1e3"},
        Case{"12e6", 12'000'000'000, F::kDecimalExponent, "12e6"},
        Case{"5e-3", 5, F::kDecimalExponent, "5e-3"},
        Case{"1.5e3", 1'500'000, F::kDecimalExponent, "1500"},
        Case{"2E", INT64_MAX, F::kDecimalSI, "2E"}, Case{"7Ei", INT64_MAX, F::kBinarySI, "7Ei"},
        // Finer than a milli-unit: rounded up to the next milli-unit.
        Case{"1n", 1, F::kDecimalSI, "1m"}, Case{"100u", 1, F::kDecimalSI, "1m"},
        Case{"1500u", 2, F::kDecimalSI, "2m"}, Case{"0.0001", 1, F::kDecimalSI, "1m"},
        Case{"-0.0001", -1, F::kDecimalSI, "-1m"}, Case{"1.000", 1000, F::kDecimalSI, "1"}));

TEST(QuantityTest, ValueRoundsUpAndMilliSaturates) {
  EXPECT_EQ(Quantity::MustParse("500m").Value(), 1);
  EXPECT_EQ(Quantity::MustParse("1500m").Value(), 2);
  EXPECT_EQ(Quantity::MustParse("-1500m").Value(), -2);
  EXPECT_EQ(Quantity::MustParse("1Gi").Value(), 1LL << 30);
  EXPECT_EQ(Quantity::MustParse("2E").Value(), 2'000'000'000'000'000'000);
  EXPECT_EQ(Quantity::MustParse("2E").MilliValue(), INT64_MAX);
}

TEST(QuantityTest, ComparesByAmount) {
  EXPECT_EQ(Quantity::MustParse("1Gi"), Quantity::MustParse("1024Mi"));
  EXPECT_EQ(Quantity::MustParse("1"), Quantity::MustParse("1000m"));
  EXPECT_LT(Quantity::MustParse("999m"), Quantity::MustParse("1"));
  EXPECT_GT(Quantity::MustParse("1Ki"), Quantity::MustParse("1k"));
}

TEST(QuantityTest, Arithmetic) {
  Quantity q = Quantity::MustParse("1Gi") + Quantity::MustParse("1Gi");
  EXPECT_EQ(q.ToString(), "2Gi");
  q -= Quantity::MustParse("3Gi");
  EXPECT_EQ(q.ToString(), "-1Gi");
  EXPECT_EQ((Quantity::FromMilli(250) + Quantity::FromMilli(750)).ToString(), "1");
  EXPECT_EQ(Quantity::FromValue(3).MilliValue(), 3000);
  EXPECT_TRUE(Quantity().IsZero());
  EXPECT_EQ(Quantity::FromMilli(-5).Sign(), -1);
}

struct BadCase {
  const char* text;
  const char* why;
};

class QuantityRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(QuantityRejectTest, NamesTextAndAcceptedForms) {
  const BadCase& c = GetParam();
  auto q = Quantity::Parse(c.text);
  ASSERT_FALSE(q.ok()) << c.text << " parsed as " << q->ToString();
  EXPECT_EQ(q.code(), Code::kInvalidArgument);
  EXPECT_THAT(q.status().message(), HasSubstr("\"" + std::string(c.text) + "\"")) << c.text;
  EXPECT_THAT(q.status().message(), HasSubstr(c.why)) << c.text;
}

INSTANTIATE_TEST_SUITE_P(
    Invalid, QuantityRejectTest,
    ::testing::Values(
        BadCase{"1.2.3", "more than one decimal point: want a number with an optional suffix"},
        BadCase{"12Q", "unknown suffix \"Q\": want a number with an optional suffix, e.g. 500m"},
        BadCase{"abc", "no digits: want"}, BadCase{"", "empty: want"}, BadCase{"--1", "no digits"},
        BadCase{"1 Gi", "unknown suffix \" Gi\""}, BadCase{"1Gi ", "unknown suffix \"Gi \""},
        BadCase{"1ki", "unknown suffix \"ki\""}, BadCase{"1e", "unknown suffix \"e\""},
        BadCase{"1e+", "unknown suffix \"e+\""}, BadCase{"1Ki2", "unknown suffix \"Ki2\""},
        BadCase{".", "no digits"}, BadCase{"m", "no digits"}, BadCase{"10Ei", "out of range"},
        BadCase{"9223372036854775808", "out of range"}, BadCase{"1e40", "out of range"},
        BadCase{"1234567890123456789012345678901234567890", "out of range"}));

}  // namespace
}  // namespace navarch::api
