// navarch compare A B: two runs' reports side by side.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/cli/run_navarch.h"

namespace {

using navarch::testing::Navarch;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Out(const std::string& name) {
  return std::string(NAVARCH_BINARY_DIR) + "/report_compare_cli_test_out/" + name;
}

TEST(ReportCompareCli, TwoSeedsOfOneScenarioSideBySide) {
  std::filesystem::remove_all(Out(""));
  const std::string scenario = std::string(NAVARCH_SOURCE_DIR) + "/scenarios/quickstart.yaml";
  ASSERT_EQ(Navarch("sim " + scenario + " --seed 1 --out " + Out("a")).exit_code, 0);
  ASSERT_EQ(Navarch("sim " + scenario + " --seed 2 --out " + Out("b")).exit_code, 0);
  auto r = Navarch("compare " + Out("a") + " " + Out("b") + "/report.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("(quickstart)"));
  EXPECT_THAT(r.output, HasSubstr("startup latency p50"));
  EXPECT_THAT(r.output, HasSubstr("recovery events[0] failNode node-3"));
  EXPECT_THAT(r.output,
              HasSubstr("pods created                                  4                4  +0"));
  // The same run against itself differs nowhere.
  auto same = Navarch("compare " + Out("a") + " " + Out("a"));
  ASSERT_EQ(same.exit_code, 0);
  EXPECT_THAT(same.output, Not(HasSubstr("+0.1"))) << same.output;
}

TEST(ReportCompareCli, MissingOrForeignFilesAreUsageErrorsNamingThem) {
  std::filesystem::create_directories(Out("x"));
  std::ofstream(Out("x/report.json")) << "{\"hello\": 1}";
  std::ofstream(Out("bad.json")) << "{not json";
  auto missing = Navarch("compare " + Out("nowhere") + " " + Out("x"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.output, HasSubstr("nowhere"));
  auto foreign = Navarch("compare " + Out("x") + " " + Out("x"));
  EXPECT_EQ(foreign.exit_code, 2);
  EXPECT_THAT(foreign.output, HasSubstr("not a navarch report"));
  auto bad = Navarch("compare " + Out("bad.json") + " " + Out("x"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.output, HasSubstr("not JSON"));
  EXPECT_EQ(Navarch("compare " + Out("x")).exit_code, 2);
}

}  // namespace
