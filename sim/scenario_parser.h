#pragma once
// Internal to sim/: the parser behind LoadScenarioFile / ParseScenario,
// split over scenario.cpp (top level, cluster, sections, manifests) and
// scenario_events.cpp (events, expectations, reference checks).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/yaml.h"

#include "core/api/codec.h"
#include "sim/diagnostics.h"
#include "sim/scenario.h"

namespace navarch::sim::internal {

class ScenarioParser {
 public:
  ScenarioParser(std::string_view text, std::string source, std::string base_dir, Diagnostics& diag)
      : text_(text), source_(std::move(source)), base_dir_(std::move(base_dir)), diag_(diag) {}

  // The scenario when there was no problem at all; problems are in diag.
  std::optional<Scenario> Parse();

  // Manifests given as one inline manifest, one {file: path}, or a list of
  // either. Problems are recorded; the objects that decoded are returned.
  std::vector<ScenarioObject> ParseManifests(const yaml::Node& node, const std::string& path);

  void ParseEvents(const yaml::Node& node, Scenario& scenario);
  void ParseExpectations(const yaml::Node& node, Scenario& scenario);
  // The dry run: cloud and objects replayed in event order.
  void CheckReferences(Scenario& scenario);

 private:
  void ParseCluster(const yaml::Node& node, Scenario& scenario);
  std::optional<NodeGroupSpec> ParseGroup(const yaml::Node& node, const std::string& path);
  void ParseScheduler(const yaml::Node& node, Scenario& scenario);
  void ParseControllers(const yaml::Node& node, Scenario& scenario);
  void ParseApi(const yaml::Node& node, Scenario& scenario);
  void ParseControlPlane(const yaml::Node& node, Scenario& scenario);
  std::vector<ScenarioObject> LoadManifestFile(const yaml::Node& file_node,
                                               const std::string& path);
  std::vector<ScenarioObject> DecodeInline(const yaml::Node& node, const std::string& path);
  std::vector<ScenarioObject> CheckDocuments(Result<std::vector<api::Document>> docs,
                                             const std::string& source, const yaml::Node& at,
                                             const std::string& path);
  std::optional<ScenarioEvent> ParseEvent(const yaml::Node& node, const std::string& path);
  std::optional<Expectation> ParseExpectation(const yaml::Node& node, const std::string& path);

  std::string_view text_;
  std::string source_;
  std::string base_dir_;
  Diagnostics& diag_;
  std::vector<int> group_lines_;  // line of each node group, for the dry run
};

}  // namespace navarch::sim::internal
