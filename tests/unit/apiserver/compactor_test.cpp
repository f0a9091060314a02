// The store compactor over every Store implementation, driven by a manual
// clock: it compacts to the revision of one interval earlier, so watches
// from inside the window resume and older ones get kCompacted (410 at the
// REST layer), and its figures reach /metrics.
#include "core/apiserver/compactor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/apiserver/metrics.h"
#include "core/apiserver/rest.h"
#include "core/runtime/manual_clock.h"
#include "core/store/memory_store.h"
#include "core/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace navarch::apiserver {
namespace {

using ::testing::HasSubstr;

template <class T>
std::unique_ptr<store::Store> OpenStore(const std::string& dir);
template <>
std::unique_ptr<store::Store> OpenStore<store::MemoryStore>(const std::string&) {
  return std::make_unique<store::MemoryStore>();
}
template <>
std::unique_ptr<store::Store> OpenStore<store::SqliteStore>(const std::string& dir) {
  auto s = store::SqliteStore::Open(dir + "/state.db");
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(s).value() : nullptr;
}

template <class T>
class CompactorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenStore<T>(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  // `n` writes to one key; returns the revision of the last.
  store::Revision Write(int n) {
    for (int i = 0; i < n; ++i) {
      auto r = store_->Get("/k").ok() ? store_->Update("/k", std::to_string(i), 0)
                                      : store_->Create("/k", std::to_string(i));
      EXPECT_TRUE(r.ok()) << r.status();
    }
    return store_->CurrentRevision();
  }
  std::unique_ptr<Compactor> Make(Duration interval, store::Revision step = 10'000) {
    return std::make_unique<Compactor>(
        *store_, clock_, CompactorOptions{interval, step}, [this](const CompactionReport& r) {
          reports_.push_back(r);
          metrics_.ObserveCompaction(r.status.ok(), r.revision, r.removed);
        });
  }
  Code WatchFrom(store::Revision after) {
    return store_->Watch({.prefix = "/k", .after_revision = after}).code();
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  runtime::ManualClock clock_;
  Metrics metrics_;
  std::vector<CompactionReport> reports_;
};

using StoreTypes = ::testing::Types<store::MemoryStore, store::SqliteStore>;
TYPED_TEST_SUITE(CompactorTest, StoreTypes);

TYPED_TEST(CompactorTest, CompactsToTheRevisionOfOneIntervalAgo) {
  ASSERT_EQ(this->Write(5), 5);
  auto compactor = this->Make(minutes(5));
  compactor->Start();  // remembers 5
  ASSERT_EQ(this->Write(5), 10);
  this->clock_.Advance(minutes(5) - seconds(1));
  EXPECT_TRUE(this->reports_.empty());
  this->clock_.Advance(seconds(1));
  ASSERT_EQ(this->reports_.size(), 1u);
  EXPECT_TRUE(this->reports_[0].status.ok()) << this->reports_[0].status;
  EXPECT_EQ(this->reports_[0].revision, 5);
  EXPECT_EQ(this->reports_[0].removed, 4);  // revisions 1-4 of the one key
  EXPECT_EQ(this->store_->CompactedRevision(), 5);
  // A watch from inside the window resumes; from before it, it is gone.
  EXPECT_EQ(this->WatchFrom(5), Code::kOk);
  EXPECT_EQ(this->WatchFrom(9), Code::kOk);
  EXPECT_EQ(this->WatchFrom(4), Code::kCompacted);
  EXPECT_EQ(this->store_->Get("/k")->value, "4");

  // The next round compacts to what was current at the first (10).
  ASSERT_EQ(this->Write(2), 12);
  this->clock_.Advance(minutes(5));
  ASSERT_EQ(this->reports_.size(), 2u);
  EXPECT_EQ(this->reports_[1].revision, 10);
  EXPECT_EQ(this->reports_[1].removed, 5);
  EXPECT_EQ(this->WatchFrom(10), Code::kOk);
  EXPECT_EQ(this->WatchFrom(9), Code::kCompacted);

  // Idle: one more round catches up with 12, then nothing is left to do.
  this->clock_.Advance(minutes(5));
  this->clock_.Advance(minutes(5));
  ASSERT_EQ(this->reports_.size(), 3u);
  EXPECT_EQ(this->reports_[2].revision, 12);
  EXPECT_EQ(this->store_->Get("/k")->value, "1");

  const std::string text = this->metrics_.Render();
  EXPECT_THAT(text, HasSubstr("navarch_store_compactions_total{result=\"ok\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("navarch_store_compacted_revision 12\n"));
  EXPECT_THAT(text, HasSubstr("navarch_store_compaction_removed_versions_total 11\n"));

  // Stopped: no round runs again.
  compactor->Stop();
  this->Write(3);
  this->clock_.Advance(minutes(30));
  EXPECT_EQ(this->reports_.size(), 3u);
  EXPECT_EQ(this->store_->CompactedRevision(), 12);
}

TYPED_TEST(CompactorTest, CompactsInStepsThatLetTheLoopRunBetween) {
  ASSERT_EQ(this->Write(25), 25);
  // Each step is its own task on the loop: a task posted just before the
  // round starts runs between its first and second steps.
  std::vector<store::Revision> seen;
  this->clock_.At(this->clock_.Now() + minutes(5), [&] {
    this->clock_.Post([&] { seen.push_back(this->store_->CompactedRevision()); });
  });
  auto compactor = this->Make(minutes(5), /*step=*/10);
  compactor->Start();  // remembers 25
  this->Write(1);
  this->clock_.Advance(minutes(5));
  ASSERT_EQ(this->reports_.size(), 1u);
  EXPECT_EQ(this->reports_[0].revision, 25);
  EXPECT_EQ(this->reports_[0].steps, 3);     // to 10, 20, 25
  EXPECT_EQ(this->reports_[0].removed, 24);  // as one Compact(25) would
  EXPECT_EQ(seen, std::vector<store::Revision>{10});
  EXPECT_EQ(this->WatchFrom(25), Code::kOk);
  EXPECT_EQ(this->WatchFrom(24), Code::kCompacted);
}

TYPED_TEST(CompactorTest, ZeroIntervalDisablesCompaction) {
  this->Write(5);
  auto compactor = this->Make(Duration(0));
  compactor->Start();
  this->Write(5);
  this->clock_.Advance(minutes(60));
  EXPECT_TRUE(this->reports_.empty());
  EXPECT_EQ(this->store_->CompactedRevision(), 0);
  EXPECT_EQ(this->WatchFrom(1), Code::kOk);
}

TYPED_TEST(CompactorTest, DestroyingItCancelsTheNextRound) {
  this->Write(3);
  auto compactor = this->Make(minutes(1));
  compactor->Start();
  compactor.reset();
  this->Write(3);
  this->clock_.Advance(minutes(10));
  EXPECT_TRUE(this->reports_.empty());
}

// /metrics carries the compaction figures from the start, zero or not.
TEST(CompactionMetrics, AreRenderedAtStart) {
  Metrics metrics;
  metrics.SetCompactedRevision(42);
  const std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE navarch_store_compactions_total counter\n"));
  EXPECT_THAT(text, HasSubstr("navarch_store_compactions_total{result=\"error\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("navarch_store_compacted_revision 42\n"));
  metrics.ObserveCompaction(false, 50, 0);
  EXPECT_THAT(metrics.Render(), HasSubstr("navarch_store_compactions_total{result=\"error\"} 1\n"));
  EXPECT_THAT(metrics.Render(), HasSubstr("navarch_store_compacted_revision 42\n"));
}

}  // namespace
}  // namespace navarch::apiserver
