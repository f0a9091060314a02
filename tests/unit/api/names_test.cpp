#include "core/api/names.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kLabelRule =
    "a DNS-1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name' or '123-abc')";
const std::string kSubdomainRule =
    "a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "each of its '.'-separated parts must start and end with an alphanumeric character (e.g. "
    "'example.com' or 'my-name')";
const std::string kNameRule =
    "the name part of a label key must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or "
    "'123-abc')";
const std::string kKeyRule =
    "a label key is a name with an optional DNS-1123 subdomain prefix and '/' before it (e.g. "
    "'app' or 'example.com/app')";
const std::string kValueRule =
    "a label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue', 'my.value' or "
    "'123-abc')";

TEST(Dns1123Label, AcceptsValidLabels) {
  for (const char* v :
       {"a", "0", "my-name", "123-abc", "a--b", "abcdefghijklmnopqrstuvwxyz0123456789"}) {
    EXPECT_THAT(ValidateDns1123Label(v), IsEmpty()) << v;
  }
  EXPECT_THAT(ValidateDns1123Label(std::string(63, 'a')), IsEmpty());
}

TEST(Dns1123Label, RejectsEmpty) {
  EXPECT_THAT(ValidateDns1123Label(""),
              ElementsAre("invalid DNS-1123 label \"\": it must not be empty; " + kLabelRule));
}

TEST(Dns1123Label, RejectsUpperCaseAndOtherCharacters) {
  EXPECT_THAT(ValidateDns1123Label("My-name"),
              ElementsAre("invalid DNS-1123 label \"My-name\": character 'M' at position 0 is "
                          "not allowed; " +
                          kLabelRule));
  EXPECT_THAT(ValidateDns1123Label("my.name"),
              ElementsAre("invalid DNS-1123 label \"my.name\": character '.' at position 2 is "
                          "not allowed; " +
                          kLabelRule));
  EXPECT_THAT(ValidateDns1123Label("a\tb"),
              ElementsAre("invalid DNS-1123 label \"a\\x09b\": character byte 0x09 at position 1 "
                          "is not allowed; " +
                          kLabelRule));
}

TEST(Dns1123Label, RejectsDashAtEitherEnd) {
  EXPECT_THAT(ValidateDns1123Label("-abc"),
              ElementsAre("invalid DNS-1123 label \"-abc\": it must start with an alphanumeric "
                          "character, not '-'; " +
                          kLabelRule));
  EXPECT_THAT(ValidateDns1123Label("abc-"),
              ElementsAre("invalid DNS-1123 label \"abc-\": it must end with an alphanumeric "
                          "character, not '-'; " +
                          kLabelRule));
}

TEST(Dns1123Label, RejectsTooLong) {
  const std::string v(64, 'a');
  EXPECT_THAT(ValidateDns1123Label(v),
              ElementsAre("invalid DNS-1123 label \"" + v +
                          "\": it must be no more than 63 characters, it has 64"));
}

TEST(Dns1123Label, ReportsLengthAndShapeTogether) {
  const std::string v = std::string(64, 'a') + "-";
  auto errs = ValidateDns1123Label(v);
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_THAT(errs[0], ::testing::HasSubstr("no more than 63 characters, it has 65"));
  EXPECT_THAT(errs[1], ::testing::HasSubstr("must end with an alphanumeric character"));
}

TEST(Dns1123Subdomain, AcceptsValidSubdomains) {
  for (const char* v : {"a", "example.com", "my-app.example-1.com", "0.1.2", "a-b.c-d"}) {
    EXPECT_THAT(ValidateDns1123Subdomain(v), IsEmpty()) << v;
  }
  // Kubernetes limits the whole subdomain, not each part.
  EXPECT_THAT(ValidateDns1123Subdomain(std::string(100, 'a') + "." + std::string(152, 'b')),
              IsEmpty());
}

TEST(Dns1123Subdomain, RejectsEachProblem) {
  EXPECT_THAT(
      ValidateDns1123Subdomain(""),
      ElementsAre("invalid DNS-1123 subdomain \"\": it must not be empty; " + kSubdomainRule));
  EXPECT_THAT(ValidateDns1123Subdomain("Example.com"),
              ElementsAre("invalid DNS-1123 subdomain \"Example.com\": character 'E' at position "
                          "0 is not allowed; " +
                          kSubdomainRule));
  EXPECT_THAT(ValidateDns1123Subdomain("my_app.com"),
              ElementsAre("invalid DNS-1123 subdomain \"my_app.com\": character '_' at position 2 "
                          "is not allowed; " +
                          kSubdomainRule));
  EXPECT_THAT(ValidateDns1123Subdomain(".example.com"),
              ElementsAre("invalid DNS-1123 subdomain \".example.com\": it must not start with "
                          "'.'; " +
                          kSubdomainRule));
  EXPECT_THAT(
      ValidateDns1123Subdomain("example.com."),
      ElementsAre("invalid DNS-1123 subdomain \"example.com.\": it must not end with '.'; " +
                  kSubdomainRule));
  EXPECT_THAT(ValidateDns1123Subdomain("example..com"),
              ElementsAre("invalid DNS-1123 subdomain \"example..com\": it must not contain '..' "
                          "(at position 7); " +
                          kSubdomainRule));
  EXPECT_THAT(ValidateDns1123Subdomain("example.-com"),
              ElementsAre("invalid DNS-1123 subdomain \"example.-com\": its part \"-com\" at "
                          "position 8 must start and end with an alphanumeric character; " +
                          kSubdomainRule));
  EXPECT_THAT(ValidateDns1123Subdomain("example-.com"),
              ElementsAre("invalid DNS-1123 subdomain \"example-.com\": its part \"example-\" at "
                          "position 0 must start and end with an alphanumeric character; " +
                          kSubdomainRule));
}

TEST(Dns1123Subdomain, RejectsTooLongAndShortensTheQuote) {
  EXPECT_THAT(ValidateDns1123Subdomain(std::string(253, 'a')), IsEmpty());
  const std::string v(254, 'a');
  EXPECT_THAT(ValidateDns1123Subdomain(v),
              ElementsAre("invalid DNS-1123 subdomain \"" + std::string(80, 'a') +
                          "...\" (254 characters): it must be no more than 253 characters, it "
                          "has 254"));
}

TEST(LabelKey, AcceptsValidKeys) {
  for (const char* k :
       {"app", "App_Name", "a.b-c_d", "9", "example.com/app", "k8s.io/My.Name", "a/b"}) {
    EXPECT_THAT(ValidateLabelKey(k), IsEmpty()) << k;
  }
  EXPECT_THAT(ValidateLabelKey(std::string(253, 'p') + "/" + std::string(63, 'n')), IsEmpty());
}

TEST(LabelKey, RejectsEmptyKeyAndEmptyParts) {
  EXPECT_THAT(ValidateLabelKey(""),
              ElementsAre("invalid label key \"\": it must not be empty; " + kNameRule));
  EXPECT_THAT(ValidateLabelKey("example.com/"),
              ElementsAre("invalid label key \"example.com/\": the name part must not be empty; " +
                          kNameRule));
  EXPECT_THAT(ValidateLabelKey("/app"),
              ElementsAre("invalid label key \"/app\": the prefix before '/' must not be empty; " +
                          kKeyRule));
}

TEST(LabelKey, RejectsMoreThanOneSlash) {
  EXPECT_THAT(
      ValidateLabelKey("a/b/c"),
      ElementsAre("invalid label key \"a/b/c\": it must contain at most one '/'; " + kKeyRule));
}

TEST(LabelKey, RejectsBadNamePart) {
  EXPECT_THAT(ValidateLabelKey("Bad Key"),
              ElementsAre("invalid label key \"Bad Key\": the name part: character ' ' at "
                          "position 3 is not allowed; " +
                          kNameRule));
  EXPECT_THAT(ValidateLabelKey("example.com/_app"),
              ElementsAre("invalid label key \"example.com/_app\": the name part: it must start "
                          "with an alphanumeric character, not '_'; " +
                          kNameRule));
  EXPECT_THAT(ValidateLabelKey("app."),
              ElementsAre("invalid label key \"app.\": the name part: it must end with an "
                          "alphanumeric character, not '.'; " +
                          kNameRule));
  // Positions count from the start of the whole key.
  EXPECT_THAT(ValidateLabelKey("ex.com/a$b"),
              ElementsAre("invalid label key \"ex.com/a$b\": the name part: character '$' at "
                          "position 8 is not allowed; " +
                          kNameRule));
  const std::string long_name(64, 'n');
  EXPECT_THAT(ValidateLabelKey(long_name),
              ElementsAre("invalid label key \"" + std::string(64, 'n') +
                          "\": the name part must be no more than 63 characters, it has 64"));
}

TEST(LabelKey, RejectsBadPrefix) {
  EXPECT_THAT(ValidateLabelKey("Example.com/app"),
              ElementsAre("invalid label key \"Example.com/app\": the prefix: character 'E' at "
                          "position 0 is not allowed; " +
                          kSubdomainRule));
  EXPECT_THAT(ValidateLabelKey("a..b/app"),
              ElementsAre("invalid label key \"a..b/app\": the prefix: it must not contain '..' "
                          "(at position 1); " +
                          kSubdomainRule));
  const std::string key = std::string(254, 'p') + "/app";
  auto errs = ValidateLabelKey(key);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_THAT(errs[0],
              ::testing::EndsWith("the prefix must be no more than 253 characters, it has 254"));
}

TEST(LabelKey, ReportsPrefixAndNameProblemsTogether) {
  auto errs = ValidateLabelKey("Ex/-a");
  ASSERT_EQ(errs.size(), 2u);
  EXPECT_THAT(errs[0], ::testing::HasSubstr("the prefix: character 'E'"));
  EXPECT_THAT(errs[1], ::testing::HasSubstr("the name part: it must start"));
}

TEST(LabelValue, AcceptsValidValues) {
  for (const char* v : {"", "a", "MyValue", "my.value", "123-abc", "a_b", "v1.2.3"}) {
    EXPECT_THAT(ValidateLabelValue(v), IsEmpty()) << v;
  }
  EXPECT_THAT(ValidateLabelValue(std::string(63, 'v')), IsEmpty());
}

TEST(LabelValue, RejectsEachProblem) {
  EXPECT_THAT(ValidateLabelValue("a/b"),
              ElementsAre("invalid label value \"a/b\": character '/' at position 1 is not "
                          "allowed; " +
                          kValueRule));
  EXPECT_THAT(ValidateLabelValue("-a"),
              ElementsAre("invalid label value \"-a\": it must start with an alphanumeric "
                          "character, not '-'; " +
                          kValueRule));
  EXPECT_THAT(ValidateLabelValue("a_"),
              ElementsAre("invalid label value \"a_\": it must end with an alphanumeric "
                          "character, not '_'; " +
                          kValueRule));
  EXPECT_THAT(ValidateLabelValue(std::string(64, 'v')),
              ElementsAre("invalid label value \"" + std::string(64, 'v') +
                          "\": it must be no more than 63 characters, it has 64"));
}

TEST(QuoteForMessage, EscapesQuotesBackslashesAndControlBytes) {
  EXPECT_EQ(QuoteForMessage("plain"), "\"plain\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(QuoteForMessage(std::string_view("\n\x7f\0", 3)), "\"\\x0a\\x7f\\x00\"");
  EXPECT_EQ(QuoteForMessage(std::string(81, 'x')),
            "\"" + std::string(80, 'x') + "...\" (81 characters)");
}

}  // namespace
}  // namespace navarch::api
