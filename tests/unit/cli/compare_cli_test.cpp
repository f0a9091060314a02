// `navarch sim --compare` and `navarch bench` the way a user runs them: the
// table names each scheduler, the exit code says whether every expectation
// held, bad input exits 2 with a message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/unit/cli/run_navarch.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kSource = NAVARCH_SOURCE_DIR;
const std::string kOut = std::string(NAVARCH_BINARY_DIR) + "/compare_cli_test_out";

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// Lines of the output that start with `prefix`.
std::vector<std::string> LinesStarting(const std::string& s, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& l : Lines(s)) {
    if (l.rfind(prefix, 0) == 0) out.push_back(l);
  }
  return out;
}

TEST(CompareCli, PassingScenarioNamesEachProfileAndExitsZero) {
  std::filesystem::remove_all(kOut);
  auto r = navarch::testing::Navarch("sim --compare spread,binpack " + kSource +
                                     "/scenarios/quickstart.yaml --out " + kOut + "/q");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("scenario quickstart (seed 42), one run per scheduler"));
  EXPECT_THAT(r.output, HasSubstr("| scheduler | wall s | pods created |"));
  const auto spread = LinesStarting(r.output, "| spread |");
  const auto binpack = LinesStarting(r.output, "| binpack |");
  ASSERT_EQ(spread.size(), 1u) << r.output;
  ASSERT_EQ(binpack.size(), 1u) << r.output;
  EXPECT_THAT(spread[0], HasSubstr("| 5/5 |"));
  EXPECT_THAT(binpack[0], HasSubstr("| 5/5 |"));
  EXPECT_TRUE(std::filesystem::exists(kOut + "/q/spread/report.json"));
  EXPECT_TRUE(std::filesystem::exists(kOut + "/q/binpack/report.json"));
}

TEST(CompareCli, FailedExpectationExitsOneAndShowsIt) {
  auto r = navarch::testing::Navarch("sim --compare spread,binpack,flow " + kSource +
                                     "/tests/unit/cli/testdata/sim-failing.yaml --out " + kOut +
                                     "/f --format csv");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const auto header = LinesStarting(r.output, "scheduler,wall s,");
  ASSERT_EQ(header.size(), 1u) << r.output;
  for (const char* profile : {"spread", "binpack", "flow"}) {
    const auto rows = LinesStarting(r.output, std::string(profile) + ",");
    ASSERT_EQ(rows.size(), 1u) << profile << "\n" << r.output;
    EXPECT_THAT(rows[0], testing::EndsWith(",0/1")) << rows[0];
  }
}

TEST(CompareCli, JsonFormatNamesEachProfile) {
  auto r = navarch::testing::Navarch("sim --compare binpack,spread " + kSource +
                                     "/tests/unit/cli/testdata/sim-failing.yaml --out " + kOut +
                                     "/j --format json");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("\"scheduler\": \"binpack\""));
  EXPECT_THAT(r.output, HasSubstr("\"scheduler\": \"spread\""));
  EXPECT_THAT(r.output, HasSubstr("\"expectations_passed\": 0, \"expectations\": 1"));
  // binpack first, as listed.
  EXPECT_LT(r.output.find("\"binpack\""), r.output.find("\"spread\""));
}

TEST(CompareCli, BadInputExitsTwoWithAMessage) {
  const std::string scenario = kSource + "/tests/unit/cli/testdata/sim-failing.yaml";
  auto unknown = navarch::testing::Navarch("sim --compare spread,fastest " + scenario + " --out " +
                                           kOut + "/u");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("fastest"));
  auto both = navarch::testing::Navarch("sim --compare spread --scheduler binpack " + scenario);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.output, HasSubstr("--compare and --scheduler exclude each other"));
  auto format = navarch::testing::Navarch("sim --compare spread --format xml " + scenario);
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.output, HasSubstr("--format xml: use markdown, csv or json"));
}

TEST(BenchCli, OneRowPerSchedulerAndMode) {
  auto r = navarch::testing::Navarch(
      "bench --benchmarks=Plain/20Nodes_100 --scheduler=spread,flow --mode=core,api --format=csv");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  for (const char* row :
       {"Plain/20Nodes_100,spread,core,20,100,", "Plain/20Nodes_100,flow,core,20,100,",
        "Plain/20Nodes_100,spread,api,20,100,", "Plain/20Nodes_100,flow,api,20,100,"}) {
    EXPECT_EQ(LinesStarting(r.output, row).size(), 1u) << row << "\n" << r.output;
  }
}

TEST(BenchCli, BadInputExitsTwoWithAMessage) {
  auto name = navarch::testing::Navarch("bench --benchmarks=Plain/10");
  EXPECT_EQ(name.exit_code, 2);
  EXPECT_THAT(name.output, HasSubstr("benchmark \"Plain/10\": use KIND/<N>Nodes"));
  auto mode = navarch::testing::Navarch("bench --benchmarks=Plain/10Nodes_10 --mode=gpu");
  EXPECT_EQ(mode.exit_code, 2);
  EXPECT_THAT(mode.output, HasSubstr("mode \"gpu\": use api, sqlite or core"));
  auto format = navarch::testing::Navarch("bench --format=xml");
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.output, HasSubstr("--format xml: use markdown, csv or json"));
  auto wave = navarch::testing::Navarch("bench --wave=-1");
  EXPECT_EQ(wave.exit_code, 2);
  EXPECT_THAT(wave.output, Not(HasSubstr("pods/s")));
}

}  // namespace
