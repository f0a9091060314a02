// navarch compare A B: two runs' report.json side by side — the same scenario
// on `--backend sim` and `--backend docker`, two seeds, two scheduler
// profiles — each figure with B's difference from A.
#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cmd/navarch/commands.h"
#include "cmd/navarch/options.h"
#include "core/base/files.h"

namespace navarch::cmd {
namespace {

namespace po = boost::program_options;
namespace json = boost::json;

constexpr size_t kMaxReportBytes = 512ull << 20;

// A run directory (its report.json) or the report file itself.
Result<json::object> LoadReport(const std::string& where) {
  std::string path = where;
  if (std::filesystem::is_directory(path)) path = (std::filesystem::path(path) / "report.json");
  NAVARCH_ASSIGN_OR_RETURN(std::string text, ReadBoundedFile(path, kMaxReportBytes, "report"));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return InvalidArgument(path + ": not JSON (" + ec.message() +
                           "); give a run directory or the report.json that navarch sim or "
                           "navarch run wrote");
  }
  if (!v.is_object() || !v.as_object().contains("scenario") || !v.as_object().contains("pods")) {
    return InvalidArgument(path + ": not a navarch report (no \"scenario\" and \"pods\")");
  }
  return v.as_object();
}

// The number at `path` ("latency_s.startup.p50"); nullopt when absent or
// not a number (a recovery that never ended is null).
std::optional<double> At(const json::object& o, std::string_view path) {
  const json::value* cur = nullptr;
  const json::object* obj = &o;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    auto it = obj->find(key);
    if (it == obj->end()) return std::nullopt;
    cur = &it->value();
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (!path.empty()) {
      if (!cur->is_object()) return std::nullopt;
      obj = &cur->as_object();
    }
  }
  if (!cur) return std::nullopt;
  if (cur->is_double()) return cur->as_double();
  if (cur->is_int64()) return static_cast<double>(cur->as_int64());
  if (cur->is_uint64()) return static_cast<double>(cur->as_uint64());
  if (cur->is_bool()) return cur->as_bool() ? 1 : 0;
  return std::nullopt;
}

std::string Str(const json::object& o, std::string_view section, std::string_view key) {
  auto it = o.find(section);
  if (it == o.end() || !it->value().is_object()) return {};
  auto k = it->value().as_object().find(key);
  if (k == it->value().as_object().end() || !k->value().is_string()) return {};
  return std::string(k->value().as_string());
}

std::string Num(std::optional<double> v, bool seconds) {
  if (!v) return "-";
  char buf[64];
  if (seconds) {
    std::snprintf(buf, sizeof buf, "%.3f s", *v);
  } else if (*v == std::floor(*v) && std::fabs(*v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", *v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4f", *v);
  }
  return buf;
}

std::string Diff(std::optional<double> a, std::optional<double> b, bool seconds) {
  if (!a || !b) return "";
  const double d = *b - *a;
  char buf[64];
  if (seconds) {
    std::snprintf(buf, sizeof buf, "%+.3f s", d);
  } else if (d == std::floor(d) && std::fabs(d) < 1e15) {
    std::snprintf(buf, sizeof buf, "%+.0f", d);
  } else {
    std::snprintf(buf, sizeof buf, "%+.4f", d);
  }
  std::string out = buf;
  if (*a != 0) {
    std::snprintf(buf, sizeof buf, " (%+.1f %%)", 100.0 * d / std::fabs(*a));
    out += buf;
  }
  return out;
}

struct Figure {
  const char* label;
  const char* path;
  bool seconds;
};

constexpr Figure kFigures[] = {
    {"pods created", "pods.created", false},
    {"pods scheduled", "pods.scheduled", false},
    {"pods started", "pods.started", false},
    {"pods deleted", "pods.deleted", false},
    {"pods evicted", "pods.evicted", false},
    {"container restarts", "pods.restarts", false},
    {"running at end", "pods.at_end.running", false},
    {"pending at end", "pods.at_end.pending", false},
    {"nodes ready at end", "nodes.ready", false},
    {"scheduling latency p50", "latency_s.scheduling.p50", true},
    {"scheduling latency p90", "latency_s.scheduling.p90", true},
    {"scheduling latency p99", "latency_s.scheduling.p99", true},
    {"startup latency p50", "latency_s.startup.p50", true},
    {"startup latency p90", "latency_s.startup.p90", true},
    {"startup latency p99", "latency_s.startup.p99", true},
    {"startup latency max", "latency_s.startup.max", true},
    {"scheduler attempts", "scheduler.attempts", false},
    {"unschedulable attempts", "scheduler.unschedulable", false},
    {"cpu utilisation mean", "utilisation.cpu_mean", false},
    {"memory utilisation mean", "utilisation.memory_mean", false},
    {"node Ready changes", "timeline.node_ready_changes", false},
    {"pod Ready changes", "timeline.pod_ready_changes", false},
    {"endpoints changes", "timeline.endpoints_changes", false},
    {"Kubernetes Events (objects)", "kube_events.objects", false},
    {"Kubernetes Events (warnings)", "kube_events.warnings", false},
    {"ended at", "run.ended_at_s", true},
};

}  // namespace

int RunCompare(const Args& args) {
  po::options_description desc(
      "navarch compare A B: two runs' reports side by side (a run directory or its "
      "report.json each), every figure with B - A\n\nOptions");
  std::vector<std::string> runs;
  desc.add_options()("help,h", "show this help")("run", po::value(&runs),
                                                 "a run (positional, twice: A then B)");
  po::positional_options_description pos;
  pos.add("run", -1);
  po::variables_map vm;
  if (int rc = ParseOptions("compare", args, desc, pos, vm); rc >= 0) return rc;
  if (runs.size() != 2) {
    std::cerr << "navarch compare: give two runs (directories or report.json files), got "
              << runs.size() << "\n";
    return 2;
  }
  auto a = LoadReport(runs[0]);
  auto b = LoadReport(runs[1]);
  for (const auto* r : {&a, &b}) {
    if (!r->ok()) {
      std::cerr << "navarch compare: " << r->status().message() << "\n";
      return 2;
    }
  }
  const std::string sa = Str(*a, "scenario", "name"), sb = Str(*b, "scenario", "name");
  std::cout << "A  " << runs[0] << "  (" << sa << ")\n";
  std::cout << "B  " << runs[1] << "  (" << sb << ")\n";
  if (sa != sb) std::cout << "note: the runs are of different scenarios\n";
  std::cout << "\n";
  auto row = [](const std::string& label, const std::string& x, const std::string& y,
                const std::string& d) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-30s %16s %16s  %s\n", label.c_str(), x.c_str(), y.c_str(),
                  d.c_str());
    std::cout << buf;
  };
  row("figure", "A", "B", "B - A");
  for (const Figure& f : kFigures) {
    const auto x = At(*a, f.path), y = At(*b, f.path);
    if (!x && !y) continue;
    row(f.label, Num(x, f.seconds), Num(y, f.seconds), Diff(x, y, f.seconds));
  }
  // Recoveries, matched by event path.
  auto recoveries = [](const json::object& o) {
    std::vector<std::pair<std::string, std::optional<double>>> out;
    auto it = o.find("recoveries");
    if (it == o.end() || !it->value().is_array()) return out;
    for (const auto& r : it->value().as_array()) {
      if (!r.is_object()) continue;
      const auto& ro = r.as_object();
      std::string name;
      for (const char* k : {"event", "type", "target"}) {
        auto f = ro.find(k);
        if (f != ro.end() && f->value().is_string()) {
          if (!name.empty()) name += " ";
          name += std::string(f->value().as_string());
        }
      }
      out.emplace_back(name, At(ro, "recovered_after_s"));
    }
    return out;
  };
  const auto ra = recoveries(*a), rb = recoveries(*b);
  for (size_t i = 0; i < std::max(ra.size(), rb.size()); ++i) {
    const std::string label = "recovery " + (i < ra.size() ? ra[i].first : rb[i].first);
    std::optional<double> x, y;
    if (i < ra.size()) x = ra[i].second;
    if (i < rb.size()) y = rb[i].second;
    row(label, Num(x, true), Num(y, true), Diff(x, y, true));
  }
  const auto pa = At(*a, "run.passed"), pb = At(*b, "run.passed");
  row("expectations passed", pa ? (*pa != 0 ? "yes" : "no") : "-",
      pb ? (*pb != 0 ? "yes" : "no") : "-", "");
  return 0;
}

}  // namespace navarch::cmd
