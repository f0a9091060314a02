#pragma once
// Helpers shared by the patch implementations (patch.cpp,
// patch_strategic.cpp). Not for use outside core/api.

#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace navarch::api::internal {

// JSON equality as RFC 6902 "test" defines it: numbers compare by value
// (1 == 1.0, int64 and uint64 alike), objects compare member sets regardless
// of order, arrays compare element by element.
bool JsonEqual(const boost::json::value& a, const boost::json::value& b);

// "object", "array", "string", "number", "boolean" or "null".
std::string_view JsonKindName(const boost::json::value& v);

// Compact JSON of a value, shortened to about `max` characters for messages.
std::string JsonForMessage(const boost::json::value& v, std::size_t max = 60);

// How a list field is patched by a strategic merge patch.
struct ListStrategy {
  enum Type {
    kMergeByKey,  // a list of objects merged by `merge_key`
    kMergeSet,    // a list of scalars merged as a set
  };
  Type type = kMergeByKey;
  std::string_view merge_key;
};

// The strategy of the list at `path` (field names joined by '.', list
// elements not named: "spec.containers.ports") of `kind`, or nullptr when
// that list is replaced whole (or `kind` has no schema: see
// StrategicSchemaKnown).
const ListStrategy* LookupListStrategy(std::string_view kind, std::string_view path);
bool StrategicSchemaKnown(std::string_view kind);

}  // namespace navarch::api::internal
