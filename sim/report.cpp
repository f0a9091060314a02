#include "sim/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace navarch::sim {

namespace {

// A minimal streaming JSON writer with a fixed layout: two-space indent,
// objects and arrays one member per line, except "compact" ones (one line).
class Json {
 public:
  explicit Json(std::string& out) : out_(out) {}

  void BeginObject(bool compact = false) { Open('{', compact); }
  void EndObject() { Close('}'); }
  void BeginArray(bool compact = false) { Open('[', compact); }
  void EndArray() { Close(']'); }
  void Key(std::string_view k) {
    Separate();
    String(k);
    out_ += compact() ? ":" : ": ";
    after_key_ = true;
  }
  void Str(std::string_view v) { Value(Quote(v)); }
  void Int(int64_t v) { Value(std::to_string(v)); }
  void UInt(uint64_t v) { Value(std::to_string(v)); }
  void Bool(bool v) { Value(v ? "true" : "false"); }
  void Null() { Value("null"); }
  void Seconds(Duration d) { Value(FormatSeconds(d)); }
  void OptSeconds(const std::optional<Duration>& d) { d ? Seconds(*d) : Null(); }
  void Ratio(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4f", std::isfinite(v) ? v : 0.0);
    Value(buf);
  }
  void Raw(std::string_view v) { Value(v); }

  template <class T>
  void Field(std::string_view k, const T& v) {
    Key(k);
    if constexpr (std::is_same_v<T, bool>) {
      Bool(v);
    } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      Int(v);
    } else if constexpr (std::is_integral_v<T>) {
      UInt(v);
    } else if constexpr (std::is_same_v<T, Duration>) {
      Seconds(v);
    } else if constexpr (std::is_same_v<T, std::optional<Duration>>) {
      OptSeconds(v);
    } else {
      Str(v);
    }
  }

 private:
  struct Level {
    bool compact;
    bool empty = true;
  };
  bool compact() const { return !levels_.empty() && levels_.back().compact; }
  void Newline() {
    out_ += '\n';
    out_.append(2 * levels_.size(), ' ');
  }
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (levels_.empty()) return;
    Level& l = levels_.back();
    if (!l.empty) out_ += compact() ? ", " : ",";
    if (!l.compact) Newline();
    l.empty = false;
  }
  void Value(std::string_view text) {
    Separate();
    out_ += text;
  }
  void Open(char c, bool compact_level) {
    Separate();
    out_ += c;
    levels_.push_back({compact_level || compact()});
  }
  void Close(char c) {
    Level l = levels_.back();
    levels_.pop_back();
    if (!l.compact && !l.empty) Newline();
    out_ += c;
  }
  void String(std::string_view s) { out_ += Quote(s); }
  static std::string Quote(std::string_view s) {
    std::string q = "\"";
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          q += "\\\"";
          break;
        case '\\':
          q += "\\\\";
          break;
        case '\n':
          q += "\\n";
          break;
        case '\t':
          q += "\\t";
          break;
        case '\r':
          q += "\\r";
          break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            q += buf;
          } else {
            q += static_cast<char>(c);
          }
      }
    }
    return q + "\"";
  }

  std::string& out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

void WriteLatency(Json& j, std::string_view key, const LatencySummary& l) {
  j.Key(key);
  j.BeginObject(true);
  j.Field("count", l.count);
  j.Field("p50", l.p50);
  j.Field("p90", l.p90);
  j.Field("p99", l.p99);
  j.Field("max", l.max);
  j.Field("mean", l.mean);
  j.EndObject();
}

double Utilisation(int64_t requested, int64_t allocatable) {
  return allocatable > 0 ? static_cast<double>(requested) / static_cast<double>(allocatable) : 0;
}

std::string Join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

std::string FormatSeconds(Duration d) {
  int64_t ns = d.count();
  const bool negative = ns < 0;
  if (negative) ns = -ns;
  const int64_t ms = (ns + 500'000) / 1'000'000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%lld.%03lld", negative && ms != 0 ? "-" : "",
                static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
  return buf;
}

Duration Percentile(const std::vector<Duration>& sorted, double percentile) {
  if (sorted.empty()) return Duration{0};
  double rank = std::ceil(percentile / 100.0 * static_cast<double>(sorted.size()));
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencySummary Summarize(std::vector<Duration> values) {
  LatencySummary s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = static_cast<int64_t>(values.size());
  s.p50 = Percentile(values, 50);
  s.p90 = Percentile(values, 90);
  s.p99 = Percentile(values, 99);
  s.max = values.back();
  // Summed in nanoseconds: a million pods waiting an hour each still fits.
  int64_t sum = 0;
  for (auto v : values)
    sum += v.count();
  s.mean = Duration(sum / s.count);
  return s;
}

bool Report::Passed() const {
  return std::all_of(expectations.begin(), expectations.end(),
                     [](const ExpectationResult& e) { return e.passed; });
}

std::string ReportJson(const Report& r) {
  std::string out;
  Json j(out);
  j.BeginObject();
  j.Key("scenario");
  j.BeginObject();
  j.Field("name", r.scenario);
  j.Field("description", r.description);
  j.Field("seed", r.seed);
  j.Field("scheduler_profile", r.scheduler_profile);
  j.Field("horizon_s", r.horizon);
  j.Field("run_until_idle", r.run_until_idle);
  j.Key("scale");
  j.Ratio(r.scale);
  j.EndObject();

  j.Key("run");
  j.BeginObject();
  j.Field("stop_reason", r.stop_reason);
  j.Field("ended_at_s", r.ended_at);
  j.Field("events_processed", r.events_processed);
  j.Field("passed", r.Passed());
  j.EndObject();

  j.Key("pods");
  j.BeginObject();
  j.Field("created", r.pods_created);
  j.Field("scheduled", r.pods_scheduled);
  j.Field("started", r.pods_started);
  j.Field("succeeded_total", r.pods_succeeded_total);
  j.Field("failed_total", r.pods_failed_total);
  j.Field("deleted", r.pods_deleted);
  j.Field("evicted", r.pods_evicted);
  j.Field("restarts", r.restarts);
  j.Key("at_end");
  j.BeginObject(true);
  j.Field("pending", r.pods_pending);
  j.Field("running", r.pods_running);
  j.Field("succeeded", r.pods_succeeded);
  j.Field("failed", r.pods_failed);
  j.Field("terminating", r.pods_terminating);
  j.EndObject();
  j.EndObject();

  j.Key("nodes");
  j.BeginObject(true);
  j.Field("total", r.nodes);
  j.Field("ready", r.nodes_ready);
  j.EndObject();

  j.Key("latency_s");
  j.BeginObject();
  WriteLatency(j, "scheduling", r.scheduling_latency);
  WriteLatency(j, "startup", r.startup_latency);
  j.EndObject();

  j.Key("scheduler");
  j.BeginObject(true);
  j.Field("attempts", r.scheduler.attempts);
  j.Field("scheduled", r.scheduler.scheduled);
  j.Field("unschedulable", r.scheduler.unschedulable);
  j.Field("bind_errors", r.scheduler.bind_errors);
  j.EndObject();

  j.Key("utilisation");
  j.BeginObject(true);
  const auto& u = r.utilisation;
  for (auto [k, v] : {std::pair<const char*, double>{"cpu_mean", u.cpu_mean},
                      {"cpu_peak", u.cpu_peak},
                      {"cpu_final", u.cpu_final},
                      {"memory_mean", u.memory_mean},
                      {"memory_peak", u.memory_peak},
                      {"memory_final", u.memory_final}}) {
    j.Key(k);
    j.Ratio(v);
  }
  j.EndObject();

  {
    int64_t counts[5] = {0, 0, 0, 0, 0};
    for (const auto& t : r.timeline)
      ++counts[static_cast<int>(t.what)];
    j.Key("timeline");
    j.BeginObject(true);
    j.Field("node_ready_changes", counts[static_cast<int>(TimelineEntry::What::kNodeReady)]);
    j.Field("pod_ready_changes", counts[static_cast<int>(TimelineEntry::What::kPodReady)]);
    j.Field("restarts", counts[static_cast<int>(TimelineEntry::What::kRestart)]);
    j.Field("evictions", counts[static_cast<int>(TimelineEntry::What::kEvicted)]);
    j.Field("endpoints_changes", counts[static_cast<int>(TimelineEntry::What::kEndpoints)]);
    j.EndObject();
    std::map<std::string, int64_t> by_reason;
    int64_t warnings = 0;
    for (const auto& e : r.kube_events) {
      by_reason[e->reason] += e->count;
      if (e->type == "Warning") warnings += e->count;
    }
    j.Key("kube_events");
    j.BeginObject();
    j.Field("objects", static_cast<int64_t>(r.kube_events.size()));
    j.Field("warnings", warnings);
    j.Key("by_reason");
    j.BeginObject(true);
    for (const auto& [reason, n] : by_reason)
      j.Field(reason, n);
    j.EndObject();
    j.EndObject();
  }

  j.Key("recoveries");
  j.BeginArray();
  for (const auto& rec : r.recoveries) {
    j.BeginObject(true);
    j.Field("event", rec.event);
    j.Field("type", rec.type);
    j.Field("target", rec.target);
    j.Field("at_s", rec.at);
    j.Key("nodes");
    j.BeginArray(true);
    for (const auto& n : rec.nodes)
      j.Str(n);
    j.EndArray();
    j.Key("affected_controllers");
    j.BeginArray(true);
    for (const auto& c : rec.affected_controllers)
      j.Str(c);
    j.EndArray();
    j.Field("recovered_after_s", rec.recovered_after);
    j.EndObject();
  }
  j.EndArray();

  j.Key("expectations");
  j.BeginArray();
  for (const auto& e : r.expectations) {
    j.BeginObject(true);
    j.Field("path", e.path);
    j.Field("line", static_cast<int64_t>(e.line));
    j.Field("type", e.type);
    j.Field("description", e.description);
    j.Field("checked_at_s", e.checked_at);
    j.Field("passed", e.passed);
    j.Field("message", e.message);
    j.EndObject();
  }
  j.EndArray();

  j.Key("events");
  j.BeginArray();
  for (const auto& e : r.events) {
    j.BeginObject(true);
    j.Field("path", e.path);
    j.Field("type", e.type);
    j.Field("at_s", e.at);
    j.Field("target", e.target);
    j.Field("result", e.result);
    j.EndObject();
  }
  j.EndArray();

  j.Key("time_series");
  j.BeginArray();
  for (const auto& s : r.series) {
    j.BeginObject(true);
    j.Field("t_s", s.t);
    j.Field("pending", s.pods_pending);
    j.Field("running", s.pods_running);
    j.Field("succeeded", s.pods_succeeded);
    j.Field("failed", s.pods_failed);
    j.Field("terminating", s.pods_terminating);
    j.Field("nodes", s.nodes);
    j.Field("nodes_ready", s.nodes_ready);
    j.Key("cpu_utilisation");
    j.Ratio(Utilisation(s.cpu_requested_millis, s.cpu_allocatable_millis));
    j.Key("memory_utilisation");
    j.Ratio(Utilisation(s.memory_requested_bytes, s.memory_allocatable_bytes));
    j.Field("scheduler_queue", s.scheduler_queue);
    j.EndObject();
  }
  j.EndArray();

  j.Key("pod_lifecycles");
  j.BeginArray();
  for (const auto& p : r.pods) {
    j.BeginObject(true);
    j.Field("namespace", p.namespace_);
    j.Field("name", p.name);
    j.Field("controller", p.controller);
    j.Field("node", p.node);
    j.Field("phase", p.phase);
    j.Field("created_s", p.created);
    j.Field("scheduled_s", p.scheduled);
    j.Field("started_s", p.started);
    j.Field("ready_s", p.ready);
    j.Field("finished_s", p.finished);
    j.Field("deleted_s", p.deleted);
    j.Field("evicted_s", p.evicted);
    if (p.evicted) j.Field("eviction_reason", p.eviction_reason);
    j.Field("restarts", static_cast<int64_t>(p.restarts));
    j.Field("scheduling_attempts", static_cast<int64_t>(p.scheduling_attempts));
    j.EndObject();
  }
  j.EndArray();
  j.EndObject();
  out += '\n';
  return out;
}

Status WriteReportFiles(const Report& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Unavailable("cannot create output directory " + dir + ": " + ec.message() +
                       " (choose another with --out)");
  }
  const std::string json_path = (std::filesystem::path(dir) / "report.json").string();
  {
    std::ofstream f(json_path, std::ios::binary | std::ios::trunc);
    f << ReportJson(report);
    f.flush();
    if (!f) return Unavailable("cannot write " + json_path);
  }
  return WriteResultsDb(report, (std::filesystem::path(dir) / "results.db").string());
}

std::string SummaryTable(const Report& r, bool color) {
  std::ostringstream os;
  auto row = [&](std::string_view label, const std::string& value) {
    os << "  " << label << std::string(label.size() < 26 ? 26 - label.size() : 1, ' ') << value
       << "\n";
  };
  auto pct = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
    return std::string(buf);
  };
  auto lat = [](const LatencySummary& l) {
    if (l.count == 0) return std::string("-");
    return "p50 " + FormatDuration(l.p50) + "  p90 " + FormatDuration(l.p90) + "  p99 " +
           FormatDuration(l.p99) + "  max " + FormatDuration(l.max) + "  (" +
           std::to_string(l.count) + " pods)";
  };
  os << "scenario " << r.scenario << "  seed " << r.seed << "  scheduler " << r.scheduler_profile;
  if (r.scale != 1) os << "  scale " << r.scale;
  os << "\n";
  os << "ended at " << FormatDuration(r.ended_at) << " (" << r.stop_reason << "), "
     << r.events_processed << " events\n\n";
  os << "pods\n";
  row("created", std::to_string(r.pods_created));
  row("scheduled", std::to_string(r.pods_scheduled));
  row("started", std::to_string(r.pods_started));
  row("succeeded", std::to_string(r.pods_succeeded_total));
  row("failed", std::to_string(r.pods_failed_total));
  row("deleted", std::to_string(r.pods_deleted));
  row("evicted", std::to_string(r.pods_evicted));
  row("restarts", std::to_string(r.restarts));
  row("at end", std::to_string(r.pods_running) + " running, " + std::to_string(r.pods_pending) +
                    " pending, " + std::to_string(r.pods_terminating) + " terminating");
  os << "latency\n";
  row("scheduling (created->bound)", lat(r.scheduling_latency));
  row("startup (created->running)", lat(r.startup_latency));
  os << "cluster\n";
  row("nodes ready at end", std::to_string(r.nodes_ready) + "/" + std::to_string(r.nodes));
  row("cpu requested", "mean " + pct(r.utilisation.cpu_mean) + "  peak " +
                           pct(r.utilisation.cpu_peak) + "  end " + pct(r.utilisation.cpu_final));
  row("memory requested", "mean " + pct(r.utilisation.memory_mean) + "  peak " +
                              pct(r.utilisation.memory_peak) + "  end " +
                              pct(r.utilisation.memory_final));
  row("scheduler attempts", std::to_string(r.scheduler.attempts) + " (" +
                                std::to_string(r.scheduler.unschedulable) + " unschedulable, " +
                                std::to_string(r.scheduler.bind_errors) + " bind errors)");
  if (!r.recoveries.empty()) {
    os << "recoveries\n";
    for (const auto& rec : r.recoveries) {
      std::string value = rec.recovered_after
                              ? "recovered after " + FormatDuration(*rec.recovered_after)
                              : std::string("not recovered");
      if (rec.affected_controllers.empty())
        value = "no controller affected";
      else
        value += " (" + Join(rec.affected_controllers, ", ") + ")";
      row(rec.type + " " + rec.target + " @" + FormatDuration(rec.at), value);
    }
  }
  int failed_events = 0;
  for (const auto& e : r.events)
    failed_events += e.result != "ok";
  if (failed_events > 0) {
    os << "events that failed\n";
    for (const auto& e : r.events) {
      if (e.result != "ok") row(e.path + " " + e.type, e.result);
    }
  }
  if (!r.expectations.empty()) {
    os << "expectations\n";
    for (const auto& e : r.expectations) {
      const char* mark = e.passed ? "✓" : "✗";
      if (color) os << (e.passed ? "\033[32m" : "\033[31m");
      os << "  " << mark << " " << e.description << ": " << e.message;
      if (color) os << "\033[0m";
      os << "\n";
    }
    int passed = 0;
    for (const auto& e : r.expectations)
      passed += e.passed;
    os << "  " << passed << "/" << r.expectations.size() << " expectations passed\n";
  }
  return os.str();
}

}  // namespace navarch::sim
