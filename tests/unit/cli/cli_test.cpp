// Runs the real navarch binary the way a user would and checks its output
// and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/unit/cli/run_navarch.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using navarch::testing::Navarch;

std::string Data(const std::string& name) {
  return std::string(NAVARCH_SOURCE_DIR) + "/tests/unit/cli/testdata/" + name;
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  auto r = Navarch("version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("navarch 0."));
}

TEST(Cli, UnknownCommandIsAUsageError) {
  auto r = Navarch("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("unknown command 'frobnicate'"));
  EXPECT_THAT(r.output, HasSubstr("validate"));
}

TEST(Cli, EveryCommandHasHelp) {
  for (const char* c : {"validate", "version"}) {
    auto r = Navarch(std::string(c) + " --help");
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_THAT(r.output, HasSubstr("--help")) << c;
  }
}

TEST(Cli, UnknownFlagIsAUsageError) {
  auto r = Navarch("validate --bogus x.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("bogus"));
}

TEST(Cli, ValidateAcceptsTheShippedManifests) {
  std::string dir = std::string(NAVARCH_SOURCE_DIR) + "/scenarios/manifests/";
  auto r = Navarch("validate " + dir + "web.yaml " + dir + "batch-pod.yaml " + dir + "node.yaml");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("ReplicationController default/web: valid"));
  EXPECT_THAT(r.output, HasSubstr("Service default/web: valid"));
  EXPECT_THAT(r.output, HasSubstr("Node node-a-1: valid"));
  EXPECT_THAT(r.output, HasSubstr("4 object(s) valid"));
}

TEST(Cli, ValidateReportsEveryDecodeErrorWithFileLineAndField) {
  auto r = Navarch("validate " + Data("typo.yaml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("typo.yaml:9: spec.containers[0].imagePullPolcy: unknown field"));
  // Both problems are reported, not just the first.
  EXPECT_THAT(r.output, HasSubstr("typo.yaml:12: spec.containers[0].resources.requests.cpu"));
  EXPECT_THAT(r.output, HasSubstr("1.2.3"));
}

TEST(Cli, ValidateRefusesHostileYamlAtOnce) {
  // A two-byte file that made an older YAML parser loop, and 900 bytes of
  // nested aliases (10^10 nodes expanded).
  auto loop = Navarch("validate " + Data("parser-loop.yaml"));
  EXPECT_EQ(loop.exit_code, 1) << loop.output;
  EXPECT_THAT(loop.output, HasSubstr("parser-loop.yaml:1:"));
  EXPECT_THAT(loop.output, HasSubstr("malformed YAML"));
  auto bomb = Navarch("validate " + Data("alias-bomb.yaml"));
  EXPECT_EQ(bomb.exit_code, 1) << bomb.output;
  EXPECT_THAT(bomb.output, HasSubstr("alias-bomb.yaml:"));
  EXPECT_THAT(bomb.output, HasSubstr("expands to more than 1000000 nodes"));
}

TEST(Cli, ValidateListsEveryValidationProblem) {
  auto r = Navarch("validate " + Data("invalid.yaml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("invalid.yaml:4: metadata.name"));
  EXPECT_THAT(r.output, HasSubstr("Web_RC"));
  EXPECT_THAT(r.output, HasSubstr("invalid.yaml:6: spec.replicas"));
  EXPECT_THAT(r.output, HasSubstr("spec.template.metadata.labels"));
  EXPECT_THAT(r.output, HasSubstr("invalid.yaml:18: spec.template.spec.containers[0].ports[0]"
                                  ".containerPort"));
  // The second document is fine and is still checked.
  EXPECT_THAT(r.output, HasSubstr("Service default/ok-svc: valid"));
}

TEST(Cli, ValidateReportsMalformedYamlWithTheLine) {
  auto r = Navarch("validate " + Data("malformed.yaml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("malformed.yaml:"));
  EXPECT_THAT(r.output, Not(HasSubstr("valid\n")));
}

TEST(Cli, ValidateRejectsAnUnknownKindNamingTheAcceptedOnes) {
  auto r = Navarch("validate " + Data("wrongkind.yaml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("wrongkind.yaml:2: kind"));
  EXPECT_THAT(r.output, HasSubstr("Deployment"));
  EXPECT_THAT(r.output, HasSubstr("ReplicationController"));
}

TEST(Cli, ValidateNamesAMissingFile) {
  auto r = Navarch("validate /nonexistent/web.yaml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("/nonexistent/web.yaml"));
}

TEST(Cli, ValidateWithoutFilesIsAUsageError) {
  auto r = Navarch("validate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.output, HasSubstr("no files given"));
}

}  // namespace
