// Files the API server writes that hold secrets are the owner's alone, and a
// token file others may read is reported.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/apiserver/tokens.h"
#include "tests/unit/store/store_test_util.h"

namespace navarch::apiserver {
namespace {

using ::testing::HasSubstr;

TEST(PrivateFiles, TheGeneratedTokenFileIs0600WhateverTheUmask) {
  store::testing::TempDir dir;
  const mode_t old = ::umask(0);
  auto created = EnsureTokenFile(dir.File("tokens.csv"));
  ::umask(old);
  ASSERT_TRUE(created.ok()) << created.status();
  struct stat st;
  ASSERT_EQ(::stat(dir.File("tokens.csv").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(PrivateFileWarning(dir.File("tokens.csv")), "");
}

TEST(PrivateFiles, ATokenFileOthersMayReadIsReported) {
  store::testing::TempDir dir;
  const std::string path = dir.File("tokens.csv");
  std::ofstream(path) << "t,alice,1\n";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  const std::string warning = PrivateFileWarning(path);
  EXPECT_THAT(warning, HasSubstr(path + " has mode 0644"));
  EXPECT_THAT(warning, HasSubstr("chmod 600 " + path));
  EXPECT_EQ(PrivateFileWarning(dir.File("missing.csv")), "");
}

}  // namespace
}  // namespace navarch::apiserver
