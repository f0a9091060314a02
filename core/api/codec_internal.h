#pragma once
// Internals shared by json_codec.cpp and yaml_codec.cpp. Not for use outside
// core/api.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/api/field_error.h"
#include "core/api/object.h"

namespace navarch::api::internal {

// State of one decode of a JSON value into an object: the current field path
// and every problem found so far.
struct DecodeContext {
  bool strict = true;
  // DecodeOptions::default_kind.
  std::optional<Kind> default_kind;
  std::string path;
  std::vector<FieldError> errors;
  std::vector<std::string> dropped;  // paths of unknown fields dropped when !strict
  // Lines known for particular errors (by index in `errors`), e.g. the
  // second occurrence of a duplicate key; others are looked up by path.
  std::map<size_t, int> error_lines;

  void Error(std::string message) { errors.push_back({path, std::move(message)}); }
  // Appends ".key" (or "key" at the top) and returns the length to restore.
  size_t PushKey(std::string_view key) {
    size_t mark = path.size();
    if (!path.empty()) path += '.';
    path.append(key);
    return mark;
  }
  size_t PushIndex(size_t i) {
    size_t mark = path.size();
    path += '[';
    path += std::to_string(i);
    path += ']';
    return mark;
  }
  void Pop(size_t mark) { path.resize(mark); }
};

// Decodes one object (apiVersion, kind, metadata, ...). Returns null when the
// kind could not be determined; problems are in ctx.errors either way.
std::unique_ptr<Object> DecodeObject(const boost::json::value& v, DecodeContext& ctx);

// "web.yaml:14", "web.yaml", "line 14" or "" for the location of a problem.
std::string Location(std::string_view source, int line);
// "<location>: <path>: <message>" without empty parts.
std::string FormatProblem(std::string_view source, int line, std::string_view path,
                          std::string_view message);
// The line of `path` in `lines`, or of its nearest recorded parent; `fallback`
// when none is recorded.
int LineOf(const std::map<std::string, int>& lines, std::string_view path, int fallback);

}  // namespace navarch::api::internal
