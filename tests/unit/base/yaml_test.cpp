#include "core/base/yaml.h"
#include "tests/unit/hostile_inputs.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::yaml {
namespace {

using ::testing::HasSubstr;

Node One(std::string_view text) {
  Loaded l = Load(text);
  EXPECT_TRUE(l.ok) << l.error.ToString();
  return l.ok ? l.documents[0] : Node();
}

Error Fails(std::string_view text, const Limits& limits = {}) {
  Loaded l = LoadAll(text, limits);
  EXPECT_FALSE(l.ok) << "accepted: " << text;
  EXPECT_TRUE(l.documents.empty());
  return l.error;
}

TEST(Yaml, ReadsMappingsListsAndScalarsWithPositions) {
  Node root = One("kind: Pod\nspec:\n  containers:\n  - name: web\n    image: \"app:1\"\n");
  ASSERT_TRUE(root.IsMap());
  EXPECT_EQ(root.size(), 2u);
  EXPECT_EQ(root.Find("kind").scalar(), "Pod");
  EXPECT_EQ(root.Find("kind").tag(), "?");
  EXPECT_TRUE(root.Find("kind").plain());
  Node c = root.Find("spec").Find("containers");
  ASSERT_TRUE(c.IsSequence());
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].Find("name").line(), 4);
  EXPECT_EQ(c[0].Find("name").mark().column, 10);
  EXPECT_EQ(c[0].Find("image").scalar(), "app:1");
  EXPECT_EQ(c[0].Find("image").tag(), "!");
  EXPECT_FALSE(c[1].IsDefined());
  EXPECT_FALSE(root.Find("missing"));
  EXPECT_FALSE(c.Find("name"));  // not a mapping
}

TEST(Yaml, NullsTagsAndBlockScalars) {
  Node root = One("a:\nb: ~\nc: null\nd: \"null\"\ne: !!str 3\nf: |\n  x\n  y\ng: 'it''s'\n");
  EXPECT_TRUE(root.Find("a").IsNull());
  EXPECT_TRUE(root.Find("b").IsNull());
  EXPECT_TRUE(root.Find("c").IsNull());
  EXPECT_TRUE(root.Find("d").IsScalar());
  EXPECT_EQ(root.Find("e").tag(), "tag:yaml.org,2002:str");
  EXPECT_EQ(root.Find("f").scalar(), "x\ny\n");
  EXPECT_EQ(root.Find("f").tag(), "!");
  EXPECT_EQ(root.Find("g").scalar(), "it's");
}

TEST(Yaml, EscapedNulIsKeptAndRawControlBytesAreRefused) {
  Node root = One("a: \"x\\0y\"\n");
  EXPECT_EQ(root.Find("a").scalar(), std::string("x\0y", 3));
  Error e = Fails(std::string("a: x\0y\n", 7));
  EXPECT_THAT(e.message, HasSubstr("UTF-8"));
}

TEST(Yaml, InvalidUtf8IsRefused) {
  for (std::string bad : {std::string("a: \xff\n"), std::string("a: \xc3\n"),
                          std::string("metadata:\n  labels:\n    x: \"\xed\xa0\x80\"\n")}) {
    Error e = Fails(bad);
    EXPECT_THAT(e.message, HasSubstr("not valid UTF-8")) << bad;
  }
  EXPECT_EQ(One("a: h\xc3\xa9llo\n").Find("a").scalar(), "h\xc3\xa9llo");
  Error at = Fails("a: 1\nb: \xff\n");
  EXPECT_EQ(at.line, 2);
  EXPECT_EQ(at.column, 4);
}

TEST(Yaml, InputsThatLoopedAnOlderParserFailAtOnce) {
  for (std::string_view text : {"!,", ",", "!", "- !,\n", "{!,: 1}", "[,]", "&a !, *a"}) {
    Loaded l = LoadAll(text);
    if (l.ok) continue;  // some are valid YAML; what matters is that they return
    EXPECT_FALSE(l.error.message.empty()) << text;
  }
  EXPECT_FALSE(LoadAll("!,").ok);
  EXPECT_FALSE(LoadAll(",").ok);
}

TEST(Yaml, AliasBombIsRefusedByItsExpandedSize) {
  Error e = Fails(navarch::testing::AliasBomb(""));
  EXPECT_THAT(e.message, HasSubstr("expands to more than 1000000 nodes"));
  EXPECT_GT(e.line, 1);
  // Three levels (1,000 scalars) stay well inside the limit.
  Node small = One(navarch::testing::AliasBomb("", 3));
  EXPECT_EQ(small.Find("x2").size(), 10u);
  EXPECT_EQ(small.Find("x2")[9][9][9].scalar(), "a");
}

TEST(Yaml, AliasesOfLongScalarsCountTheirBytes) {
  std::string text = "a: &a " + std::string(1000, 'x') + "\nb: [";
  for (int i = 0; i < 200; ++i)
    text += "*a, ";
  text += "*a]\n";
  Limits limits;
  limits.max_scalar_bytes = 100000;
  Error e = Fails(text, limits);
  EXPECT_THAT(e.message, HasSubstr("of scalar text"));
}

TEST(Yaml, RecursiveAndUnknownAliasesAreRefused) {
  EXPECT_THAT(Fails("a: &x [1, *x]\n").message, HasSubstr("refers to a node that contains it"));
  EXPECT_THAT(Fails("a: &x {b: *x}\n").message, HasSubstr("refers to a node that contains it"));
  EXPECT_THAT(Fails("a: *nope\n").message, HasSubstr("refers to no anchor"));
  // Anchors do not cross documents.
  EXPECT_THAT(Fails("a: &x 1\n---\nb: *x\n").message, HasSubstr("refers to no anchor"));
}

TEST(Yaml, DepthIsBounded) {
  Error e = Fails(std::string(200, '['));
  EXPECT_THAT(e.message, HasSubstr("nesting deeper than 100"));
  std::string ok(100, '[');
  ok += std::string(100, ']');
  EXPECT_TRUE(LoadAll(ok).ok);
  // An alias counts the height of what it names.
  std::string deep = "a: &d " + std::string(90, '[') + std::string(90, ']') +
                     "\nb: " + std::string(20, '[') + "*d" + std::string(20, ']') + "\n";
  EXPECT_THAT(Fails(deep).message, HasSubstr("nests deeper than 100"));
}

TEST(Yaml, DocumentCountAndInputSizeAreBounded) {
  Limits limits;
  limits.max_documents = 3;
  EXPECT_TRUE(LoadAll("a: 1\n---\nb: 2\n---\nc: 3\n", limits).ok);
  EXPECT_THAT(Fails("a: 1\n---\nb: 2\n---\nc: 3\n---\nd: 4\n", limits).message,
              HasSubstr("more than 3 YAML documents"));
  limits = Limits();
  limits.max_input_bytes = 10;
  EXPECT_THAT(Fails("a: 0123456789\n", limits).message, HasSubstr("more than the limit of 10"));
  limits = Limits();
  limits.max_nodes = 5;
  EXPECT_THAT(Fails("[1, 2, 3, 4, 5, 6]", limits).message, HasSubstr("more than 5 nodes"));
}

TEST(Yaml, DuplicateKeysAreRefusedWithBothLines) {
  Error e = Fails("metadata:\n  name: a\n  labels: {}\n  name: b\n");
  EXPECT_EQ(e.line, 4);
  EXPECT_EQ(e.path, "metadata.name");
  EXPECT_THAT(e.message,
              HasSubstr("duplicate key \"name\" (first given at line 2, again at line 4)"));
  EXPECT_THAT(e.ToString(), HasSubstr("line 4, column 3: metadata.name: duplicate key"));
}

TEST(Yaml, MergeKeys) {
  Node root =
      One("base: &base {image: app:1, cpu: 1}\n"
          "extra: &extra {cpu: 2, mem: 3}\n"
          "one: {<<: *base, cpu: 4}\n"
          "two:\n  <<: [*extra, *base]\n  name: x\n");
  Node one = root.Find("one");
  EXPECT_EQ(one.size(), 2u);
  EXPECT_EQ(one.Find("cpu").scalar(), "4");
  EXPECT_EQ(one.Find("image").scalar(), "app:1");
  EXPECT_FALSE(one.Find("<<"));
  Node two = root.Find("two");
  EXPECT_EQ(two.Find("cpu").scalar(), "2");  // the first source wins
  EXPECT_EQ(two.Find("mem").scalar(), "3");
  EXPECT_EQ(two.Find("image").scalar(), "app:1");
  EXPECT_EQ(two.Find("name").scalar(), "x");
  EXPECT_THAT(Fails("a: {<<: 3}\n").message, HasSubstr("merge key"));
  // A quoted "<<" is an ordinary key.
  EXPECT_EQ(One("\"<<\": 1\n").Find("<<").scalar(), "1");
}

TEST(Yaml, SyntaxErrorsNameLineAndColumn) {
  Error e = Fails("a: 1\nb: [1, 2\nc: 3\n");
  EXPECT_GT(e.line, 1);
  EXPECT_GT(e.column, 0);
  EXPECT_FALSE(e.message.empty());
}

TEST(Yaml, LoadWantsOneDocument) {
  EXPECT_TRUE(One("").IsNull());
  EXPECT_TRUE(One("# only a comment\n").IsNull());
  Loaded two = Load("a: 1\n---\nb: 2\n");
  EXPECT_FALSE(two.ok);
  EXPECT_EQ(two.error.line, 3);
  Loaded all = LoadAll("a: 1\n---\n---\nb: 2\n");
  ASSERT_TRUE(all.ok);
  ASSERT_EQ(all.documents.size(), 3u);
  EXPECT_TRUE(all.documents[1].IsNull());
}

}  // namespace
}  // namespace navarch::yaml
