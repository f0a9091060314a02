#pragma once
// Helpers shared by the store tests.

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace navarch::store::testing {

// A fresh directory under the build tree, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string templ = std::string(NAVARCH_BINARY_DIR) + "/store-test-XXXXXX";
    char* made = ::mkdtemp(templ.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << templ;
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace navarch::store::testing
