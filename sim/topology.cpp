#include "sim/topology.h"

#include <algorithm>

#include <boost/graph/breadth_first_search.hpp>

namespace navarch::sim {

std::string_view DomainLevelName(DomainLevel level) {
  switch (level) {
    case DomainLevel::kCluster:
      return "cluster";
    case DomainLevel::kZone:
      return "zone";
    case DomainLevel::kRack:
      return "rack";
    case DomainLevel::kNode:
      return "node";
  }
  return "unknown";
}

Topology::Topology() {
  root_ = boost::add_vertex(graph_);
  graph_[root_].level = DomainLevel::kCluster;
  graph_[root_].name = "cluster";
  graph_[root_].parent = root_;
}

const std::map<std::string, Topology::Vertex, std::less<>>& Topology::IndexOf(
    DomainLevel level) const {
  switch (level) {
    case DomainLevel::kZone:
      return zones_;
    case DomainLevel::kRack:
      return racks_;
    default:
      return nodes_;
  }
}

std::map<std::string, Topology::Vertex, std::less<>>& Topology::IndexOf(DomainLevel level) {
  return const_cast<std::map<std::string, Vertex, std::less<>>&>(
      static_cast<const Topology*>(this)->IndexOf(level));
}

Topology::Vertex Topology::AddChild(Vertex parent, DomainLevel level, const std::string& name) {
  Vertex v = boost::add_vertex(graph_);
  graph_[v].level = level;
  graph_[v].name = name;
  graph_[v].parent = parent;
  boost::add_edge(parent, v, graph_);
  IndexOf(level).emplace(name, v);
  return v;
}

Status Topology::AddNode(const std::string& zone, const std::string& rack,
                         const std::string& node) {
  if (zone.empty() || rack.empty() || node.empty()) {
    return InvalidArgument("topology: node \"" + node + "\" needs a zone, a rack and a name");
  }
  auto n = nodes_.find(node);
  if (n != nodes_.end() && graph_[n->second].attached) {
    return AlreadyExists("topology: node \"" + node + "\" already exists");
  }
  auto r = racks_.find(rack);
  if (r != racks_.end() && graph_[graph_[r->second].parent].name != zone) {
    return InvalidArgument("topology: rack \"" + rack + "\" is in zone \"" +
                           graph_[graph_[r->second].parent].name + "\", not \"" + zone + "\"");
  }
  auto z = zones_.find(zone);
  Vertex zv = z != zones_.end() ? z->second : AddChild(root_, DomainLevel::kZone, zone);
  Vertex rv = r != racks_.end() ? r->second : AddChild(zv, DomainLevel::kRack, rack);
  if (n != nodes_.end()) {
    // A removed node coming back: re-attach it under its (possibly new) rack,
    // with its own flags cleared.
    Vertex nv = n->second;
    graph_[nv] = VertexInfo{DomainLevel::kNode, node, false, false, true, rv};
    boost::add_edge(rv, nv, graph_);
    return Status::Ok();
  }
  AddChild(rv, DomainLevel::kNode, node);
  return Status::Ok();
}

Status Topology::RemoveNode(const std::string& node) {
  auto n = nodes_.find(node);
  if (n == nodes_.end() || !graph_[n->second].attached) {
    return NotFound("topology: node \"" + node + "\" does not exist");
  }
  Vertex nv = n->second;
  boost::remove_edge(graph_[nv].parent, nv, graph_);
  graph_[nv].attached = false;
  return Status::Ok();
}

bool Topology::HasDomain(DomainLevel level, std::string_view name) const {
  if (level == DomainLevel::kCluster) return true;
  const auto& index = IndexOf(level);
  auto it = index.find(name);
  return it != index.end() && graph_[it->second].attached;
}

Status Topology::Check(DomainLevel level, std::string_view name) const {
  Result<Vertex> v = Find(level, name);
  return v.ok() ? Status::Ok() : v.status();
}

std::vector<std::string> Topology::Zones() const {
  std::vector<std::string> out;
  for (const auto& [name, v] : zones_)
    out.push_back(name);
  return out;
}

std::vector<std::string> Topology::Racks() const {
  std::vector<std::string> out;
  for (const auto& [name, v] : racks_)
    out.push_back(name);
  return out;
}

std::vector<std::string> Topology::RacksIn(std::string_view zone) const {
  std::vector<std::string> out;
  auto z = zones_.find(zone);
  if (z == zones_.end()) return out;
  for (auto [it, end] = boost::adjacent_vertices(z->second, graph_); it != end; ++it) {
    out.push_back(graph_[*it].name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Records the node vertices reached by a breadth-first search.
class NodeCollector : public boost::default_bfs_visitor {
 public:
  explicit NodeCollector(std::vector<size_t>& out) : out_(out) {}
  template <class Vertex, class Graph>
  void discover_vertex(Vertex v, const Graph& g) {
    if (g[v].level == DomainLevel::kNode && g[v].attached) out_.push_back(v);
  }

 private:
  std::vector<size_t>& out_;
};

}  // namespace

std::vector<Topology::Vertex> Topology::NodesBelow(Vertex v) const {
  std::vector<Vertex> out;
  std::vector<boost::default_color_type> colors(boost::num_vertices(graph_));
  auto color_map =
      boost::make_iterator_property_map(colors.begin(), boost::get(boost::vertex_index, graph_));
  boost::breadth_first_search(graph_, v, boost::visitor(NodeCollector(out)).color_map(color_map));
  return out;
}

std::vector<std::string> Topology::NodesUnder(DomainLevel level, std::string_view name) const {
  std::vector<std::string> out;
  Result<Vertex> v = level == DomainLevel::kCluster ? Result<Vertex>(root_) : Find(level, name);
  if (!v.ok()) return out;
  for (Vertex n : NodesBelow(*v))
    out.push_back(graph_[n].name);
  std::sort(out.begin(), out.end());
  return out;
}

size_t Topology::node_count() const {
  size_t n = 0;
  for (const auto& [name, v] : nodes_)
    n += graph_[v].attached ? 1 : 0;
  return n;
}

std::string Topology::ZoneOf(std::string_view node) const {
  auto n = nodes_.find(node);
  if (n == nodes_.end() || !graph_[n->second].attached) return "";
  return graph_[graph_[graph_[n->second].parent].parent].name;
}

std::string Topology::RackOf(std::string_view node) const {
  auto n = nodes_.find(node);
  if (n == nodes_.end() || !graph_[n->second].attached) return "";
  return graph_[graph_[n->second].parent].name;
}

std::pair<bool, bool> Topology::StateOf(Vertex node) const {
  bool up = true, reachable = true;
  for (Vertex v = node;; v = graph_[v].parent) {
    up = up && !graph_[v].failed;
    reachable = reachable && !graph_[v].partitioned;
    if (v == root_) break;
  }
  return {up, up && reachable};
}

bool Topology::IsUp(std::string_view node) const {
  auto n = nodes_.find(node);
  return n != nodes_.end() && graph_[n->second].attached && StateOf(n->second).first;
}

bool Topology::IsReachable(std::string_view node) const {
  auto n = nodes_.find(node);
  return n != nodes_.end() && graph_[n->second].attached && StateOf(n->second).second;
}

Result<Topology::Vertex> Topology::Find(DomainLevel level, std::string_view name) const {
  if (level == DomainLevel::kCluster) return root_;
  const auto& index = IndexOf(level);
  auto it = index.find(name);
  if (it != index.end() && graph_[it->second].attached) return it->second;
  std::string known;
  size_t listed = 0;
  for (const auto& [n, v] : index) {
    if (!graph_[v].attached) continue;
    if (listed == 10) {
      known += ", ...";
      break;
    }
    if (listed++) known += ", ";
    known += n;
  }
  return NotFound("unknown " + std::string(DomainLevelName(level)) + " \"" + std::string(name) +
                  "\" (" + std::string(DomainLevelName(level)) +
                  "s: " + (known.empty() ? "none" : known) + ")");
}

Result<TopologyChange> Topology::SetFlag(DomainLevel level, std::string_view name, bool failed_flag,
                                         bool value) {
  NAVARCH_ASSIGN_OR_RETURN(Vertex v, Find(level, name));
  std::vector<Vertex> nodes = NodesBelow(v);
  std::vector<std::pair<bool, bool>> before;
  before.reserve(nodes.size());
  for (Vertex n : nodes)
    before.push_back(StateOf(n));
  (failed_flag ? graph_[v].failed : graph_[v].partitioned) = value;
  TopologyChange change;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const auto [was_up, was_reachable] = before[i];
    const auto [up, reachable] = StateOf(nodes[i]);
    const std::string& n = graph_[nodes[i]].name;
    if (was_up && !up) {
      change.went_down.push_back(n);
    } else if (!was_up && up) {
      change.came_up.push_back(n);
    } else if (up && was_reachable && !reachable) {
      change.became_unreachable.push_back(n);
    } else if (up && !was_reachable && reachable) {
      change.became_reachable.push_back(n);
    }
  }
  for (auto* list :
       {&change.went_down, &change.came_up, &change.became_unreachable, &change.became_reachable}) {
    std::sort(list->begin(), list->end());
  }
  return change;
}

Result<TopologyChange> Topology::SetFailed(DomainLevel level, std::string_view name, bool failed) {
  return SetFlag(level, name, true, failed);
}

Result<TopologyChange> Topology::SetPartitioned(DomainLevel level, std::string_view name,
                                                bool partitioned) {
  return SetFlag(level, name, false, partitioned);
}

}  // namespace navarch::sim
