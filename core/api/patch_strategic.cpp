// Strategic merge patch (see patch.h for the semantics).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/api/patch.h"
#include "core/api/patch_internal.h"

namespace navarch::api {

namespace json = boost::json;
using internal::JsonEqual;
using internal::JsonForMessage;
using internal::JsonKindName;
using internal::ListStrategy;

namespace {

constexpr std::string_view kPatchDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

std::string Join(std::string_view prefix, std::string_view field) {
  if (prefix.empty()) {
    return std::string(field);
  }
  std::string out(prefix);
  out += '.';
  out += field;
  return out;
}

// "spec.$setElementOrder/containers" for the list at "spec.containers".
std::string OrderDirectiveName(const std::string& path) {
  std::size_t dot = path.rfind('.');
  if (dot == std::string::npos) {
    return std::string(kSetElementOrder) + path;
  }
  return path.substr(0, dot + 1) + std::string(kSetElementOrder) + path.substr(dot + 1);
}

std::string Where(const std::string& path) {
  return path.empty() ? std::string("patch") : path;
}

class StrategicMerger {
 public:
  explicit StrategicMerger(std::string_view kind) : kind_(kind) {}

  // Merges `patch` into `original` in place. `path` names the field for
  // messages ("spec.containers[0]"); `schema_path` is the same without list
  // indices ("spec.containers") for the schema lookup.
  Status MergeMap(json::object& original, const json::object& patch, const std::string& path,
                  const std::string& schema_path) {
    if (const json::value* directive = patch.if_contains(kPatchDirective)) {
      if (!directive->is_string()) {
        return InvalidArgument(Where(path) +
                               ": $patch must be a string (replace, delete or merge)");
      }
      std::string_view d = directive->get_string();
      if (d == "delete") {
        original.clear();
        return Status::Ok();
      }
      if (d == "replace") {
        original.clear();
      } else if (d != "merge") {
        return InvalidArgument(Where(path) + ": unknown $patch directive \"" + std::string(d) +
                               "\" (use replace, delete or merge)");
      }
    }
    if (const json::value* retain = patch.if_contains(kRetainKeys)) {
      NAVARCH_RETURN_IF_ERROR(ApplyRetainKeys(original, patch, *retain, path));
    }

    // Directives on lists, collected by list name.
    std::map<std::string, const json::array*, std::less<>> orders;
    std::map<std::string, const json::array*, std::less<>> deletions;
    for (const auto& member : patch) {
      std::string_view key = member.key();
      if (key.empty() || key.front() != '$') {
        continue;
      }
      if (key == kPatchDirective || key == kRetainKeys) {
        continue;
      }
      bool is_order = key.starts_with(kSetElementOrder);
      bool is_delete = key.starts_with(kDeleteFromPrimitiveList);
      if (!is_order && !is_delete) {
        return InvalidArgument(Where(path) + ": unknown directive \"" + std::string(key) +
                               "\" (known: $patch, $retainKeys, $setElementOrder/<list>, "
                               "$deleteFromPrimitiveList/<list>)");
      }
      std::string list(
          key.substr(is_order ? kSetElementOrder.size() : kDeleteFromPrimitiveList.size()));
      if (!member.value().is_array()) {
        return InvalidArgument(Join(path, key) + ": must be a list, got " +
                               std::string(JsonKindName(member.value())));
      }
      (is_order ? orders : deletions)[list] = &member.value().get_array();
    }

    for (const auto& [list, values] : deletions) {
      json::value* target = original.if_contains(list);
      if (target == nullptr) {
        continue;
      }
      if (!target->is_array()) {
        return InvalidArgument(Join(path, std::string(kDeleteFromPrimitiveList) + list) + ": " +
                               Join(path, list) + " is a " + std::string(JsonKindName(*target)) +
                               ", not a list");
      }
      json::array kept;
      for (const json::value& v : target->get_array()) {
        bool drop = false;
        for (const json::value& d : *values) {
          drop = drop || JsonEqual(v, d);
        }
        if (!drop) {
          kept.push_back(v);
        }
      }
      target->get_array() = std::move(kept);
    }

    for (const auto& member : patch) {
      std::string_view key = member.key();
      if (!key.empty() && key.front() == '$') {
        continue;
      }
      std::string field_path = Join(path, key);
      std::string field_schema = Join(schema_path, key);
      const json::value& value = member.value();
      if (value.is_null()) {
        original.erase(key);
        continue;
      }
      auto order_it = orders.find(key);
      const json::array* order = order_it == orders.end() ? nullptr : order_it->second;
      json::value* current = original.if_contains(key);
      if (current != nullptr && current->is_object() && value.is_object()) {
        NAVARCH_RETURN_IF_ERROR(
            MergeMap(current->get_object(), value.get_object(), field_path, field_schema));
      } else if (current != nullptr && current->is_array() && value.is_array()) {
        NAVARCH_RETURN_IF_ERROR(
            MergeList(current->get_array(), value.get_array(), order, field_path, field_schema));
      } else {
        NAVARCH_ASSIGN_OR_RETURN(json::value fresh, Fresh(value, order, field_path, field_schema));
        original[key] = std::move(fresh);
      }
    }

    // An order for a list the patch does not otherwise touch.
    for (const auto& [list, order] : orders) {
      if (patch.contains(list)) {
        continue;
      }
      json::value* current = original.if_contains(list);
      if (current != nullptr && current->is_array()) {
        NAVARCH_RETURN_IF_ERROR(MergeList(current->get_array(), json::array(), order,
                                          Join(path, list), Join(schema_path, list)));
      }
    }
    return Status::Ok();
  }

 private:
  // A patch value for a field the original lacks (or holds with another
  // type): directives are applied against an empty value and nulls dropped.
  Result<json::value> Fresh(const json::value& value, const json::array* order,
                            const std::string& path, const std::string& schema_path) {
    if (value.is_object()) {
      json::object out;
      NAVARCH_RETURN_IF_ERROR(MergeMap(out, value.get_object(), path, schema_path));
      return json::value(std::move(out));
    }
    if (value.is_array()) {
      json::array out;
      NAVARCH_RETURN_IF_ERROR(MergeList(out, value.get_array(), order, path, schema_path));
      return json::value(std::move(out));
    }
    return value;
  }

  Status ApplyRetainKeys(json::object& original, const json::object& patch,
                         const json::value& retain, const std::string& path) {
    std::string where = Join(path, kRetainKeys);
    if (!retain.is_array()) {
      return InvalidArgument(where + ": must be a list of field names");
    }
    std::vector<std::string_view> keys;
    for (const json::value& k : retain.get_array()) {
      if (!k.is_string()) {
        return InvalidArgument(where + ": must be a list of field names, found " +
                               JsonForMessage(k));
      }
      keys.push_back(k.get_string());
    }
    auto retained = [&](std::string_view key) {
      for (std::string_view k : keys) {
        if (k == key) {
          return true;
        }
      }
      return false;
    };
    for (const auto& member : patch) {
      std::string_view key = member.key();
      if (key.starts_with("$") || member.value().is_null()) {
        continue;
      }
      if (!retained(key)) {
        return InvalidArgument(where + ": the patch sets \"" + std::string(key) +
                               "\", which $retainKeys does not list");
      }
    }
    std::vector<std::string> drop;
    for (const auto& member : original) {
      if (!retained(member.key())) {
        drop.emplace_back(member.key());
      }
    }
    for (const std::string& key : drop) {
      original.erase(key);
    }
    return Status::Ok();
  }

  // The identity of a list element for merging and ordering: its merge key's
  // value (lists merged by key) or the element itself (sets).
  static const json::value* Identity(const json::value& element, const ListStrategy& strategy) {
    if (strategy.type == ListStrategy::kMergeSet) {
      return &element;
    }
    return element.is_object() ? element.get_object().if_contains(strategy.merge_key) : nullptr;
  }

  static std::optional<std::size_t> IndexOf(const std::vector<const json::value*>& ids,
                                            const json::value* id) {
    if (id == nullptr) {
      return std::nullopt;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] != nullptr && JsonEqual(*ids[i], *id)) {
        return i;
      }
    }
    return std::nullopt;
  }

  Status MergeList(json::array& original, const json::array& patch, const json::array* order,
                   const std::string& path, const std::string& schema_path) {
    const ListStrategy* strategy = internal::LookupListStrategy(kind_, schema_path);
    if (strategy == nullptr) {
      for (std::size_t i = 0; i < patch.size(); ++i) {
        if (patch[i].is_object() && patch[i].get_object().contains(kPatchDirective)) {
          return InvalidArgument(path + "[" + std::to_string(i) +
                                 "]: $patch directives apply only to lists merged by key; " + path +
                                 " is replaced whole");
        }
      }
      original = patch;
      return Status::Ok();
    }
    if (strategy->type == ListStrategy::kMergeSet) {
      return MergeSet(original, patch, order, path, *strategy);
    }
    return MergeByKey(original, patch, order, path, schema_path, *strategy);
  }

  Status MergeSet(json::array& original, const json::array& patch, const json::array* order,
                  const std::string& path, const ListStrategy& strategy) {
    std::vector<json::value> server(original.begin(), original.end());
    std::vector<json::value> from_patch;
    for (std::size_t i = 0; i < patch.size(); ++i) {
      const json::value& v = patch[i];
      if (v.is_object()) {
        const json::value* directive = v.get_object().if_contains(kPatchDirective);
        if (directive != nullptr && directive->is_string() &&
            directive->get_string() == "replace" && v.get_object().size() == 1) {
          json::array replaced;
          for (const json::value& other : patch) {
            if (&other != &v) {
              replaced.push_back(other);
            }
          }
          original = std::move(replaced);
          return Status::Ok();
        }
        return InvalidArgument(path + "[" + std::to_string(i) +
                               "]: a list of scalars cannot hold " + JsonForMessage(v));
      }
      from_patch.push_back(v);
    }
    for (const json::value& v : from_patch) {
      bool present = false;
      for (const json::value& o : original) {
        present = present || JsonEqual(o, v);
      }
      if (!present) {
        original.push_back(v);
      }
    }
    json::array order_values;
    if (order != nullptr) {
      order_values = *order;
    } else {
      for (const json::value& v : from_patch) {
        order_values.push_back(v);
      }
    }
    Reorder(original, server, order_values, strategy);
    return Status::Ok();
  }

  Status MergeByKey(json::array& original, const json::array& patch, const json::array* order,
                    const std::string& path, const std::string& schema_path,
                    const ListStrategy& strategy) {
    const std::string key(strategy.merge_key);
    std::vector<json::value> server(original.begin(), original.end());
    // A {"$patch": "replace"} element anywhere replaces the whole list.
    for (const json::value& v : patch) {
      if (!v.is_object()) {
        continue;
      }
      const json::value* directive = v.get_object().if_contains(kPatchDirective);
      if (directive != nullptr && directive->is_string() && directive->get_string() == "replace") {
        json::array replaced;
        for (std::size_t i = 0; i < patch.size(); ++i) {
          // Other directive elements ({"$patch": "delete", ...}) are moot in a
          // replaced list.
          if (patch[i].is_object() && patch[i].get_object().contains(kPatchDirective)) {
            continue;
          }
          NAVARCH_ASSIGN_OR_RETURN(
              json::value element,
              Fresh(patch[i], nullptr, path + "[" + std::to_string(i) + "]", schema_path));
          replaced.push_back(std::move(element));
        }
        original = std::move(replaced);
        return Status::Ok();
      }
    }
    json::array order_values;
    for (std::size_t i = 0; i < patch.size(); ++i) {
      std::string where = path + "[" + std::to_string(i) + "]";
      const json::value& v = patch[i];
      if (!v.is_object()) {
        return InvalidArgument(where + ": must be an object with merge key \"" + key + "\", got " +
                               JsonForMessage(v));
      }
      const json::object& element = v.get_object();
      const json::value* id = element.if_contains(key);
      const json::value* directive = element.if_contains(kPatchDirective);
      if (directive != nullptr) {
        if (!directive->is_string()) {
          return InvalidArgument(where + ": $patch must be a string (replace, delete or merge)");
        }
        std::string_view d = directive->get_string();
        if (d == "delete") {
          if (id == nullptr) {
            return InvalidArgument(where + ": {\"$patch\": \"delete\"} needs the merge key \"" +
                                   key + "\" of the element to delete");
          }
          json::array kept;
          for (const json::value& o : original) {
            const json::value* oid = Identity(o, strategy);
            if (oid == nullptr || !JsonEqual(*oid, *id)) {
              kept.push_back(o);
            }
          }
          original = std::move(kept);
          continue;
        }
        if (d != "merge") {
          return InvalidArgument(where + ": unknown $patch directive \"" + std::string(d) +
                                 "\" (use replace, delete or merge)");
        }
        if (id == nullptr && element.size() == 1) {
          continue;  // a lone {"$patch": "merge"}: merging is the default
        }
      }
      if (id == nullptr) {
        return InvalidArgument(where + ": no merge key \"" + key + "\"");
      }
      order_values.push_back(*id);
      json::object* target = nullptr;
      for (json::value& o : original) {
        const json::value* oid = Identity(o, strategy);
        if (oid != nullptr && JsonEqual(*oid, *id)) {
          target = &o.get_object();
          break;
        }
      }
      if (target != nullptr) {
        NAVARCH_RETURN_IF_ERROR(MergeMap(*target, element, where, schema_path));
      } else {
        json::object fresh;
        NAVARCH_RETURN_IF_ERROR(MergeMap(fresh, element, where, schema_path));
        original.push_back(std::move(fresh));
      }
    }
    if (order != nullptr) {
      order_values.clear();
      for (std::size_t i = 0; i < order->size(); ++i) {
        const json::value& o = (*order)[i];
        const json::value* id = o.is_object() ? o.get_object().if_contains(key) : nullptr;
        if (id == nullptr) {
          return InvalidArgument(OrderDirectiveName(path) + "[" + std::to_string(i) +
                                 "]: needs the merge key \"" + key + "\", got " +
                                 JsonForMessage(o));
        }
        order_values.push_back(*id);
      }
    }
    Reorder(original, server, order_values, strategy);
    return Status::Ok();
  }

  // Orders the merged list: elements named by `order` (ids) come in that
  // order; the others keep their server order, and the two sequences are
  // interleaved by the elements' positions in the original (server) list,
  // so an element the patch does not mention stays next to its neighbours.
  static void Reorder(json::array& merged, const std::vector<json::value>& server,
                      const json::array& order, const ListStrategy& strategy) {
    std::vector<const json::value*> order_ids;
    for (const json::value& o : order) {
      order_ids.push_back(&o);
    }
    std::vector<const json::value*> server_ids;
    for (const json::value& s : server) {
      server_ids.push_back(Identity(s, strategy));
    }
    std::vector<std::pair<std::size_t, json::value>> named;  // (order index, element)
    std::vector<json::value> others;
    for (json::value& m : merged) {
      auto at = IndexOf(order_ids, Identity(m, strategy));
      if (at) {
        named.emplace_back(*at, std::move(m));
      } else {
        others.push_back(std::move(m));
      }
    }
    std::stable_sort(named.begin(), named.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    json::array out;
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < named.size() || j < others.size()) {
      bool take_named;
      if (j >= others.size()) {
        take_named = true;
      } else if (i >= named.size()) {
        take_named = false;
      } else {
        auto li = IndexOf(server_ids, Identity(named[i].second, strategy));
        auto ri = IndexOf(server_ids, Identity(others[j], strategy));
        take_named = li && ri && *li < *ri;
      }
      if (take_named) {
        out.push_back(std::move(named[i++].second));
      } else {
        out.push_back(std::move(others[j++]));
      }
    }
    merged = std::move(out);
  }

  std::string_view kind_;
};

}  // namespace

bool HasStrategicMergeSchema(std::string_view kind) {
  return internal::StrategicSchemaKnown(kind);
}

Result<json::value> ApplyStrategicMergePatch(std::string_view kind, const json::value& doc,
                                             const json::value& patch) {
  if (!internal::StrategicSchemaKnown(kind)) {
    return InvalidArgument("strategic merge patch: unknown kind \"" + std::string(kind) +
                           "\" (known: Pod, Node, ReplicationController, Service, Endpoints, "
                           "Event, Namespace); use a JSON merge patch instead");
  }
  if (!patch.is_object()) {
    return InvalidArgument("a strategic merge patch must be a JSON object, got " +
                           std::string(JsonKindName(patch)));
  }
  if (!doc.is_object()) {
    return InvalidArgument("strategic merge patch: the " + std::string(kind) + " to patch is a " +
                           std::string(JsonKindName(doc)) + ", not a JSON object");
  }
  json::object result = doc.get_object();
  StrategicMerger merger(kind);
  NAVARCH_RETURN_IF_ERROR(merger.MergeMap(result, patch.get_object(), "", ""));
  return json::value(std::move(result));
}

}  // namespace navarch::api
