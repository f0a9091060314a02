#include "core/api/patch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/types.h"

namespace navarch::api {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

json::value J(std::string_view text) {
  return json::parse(text);
}

// Order-sensitive for arrays, order-insensitive for object members.
#define EXPECT_JSON(result, expected)                                                         \
  do {                                                                                        \
    auto&& _r = (result);                                                                     \
    ASSERT_TRUE(_r.ok()) << _r.status();                                                      \
    EXPECT_EQ(*_r, J(expected)) << "got " << json::serialize(*_r) << "\nwant " << (expected); \
  } while (0)

#define EXPECT_ERROR(result, substring)                       \
  do {                                                        \
    auto&& _r = (result);                                     \
    ASSERT_FALSE(_r.ok()) << "got " << json::serialize(*_r);  \
    EXPECT_EQ(_r.code(), Code::kInvalidArgument);             \
    EXPECT_THAT(_r.status().message(), HasSubstr(substring)); \
  } while (0)

// ---------------------------------------------------------------------------
// RFC 7386: the example table of its appendix A, then the section 3 example.

struct MergeCase {
  const char* target;
  const char* patch;
  const char* result;
};

TEST(MergePatchTest, Rfc7386AppendixA) {
  const MergeCase cases[] = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", R"(null)", R"(null)"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const MergeCase& c : cases) {
    SCOPED_TRACE(std::string(c.target) + " + " + c.patch);
    EXPECT_JSON(ApplyMergePatch(J(c.target), J(c.patch)), c.result);
  }
}

TEST(MergePatchTest, Rfc7386Section3Example) {
  auto target = J(R"({"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},
                      "tags":["example","sample"],"content":"This will be unchanged"})");
  auto patch = J(R"({"title":"Hello!","phoneNumber":"+01-123-456-7890",
                     "author":{"familyName":null},"tags":["example"]})");
  EXPECT_JSON(ApplyMergePatch(target, patch),
              R"({"title":"Hello!","author":{"givenName":"John"},"tags":["example"],
                  "content":"This will be unchanged","phoneNumber":"+01-123-456-7890"})");
}

TEST(MergePatchTest, ScaleBodyAndArgumentsUntouched) {
  auto doc = J(R"({"spec":{"replicas":1,"selector":{"app":"web"}}})");
  auto patch = J(R"({"spec":{"replicas":3}})");
  EXPECT_JSON(ApplyMergePatch(doc, patch), R"({"spec":{"replicas":3,"selector":{"app":"web"}}})");
  EXPECT_EQ(doc, J(R"({"spec":{"replicas":1,"selector":{"app":"web"}}})"));
}

// ---------------------------------------------------------------------------
// RFC 6902: the examples of its appendix A.

TEST(JsonPatchTest, Rfc6902A1AddObjectMember) {
  EXPECT_JSON(
      ApplyJsonPatch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/baz","value":"qux"}])")),
      R"({"baz":"qux","foo":"bar"})");
}

TEST(JsonPatchTest, Rfc6902A2AddArrayElement) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":["bar","baz"]})"),
                             J(R"([{"op":"add","path":"/foo/1","value":"qux"}])")),
              R"({"foo":["bar","qux","baz"]})");
}

TEST(JsonPatchTest, Rfc6902A3RemoveObjectMember) {
  EXPECT_JSON(
      ApplyJsonPatch(J(R"({"baz":"qux","foo":"bar"})"), J(R"([{"op":"remove","path":"/baz"}])")),
      R"({"foo":"bar"})");
}

TEST(JsonPatchTest, Rfc6902A4RemoveArrayElement) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":["bar","qux","baz"]})"),
                             J(R"([{"op":"remove","path":"/foo/1"}])")),
              R"({"foo":["bar","baz"]})");
}

TEST(JsonPatchTest, Rfc6902A5ReplaceValue) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"baz":"qux","foo":"bar"})"),
                             J(R"([{"op":"replace","path":"/baz","value":"boo"}])")),
              R"({"baz":"boo","foo":"bar"})");
}

TEST(JsonPatchTest, Rfc6902A6MoveValue) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})"),
                             J(R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])")),
              R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
}

TEST(JsonPatchTest, Rfc6902A7MoveArrayElement) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":["all","grass","cows","eat"]})"),
                             J(R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])")),
              R"({"foo":["all","cows","eat","grass"]})");
}

TEST(JsonPatchTest, Rfc6902A8TestSuccess) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"baz":"qux","foo":["a",2,"c"]})"),
                             J(R"([{"op":"test","path":"/baz","value":"qux"},
                                   {"op":"test","path":"/foo/1","value":2}])")),
              R"({"baz":"qux","foo":["a",2,"c"]})");
}

TEST(JsonPatchTest, Rfc6902A9TestError) {
  EXPECT_ERROR(
      ApplyJsonPatch(J(R"({"baz":"qux"})"), J(R"([{"op":"test","path":"/baz","value":"bar"}])")),
      "patch[0] (test /baz): value differs: the document has \"qux\", the test expects \"bar\"");
}

TEST(JsonPatchTest, Rfc6902A10AddNestedMemberObject) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":"bar"})"),
                             J(R"([{"op":"add","path":"/child","value":{"grandchild":{}}}])")),
              R"({"foo":"bar","child":{"grandchild":{}}})");
}

TEST(JsonPatchTest, Rfc6902A11IgnoreUnrecognizedMembers) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":"bar"})"),
                             J(R"([{"op":"add","path":"/baz","value":"qux","xyz":123}])")),
              R"({"foo":"bar","baz":"qux"})");
}

TEST(JsonPatchTest, Rfc6902A12AddToNonexistentTarget) {
  EXPECT_ERROR(
      ApplyJsonPatch(J(R"({"foo":"bar"})"), J(R"([{"op":"add","path":"/baz/bat","value":"qux"}])")),
      "patch[0] (add /baz/bat): no such element /baz");
}

TEST(JsonPatchTest, Rfc6902A14TildeEscapeOrdering) {
  EXPECT_JSON(
      ApplyJsonPatch(J(R"({"/":9,"~1":10})"), J(R"([{"op":"test","path":"/~01","value":10}])")),
      R"({"/":9,"~1":10})");
  EXPECT_JSON(
      ApplyJsonPatch(J(R"({"/":9,"~1":10})"), J(R"([{"op":"test","path":"/~1","value":9}])")),
      R"({"/":9,"~1":10})");
}

TEST(JsonPatchTest, Rfc6902A15ComparingStringsAndNumbers) {
  EXPECT_ERROR(
      ApplyJsonPatch(J(R"({"/":9,"~1":10})"), J(R"([{"op":"test","path":"/~01","value":"10"}])")),
      "patch[0] (test /~01): value differs");
}

TEST(JsonPatchTest, Rfc6902A16AddArrayValue) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"foo":["bar"]})"),
                             J(R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])")),
              R"({"foo":["bar",["abc","def"]]})");
}

TEST(JsonPatchTest, TestComparesNumbersByValueAndObjectsRegardlessOfOrder) {
  EXPECT_TRUE(ApplyJsonPatch(J(R"({"a":1,"b":{"x":1,"y":[1,2]}})"),
                             J(R"([{"op":"test","path":"/a","value":1.0},
                                   {"op":"test","path":"/b","value":{"y":[1,2],"x":1}}])"))
                  .ok());
  EXPECT_ERROR(ApplyJsonPatch(J(R"({"b":{"y":[1,2]}})"),
                              J(R"([{"op":"test","path":"/b/y","value":[2,1]}])")),
               "value differs");
}

TEST(JsonPatchTest, RootOperations) {
  EXPECT_JSON(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"replace","path":"","value":[1]}])")),
              "[1]");
  EXPECT_JSON(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"add","path":"","value":{"b":2}}])")),
              R"({"b":2})");
  EXPECT_ERROR(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"remove","path":""}])")),
               "patch[0] (remove ): the whole document cannot be removed");
}

TEST(JsonPatchTest, CopyAndMoveEdgeCases) {
  EXPECT_JSON(
      ApplyJsonPatch(J(R"({"a":{"b":1},"l":[1]})"), J(R"([{"op":"copy","from":"/a","path":"/c"},
                                   {"op":"copy","from":"/a/b","path":"/l/-"}])")),
      R"({"a":{"b":1},"l":[1,1],"c":{"b":1}})");
  EXPECT_JSON(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"move","from":"/a","path":"/a"}])")),
              R"({"a":1})");
  EXPECT_ERROR(
      ApplyJsonPatch(J(R"({"a":{"b":1}})"), J(R"([{"op":"move","from":"/a","path":"/a/b/c"}])")),
      "patch[0] (move /a/b/c): cannot move /a into one of its own children");
  EXPECT_ERROR(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"copy","from":"/x","path":"/y"}])")),
               "patch[0] (copy /y): from /x: no such element");
  EXPECT_ERROR(ApplyJsonPatch(J(R"({"a":1})"), J(R"([{"op":"move","path":"/y"}])")),
               "patch[0] (move /y): missing \"from\"");
}

TEST(JsonPatchTest, ErrorsNameIndexOpAndPath) {
  auto doc = J(R"({"spec":{"containers":[{"name":"a"},{"name":"b"}]}})");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"test","path":"/spec/containers/0/name","value":"a"},
                                         {"op":"add","path":"/spec/containers/1/image",
                                          "value":"x"},
                                         {"op":"remove","path":"/spec/containers/3"}])")),
               "patch[2] (remove /spec/containers/3): no such element");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"replace","path":"/spec/containers/1/image",
                                          "value":"x"}])")),
               "patch[0] (replace /spec/containers/1/image): no such element");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/spec/containers/3","value":{}}])")),
               "patch[0] (add /spec/containers/3): index 3 is out of range (the array has 2 "
               "elements)");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/spec/containers/01","value":{}}])")),
               "invalid array index \"01\"");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"remove","path":"/spec/containers/-"}])")),
               "patch[0] (remove /spec/containers/-): no such element");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/spec/containers/0/name/x",
                                          "value":1}])")),
               "/spec/containers/0/name is a string, not an object or array");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"spec","value":1}])")),
               "patch[0] (add spec): a JSON pointer must be empty or start with '/'");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/a~2","value":1}])")),
               "'~' must be followed by '0' or '1'");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/a"}])")),
               "patch[0] (add /a): missing \"value\"");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"frob","path":"/a"}])")),
               "patch[0] (frob /a): unknown op \"frob\"");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"path":"/a"}])")), "patch[0]: missing \"op\"");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([{"op":"add","value":1}])")),
               "patch[0] (add): missing \"path\"");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"([1])")), "patch[0]: an operation must be an object");
  EXPECT_ERROR(ApplyJsonPatch(doc, J(R"({"op":"add"})")),
               "a JSON patch must be an array of operations, got object");
}

TEST(JsonPatchTest, IsAtomicAndLeavesInputAlone) {
  auto doc = J(R"({"a":1})");
  EXPECT_FALSE(ApplyJsonPatch(doc, J(R"([{"op":"add","path":"/b","value":2},
                                        {"op":"remove","path":"/zzz"}])"))
                   .ok());
  EXPECT_EQ(doc, J(R"({"a":1})"));
}

TEST(JsonPatchTest, KubectlPatchTypeJson) {
  // kubectl patch pod web --type json -p '[...]'
  auto pod = J(R"({"metadata":{"name":"web","labels":{"app":"web"}},
                   "spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}})");
  EXPECT_JSON(ApplyJsonPatch(pod, J(R"([{"op":"replace","path":"/spec/containers/0/image",
                                         "value":"nginx:1.26"},
                                        {"op":"add","path":"/metadata/labels/app.kubernetes.io~1tier",
                                         "value":"front"}])")),
              R"({"metadata":{"name":"web","labels":{"app":"web","app.kubernetes.io/tier":"front"}},
                  "spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}})");
}

}  // namespace
}  // namespace navarch::api
