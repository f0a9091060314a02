#include "core/api/shared.h"

#include <gtest/gtest.h>

#include <string>

#include "core/api/codec.h"
#include "core/api/types.h"

namespace navarch::api {
namespace {

TEST(SharedTest, DefaultHoldsADefaultValue) {
  Shared<PodSpec> s;
  EXPECT_TRUE(s->containers.empty());
  EXPECT_EQ(*s, PodSpec{});
}

TEST(SharedTest, CopiesShareUntilOneIsWritten) {
  PodSpec spec;
  spec.restart_policy = "Never";
  Shared<PodSpec> a = spec;
  Shared<PodSpec> b = a;
  EXPECT_TRUE(a.SharesWith(b));
  b.Mutable().restart_policy = "Always";
  EXPECT_FALSE(a.SharesWith(b));
  EXPECT_EQ(a->restart_policy, "Never");
  EXPECT_EQ(b->restart_policy, "Always");
}

TEST(SharedTest, MutableOnASoleHolderDoesNotClone) {
  Shared<PodSpec> a;
  const PodSpec* before = &*a;
  a.Mutable().node_name = "n1";
  EXPECT_EQ(&*a, before);
  EXPECT_EQ(a->node_name, "n1");
}

TEST(SharedTest, EqualityIsByValue) {
  PodSpec spec;
  spec.node_name = "n1";
  Shared<PodSpec> a = spec;
  Shared<PodSpec> b = spec;
  EXPECT_FALSE(a.SharesWith(b));
  EXPECT_EQ(a, b);
  b.Mutable().node_name = "n2";
  EXPECT_NE(a, b);
}

TEST(SharedTest, AMovedFromHolderStillHoldsAValue) {
  Shared<PodSpec> a;
  a.Mutable().node_name = "n1";
  Shared<PodSpec> b = std::move(a);
  EXPECT_EQ(b->node_name, "n1");
  EXPECT_EQ(a->node_name, "n1");  // NOLINT(bugprone-use-after-move): never null
  Shared<PodSpec> c;
  c = std::move(b);
  EXPECT_EQ(c->node_name, "n1");
  EXPECT_TRUE(b->node_name.empty());  // NOLINT(bugprone-use-after-move): swapped
}

TEST(SharedTest, PodCopiesShareTheSpecAndWritesDoNotShowThrough) {
  Pod pod;
  pod.metadata.name = "p";
  pod.spec.Mutable().containers.push_back(Container{.name = "c", .image = "busybox"});
  Pod copy = pod;
  EXPECT_TRUE(copy.spec.SharesWith(pod.spec));
  copy.status.phase = "Running";
  EXPECT_TRUE(copy.spec.SharesWith(pod.spec));
  copy.spec.Mutable().node_name = "n1";
  EXPECT_TRUE(pod.spec->node_name.empty());
  EXPECT_EQ(copy.spec->containers, pod.spec->containers);
}

TEST(SharedTest, CodecRoundTripsASharedSpec) {
  Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "default";
  pod.spec.Mutable().containers.push_back(Container{.name = "c", .image = "busybox"});
  pod.spec.Mutable().node_name = "n1";
  std::string json = EncodeJson(pod);
  EXPECT_NE(json.find("\"nodeName\":\"n1\""), std::string::npos) << json;
  auto decoded = DecodeJson(json);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const auto* back = As<Pod>(decoded->get());
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(*back, pod);
}

}  // namespace
}  // namespace navarch::api
