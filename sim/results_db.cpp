// WriteResultsDb (declared in sim/report.h): the report as SQLite tables.
#include <sqlite3.h>

#include <filesystem>

#include "sim/report.h"

namespace navarch::sim {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE series (
  t_s REAL PRIMARY KEY, pods_pending INTEGER, pods_running INTEGER,
  pods_succeeded INTEGER, pods_failed INTEGER, pods_terminating INTEGER,
  nodes INTEGER, nodes_ready INTEGER,
  cpu_requested_millis INTEGER, cpu_allocatable_millis INTEGER,
  memory_requested_bytes INTEGER, memory_allocatable_bytes INTEGER,
  cpu_utilisation REAL, memory_utilisation REAL, scheduler_queue INTEGER);
CREATE TABLE pods (
  namespace TEXT, name TEXT, controller TEXT, node TEXT, phase TEXT,
  created_s REAL, scheduled_s REAL, started_s REAL, ready_s REAL,
  finished_s REAL, deleted_s REAL,
  scheduling_latency_s REAL, startup_latency_s REAL,
  restarts INTEGER, scheduling_attempts INTEGER,
  cpu_millis INTEGER, memory_bytes INTEGER,
  evicted_s REAL, eviction_reason TEXT);
CREATE TABLE decisions (
  t_s REAL, pod TEXT, attempt INTEGER, node TEXT, waited_s REAL,
  total_nodes INTEGER, evaluated_nodes INTEGER, feasible_nodes INTEGER,
  message TEXT, reasons TEXT, scores TEXT);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY, path TEXT, type TEXT, at_s REAL, target TEXT, result TEXT);
CREATE TABLE expectations (
  seq INTEGER PRIMARY KEY, path TEXT, line INTEGER, type TEXT, description TEXT,
  checked_at_s REAL, passed INTEGER, message TEXT);
CREATE TABLE recoveries (
  seq INTEGER PRIMARY KEY, event TEXT, type TEXT, target TEXT, at_s REAL,
  nodes TEXT, affected_controllers TEXT, recovered_after_s REAL);
CREATE TABLE timeline (t_s REAL, what TEXT, object TEXT, value INTEGER, detail TEXT);
CREATE TABLE kube_events (
  first_s REAL, last_s REAL, count INTEGER, type TEXT, reason TEXT, kind TEXT,
  namespace TEXT, name TEXT, field_path TEXT, source TEXT, message TEXT);
CREATE VIEW node_ready AS
  SELECT t_s, object AS node, value AS ready, detail AS status FROM timeline
  WHERE what = 'NodeReady';
CREATE VIEW restarts AS
  SELECT t_s, object AS pod, detail AS container, value AS exit_code FROM timeline
  WHERE what = 'Restart';
CREATE VIEW evictions AS
  SELECT t_s, object AS pod, detail AS reason FROM timeline WHERE what = 'Evicted';
CREATE VIEW endpoints AS
  SELECT t_s, object AS service, value AS ready, detail FROM timeline WHERE what = 'Endpoints';
)sql";

double Secs(Duration d) {
  return static_cast<double>(d.count()) / 1e9;
}

// A prepared INSERT; Bind* by 1-based column, then Step().
class Insert {
 public:
  Insert(sqlite3* db, const char* sql, Status& status) : db_(db), status_(status) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) Fail();
  }
  ~Insert() { sqlite3_finalize(stmt_); }
  Insert& Text(int i, const std::string& v) {
    if (stmt_) sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Insert& Int(int i, int64_t v) {
    if (stmt_) sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Insert& Real(int i, double v) {
    if (stmt_) sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Insert& Opt(int i, const std::optional<Duration>& d) {
    if (!stmt_) return *this;
    if (d)
      sqlite3_bind_double(stmt_, i, Secs(*d));
    else
      sqlite3_bind_null(stmt_, i);
    return *this;
  }
  void Step() {
    if (!stmt_ || !status_.ok()) return;
    if (sqlite3_step(stmt_) != SQLITE_DONE) Fail();
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  void Fail() {
    if (status_.ok()) status_ = Unavailable(std::string("results.db: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  Status& status_;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

}  // namespace

Status WriteResultsDb(const Report& r, const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    Status st = Unavailable("cannot create " + path + ": " + sqlite3_errmsg(db));
    sqlite3_close(db);
    return st;
  }
  Status status;
  auto exec = [&](const char* sql) {
    char* err = nullptr;
    if (status.ok() && sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      status = Unavailable(path + ": " + (err ? err : "sqlite error"));
    }
    sqlite3_free(err);
  };
  exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;");
  exec(kSchema);
  {
    Insert run(db, "INSERT INTO run VALUES (?, ?)", status);
    auto kv = [&](const char* k, const std::string& v) { run.Text(1, k).Text(2, v).Step(); };
    kv("scenario", r.scenario);
    kv("description", r.description);
    kv("seed", std::to_string(r.seed));
    kv("scheduler_profile", r.scheduler_profile);
    kv("horizon_s", FormatSeconds(r.horizon));
    kv("run_until_idle", r.run_until_idle ? "true" : "false");
    kv("stop_reason", r.stop_reason);
    kv("ended_at_s", FormatSeconds(r.ended_at));
    kv("events_processed", std::to_string(r.events_processed));
    kv("pods_created", std::to_string(r.pods_created));
    kv("pods_scheduled", std::to_string(r.pods_scheduled));
    kv("pods_succeeded", std::to_string(r.pods_succeeded_total));
    kv("pods_failed", std::to_string(r.pods_failed_total));
    kv("scheduling_p50_s", FormatSeconds(r.scheduling_latency.p50));
    kv("scheduling_p90_s", FormatSeconds(r.scheduling_latency.p90));
    kv("scheduling_p99_s", FormatSeconds(r.scheduling_latency.p99));
    kv("startup_p50_s", FormatSeconds(r.startup_latency.p50));
    kv("startup_p90_s", FormatSeconds(r.startup_latency.p90));
    kv("startup_p99_s", FormatSeconds(r.startup_latency.p99));
    kv("passed", r.Passed() ? "true" : "false");
  }
  {
    Insert ins(db, "INSERT INTO series VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", status);
    for (const auto& s : r.series) {
      auto ratio = [](int64_t a, int64_t b) {
        return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
      };
      ins.Real(1, Secs(s.t)).Int(2, s.pods_pending).Int(3, s.pods_running);
      ins.Int(4, s.pods_succeeded).Int(5, s.pods_failed).Int(6, s.pods_terminating);
      ins.Int(7, s.nodes).Int(8, s.nodes_ready).Int(9, s.cpu_requested_millis);
      ins.Int(10, s.cpu_allocatable_millis).Int(11, s.memory_requested_bytes);
      ins.Int(12, s.memory_allocatable_bytes);
      ins.Real(13, ratio(s.cpu_requested_millis, s.cpu_allocatable_millis));
      ins.Real(14, ratio(s.memory_requested_bytes, s.memory_allocatable_bytes));
      ins.Int(15, s.scheduler_queue).Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO pods VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", status);
    for (const auto& p : r.pods) {
      auto since = [&](const std::optional<Duration>& t) -> std::optional<Duration> {
        if (!t) return std::nullopt;
        return *t - p.created;
      };
      ins.Text(1, p.namespace_).Text(2, p.name).Text(3, p.controller).Text(4, p.node);
      ins.Text(5, p.phase).Real(6, Secs(p.created)).Opt(7, p.scheduled).Opt(8, p.started);
      ins.Opt(9, p.ready).Opt(10, p.finished).Opt(11, p.deleted);
      ins.Opt(12, since(p.scheduled)).Opt(13, since(p.started));
      ins.Int(14, p.restarts).Int(15, p.scheduling_attempts);
      ins.Int(16, p.cpu_millis).Int(17, p.memory_bytes).Opt(18, p.evicted);
      if (p.evicted) ins.Text(19, p.eviction_reason);  // else NULL
      ins.Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,?,?,?)", status);
    for (const auto& d : r.decisions) {
      ins.Real(1, Secs(d.t)).Text(2, d.pod).Int(3, d.attempt).Text(4, d.node);
      ins.Real(5, Secs(d.waited)).Int(6, d.total_nodes).Int(7, d.evaluated_nodes);
      ins.Int(8, d.feasible_nodes).Text(9, d.message).Text(10, d.reasons).Text(11, d.scores);
      ins.Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO events VALUES (?,?,?,?,?,?)", status);
    int64_t seq = 0;
    for (const auto& e : r.events) {
      ins.Int(1, seq++).Text(2, e.path).Text(3, e.type).Real(4, Secs(e.at));
      ins.Text(5, e.target).Text(6, e.result).Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO expectations VALUES (?,?,?,?,?,?,?,?)", status);
    int64_t seq = 0;
    for (const auto& e : r.expectations) {
      ins.Int(1, seq++).Text(2, e.path).Int(3, e.line).Text(4, e.type).Text(5, e.description);
      ins.Real(6, Secs(e.checked_at)).Int(7, e.passed ? 1 : 0).Text(8, e.message).Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO recoveries VALUES (?,?,?,?,?,?,?,?)", status);
    int64_t seq = 0;
    for (const auto& rec : r.recoveries) {
      ins.Int(1, seq++).Text(2, rec.event).Text(3, rec.type).Text(4, rec.target);
      ins.Real(5, Secs(rec.at)).Text(6, Join(rec.nodes)).Text(7, Join(rec.affected_controllers));
      ins.Opt(8, rec.recovered_after).Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO timeline VALUES (?,?,?,?,?)", status);
    for (const auto& t : r.timeline) {
      ins.Real(1, Secs(t.t)).Text(2, std::string(TimelineWhatName(t.what))).Text(3, t.object);
      ins.Int(4, t.value).Text(5, t.detail).Step();
    }
  }
  {
    Insert ins(db, "INSERT INTO kube_events VALUES (?,?,?,?,?,?,?,?,?,?,?)", status);
    for (const auto& e : r.kube_events) {
      const auto& io = e->involved_object;
      ins.Real(1, Secs(e->first_timestamp - r.start)).Real(2, Secs(e->last_timestamp - r.start));
      ins.Int(3, e->count).Text(4, e->type).Text(5, e->reason).Text(6, io.kind);
      ins.Text(7, io.namespace_).Text(8, io.name).Text(9, io.field_path);
      ins.Text(10, e->source.component).Text(11, e->message).Step();
    }
  }
  exec("COMMIT;");
  sqlite3_close(db);
  return status;
}

}  // namespace navarch::sim
