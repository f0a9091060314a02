#pragma once
// SqliteStore: the embedded, durable Store (the production default).
//
// On disk. One SQLite database in WAL mode holding an append-only revision
// log, one row per write (schema version 1, recorded in PRAGMA user_version):
//
//   log(revision INTEGER PRIMARY KEY, key BLOB, deleted INTEGER,
//       create_revision INTEGER, prev_revision INTEGER, value BLOB)
//   meta(name TEXT PRIMARY KEY, value INTEGER)      -- "compacted"
//
// The state of a key at revision R is its newest row with revision <= R (a
// row with deleted = 1 is a tombstone). `prev_revision` links a row to the
// key's previous row, which gives watch events their prev values. Compact(R)
// deletes the rows superseded at or before R and the tombstones at or before
// R, so the state as of R and every event after R stay readable; watches can
// resume, even after a restart, from any revision not compacted.
//
// In memory. The live keys (key, revisions, value, cached object) and a ring
// of the most recent events. Get, List at the current revision, CAS checks
// and most watch backlogs never touch the disk; List at a past revision and
// backlogs older than the ring read the log table. The cost is holding every
// live value in memory once, which a control-plane store can afford (the API
// layer's caches hold the same objects).
//
// Writes and group commit. Writers queue up; the writer at the head of the
// queue becomes the leader, validates the whole queue (up to
// `max_batch_writes`) against the live state, writes all of it in one
// transaction, commits, then applies it to memory and publishes the watch
// events, and wakes the other writers with their results. While it commits,
// new writers queue behind it and form the next batch. A write is
// acknowledged only after its transaction committed. If the commit fails,
// every write of that batch fails with kUnavailable and nothing is applied.
//
// Durability. See SqliteStoreOptions::sync.
//
// File modes. The database and its -wal and -shm files hold every object,
// kubelet log tokens among them: they are the owner's alone, mode
// 0600 whatever the umask. Open creates the database 0600 and sets 0600 on
// an existing database and on -wal/-shm files left by an earlier run;
// SQLite creates new -wal/-shm files with the database's mode.
//
// One process at a time. Open takes an exclusive advisory lock (flock) on the
// database file and keeps it until the store is destroyed; a second opener,
// in this or another process, gets kUnavailable naming the path. The lock dies
// with the process, so a crashed owner never blocks a restart.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/store/store.h"

struct sqlite3;

namespace navarch::store {

class WatchHub;

struct SqliteStoreOptions {
  enum class Sync {
    // fsync the WAL on every commit (one fsync per group-committed batch). An
    // acknowledged write survives kill -9, an OS crash and power loss.
    kFull,
    // No fsync on commit: the WAL write reaches the OS page cache before the
    // commit returns, so an acknowledged write survives kill -9 of this
    // process, but the last commits may be lost on an OS crash or power loss.
    kNormal,
  };
  Sync sync = Sync::kFull;
  // How many recent events are kept in memory to serve watch backlogs
  // without reading the log table.
  size_t recent_events = 8192;
  // Upper bound on the writes one transaction commits.
  size_t max_batch_writes = 1024;
};

class SqliteStore final : public Store {
 public:
  // The current schema version written to PRAGMA user_version.
  static constexpr int kSchemaVersion = 1;

  // Opens (creating if needed) the database at `path`. Errors:
  //   kUnavailable  the file cannot be opened or created (names the path and
  //                 the OS error), or another store has it open
  //   kInternal     the file is not a SQLite database or is corrupt
  //   kNotSupported the database was written by a newer schema version
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   SqliteStoreOptions options = {});
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<KeyValue> Get(std::string_view key) override;
  Result<ListResult> List(std::string_view prefix, const ListOptions& options) override;
  Result<KeyValue> Create(std::string_view key, std::string value,
                          const WriteOptions& options = {}) override;
  Result<KeyValue> Update(std::string_view key, std::string value, Revision expected_revision,
                          const WriteOptions& options = {}) override;
  Result<KeyValue> Delete(std::string_view key, Revision expected_revision) override;
  Result<std::unique_ptr<Watcher>> Watch(const WatchOptions& options) override;
  void Remember(std::string_view key, Revision mod_revision,
                std::shared_ptr<const void> cached) override;
  Result<int64_t> Compact(Revision revision) override;
  Revision CurrentRevision() override;
  Revision CompactedRevision() override;
  std::string Describe() const override { return "sqlite:" + path_; }

  // Number of transactions committed since Open (for tests and benchmarks:
  // with concurrent writers it is below the number of writes).
  int64_t CommitCount();
  // Writes queued for, or inside, the transaction being committed.
  size_t QueuedWrites();

 private:
  class Db;  // a connection with its cached prepared statements
  struct PendingWrite;
  struct Live {
    Revision create = 0;
    Revision mod = 0;
    std::string value;
    std::shared_ptr<const void> cached;
  };
  using LiveMap = std::map<std::string, Live, std::less<>>;

  SqliteStore(std::string path, SqliteStoreOptions options, int lock_fd);
  Status Load();
  Result<KeyValue> Submit(PendingWrite& write);
  void ProcessBatch(const std::vector<PendingWrite*>& batch);
  void ProcessCompact(PendingWrite& write);
  Status ReadBacklog(std::string_view prefix, Revision after, Revision until,
                     std::vector<Event>* out);
  Result<ListResult> ListFromLog(std::string_view prefix, const ListOptions& options, Revision at);

  const std::string path_;
  const SqliteStoreOptions options_;
  int lock_fd_ = -1;
  std::shared_ptr<WatchHub> hub_;

  // The write connection: used only by the current leader (and Open).
  std::unique_ptr<Db> writer_db_;
  // The read connection for history reads, guarded by reader_mu_.
  std::mutex reader_mu_;
  std::unique_ptr<Db> reader_db_;

  // Writer queue (group commit).
  std::mutex queue_mu_;
  std::deque<PendingWrite*> queue_;

  // In-memory state. Readers take it shared; the leader takes it exclusive
  // only to apply a committed batch, Remember() to set one decoded form.
  std::shared_mutex state_mu_;
  LiveMap live_;
  std::deque<Event> recent_;  // the last events, ascending, ending at current_
  Revision current_ = 0;
  Revision compacted_ = 0;
  int64_t commits_ = 0;
};

}  // namespace navarch::store
