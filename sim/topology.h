#pragma once
// Topology: the failure domains of the simulated cloud as a tree held in a
// Boost.Graph adjacency list — the cluster root, its zones, each zone's
// racks, each rack's nodes. Failing or partitioning a zone or rack acts on
// everything under it (found by a breadth-first traversal of the graph).
//
// Per domain (zone, rack or node) two independent flags are kept:
//   failed       the domain lost power: every node under it is down (its
//                machine and containers are gone until it recovers);
//   partitioned  the domain is cut off from the control plane: nodes under it
//                keep running but cannot reach the API.
// A node is *up* when neither it nor any ancestor is failed, and *reachable*
// when it is up and neither it nor any ancestor is partitioned. Flags nest:
// recovering a rack inside a failed zone brings nothing up until the zone
// recovers too.
//
// Every operation returns the nodes whose effective state changed, sorted by
// name, so that the caller (SimCloud) can announce exactly those.
//
// Names: zones, racks and nodes each have their own namespace, and a rack
// belongs to one zone. Removing a node detaches it; its name may be added
// again later.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "core/base/status.h"

namespace navarch::sim {

enum class DomainLevel { kCluster, kZone, kRack, kNode };
std::string_view DomainLevelName(DomainLevel level);

struct TopologyChange {
  std::vector<std::string> went_down;           // were up, now down
  std::vector<std::string> came_up;             // were down, now up
  std::vector<std::string> became_unreachable;  // up before and after, lost the API
  std::vector<std::string> became_reachable;    // up before and after, regained it
  bool empty() const {
    return went_down.empty() && came_up.empty() && became_unreachable.empty() &&
           became_reachable.empty();
  }
};

class Topology {
 public:
  Topology();

  // Adds `node` under `zone`/`rack`, creating the zone and rack if needed.
  // kAlreadyExists if the node is present; kInvalidArgument if `rack` exists
  // in another zone or a name is empty.
  Status AddNode(const std::string& zone, const std::string& rack, const std::string& node);
  // Detaches a node; kNotFound if absent.
  Status RemoveNode(const std::string& node);

  bool HasDomain(DomainLevel level, std::string_view name) const;
  // Ok if the domain exists; otherwise kNotFound naming it and listing the
  // known names of its level ("unknown zone \"zone-z\" (zones: zone-a, zone-b)").
  Status Check(DomainLevel level, std::string_view name) const;
  // Sorted names.
  std::vector<std::string> Zones() const;
  std::vector<std::string> Racks() const;
  std::vector<std::string> RacksIn(std::string_view zone) const;
  // The nodes currently attached under a domain, sorted (kCluster: all).
  std::vector<std::string> NodesUnder(DomainLevel level, std::string_view name) const;
  size_t node_count() const;

  // The zone and rack of a node (empty if unknown).
  std::string ZoneOf(std::string_view node) const;
  std::string RackOf(std::string_view node) const;

  bool IsUp(std::string_view node) const;
  bool IsReachable(std::string_view node) const;

  // Set or clear a domain's flag. kNotFound names the level and lists the
  // known names. Setting a flag already set changes nothing.
  Result<TopologyChange> SetFailed(DomainLevel level, std::string_view name, bool failed);
  Result<TopologyChange> SetPartitioned(DomainLevel level, std::string_view name, bool partitioned);

 private:
  struct VertexInfo {
    DomainLevel level = DomainLevel::kCluster;
    std::string name;
    bool failed = false;
    bool partitioned = false;
    bool attached = true;  // false for removed nodes
    size_t parent = 0;     // vertex index of the parent (the root is its own)
  };
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexInfo>;
  using Vertex = Graph::vertex_descriptor;

  const std::map<std::string, Vertex, std::less<>>& IndexOf(DomainLevel level) const;
  std::map<std::string, Vertex, std::less<>>& IndexOf(DomainLevel level);
  Result<Vertex> Find(DomainLevel level, std::string_view name) const;
  Vertex AddChild(Vertex parent, DomainLevel level, const std::string& name);
  // Attached nodes under `v` (inclusive), by breadth-first traversal.
  std::vector<Vertex> NodesBelow(Vertex v) const;
  // Walks the ancestors of a node: {up, reachable}.
  std::pair<bool, bool> StateOf(Vertex node) const;
  Result<TopologyChange> SetFlag(DomainLevel level, std::string_view name, bool failed_flag,
                                 bool value);

  Graph graph_;
  Vertex root_;
  std::map<std::string, Vertex, std::less<>> zones_, racks_, nodes_;
};

}  // namespace navarch::sim
