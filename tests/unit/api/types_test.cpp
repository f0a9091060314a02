#include "core/api/types.h"

#include <gtest/gtest.h>

namespace navarch::api {
namespace {

TEST(TypesTest, NewObjectMakesEveryKind) {
  for (Kind k : AllKinds()) {
    ObjectPtr obj = NewObject(k);
    ASSERT_NE(obj, nullptr);
    EXPECT_EQ(obj->kind(), k) << InfoOf(k).name;
    EXPECT_TRUE(obj->Equals(*NewObject(k)));
  }
  EXPECT_NE(As<Pod>(NewObject(Kind::kPod)), nullptr);
  EXPECT_EQ(As<Pod>(NewObject(Kind::kNode)), nullptr);
}

TEST(TypesTest, EqualsComparesMetadataAndBody) {
  Pod a;
  a.metadata.name = "web";
  a.spec.Mutable().containers.push_back({.name = "c", .image = "nginx"});
  Pod b = a;
  EXPECT_TRUE(a.Equals(b));
  b.metadata.labels["app"] = "web";
  EXPECT_FALSE(a.Equals(b));
  b = a;
  b.spec.Mutable().containers[0].image = "nginx:2";
  EXPECT_FALSE(a.Equals(b));
  b = a;
  b.status.phase = std::string(kPodRunning);
  EXPECT_FALSE(a.Equals(b));
  Node n;
  n.metadata.name = "web";
  EXPECT_FALSE(a.Equals(n));
}

TEST(TypesTest, CloneIsDeepAndEqual) {
  ReplicationController rc;
  rc.metadata.name = "web";
  rc.spec.replicas = 3;
  rc.spec.template_.emplace().spec.Mutable().containers.push_back({.name = "c", .image = "nginx"});
  std::unique_ptr<Object> copy = rc.Clone();
  EXPECT_TRUE(copy->Equals(rc));
  static_cast<ReplicationController&>(*copy).spec.replicas = 4;
  EXPECT_FALSE(copy->Equals(rc));
  EXPECT_EQ(rc.spec.replicas, 3);
}

TEST(TypesTest, IntOrString) {
  IntOrString port = 8080;
  EXPECT_TRUE(port.is_int());
  EXPECT_EQ(port.ToString(), "8080");
  IntOrString named = "http";
  EXPECT_TRUE(named.is_string());
  EXPECT_EQ(named.ToString(), "http");
  EXPECT_NE(port, named);
  EXPECT_EQ(IntOrString("8080"), IntOrString(std::string("8080")));
  EXPECT_NE(IntOrString("8080"), IntOrString(8080));
}

}  // namespace
}  // namespace navarch::api
