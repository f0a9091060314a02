#pragma once
// YAML and JSON codecs for API objects in Kubernetes v1 wire shape.
//
// Decoding is strict by default: an unknown field, a value of the wrong type,
// an invalid quantity or timestamp, a missing or unsupported `kind` /
// `apiVersion` are errors. Every problem in the input is reported, not only
// the first: the Status (kInvalidArgument) message has one line per problem,
//
//   web.yaml:14: spec.containers[0].imagePullPolcy: unknown field
//
// (JSON input has no line numbers: "web.json: spec.replicas: ..."). Field
// paths name mapping keys with '.' and list items with "[i]".
//
// `metadata.managedFields` and `metadata.selfLink`, which servers and kubectl
// send, are accepted and dropped even in strict mode.
//
// Encoding omits unset fields (Kubernetes' omitempty), emits fields in the v1
// declaration order, and round-trips: decoding the output gives an object
// equal to the input. metav1.Time fields are written with second precision
// (the event's `eventTime` with microseconds), so sub-second parts of those
// timestamps do not survive a round trip.
//
// YAML scalars resolve as in the YAML 1.2 core schema: unquoted true/false,
// null/~, integers and floats are typed; everything else, and any quoted
// scalar, is a string.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/api/object.h"
#include "core/base/status.h"

namespace navarch::yaml {
class Node;
}

namespace navarch::api {

struct DecodeOptions {
  std::string source;  // file name used in messages ("web.yaml"); may be empty
  bool strict =
      true;  // unknown fields are errors; when false they are dropped and reported in warnings
  std::vector<std::string>* warnings = nullptr;
  // YAML only: the most nodes the text may expand to (0: the reader's
  // default, yaml::Limits::max_nodes). A server lowers it for request bodies
  // so that one body cannot make it build a large tree.
  size_t yaml_max_nodes = 0;
  // A document with neither `kind` nor `apiVersion` is taken as this kind,
  // as the API server takes a body from the URL it was sent to (kubectl
  // always sends both; some clients send neither).
  std::optional<Kind> default_kind;
};

// One decoded document with where its fields came from (YAML only; JSON gives line 0).
struct Document {
  ObjectPtr object;
  int line = 0;                            // line of the document start (1-based)
  std::map<std::string, int> field_lines;  // "spec.containers[0].image" -> 1-based line
};

Result<ObjectPtr> DecodeJson(std::string_view text, const DecodeOptions& options = {});
Result<ObjectPtr> DecodeJsonValue(const boost::json::value& v, const DecodeOptions& options = {});
// The paths ("metadata.labels.app") of the keys given more than once in one
// object of a JSON text (the first 100). DecodeJson reports them itself: an
// error when strict, a warning otherwise (the last value is used, as in
// Kubernetes).
Result<std::vector<std::string>> FindDuplicateJsonKeys(std::string_view text);
// Multi-document ("---"); empty documents are skipped. The text is read by
// the bounded YAML reader (core/base/yaml.h: size, depth, document count and
// alias expansion limits, UTF-8 only, duplicate keys refused).
Result<std::vector<Document>> DecodeYaml(std::string_view text, const DecodeOptions& options = {});
// One YAML node already read (a document, or a manifest inside a scenario
// file); lines are those of the text it was read from.
Result<Document> DecodeYamlNode(const yaml::Node& node, const DecodeOptions& options = {});
// JSON when the name ends in ".json" or the text starts with '{', YAML
// otherwise. A missing file is kNotFound naming the path. Messages name
// options.source, or the path when that is empty.
Result<std::vector<Document>> DecodeFile(const std::string& path,
                                         const DecodeOptions& options = {});

// Compact JSON, fields in a stable order.
std::string EncodeJson(const Object& obj);
boost::json::value ToJsonValue(const Object& obj);
// Block-style YAML, like `kubectl get -o yaml`.
std::string EncodeYaml(const Object& obj);

}  // namespace navarch::api
