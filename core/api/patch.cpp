// RFC 7386 merge patch and RFC 6902 JSON patch (see patch.h), and the JSON
// helpers the strategic merge patch shares.

#include "core/api/patch.h"

#include <cmath>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/api/patch_internal.h"

namespace navarch::api {

namespace json = boost::json;

namespace internal {

namespace {

bool IsNumber(const json::value& v) {
  return v.is_int64() || v.is_uint64() || v.is_double();
}

bool NumbersEqual(const json::value& a, const json::value& b) {
  if (a.is_double() || b.is_double()) {
    double x = a.is_double() ? a.get_double()
                             : (a.is_int64() ? static_cast<double>(a.get_int64())
                                             : static_cast<double>(a.get_uint64()));
    double y = b.is_double() ? b.get_double()
                             : (b.is_int64() ? static_cast<double>(b.get_int64())
                                             : static_cast<double>(b.get_uint64()));
    return x == y;
  }
  if (a.is_int64() && b.is_int64()) {
    return a.get_int64() == b.get_int64();
  }
  if (a.is_uint64() && b.is_uint64()) {
    return a.get_uint64() == b.get_uint64();
  }
  const json::value& s = a.is_int64() ? a : b;  // signed one
  const json::value& u = a.is_int64() ? b : a;  // unsigned one
  return s.get_int64() >= 0 && static_cast<uint64_t>(s.get_int64()) == u.get_uint64();
}

}  // namespace

bool JsonEqual(const json::value& a, const json::value& b) {
  if (IsNumber(a) && IsNumber(b)) {
    return NumbersEqual(a, b);
  }
  if (a.kind() != b.kind()) {
    return false;
  }
  switch (a.kind()) {
    case json::kind::object: {
      const json::object& x = a.get_object();
      const json::object& y = b.get_object();
      if (x.size() != y.size()) {
        return false;
      }
      for (const auto& member : x) {
        const json::value* other = y.if_contains(member.key());
        if (other == nullptr || !JsonEqual(member.value(), *other)) {
          return false;
        }
      }
      return true;
    }
    case json::kind::array: {
      const json::array& x = a.get_array();
      const json::array& y = b.get_array();
      if (x.size() != y.size()) {
        return false;
      }
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (!JsonEqual(x[i], y[i])) {
          return false;
        }
      }
      return true;
    }
    case json::kind::string:
      return a.get_string() == b.get_string();
    case json::kind::bool_:
      return a.get_bool() == b.get_bool();
    case json::kind::null:
      return true;
    default:
      return false;  // numbers are handled above
  }
}

std::string_view JsonKindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "object";
    case json::kind::array:
      return "array";
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "boolean";
    case json::kind::null:
      return "null";
    default:
      return "number";
  }
}

std::string JsonForMessage(const json::value& v, std::size_t max) {
  std::string s = json::serialize(v);
  if (s.size() > max) {
    s.resize(max);
    s += "...";
  }
  return s;
}

}  // namespace internal

// ---------------------------------------------------------------------------
// RFC 7386

namespace {

json::value MergePatchValue(const json::value& target, const json::value& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  json::object result = target.is_object() ? target.get_object() : json::object();
  for (const auto& member : patch.get_object()) {
    if (member.value().is_null()) {
      result.erase(member.key());
      continue;
    }
    const json::value* current = result.if_contains(member.key());
    json::value merged = MergePatchValue(current ? *current : json::value(), member.value());
    result[member.key()] = std::move(merged);
  }
  return result;
}

}  // namespace

Result<json::value> ApplyMergePatch(const json::value& doc, const json::value& patch) {
  return MergePatchValue(doc, patch);
}

// ---------------------------------------------------------------------------
// RFC 6901 pointers and RFC 6902 operations

namespace {

// Splits a JSON Pointer into unescaped reference tokens.
Result<std::vector<std::string>> ParsePointer(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) {
    return tokens;
  }
  if (pointer.front() != '/') {
    return InvalidArgument("a JSON pointer must be empty or start with '/'");
  }
  std::string token;
  for (std::size_t i = 1; i <= pointer.size(); ++i) {
    if (i == pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      continue;
    }
    char c = pointer[i];
    if (c == '~') {
      char next = i + 1 < pointer.size() ? pointer[i + 1] : '\0';
      if (next == '0') {
        token += '~';
      } else if (next == '1') {
        token += '/';
      } else {
        return InvalidArgument("'~' must be followed by '0' or '1' in a JSON pointer");
      }
      ++i;
      continue;
    }
    token += c;
  }
  return tokens;
}

// An RFC 6901 array index: "0" or digits without a leading zero.
Result<std::size_t> ParseIndex(const std::string& token) {
  if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) {
    return InvalidArgument("invalid array index \"" + token + "\"");
  }
  std::size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') {
      return InvalidArgument("invalid array index \"" + token + "\"");
    }
    index = index * 10 + static_cast<std::size_t>(c - '0');
  }
  return index;
}

std::string Escape(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string PointerOf(const std::vector<std::string>& tokens, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += '/';
    out += Escape(tokens[i]);
  }
  return out;
}

// The value the first `count` tokens point at, or an error.
Result<json::value*> Resolve(json::value& root, const std::vector<std::string>& tokens,
                             std::size_t count) {
  json::value* current = &root;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (current->is_object()) {
      json::value* next = current->get_object().if_contains(token);
      if (next == nullptr) {
        return InvalidArgument(i + 1 == tokens.size()
                                   ? std::string("no such element")
                                   : "no such element " + PointerOf(tokens, i + 1));
      }
      current = next;
    } else if (current->is_array()) {
      auto index = ParseIndex(token);
      if (!index.ok()) {
        return index.status();
      }
      if (*index >= current->get_array().size()) {
        return InvalidArgument(i + 1 == tokens.size()
                                   ? std::string("no such element")
                                   : "no such element " + PointerOf(tokens, i + 1));
      }
      current = &current->get_array()[*index];
    } else {
      return InvalidArgument(PointerOf(tokens, i) + " is a " +
                             std::string(internal::JsonKindName(*current)) +
                             ", not an object or array");
    }
  }
  return current;
}

Status Add(json::value& root, const std::vector<std::string>& tokens, json::value value) {
  if (tokens.empty()) {
    root = std::move(value);
    return Status::Ok();
  }
  NAVARCH_ASSIGN_OR_RETURN(json::value * parent, Resolve(root, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    parent->get_object()[last] = std::move(value);
    return Status::Ok();
  }
  if (parent->is_array()) {
    json::array& array = parent->get_array();
    if (last == "-") {
      array.push_back(std::move(value));
      return Status::Ok();
    }
    NAVARCH_ASSIGN_OR_RETURN(std::size_t index, ParseIndex(last));
    if (index > array.size()) {
      return InvalidArgument("index " + last + " is out of range (the array has " +
                             std::to_string(array.size()) + " elements)");
    }
    array.insert(array.begin() + static_cast<std::ptrdiff_t>(index), std::move(value));
    return Status::Ok();
  }
  return InvalidArgument(PointerOf(tokens, tokens.size() - 1) + " is a " +
                         std::string(internal::JsonKindName(*parent)) + ", not an object or array");
}

Result<json::value> Remove(json::value& root, const std::vector<std::string>& tokens) {
  if (tokens.empty()) {
    return InvalidArgument("the whole document cannot be removed");
  }
  NAVARCH_ASSIGN_OR_RETURN(json::value * parent, Resolve(root, tokens, tokens.size() - 1));
  const std::string& last = tokens.back();
  if (parent->is_object()) {
    json::object& object = parent->get_object();
    auto it = object.find(last);
    if (it == object.end()) {
      return InvalidArgument("no such element");
    }
    json::value removed = std::move(it->value());
    object.erase(it);
    return removed;
  }
  if (parent->is_array()) {
    json::array& array = parent->get_array();
    if (last == "-") {
      return InvalidArgument("no such element");
    }
    NAVARCH_ASSIGN_OR_RETURN(std::size_t index, ParseIndex(last));
    if (index >= array.size()) {
      return InvalidArgument("no such element");
    }
    json::value removed = std::move(array[index]);
    array.erase(array.begin() + static_cast<std::ptrdiff_t>(index));
    return removed;
  }
  return InvalidArgument(PointerOf(tokens, tokens.size() - 1) + " is a " +
                         std::string(internal::JsonKindName(*parent)) + ", not an object or array");
}

Result<json::value*> Get(json::value& root, const std::vector<std::string>& tokens) {
  if (!tokens.empty() && tokens.back() == "-") {
    NAVARCH_ASSIGN_OR_RETURN(json::value * parent, Resolve(root, tokens, tokens.size() - 1));
    if (parent->is_array()) {
      return InvalidArgument("no such element");
    }
  }
  return Resolve(root, tokens, tokens.size());
}

bool IsProperPrefix(const std::vector<std::string>& prefix, const std::vector<std::string>& of) {
  if (prefix.size() >= of.size()) {
    return false;
  }
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (prefix[i] != of[i]) {
      return false;
    }
  }
  return true;
}

// Applies one operation; `op` is already known to be an object.
Status ApplyOperation(json::value& root, const json::object& op, const std::string& name,
                      const std::vector<std::string>& path) {
  auto member = [&](std::string_view key) -> const json::value* { return op.if_contains(key); };
  auto from_tokens = [&]() -> Result<std::vector<std::string>> {
    const json::value* from = member("from");
    if (from == nullptr) {
      return InvalidArgument("missing \"from\"");
    }
    if (!from->is_string()) {
      return InvalidArgument("\"from\" must be a string");
    }
    auto tokens = ParsePointer(std::string_view(from->get_string()));
    if (!tokens.ok()) {
      return InvalidArgument("\"from\": " + tokens.status().message());
    }
    return tokens;
  };
  auto value = [&]() -> Result<const json::value*> {
    const json::value* v = member("value");
    if (v == nullptr) {
      return InvalidArgument("missing \"value\"");
    }
    return v;
  };

  if (name == "add") {
    NAVARCH_ASSIGN_OR_RETURN(const json::value* v, value());
    return Add(root, path, *v);
  }
  if (name == "remove") {
    return Remove(root, path).status();
  }
  if (name == "replace") {
    NAVARCH_ASSIGN_OR_RETURN(const json::value* v, value());
    if (path.empty()) {
      root = *v;
      return Status::Ok();
    }
    NAVARCH_ASSIGN_OR_RETURN(json::value * target, Get(root, path));
    *target = *v;
    return Status::Ok();
  }
  if (name == "move") {
    NAVARCH_ASSIGN_OR_RETURN(std::vector<std::string> from, from_tokens());
    if (from == path) {
      NAVARCH_ASSIGN_OR_RETURN(json::value * unused, Get(root, from));
      (void)unused;
      return Status::Ok();
    }
    if (IsProperPrefix(from, path)) {
      return InvalidArgument("cannot move " + PointerOf(from, from.size()) +
                             " into one of its own children");
    }
    auto moved = Remove(root, from);
    if (!moved.ok()) {
      return InvalidArgument("from " + PointerOf(from, from.size()) + ": " +
                             moved.status().message());
    }
    return Add(root, path, std::move(moved).value());
  }
  if (name == "copy") {
    NAVARCH_ASSIGN_OR_RETURN(std::vector<std::string> from, from_tokens());
    auto source = Get(root, from);
    if (!source.ok()) {
      return InvalidArgument("from " + PointerOf(from, from.size()) + ": " +
                             source.status().message());
    }
    json::value copy = **source;
    return Add(root, path, std::move(copy));
  }
  if (name == "test") {
    NAVARCH_ASSIGN_OR_RETURN(const json::value* v, value());
    NAVARCH_ASSIGN_OR_RETURN(json::value * actual, Get(root, path));
    if (!internal::JsonEqual(*actual, *v)) {
      return InvalidArgument("value differs: the document has " +
                             internal::JsonForMessage(*actual) + ", the test expects " +
                             internal::JsonForMessage(*v));
    }
    return Status::Ok();
  }
  return InvalidArgument("unknown op \"" + name +
                         "\" (use add, remove, replace, move, copy or test)");
}

}  // namespace

Result<json::value> ApplyJsonPatch(const json::value& doc, const json::value& patch) {
  if (!patch.is_array()) {
    return InvalidArgument("a JSON patch must be an array of operations, got " +
                           std::string(internal::JsonKindName(patch)));
  }
  json::value result = doc;
  const json::array& ops = patch.get_array();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    std::string where = "patch[" + std::to_string(i) + "]";
    if (!ops[i].is_object()) {
      return InvalidArgument(where + ": an operation must be an object, got " +
                             std::string(internal::JsonKindName(ops[i])));
    }
    const json::object& op = ops[i].get_object();
    const json::value* name = op.if_contains("op");
    if (name == nullptr || !name->is_string()) {
      return InvalidArgument(where +
                             ": missing \"op\" (a string: add, remove, replace, "
                             "move, copy or test)");
    }
    std::string op_name(name->get_string());
    const json::value* path = op.if_contains("path");
    if (path == nullptr || !path->is_string()) {
      return InvalidArgument(where + " (" + op_name + "): missing \"path\" (a JSON pointer)");
    }
    std::string path_text(path->get_string());
    where += " (" + op_name + " " + path_text + ")";
    auto tokens = ParsePointer(path_text);
    if (!tokens.ok()) {
      return InvalidArgument(where + ": " + tokens.status().message());
    }
    Status applied = ApplyOperation(result, op, op_name, *tokens);
    if (!applied.ok()) {
      return InvalidArgument(where + ": " + applied.message());
    }
  }
  return result;
}

}  // namespace navarch::api
