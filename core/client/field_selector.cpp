#include "core/client/field_selector.h"
#include "core/base/strings.h"

#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "core/api/types.h"

namespace navarch::client {
namespace {

using Field = FieldSelector::Field;

constexpr std::array<std::pair<Field, std::string_view>, 15> kFields = {{
    {Field::kName, "metadata.name"},
    {Field::kNamespace, "metadata.namespace"},
    {Field::kNodeName, "spec.nodeName"},
    {Field::kPhase, "status.phase"},
    {Field::kInvolvedKind, "involvedObject.kind"},
    {Field::kInvolvedNamespace, "involvedObject.namespace"},
    {Field::kInvolvedName, "involvedObject.name"},
    {Field::kInvolvedUid, "involvedObject.uid"},
    {Field::kInvolvedApiVersion, "involvedObject.apiVersion"},
    {Field::kInvolvedResourceVersion, "involvedObject.resourceVersion"},
    {Field::kInvolvedFieldPath, "involvedObject.fieldPath"},
    {Field::kReason, "reason"},
    {Field::kType, "type"},
    {Field::kSource, "source"},
    {Field::kReportingComponent, "reportingComponent"},
}};

// The kind a field belongs to; nullopt: every kind.
std::optional<api::Kind> KindOf(Field field) {
  switch (field) {
    case Field::kName:
    case Field::kNamespace:
      return std::nullopt;
    case Field::kNodeName:
    case Field::kPhase:
      return api::Kind::kPod;
    default:
      return api::Kind::kEvent;
  }
}

std::string SupportedFields() {
  std::string out;
  for (const auto& [f, path] : kFields) {
    if (!out.empty()) out += ", ";
    out += path;
  }
  return out;
}

std::string_view FieldValue(Field field, const api::Object& obj) {
  switch (field) {
    case Field::kName:
      return obj.metadata.name;
    case Field::kNamespace:
      return obj.metadata.namespace_;
    case Field::kNodeName:
      if (auto* pod = api::As<api::Pod>(&obj)) return pod->spec->node_name;
      return {};
    case Field::kPhase:
      if (auto* pod = api::As<api::Pod>(&obj)) return pod->status.phase;
      return {};
    default:
      break;
  }
  const auto* ev = api::As<api::Event>(&obj);
  if (!ev) return {};
  const auto& io = ev->involved_object;
  switch (field) {
    case Field::kInvolvedKind:
      return io.kind;
    case Field::kInvolvedNamespace:
      return io.namespace_;
    case Field::kInvolvedName:
      return io.name;
    case Field::kInvolvedUid:
      return io.uid;
    case Field::kInvolvedApiVersion:
      return io.api_version;
    case Field::kInvolvedResourceVersion:
      return io.resource_version;
    case Field::kInvolvedFieldPath:
      return io.field_path;
    case Field::kReason:
      return ev->reason;
    case Field::kType:
      return ev->type;
    case Field::kSource:
      return ev->source.component;
    case Field::kReportingComponent:
      return ev->reporting_component;
    default:
      return {};
  }
}

}  // namespace

std::string_view FieldPath(Field field) {
  for (const auto& [f, path] : kFields) {
    if (f == field) return path;
  }
  return "?";
}

// Splits at the commas that are not escaped with a backslash.
std::vector<std::string_view> FieldSelector::SplitTerms(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (escaped) {
      escaped = false;
    } else if (text[i] == '\\') {
      escaped = true;
    } else if (text[i] == ',') {
      out.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(text.substr(start));
  return out;
}

Result<std::string> FieldSelector::UnescapeValue(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '\\') {
      if (i + 1 == v.size() || (v[i + 1] != '\\' && v[i + 1] != ',' && v[i + 1] != '=')) {
        return InvalidArgument(
            "has an invalid escape in its value; the escapes are \"\\\\\", "
            "\"\\,\" and \"\\=\"");
      }
      out += v[++i];
    } else if (c == ',' || c == '=') {
      return InvalidArgument(std::string("has an unescaped '") + c +
                             "' in its value; write it as \\" + c);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string EscapeValue(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

Result<FieldSelector> FieldSelector::Parse(std::string_view text) {
  FieldSelector sel;
  if (TrimWhitespace(text).empty()) return sel;
  NAVARCH_RETURN_IF_ERROR(CheckUtf8(text, "field selector"));
  for (std::string_view raw : SplitTerms(text)) {
    std::string_view term = TrimWhitespace(raw);
    auto bad = [&](std::string_view why) {
      return InvalidArgument("field selector \"" + std::string(text) + "\": term \"" +
                             std::string(term) + "\" " + std::string(why));
    };
    if (term.empty()) return bad("is empty; write field=value terms separated by commas");
    // The first operator from the left, as Kubernetes splits a term.
    size_t op = term.find_first_of("!=");
    while (op != std::string_view::npos && term[op] == '!' && term.compare(op, 2, "!=") != 0) {
      op = term.find_first_of("!=", op + 1);
    }
    if (op == std::string_view::npos) {
      return bad("has no operator; use field=value, field==value or field!=value");
    }
    Term t;
    std::string_view field = TrimWhitespace(term.substr(0, op));
    std::string_view rest = term.substr(op);
    if (rest.starts_with("!=")) {
      t.negate = true;
      rest.remove_prefix(2);
    } else if (rest.starts_with("==")) {
      rest.remove_prefix(2);
    } else {
      rest.remove_prefix(1);
    }
    auto value = UnescapeValue(TrimWhitespace(rest));
    if (!value.ok()) return bad(value.status().message());
    t.value = std::move(*value);
    bool known = false;
    for (const auto& [f, path] : kFields) {
      if (path == field) {
        t.field = f;
        known = true;
      }
    }
    if (!known) {
      return bad("names an unsupported field; supported: " + SupportedFields());
    }
    sel.terms_.push_back(std::move(t));
  }
  return sel;
}

FieldSelector& FieldSelector::Equals(Field field, std::string value) {
  terms_.push_back(Term{field, false, std::move(value)});
  return *this;
}

FieldSelector& FieldSelector::NotEquals(Field field, std::string value) {
  terms_.push_back(Term{field, true, std::move(value)});
  return *this;
}

bool FieldSelector::Matches(const api::Object& obj) const {
  for (const auto& t : terms_) {
    bool equal = FieldValue(t.field, obj) == t.value;
    if (equal == t.negate) return false;
  }
  return true;
}

Status FieldSelector::CheckKind(api::Kind kind) const {
  for (const auto& t : terms_) {
    const std::optional<api::Kind> only = KindOf(t.field);
    if (only && *only != kind) {
      return InvalidArgument("field selector " + std::string(FieldPath(t.field)) +
                             " is only supported for " + std::string(api::InfoOf(*only).resource) +
                             ", not " + std::string(api::InfoOf(kind).resource));
    }
  }
  return Status::Ok();
}

const std::string* FieldSelector::NodeNameEquals() const {
  for (const auto& t : terms_) {
    if (t.field == Field::kNodeName && !t.negate) return &t.value;
  }
  return nullptr;
}

std::string FieldSelector::ToString() const {
  std::string out;
  for (const auto& t : terms_) {
    if (!out.empty()) out += ',';
    out += FieldPath(t.field);
    out += t.negate ? "!=" : "=";
    out += EscapeValue(t.value);
  }
  return out;
}

}  // namespace navarch::client
