// The scheduler benchmark harness (sim/sched_bench.h): workload names, exact
// pod counts, no over-commit, the quality columns on a hand-built cluster,
// CSV/JSON output that parses back, and identical results for one seed.
// Nothing here asserts a wall-clock figure.
#include "sim/sched_bench.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/api/quantity.h"
#include "core/scheduler/scheduler.h"
#include "tests/unit/scheduler/test_util.h"

namespace navarch::sim {
namespace {

using ::testing::HasSubstr;

// ---- workload names -------------------------------------------------------

TEST(SchedBenchWorkload, ParsesTheSchedulingBasicMirror) {
  auto w500 = ParseSchedBenchWorkload("SchedulingBasic/500Nodes");
  ASSERT_TRUE(w500.ok()) << w500.status().message();
  EXPECT_EQ(w500->kind, "SchedulingBasic");
  EXPECT_EQ(w500->nodes, 500);
  EXPECT_EQ(w500->initial_pods, 500);
  EXPECT_EQ(w500->measured_pods, 1000);
  auto w5k = ParseSchedBenchWorkload("SchedulingBasic/5000Nodes_10k");
  ASSERT_TRUE(w5k.ok());
  EXPECT_EQ(w5k->nodes, 5000);
  EXPECT_EQ(w5k->initial_pods, 1000);
  EXPECT_EQ(w5k->measured_pods, 10000);
  auto plain = ParseSchedBenchWorkload("Plain/100kNodes");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->nodes, 100000);
  EXPECT_EQ(plain->initial_pods, 20000);  // N/2, at most 20,000
  EXPECT_EQ(plain->measured_pods, 10000);
  auto mixed = ParseSchedBenchWorkload("Mixed/1000Nodes");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->measured_pods, 0);  // derived from the free capacity
}

TEST(SchedBenchWorkload, RejectsMalformedNamesSayingWhatToUse) {
  for (const char* bad :
       {"SchedulingBasic", "Nope/10Nodes", "Plain/10", "Plain/xNodes", "Plain/0Nodes",
        "Plain/10Nodes_", "Plain/10Nodes_-3", "Plain/10Nodes_0"}) {
    auto w = ParseSchedBenchWorkload(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(w.status().message(), HasSubstr(std::string("\"") + bad + "\"")) << bad;
    EXPECT_THAT(w.status().message(), HasSubstr("KIND/<N>Nodes")) << bad;
  }
}

TEST(SchedBench, RejectsUnknownSchedulersAndModes) {
  auto w = *ParseSchedBenchWorkload("Plain/10Nodes_10");
  auto bad_mode = RunSchedBench(w, "spread", "gpu", {});
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_THAT(bad_mode.status().message(), HasSubstr("mode \"gpu\": use api, sqlite or core"));
  auto bad_pct = RunSchedBench(w, "spread@101", "core", {});
  ASSERT_FALSE(bad_pct.ok());
  EXPECT_THAT(bad_pct.status().message(), HasSubstr("spread@101"));
  auto bad_name = RunSchedBench(w, "fastest", "core", {});
  ASSERT_FALSE(bad_name.ok());
  EXPECT_THAT(bad_name.status().message(), HasSubstr("fastest"));
}

// ---- runs -------------------------------------------------------------------

// What a run leaves in its node table.
struct Final {
  size_t pods = 0;
  int64_t overcommitted_nodes = 0;
  std::map<std::string, std::string> placement;  // pod key -> node
};

Result<SchedBenchResult> RunBench(const std::string& workload, const std::string& scheduler,
                                  const std::string& mode, Final* final, uint64_t seed = 1,
                                  int64_t wave = 1000) {
  auto w = ParseSchedBenchWorkload(workload);
  if (!w.ok()) return w.status();
  SchedBenchOptions options;
  options.seed = seed;
  options.wave = wave;
  options.temp_dir = ::testing::TempDir();
  options.on_finish = [final](const scheduler::NodeTable& t) {
    if (!final) return;
    final->pods = t.PodCount();
    for (uint32_t i = 0; i < t.size(); ++i) {
      const auto& n = t.node(i);
      if (n.req_milli_cpu > n.alloc_milli_cpu || n.req_memory > n.alloc_memory ||
          n.req_pods > n.alloc_pods) {
        ++final->overcommitted_nodes;
      }
      for (const auto& key : n.pods)
        final->placement[key] = n.name;
    }
  };
  return RunSchedBench(*w, scheduler, mode, options);
}

TEST(SchedBench, CoreModeBindsExactlyTheMeasuredPods) {
  for (const char* s : {"spread", "binpack", "flow", "spread@0", "spread@10"}) {
    Final f;
    auto r = RunBench("Plain/20Nodes_100", s, "core", &f);
    ASSERT_TRUE(r.ok()) << s << ": " << r.status().message();
    EXPECT_EQ(r->nodes, 20) << s;
    EXPECT_EQ(r->initial_pods, 10) << s;
    EXPECT_EQ(r->measured_pods, 100) << s;
    EXPECT_EQ(r->scheduled, 100) << s;
    EXPECT_EQ(r->unschedulable, 0) << s;
    EXPECT_EQ(r->fragmented, 0) << s;
    EXPECT_EQ(f.pods, 110u) << s;  // 10 initial + 100 measured, each counted once
    EXPECT_EQ(f.overcommitted_nodes, 0) << s;
    EXPECT_GT(r->cpu_utilisation, 0) << s;
    EXPECT_GT(r->pods_per_second, 0) << s;
    EXPECT_GT(r->cpu_seconds, 0) << s;
    EXPECT_GT(r->pods_per_cpu_second, 0) << s;
    if (std::string(s) == "flow") {
      EXPECT_EQ(r->flow_rounds, 1) << s;  // one wave of 100
    } else {
      EXPECT_EQ(r->flow_rounds, 0) << s;
    }
  }
}

TEST(SchedBench, ApiModesBindExactlyTheMeasuredPods) {
  for (const char* mode : {"api", "sqlite"}) {
    for (const char* s : {"spread", "flow"}) {
      Final f;
      auto r = RunBench("Plain/20Nodes_150", s, mode, &f, /*seed=*/1, /*wave=*/40);
      ASSERT_TRUE(r.ok()) << mode << " " << s << ": " << r.status().message();
      EXPECT_EQ(r->measured_pods, 150);
      EXPECT_EQ(r->scheduled, 150) << mode << " " << s;
      EXPECT_EQ(r->unschedulable, 0) << mode << " " << s;
      EXPECT_EQ(f.pods, 160u) << mode << " " << s;
      EXPECT_EQ(f.overcommitted_nodes, 0) << mode << " " << s;
      EXPECT_GT(r->latency_p99_us, 0);
      EXPECT_GE(r->latency_p99_us, r->latency_p50_us);
      if (std::string(s) == "flow") {
        EXPECT_GE(r->flow_rounds, 4);  // 4 waves: 40, 40, 40, 30
      }
    }
  }
}

// Mixed asks for about 110% of the free cpu: some pods stay unbound, none
// over-commits a node, and every measured pod is either bound or counted.
TEST(SchedBench, OvercommittedDemandLeavesPodsUnboundButNeverOvercommits) {
  for (const char* mode : {"core", "api"}) {
    for (const char* s : {"spread", "binpack", "flow"}) {
      Final f;
      auto r = RunBench("Mixed/12Nodes", s, mode, &f);
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_GT(r->measured_pods, 0);
      EXPECT_GT(r->unschedulable, 0) << mode << " " << s;
      EXPECT_EQ(r->scheduled + r->unschedulable, r->measured_pods) << mode << " " << s;
      EXPECT_LE(r->fragmented, r->unschedulable);
      EXPECT_EQ(f.overcommitted_nodes, 0) << mode << " " << s;
      EXPECT_LE(r->cpu_utilisation, 1.0);
      EXPECT_LE(r->memory_utilisation, 1.0);
      EXPECT_EQ(static_cast<int64_t>(f.pods), 6 + r->scheduled) << mode << " " << s;
    }
  }
}

TEST(SchedBench, SameSeedSameResultsDifferentSeedDifferentCluster) {
  for (const char* mode : {"core", "api"}) {
    for (const char* s : {"spread", "flow", "spread@20"}) {
      Final a, b, c;
      auto ra = RunBench("Mixed/15Nodes", s, mode, &a, 7);
      auto rb = RunBench("Mixed/15Nodes", s, mode, &b, 7);
      auto rc = RunBench("Mixed/15Nodes", s, mode, &c, 8);
      ASSERT_TRUE(ra.ok() && rb.ok() && rc.ok());
      EXPECT_EQ(a.placement, b.placement) << mode << " " << s;
      EXPECT_EQ(ra->measured_pods, rb->measured_pods);
      EXPECT_EQ(ra->scheduled, rb->scheduled);
      EXPECT_EQ(ra->unschedulable, rb->unschedulable);
      EXPECT_EQ(ra->fragmented, rb->fragmented);
      EXPECT_EQ(ra->cpu_utilisation, rb->cpu_utilisation);
      EXPECT_EQ(ra->memory_utilisation, rb->memory_utilisation);
      EXPECT_EQ(ra->zone_skew, rb->zone_skew);
      EXPECT_EQ(ra->node_skew, rb->node_skew);
      EXPECT_NE(a.placement, c.placement) << mode << " " << s;  // other node sizes
    }
  }
}

// ---- quality on a hand-built cluster -----------------------------------------

api::Node MakeNode(const std::string& name, const std::string& zone, const char* cpu,
                   const char* memory, bool cordoned = false) {
  api::Node n;
  n.metadata.name = name;
  n.metadata.labels[std::string(scheduler::kZoneLabel)] = zone;
  n.status.allocatable["cpu"] = api::Quantity::MustParse(cpu);
  n.status.allocatable["memory"] = api::Quantity::MustParse(memory);
  n.status.allocatable["pods"] = api::Quantity::MustParse("110");
  n.spec.unschedulable = cordoned;
  api::NodeCondition ready;
  ready.type = "Ready";
  ready.status = "True";
  n.status.conditions.push_back(ready);
  return n;
}

scheduler::PodInfo MakePod(const std::string& name, const std::string& rc, const char* cpu,
                           const char* memory) {
  api::Pod p = scheduler::testing::MakePod(name, cpu, memory);
  if (!rc.empty()) p = scheduler::testing::WithOwner(std::move(p), rc);
  return scheduler::CompilePod(p);
}

TEST(SchedBenchQuality, HandBuiltCluster) {
  scheduler::NodeTable t;
  t.UpsertNode(MakeNode("n1", "zone-a", "4", "8Gi"));
  t.UpsertNode(MakeNode("n2", "zone-b", "4", "8Gi"));
  t.UpsertNode(MakeNode("n3", "zone-b", "2", "4Gi", /*cordoned=*/true));
  std::vector<scheduler::PodInfo> placed;
  for (int i = 0; i < 3; ++i)
    placed.push_back(MakePod("a" + std::to_string(i), "rc-a", "1", "1Gi"));
  placed.push_back(MakePod("a3", "rc-a", "1", "1Gi"));
  placed.push_back(MakePod("b0", "rc-b", "2", "2Gi"));
  const char* where[] = {"n1", "n1", "n1", "n2", "n3"};
  for (size_t i = 0; i < placed.size(); ++i) {
    t.Intern(placed[i]);
    t.AddPod(placed[i], where[i], /*assumed=*/false);
  }
  // Unbound, in creation order: 3.5 cpu fits the aggregate free cpu of the
  // schedulable nodes (1 + 3 = 4) though no single node; then 0.5 cpu is
  // left, so 2 cpu does not fit and 0.5 cpu does.
  std::vector<scheduler::PodInfo> left = {MakePod("u0", "rc-u", "3500m", "1Gi"),
                                          MakePod("u1", "rc-u", "2", "1Gi"),
                                          MakePod("u2", "rc-u", "500m", "1Gi")};
  std::vector<const scheduler::PodInfo*> unbound;
  for (auto& p : left) {
    t.Intern(p);
    unbound.push_back(&p);
  }
  SchedBenchResult r;
  r.zone_skew = 99;  // overwritten
  ComputeSchedBenchQuality(t, unbound, r);
  // Requested 6 of 10 cpu and 6Gi of 20Gi, the cordoned node included.
  EXPECT_DOUBLE_EQ(r.cpu_utilisation, 0.6);
  EXPECT_DOUBLE_EQ(r.memory_utilisation, 0.3);
  EXPECT_EQ(r.unschedulable, 3);
  EXPECT_EQ(r.fragmented, 2);
  // rc-a: 3 pods in zone-a, 1 in zone-b; 3 on n1, 1 on n2. rc-b sits on the
  // cordoned node only, which counts for neither skew.
  EXPECT_EQ(r.zone_skew, 2);
  EXPECT_EQ(r.node_skew, 2);

  // Cordoning n2 leaves one schedulable zone (no zone skew) and one
  // schedulable node; the free capacity is n1's 1 cpu only.
  api::Node n2 = MakeNode("n2", "zone-b", "4", "8Gi", /*cordoned=*/true);
  t.UpsertNode(n2);
  SchedBenchResult r2;
  ComputeSchedBenchQuality(t, unbound, r2);
  EXPECT_EQ(r2.zone_skew, 0);
  EXPECT_EQ(r2.node_skew, 0);   // rc-a: 3 on the only schedulable node
  EXPECT_EQ(r2.fragmented, 1);  // only the 0.5 cpu pod
}

TEST(SchedBenchQuality, NodeSkewWithoutSpreadGroupsCountsAllPods) {
  scheduler::NodeTable t;
  t.UpsertNode(MakeNode("n1", "zone-a", "4", "8Gi"));
  t.UpsertNode(MakeNode("n2", "zone-a", "4", "8Gi"));
  t.UpsertNode(MakeNode("n3", "zone-a", "4", "8Gi"));
  std::vector<scheduler::PodInfo> pods;
  for (int i = 0; i < 5; ++i)
    pods.push_back(MakePod("p" + std::to_string(i), "", "100m", "100Mi"));
  const char* where[] = {"n1", "n1", "n1", "n1", "n2"};
  for (size_t i = 0; i < pods.size(); ++i) {
    t.Intern(pods[i]);
    t.AddPod(pods[i], where[i], false);
  }
  SchedBenchResult r;
  ComputeSchedBenchQuality(t, {}, r);
  EXPECT_EQ(r.node_skew, 4);  // 4 on n1, 0 on n3
  EXPECT_EQ(r.zone_skew, 0);
  EXPECT_EQ(r.unschedulable, 0);
  EXPECT_EQ(r.fragmented, 0);
}

// ---- output formats ----------------------------------------------------------

std::vector<SchedBenchResult> SampleResults() {
  SchedBenchResult a;
  a.workload = "SchedulingBasic/500Nodes";  // has a kube-scheduler reference row
  a.scheduler = "spread";
  a.mode = "api";
  a.nodes = 500;
  a.initial_pods = 500;
  a.measured_pods = 1000;
  a.scheduled = 1000;
  a.seconds = 0.25;
  a.pods_per_second = 4000;
  a.cpu_seconds = 0.125;
  a.pods_per_cpu_second = 8000;
  a.latency_p50_us = 1500;
  a.latency_p99_us = 2500000;
  a.cpu_utilisation = 0.075;
  a.memory_utilisation = 0.046;
  SchedBenchResult b = a;
  b.workload = "Mixed/1000Nodes";
  b.scheduler = "flow";
  b.mode = "core";
  b.nodes = 1000;
  b.measured_pods = 15507;
  b.scheduled = 15000;
  b.unschedulable = 507;
  b.fragmented = 39;
  b.zone_skew = 109;
  b.node_skew = 4;
  b.flow_rounds = 16;
  b.flow_max_round_ms = 72.26;
  return {a, b};
}

// RFC 4180 parse: rows of cells.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        rows.back().back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      rows.back().emplace_back();
    } else if (ch == '\n') {
      rows.emplace_back(1);
    } else {
      rows.back().back() += ch;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

TEST(SchedBenchFormat, CsvParsesBackWithOneCellPerColumn) {
  auto csv = FormatSchedBench(SampleResults(), "csv");
  ASSERT_TRUE(csv.ok());
  const auto rows = ParseCsv(*csv);
  ASSERT_EQ(rows.size(), 4u);  // header, kube-scheduler reference, two results
  for (const auto& row : rows)
    EXPECT_EQ(row.size(), rows[0].size()) << *csv;
  EXPECT_EQ(rows[0][0], "benchmark");
  EXPECT_EQ(rows[0][5], "pods/s");
  EXPECT_EQ(rows[1][1], "kube-scheduler v1.26 (its scheduler_perf, this machine)");
  EXPECT_EQ(rows[1][5], "305");
  EXPECT_EQ(rows[2][1], "spread");
  EXPECT_EQ(rows[2][5], "4000");
  EXPECT_EQ(rows[0][6], "pods/cpu-s");
  EXPECT_EQ(rows[2][6], "8000");
  EXPECT_EQ(rows[2][7], "1.50 ms");
  EXPECT_EQ(rows[2][8], "2.50 s");
  EXPECT_EQ(rows[2][9], "7.5%");
  EXPECT_EQ(rows[3][0], "Mixed/1000Nodes");
  EXPECT_EQ(rows[3][11], "507");
  EXPECT_EQ(rows[3][12], "39");
  EXPECT_EQ(rows[3][13], "109");
  EXPECT_EQ(rows[3][14], "4");
  EXPECT_EQ(rows[3][15], "16 (72.3)");

  // A name with a comma and a quote survives.
  auto odd = SampleResults();
  odd[1].scheduler = "a,\"b\"";
  const auto odd_rows = ParseCsv(*FormatSchedBench(odd, "csv"));
  ASSERT_EQ(odd_rows.size(), 4u);
  EXPECT_EQ(odd_rows[3][1], "a,\"b\"");
  EXPECT_EQ(odd_rows[3].size(), odd_rows[0].size());
}

double Num(const boost::json::value& v) {
  return v.to_number<double>();
}

TEST(SchedBenchFormat, JsonParsesBackWithEveryField) {
  auto odd = SampleResults();
  odd[1].workload = "Mixed/1000Nodes \"x\"\n\x01";
  auto text = FormatSchedBench(odd, "json");
  ASSERT_TRUE(text.ok());
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(*text, ec);
  ASSERT_FALSE(ec) << ec.message() << "\n" << *text;
  const auto& arr = v.as_array();
  ASSERT_EQ(arr.size(), 2u);
  const auto& a = arr[0].as_object();
  EXPECT_EQ(a.at("benchmark").as_string(), "SchedulingBasic/500Nodes");
  EXPECT_EQ(a.at("scheduler").as_string(), "spread");
  EXPECT_EQ(a.at("mode").as_string(), "api");
  EXPECT_EQ(a.at("nodes").as_int64(), 500);
  EXPECT_EQ(a.at("initial_pods").as_int64(), 500);
  EXPECT_EQ(a.at("measured_pods").as_int64(), 1000);
  EXPECT_EQ(a.at("scheduled").as_int64(), 1000);
  EXPECT_DOUBLE_EQ(Num(a.at("seconds")), 0.25);
  EXPECT_DOUBLE_EQ(Num(a.at("pods_per_second")), 4000);
  EXPECT_DOUBLE_EQ(Num(a.at("cpu_seconds")), 0.125);
  EXPECT_DOUBLE_EQ(Num(a.at("pods_per_cpu_second")), 8000);
  EXPECT_DOUBLE_EQ(Num(a.at("latency_p50_us")), 1500);
  EXPECT_DOUBLE_EQ(Num(a.at("latency_p99_us")), 2500000);
  EXPECT_DOUBLE_EQ(Num(a.at("cpu_utilisation")), 0.075);
  EXPECT_DOUBLE_EQ(Num(a.at("memory_utilisation")), 0.046);
  EXPECT_DOUBLE_EQ(Num(a.at("kube_scheduler_pods_per_second")), 305);
  const auto& b = arr[1].as_object();
  EXPECT_EQ(b.at("benchmark").as_string(), odd[1].workload);
  EXPECT_EQ(b.at("unschedulable").as_int64(), 507);
  EXPECT_EQ(b.at("fragmented").as_int64(), 39);
  EXPECT_EQ(b.at("zone_skew").as_int64(), 109);
  EXPECT_EQ(b.at("node_skew").as_int64(), 4);
  EXPECT_EQ(b.at("flow_rounds").as_int64(), 16);
  EXPECT_DOUBLE_EQ(Num(b.at("flow_max_round_ms")), 72.26);
  EXPECT_DOUBLE_EQ(Num(b.at("kube_scheduler_pods_per_second")), 0);
}

TEST(SchedBenchFormat, MarkdownHasOneRowPerResultAndRejectsUnknownFormats) {
  auto md = FormatSchedBench(SampleResults(), "markdown");
  ASSERT_TRUE(md.ok());
  EXPECT_THAT(*md, HasSubstr("| benchmark | scheduler | mode |"));
  EXPECT_THAT(*md,
              HasSubstr("| SchedulingBasic/500Nodes | spread | api | 500 | 1000 | 4000 | 8000 |"));
  EXPECT_THAT(*md, HasSubstr("| Mixed/1000Nodes | flow | core | 1000 | 15507 |"));
  auto bad = FormatSchedBench(SampleResults(), "xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("format \"xml\": use markdown, csv or json"));
}

// A real run's JSON parses back with the run's own numbers.
TEST(SchedBenchFormat, RunOutputParsesBack) {
  auto r = RunBench("Spread/30Nodes_200", "spread", "core", nullptr);
  ASSERT_TRUE(r.ok());
  auto text = FormatSchedBench({*r}, "json");
  ASSERT_TRUE(text.ok());
  const auto v = boost::json::parse(*text);
  const auto& o = v.as_array().at(0).as_object();
  EXPECT_EQ(o.at("scheduled").as_int64(), r->scheduled);
  EXPECT_EQ(o.at("zone_skew").as_int64(), r->zone_skew);
  EXPECT_EQ(o.at("node_skew").as_int64(), r->node_skew);
  EXPECT_EQ(o.at("measured_pods").as_int64(), 200);
}

}  // namespace
}  // namespace navarch::sim
