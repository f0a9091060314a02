#include "core/base/status.h"

#include <gtest/gtest.h>

#include <sstream>

namespace navarch {
namespace {

Result<int> Half(int x) {
  if (x % 2 != 0) return InvalidArgument("odd number " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  NAVARCH_ASSIGN_OR_RETURN(int h, Half(x));
  NAVARCH_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  NAVARCH_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(Status, OkAndErrors) {
  EXPECT_TRUE(Status::Ok().ok());
  Status s = Conflict("pods/default/web: resourceVersion 5 is stale (now 7)");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.ToString(), "conflict: pods/default/web: resourceVersion 5 is stale (now 7)");
  EXPECT_EQ(s.WithContext("update").message(),
            "update: pods/default/web: resourceVersion 5 is stale (now 7)");
  std::ostringstream os;
  os << NotFound("nodes/n1");
  EXPECT_EQ(os.str(), "not found: nodes/n1");
}

TEST(Status, EveryCodeHasAName) {
  EXPECT_EQ(CodeName(Code::kOk), "ok");
  EXPECT_EQ(CodeName(Code::kNotFound), "not found");
  EXPECT_EQ(CodeName(Code::kAlreadyExists), "already exists");
  EXPECT_EQ(CodeName(Code::kInvalidArgument), "invalid argument");
  EXPECT_EQ(CodeName(Code::kCompacted), "compacted");
  EXPECT_EQ(CodeName(Code::kUnavailable), "unavailable");
  EXPECT_EQ(CodeName(Code::kInternal), "internal");
  EXPECT_EQ(CodeName(Code::kNotSupported), "not supported");
  EXPECT_EQ(CodeName(Code::kCancelled), "cancelled");
}

TEST(Result, PropagatesThroughMacros) {
  EXPECT_EQ(Quarter(12).value(), 3);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "odd number 3");
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), Code::kInvalidArgument);
  EXPECT_EQ(Half(3).value_or(-1), -1);
}

TEST(ResultDeathTest, AccessingAFailedValueCrashesLoudly) {
  auto r = Half(3);
  EXPECT_DEATH((void)r.value(), "odd number 3");
}

}  // namespace
}  // namespace navarch
