#include "core/client/field_selector.h"
#include "core/base/strings.h"

#include <array>
#include <utility>

#include "core/api/types.h"

namespace navarch::client {
namespace {

using Field = FieldSelector::Field;

constexpr std::array<std::pair<Field, std::string_view>, 4> kFields = {{
    {Field::kName, "metadata.name"},
    {Field::kNamespace, "metadata.namespace"},
    {Field::kNodeName, "spec.nodeName"},
    {Field::kPhase, "status.phase"},
}};

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
  }
  return {};
}

}  // namespace

std::string_view FieldPath(Field field) {
  for (const auto& [f, path] : kFields) {
    if (f == field) return path;
  }
  return "?";
}

Result<FieldSelector> FieldSelector::Parse(std::string_view text) {
  FieldSelector sel;
  if (TrimWhitespace(text).empty()) return sel;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view term = TrimWhitespace(text.substr(pos, comma - pos));
    pos = comma + 1;
    auto bad = [&](std::string_view why) {
      return InvalidArgument("field selector \"" + std::string(text) + "\": term \"" +
                             std::string(term) + "\" " + std::string(why));
    };
    if (term.empty()) return bad("is empty; write field=value terms separated by commas");
    size_t op = term.find_first_of("!=");
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
    } else if (rest.starts_with("=")) {
      rest.remove_prefix(1);
    } else {
      return bad("has an unknown operator; use =, == or !=");
    }
    t.value = std::string(TrimWhitespace(rest));
    bool known = false;
    for (const auto& [f, path] : kFields) {
      if (path == field) {
        t.field = f;
        known = true;
      }
    }
    if (!known) {
      return bad(
          "names an unsupported field; supported: metadata.name, metadata.namespace, "
          "spec.nodeName, status.phase");
    }
    sel.terms_.push_back(std::move(t));
    if (comma == text.size()) break;
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
    if ((t.field == Field::kNodeName || t.field == Field::kPhase) && kind != api::Kind::kPod) {
      return InvalidArgument("field selector " + std::string(FieldPath(t.field)) +
                             " is only supported for pods, not " +
                             std::string(api::InfoOf(kind).resource));
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
    out += t.value;
  }
  return out;
}

}  // namespace navarch::client
