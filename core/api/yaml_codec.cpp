// The YAML front end: YAML text (core/base/yaml.h, bounded) to a JSON value, recording the
// line of every field path, then the shared decoder of json_codec.cpp; and a
// small block-style YAML emitter for encoding.

#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "core/api/codec.h"
#include "core/api/codec_internal.h"
#include "core/base/files.h"
#include "core/base/yaml.h"

namespace navarch::api {
namespace {

namespace json = boost::json;
using internal::DecodeContext;

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : (c >= '0' && c < char('0' + base));
    if (!ok) return false;
  }
  return true;
}

bool LooksLikeFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

// Resolves an unquoted scalar as the YAML 1.2 core schema does. Returns a
// string value when the text is not null, a boolean or a number.
json::value ResolvePlain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (AllDigits(body, 10)) {
    int64_t i;
    auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), i);
    if (ec == std::errc() && p == body.data() + body.size()) return neg ? -i : i;
    uint64_t u;
    auto [p2, ec2] = std::from_chars(body.data(), body.data() + body.size(), u);
    if (!neg && ec2 == std::errc() && p2 == body.data() + body.size()) return u;
    return std::strtod(std::string(s).c_str(), nullptr);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
    int base = s[1] == 'x' ? 16 : 8;
    int64_t i;
    std::string_view digits = s.substr(2);
    if (AllDigits(digits, base)) {
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), i, base);
      if (ec == std::errc() && p == digits.data() + digits.size()) return i;
    }
  }
  if (LooksLikeFloat(s)) return std::strtod(std::string(s).c_str(), nullptr);
  if (s == ".inf" || s == ".Inf" || s == ".INF" || s == "+.inf") return HUGE_VAL;
  if (s == "-.inf" || s == "-.Inf" || s == "-.INF") return -HUGE_VAL;
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return std::nan("");
  return json::string(s);
}

// YAML node -> JSON value, recording the line of each path in `lines`.
// Recursion is bounded by the reader's depth limit (yaml::Limits).
void Convert(const yaml::Node& node, json::value& out, std::map<std::string, int>& lines,
             DecodeContext& ctx) {
  switch (node.type()) {
    case yaml::NodeType::kUndefined:
    case yaml::NodeType::kNull:
      out = nullptr;
      return;
    case yaml::NodeType::kScalar: {
      const std::string& tag = node.tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") {
        out = json::string(node.scalar());
      } else {
        out = ResolvePlain(node.scalar());
      }
      return;
    }
    case yaml::NodeType::kSequence: {
      json::array& a = out.emplace_array();
      a.reserve(node.size());
      size_t i = 0;
      for (const yaml::Node& item : node.items()) {
        size_t mark = ctx.PushIndex(i++);
        lines.emplace(ctx.path, item.line());
        Convert(item, a.emplace_back(nullptr), lines, ctx);
        ctx.Pop(mark);
      }
      return;
    }
    case yaml::NodeType::kMap: {
      json::object& o = out.emplace_object();
      o.reserve(node.size());
      for (const auto& [key, value] : node.entries()) {
        if (!key.IsScalar()) {
          lines.emplace(ctx.path, key.line());
          ctx.errors.push_back({ctx.path, "mapping keys must be strings (found a " +
                                              std::string(key.IsMap()        ? "mapping"
                                                          : key.IsSequence() ? "list"
                                                                             : "null") +
                                              " used as a key at line " +
                                              std::to_string(key.line()) + ")"});
          continue;
        }
        const std::string& name = key.scalar();
        size_t mark = ctx.PushKey(name);
        lines.emplace(ctx.path, key.line());
        Convert(value, o[name], lines, ctx);
        ctx.Pop(mark);
      }
      return;
    }
  }
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Emitter

// The code point at s[i] (well-formed UTF-8: what is stored always is) and
// its length; U+FFFD with length 1 for an ill-formed byte.
std::pair<uint32_t, size_t> CodePoint(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  if (c < 0x80) return {c, 1};
  const size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return {0xFFFD, 1};
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return {0xFFFD, 1};
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  return {cp, n};
}

// Whether YAML may hold the code point as it is: printable (YAML's set) and
// not one of the line breaks YAML 1.1 readers fold (NEL, LS, PS) nor a BOM.
bool YamlPrintable(uint32_t cp) {
  if (cp == 0x85 || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) return false;
  return (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// A double-quoted YAML scalar: JSON-style escapes for the ASCII controls,
// \uXXXX / \UXXXXXXXX for every other code point YAML cannot hold as is.
std::string DoubleQuoted(std::string_view s) {
  std::string out = "\"";
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    auto [cp, n] = CodePoint(s, i);
    switch (cp) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (YamlPrintable(cp)) {
          out.append(s.substr(i, n));
        } else if (cp <= 0xFFFF) {
          std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(cp));
          out += buf;
        } else {
          std::snprintf(buf, sizeof buf, "\\U%08X", static_cast<unsigned>(cp));
          out += buf;
        }
    }
    i += n;
  }
  out += '"';
  return out;
}

bool NeedsQuotes(std::string_view s) {
  if (s.empty()) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos) {
    return true;
  }
  for (size_t i = 0; i < s.size();) {
    auto [cp, n] = CodePoint(s, i);
    if (!YamlPrintable(cp)) return true;
    i += n;
  }
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return true;
  }
  if (!ResolvePlain(s).is_string()) return true;
  // Words other YAML readers (YAML 1.1) take as booleans.
  static constexpr std::string_view kYaml11Bools[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                      "N",  "no",  "No",  "NO",  "on",  "On",
                                                      "ON", "off", "Off", "OFF"};
  for (std::string_view b : kYaml11Bools) {
    if (s == b) return true;
  }
  return false;
}

void EmitScalar(const json::value& v, std::string& out) {
  if (const json::string* s = v.if_string()) {
    std::string_view sv(s->data(), s->size());
    if (NeedsQuotes(sv)) {
      out += DoubleQuoted(sv);
    } else {
      out.append(sv);
    }
  } else {
    out += json::serialize(v);
  }
}

void EmitKey(std::string_view key, std::string& out) {
  if (NeedsQuotes(key)) {
    out += DoubleQuoted(key);
  } else {
    out.append(key);
  }
}

void EmitBlock(const json::value& v, int indent, std::string& out);

// Emits the value after "key:" or "-": inline for scalars and empty
// collections, on following lines otherwise.
void EmitAfterIndicator(const json::value& v, int indent, bool in_sequence, std::string& out) {
  if (const json::object* o = v.if_object(); o && !o->empty()) {
    out += '\n';
    EmitBlock(v, indent + 2, out);
  } else if (const json::array* a = v.if_array(); a && !a->empty()) {
    out += '\n';
    // Like kubectl: a list under a key is not indented further.
    EmitBlock(v, in_sequence ? indent + 2 : indent, out);
  } else if (v.is_object()) {
    out += " {}\n";
  } else if (v.is_array()) {
    out += " []\n";
  } else {
    out += ' ';
    EmitScalar(v, out);
    out += '\n';
  }
}

void EmitBlock(const json::value& v, int indent, std::string& out) {
  if (const json::object* o = v.if_object()) {
    for (const auto& kv : *o) {
      out.append(indent, ' ');
      EmitKey(kv.key(), out);
      out += ':';
      EmitAfterIndicator(kv.value(), indent, false, out);
    }
  } else if (const json::array* a = v.if_array()) {
    for (const json::value& item : *a) {
      if (const json::object* io = item.if_object(); io && !io->empty()) {
        // "- first: x" then the other keys aligned under "first".
        std::string block;
        EmitBlock(item, indent + 2, block);
        out.append(indent, ' ');
        out += "- ";
        out.append(block, indent + 2, std::string::npos);
      } else {
        out.append(indent, ' ');
        out += '-';
        EmitAfterIndicator(item, indent, true, out);
      }
    }
  } else {
    out.append(indent, ' ');
    EmitScalar(v, out);
    out += '\n';
  }
}

}  // namespace

Result<Document> DecodeYamlNode(const yaml::Node& node, const DecodeOptions& options) {
  Document doc;
  doc.line = node.line();
  DecodeContext ctx;
  ctx.strict = options.strict;
  ctx.default_kind = options.default_kind;
  json::value v;
  Convert(node, v, doc.field_lines, ctx);
  std::unique_ptr<Object> obj = internal::DecodeObject(v, ctx);
  std::vector<std::string> problems;
  for (size_t i = 0; i < ctx.errors.size(); ++i) {
    const FieldError& e = ctx.errors[i];
    auto known = ctx.error_lines.find(i);
    int line = known != ctx.error_lines.end() ? known->second
                                              : internal::LineOf(doc.field_lines, e.path, doc.line);
    problems.push_back(internal::FormatProblem(options.source, line, e.path, e.message));
  }
  if (!problems.empty()) return InvalidArgument(JoinLines(problems));
  if (options.warnings) {
    for (const std::string& path : ctx.dropped) {
      options.warnings->push_back(
          internal::FormatProblem(options.source, internal::LineOf(doc.field_lines, path, doc.line),
                                  path, "unknown field (dropped)"));
    }
  }
  doc.object = ObjectPtr(std::move(obj));
  return doc;
}

namespace {

Status YamlError(const yaml::Error& e, const std::string& source) {
  std::string what = "malformed YAML";
  if (e.column > 0) what += " at column " + std::to_string(e.column);
  return InvalidArgument(internal::FormatProblem(source, e.line, e.path, what + ": " + e.message));
}

}  // namespace

Result<std::vector<Document>> DecodeYaml(std::string_view text, const DecodeOptions& options) {
  yaml::Limits limits;
  if (options.yaml_max_nodes > 0) limits.max_nodes = options.yaml_max_nodes;
  yaml::Loaded loaded = yaml::LoadAll(text, limits);
  if (!loaded.ok) return YamlError(loaded.error, options.source);
  std::vector<Document> docs;
  std::vector<std::string> problems;
  for (const yaml::Node& node : loaded.documents) {
    if (!node.IsDefined() || node.IsNull()) continue;
    Result<Document> doc = DecodeYamlNode(node, options);
    if (!doc.ok()) {
      problems.push_back(doc.status().message());
      continue;
    }
    docs.push_back(std::move(*doc));
  }
  if (!problems.empty()) return InvalidArgument(JoinLines(problems));
  return docs;
}

Result<std::vector<Document>> DecodeFile(const std::string& path, const DecodeOptions& options) {
  NAVARCH_ASSIGN_OR_RETURN(std::string text,
                           ReadBoundedFile(path, yaml::Limits().max_input_bytes, "manifest file"));
  DecodeOptions opts = options;
  if (opts.source.empty()) opts.source = path;
  size_t first = text.find_first_not_of(" \t\r\n");
  bool is_json = (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) ||
                 (first != std::string::npos && text[first] == '{');
  if (!is_json) return DecodeYaml(text, opts);
  NAVARCH_ASSIGN_OR_RETURN(ObjectPtr obj, DecodeJson(text, opts));
  std::vector<Document> docs(1);
  docs[0].object = std::move(obj);
  return docs;
}

std::string EncodeYaml(const Object& obj) {
  std::string out;
  EmitBlock(ToJsonValue(obj), 0, out);
  return out;
}

}  // namespace navarch::api
