#include "core/base/files.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace navarch {
namespace {

TEST(ReadBoundedFile, ReadsSmallFilesAndRefusesLargeOnesBeforeReading) {
  const std::filesystem::path dir = std::filesystem::path(NAVARCH_BINARY_DIR) / "files-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "small.yaml") << "a: 1\n";
  { std::ofstream big(dir / "big.yaml"); }
  std::filesystem::resize_file(dir / "big.yaml", 1u << 30);  // sparse: nothing to read

  auto small = ReadBoundedFile((dir / "small.yaml").string(), 100, "manifest file");
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(*small, "a: 1\n");

  auto big = ReadBoundedFile((dir / "big.yaml").string(), 1 << 20, "manifest file");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.code(), Code::kInvalidArgument);
  EXPECT_NE(big.status().message().find("manifest file "), std::string::npos);
  EXPECT_NE(big.status().message().find("1073741824 bytes, more than the 1048576"),
            std::string::npos);

  EXPECT_EQ(ReadBoundedFile((dir / "missing.yaml").string(), 100, "x").code(), Code::kNotFound);
  EXPECT_EQ(ReadBoundedFile(dir.string(), 100, "x").code(), Code::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace navarch
