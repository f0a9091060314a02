// SqliteStore behaviour beyond the conformance suite: opening, locking,
// schema versions, bad files, group commit, and OpenStore URL parsing.

#include "core/store/sqlite_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/store/memory_store.h"
#include "core/store/store.h"
#include "tests/unit/store/store_test_util.h"

namespace navarch::store {
namespace {

using ::testing::HasSubstr;

// Runs SQL on a database with the plain SQLite API (to fake other writers).
void RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST(SqliteStoreTest, ReopenKeepsKeysRevisionsAndHistory) {
  testing::TempDir dir;
  std::string path = dir.File("state.db");
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Create("/a", "1").ok());
    ASSERT_TRUE((*store)->Create("/b", "1").ok());
    ASSERT_TRUE((*store)->Update("/a", "2", 1).ok());
    ASSERT_TRUE((*store)->Delete("/b", 2).ok());
    EXPECT_EQ((*store)->Describe(), "sqlite:" + path);
  }
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->CurrentRevision(), 4);
  auto a = (*store)->Get("/a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value, "2");
  EXPECT_EQ(a->create_revision, 1);
  EXPECT_EQ(a->mod_revision, 3);
  EXPECT_EQ((*store)->Get("/b").code(), Code::kNotFound);
  auto at2 = (*store)->List("/", {.at_revision = 2});
  ASSERT_TRUE(at2.ok());
  EXPECT_EQ(at2->items.size(), 2u);
  // CAS against the revision read before the restart still works.
  EXPECT_TRUE((*store)->Update("/a", "3", 3).ok());
}

TEST(SqliteStoreTest, SecondOpenerIsUnavailableUntilTheFirstCloses) {
  testing::TempDir dir;
  std::string path = dir.File("state.db");
  auto first = SqliteStore::Open(path);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = SqliteStore::Open(path);
  EXPECT_EQ(second.code(), Code::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(path));
  EXPECT_THAT(second.status().message(), HasSubstr("already open"));
  first->reset();
  EXPECT_TRUE(SqliteStore::Open(path).ok());
}

TEST(SqliteStoreTest, UnwritablePathNamesPathAndOsError) {
  auto store = SqliteStore::Open("/nonexistent-navarch-dir/sub/state.db");
  EXPECT_EQ(store.code(), Code::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("/nonexistent-navarch-dir/sub/state.db"));
  EXPECT_THAT(store.status().message(), HasSubstr("No such file or directory"));
}

TEST(SqliteStoreTest, FileThatIsNotADatabaseIsAClearError) {
  testing::TempDir dir;
  std::string path = dir.File("garbage.db");
  {
    std::ofstream out(path);
    for (int i = 0; i < 200; ++i)
      out << "this is not a SQLite database, just some text\n";
  }
  auto store = SqliteStore::Open(path);
  EXPECT_EQ(store.code(), Code::kInternal);
  EXPECT_THAT(store.status().message(), HasSubstr(path));
  EXPECT_THAT(store.status().message(), HasSubstr("not a database"));
}

TEST(SqliteStoreTest, NewerSchemaVersionIsRefused) {
  testing::TempDir dir;
  std::string path = dir.File("state.db");
  { ASSERT_TRUE(SqliteStore::Open(path).ok()); }
  RawSql(path, "PRAGMA user_version = 7");
  auto store = SqliteStore::Open(path);
  EXPECT_EQ(store.code(), Code::kNotSupported);
  EXPECT_THAT(store.status().message(), HasSubstr("schema version 7 is newer"));
  EXPECT_THAT(store.status().message(), HasSubstr(path));
}

TEST(SqliteStoreTest, ForeignSqliteDatabaseIsRefused) {
  testing::TempDir dir;
  std::string path = dir.File("other.db");
  RawSql(path, "CREATE TABLE t (x INTEGER)");
  auto store = SqliteStore::Open(path);
  EXPECT_EQ(store.code(), Code::kInvalidArgument);
  EXPECT_THAT(store.status().message(), HasSubstr("not a navarch store"));
}

TEST(SqliteStoreTest, DamagedRevisionLogIsReportedOnWatch) {
  testing::TempDir dir;
  std::string path = dir.File("state.db");
  {
    auto store = SqliteStore::Open(path);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE((*store)->Create("/k" + std::to_string(i), "v").ok());
  }
  RawSql(path, "DELETE FROM log WHERE revision = 3");
  auto store = SqliteStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  auto w = (*store)->Watch({.after_revision = 1});
  EXPECT_EQ(w.code(), Code::kInternal);
  EXPECT_THAT(w.status().message(), HasSubstr("missing revision 3"));
}

TEST(SqliteStoreTest, OldBacklogIsReadFromTheLogTable) {
  testing::TempDir dir;
  // A tiny ring forces the backlog through the log table.
  auto store = SqliteStore::Open(dir.File("state.db"), {.recent_events = 2});
  ASSERT_TRUE(store.ok());
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE((*store)->Create("/k/" + std::to_string(i), std::to_string(i)).ok());
  }
  ASSERT_TRUE((*store)->Update("/k/0", "x", 0).ok());  // 7
  ASSERT_TRUE((*store)->Delete("/k/1", 0).ok());       // 8
  auto w = (*store)->Watch({.prefix = "/k/", .after_revision = 4});
  ASSERT_TRUE(w.ok()) << w.status();
  auto events = (*w)->Poll();
  ASSERT_EQ(events.size(), 4u);
  for (size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].revision(), Revision(5 + i));
  EXPECT_EQ(events[2].prev.value, "0");
  EXPECT_EQ(events[3].type, EventType::kDelete);
  EXPECT_EQ(events[3].prev.value, "1");
  EXPECT_EQ(events[3].kv.create_revision, 2);
}

// Restores the process umask on scope exit.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }

 private:
  mode_t old_;
};

mode_t ModeOf(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(SqliteStoreTest, DataFilesArePrivateWhateverTheUmask) {
  testing::TempDir dir;
  ScopedUmask open_umask(0);  // anything the store leaves to the umask shows as 0666/0644
  const std::string db = dir.File("state.db");
  auto store = SqliteStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->Create("/k", "secret").ok());
  for (const std::string& path : {db, db + "-wal", db + "-shm"}) {
    EXPECT_EQ(ModeOf(path), 0600u) << path;
  }
}

TEST(SqliteStoreTest, OpenMakesFilesLeftByAnEarlierRunPrivate) {
  testing::TempDir dir;
  ScopedUmask open_umask(0);
  const std::string db = dir.File("state.db");
  {
    auto store = SqliteStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Create("/k", "v").ok());
  }
  // As an earlier version (or a crash) left them.
  ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string side = db + suffix;
    if (::access(side.c_str(), F_OK) != 0) std::ofstream(side).flush();
    ASSERT_EQ(::chmod(side.c_str(), 0666), 0);
  }
  auto store = SqliteStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Get("/k")->value, "v");
  for (const std::string& path : {db, db + "-wal", db + "-shm"}) {
    EXPECT_EQ(ModeOf(path), 0600u) << path;
  }
}

TEST(SqliteStoreTest, CompactionDeletesTheRowsOfSupersededVersions) {
  testing::TempDir dir;
  const std::string db = dir.File("state.db");
  auto store = SqliteStore::Open(db);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->Create("/pod", "0").ok());
  for (int i = 1; i <= 200; ++i)
    ASSERT_TRUE((*store)->Update("/pod", std::to_string(i), 0).ok());
  auto rows = [&] {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw, "SELECT COUNT(*) FROM log", -1, &stmt, nullptr);
    int64_t n = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return n;
  };
  EXPECT_EQ(rows(), 201);
  EXPECT_EQ((*store)->Compact((*store)->CurrentRevision()).value_or(-1), 200);
  EXPECT_EQ(rows(), 1);
}

// Writers that arrive while a transaction commits are committed together.
TEST(SqliteStoreTest, ConcurrentWritersShareOneCommit) {
  testing::TempDir dir;
  auto opened = SqliteStore::Open(dir.File("state.db"));
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  constexpr int kFollowers = 5;
  std::atomic<bool> first_call{true};
  // on_ready runs on the committing writer's thread before it hands over the
  // queue: holding it there until the followers queued makes them one batch.
  auto w = store.Watch({.prefix = "", .on_ready = [&] {
                          if (!first_call.exchange(false)) return;
                          while (store.QueuedWrites() < 1 + kFollowers)
                            std::this_thread::yield();
                        }});
  ASSERT_TRUE(w.ok());
  std::thread leader([&] { ASSERT_TRUE(store.Create("/leader", "").ok()); });
  while (first_call)
    std::this_thread::yield();
  std::vector<std::thread> followers;
  for (int i = 0; i < kFollowers; ++i) {
    followers.emplace_back(
        [&, i] { ASSERT_TRUE(store.Create("/f" + std::to_string(i), "").ok()); });
  }
  leader.join();
  for (auto& t : followers)
    t.join();
  EXPECT_EQ(store.CurrentRevision(), 1 + kFollowers);
  EXPECT_EQ(store.CommitCount(), 2) << "the followers were committed in one transaction";
}

TEST(SqliteStoreTest, FailingWriteInABatchDoesNotAffectTheOthers) {
  testing::TempDir dir;
  auto opened = SqliteStore::Open(dir.File("state.db"));
  ASSERT_TRUE(opened.ok());
  SqliteStore& store = **opened;
  ASSERT_TRUE(store.Create("/dup", "").ok());
  std::atomic<bool> first_call{true};
  auto w = store.Watch({.prefix = "", .on_ready = [&] {
                          if (!first_call.exchange(false)) return;
                          while (store.QueuedWrites() < 4)
                            std::this_thread::yield();
                        }});
  ASSERT_TRUE(w.ok());
  std::thread leader([&] { ASSERT_TRUE(store.Create("/leader", "").ok()); });
  while (first_call)
    std::this_thread::yield();
  Result<KeyValue> dup = KeyValue{}, x1 = KeyValue{}, x2 = KeyValue{};
  std::thread t1([&] { dup = store.Create("/dup", ""); });
  std::thread t2([&] { x1 = store.Create("/x", "1"); });
  std::thread t3([&] { x2 = store.Create("/x", "2"); });
  leader.join();
  t1.join();
  t2.join();
  t3.join();
  EXPECT_EQ(dup.code(), Code::kAlreadyExists);
  // Exactly one of the two creates of /x wins, within the same batch.
  EXPECT_NE(x1.ok(), x2.ok());
  EXPECT_EQ(store.CurrentRevision(), 3);
  EXPECT_EQ(store.CommitCount(), 3);
}

TEST(OpenStoreTest, AcceptsMemoryAndSqliteUrls) {
  auto memory = OpenStore("memory:");
  ASSERT_TRUE(memory.ok()) << memory.status();
  EXPECT_EQ((*memory)->Describe(), "memory");

  testing::TempDir dir;
  auto sqlite = OpenStore("sqlite:" + dir.File("a.db"));
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  EXPECT_EQ((*sqlite)->Describe(), "sqlite:" + dir.File("a.db"));
  auto normal = OpenStore("sqlite:" + dir.File("b.db") + "?sync=normal");
  ASSERT_TRUE(normal.ok()) << normal.status();
  EXPECT_EQ((*normal)->Describe(), "sqlite:" + dir.File("b.db"));
  EXPECT_TRUE(OpenStore("sqlite:" + dir.File("c.db") + "?sync=full").ok());
}

TEST(OpenStoreTest, RejectsBadUrlsWithMessages) {
  auto unknown = OpenStore("etcd3://localhost:2379");
  EXPECT_EQ(unknown.code(), Code::kInvalidArgument);
  EXPECT_THAT(unknown.status().message(), HasSubstr("etcd3://localhost:2379"));
  EXPECT_THAT(unknown.status().message(), HasSubstr("\"memory:\""));
  EXPECT_THAT(unknown.status().message(), HasSubstr("sqlite:PATH"));

  auto no_path = OpenStore("sqlite:");
  EXPECT_EQ(no_path.code(), Code::kInvalidArgument);
  EXPECT_THAT(no_path.status().message(), HasSubstr("missing database path"));

  auto bad_sync = OpenStore("sqlite:/tmp/x.db?sync=sometimes");
  EXPECT_EQ(bad_sync.code(), Code::kInvalidArgument);
  EXPECT_THAT(bad_sync.status().message(), HasSubstr("sync must be full or normal"));

  auto bad_param = OpenStore("sqlite:/tmp/x.db?cache=big");
  EXPECT_EQ(bad_param.code(), Code::kInvalidArgument);
  EXPECT_THAT(bad_param.status().message(), HasSubstr("unknown parameter \"cache\""));

  auto unwritable = OpenStore("sqlite:/nonexistent-navarch-dir/state.db");
  EXPECT_EQ(unwritable.code(), Code::kUnavailable);
  EXPECT_THAT(unwritable.status().message(), HasSubstr("/nonexistent-navarch-dir/state.db"));
}

TEST(MemoryStoreTest, RetainRevisionsBoundsHistory) {
  MemoryStore store({.retain_revisions = 10});
  for (int i = 0; i < 100; ++i) {
    auto r = i == 0 ? store.Create("/k", "0") : store.Update("/k", std::to_string(i), 0);
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(store.CurrentRevision(), 100);
  EXPECT_GE(store.CompactedRevision(), 80);
  EXPECT_LE(store.CompactedRevision(), 90) << "at least 10 revisions stay available";
  auto w = store.Watch({.prefix = "", .after_revision = 90});
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->Poll().size(), 10u);
  EXPECT_EQ(store.List("", {.at_revision = 79}).code(), Code::kCompacted);
}

}  // namespace
}  // namespace navarch::store
