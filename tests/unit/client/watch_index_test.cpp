// client::WatchIndex, the subscription index of every watch fan-out: a
// change is offered to exactly the buckets that can match it.
#include "core/client/watch_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace navarch::client {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

api::Pod Pod(const std::string& ns, api::Labels labels, const std::string& node = "") {
  api::Pod p;
  p.metadata.namespace_ = ns;
  p.metadata.name = "p";
  p.metadata.labels = std::move(labels);
  p.spec.Mutable().node_name = node;
  return p;
}

api::LabelSelector Sel(const std::string& text) {
  auto s = api::LabelSelector::Parse(text);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : api::LabelSelector();
}

TEST(WatchIndexTest, EachSubscriptionIsACandidateOnlyWhereItCanMatch) {
  WatchIndex<int> index;
  index.Add(1, WatchKey::Of(std::nullopt, "", {}), 1);                   // everything
  index.Add(2, WatchKey::Of(std::nullopt, "a", {}), 2);                  // namespace a
  index.Add(3, WatchKey::Of(std::string("n1"), "", {}), 3);              // pods on n1
  index.Add(4, WatchKey::Of(std::nullopt, "a", Sel("app=web")), 4);      // a, app=web
  index.Add(5, WatchKey::Of(std::nullopt, "", Sel("tier in (db)")), 5);  // any ns, tier=db
  index.Add(6, WatchKey::Of(std::nullopt, "b", Sel("app!=web")), 6);     // no equality: ns b
  std::vector<uint64_t> c;
  const api::Pod web_a = Pod("a", {{"app", "web"}});
  index.Candidates(nullptr, &web_a, c);
  EXPECT_THAT(c, ElementsAre(1, 2, 4));
  const api::Pod db_b = Pod("b", {{"tier", "db"}}, "n1");
  index.Candidates(nullptr, &db_b, c);
  EXPECT_THAT(c, ElementsAre(1, 3, 5, 6));
  // A change that drops the label is offered to the label's bucket (its
  // subscriber sees the object leave).
  const api::Pod plain_a = Pod("a", {});
  index.Candidates(&web_a, &plain_a, c);
  EXPECT_THAT(c, ElementsAre(1, 2, 4));
  ASSERT_TRUE(index.Remove(4));
  EXPECT_FALSE(index.Remove(4));
  index.Candidates(nullptr, &web_a, c);
  EXPECT_THAT(c, ElementsAre(1, 2));
  for (uint64_t id : {1, 2, 3, 5, 6})
    ASSERT_TRUE(index.Remove(id));
  EXPECT_TRUE(index.empty());
  index.Candidates(nullptr, &db_b, c);
  EXPECT_THAT(c, IsEmpty());
}

}  // namespace
}  // namespace navarch::client
