// Runs `navarch sim` the way a user would: exit codes, summary, output files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/cli/run_navarch.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using SimRun = navarch::testing::Run;

SimRun NavarchSim(const std::string& args) {
  return navarch::testing::Navarch("sim " + args);
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const std::string kSource = NAVARCH_SOURCE_DIR;
const std::string kOut = std::string(NAVARCH_BINARY_DIR) + "/sim_cli_test_out";

TEST(SimCli, QuickstartPassesAndWritesItsReports) {
  std::filesystem::remove_all(kOut);
  SimRun r = NavarchSim(kSource + "/scenarios/quickstart.yaml --out " + kOut + "/a");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("scenario quickstart  seed 42  scheduler spread"));
  EXPECT_THAT(r.output, HasSubstr("5/5 expectations passed"));
  EXPECT_THAT(r.output, HasSubstr("✓ readyNodes >= 6 by 10m0s"));
  // Not a terminal: no progress bar.
  EXPECT_THAT(r.output, Not(HasSubstr("events/s")));
  const std::string a = Slurp(kOut + "/a/report.json");
  EXPECT_THAT(a, HasSubstr("\"stop_reason\": \"duration\""));
  EXPECT_TRUE(std::filesystem::exists(kOut + "/a/results.db"));

  SimRun again = NavarchSim(kSource + "/scenarios/quickstart.yaml --out " + kOut + "/b");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(a, Slurp(kOut + "/b/report.json"));
}

TEST(SimCli, SeedAndSchedulerOverride) {
  SimRun r = NavarchSim(kSource + "/scenarios/quickstart.yaml --seed 5 --scheduler binpack --out " +
                        kOut + "/c");
  EXPECT_THAT(r.output, HasSubstr("seed 5  scheduler binpack"));
  EXPECT_THAT(Slurp(kOut + "/c/report.json"), HasSubstr("\"scheduler_profile\": \"binpack\""));
}

TEST(SimCli, FailedExpectationExitsOne) {
  SimRun r = NavarchSim(kSource + "/tests/unit/cli/testdata/sim-failing.yaml --out " + kOut + "/d");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("✗ readyNodes >= 3 by 1m0s: 2 ready node(s) (want at least 3)"));
  EXPECT_THAT(r.output, HasSubstr("0/1 expectations passed"));
  EXPECT_THAT(Slurp(kOut + "/d/report.json"), HasSubstr("\"passed\": false"));
}

TEST(SimCli, InvalidScenarioExitsTwoWithEveryError) {
  SimRun r = NavarchSim(kSource + "/tests/unit/cli/testdata/sim-invalid.yaml --out " + kOut + "/e");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sim-invalid.yaml:9: events[0].failNode: unknown node"));
  EXPECT_THAT(r.output, HasSubstr("sim-invalid.yaml:11: events[1].at:"));
  EXPECT_FALSE(std::filesystem::exists(kOut + "/e"));
}

TEST(SimCli, UsageErrorsExitTwo) {
  SimRun none = NavarchSim("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_THAT(none.output, HasSubstr("navarch sim: no scenario file given"));
  EXPECT_EQ(NavarchSim("--frobnicate x.yaml").exit_code, 2);
  SimRun interval = NavarchSim(kSource + "/scenarios/quickstart.yaml --sample-interval 0s");
  EXPECT_EQ(interval.exit_code, 2);
  EXPECT_THAT(interval.output, HasSubstr("navarch sim: --sample-interval 0s: give a positive"));
  SimRun bad_profile =
      NavarchSim(kSource + "/scenarios/quickstart.yaml --scheduler random --out " + kOut + "/f");
  EXPECT_EQ(bad_profile.exit_code, 2);
  EXPECT_THAT(bad_profile.output, HasSubstr("random"));
  SimRun missing = NavarchSim(kSource + "/no-such-scenario.yaml");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.output, HasSubstr("no-such-scenario.yaml"));
  EXPECT_EQ(NavarchSim("--help").exit_code, 0);
}

}  // namespace
