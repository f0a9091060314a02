#include "core/client/field_selector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/api/types.h"

namespace navarch::client {
namespace {

using ::testing::HasSubstr;

TEST(FieldSelectorTest, ParsesAndMatchesPodFields) {
  auto sel = FieldSelector::Parse("spec.nodeName = n1, status.phase!=Failed");
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_EQ(sel->ToString(), "spec.nodeName=n1,status.phase!=Failed");
  api::Pod pod;
  pod.spec.Mutable().node_name = "n1";
  pod.status.phase = "Running";
  EXPECT_TRUE(sel->Matches(pod));
  pod.status.phase = "Failed";
  EXPECT_FALSE(sel->Matches(pod));
  pod.status.phase = "Running";
  pod.spec.Mutable().node_name = "n2";
  EXPECT_FALSE(sel->Matches(pod));
  ASSERT_TRUE(sel->NodeNameEquals());
  EXPECT_EQ(*sel->NodeNameEquals(), "n1");
}

TEST(FieldSelectorTest, EmptyValueSelectsUnsetFields) {
  auto sel = FieldSelector::Parse("spec.nodeName==");
  ASSERT_TRUE(sel.ok());
  api::Pod pod;
  EXPECT_TRUE(sel->Matches(pod));
  pod.spec.Mutable().node_name = "n1";
  EXPECT_FALSE(sel->Matches(pod));
}

TEST(FieldSelectorTest, EmptyTextSelectsEverything) {
  auto sel = FieldSelector::Parse("  ");
  ASSERT_TRUE(sel.ok());
  EXPECT_TRUE(sel->Empty());
  api::Node node;
  EXPECT_TRUE(sel->Matches(node));
}

TEST(FieldSelectorTest, ErrorsNameTheTermAndTheSupportedFields) {
  auto unknown = FieldSelector::Parse("metadata.name=a,spec.replicas=3");
  ASSERT_EQ(unknown.code(), Code::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("spec.replicas=3"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("spec.nodeName"));
  EXPECT_EQ(FieldSelector::Parse("metadata.name").code(), Code::kInvalidArgument);
  EXPECT_EQ(FieldSelector::Parse("a=b,,").code(), Code::kInvalidArgument);
}

TEST(FieldSelectorTest, PodOnlyFieldsAreRejectedForOtherKinds) {
  FieldSelector sel;
  sel.Equals(FieldSelector::Field::kNodeName, "n1");
  EXPECT_TRUE(sel.CheckKind(api::Kind::kPod).ok());
  EXPECT_EQ(sel.CheckKind(api::Kind::kNode).code(), Code::kInvalidArgument);
  FieldSelector by_name;
  by_name.Equals(FieldSelector::Field::kName, "n1");
  EXPECT_TRUE(by_name.CheckKind(api::Kind::kNode).ok());
}

TEST(FieldSelectorTest, EventFieldsAreWhatKubectlDescribeSends) {
  auto sel = FieldSelector::Parse(
      "involvedObject.name=web-1,involvedObject.namespace=default,involvedObject.kind=Pod,"
      "involvedObject.uid=u1,type!=Normal,reason=BackOff,source=kubelet,reportingComponent="
      "kubelet");
  ASSERT_TRUE(sel.ok()) << sel.status();
  EXPECT_TRUE(sel->CheckKind(api::Kind::kEvent).ok());
  const Status pods = sel->CheckKind(api::Kind::kPod);
  EXPECT_EQ(pods.code(), Code::kInvalidArgument);
  EXPECT_THAT(pods.message(), HasSubstr("only supported for events, not pods"));
  api::Event ev;
  ev.involved_object.kind = "Pod";
  ev.involved_object.name = "web-1";
  ev.involved_object.namespace_ = "default";
  ev.involved_object.uid = "u1";
  ev.type = "Warning";
  ev.reason = "BackOff";
  ev.source.component = "kubelet";
  ev.reporting_component = "kubelet";
  EXPECT_TRUE(sel->Matches(ev));
  ev.type = "Normal";
  EXPECT_FALSE(sel->Matches(ev));
  auto again = FieldSelector::Parse(sel->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *sel);
}

TEST(FieldSelectorTest, ValuesEscapeCommasAndEqualsAsKubernetesDoes) {
  // An unescaped '=' or ',' in a value is an error, not part of the value.
  for (std::string_view bad : {"metadata.name= =b", "metadata.name==a=b", "metadata.name=a\\x"}) {
    auto s = FieldSelector::Parse(bad);
    EXPECT_FALSE(s.ok()) << bad;
  }
  EXPECT_THAT(FieldSelector::Parse("metadata.name= =b").status().message(),
              HasSubstr("unescaped '='"));
  auto s = FieldSelector::Parse("metadata.name=a\\,b\\=c\\\\d,status.phase!=Running");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->terms().size(), 2u);
  EXPECT_EQ(s->terms()[0].value, "a,b=c\\d");
  // The canonical form reads back as the same selector.
  EXPECT_EQ(s->ToString(), "metadata.name=a\\,b\\=c\\\\d,status.phase!=Running");
  auto again = FieldSelector::Parse(s->ToString());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *s);
  EXPECT_EQ(FieldSelector::SplitTerms("a=1\\,2,b=3").size(), 2u);
}

TEST(FieldSelectorTest, TextMustBeUtf8) {
  EXPECT_FALSE(FieldSelector::Parse("metadata.name=\xff").ok());
}

}  // namespace
}  // namespace navarch::client
