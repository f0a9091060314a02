// The Store conformance suite: one set of typed tests that every Store
// implementation must pass unchanged. Add an implementation by adding a
// StoreTraits specialisation and listing it in StoreTypes.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/store/memory_store.h"
#include "core/store/sqlite_store.h"
#include "core/store/store.h"
#include "tests/unit/store/store_test_util.h"

namespace navarch::store {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

template <class T>
struct StoreTraits;

template <>
struct StoreTraits<MemoryStore> {
  static constexpr bool kPersistent = false;
  static std::unique_ptr<Store> Open(const std::string&) { return std::make_unique<MemoryStore>(); }
};

template <>
struct StoreTraits<SqliteStore> {
  static constexpr bool kPersistent = true;
  static std::unique_ptr<Store> Open(const std::string& dir) {
    auto store = SqliteStore::Open(dir + "/state.db");
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }
};

template <class T>
class StoreConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = StoreTraits<T>::Open(dir_.path());
    ASSERT_NE(store_, nullptr);
  }

  Store& store() { return *store_; }

  // Closes and reopens a persistent store on the same database. Returns
  // false for stores whose contents do not outlive them.
  bool Reopen() {
    if (!StoreTraits<T>::kPersistent) return false;
    store_.reset();
    store_ = StoreTraits<T>::Open(dir_.path());
    return store_ != nullptr;
  }

  void DropStore() { store_.reset(); }

  KeyValue MustCreate(const std::string& key, const std::string& value) {
    auto r = store_->Create(key, value);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : KeyValue{};
  }
  KeyValue MustUpdate(const std::string& key, const std::string& value, Revision expected = 0) {
    auto r = store_->Update(key, value, expected);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : KeyValue{};
  }
  KeyValue MustDelete(const std::string& key, Revision expected = 0) {
    auto r = store_->Delete(key, expected);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : KeyValue{};
  }

  // Takes events until one at `revision` or later arrived (or a Next fails).
  static std::vector<Event> CollectUntil(Watcher& w, Revision revision) {
    std::vector<Event> out;
    while (out.empty() || out.back().revision() < revision) {
      auto batch = w.Next(milliseconds(10'000));
      if (!batch.ok() || batch->empty()) {
        ADD_FAILURE() << "watch stalled at " << (out.empty() ? 0 : out.back().revision())
                      << " waiting for " << revision << ": " << batch.status();
        break;
      }
      for (auto& e : *batch)
        out.push_back(std::move(e));
    }
    return out;
  }

  static std::vector<std::string> Keys(const ListResult& list) {
    std::vector<std::string> keys;
    for (const auto& kv : list.items)
      keys.push_back(kv.key);
    return keys;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

using StoreTypes = ::testing::Types<MemoryStore, SqliteStore>;
class StoreNames {
 public:
  template <class T>
  static std::string GetName(int) {
    if (std::is_same_v<T, MemoryStore>) return "Memory";
    return "Sqlite";
  }
};
TYPED_TEST_SUITE(StoreConformanceTest, StoreTypes, StoreNames);

// ---- CRUD and compare-and-swap --------------------------------------------

TYPED_TEST(StoreConformanceTest, EmptyStoreStartsAtRevisionZero) {
  EXPECT_EQ(this->store().CurrentRevision(), 0);
  EXPECT_EQ(this->store().CompactedRevision(), 0);
  auto list = this->store().List("", {});
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_TRUE(list->items.empty());
  EXPECT_EQ(list->revision, 0);
}

TYPED_TEST(StoreConformanceTest, CreateThenGet) {
  KeyValue created = this->MustCreate("/registry/pods/default/a", "v1");
  EXPECT_EQ(created.key, "/registry/pods/default/a");
  EXPECT_EQ(created.value, "v1");
  EXPECT_EQ(created.create_revision, 1);
  EXPECT_EQ(created.mod_revision, 1);
  auto got = this->store().Get("/registry/pods/default/a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value, "v1");
  EXPECT_EQ(got->create_revision, 1);
  EXPECT_EQ(got->mod_revision, 1);
  EXPECT_EQ(this->store().CurrentRevision(), 1);
}

TYPED_TEST(StoreConformanceTest, BinaryKeysAndValuesRoundTrip) {
  std::string key("/bin/\x00\xff\x01", 8);
  std::string value("\x00\x01\x02\xff", 4);
  this->MustCreate(key, value);
  this->MustCreate("/bin/empty", "");
  auto got = this->store().Get(key);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->value, value);
  auto empty = this->store().Get("/bin/empty");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(empty->value, "");
}

TYPED_TEST(StoreConformanceTest, CreateOfExistingKeyIsAlreadyExists) {
  this->MustCreate("/k", "v1");
  auto again = this->store().Create("/k", "v2");
  EXPECT_EQ(again.code(), Code::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("\"/k\" already exists"));
  EXPECT_THAT(again.status().message(), HasSubstr("created at revision 1"));
  EXPECT_EQ(this->store().Get("/k")->value, "v1");
  EXPECT_EQ(this->store().CurrentRevision(), 1) << "a failed write must not take a revision";
}

TYPED_TEST(StoreConformanceTest, MissingKeyIsNotFound) {
  auto get = this->store().Get("/missing");
  EXPECT_EQ(get.code(), Code::kNotFound);
  EXPECT_THAT(get.status().message(), HasSubstr("\"/missing\""));
  EXPECT_EQ(this->store().Update("/missing", "v", 0).code(), Code::kNotFound);
  EXPECT_EQ(this->store().Delete("/missing", 0).code(), Code::kNotFound);
  EXPECT_EQ(this->store().CurrentRevision(), 0);
}

TYPED_TEST(StoreConformanceTest, UpdateComparesModRevision) {
  KeyValue v1 = this->MustCreate("/k", "v1");
  KeyValue v2 = this->MustUpdate("/k", "v2", v1.mod_revision);
  EXPECT_EQ(v2.mod_revision, 2);
  EXPECT_EQ(v2.create_revision, 1);

  auto stale = this->store().Update("/k", "v3", v1.mod_revision);
  EXPECT_EQ(stale.code(), Code::kConflict);
  EXPECT_THAT(stale.status().message(), HasSubstr("expected revision 1, current revision 2"));
  EXPECT_EQ(this->store().Get("/k")->value, "v2");

  // 0 = unconditional.
  KeyValue v3 = this->MustUpdate("/k", "v3", 0);
  EXPECT_EQ(v3.mod_revision, 3);
  EXPECT_EQ(v3.create_revision, 1);
  EXPECT_EQ(this->store().CurrentRevision(), 3);
}

TYPED_TEST(StoreConformanceTest, DeleteComparesModRevisionAndReturnsDeletedValue) {
  KeyValue v1 = this->MustCreate("/k", "v1");
  this->MustUpdate("/k", "v2");
  auto stale = this->store().Delete("/k", v1.mod_revision);
  EXPECT_EQ(stale.code(), Code::kConflict);

  KeyValue deleted = this->MustDelete("/k", 2);
  EXPECT_EQ(deleted.value, "v2");
  EXPECT_EQ(deleted.mod_revision, 2);
  EXPECT_EQ(deleted.create_revision, 1);
  EXPECT_EQ(this->store().CurrentRevision(), 3);
  EXPECT_EQ(this->store().Get("/k").code(), Code::kNotFound);

  // A new incarnation has a new create_revision.
  KeyValue again = this->MustCreate("/k", "v3");
  EXPECT_EQ(again.create_revision, 4);
  EXPECT_EQ(again.mod_revision, 4);
}

TYPED_TEST(StoreConformanceTest, RevisionsAreGlobalAndDense) {
  std::vector<Revision> revs;
  revs.push_back(this->MustCreate("/a", "1").mod_revision);
  revs.push_back(this->MustCreate("/b", "1").mod_revision);
  EXPECT_FALSE(this->store().Create("/a", "x").ok());
  EXPECT_FALSE(this->store().Update("/b", "x", 99).ok());
  revs.push_back(this->MustUpdate("/a", "2").mod_revision);
  revs.push_back(this->MustDelete("/b").mod_revision + 2);  // delete returns the old kv
  EXPECT_EQ(revs, (std::vector<Revision>{1, 2, 3, 4}));
  EXPECT_EQ(this->store().CurrentRevision(), 4);
}

TYPED_TEST(StoreConformanceTest, CachedObjectIsHandedBack) {
  auto obj = std::make_shared<const std::string>("decoded");
  auto w = this->store().Watch({.prefix = "/c"});
  ASSERT_TRUE(w.ok()) << w.status();
  auto created = this->store().Create("/c", "raw", WriteOptions{.cached = obj});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->cached, obj);
  auto got = this->store().Get("/c");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->cached, obj);
  auto list = this->store().List("/c", {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].cached, obj);
  auto obj2 = std::make_shared<const std::string>("decoded2");
  ASSERT_TRUE(this->store().Update("/c", "raw2", 0, WriteOptions{.cached = obj2}).ok());
  auto events = this->CollectUntil(**w, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.cached, obj);
  EXPECT_EQ(events[1].kv.cached, obj2);
  EXPECT_EQ(events[1].prev.cached, obj);
}

TYPED_TEST(StoreConformanceTest, RememberKeepsADecodedFormOnlyForTheCurrentRevision) {
  const KeyValue a1 = this->MustCreate("/r/a", "a1");
  if (this->Reopen()) {
    EXPECT_EQ(this->store().Get("/r/a")->cached, nullptr) << "nothing decoded survives reopen";
  }
  auto first = std::make_shared<const std::string>("a1 decoded");
  this->store().Remember("/r/a", a1.mod_revision, first);
  EXPECT_EQ(this->store().Get("/r/a")->cached, first);
  EXPECT_EQ(this->store().List("/r/", {})->items.at(0).cached, first);
  // A second offer for the same revision replaces the first.
  auto other = std::make_shared<const std::string>("a1 decoded again");
  this->store().Remember("/r/a", a1.mod_revision, other);
  EXPECT_EQ(this->store().Get("/r/a")->cached, other);
  // An offer for a revision the key has moved past is dropped.
  const KeyValue a2 = this->MustUpdate("/r/a", "a2");
  this->store().Remember("/r/a", a1.mod_revision, std::make_shared<const std::string>("stale"));
  EXPECT_EQ(this->store().Get("/r/a")->cached, nullptr) << "the update supplied none";
  auto second = std::make_shared<const std::string>("a2 decoded");
  this->store().Remember("/r/a", a2.mod_revision, second);
  EXPECT_EQ(this->store().Get("/r/a")->cached, second);
  // Deleted and unknown keys take nothing, and nothing is created.
  this->MustDelete("/r/a");
  this->store().Remember("/r/a", a2.mod_revision, second);
  this->store().Remember("/r/none", 1, second);
  EXPECT_EQ(this->store().Get("/r/a").code(), Code::kNotFound);
  EXPECT_EQ(this->store().Get("/r/none").code(), Code::kNotFound);
}

// ---- List ------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, ListByPrefixIsSortedAndFiltered) {
  this->MustCreate("/registry/pods/ns/b", "b");
  this->MustCreate("/registry/pods/ns/a", "a");
  this->MustCreate("/registry/podsx/ns/c", "c");
  this->MustCreate("/registry/nodes/n1", "n");
  this->MustCreate("/registry/pods/other/z", "z");
  this->MustDelete("/registry/pods/other/z");

  auto pods = this->store().List("/registry/pods/", {});
  ASSERT_TRUE(pods.ok()) << pods.status();
  EXPECT_THAT(this->Keys(*pods),
              ::testing::ElementsAre("/registry/pods/ns/a", "/registry/pods/ns/b"));
  EXPECT_EQ(pods->revision, 6);
  EXPECT_FALSE(pods->more);
  EXPECT_EQ(pods->items[0].value, "a");
  EXPECT_EQ(pods->items[0].mod_revision, 2);

  auto all = this->store().List("", {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 4u);
  auto none = this->store().List("/nothing/", {});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->items.empty());
}

TYPED_TEST(StoreConformanceTest, ListAtPastRevision) {
  this->MustCreate("/p/a", "a1");  // 1
  this->MustCreate("/p/b", "b1");  // 2
  this->MustUpdate("/p/a", "a2");  // 3
  this->MustDelete("/p/b");        // 4
  this->MustCreate("/p/c", "c1");  // 5
  this->MustCreate("/p/b", "b2");  // 6
  auto at = [&](Revision rev) {
    auto list = this->store().List("/p/", {.at_revision = rev});
    EXPECT_TRUE(list.ok()) << list.status();
    std::vector<std::string> out;
    for (const auto& kv : list->items)
      out.push_back(kv.key + "=" + kv.value);
    EXPECT_EQ(list->revision, rev);
    return out;
  };
  EXPECT_THAT(at(1), ::testing::ElementsAre("/p/a=a1"));
  EXPECT_THAT(at(2), ::testing::ElementsAre("/p/a=a1", "/p/b=b1"));
  EXPECT_THAT(at(3), ::testing::ElementsAre("/p/a=a2", "/p/b=b1"));
  EXPECT_THAT(at(4), ::testing::ElementsAre("/p/a=a2"));
  EXPECT_THAT(at(5), ::testing::ElementsAre("/p/a=a2", "/p/c=c1"));
  EXPECT_THAT(at(6), ::testing::ElementsAre("/p/a=a2", "/p/b=b2", "/p/c=c1"));

  auto old = this->store().List("/p/", {.at_revision = 3});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->items[1].create_revision, 2);
  EXPECT_EQ(old->items[1].mod_revision, 2);
}

TYPED_TEST(StoreConformanceTest, ListPaginatesWithLimitAndStartAfter) {
  for (int i = 0; i < 7; ++i)
    this->MustCreate("/pg/" + std::to_string(i), "v");
  this->MustCreate("/pz", "outside");
  auto first = this->store().List("/pg/", {.limit = 3});
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(this->Keys(*first), ::testing::ElementsAre("/pg/0", "/pg/1", "/pg/2"));
  EXPECT_TRUE(first->more);
  // A write between pages must not show up: pages read at the first revision.
  this->MustCreate("/pg/10", "late");
  this->MustDelete("/pg/4");

  std::vector<std::string> all = this->Keys(*first);
  ListResult page = *first;
  while (page.more) {
    auto next = this->store().List(
        "/pg/", {.at_revision = first->revision, .limit = 3, .start_after = page.items.back().key});
    ASSERT_TRUE(next.ok()) << next.status();
    EXPECT_EQ(next->revision, first->revision);
    for (auto& k : this->Keys(*next))
      all.push_back(k);
    page = *next;
  }
  EXPECT_THAT(
      all, ::testing::ElementsAre("/pg/0", "/pg/1", "/pg/2", "/pg/3", "/pg/4", "/pg/5", "/pg/6"));
  // A limit that exactly fits reports no more.
  auto exact = this->store().List("/pg/", {.limit = 7});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), 7u);
  EXPECT_FALSE(exact->more);
  // Current-revision pages too.
  auto cur = this->store().List("/pg/", {.limit = 2, .start_after = "/pg/3"});
  ASSERT_TRUE(cur.ok());
  EXPECT_THAT(this->Keys(*cur), ::testing::ElementsAre("/pg/5", "/pg/6"));
  EXPECT_FALSE(cur->more);
}

// ---- Watch -------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, WatchDeliversEventsInOrderWithPrevValues) {
  auto w = this->store().Watch({.prefix = "/w/"});
  ASSERT_TRUE(w.ok()) << w.status();
  this->MustCreate("/w/a", "a1");      // 1
  this->MustCreate("/x/ignored", "");  // 2
  this->MustUpdate("/w/a", "a2");      // 3
  this->MustDelete("/w/a");            // 4
  this->MustCreate("/w/a", "a3");      // 5
  auto events = this->CollectUntil(**w, 5);
  ASSERT_EQ(events.size(), 4u);

  EXPECT_EQ(events[0].type, EventType::kPut);
  EXPECT_EQ(events[0].kv.value, "a1");
  EXPECT_EQ(events[0].revision(), 1);
  EXPECT_EQ(events[0].prev.mod_revision, 0) << "a create has no prev";

  EXPECT_EQ(events[1].type, EventType::kPut);
  EXPECT_EQ(events[1].kv.value, "a2");
  EXPECT_EQ(events[1].kv.create_revision, 1);
  EXPECT_EQ(events[1].prev.value, "a1");
  EXPECT_EQ(events[1].prev.mod_revision, 1);

  EXPECT_EQ(events[2].type, EventType::kDelete);
  EXPECT_EQ(events[2].kv.key, "/w/a");
  EXPECT_EQ(events[2].kv.value, "");
  EXPECT_EQ(events[2].kv.mod_revision, 4);
  EXPECT_EQ(events[2].kv.create_revision, 1);
  EXPECT_EQ(events[2].prev.value, "a2");
  EXPECT_EQ(events[2].prev.mod_revision, 3);

  EXPECT_EQ(events[3].type, EventType::kPut);
  EXPECT_EQ(events[3].kv.create_revision, 5);
  EXPECT_EQ(events[3].prev.mod_revision, 0) << "a create after a delete has no prev";
  EXPECT_TRUE((*w)->Poll().empty());
}

TYPED_TEST(StoreConformanceTest, WatchFromPastRevisionReplaysBacklog) {
  this->MustCreate("/r/a", "a1");  // 1
  this->MustUpdate("/r/a", "a2");  // 2
  this->MustCreate("/r/b", "b1");  // 3
  this->MustDelete("/r/a");        // 4
  auto w = this->store().Watch({.prefix = "/r/", .after_revision = 1});
  ASSERT_TRUE(w.ok()) << w.status();
  auto events = (*w)->Poll();
  ASSERT_EQ(events.size(), 3u) << "the backlog is queued when Watch returns";
  EXPECT_EQ(events[0].revision(), 2);
  EXPECT_EQ(events[0].prev.value, "a1");
  EXPECT_EQ(events[1].revision(), 3);
  EXPECT_EQ(events[2].revision(), 4);
  EXPECT_EQ(events[2].type, EventType::kDelete);
  EXPECT_EQ(events[2].prev.value, "a2");
  this->MustCreate("/r/c", "c1");
  auto live = this->CollectUntil(**w, 5);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].revision(), 5);
}

TYPED_TEST(StoreConformanceTest, WatchBacklogThenLiveWithoutGapsOrDuplicates) {
  for (int i = 0; i < 100; ++i)
    this->MustCreate("/g/" + std::to_string(i), "v");
  constexpr int kLive = 400;
  std::thread writer([&] {
    for (int i = 0; i < kLive; ++i)
      this->MustUpdate("/g/" + std::to_string(i % 100), "u");
  });
  // Start watching from an old revision while writes are going on.
  auto w = this->store().Watch({.prefix = "/g/", .after_revision = 10});
  ASSERT_TRUE(w.ok()) << w.status();
  writer.join();
  auto events = this->CollectUntil(**w, 100 + kLive);
  ASSERT_EQ(events.size(), static_cast<size_t>(100 + kLive - 10));
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].revision(), static_cast<Revision>(11 + i)) << "at index " << i;
  }
}

TYPED_TEST(StoreConformanceTest, WatchResumesFromRevision) {
  this->MustCreate("/s/a", "a1");
  this->MustCreate("/s/b", "b1");
  Revision seen = 0;
  {
    auto w = this->store().Watch({.prefix = "/s/"});
    ASSERT_TRUE(w.ok());
    this->MustUpdate("/s/a", "a2");  // 3
    seen = this->CollectUntil(**w, 3).back().revision();
  }
  this->MustUpdate("/s/b", "b2");  // 4, while nobody watches
  if (this->Reopen()) {
    EXPECT_EQ(this->store().CurrentRevision(), 4) << "revision survives reopen";
    EXPECT_EQ(this->store().Get("/s/b")->value, "b2");
  }
  this->MustDelete("/s/a");  // 5
  auto w = this->store().Watch({.prefix = "/s/", .after_revision = seen});
  ASSERT_TRUE(w.ok()) << w.status();
  auto events = this->CollectUntil(**w, 5);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].revision(), 4);
  EXPECT_EQ(events[0].kv.value, "b2");
  EXPECT_EQ(events[0].prev.value, "b1");
  EXPECT_EQ(events[1].revision(), 5);
  EXPECT_EQ(events[1].type, EventType::kDelete);
  EXPECT_EQ(events[1].prev.value, "a2");
}

TYPED_TEST(StoreConformanceTest, WatchesWithOverlappingPrefixesEachSeeTheirEvents) {
  auto all = this->store().Watch({.prefix = ""});
  auto pods = this->store().Watch({.prefix = "/registry/pods/"});
  auto ns = this->store().Watch({.prefix = "/registry/pods/ns1/"});
  auto ns_again = this->store().Watch({.prefix = "/registry/pods/ns1/"});
  ASSERT_TRUE(all.ok() && pods.ok() && ns.ok() && ns_again.ok());
  this->MustCreate("/registry/pods/ns1/a", "");
  this->MustCreate("/registry/pods/ns2/a", "");
  this->MustCreate("/registry/nodes/n", "");
  this->MustCreate("/registry/pods/ns1/b", "");
  EXPECT_EQ(this->CollectUntil(**all, 4).size(), 4u);
  EXPECT_EQ(this->CollectUntil(**pods, 4).size(), 3u);
  EXPECT_EQ(this->CollectUntil(**ns, 4).size(), 2u);
  ns->reset();  // dropping one watcher leaves the other on the same prefix
  this->MustCreate("/registry/pods/ns1/c", "");
  EXPECT_EQ(this->CollectUntil(**ns_again, 5).size(), 3u);
}

TYPED_TEST(StoreConformanceTest, NextTimesOutEmptyAndCancelUnblocksIt) {
  auto w = this->store().Watch({.prefix = "/q/"});
  ASSERT_TRUE(w.ok());
  auto empty = (*w)->Next(milliseconds(1));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_TRUE(empty->empty());

  Watcher* watcher = w->get();
  std::atomic<bool> entered{false};
  Result<std::vector<Event>> result = std::vector<Event>{};
  std::thread blocked([&] {
    entered = true;
    // Far longer than the test: it only returns early because of Cancel.
    result = watcher->Next(std::chrono::minutes(10));
  });
  while (!entered)
    std::this_thread::yield();
  watcher->Cancel();
  blocked.join();
  EXPECT_EQ(result.code(), Code::kCancelled);
  watcher->Cancel();  // idempotent
  EXPECT_EQ(watcher->Next(milliseconds(1)).code(), Code::kCancelled);
  // Writes after cancel are not delivered.
  this->MustCreate("/q/a", "");
  EXPECT_TRUE(watcher->Poll().empty());
}

TYPED_TEST(StoreConformanceTest, ClosingTheStoreEndsWatchesWithCancelled) {
  auto w = this->store().Watch({.prefix = ""});
  ASSERT_TRUE(w.ok());
  this->MustCreate("/z", "");
  this->DropStore();
  // Events queued before the store closed are still delivered, then kCancelled.
  auto last = (*w)->Next(milliseconds(1));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->size(), 1u);
  auto closed = (*w)->Next(milliseconds(1));
  EXPECT_EQ(closed.code(), Code::kCancelled);
  EXPECT_THAT(closed.status().message(), HasSubstr("store closed"));
}

TYPED_TEST(StoreConformanceTest, OnReadyFiresOnEmptyToNonEmptyWithoutStoreLocks) {
  std::atomic<int> calls{0};
  Store* store = &this->store();
  std::atomic<bool> store_usable_in_callback{true};
  auto w = store->Watch({.prefix = "/o/", .on_ready = [&] {
                           ++calls;
                           // No store lock is held: reading the store here must not deadlock.
                           if (store->CurrentRevision() <= 0) store_usable_in_callback = false;
                         }});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(calls, 0) << "no backlog, no callback";
  this->MustCreate("/o/a", "");
  EXPECT_EQ(calls, 1);
  this->MustCreate("/o/b", "");
  EXPECT_EQ(calls, 1) << "queue was already non-empty";
  this->MustCreate("/x/other", "");
  EXPECT_EQ(calls, 1) << "non-matching writes do not call it";
  EXPECT_EQ((*w)->Poll().size(), 2u);
  this->MustUpdate("/o/a", "x");
  EXPECT_EQ(calls, 2) << "drained queue became non-empty again";
  EXPECT_TRUE(store_usable_in_callback);

  (*w)->Cancel();
  this->MustUpdate("/o/a", "y");
  EXPECT_EQ(calls, 2) << "never called after Cancel returned";

  // A backlog queued by Watch itself calls on_ready once, before Watch returns.
  std::atomic<int> backlog_calls{0};
  auto w2 =
      store->Watch({.prefix = "/o/", .after_revision = 1, .on_ready = [&] { ++backlog_calls; }});
  ASSERT_TRUE(w2.ok());
  EXPECT_EQ(backlog_calls, 1);
  EXPECT_FALSE((*w2)->Poll().empty());
}

TYPED_TEST(StoreConformanceTest, OnReadyMayCancelItsOwnWatcher) {
  Watcher* self = nullptr;
  int calls = 0;
  auto w = this->store().Watch({.prefix = "", .on_ready = [&] {
                                  ++calls;
                                  self->Cancel();
                                }});
  ASSERT_TRUE(w.ok());
  self = w->get();
  this->MustCreate("/a", "");
  (*w)->Poll();
  this->MustCreate("/b", "");
  EXPECT_EQ(calls, 1);
}

// ---- Compaction ----------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, CompactionForgetsOldRevisionsWithClearErrors) {
  for (int i = 0; i < 5; ++i)
    this->MustCreate("/c/" + std::to_string(i), "v0");  // 1..5
  for (int i = 0; i < 5; ++i)
    this->MustUpdate("/c/" + std::to_string(i), "v1");  // 6..10
  this->MustDelete("/c/0");                             // 11
  this->MustUpdate("/c/1", "v2");                       // 12
  // Revisions 1-3 (/c/0, /c/1, /c/2 = v0) were superseded by 6-8.
  auto removed = this->store().Compact(8);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, 3);
  EXPECT_EQ(this->store().CompactedRevision(), 8);
  EXPECT_EQ(this->store().CurrentRevision(), 12);

  auto old = this->store().List("/c/", {.at_revision = 7});
  EXPECT_EQ(old.code(), Code::kCompacted);
  EXPECT_EQ(old.status().message(),
            "revision 7 has been compacted; the oldest available is 8: re-list and watch from "
            "the list's revision");
  auto old_watch = this->store().Watch({.prefix = "/c/", .after_revision = 3});
  EXPECT_EQ(old_watch.code(), Code::kCompacted);
  EXPECT_THAT(old_watch.status().message(), HasSubstr("revision 3 has been compacted"));

  // The state as of the compaction point is kept...
  auto at8 = this->store().List("/c/", {.at_revision = 8});
  ASSERT_TRUE(at8.ok()) << at8.status();
  std::vector<std::string> values;
  for (const auto& kv : at8->items)
    values.push_back(kv.key + "=" + kv.value);
  EXPECT_THAT(values,
              ::testing::ElementsAre("/c/0=v1", "/c/1=v1", "/c/2=v1", "/c/3=v0", "/c/4=v0"));
  // ...and every event after it, with prev values.
  auto w = this->store().Watch({.prefix = "/c/", .after_revision = 8});
  ASSERT_TRUE(w.ok()) << w.status();
  auto events = this->CollectUntil(**w, 12);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].revision(), 9);
  EXPECT_EQ(events[0].prev.value, "v0");
  EXPECT_EQ(events[2].type, EventType::kDelete);
  EXPECT_EQ(events[2].prev.value, "v1");
  EXPECT_EQ(events[3].prev.value, "v1");
  EXPECT_EQ(events[3].prev.mod_revision, 7);

  // Compacting backwards is a no-op; beyond current is an error.
  EXPECT_EQ(this->store().Compact(4).value_or(-1), 0);
  EXPECT_EQ(this->store().CompactedRevision(), 8);
  Status beyond = this->store().Compact(13).status();
  EXPECT_EQ(beyond.code(), Code::kInvalidArgument);
  EXPECT_EQ(beyond.message(), "cannot compact to revision 13: the current revision is 12");

  // Compacting everything keeps the live keys: 4 and 5 (/c/3, /c/4 = v0),
  // 6 and 7 (/c/0, /c/1 = v1) and the tombstone 11 go.
  EXPECT_EQ(this->store().Compact(12).value_or(-1), 5);
  auto now = this->store().List("/c/", {});
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->items.size(), 4u);
  EXPECT_EQ(this->store().Get("/c/1")->value, "v2");
  EXPECT_EQ(this->store().Get("/c/0").code(), Code::kNotFound);
  EXPECT_TRUE(this->store().Watch({.prefix = "/c/", .after_revision = 12}).ok());

  if (this->Reopen()) {
    EXPECT_EQ(this->store().CompactedRevision(), 12);
    EXPECT_EQ(this->store().CurrentRevision(), 12);
    EXPECT_EQ(this->store().List("/c/", {.at_revision = 11}).code(), Code::kCompacted);
    EXPECT_EQ(this->store().List("/c/", {})->items.size(), 4u);
  }
  // Writes continue at the next revision.
  EXPECT_EQ(this->MustCreate("/c/0", "again").mod_revision, 13);
}

TYPED_TEST(StoreConformanceTest, CompactionWhenNewestWriteIsADeleteKeepsTheRevision) {
  this->MustCreate("/d", "v");
  this->MustDelete("/d");
  ASSERT_TRUE(this->store().Compact(2).ok());
  EXPECT_EQ(this->store().CurrentRevision(), 2);
  if (this->Reopen()) {
    EXPECT_EQ(this->store().CurrentRevision(), 2);
  }
  EXPECT_EQ(this->MustCreate("/d", "v2").mod_revision, 3);
}

TYPED_TEST(StoreConformanceTest, CompactionBoundsTheHistoryOfAKeyWrittenOften) {
  // Issue 12: 20,000 patches to one pod left 19,055 rows. Compaction leaves
  // one version of the key however often it was written, and the window
  // after the compaction point intact.
  constexpr int kWrites = 300;
  this->MustCreate("/pod", "0");
  for (int i = 1; i <= kWrites; ++i)
    this->MustUpdate("/pod", std::to_string(i));  // revision i + 1 holds "i"
  const Revision last = kWrites + 1;
  auto removed = this->store().Compact(last - 10);
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, last - 11);  // every version before the state as of last - 10
  auto w = this->store().Watch({.prefix = "/pod", .after_revision = last - 10});
  ASSERT_TRUE(w.ok()) << w.status();
  auto events = this->CollectUntil(**w, last);
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events.front().prev.value, std::to_string(kWrites - 10));
  EXPECT_EQ(this->store().Watch({.prefix = "/pod", .after_revision = last - 11}).code(),
            Code::kCompacted);
  EXPECT_EQ(this->store().Compact(last).value_or(-1), 10);
  EXPECT_EQ(this->store().Get("/pod")->value, std::to_string(kWrites));
  if (this->Reopen()) {
    EXPECT_EQ(this->store().Get("/pod")->value, std::to_string(kWrites));
    EXPECT_EQ(this->store().Compact(last).value_or(-1), 0);
  }
}

// ---- Concurrency -------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, ConcurrentWritersGetUniqueDenseRevisionsSeenInOrder) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 150;
  auto w = this->store().Watch({.prefix = "/cc/"});
  ASSERT_TRUE(w.ok());
  std::mutex mu;
  std::vector<Revision> revisions;
  std::map<std::string, std::string> last_value;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string key = "/cc/" + std::to_string(t);
      std::vector<Revision> mine;
      Revision mod = 0;
      for (int i = 0; i < kPerThread; ++i) {
        std::string value = std::to_string(t) + ":" + std::to_string(i);
        auto r = i == 0 ? this->store().Create(key, value)
                        : this->store().Update(key, value, mod);  // own key: never conflicts
        ASSERT_TRUE(r.ok()) << r.status();
        mod = r->mod_revision;
        mine.push_back(mod);
        // A shared key contended by every thread: conflicts are normal results.
        auto shared = this->store().Get("/cc/shared");
        Revision expected = shared.ok() ? shared->mod_revision : 0;
        auto c = shared.ok() ? this->store().Update("/cc/shared", value, expected)
                             : this->store().Create("/cc/shared", value);
        if (c.ok()) {
          mine.push_back(c->mod_revision);
        } else {
          ASSERT_TRUE(c.code() == Code::kConflict || c.code() == Code::kAlreadyExists)
              << c.status();
        }
      }
      std::lock_guard lock(mu);
      last_value[key] = std::to_string(t) + ":" + std::to_string(kPerThread - 1);
      revisions.insert(revisions.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads)
    t.join();

  std::sort(revisions.begin(), revisions.end());
  ASSERT_EQ(revisions.size(), static_cast<size_t>(this->store().CurrentRevision()));
  for (size_t i = 0; i < revisions.size(); ++i) {
    ASSERT_EQ(revisions[i], static_cast<Revision>(i + 1)) << "revisions must be unique and dense";
  }
  auto events = this->CollectUntil(**w, this->store().CurrentRevision());
  ASSERT_EQ(events.size(), revisions.size());
  std::map<std::string, Revision> last_mod;
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].revision(), static_cast<Revision>(i + 1));
    // Each event's prev is the key's previous event.
    auto& prev = last_mod[events[i].kv.key];
    ASSERT_EQ(events[i].prev.mod_revision, prev);
    prev = events[i].revision();
  }
  for (const auto& [key, value] : last_value)
    EXPECT_EQ(this->store().Get(key)->value, value);
}

// ---- Bad input -------------------------------------------------------------------

TYPED_TEST(StoreConformanceTest, EmptyKeyIsInvalidArgument) {
  for (auto r : {this->store().Get(""), this->store().Create("", "v"),
                 this->store().Update("", "v", 0), this->store().Delete("", 0)}) {
    EXPECT_EQ(r.code(), Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("empty key"));
  }
  EXPECT_EQ(this->store().CurrentRevision(), 0);
}

TYPED_TEST(StoreConformanceTest, FutureAndNegativeRevisionsAreInvalidArgument) {
  this->MustCreate("/f", "");
  auto list = this->store().List("", {.at_revision = 5});
  EXPECT_EQ(list.code(), Code::kInvalidArgument);
  EXPECT_EQ(list.status().message(), "revision 5 is in the future; the current revision is 1");
  auto watch = this->store().Watch({.after_revision = 2});
  EXPECT_EQ(watch.code(), Code::kInvalidArgument);
  EXPECT_THAT(watch.status().message(), HasSubstr("revision 2 is in the future"));
  EXPECT_EQ(this->store().List("", {.at_revision = -1}).code(), Code::kInvalidArgument);
  auto limit = this->store().List("", {.limit = -3});
  EXPECT_EQ(limit.code(), Code::kInvalidArgument);
  EXPECT_THAT(limit.status().message(), HasSubstr("limit must not be negative"));
  EXPECT_EQ(this->store().Update("/f", "", -1).code(), Code::kInvalidArgument);
  EXPECT_EQ(this->store().Watch({.after_revision = -1}).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace navarch::store
