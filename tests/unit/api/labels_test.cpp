#include "core/api/labels.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::api {
namespace {

using ::testing::HasSubstr;

LabelSelector MustParse(std::string_view text) {
  auto s = LabelSelector::Parse(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : LabelSelector::Nothing();
}

// The error message Parse() gives for `text` (empty if it parsed).
std::string ParseError(std::string_view text) {
  auto s = LabelSelector::Parse(text);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  return s.status().message();
}

// ---------------------------------------------------------------------------
// Parsing and the canonical form.

TEST(LabelSelectorParse, EmptyTextSelectsEverything) {
  for (const char* text : {"", "   ", "\t\n"}) {
    LabelSelector s = MustParse(text);
    EXPECT_TRUE(s.Empty()) << text;
    EXPECT_FALSE(s.IsNothing());
    EXPECT_TRUE(s.Matches({}));
    EXPECT_TRUE(s.Matches({{"app", "web"}}));
    EXPECT_EQ(s.ToString(), "");
    EXPECT_EQ(s, LabelSelector::Everything());
  }
}

TEST(LabelSelectorParse, AllOperatorsInCanonicalOrder) {
  LabelSelector s = MustParse("app=web,tier!=db,env in (prod,qa),env notin (dev),!canary,track");
  EXPECT_EQ(s.ToString(), "app=web,!canary,env in (prod,qa),env notin (dev),tier!=db,track");
  ASSERT_EQ(s.requirements().size(), 6u);
  EXPECT_EQ(s.requirements()[0], (SelectorRequirement{"app", SelectorOp::kEquals, {"web"}}));
  EXPECT_EQ(s.requirements()[1], (SelectorRequirement{"canary", SelectorOp::kDoesNotExist, {}}));
  EXPECT_EQ(s.requirements()[2], (SelectorRequirement{"env", SelectorOp::kIn, {"prod", "qa"}}));
  EXPECT_EQ(s.requirements()[3], (SelectorRequirement{"env", SelectorOp::kNotIn, {"dev"}}));
  EXPECT_EQ(s.requirements()[4], (SelectorRequirement{"tier", SelectorOp::kNotEquals, {"db"}}));
  EXPECT_EQ(s.requirements()[5], (SelectorRequirement{"track", SelectorOp::kExists, {}}));
  EXPECT_FALSE(s.Empty());
}

TEST(LabelSelectorParse, ToleratesWhitespaceAndDoubleEquals) {
  LabelSelector s = MustParse("  app == web ,\tenv in ( qa , prod )  ,  ! canary ");
  EXPECT_EQ(s.ToString(), "app=web,!canary,env in (prod,qa)");
  EXPECT_EQ(s, MustParse("app=web,env in(prod,qa),!canary"));
  EXPECT_EQ(MustParse("a==b"), MustParse("a=b"));
}

TEST(LabelSelectorParse, SortsAndDeduplicatesValuesAndRequirements) {
  EXPECT_EQ(MustParse("z=1,a in (c,b,c,a),a=b,z=1").ToString(), "a=b,a in (a,b,c),z=1");
}

TEST(LabelSelectorParse, EmptyValues) {
  LabelSelector eq = MustParse("a=");
  EXPECT_EQ(eq.requirements()[0].values, std::vector<std::string>{""});
  EXPECT_EQ(eq.ToString(), "a=");
  EXPECT_TRUE(eq.Matches({{"a", ""}}));
  EXPECT_FALSE(eq.Matches({{"a", "x"}}));
  EXPECT_FALSE(eq.Matches({}));
  EXPECT_EQ(MustParse("a!=,b=c").ToString(), "a!=,b=c");
  // Inside a list, an empty item is the empty value.
  EXPECT_EQ(MustParse("a in (b,)").ToString(), "a in (,b)");
  EXPECT_EQ(MustParse("a in (,b)").ToString(), "a in (,b)");
  // A list of only the empty value is written so that it parses back.
  EXPECT_EQ(MustParse("a notin (,)").ToString(), "a notin (,)");
  EXPECT_EQ(MustParse("a notin (,)").requirements()[0].values, std::vector<std::string>{""});
  EXPECT_TRUE(MustParse("a in (,)").Matches({{"a", ""}}));
}

TEST(LabelSelectorParse, PrefixedKeysAndKeywordsAsValues) {
  LabelSelector s = MustParse("example.com/app=in,k8s.io/role notin (notin)");
  EXPECT_EQ(s.ToString(), "example.com/app=in,k8s.io/role notin (notin)");
  EXPECT_TRUE(s.Matches({{"example.com/app", "in"}}));
}

TEST(LabelSelectorParse, ToStringRoundTrips) {
  for (const char* text : {"a=b", "a!=b", "a in (x)", "a notin (x,y)", "a", "!a", "a=", "a in (,x)",
                           "a in (,)", "x.io/a=B_c.1,!x.io/b,c notin (1,2,3),c in (4),d!=e,f",
                           "app=web,tier!=db,env in (prod,qa),env notin (dev),!canary,track"}) {
    LabelSelector s = MustParse(text);
    auto again = LabelSelector::Parse(s.ToString());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, s) << text;
    EXPECT_EQ(again->ToString(), s.ToString());
  }
}

// ---------------------------------------------------------------------------
// Parse errors: every message, in full.

TEST(LabelSelectorParseErrors, UnterminatedValueList) {
  EXPECT_EQ(ParseError("env in (prod"),
            "invalid label selector \"env in (prod\" at position 12 (the end): unterminated "
            "value list opened at position 7 for key \"env\"; expected ',' or ')'");
  EXPECT_EQ(ParseError("env in (prod,"),
            "invalid label selector \"env in (prod,\" at position 13 (the end): unterminated "
            "value list opened at position 7 for key \"env\"; expected ',' or ')'");
}

TEST(LabelSelectorParseErrors, InvalidKey) {
  EXPECT_EQ(ParseError("app=web,Bad_Key_=x"),
            "invalid label selector \"app=web,Bad_Key_=x\" at position 8: invalid label key "
            "\"Bad_Key_\": the name part: it must end with an alphanumeric character, not '_'; "
            "the name part of a label key must consist of alphanumeric characters, '-', '_' or "
            "'.', and must start and end with an alphanumeric character (e.g. 'MyName', "
            "'my.name' or '123-abc')");
  EXPECT_EQ(ParseError("!-x"),
            "invalid label selector \"!-x\" at position 1: invalid label key \"-x\": the name "
            "part: it must start with an alphanumeric character, not '-'; the name part of a "
            "label key must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')");
  EXPECT_THAT(ParseError("a/b/c"), HasSubstr("at position 0: invalid label key \"a/b/c\": it "
                                             "must contain at most one '/'"));
}

TEST(LabelSelectorParseErrors, KeyWithASpace) {
  EXPECT_EQ(ParseError("Bad Key=x"),
            "invalid label selector \"Bad Key=x\" at position 4: unknown operator \"Key\" after "
            "key \"Bad\"; expected '=', '==', '!=', 'in', 'notin', ',' or the end of the "
            "selector (label keys cannot contain spaces)");
}

TEST(LabelSelectorParseErrors, InvalidValue) {
  EXPECT_EQ(ParseError("a=b/c"),
            "invalid label selector \"a=b/c\" at position 2: invalid label value \"b/c\": "
            "character '/' at position 1 is not allowed; a label value must be empty or consist "
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue', 'my.value' or '123-abc')");
  EXPECT_THAT(ParseError("a in (ok, -bad)"),
              HasSubstr("at position 10: invalid label value \"-bad\": it must start with an "
                        "alphanumeric character, not '-'"));
}

TEST(LabelSelectorParseErrors, EmptyValueList) {
  EXPECT_EQ(ParseError("env in ()"),
            "invalid label selector \"env in ()\" at position 7: 'in' requires at least one "
            "value (key \"env\")");
  EXPECT_EQ(ParseError("env notin ( )"),
            "invalid label selector \"env notin ( )\" at position 10: 'notin' requires at least "
            "one value (key \"env\")");
}

TEST(LabelSelectorParseErrors, UnknownOperator) {
  EXPECT_EQ(ParseError("a<1"),
            "invalid label selector \"a<1\" at position 1: unknown operator \"<\" after key "
            "\"a\"; expected '=', '==', '!=', 'in', 'notin', ',' or the end of the selector");
  EXPECT_THAT(ParseError("a=!b"), HasSubstr("at position 1: unknown operator \"=!\""));
  EXPECT_THAT(ParseError("a >= 1"), HasSubstr("at position 2: unknown operator \">=\""));
  EXPECT_THAT(ParseError("a IN (b)"), HasSubstr("at position 2: unknown operator \"IN\""));
}

TEST(LabelSelectorParseErrors, MissingKey) {
  EXPECT_EQ(ParseError("a=b,"),
            "invalid label selector \"a=b,\" at position 4 (the end): expected a label key, "
            "found the end of the selector");
  EXPECT_EQ(ParseError(",a"),
            "invalid label selector \",a\" at position 0: expected a label key, found ','");
  EXPECT_EQ(ParseError("a,,b"),
            "invalid label selector \"a,,b\" at position 2: expected a label key, found ','");
  EXPECT_EQ(ParseError("=a"),
            "invalid label selector \"=a\" at position 0: expected a label key, found \"=\"");
  EXPECT_EQ(ParseError("(a)"),
            "invalid label selector \"(a)\" at position 0: expected a label key, found '('");
  EXPECT_EQ(ParseError("!"),
            "invalid label selector \"!\" at position 1 (the end): expected a label key after "
            "'!', found the end of the selector");
  EXPECT_EQ(ParseError("! ,a"),
            "invalid label selector \"! ,a\" at position 2: expected a label key after '!', "
            "found ','");
}

TEST(LabelSelectorParseErrors, MissingSeparator) {
  EXPECT_EQ(ParseError("a=b c=d"),
            "invalid label selector \"a=b c=d\" at position 4: unexpected \"c\" after "
            "requirement \"a=b\"; expected ',' or the end of the selector");
  EXPECT_EQ(ParseError("!a=b"),
            "invalid label selector \"!a=b\" at position 2: unexpected \"=\" after requirement "
            "\"!a\"; expected ',' or the end of the selector");
  EXPECT_EQ(ParseError("a=b=c"),
            "invalid label selector \"a=b=c\" at position 3: unexpected \"=\" after requirement "
            "\"a=b\"; expected ',' or the end of the selector");
  EXPECT_EQ(ParseError("a in (b) c"),
            "invalid label selector \"a in (b) c\" at position 9: unexpected \"c\" after "
            "requirement \"a in (b)\"; expected ',' or the end of the selector");
}

TEST(LabelSelectorParseErrors, BadValueOrList) {
  EXPECT_EQ(ParseError("a=(b)"),
            "invalid label selector \"a=(b)\" at position 2: expected a value after '=' for key "
            "\"a\", found '('");
  EXPECT_EQ(ParseError("a!=)"),
            "invalid label selector \"a!=)\" at position 3: expected a value after '!=' for key "
            "\"a\", found ')'");
  EXPECT_EQ(ParseError("a in b"),
            "invalid label selector \"a in b\" at position 5: expected '(' after 'in' for key "
            "\"a\", found \"b\"");
  EXPECT_EQ(ParseError("a notin"),
            "invalid label selector \"a notin\" at position 7 (the end): expected '(' after "
            "'notin' for key \"a\", found the end of the selector");
  EXPECT_EQ(ParseError("a in (b c)"),
            "invalid label selector \"a in (b c)\" at position 8: unexpected \"c\" in the value "
            "list of key \"a\"; expected ',' or ')'");
  EXPECT_EQ(ParseError("a in (b=c)"),
            "invalid label selector \"a in (b=c)\" at position 7: unexpected \"=\" in the value "
            "list of key \"a\"; expected a value, ',' or ')'");
  EXPECT_EQ(ParseError("a in ((b))"),
            "invalid label selector \"a in ((b))\" at position 6: unexpected '(' in the value "
            "list of key \"a\"; expected a value, ',' or ')'");
  EXPECT_EQ(ParseError("a (b)"),
            "invalid label selector \"a (b)\" at position 2: unexpected '(' after key \"a\"; "
            "expected '=', '==', '!=', 'in', 'notin', ',' or the end of the selector");
  EXPECT_EQ(ParseError("a)"),
            "invalid label selector \"a)\" at position 1: unexpected ')' after key \"a\"; "
            "expected '=', '==', '!=', 'in', 'notin', ',' or the end of the selector");
}

TEST(LabelSelectorParseErrors, NothingHasNoTextForm) {
  EXPECT_EQ(LabelSelector::Nothing().ToString(), "<nothing>");
  EXPECT_THAT(ParseError("<nothing>"),
              HasSubstr("at position 0: expected a label key, found \"<\""));
}

// ---------------------------------------------------------------------------
// Matching.

struct MatchCase {
  const char* selector;
  Labels labels;
  bool want;
};

TEST(LabelSelectorMatches, Table) {
  const Labels pod = {{"app", "web"}, {"env", "prod"}, {"tier", "frontend"}, {"track", "stable"}};
  const std::vector<MatchCase> cases = {
      {"app=web", pod, true},
      {"app=db", pod, false},
      {"missing=x", pod, false},
      {"app!=db", pod, true},
      {"app!=web", pod, false},
      {"missing!=x", pod, true},  // absent labels satisfy !=
      {"env in (qa,prod)", pod, true},
      {"env in (qa,dev)", pod, false},
      {"missing in (x)", pod, false},
      {"env notin (qa,dev)", pod, true},
      {"env notin (prod)", pod, false},
      {"missing notin (x)", pod, true},  // and notin
      {"track", pod, true},
      {"canary", pod, false},
      {"!canary", pod, true},
      {"!track", pod, false},
      {"app=web,env in (prod),!canary,track,tier!=db", pod, true},
      {"app=web,env in (prod),!canary,track,tier!=frontend", pod, false},
      {"aaa!=1,zzz!=1", pod, true},  // requirements before and after every label
      {"aaa,app=web", pod, false},
      {"app=web,zzz", pod, false},
      {"env!=qa,env!=dev", pod, true},  // two requirements on one key
      {"env!=qa,env!=prod", pod, false},
      {"env in (prod),env notin (prod)", pod, false},
      {"app=web", {}, false},
      {"!app", {}, true},
      {"", {}, true},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MustParse(c.selector).Matches(c.labels), c.want) << c.selector;
  }
}

TEST(LabelSelectorMatches, NothingMatchesNothing) {
  LabelSelector nothing = LabelSelector::Nothing();
  EXPECT_FALSE(nothing.Matches({}));
  EXPECT_FALSE(nothing.Matches({{"a", "b"}}));
  EXPECT_TRUE(nothing.IsNothing());
  EXPECT_FALSE(nothing.Empty());
  EXPECT_NE(nothing, LabelSelector::Everything());
}

// The semantics read directly: one lookup per requirement, linear search of
// unsorted values.
bool Reference(const SelectorRequirement& r, const Labels& labels) {
  auto it = labels.find(r.key);
  const bool present = it != labels.end();
  const bool listed =
      present && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  switch (r.op) {
    case SelectorOp::kEquals:
    case SelectorOp::kIn:
      return listed;
    case SelectorOp::kNotEquals:
    case SelectorOp::kNotIn:
      return !listed;
    case SelectorOp::kExists:
      return present;
    case SelectorOp::kDoesNotExist:
      return !present;
  }
  return false;
}

// Matches() (one merge-walk over sorted requirements) agrees with the
// reference on random selectors and label sets.
TEST(LabelSelectorMatches, AgreesWithPerRequirementLookup) {
  std::mt19937_64 gen(7);  // std::mt19937_64's sequence is fixed by the standard
  auto pick = [&](int n) { return static_cast<int>(gen() % static_cast<uint64_t>(n)); };
  const std::vector<std::string> keys = {"a", "app", "b", "env", "x.io/z", "zone"};
  const std::vector<std::string> values = {"", "1", "2", "web"};
  int matched = 0;
  for (int round = 0; round < 2000; ++round) {
    Labels labels;
    for (const auto& k : keys) {
      if (pick(2)) labels[k] = values[pick(4)];
    }
    std::vector<SelectorRequirement> reqs;
    for (int i = pick(5); i > 0; --i) {
      SelectorRequirement r{keys[pick(6)], static_cast<SelectorOp>(pick(6)), {}};
      int nvalues = r.op == SelectorOp::kExists || r.op == SelectorOp::kDoesNotExist ? 0
                    : r.op == SelectorOp::kEquals || r.op == SelectorOp::kNotEquals  ? 1
                                                                                     : 1 + pick(3);
      for (int j = 0; j < nvalues; ++j)
        r.values.push_back(values[pick(4)]);
      reqs.push_back(r);
    }
    bool want = true;
    for (const auto& r : reqs)
      want = want && Reference(r, labels);
    auto sel = LabelSelector::FromRequirements(reqs);
    ASSERT_TRUE(sel.ok()) << sel.status();
    EXPECT_EQ(sel->Matches(labels), want) << sel->ToString();
    matched += want;
    // And the text form round-trips.
    auto again = LabelSelector::Parse(sel->ToString());
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(*again, *sel);
  }
  // Both outcomes were exercised.
  EXPECT_GT(matched, 100);
  EXPECT_LT(matched, 1900);
}

// ---------------------------------------------------------------------------
// Structured and map forms.

TEST(LabelSelectorFromSpec, BuildsTheSameSelectorAsText) {
  LabelSelectorSpec spec;
  spec.match_labels = {{"app", "web"}};
  spec.match_expressions = {{"env", "In", {"qa", "prod"}},
                            {"env", "NotIn", {"dev"}},
                            {"track", "Exists", {}},
                            {"canary", "DoesNotExist", {}}};
  auto s = LabelSelector::FromSpec(spec);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, MustParse("app=web,env in (prod,qa),env notin (dev),track,!canary"));
}

TEST(LabelSelectorFromSpec, EmptySpecSelectsEverything) {
  auto s = LabelSelector::FromSpec({});
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->Empty());
  EXPECT_TRUE(s->Matches({{"a", "b"}}));
}

std::string SpecError(const LabelSelectorSpec& spec) {
  auto s = LabelSelector::FromSpec(spec);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  return s.status().message();
}

TEST(LabelSelectorFromSpec, Errors) {
  EXPECT_EQ(SpecError({{{"bad key", "x"}}, {}}),
            "invalid label selector: matchLabels: invalid label key \"bad key\": the name part: "
            "character ' ' at position 3 is not allowed; the name part of a label key must "
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')");
  EXPECT_EQ(SpecError({{{"app", "-web"}}, {}}),
            "invalid label selector: matchLabels[\"app\"]: invalid label value \"-web\": it must "
            "start with an alphanumeric character, not '-'; a label value must be empty or "
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue', 'my.value' or '123-abc')");
  EXPECT_EQ(SpecError({{}, {{"env", "in", {"prod"}}}}),
            "invalid label selector: matchExpressions[0].operator: \"in\" is not a valid "
            "operator; use one of In, NotIn, Exists, DoesNotExist");
  EXPECT_EQ(SpecError({{}, {{"a", "Exists", {}}, {"env", "In", {}}}}),
            "invalid label selector: matchExpressions[1].values: operator In requires at least "
            "one value");
  EXPECT_EQ(SpecError({{}, {{"env", "NotIn", {}}}}),
            "invalid label selector: matchExpressions[0].values: operator NotIn requires at "
            "least one value");
  EXPECT_EQ(SpecError({{}, {{"env", "DoesNotExist", {"x", "y"}}}}),
            "invalid label selector: matchExpressions[0].values: operator DoesNotExist takes no "
            "values, got 2");
  EXPECT_THAT(SpecError({{}, {{"-env", "Exists", {}}}}),
              HasSubstr("invalid label selector: matchExpressions[0].key: invalid label key "
                        "\"-env\""));
  EXPECT_THAT(SpecError({{}, {{"env", "In", {"ok", "not ok"}}}}),
              HasSubstr("invalid label selector: matchExpressions[0].values[1]: invalid label "
                        "value \"not ok\""));
}

TEST(LabelSelectorFromMap, EveryEntryIsAnEquality) {
  LabelSelector s = LabelSelector::FromMap({{"app", "web"}, {"tier", "frontend"}});
  EXPECT_EQ(s, MustParse("tier=frontend,app=web"));
  EXPECT_TRUE(s.Matches({{"app", "web"}, {"tier", "frontend"}, {"x", "y"}}));
  EXPECT_FALSE(s.Matches({{"app", "web"}}));
  EXPECT_TRUE(LabelSelector::FromMap({}).Empty());
}

TEST(LabelSelectorFromMap, DoesNotValidateAndMatchesExactly) {
  LabelSelector s = LabelSelector::FromMap({{"not a key", "not a value"}});
  EXPECT_TRUE(s.Matches({{"not a key", "not a value"}}));
  EXPECT_FALSE(s.Matches({{"not a key", "other"}}));
}

TEST(LabelSelectorFromRequirements, ValidatesValueCounts) {
  auto err = [](SelectorRequirement r) {
    auto s = LabelSelector::FromRequirements({std::move(r)});
    return s.ok() ? std::string() : s.status().message();
  };
  EXPECT_EQ(err({"a", SelectorOp::kEquals, {}}),
            "invalid label selector requirement 0: operator '=' on key \"a\" needs exactly one "
            "value, got 0");
  EXPECT_EQ(err({"a", SelectorOp::kNotEquals, {"x", "y"}}),
            "invalid label selector requirement 0: operator '!=' on key \"a\" needs exactly one "
            "value, got 2");
  EXPECT_EQ(err({"a", SelectorOp::kIn, {}}),
            "invalid label selector requirement 0: operator 'in' on key \"a\" requires at least "
            "one value");
  EXPECT_EQ(err({"a", SelectorOp::kExists, {"x"}}),
            "invalid label selector requirement 0: operator 'exists' on key \"a\" takes no "
            "values, got 1");
  EXPECT_THAT(err({"a b", SelectorOp::kExists, {}}),
              HasSubstr("invalid label selector requirement 0: invalid label key \"a b\""));
  EXPECT_THAT(err({"a", SelectorOp::kIn, {"x", "y z"}}),
              HasSubstr("invalid label selector requirement 0: invalid label value \"y z\""));
  EXPECT_EQ(err({"a", SelectorOp::kIn, {"y", "x", "y"}}), "");
}

// ---------------------------------------------------------------------------
// Equality and indexing.

TEST(LabelSelector, EqualityIgnoresWrittenOrder) {
  EXPECT_EQ(MustParse("a=b,c=d"), MustParse("c=d , a=b"));
  EXPECT_NE(MustParse("a=b"), MustParse("a in (b)"));
  EXPECT_NE(MustParse("a=b"), MustParse("a=c"));
  EXPECT_NE(MustParse("a"), MustParse("!a"));
}

TEST(LabelSelector, EqualityRequirementForIndexing) {
  auto eq = [](std::string_view text) -> std::string {
    LabelSelector s = MustParse(text);
    auto r = s.EqualityRequirement();
    return r ? std::string(r->first) + "=" + std::string(r->second) : "none";
  };
  EXPECT_EQ(eq("tier!=db,app=web,env=prod"), "app=web");
  EXPECT_EQ(eq("b in (x),c=d"), "b=x");
  EXPECT_EQ(eq("a in (x,y),b=c"), "b=c");
  EXPECT_EQ(eq("a!=b,!c,d,e notin (f)"), "none");
  EXPECT_EQ(eq(""), "none");
}

}  // namespace
}  // namespace navarch::api
