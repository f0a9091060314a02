#include "core/base/time.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch {
namespace {

using ::testing::HasSubstr;

TEST(Time, FormatsRfc3339InUtc) {
  Time t = Time::FromUnixSeconds(1'700'000'000);
  EXPECT_EQ(t.ToRfc3339(), "2023-11-14T22:13:20Z");
  EXPECT_EQ((t + milliseconds(1500)).ToRfc3339Micro(), "2023-11-14T22:13:21.500000Z");
  EXPECT_EQ(Time().ToRfc3339(), "1970-01-01T00:00:00Z");
}

TEST(Time, ParsesRfc3339WithFractionsAndOffsets) {
  auto t = Time::ParseRfc3339("2023-11-14T22:13:20Z");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->UnixSeconds(), 1'700'000'000);

  auto frac = Time::ParseRfc3339("2023-11-14T22:13:20.25Z");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(frac->UnixNanos(), 1'700'000'000'250'000'000);

  auto offset = Time::ParseRfc3339("2023-11-15T00:13:20+02:00");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(offset->UnixSeconds(), 1'700'000'000);

  // Round trip.
  Time x = Time::FromUnixSeconds(1'234'567'890);
  EXPECT_EQ(Time::ParseRfc3339(x.ToRfc3339()).value(), x);
}

TEST(Time, RejectsMalformedTimestampsNamingThem) {
  for (const char* bad :
       {"", "yesterday", "2023-11-14", "2023-13-14T22:13:20Z", "2023-02-30T22:13:20Z",
        "2023-11-14T25:13:20Z", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z",
        "2023-11-14T22:13:20+2:00", "2023-11-14T22:13:20Zjunk"}) {
    auto t = Time::ParseRfc3339(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.code(), Code::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr("invalid timestamp \"" + std::string(bad) + "\""));
    EXPECT_THAT(t.status().message(), HasSubstr("RFC 3339"));
  }
}

TEST(Duration, ParsesGoStyleDurations) {
  EXPECT_EQ(ParseDuration("300ms").value(), milliseconds(300));
  EXPECT_EQ(ParseDuration("1.5s").value(), milliseconds(1500));
  EXPECT_EQ(ParseDuration("2m30s").value(), seconds(150));
  EXPECT_EQ(ParseDuration("1h").value(), hours(1));
  EXPECT_EQ(ParseDuration("10us").value(), microseconds(10));
  EXPECT_EQ(ParseDuration("0").value(), Duration(0));
  EXPECT_EQ(ParseDuration("-5s").value(), seconds(-5));
}

TEST(Duration, RejectsBadDurationsSayingWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"5", "missing unit"}, Case{"5 s", "unknown unit"},
                        Case{"5d", "unknown unit \"d\""}, Case{"s", "expected a number"},
                        Case{"1.2.3s", "malformed number"}}) {
    auto d = ParseDuration(c.text);
    ASSERT_FALSE(d.ok()) << c.text;
    EXPECT_THAT(d.status().message(), HasSubstr("invalid duration \"" + std::string(c.text)));
    EXPECT_THAT(d.status().message(), HasSubstr(c.why)) << c.text;
    EXPECT_THAT(d.status().message(), HasSubstr("examples: 500ms"));
  }
}

TEST(Duration, FormatsReadably) {
  EXPECT_EQ(FormatDuration(Duration(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatDuration(seconds(200)), "3m20s");
  EXPECT_EQ(FormatDuration(hours(2)), "2h0m0s");
  EXPECT_EQ(FormatDuration(-seconds(1)), "-1s");
}

TEST(Rfc3339, OutOfRangeTimesAreInvalidNotWrapped) {
  // A Time is int64 nanoseconds: 1677-09-21 to 2262-04-11.
  auto far = Time::ParseRfc3339("3000-01-01T00:00:00Z");
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.status().message().find("out of range"), std::string::npos);
  EXPECT_FALSE(Time::ParseRfc3339("1600-01-01T00:00:00Z").ok());
  EXPECT_FALSE(Time::ParseRfc3339("0000-01-01T00:00:00Z").ok());
  EXPECT_FALSE(Time::ParseRfc3339("9999-12-31T23:59:59Z").ok());
  auto last = Time::ParseRfc3339("2262-04-11T23:47:15Z");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->ToRfc3339(), "2262-04-11T23:47:15Z");
  auto first = Time::ParseRfc3339("1677-09-21T00:12:45Z");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->ToRfc3339(), "1677-09-21T00:12:45Z");
  // Signs and offsets that are not two-digit hours and minutes.
  EXPECT_FALSE(Time::ParseRfc3339("-001-01-01T00:00:00Z").ok());
  EXPECT_FALSE(Time::ParseRfc3339("2026-01-01T00:00:00+99:00").ok());
  EXPECT_FALSE(Time::ParseRfc3339("2026-01-01T00:00:00+01:75").ok());
  EXPECT_FALSE(Time::ParseRfc3339("2026-01-01T-1:00:00Z").ok());
}

}  // namespace
}  // namespace navarch
