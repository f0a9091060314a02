#include "core/scheduler/decider.h"

#include <algorithm>
#include <cassert>

#include "core/scheduler/zeroed_array.h"

namespace navarch::scheduler {
namespace {

// Running aggregates of one normalized plugin over a class's feasible nodes,
// so that a decision over all nodes needs no statistics pass.
struct Aggregate {
  std::vector<uint32_t> hist;      // [v] = feasible nodes with raw value v (v > 0)
  std::vector<uint64_t> zone_sum;  // [zone] = sum of raw values
  uint32_t nonzero = 0;            // feasible nodes with a raw value > 0
};

void Contribute(Aggregate& a, int32_t v, uint32_t zone, int sign) {
  if (v <= 0) return;
  const auto u = static_cast<uint32_t>(v);
  if (a.hist.size() <= u) a.hist.resize(u + 1, 0);
  if (a.zone_sum.size() <= zone) a.zone_sum.resize(zone + 1, 0);
  if (sign > 0) {
    ++a.hist[u];
    a.zone_sum[zone] += u;
    ++a.nonzero;
  } else {
    --a.hist[u];
    a.zone_sum[zone] -= u;
    --a.nonzero;
  }
}

}  // namespace

// Per-node columns are ZeroedArrays: a class that samples touches only the
// pages of the nodes it visits.
struct Decider::ClassCache {
  ZeroedArray<uint64_t> seen;             // node generation last evaluated (0 = never)
  ZeroedArray<uint16_t> reason;           // 0 = feasible
  ZeroedArray<int32_t> local;             // weighted sum of the kNone scores
  ZeroedArray<uint64_t> base;             // (local << 32) | (~rank); 0 = infeasible
  std::vector<ZeroedArray<int32_t>> raw;  // per normalized plugin; 0 when infeasible
  ZeroedArray<uint32_t> czone;            // the node's zone when last evaluated
  std::vector<Aggregate> agg;             // per normalized plugin
  uint64_t evaluated = 0;                 // entries with seen != 0 (the budget's unit)
  uint32_t zoned_feasible = 0;            // feasible nodes that have a zone
  uint64_t log_pos = 0;
  bool full_check = true;  // next decision must compare every generation
  uint64_t rank_epoch = 0;
  uint64_t last_used = 0;
};

// Per decision, per normalized plugin.
struct Decider::NormState {
  Normalization kind = Normalization::kNone;
  int32_t weight = 1;
  bool constant = true;  // every visited feasible node scores 100
  int32_t max = 0;
  uint32_t stride = 1;  // max + 1
  bool have_zones = false;
  std::vector<int32_t> zone_score;  // per zone, unweighted
  std::vector<int32_t> lut;         // [zone * stride + raw] -> weighted score
};

namespace {

constexpr size_t kMaxLut = size_t{1} << 20;

inline uint64_t MakeKey(int64_t total, uint32_t rank) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(total)) << 32) |
         static_cast<uint64_t>(0xFFFFFFFFu - rank);
}

inline int32_t ReverseMax(int64_t max, int64_t v) {
  if (max <= 0) return 100;
  return static_cast<int32_t>(100 * (max - v) / max);
}

}  // namespace

std::string UnschedulableMessage(const Explanation& e) {
  std::string out = std::to_string(e.feasible_nodes) + "/" + std::to_string(e.total_nodes) +
                    " nodes are available";
  if (e.filtered.empty()) return out + ".";
  out += ": ";
  for (size_t i = 0; i < e.filtered.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(e.filtered[i].second) + " " + e.filtered[i].first;
  }
  return out + ".";
}

Decider::Decider(Profile profile, DeciderOptions options)
    : profile_(std::move(profile)), options_(options) {
  for (size_t j = 0; j < profile_.scores.size(); ++j) {
    if (profile_.scores[j].plugin->normalization() == Normalization::kNone) {
      plain_.push_back(j);
    } else {
      normalized_.push_back(j);
    }
  }
  norm_.resize(normalized_.size());
}

Decider::~Decider() = default;

Decider::Decider::ClassCache& Decider::GetClass(const PodInfo& pod, NodeTable& table,
                                                bool* created) {
  if (table_ != &table) {
    classes_.clear();
    evaluated_ = 0;
    table_ = &table;
    next_start_ = 0;
  }
  const uint32_t n = table.size();
  auto it = classes_.find(pod.class_key);
  *created = it == classes_.end();
  if (*created) {
    while (classes_.size() >= std::max<size_t>(options_.max_cached_classes, 1)) {
      EvictLeastRecentlyUsed(nullptr);
    }
    auto cache = std::make_unique<ClassCache>();
    cache->raw.resize(normalized_.size());
    cache->agg.resize(normalized_.size());
    cache->log_pos = table.LogEnd();
    cache->rank_epoch = table.RankEpoch();
    it = classes_.emplace(pod.class_key, std::move(cache)).first;
    ++stats_.class_misses;
  }
  ClassCache& c = *it->second;
  c.last_used = ++use_clock_;
  if (c.seen.size() > n) {
    // Nodes were removed: drop what the vanished slots contributed.
    for (size_t i = n; i < c.seen.size(); ++i) {
      if (c.seen[i] != 0) {
        --c.evaluated;
        --evaluated_;
      }
      if (c.base[i] != 0 && c.czone[i] != 0) --c.zoned_feasible;
      for (size_t j = 0; j < normalized_.size(); ++j) {
        Contribute(c.agg[j], c.raw[j][i], c.czone[i], -1);
      }
    }
  }
  if (c.seen.size() != n) {
    // New slots are never seen (generation 0).
    c.seen.resize(n);
    c.reason.resize(n);
    c.local.resize(n);
    c.base.resize(n);
    c.czone.resize(n);
    for (auto& r : c.raw)
      r.resize(n);
  }
  return c;
}

void Decider::EvictLeastRecentlyUsed(const ClassCache* keep) {
  auto victim = classes_.end();
  for (auto c = classes_.begin(); c != classes_.end(); ++c) {
    if (c->second.get() == keep) continue;
    if (victim == classes_.end() || c->second->last_used < victim->second->last_used) victim = c;
  }
  if (victim == classes_.end()) return;
  evaluated_ -= victim->second->evaluated;
  classes_.erase(victim);
  ++stats_.class_evictions;
}

void Decider::TrimCaches(const ClassCache& current) {
  while (evaluated_ > options_.max_cached_node_entries && classes_.size() > 1) {
    EvictLeastRecentlyUsed(&current);
  }
}

void Decider::Refresh(ClassCache& c, const PodInfo& pod, NodeTable& table,
                      std::span<const uint32_t> nodes) {
  if (nodes.empty()) return;
  stats_.nodes_refreshed += nodes.size();
  const uint64_t* gen = table.generations();
  const uint32_t* rank = table.ranks();
  const uint32_t* zone = table.zones();
  pass_.assign(nodes.begin(), nodes.end());
  // Withdraw what these nodes contributed, then evaluate them afresh.
  for (uint32_t i : nodes) {
    if (c.seen[i] == 0) {
      ++c.evaluated;
      ++evaluated_;
    }
    if (c.base[i] != 0 && c.czone[i] != 0) --c.zoned_feasible;
    for (size_t j = 0; j < normalized_.size(); ++j) {
      Contribute(c.agg[j], c.raw[j][i], c.czone[i], -1);
      c.raw[j][i] = 0;
    }
    c.seen[i] = gen[i];
    c.reason[i] = 0;
    c.base[i] = 0;
    c.local[i] = 0;
    c.czone[i] = zone[i];
  }
  for (const auto& f : profile_.filters) {
    if (pass_.empty()) break;
    codes_.assign(pass_.size(), 0);
    f->Filter(pod, table, pass_, codes_, reasons_);
    keep_.clear();
    for (size_t k = 0; k < pass_.size(); ++k) {
      if (codes_[k] != 0) {
        c.reason[pass_[k]] = codes_[k];
      } else {
        keep_.push_back(pass_[k]);
      }
    }
    pass_.swap(keep_);
  }
  // Infeasible nodes keep key 0 and raw values 0.
  if (pass_.empty()) return;
  acc_.assign(pass_.size(), 0);
  values_.resize(pass_.size());
  for (size_t j : plain_) {
    const auto& s = profile_.scores[j];
    s.plugin->Score(pod, table, pass_, values_);
    for (size_t k = 0; k < pass_.size(); ++k) {
      acc_[k] += static_cast<int64_t>(s.weight) * std::clamp(values_[k], 0, 100);
    }
  }
  for (size_t k = 0; k < pass_.size(); ++k) {
    const uint32_t i = pass_[k];
    c.local[i] = static_cast<int32_t>(acc_[k]);
    c.base[i] = MakeKey(acc_[k], rank[i]);
    if (zone[i] != 0) ++c.zoned_feasible;
  }
  for (size_t j = 0; j < normalized_.size(); ++j) {
    profile_.scores[normalized_[j]].plugin->Score(pod, table, pass_, values_);
    auto& raw = c.raw[j];
    for (size_t k = 0; k < pass_.size(); ++k) {
      const uint32_t i = pass_[k];
      const int32_t v = std::max(values_[k], 0);
      raw[i] = v;
      Contribute(c.agg[j], v, zone[i], +1);
    }
  }
}

void Decider::RebuildKeys(ClassCache& c, NodeTable& table) {
  const uint32_t n = table.size();
  const uint32_t* rank = table.ranks();
  for (uint32_t i = 0; i < n; ++i) {
    if (c.base[i] != 0) c.base[i] = MakeKey(c.local[i], rank[i]);
  }
  c.rank_epoch = table.RankEpoch();
}

uint32_t Decider::SampleTarget(uint32_t n) const {
  const int32_t min_find = std::max(options_.min_feasible_nodes_to_find, 1);
  int32_t pct = options_.percentage_of_nodes_to_score;
  if (pct >= 100 || n < static_cast<uint32_t>(min_find)) return n;
  if (pct <= 0) {
    pct = 50 - static_cast<int32_t>(n / 125);
    if (pct < 5) pct = 5;
  }
  const uint64_t want = static_cast<uint64_t>(n) * static_cast<uint64_t>(pct) / 100;
  return static_cast<uint32_t>(std::max<uint64_t>(want, static_cast<uint64_t>(min_find)));
}

int32_t Decider::NormalizedScore(size_t j, uint32_t zone, int32_t raw) const {
  const NormState& s = norm_[j];
  if (s.constant) return 100;
  const int32_t node_part = ReverseMax(s.max, raw);
  if (s.kind != Normalization::kReverseMaxZones || !s.have_zones || zone == 0) return node_part;
  return (node_part + 2 * s.zone_score[zone]) / 3;
}

void Decider::RefreshAll(ClassCache& c, const PodInfo& pod, NodeTable& table) {
  const uint32_t n = table.size();
  const uint64_t* gen = table.generations();
  stale_.clear();
  if (c.full_check || c.log_pos < table.LogBegin()) {
    for (uint32_t i = 0; i < n; ++i) {
      if (c.seen[i] != gen[i]) stale_.push_back(i);
    }
    c.full_check = false;
  } else {
    for (uint64_t p = c.log_pos, end = table.LogEnd(); p < end; ++p) {
      const uint32_t i = table.LogAt(p);
      if (i < n && c.seen[i] != gen[i]) {
        if (c.seen[i] == 0) {
          ++c.evaluated;
          ++evaluated_;
        }
        c.seen[i] = gen[i];  // de-duplicates repeated log entries
        stale_.push_back(i);
      }
    }
  }
  c.log_pos = table.LogEnd();
  Refresh(c, pod, table, stale_);
}

int64_t Decider::PrepareNormalization(ClassCache& c, bool full, const uint32_t (&ranges)[2][2],
                                      const NodeTable& table) {
  const uint32_t* zone = table.zones();
  const uint32_t zones = table.ZoneCount();
  int64_t constant = 0;
  for (size_t j = 0; j < normalized_.size(); ++j) {
    NormState& s = norm_[j];
    const auto& ws = profile_.scores[normalized_[j]];
    s.kind = ws.plugin->normalization();
    s.weight = ws.weight;
    s.constant = true;
    s.max = 0;
    s.have_zones = false;
    if (c.agg[j].nonzero == 0) {
      constant += 100LL * s.weight;
      continue;
    }
    const int32_t* raw = c.raw[j].data();
    const uint64_t* base = c.base.data();
    int32_t mx = 0;
    if (full) {
      // Every node is scored: the running aggregates are the statistics.
      const Aggregate& a = c.agg[j];
      for (size_t v = a.hist.size(); v-- > 1;) {
        if (a.hist[v] != 0) {
          mx = static_cast<int32_t>(v);
          break;
        }
      }
      if (s.kind == Normalization::kReverseMaxZones) {
        s.have_zones = c.zoned_feasible > 0;
        uint64_t max_zone = 0;
        for (size_t z = 1; z < a.zone_sum.size() && z < zones; ++z) {
          max_zone = std::max(max_zone, a.zone_sum[z]);
        }
        s.zone_score.resize(zones);
        for (uint32_t z = 0; z < zones; ++z) {
          const uint64_t sum = z < a.zone_sum.size() ? a.zone_sum[z] : 0;
          s.zone_score[z] = ReverseMax(static_cast<int64_t>(max_zone), static_cast<int64_t>(sum));
        }
      }
    } else if (s.kind == Normalization::kReverseMaxZones) {
      zone_sums_.assign(zones, 0);
      bool have = false;
      for (auto& r : ranges) {
        for (uint32_t i = r[0]; i < r[1]; ++i) {
          if (base[i] == 0) continue;
          mx = std::max(mx, raw[i]);
          zone_sums_[zone[i]] += static_cast<uint64_t>(raw[i]);
          have |= zone[i] != 0;
        }
      }
      s.have_zones = have;
      uint64_t max_zone = 0;
      for (uint32_t z = 1; z < zones; ++z)
        max_zone = std::max(max_zone, zone_sums_[z]);
      s.zone_score.resize(zones);
      for (uint32_t z = 0; z < zones; ++z)
        s.zone_score[z] =
            ReverseMax(static_cast<int64_t>(max_zone), static_cast<int64_t>(zone_sums_[z]));
    } else {
      for (auto& r : ranges) {
        for (uint32_t i = r[0]; i < r[1]; ++i) {
          if (base[i] != 0) mx = std::max(mx, raw[i]);
        }
      }
    }
    if (mx == 0) {
      constant += 100LL * s.weight;
      continue;
    }
    s.constant = false;
    s.max = mx;
  }
  return constant;
}

void Decider::ScoreAll(const PodInfo& pod, NodeTable& table, std::vector<int32_t>& totals) {
  table.EnsureRanks();
  const uint32_t n = table.size();
  totals.assign(n, -1);
  if (n == 0) return;
  bool created = false;
  ClassCache& c = GetClass(pod, table, &created);
  if (c.rank_epoch != table.RankEpoch()) RebuildKeys(c, table);
  RefreshAll(c, pod, table);
  const uint32_t ranges[2][2] = {{0, n}, {0, 0}};
  const int64_t constant = PrepareNormalization(c, /*full=*/true, ranges, table);
  const uint32_t* zone = table.zones();
  const uint64_t* base = c.base.data();
  for (uint32_t i = 0; i < n; ++i) {
    if (base[i] == 0) continue;
    int64_t total = c.local[i] + constant;
    for (size_t j = 0; j < normalized_.size(); ++j) {
      if (norm_[j].constant) continue;
      total += static_cast<int64_t>(norm_[j].weight) * NormalizedScore(j, zone[i], c.raw[j][i]);
    }
    totals[i] = static_cast<int32_t>(total);
  }
  TrimCaches(c);
}

Placement Decider::Decide(const PodInfo& pod, NodeTable& table, Explanation* explain) {
  ++stats_.decisions;
  table.EnsureRanks();
  Placement out;
  const uint32_t n = table.size();
  if (explain) {
    *explain = Explanation{};
    explain->total_nodes = n;
  }
  if (n == 0) return out;
  bool created = false;
  ClassCache& c = GetClass(pod, table, &created);
  if (c.rank_epoch != table.RankEpoch()) RebuildKeys(c, table);
  const uint64_t* gen = table.generations();
  const uint32_t target = SampleTarget(n);
  const bool full = target >= n;

  // 1. Bring the visited nodes up to date and find the window [start, start+count).
  uint32_t start = 0;
  uint32_t count = n;
  uint32_t feasible = 0;
  if (full) {
    RefreshAll(c, pod, table);
  } else {
    // Sampling: visit round-robin in chunks until `target` feasible nodes.
    // The change log is not used; each visited node is checked directly.
    constexpr uint32_t kChunk = 256;
    start = next_start_ % n;
    count = 0;
    c.full_check = true;  // a later full scan must not trust the log position
    while (count < n && feasible < target) {
      const uint32_t len = std::min(kChunk, n - count);
      stale_.clear();
      for (uint32_t k = 0; k < len; ++k) {
        uint32_t i = start + count + k;
        if (i >= n) i -= n;
        if (c.seen[i] != gen[i]) stale_.push_back(i);
      }
      Refresh(c, pod, table, stale_);
      // Stop exactly at the node that completes the target.
      uint32_t k = 0;
      while (k < len && feasible < target) {
        uint32_t i = start + count + k;
        if (i >= n) i -= n;
        feasible += c.reason[i] == 0;
        ++k;
      }
      count += k;
    }
    next_start_ = (start + count) % n;
  }
  // The window as up to two ranges of indexes.
  uint32_t ranges[2][2] = {{start, std::min(n, start + count)}, {0, 0}};
  if (start + count > n) {
    ranges[1][0] = 0;
    ranges[1][1] = start + count - n;
  }

  // 2. Normalization statistics over the visited feasible nodes, then a
  // lookup table per normalized plugin that is not constant.
  const uint32_t* zone = table.zones();
  const uint32_t zones = table.ZoneCount();
  const int64_t constant = PrepareNormalization(c, full, ranges, table);
  struct Active {
    const int32_t* lut;
    const int32_t* raw;
    uint32_t stride;
  };
  Active active[8];
  int n_active = 0;
  bool slow = false;  // a lookup table would be too large
  for (size_t j = 0; j < normalized_.size(); ++j) {
    NormState& s = norm_[j];
    if (s.constant) continue;
    s.stride = static_cast<uint32_t>(s.max) + 1;
    const bool zoned = s.kind == Normalization::kReverseMaxZones && s.have_zones;
    const uint32_t rows = zoned ? zones : 1;
    if (static_cast<size_t>(rows) * s.stride > kMaxLut || n_active == 8) {
      slow = true;
      continue;
    }
    s.lut.resize(static_cast<size_t>(rows) * s.stride);
    for (uint32_t z = 0; z < rows; ++z) {
      for (uint32_t v = 0; v < s.stride; ++v) {
        s.lut[z * s.stride + v] = s.weight * NormalizedScore(j, z, static_cast<int32_t>(v));
      }
    }
    active[n_active++] = Active{s.lut.data(), c.raw[j].data(), zoned ? s.stride : 0};
  }

  // 3. The final pass: the best key (and runner-ups when explaining).
  const int top_k = explain ? 1 + std::max(options_.runner_ups, 0) : 1;
  uint64_t top_keys[16] = {};
  uint32_t top_nodes[16] = {};
  const int k_max = std::min(top_k, 16);
  const uint64_t* base = c.base.data();
  const uint64_t add = static_cast<uint64_t>(constant) << 32;
  auto offer = [&](uint64_t key, uint32_t i) {
    if (key <= top_keys[k_max - 1]) return;
    int p = k_max - 1;
    while (p > 0 && top_keys[p - 1] < key) {
      top_keys[p] = top_keys[p - 1];
      top_nodes[p] = top_nodes[p - 1];
      --p;
    }
    top_keys[p] = key;
    top_nodes[p] = i;
  };
  uint32_t feasible_seen = 0;
  for (auto& r : ranges) {
    if (slow) {
      for (uint32_t i = r[0]; i < r[1]; ++i) {
        if (base[i] == 0) continue;
        ++feasible_seen;
        int64_t extra = 0;
        for (size_t j = 0; j < normalized_.size(); ++j) {
          extra += static_cast<int64_t>(norm_[j].weight) * NormalizedScore(j, zone[i], c.raw[j][i]);
        }
        offer(base[i] + (static_cast<uint64_t>(extra) << 32), i);
      }
    } else if (n_active == 0) {
      for (uint32_t i = r[0]; i < r[1]; ++i) {
        const uint64_t b = base[i];
        if (b == 0) continue;
        ++feasible_seen;
        if (b + add > top_keys[k_max - 1]) offer(b + add, i);
      }
    } else if (n_active == 1) {
      const Active a = active[0];
      for (uint32_t i = r[0]; i < r[1]; ++i) {
        const uint64_t b = base[i];
        if (b == 0) continue;
        ++feasible_seen;
        const uint64_t key =
            b + add + (static_cast<uint64_t>(a.lut[zone[i] * a.stride + a.raw[i]]) << 32);
        if (key > top_keys[k_max - 1]) offer(key, i);
      }
    } else {
      for (uint32_t i = r[0]; i < r[1]; ++i) {
        const uint64_t b = base[i];
        if (b == 0) continue;
        ++feasible_seen;
        uint64_t extra = 0;
        for (int q = 0; q < n_active; ++q) {
          extra +=
              static_cast<uint64_t>(active[q].lut[zone[i] * active[q].stride + active[q].raw[i]]);
        }
        const uint64_t key = b + add + (extra << 32);
        if (key > top_keys[k_max - 1]) offer(key, i);
      }
    }
  }
  out.evaluated = count;
  out.feasible = feasible_seen;
  if (top_keys[0] != 0) out.node = top_nodes[0];
  if (explain) {
    int found = 0;
    while (found < k_max && top_keys[found] != 0)
      ++found;
    explain->evaluated_nodes = count;
    explain->feasible_nodes = feasible_seen;
    Explain(c, pod, table, *explain, top_nodes, found);
  }
  TrimCaches(c);
  return out;
}

void Decider::Explain(ClassCache& c, const PodInfo& pod, NodeTable& table, Explanation& e,
                      const uint32_t* top_nodes, int top_count) {
  const uint32_t n = table.size();
  // Reason counts over the visited nodes.
  std::vector<uint32_t> by_code(reasons_.size(), 0);
  const uint32_t start = e.evaluated_nodes >= n ? 0 : (next_start_ + n - e.evaluated_nodes) % n;
  for (uint32_t k = 0; k < e.evaluated_nodes; ++k) {
    uint32_t i = start + k;
    if (i >= n) i -= n;
    ++by_code[c.reason[i]];
  }
  std::map<std::string, uint32_t> by_reason;
  for (size_t code = 1; code < by_code.size(); ++code) {
    if (by_code[code] == 0) continue;
    for (const auto& r : reasons_.Reasons(static_cast<uint16_t>(code)))
      by_reason[r] += by_code[code];
  }
  e.filtered.assign(by_reason.begin(), by_reason.end());
  std::stable_sort(e.filtered.begin(), e.filtered.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });

  // Score breakdowns.
  const uint32_t* zone = table.zones();
  for (int t = 0; t < top_count; ++t) {
    const uint32_t i = top_nodes[t];
    NodeScore ns;
    ns.node = table.node(i).name;
    const uint32_t one[1] = {i};
    int32_t value[1] = {0};
    size_t norm_index = 0;
    for (size_t j = 0; j < profile_.scores.size(); ++j) {
      const auto& ws = profile_.scores[j];
      PluginScore ps;
      ps.plugin = std::string(ws.plugin->Name());
      ps.weight = ws.weight;
      if (ws.plugin->normalization() == Normalization::kNone) {
        ws.plugin->Score(pod, table, one, value);
        ps.score = std::clamp(value[0], 0, 100);
      } else {
        ps.score = NormalizedScore(norm_index, zone[i], c.raw[norm_index][i]);
        ++norm_index;
      }
      ns.total += static_cast<int64_t>(ps.weight) * ps.score;
      ns.plugins.push_back(std::move(ps));
    }
    e.scores.push_back(std::move(ns));
  }
}

bool Decider::Fits(const PodInfo& pod, NodeTable& table, uint32_t index) {
  if (index >= table.size()) return false;
  table.EnsureRanks();
  if (table_ == &table) {
    auto it = classes_.find(pod.class_key);
    if (it != classes_.end()) {
      ClassCache& c = *it->second;
      if (c.seen.size() < table.size()) {
        bool created = false;
        GetClass(pod, table, &created);
      }
      if (c.rank_epoch != table.RankEpoch()) RebuildKeys(c, table);
      if (c.seen[index] != table.Generation(index)) {
        const uint32_t one[1] = {index};
        Refresh(c, pod, table, one);
      }
      return c.reason[index] == 0;
    }
  }
  // No cache for this class: run the filters on the one node.
  const uint32_t one[1] = {index};
  for (const auto& f : profile_.filters) {
    uint16_t code[1] = {0};
    f->Filter(pod, table, one, code, reasons_);
    if (code[0] != 0) return false;
  }
  return true;
}

}  // namespace navarch::scheduler
