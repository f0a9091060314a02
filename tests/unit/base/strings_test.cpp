#include "core/base/strings.h"

#include <gtest/gtest.h>

namespace navarch {
namespace {

TEST(Base64, RoundTripAndBadInput) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "hello, world\n"}) {
    auto d = DecodeBase64(EncodeBase64(s));
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(EncodeBase64("ab"), "YWI=");
  EXPECT_EQ(DecodeBase64("YW*I").code(), Code::kInvalidArgument);
}

TEST(TrimWhitespace, StripsBothEnds) {
  EXPECT_EQ(TrimWhitespace("  a b\t\r\n"), "a b");
  EXPECT_EQ(TrimWhitespace(" \t "), "");
  EXPECT_EQ(TrimWhitespace(""), "");
  EXPECT_EQ(TrimWhitespace("x"), "x");
}

}  // namespace
}  // namespace navarch
