#pragma once
// The one YAML reader of navarch: every YAML text — manifests over HTTP,
// `navarch validate`, scenario files, static pod manifests, kubeconfigs,
// runtime models — is read here, into an immutable tree.
//
// Reading is bounded, so that no input can make a reader loop, exhaust
// memory or take exponential time:
//   * the input size, the nesting depth, the number of documents;
//   * aliases: each use of an alias counts the whole node it names, so a
//     "billion laughs" document (nested aliases of aliases) is refused once
//     its expanded size passes `max_nodes` or `max_scalar_bytes`, before any
//     consumer walks it. The tree shares the aliased node (no copy is made).
//   * an alias to an enclosing node (a recursive structure) is refused.
// Input that is not valid UTF-8, or that holds control characters YAML
// forbids (NUL among them), is refused by the parser (libyaml's reader).
// Duplicate keys in a mapping are refused, naming both lines.
// Merge keys (`<<: *base`, `<<: [*a, *b]`) are applied as YAML 1.1 defines
// them: the merged mapping's keys come first-given-wins and never override a
// key written in the mapping itself.
//
// Every error names the line and column (1-based) and, where it is inside a
// mapping or list, the path of the node ("spec.containers[0].name").
//
// Scalars keep their text; resolving them (null, booleans, numbers) is the
// consumer's choice. Tags follow the convention of the YAML tools we grew
// from: "?" for an untagged plain scalar or collection, "!" for an untagged
// quoted or block scalar, otherwise the full tag ("tag:yaml.org,2002:str" for
// `!!str`). An untagged plain scalar that is empty, "~", "null", "Null" or
// "NULL" is a Null node.
//
// Thread-safety: Load/LoadAll are reentrant; a tree is immutable and may be
// read from any thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace navarch::yaml {

struct Limits {
  // The whole input.
  size_t max_input_bytes = 64 * 1024 * 1024;
  // Nesting of mappings and lists (a top-level mapping is depth 1).
  int max_depth = 100;
  size_t max_documents = 10000;
  // Nodes of all documents, each alias counted as the node it names.
  size_t max_nodes = 1000000;
  // Bytes of all scalars, each alias counted as the node it names.
  size_t max_scalar_bytes = 64 * 1024 * 1024;
};

enum class NodeType { kUndefined, kNull, kScalar, kSequence, kMap };

// Position in the input, 0-based (line and column in characters), as the
// parser reports it; -1 when unknown.
struct Mark {
  int line = -1;
  int column = -1;
};

struct NodeData;

// A node of a tree. Cheap to copy (shares the immutable data). A default
// Node is undefined (what a lookup of a missing key returns).
class Node {
 public:
  Node() = default;

  bool IsDefined() const { return d_ != nullptr; }
  explicit operator bool() const { return IsDefined(); }
  NodeType type() const;
  bool IsNull() const { return type() == NodeType::kNull; }
  bool IsScalar() const { return type() == NodeType::kScalar; }
  bool IsSequence() const { return type() == NodeType::kSequence; }
  bool IsMap() const { return type() == NodeType::kMap; }

  // The text of a scalar ("" for other nodes).
  const std::string& scalar() const;
  // See the header comment; "" for an undefined node.
  const std::string& tag() const;
  // True for a scalar written without quotes or block indicator.
  bool plain() const;
  Mark mark() const;
  // 1-based line, 0 when unknown.
  int line() const;

  // Items of a list, entries of a mapping (in input order, after merging);
  // empty for other nodes.
  size_t size() const;
  const std::vector<Node>& items() const;
  const std::vector<std::pair<Node, Node>>& entries() const;
  // Item `i` of a list; undefined when out of range or not a list.
  Node operator[](size_t i) const;
  // The value of the entry whose key is the scalar `key`; undefined when
  // absent or not a mapping.
  Node Find(std::string_view key) const;

 private:
  friend class TreeBuilder;
  explicit Node(std::shared_ptr<const NodeData> d) : d_(std::move(d)) {}
  std::shared_ptr<const NodeData> d_;
};

struct NodeData {
  NodeType type = NodeType::kNull;
  bool plain = false;
  Mark mark;
  std::string tag;
  std::string scalar;
  std::vector<Node> items;
  std::vector<std::pair<Node, Node>> entries;
  // Expanded size (nodes, scalar bytes) and height, for the alias limits.
  size_t weight = 1;
  size_t bytes = 0;
  int height = 0;
};

struct Error {
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based; 0 when unknown
  std::string path;
  std::string message;

  // "line 3, column 7: spec.containers: <message>" (the parts known).
  std::string ToString() const;
};

struct Loaded {
  std::vector<Node> documents;  // an empty document is a Null node
  bool ok = true;
  Error error;  // when !ok
};

// Every document of `text`.
Loaded LoadAll(std::string_view text, const Limits& limits = {});
// The one document of `text` (a Null node for an empty input); more than one
// document is an error.
Loaded Load(std::string_view text, const Limits& limits = {});

}  // namespace navarch::yaml
