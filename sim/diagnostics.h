#pragma once
// Diagnostics: every problem found in a scenario file (and the manifests it
// names), each as one line "<file>:<line>: <field path>: <message>".
//
// Scenario loading reports all problems, not only the first: parsers record
// problems here and keep going, and the caller turns the list into one
// kInvalidArgument Status at the end.
//
// YamlMap is the small helper the scenario parsers use to read a YAML mapping
// strictly: each field read is marked known, and Finish() reports every key
// that no reader asked for as an unknown field, listing the accepted ones.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/yaml.h"

#include "core/base/status.h"
#include "core/base/time.h"

namespace navarch::sim {

class Diagnostics {
 public:
  // `source` is the file name used in messages ("scenarios/quickstart.yaml").
  explicit Diagnostics(std::string source) : source_(std::move(source)) {}

  const std::string& source() const { return source_; }

  // Records a problem at a 1-based `line` of source() (0: no line known).
  void Error(int line, std::string_view path, std::string_view message);
  // Records a problem at the position of `at` (its line, or none if `at` is
  // not a valid node).
  void Error(const yaml::Node& at, std::string_view path, std::string_view message);
  // Records lines that are already formatted (e.g. from the manifest codec).
  void AddFormatted(std::string_view lines);

  bool ok() const { return problems_.empty(); }
  // In the order they were recorded.
  const std::vector<std::string>& problems() const { return problems_; }
  // Ok when there is no problem; otherwise kInvalidArgument with one problem
  // per line: those of source() first, by line, then those of other files
  // (manifests) by file and line; the order of recording breaks ties.
  Status ToStatus() const;

 private:
  struct Key {
    std::string file;
    int line = 0;
  };
  std::string source_;
  std::vector<std::string> problems_;
  std::vector<Key> keys_;  // parallel to problems_
};

// The 1-based line of a node, 0 when unknown.
int LineOf(const yaml::Node& node);

// "a.b" / "a[3]" path building.
std::string JoinPath(std::string_view parent, std::string_view key);
std::string IndexPath(std::string_view parent, size_t index);

// Scalar readers: return nullopt (and record a problem) when `node` is not a
// scalar of the right form. `path` names the field in messages.
std::optional<std::string> ReadString(const yaml::Node& node, std::string_view path,
                                      Diagnostics& diag);
std::optional<int64_t> ReadInt(const yaml::Node& node, std::string_view path, Diagnostics& diag,
                               int64_t min, int64_t max);
std::optional<double> ReadDouble(const yaml::Node& node, std::string_view path, Diagnostics& diag);
std::optional<bool> ReadBool(const yaml::Node& node, std::string_view path, Diagnostics& diag);
// Go-style duration text ("90s", "1m30s", "250ms"); must not be negative.
std::optional<Duration> ReadDuration(const yaml::Node& node, std::string_view path,
                                     Diagnostics& diag);
// A probability in [0, 1].
std::optional<double> ReadProbability(const yaml::Node& node, std::string_view path,
                                      Diagnostics& diag);
// A list of strings.
std::optional<std::vector<std::string>> ReadStringList(const yaml::Node& node,
                                                       std::string_view path, Diagnostics& diag);
// A mapping of string to string (labels).
std::optional<std::map<std::string, std::string>> ReadStringMap(const yaml::Node& node,
                                                                std::string_view path,
                                                                Diagnostics& diag);

// Strict reader of one YAML mapping.
class YamlMap {
 public:
  // Records a problem if `node` is present but not a mapping (valid() is
  // then false and every Get returns an undefined node).
  YamlMap(const yaml::Node& node, std::string path, Diagnostics& diag);

  bool valid() const { return valid_; }
  const yaml::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return JoinPath(path_, key); }
  Diagnostics& diag() const { return diag_; }

  // Marks `key` as accepted and returns its value (an undefined node when
  // absent; test with `if (node)`).
  yaml::Node Get(std::string_view key);
  bool Has(std::string_view key) const;
  // Like Get, and records "required" when absent.
  yaml::Node Require(std::string_view key);

  std::optional<std::string> String(std::string_view key);
  std::optional<int64_t> Int(std::string_view key, int64_t min, int64_t max);
  std::optional<double> Double(std::string_view key);
  std::optional<bool> Bool(std::string_view key);
  std::optional<Duration> DurationField(std::string_view key);
  std::optional<double> Probability(std::string_view key);

  // The keys present in the mapping, in file order.
  std::vector<std::string> Keys() const;

  // Reports every present key that was not asked for:
  //   "<path>.<key>: unknown field (accepted: a, b, c)".
  void Finish();

 private:
  yaml::Node node_;
  std::string path_;
  Diagnostics& diag_;
  bool valid_ = false;
  std::vector<std::string> accepted_;
};

}  // namespace navarch::sim
