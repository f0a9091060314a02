#include "core/store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/store/watch_hub.h"

namespace navarch::store {
namespace {

// Maps a SQLite result code to a Status code: I/O and locking problems are
// worth retrying (kUnavailable); a file that is not a database or is corrupt
// is kInternal (corrupted state), everything else is a bug (kInternal).
Code CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
      return Code::kUnavailable;
    default:
      return Code::kInternal;
  }
}

// The smallest key greater than every key starting with `prefix`, or nullopt
// when there is none (empty prefix, or a prefix of 0xff bytes).
std::optional<std::string> PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last != 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::nullopt;
}

}  // namespace

// One connection and its prepared statements (prepared once, reused).
class SqliteStore::Db {
 public:
  Db(const std::string& path, sqlite3* handle) : path_(path), handle_(handle) {}
  ~Db() {
    for (auto& [sql, stmt] : stmts_)
      sqlite3_finalize(stmt);
    sqlite3_close_v2(handle_);
  }

  static Result<std::unique_ptr<Db>> Open(const std::string& path) {
    sqlite3* handle = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto db = std::make_unique<Db>(path, handle);
    if (rc != SQLITE_OK) return db->Error("open", rc);
    sqlite3_extended_result_codes(handle, 1);
    return db;
  }

  Status Error(std::string_view what, int rc) const {
    std::string msg = "sqlite:" + path_ + ": " + std::string(what) + ": ";
    msg += handle_ != nullptr ? sqlite3_errmsg(handle_) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
      msg += "; the file is not a usable navarch database: move it aside or choose another path";
    }
    return Status(CodeFor(rc), std::move(msg));
  }

  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const { return sqlite3_changes64(handle_); }

  Status Exec(const char* sql) {
    int rc = sqlite3_exec(handle_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return Error(sql, rc);
    return Status::Ok();
  }

  // Returns the cached statement for `sql` (a string literal), preparing it
  // on first use.
  Result<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(handle_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(std::string("prepare ") + sql, rc);
    stmts_.emplace(sql, stmt);
    return stmt;
  }

 private:
  const std::string path_;
  sqlite3* handle_;
  std::unordered_map<const char*, sqlite3_stmt*> stmts_;
};

namespace {

// Scoped use of a cached statement: resets it on exit.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Stmt() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, std::string_view blob) {
    // A null pointer would bind SQL NULL; an empty blob must stay a blob.
    sqlite3_bind_blob64(stmt_, i, blob.data() != nullptr ? blob.data() : "", blob.size(),
                        SQLITE_STATIC);
  }
  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Blob(int col) {
    const void* data = sqlite3_column_blob(stmt_, col);
    int size = sqlite3_column_bytes(stmt_, col);
    return data == nullptr ? std::string() : std::string(static_cast<const char*>(data), size);
  }

 private:
  sqlite3_stmt* stmt_;
};

constexpr const char* kInsertRow =
    "INSERT INTO log(revision, key, deleted, create_revision, prev_revision, value) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
// The newest row of each key at or before ?2 (SQLite takes the bare columns
// from the row holding MAX(revision)).
constexpr const char* kListBounded =
    "SELECT key, MAX(revision), create_revision, deleted, value FROM log "
    "WHERE key >= ?1 AND key < ?3 AND revision <= ?2 GROUP BY key ORDER BY key";
constexpr const char* kListUnbounded =
    "SELECT key, MAX(revision), create_revision, deleted, value FROM log "
    "WHERE key >= ?1 AND revision <= ?2 GROUP BY key ORDER BY key";
constexpr const char* kBacklog =
    "SELECT l.revision, l.key, l.deleted, l.create_revision, l.value, "
    "       p.revision, p.create_revision, p.value "
    "FROM log l LEFT JOIN log p ON l.prev_revision > 0 AND p.revision = l.prev_revision "
    "WHERE l.revision > ?1 AND l.revision <= ?2 ORDER BY l.revision";
constexpr const char* kCompactSuperseded =
    "DELETE FROM log WHERE revision IN (SELECT prev_revision FROM log "
    "WHERE revision > ?1 AND revision <= ?2 AND prev_revision > 0)";
constexpr const char* kCompactTombstones =
    "DELETE FROM log WHERE deleted = 1 AND revision > ?1 AND revision <= ?2";
constexpr const char* kSetCompacted = "UPDATE meta SET value = ?1 WHERE name = 'compacted'";

}  // namespace

struct SqliteStore::PendingWrite {
  enum class Op { kCreate, kUpdate, kDelete, kCompact };
  Op op = Op::kCreate;
  std::string_view key;
  std::string value;
  Revision expected = 0;  // kUpdate/kDelete; the target for kCompact
  std::shared_ptr<const void> cached;
  int64_t removed = 0;  // kCompact: rows deleted

  // Filled by the leader.
  std::optional<Result<KeyValue>> result;
  Event event;
  bool valid = false;  // passed validation and is part of the transaction
  bool done = false;
  std::condition_variable cv;
};

SqliteStore::SqliteStore(std::string path, SqliteStoreOptions options, int lock_fd)
    : path_(std::move(path)),
      options_(options),
      lock_fd_(lock_fd),
      hub_(std::make_shared<WatchHub>()) {}

SqliteStore::~SqliteStore() {
  hub_->Close("store closed");
  reader_db_.reset();
  writer_db_.reset();
  // Only now, with SQLite's own descriptors closed, drop the process lock.
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       SqliteStoreOptions options) {
  if (path.empty()) return InvalidArgument("sqlite store: empty database path");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Unavailable("sqlite:" + path + ": cannot open database file: " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Unavailable("sqlite:" + path +
                         ": the database is already open in another navarch store (this or "
                         "another process); only one process may use it at a time");
    }
    return Unavailable("sqlite:" + path + ": cannot lock database file: " + std::strerror(err));
  }
  // 0600 whatever the umask, also for a database an earlier version created
  // 0644. SQLite gives new -wal/-shm files the database's mode; ones left
  // over (a crash) get it here, while the lock keeps every other opener out.
  if (::fchmod(fd, 0600) != 0) {
    int err = errno;
    ::close(fd);
    return Unavailable("sqlite:" + path + ": cannot make the database file private (chmod 600): " +
                       std::strerror(err));
  }
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string side = path + suffix;
    if (::chmod(side.c_str(), 0600) != 0 && errno != ENOENT) {
      int err = errno;
      ::close(fd);
      return Unavailable("sqlite:" + side +
                         ": cannot make the file private (chmod 600): " + std::strerror(err));
    }
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options, fd));
  NAVARCH_RETURN_IF_ERROR(store->Load());
  return store;
}

Status SqliteStore::Load() {
  NAVARCH_ASSIGN_OR_RETURN(writer_db_, Db::Open(path_));
  Db& db = *writer_db_;
  // journal_mode is the first statement that reads the file, so this is where
  // a file that is not a database is reported.
  NAVARCH_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode = WAL"));
  // See SqliteStoreOptions::Sync: with WAL, NORMAL already survives a process
  // kill (the commit's WAL frames are written before COMMIT returns); FULL
  // adds an fsync per commit so power loss cannot lose acknowledged writes.
  NAVARCH_RETURN_IF_ERROR(db.Exec(options_.sync == SqliteStoreOptions::Sync::kFull
                                      ? "PRAGMA synchronous = FULL"
                                      : "PRAGMA synchronous = NORMAL"));
  NAVARCH_RETURN_IF_ERROR(db.Exec("PRAGMA busy_timeout = 10000"));

  int64_t version = 0;
  int64_t tables = 0;
  {
    NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare("PRAGMA user_version"));
    Stmt s(raw);
    int rc = s.Step();
    if (rc != SQLITE_ROW) return db.Error("read schema version", rc);
    version = s.Int(0);
  }
  {
    NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare("SELECT COUNT(*) FROM sqlite_master"));
    Stmt s(raw);
    int rc = s.Step();
    if (rc != SQLITE_ROW) return db.Error("read schema", rc);
    tables = s.Int(0);
  }
  if (version > kSchemaVersion) {
    return NotSupported("sqlite:" + path_ + ": database schema version " + std::to_string(version) +
                        " is newer than this navarch supports (" + std::to_string(kSchemaVersion) +
                        "); upgrade navarch or use another database");
  }
  if (version == 0 && tables > 0) {
    return InvalidArgument("sqlite:" + path_ +
                           ": a SQLite database that is not a navarch store (no schema "
                           "version); choose another path");
  }
  if (version == 0) {
    NAVARCH_RETURN_IF_ERROR(
        db.Exec("BEGIN IMMEDIATE;"
                "CREATE TABLE log (revision INTEGER PRIMARY KEY, key BLOB NOT NULL,"
                "  deleted INTEGER NOT NULL, create_revision INTEGER NOT NULL,"
                "  prev_revision INTEGER NOT NULL, value BLOB NOT NULL);"
                "CREATE INDEX log_key_revision ON log (key, revision);"
                "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
                "INSERT INTO meta VALUES ('compacted', 0);"
                "PRAGMA user_version = 1;"
                "COMMIT;"));
  }

  {
    NAVARCH_ASSIGN_OR_RETURN(auto* raw,
                             db.Prepare("SELECT value FROM meta WHERE name = 'compacted'"));
    Stmt s(raw);
    int rc = s.Step();
    if (rc != SQLITE_ROW) return db.Error("read compacted revision", rc);
    compacted_ = s.Int(0);
  }
  {
    NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare("SELECT MAX(revision) FROM log"));
    Stmt s(raw);
    int rc = s.Step();
    if (rc != SQLITE_ROW) return db.Error("read current revision", rc);
    // The newest row can be a tombstone removed by compaction; the store
    // revision is then the compaction point.
    current_ = std::max<Revision>(s.IsNull(0) ? 0 : s.Int(0), compacted_);
  }
  {
    NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare(kListUnbounded));
    Stmt s(raw);
    s.Bind(1, std::string_view());
    s.Bind(2, current_);
    int rc;
    while ((rc = s.Step()) == SQLITE_ROW) {
      if (s.Int(3) != 0) continue;
      Live live;
      live.mod = s.Int(1);
      live.create = s.Int(2);
      live.value = s.Blob(4);
      live_.emplace_hint(live_.end(), s.Blob(0), std::move(live));
    }
    if (rc != SQLITE_DONE) return db.Error("load keys", rc);
  }

  NAVARCH_ASSIGN_OR_RETURN(reader_db_, Db::Open(path_));
  NAVARCH_RETURN_IF_ERROR(reader_db_->Exec("PRAGMA query_only = ON"));
  NAVARCH_RETURN_IF_ERROR(reader_db_->Exec("PRAGMA busy_timeout = 10000"));
  return Status::Ok();
}

Result<KeyValue> SqliteStore::Get(std::string_view key) {
  if (key.empty()) return EmptyKeyError("get");
  std::shared_lock lock(state_mu_);
  auto it = live_.find(key);
  if (it == live_.end()) return NotFoundError(key);
  return KeyValue{it->first, it->second.value, it->second.create, it->second.mod,
                  it->second.cached};
}

void SqliteStore::Remember(std::string_view key, Revision mod_revision,
                           std::shared_ptr<const void> cached) {
  if (!cached) return;
  std::unique_lock lock(state_mu_);
  auto it = live_.find(key);
  if (it == live_.end()) return;
  if (it->second.mod == mod_revision) it->second.cached = std::move(cached);
}

Result<ListResult> SqliteStore::List(std::string_view prefix, const ListOptions& options) {
  if (options.at_revision < 0) return NegativeError("list at_revision", options.at_revision);
  if (options.limit < 0) return NegativeError("list limit", options.limit);
  std::shared_lock lock(state_mu_);
  NAVARCH_ASSIGN_OR_RETURN(Revision at, ResolveRevision(options.at_revision, current_, compacted_));
  if (at != current_) return ListFromLog(prefix, options, at);

  ListResult out;
  out.revision = at;
  auto it = options.start_after.empty() || options.start_after < prefix
                ? live_.lower_bound(prefix)
                : live_.upper_bound(options.start_after);
  for (; it != live_.end() && HasPrefix(it->first, prefix); ++it) {
    if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
      out.more = true;
      break;
    }
    out.items.push_back(KeyValue{it->first, it->second.value, it->second.create, it->second.mod,
                                 it->second.cached});
  }
  return out;
}

// Called with state_mu_ held shared, so compaction cannot delete rows the
// query needs (compaction raises compacted_ under the exclusive lock first).
Result<ListResult> SqliteStore::ListFromLog(std::string_view prefix, const ListOptions& options,
                                            Revision at) {
  std::string lower(prefix);
  if (!options.start_after.empty() && options.start_after >= prefix) {
    lower = options.start_after;
    lower.push_back('\0');  // the smallest key after start_after
  }
  std::optional<std::string> upper = PrefixEnd(prefix);

  std::lock_guard reader_lock(reader_mu_);
  Db& db = *reader_db_;
  NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare(upper ? kListBounded : kListUnbounded));
  Stmt s(raw);
  s.Bind(1, lower);
  s.Bind(2, at);
  if (upper) s.Bind(3, *upper);
  ListResult out;
  out.revision = at;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    if (s.Int(3) != 0) continue;  // deleted as of `at`
    if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
      out.more = true;
      return out;
    }
    out.items.push_back(KeyValue{s.Blob(0), s.Blob(4), s.Int(2), s.Int(1), nullptr});
  }
  if (rc != SQLITE_DONE) return db.Error("list \"" + std::string(prefix) + "\"", rc);
  return out;
}

Result<KeyValue> SqliteStore::Create(std::string_view key, std::string value,
                                     const WriteOptions& options) {
  if (key.empty()) return EmptyKeyError("create");
  PendingWrite w;
  w.op = PendingWrite::Op::kCreate;
  w.key = key;
  w.value = std::move(value);
  w.cached = options.cached;
  return Submit(w);
}

Result<KeyValue> SqliteStore::Update(std::string_view key, std::string value,
                                     Revision expected_revision, const WriteOptions& options) {
  if (key.empty()) return EmptyKeyError("update");
  if (expected_revision < 0) return NegativeError("update expected_revision", expected_revision);
  PendingWrite w;
  w.op = PendingWrite::Op::kUpdate;
  w.key = key;
  w.value = std::move(value);
  w.expected = expected_revision;
  w.cached = options.cached;
  return Submit(w);
}

Result<KeyValue> SqliteStore::Delete(std::string_view key, Revision expected_revision) {
  if (key.empty()) return EmptyKeyError("delete");
  if (expected_revision < 0) return NegativeError("delete expected_revision", expected_revision);
  PendingWrite w;
  w.op = PendingWrite::Op::kDelete;
  w.key = key;
  w.expected = expected_revision;
  return Submit(w);
}

Result<int64_t> SqliteStore::Compact(Revision revision) {
  PendingWrite w;
  w.op = PendingWrite::Op::kCompact;
  w.expected = revision;
  // A compaction always leads its own batch (Submit), so `w` is filled by
  // this thread.
  Result<KeyValue> r = Submit(w);
  if (!r.ok()) return r.status();
  return w.removed;
}

Result<KeyValue> SqliteStore::Submit(PendingWrite& w) {
  std::unique_lock lock(queue_mu_);
  queue_.push_back(&w);
  w.cv.wait(lock, [&] { return w.done || queue_.front() == &w; });
  if (w.done) return std::move(*w.result);

  // This writer leads: it commits itself and the writers queued behind it.
  // Compaction always runs alone.
  std::vector<PendingWrite*> batch;
  for (PendingWrite* p : queue_) {
    if (batch.size() == options_.max_batch_writes) break;
    bool compact = p->op == PendingWrite::Op::kCompact;
    if (compact && !batch.empty()) break;
    batch.push_back(p);
    if (compact) break;
  }
  lock.unlock();
  if (w.op == PendingWrite::Op::kCompact) {
    ProcessCompact(w);
  } else {
    ProcessBatch(batch);
  }
  lock.lock();
  for (PendingWrite* p : batch) {
    queue_.pop_front();
    if (p == &w) continue;
    p->done = true;
    p->cv.notify_one();
  }
  if (!queue_.empty()) queue_.front()->cv.notify_one();
  return std::move(*w.result);
}

void SqliteStore::ProcessBatch(const std::vector<PendingWrite*>& batch) {
  using Op = PendingWrite::Op;
  // Only the leader mutates live_ and current_, so it reads them without the
  // state lock. Keys written earlier in this batch are looked up in
  // `overlay` first: nullptr there means deleted by this batch.
  std::map<std::string_view, const KeyValue*> overlay;
  Revision next = current_;
  bool any = false;
  for (PendingWrite* w : batch) {
    const KeyValue* cur = nullptr;
    KeyValue from_live;
    if (auto o = overlay.find(w->key); o != overlay.end()) {
      cur = o->second;
    } else if (auto it = live_.find(w->key); it != live_.end()) {
      from_live = KeyValue{it->first, it->second.value, it->second.create, it->second.mod,
                           it->second.cached};
      cur = &from_live;
    }
    Event& e = w->event;
    if (w->op == Op::kCreate) {
      if (cur != nullptr) {
        w->result = AlreadyExistsError(w->key, cur->create_revision);
        continue;
      }
    } else {
      if (cur == nullptr) {
        w->result = NotFoundError(w->key);
        continue;
      }
      if (w->expected != 0 && w->expected != cur->mod_revision) {
        w->result = ConflictError(w->key, w->expected, cur->mod_revision);
        continue;
      }
      e.prev = *cur;
    }
    Revision rev = ++next;
    e.type = w->op == Op::kDelete ? EventType::kDelete : EventType::kPut;
    e.kv.key = std::string(w->key);
    e.kv.mod_revision = rev;
    e.kv.create_revision = w->op == Op::kCreate ? rev : cur->create_revision;
    if (w->op != Op::kDelete) {
      e.kv.value = std::move(w->value);
      e.kv.cached = std::move(w->cached);
    }
    overlay[w->key] = w->op == Op::kDelete ? nullptr : &e.kv;
    w->valid = true;
    any = true;
  }
  if (!any) return;

  Db& db = *writer_db_;
  auto write_all = [&]() -> Status {
    NAVARCH_ASSIGN_OR_RETURN(auto* begin, db.Prepare(kBegin));
    NAVARCH_ASSIGN_OR_RETURN(auto* insert, db.Prepare(kInsertRow));
    NAVARCH_ASSIGN_OR_RETURN(auto* commit, db.Prepare(kCommit));
    {
      Stmt s(begin);
      int rc = s.Step();
      if (rc != SQLITE_DONE) return db.Error("begin write transaction", rc);
    }
    for (PendingWrite* w : batch) {
      if (!w->valid) continue;
      const Event& e = w->event;
      Stmt s(insert);
      s.Bind(1, e.kv.mod_revision);
      s.Bind(2, std::string_view(e.kv.key));
      s.Bind(3, int64_t{e.type == EventType::kDelete ? 1 : 0});
      s.Bind(4, e.kv.create_revision);
      s.Bind(5, e.prev.mod_revision);
      s.Bind(6, std::string_view(e.kv.value));
      int rc = s.Step();
      if (rc != SQLITE_DONE) return db.Error("write \"" + e.kv.key + "\"", rc);
    }
    Stmt s(commit);
    int rc = s.Step();
    if (rc != SQLITE_DONE) return db.Error("commit", rc);
    return Status::Ok();
  };
  Status st = write_all();
  if (!st.ok()) {
    (void)db.Exec(kRollback);  // may fail if the transaction already ended
    for (PendingWrite* w : batch) {
      if (w->valid) w->result = st;
    }
    return;
  }

  ReadyList ready;
  {
    std::unique_lock lock(state_mu_);
    for (PendingWrite* w : batch) {
      if (!w->valid) continue;
      const Event& e = w->event;
      if (e.type == EventType::kDelete) {
        live_.erase(live_.find(e.kv.key));
        w->result = e.prev;
      } else {
        Live& l = live_[e.kv.key];
        l.create = e.kv.create_revision;
        l.mod = e.kv.mod_revision;
        l.value = e.kv.value;
        l.cached = e.kv.cached;
        w->result = e.kv;
      }
      current_ = e.kv.mod_revision;
      recent_.push_back(e);
      if (!hub_->empty()) hub_->Publish(e, ready);
    }
    while (recent_.size() > options_.recent_events)
      recent_.pop_front();
    ++commits_;
  }
  RunReady(ready);
}

void SqliteStore::ProcessCompact(PendingWrite& w) {
  const Revision target = w.expected;
  const Revision old = compacted_;
  if (target > current_) {
    w.result = InvalidArgument("cannot compact to revision " + std::to_string(target) +
                               ": the current revision is " + std::to_string(current_));
    return;
  }
  if (target <= old) {
    w.result = KeyValue{};
    return;
  }
  {
    // From now on no reader starts a read below `target`; readers already
    // reading hold the lock shared, so this waits for them.
    std::unique_lock lock(state_mu_);
    compacted_ = target;
  }
  Db& db = *writer_db_;
  int64_t removed = 0;
  auto run = [&]() -> Status {
    NAVARCH_RETURN_IF_ERROR(db.Exec(kBegin));
    for (const char* sql : {kCompactSuperseded, kCompactTombstones}) {
      NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare(sql));
      Stmt s(raw);
      s.Bind(1, old);
      s.Bind(2, target);
      int rc = s.Step();
      if (rc != SQLITE_DONE) return db.Error("compact", rc);
      removed += db.Changes();
    }
    {
      NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare(kSetCompacted));
      Stmt s(raw);
      s.Bind(1, target);
      int rc = s.Step();
      if (rc != SQLITE_DONE) return db.Error("record compaction", rc);
    }
    return db.Exec(kCommit);
  };
  Status st = run();
  if (!st.ok()) {
    (void)db.Exec(kRollback);
    // The in-memory compaction point stays raised: the rows are merely kept
    // longer, and the next Compact deletes them.
    w.result = st;
    return;
  }
  w.removed = removed;
  w.result = KeyValue{};
}

Result<std::unique_ptr<Watcher>> SqliteStore::Watch(const WatchOptions& options) {
  if (options.after_revision < 0) {
    return NegativeError("watch after_revision", options.after_revision);
  }
  auto queue = std::make_shared<WatchQueue>(options.prefix, options.on_ready);
  bool ready = false;
  {
    std::shared_lock lock(state_mu_);
    NAVARCH_ASSIGN_OR_RETURN(Revision after,
                             ResolveRevision(options.after_revision, current_, compacted_));
    Revision ring_first = current_ - static_cast<Revision>(recent_.size()) + 1;
    if (after + 1 < ring_first) {
      std::vector<Event> backlog;
      NAVARCH_RETURN_IF_ERROR(ReadBacklog(options.prefix, after, ring_first - 1, &backlog));
      for (auto& e : backlog)
        ready = queue->Push(std::move(e)) || ready;
      after = ring_first - 1;
    }
    for (auto it = recent_.begin() + (after + 1 - ring_first); it != recent_.end(); ++it) {
      if (HasPrefix(it->kv.key, options.prefix)) ready = queue->Push(*it) || ready;
    }
    // Registration happens under the shared lock: a batch is applied (and
    // published) only under the exclusive lock, so nothing slips between the
    // backlog and the live events.
    if (!hub_->Add(queue)) return Cancelled("watch: store closed");
  }
  if (ready) queue->RunReady();
  return std::unique_ptr<Watcher>(std::make_unique<HubWatcher>(queue, hub_));
}

Status SqliteStore::ReadBacklog(std::string_view prefix, Revision after, Revision until,
                                std::vector<Event>* out) {
  std::lock_guard reader_lock(reader_mu_);
  Db& db = *reader_db_;
  NAVARCH_ASSIGN_OR_RETURN(auto* raw, db.Prepare(kBacklog));
  Stmt s(raw);
  s.Bind(1, after);
  s.Bind(2, until);
  Revision expect = after + 1;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    Revision rev = s.Int(0);
    if (rev != expect) {
      return Internal("sqlite:" + path_ + ": the revision log is missing revision " +
                      std::to_string(expect) + " (found " + std::to_string(rev) +
                      "); the database is damaged");
    }
    ++expect;
    std::string key = s.Blob(1);
    if (!HasPrefix(key, prefix)) continue;
    Event e;
    bool deleted = s.Int(2) != 0;
    e.type = deleted ? EventType::kDelete : EventType::kPut;
    e.kv.key = key;
    e.kv.mod_revision = rev;
    e.kv.create_revision = s.Int(3);
    if (!deleted) e.kv.value = s.Blob(4);
    if (!s.IsNull(5)) {
      e.prev.key = std::move(key);
      e.prev.mod_revision = s.Int(5);
      e.prev.create_revision = s.Int(6);
      e.prev.value = s.Blob(7);
    }
    out->push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return db.Error("read revision log", rc);
  if (expect != until + 1) {
    return Internal("sqlite:" + path_ + ": the revision log ends at revision " +
                    std::to_string(expect - 1) + ", expected " + std::to_string(until) +
                    "; the database is damaged");
  }
  return Status::Ok();
}

Revision SqliteStore::CurrentRevision() {
  std::shared_lock lock(state_mu_);
  return current_;
}

Revision SqliteStore::CompactedRevision() {
  std::shared_lock lock(state_mu_);
  return compacted_;
}

int64_t SqliteStore::CommitCount() {
  std::shared_lock lock(state_mu_);
  return commits_;
}

size_t SqliteStore::QueuedWrites() {
  std::lock_guard lock(queue_mu_);
  return queue_.size();
}

}  // namespace navarch::store
