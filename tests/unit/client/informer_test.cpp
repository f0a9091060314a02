#include "core/client/informer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/client/api_wrapper.h"
#include "tests/unit/client/client_test_util.h"

namespace navarch::client {
namespace {

using api::Pod;
using ::testing::ElementsAre;
using testing::MakePod;

// Records handler calls as "add a", "update a", "delete a".
struct Log {
  std::vector<std::string> lines;
  InformerHandlers Handlers() {
    return InformerHandlers{
        .on_add = [this](const ObjectPtr& o) { lines.push_back("add " + api::KeyOf(*o)); },
        .on_update =
            [this](const ObjectPtr& old, const ObjectPtr& o) {
              EXPECT_EQ(api::KeyOf(*old), api::KeyOf(*o));
              lines.push_back("update " + api::KeyOf(*o));
            },
        .on_delete = [this](const ObjectPtr& o) { lines.push_back("delete " + api::KeyOf(*o)); },
    };
  }
};

std::vector<std::string> Names(const std::vector<ObjectPtr>& objs) {
  std::vector<std::string> out;
  for (const auto& o : objs)
    out.push_back(o->metadata.name);
  return out;
}

class InformerTest : public testing::ApiTest {};

TEST_F(InformerTest, SyncsFromAListThenFollowsTheWatch) {
  MustCreate(MakePod("default", "b"));
  MustCreate(MakePod("default", "a"));
  Informer inf(api_, clock_, api::Kind::kPod);
  Log log;
  inf.AddHandlers(log.Handlers());
  EXPECT_FALSE(inf.HasSynced());
  ASSERT_TRUE(inf.Start().ok());
  EXPECT_TRUE(inf.HasSynced());
  EXPECT_THAT(log.lines, ElementsAre("add default/a", "add default/b"));
  EXPECT_THAT(Names(inf.List()), ElementsAre("a", "b"));

  MustCreate(MakePod("default", "c"));
  auto a = api_.Get<Pod>("default", "a");
  Pod p = **a;
  p.metadata.labels["x"] = "1";
  ASSERT_TRUE(api_.Update(p).ok());
  ASSERT_TRUE(api_.Delete<Pod>("default", "b").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(log.lines, ElementsAre("add default/a", "add default/b", "add default/c",
                                     "update default/a", "delete default/b"));
  EXPECT_THAT(Names(inf.List()), ElementsAre("a", "c"));
  ASSERT_TRUE(inf.Get("default", "a"));
  EXPECT_EQ(inf.Get("default", "a")->metadata.labels.at("x"), "1");
  EXPECT_EQ(inf.LastResourceVersion(), std::to_string(store_.CurrentRevision()));
}

TEST_F(InformerTest, BuiltInAndUserIndexes) {
  MustCreate(MakePod("default", "a", {{"app", "web"}}, "n1"));
  MustCreate(MakePod("default", "b", {{"app", "db"}}, "n1"));
  MustCreate(MakePod("default", "c", {{"app", "web"}}));
  Informer inf(api_, clock_, api::Kind::kPod);
  ASSERT_TRUE(inf.Start().ok());
  ASSERT_TRUE(inf.AddIndex("app",
                           [](const api::Object& o) {
                             auto it = o.metadata.labels.find("app");
                             return it == o.metadata.labels.end()
                                        ? std::vector<std::string>{}
                                        : std::vector<std::string>{it->second};
                           })
                  .ok());
  EXPECT_EQ(inf.AddIndex("app", nullptr).code(), Code::kAlreadyExists);

  EXPECT_THAT(Names(inf.ByIndex(kIndexNodeName, "n1")), ElementsAre("a", "b"));
  EXPECT_THAT(Names(inf.ByIndex(kIndexNodeName, "")), ElementsAre("c"));
  EXPECT_THAT(Names(inf.ByIndex(kIndexNamespace, "default")), ElementsAre("a", "b", "c"));
  EXPECT_THAT(Names(inf.ByIndex("app", "web")), ElementsAre("a", "c"));
  EXPECT_TRUE(inf.ByIndex("no-such-index", "x").empty());

  // Indexes follow updates and deletes.
  auto c = api_.Get<Pod>("default", "c");
  ASSERT_TRUE(api_.Bind(*c, "n2").ok());
  c = api_.Get<Pod>("default", "c");
  Pod p = **c;
  p.metadata.labels["app"] = "db";
  ASSERT_TRUE(api_.Update(p).ok());
  ASSERT_TRUE(api_.Delete<Pod>("default", "b", {.grace_period_seconds = 0}).ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(Names(inf.ByIndex(kIndexNodeName, "n1")), ElementsAre("a"));
  EXPECT_THAT(Names(inf.ByIndex(kIndexNodeName, "n2")), ElementsAre("c"));
  EXPECT_TRUE(inf.ByIndex(kIndexNodeName, "").empty());
  EXPECT_THAT(Names(inf.ByIndex("app", "db")), ElementsAre("c"));
  EXPECT_THAT(Names(inf.ByIndex("app", "web")), ElementsAre("a"));
}

TEST_F(InformerTest, NodeScopedInformerSeesPodsBoundToItsNode) {
  MustCreate(MakePod("default", "a", {}, "n1"));
  MustCreate(MakePod("default", "b", {}, "n2"));
  Informer inf(api_, clock_, api::Kind::kPod, InformerOptions{.node_name = "n1"});
  Log log;
  inf.AddHandlers(log.Handlers());
  ASSERT_TRUE(inf.Start().ok());
  MustCreate(MakePod("default", "c"));
  auto c = api_.Get<Pod>("default", "c");
  ASSERT_TRUE(api_.Bind(*c, "n1").ok());
  clock_.RunUntilIdle();
  EXPECT_THAT(log.lines, ElementsAre("add default/a", "add default/c"));
}

// An Api wrapper that can cut the watch (events are dropped, as if the
// watch had fallen behind) and then end it with an error.
class LossyApi final : public ApiWrapper {
 public:
  explicit LossyApi(Api& inner) : ApiWrapper(inner) {}
  using Api::List;

  Result<ObjectList> List(Kind k, const ListOptions& o) override {
    ++lists;
    if (fail_lists > 0) {
      --fail_lists;
      return Unavailable("store unreachable (test)");
    }
    return inner().List(k, o);
  }
  Result<std::unique_ptr<WatchHandle>> Watch(Kind k, const WatchOptions& o,
                                             WatchHandler h) override {
    handler_ = h;
    return inner().Watch(k, o, [this, h](const WatchEvent& ev) {
      if (!dropping) h(ev);
    });
  }
  // Delivers a kError to the latest watch's handler (as the loop would).
  void Fail(Status status) {
    WatchEvent ev;
    ev.type = WatchEvent::Type::kError;
    ev.error = std::move(status);
    handler_(ev);
  }

  bool dropping = false;
  int fail_lists = 0;
  int lists = 0;

 private:
  WatchHandler handler_;
};

TEST_F(InformerTest, RelistAfterCompactionEmitsTheMissedChanges) {
  MustCreate(MakePod("default", "keep"));
  MustCreate(MakePod("default", "change"));
  MustCreate(MakePod("default", "remove"));
  LossyApi lossy(api_);
  Informer inf(lossy, clock_, api::Kind::kPod);
  Log log;
  inf.AddHandlers(log.Handlers());
  ASSERT_TRUE(inf.Start().ok());
  log.lines.clear();

  lossy.dropping = true;
  MustCreate(MakePod("default", "new"));
  auto c = api_.Get<Pod>("default", "change");
  Pod p = **c;
  p.metadata.labels["v"] = "2";
  ASSERT_TRUE(api_.Update(p).ok());
  ASSERT_TRUE(api_.Delete<Pod>("default", "remove").ok());
  clock_.RunUntilIdle();
  EXPECT_TRUE(log.lines.empty());
  EXPECT_THAT(Names(inf.List()), ElementsAre("change", "keep", "remove"));  // stale

  lossy.dropping = false;
  lossy.Fail(Compacted("watch fell behind (test)"));
  clock_.RunUntilIdle();
  EXPECT_EQ(inf.Relists(), 1u);
  EXPECT_THAT(log.lines,
              ElementsAre("update default/change", "add default/new", "delete default/remove"));
  EXPECT_THAT(Names(inf.List()), ElementsAre("change", "keep", "new"));

  // And the new watch is live.
  MustCreate(MakePod("default", "later"));
  clock_.RunUntilIdle();
  EXPECT_EQ(log.lines.back(), "add default/later");
}

TEST_F(InformerTest, FailedRelistIsRetriedAfterABackoff) {
  LossyApi lossy(api_);
  Informer inf(lossy, clock_, api::Kind::kPod, InformerOptions{.relist_backoff = seconds(2)});
  ASSERT_TRUE(inf.Start().ok());
  EXPECT_EQ(lossy.lists, 1);

  lossy.fail_lists = 1;
  MustCreate(MakePod("default", "a"));
  lossy.dropping = true;
  clock_.RunUntilIdle();
  lossy.dropping = false;
  lossy.Fail(Compacted("test"));
  clock_.RunUntilIdle();
  EXPECT_EQ(lossy.lists, 2);  // failed
  EXPECT_EQ(inf.Size(), 0u);
  clock_.Advance(seconds(2));
  EXPECT_EQ(lossy.lists, 3);
  EXPECT_EQ(inf.Size(), 1u);
}

TEST_F(InformerTest, StartReturnsListErrors) {
  LossyApi lossy(api_);
  lossy.fail_lists = 1;
  Informer inf(lossy, clock_, api::Kind::kPod);
  EXPECT_EQ(inf.Start().code(), Code::kUnavailable);
  EXPECT_FALSE(inf.HasSynced());
  EXPECT_TRUE(inf.Start().ok());
  EXPECT_TRUE(inf.HasSynced());
}

TEST_F(InformerTest, DestroyedInformerGetsNoMoreCallbacks) {
  Log log;
  {
    Informer inf(api_, clock_, api::Kind::kPod);
    inf.AddHandlers(log.Handlers());
    ASSERT_TRUE(inf.Start().ok());
    MustCreate(MakePod("default", "a"));
  }
  clock_.RunUntilIdle();
  EXPECT_TRUE(log.lines.empty());
}

}  // namespace
}  // namespace navarch::client
