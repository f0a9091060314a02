#include "core/scheduler/flow_decider.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <utility>

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

namespace navarch::scheduler {
namespace {

// Pods of `pod`'s class that fit in node `n`'s free resources.
int64_t FitCount(const PodInfo& pod, const NodeInfo& n) {
  int64_t fit = n.alloc_pods - n.req_pods;
  if (pod.milli_cpu > 0) fit = std::min(fit, (n.alloc_milli_cpu - n.req_milli_cpu) / pod.milli_cpu);
  if (pod.memory > 0) fit = std::min(fit, (n.alloc_memory - n.req_memory) / pod.memory);
  if (!pod.host_ports.empty()) fit = std::min<int64_t>(fit, 1);
  return std::max<int64_t>(fit, 0);
}

// The pod's largest share of the node, in percent (1..100).
int64_t SharePercent(const PodInfo& pod, const NodeInfo& n) {
  int64_t share = n.alloc_pods > 0 ? (100 + n.alloc_pods - 1) / n.alloc_pods : 100;
  if (n.alloc_milli_cpu > 0) {
    share = std::max(share, (pod.milli_cpu * 100 + n.alloc_milli_cpu - 1) / n.alloc_milli_cpu);
  }
  if (n.alloc_memory > 0) {
    // Memory in bytes can overflow * 100 only beyond 92 PB; divide first.
    const int64_t unit = std::max<int64_t>(n.alloc_memory / 10'000, 1);
    share = std::max(share, (pod.memory / unit + 99) / 100);
  }
  return std::clamp<int64_t>(share, 1, 100);
}

int64_t WaitSeconds(Duration d) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return std::max<int64_t>(s, 0);
}

}  // namespace

struct FlowDecider::Arc {
  int source = 0;  // graph node ids
  int target = 0;
  int64_t cap = 0;
  int64_t cost = 0;
};

struct FlowDecider::ClassData {
  std::vector<uint32_t> pods;  // indexes into the batch, oldest first
  int32_t priority = 0;
  struct Candidate {
    uint64_t key = 0;  // (cost << 32) | rank
    uint32_t node = 0;
    int64_t fit = 0;
    int64_t step = 0;        // stacking cost per pod
    uint32_t first_arc = 0;  // its segments: [first_arc, first_arc + arcs)
    uint32_t arcs = 0;
  };
  std::vector<Candidate> candidates;  // best first
  // Runs of pods (in `pods` order) with the same unscheduled cost.
  struct Run {
    uint32_t begin = 0;
    uint32_t end = 0;
    int64_t cost = 0;
    uint32_t arc = 0;
  };
  std::vector<Run> runs;
  int graph_node = 0;
};

FlowDecider::FlowDecider(Decider& decider, FlowOptions options)
    : decider_(decider), options_(options) {
  if (options_.stacking_weight >= 0) {
    stacking_weight_ = options_.stacking_weight;
  } else {
    for (const auto& s : decider_.profile().scores) {
      const std::string_view name = s.plugin->Name();
      if (name == "LeastAllocated" || name == "SelectorSpread") stacking_weight_ += s.weight;
    }
  }
}

FlowDecider::~FlowDecider() = default;

std::vector<FlowPlacement> FlowDecider::DecideBatch(std::span<const FlowPod> pods,
                                                    NodeTable& table) {
  stats_ = FlowRoundStats{};
  stats_.pods = static_cast<uint32_t>(pods.size());
  std::vector<FlowPlacement> out(pods.size());
  std::vector<uint8_t> deferrable(pods.size(), 0);
  ucost_.assign(pods.size(), 0);
  std::vector<uint32_t> todo(pods.size());
  for (uint32_t i = 0; i < todo.size(); ++i)
    todo[i] = i;
  const int32_t solves = std::max(options_.max_solves, 1);
  for (int32_t s = 0; s < solves && !todo.empty() && table.size() > 0; ++s) {
    todo = Solve(pods, todo, table, out, deferrable);
  }

  // What the flow left out: placed greedily if a node fits (unless waiting
  // was the cheaper choice), else unschedulable.
  std::map<std::string_view, bool> none_fits;  // class keys known to fit nowhere
  for (uint32_t i = 0; i < pods.size(); ++i) {
    FlowPlacement& p = out[i];
    if (p.outcome == FlowPlacement::Outcome::kPlaced) continue;
    const PodInfo& info = *pods[i].info;
    if (none_fits.count(info.class_key) != 0) {
      p.outcome = FlowPlacement::Outcome::kUnschedulable;
      ++stats_.unschedulable;
      continue;
    }
    Placement g = decider_.Decide(info, table);
    if (!g.node) {
      none_fits.emplace(info.class_key, true);
      p.outcome = FlowPlacement::Outcome::kUnschedulable;
      ++stats_.unschedulable;
    } else if (deferrable[i] != 0) {
      p.outcome = FlowPlacement::Outcome::kDeferred;
      ++stats_.deferred;
    } else {
      table.AddPod(info, table.node(*g.node).name, /*assumed=*/true);
      p.outcome = FlowPlacement::Outcome::kPlaced;
      p.node = g.node;
      p.greedy = true;
      ++stats_.placed_greedy;
    }
  }
  for (const auto& p : out) {
    if (p.outcome == FlowPlacement::Outcome::kPlaced) ++stats_.placed;
  }
  return out;
}

std::vector<uint32_t> FlowDecider::Solve(std::span<const FlowPod> pods,
                                         const std::vector<uint32_t>& todo, NodeTable& table,
                                         std::vector<FlowPlacement>& out,
                                         std::vector<uint8_t>& deferrable) {
  ++stats_.solves;
  table.EnsureRanks();
  const uint32_t n = table.size();
  const uint32_t* rank = table.ranks();
  by_rank_.resize(n);
  for (uint32_t i = 0; i < n; ++i)
    by_rank_[rank[i]] = i;

  // 1. Classes: (class key, priority), in key order.
  std::map<std::pair<std::string_view, int32_t>, ClassData> classes;
  for (uint32_t i : todo) {
    const PodInfo& info = *pods[i].info;
    ClassData& c = classes[{std::string_view(info.class_key), info.priority}];
    c.priority = info.priority;
    c.pods.push_back(i);
  }
  if (stats_.solves == 1) stats_.classes = static_cast<uint32_t>(classes.size());
  std::vector<int32_t> priorities;
  for (auto& [key, c] : classes) {
    priorities.push_back(c.priority);
    std::sort(c.pods.begin(), c.pods.end(), [&](uint32_t a, uint32_t b) {
      if (pods[a].waited != pods[b].waited) return pods[a].waited > pods[b].waited;
      return pods[a].info->key < pods[b].info->key;
    });
  }
  std::sort(priorities.begin(), priorities.end());
  priorities.erase(std::unique(priorities.begin(), priorities.end()), priorities.end());

  // 2. Candidates and their segment arcs.
  const int64_t max_total = decider_.MaxTotal();
  std::vector<Arc> arcs;
  int next_node = 1;  // 0 is the sink
  graph_node_.assign(n, -1);
  std::vector<uint32_t> used_nodes;
  int64_t max_points = 0;
  const int64_t scale = static_cast<int64_t>(n) + 1;
  std::vector<ClassData::Candidate> all;
  std::vector<ClassData> groups;
  for (auto& [key, c] : classes) {
    const PodInfo& rep = *pods[c.pods.front()].info;
    decider_.ScoreAll(rep, table, totals_);
    all.clear();
    for (uint32_t r = 0; r < n; ++r) {
      const uint32_t i = by_rank_[r];
      if (totals_[i] < 0) continue;
      const NodeInfo& node = table.node(i);
      const int64_t fit = FitCount(rep, node);
      if (fit <= 0) continue;
      const int64_t cost = std::max<int64_t>(max_total - totals_[i], 0);
      all.push_back({(static_cast<uint64_t>(cost) << 32) | r, i, fit,
                     stacking_weight_ * SharePercent(rep, node), 0, 0});
    }
    const uint64_t m = c.pods.size();
    const uint64_t limit =
        options_.min_candidates == 0
            ? all.size()
            : std::max<uint64_t>(options_.min_candidates, options_.candidates_per_pod * m);
    auto by_key = [](const ClassData::Candidate& a, const ClassData::Candidate& b) {
      return a.key < b.key;
    };
    if (all.size() > limit) {
      std::nth_element(all.begin(), all.begin() + static_cast<ptrdiff_t>(limit), all.end(), by_key);
      uint64_t cap = 0;
      for (uint64_t k = 0; k < limit; ++k)
        cap += static_cast<uint64_t>(all[k].fit);
      if (cap >= m) all.resize(limit);
    }
    std::sort(all.begin(), all.end(), by_key);
    // A large class is split into chunks, each with an interleaved share of
    // the pods (oldest first) and of the candidates (best first): the
    // simplex's tree updates grow with the nodes hanging under one class.
    const size_t chunks = std::max<size_t>(
        1, (m + options_.max_chunk_pods - 1) / std::max<uint32_t>(options_.max_chunk_pods, 1));
    for (size_t j = 0; j < chunks; ++j) {
      ClassData g;
      g.priority = c.priority;
      g.graph_node = next_node++;
      for (size_t k = j; k < c.pods.size(); k += chunks)
        g.pods.push_back(c.pods[k]);
      for (size_t k = j; k < all.size(); k += chunks)
        g.candidates.push_back(all[k]);
      if (!g.candidates.empty()) {
        // Fine-grained segments up to twice the even share of the pods.
        const int64_t even =
            static_cast<int64_t>((g.pods.size() + g.candidates.size() - 1) / g.candidates.size());
        const int64_t granular = 2 * even;
        for (auto& cand : g.candidates) {
          if (graph_node_[cand.node] < 0) {
            graph_node_[cand.node] = next_node++;
            used_nodes.push_back(cand.node);
          }
          const int64_t base = static_cast<int64_t>(cand.key >> 32);
          cand.first_arc = static_cast<uint32_t>(arcs.size());
          int64_t lo = 0;
          int segments = 0;
          while (lo < cand.fit) {
            int64_t hi = lo == 0 ? 1 : 2 * lo;
            if (lo >= granular || segments == 7) hi = cand.fit;
            hi = std::min(hi, cand.fit);
            // Score points scaled by `scale`, plus the name rank: ties go to
            // the node whose name sorts first (and a profile without
            // stacking fills nodes in that order, as its greedy counterpart
            // would).
            const int64_t points = base + lo * cand.step;
            max_points = std::max(max_points, points);
            const int64_t cost = points * scale + static_cast<int64_t>(cand.key & 0xFFFFFFFFu);
            arcs.push_back({g.graph_node, graph_node_[cand.node], hi - lo, cost});
            lo = hi;
            ++segments;
          }
          cand.arcs = static_cast<uint32_t>(arcs.size()) - cand.first_arc;
        }
      }
      groups.push_back(std::move(g));
    }
  }

  // 3. Unscheduled arcs, one per run of equal cost.
  // The default is above the cost of any augmenting path through the
  // placement arcs (a simple path visits each class once), so the optimum
  // places as many pods as the arcs allow.
  const int64_t base_unscheduled = options_.unscheduled_cost >= 0
                                       ? options_.unscheduled_cost
                                       : max_points * (static_cast<int64_t>(groups.size()) + 1) + 1;
  const int64_t priority_step = std::max<int64_t>(options_.max_wait_cost, 0) + 1;
  for (auto& c : groups) {
    const int64_t level =
        std::lower_bound(priorities.begin(), priorities.end(), c.priority) - priorities.begin();
    const int64_t best =
        c.candidates.empty() ? -1 : static_cast<int64_t>(c.candidates[0].key >> 32);
    for (uint32_t k = 0; k < c.pods.size(); ++k) {
      const uint32_t i = c.pods[k];
      const int64_t wait = std::min(options_.wait_cost_per_second * WaitSeconds(pods[i].waited),
                                    std::max<int64_t>(options_.max_wait_cost, 0));
      const int64_t points = base_unscheduled + wait + level * priority_step;
      ucost_[i] = points;
      if (best >= 0 && points < best) deferrable[i] = 1;
      const int64_t cost = points * scale;
      if (c.runs.empty() || c.runs.back().cost != cost) {
        c.runs.push_back({k, k, cost, static_cast<uint32_t>(arcs.size())});
        arcs.push_back({c.graph_node, 0, 0, cost});
      }
      ++c.runs.back().end;
      ++arcs[c.runs.back().arc].cap;
    }
  }
  // 4. Nodes to the sink.
  for (uint32_t i : used_nodes) {
    const NodeInfo& node = table.node(i);
    arcs.push_back({graph_node_[i], 0, std::max<int64_t>(node.alloc_pods - node.req_pods, 0), 0});
  }

  // 5. Solve.
  lemon::SmartDigraph g;
  g.reserveNode(next_node);
  g.reserveArc(static_cast<int>(arcs.size()));
  for (int v = 0; v < next_node; ++v)
    g.addNode();
  for (const Arc& a : arcs)
    g.addArc(g.nodeFromId(a.source), g.nodeFromId(a.target));
  lemon::SmartDigraph::ArcMap<int64_t> cap(g), cost(g);
  for (size_t k = 0; k < arcs.size(); ++k) {
    const auto arc = g.arcFromId(static_cast<int>(k));
    cap[arc] = arcs[k].cap;
    cost[arc] = arcs[k].cost;
  }
  lemon::SmartDigraph::NodeMap<int64_t> supply(g, 0);
  int64_t total = 0;
  for (auto& c : groups) {
    supply[g.nodeFromId(c.graph_node)] = static_cast<int64_t>(c.pods.size());
    total += static_cast<int64_t>(c.pods.size());
  }
  supply[g.nodeFromId(0)] = -total;
  stats_.graph_nodes += static_cast<uint64_t>(next_node);
  stats_.graph_arcs += arcs.size();

  lemon::NetworkSimplex<lemon::SmartDigraph, int64_t, int64_t> ns(g);
  ns.upperMap(cap).costMap(cost).supplyMap(supply);
  if (ns.run() != lemon::NetworkSimplex<lemon::SmartDigraph, int64_t, int64_t>::OPTIMAL) {
    // Cannot happen (every class can send its pods through its unscheduled
    // arcs); the greedy fallback places them if it does.
    return {};
  }
  auto flow = [&](uint32_t k) { return ns.flow(g.arcFromId(static_cast<int>(k))); };

  // 6. Assign: in each class, the pods that flow chose to place (per run,
  // the first ones) go to its best candidates first. Pods of different
  // classes may contend for one node's cpu and memory, so the assignments
  // are then checked against the table in the order of their unscheduled
  // cost (the longest waiting and highest priority first).
  struct Assignment {
    uint32_t pod;
    uint32_t node;
  };
  std::vector<Assignment> assigned;
  std::vector<uint32_t> chosen;
  for (auto& c : groups) {
    chosen.clear();
    for (const auto& run : c.runs) {
      const int64_t out_of_round = flow(run.arc);
      const int64_t placed = static_cast<int64_t>(run.end - run.begin) - out_of_round;
      for (int64_t k = 0; k < placed; ++k)
        chosen.push_back(c.pods[run.begin + static_cast<uint32_t>(k)]);
    }
    size_t next = 0;
    for (const auto& cand : c.candidates) {
      int64_t count = 0;
      for (uint32_t k = 0; k < cand.arcs; ++k)
        count += flow(cand.first_arc + k);
      for (int64_t k = 0; k < count && next < chosen.size(); ++k)
        assigned.push_back({chosen[next++], cand.node});
    }
  }
  std::stable_sort(assigned.begin(), assigned.end(), [&](const Assignment& a, const Assignment& b) {
    return ucost_[a.pod] > ucost_[b.pod];
  });
  std::vector<uint32_t> leftovers;
  for (const Assignment& a : assigned) {
    const NodeInfo& node = table.node(a.node);
    const PodInfo& info = *pods[a.pod].info;
    bool fits =
        node.req_pods + 1 <= node.alloc_pods &&
        (info.milli_cpu == 0 || node.req_milli_cpu + info.milli_cpu <= node.alloc_milli_cpu) &&
        (info.memory == 0 || node.req_memory + info.memory <= node.alloc_memory);
    if (fits && !info.host_ports.empty()) fits = decider_.Fits(info, table, a.node);
    if (!fits) {
      leftovers.push_back(a.pod);
      continue;
    }
    table.AddPod(info, node.name, /*assumed=*/true);
    out[a.pod].outcome = FlowPlacement::Outcome::kPlaced;
    out[a.pod].node = a.node;
  }
  std::sort(leftovers.begin(), leftovers.end());
  return leftovers;
}

}  // namespace navarch::scheduler
