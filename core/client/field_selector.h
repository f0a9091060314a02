#pragma once
// Field selectors: the few object fields a List or Watch may filter on
// besides labels, as in Kubernetes' `?fieldSelector=` —
//
//   metadata.name        every kind
//   metadata.namespace   every kind
//   spec.nodeName        pods
//   status.phase         pods
//   involvedObject.kind, .namespace, .name, .uid, .apiVersion,
//   .resourceVersion, .fieldPath, reason, type, source,
//   reportingComponent   events (what `kubectl describe` and
//                        `kubectl events --for` send)
//
// Text form: comma-separated `field=value`, `field==value` or
// `field!=value` terms, all of which must hold ("spec.nodeName=,status.phase!=Failed"
// selects unbound pods that have not failed). The empty string selects
// everything. As in Kubernetes, a value writes a comma, '=' and a backslash
// with a backslash before them; an unescaped ',' or '=' in a value is an
// error.

#include <string>
#include <string_view>
#include <vector>

#include "core/api/object.h"
#include "core/base/status.h"

namespace navarch::client {

class FieldSelector {
 public:
  enum class Field {
    kName,
    kNamespace,
    kNodeName,
    kPhase,
    kInvolvedKind,
    kInvolvedNamespace,
    kInvolvedName,
    kInvolvedUid,
    kInvolvedApiVersion,
    kInvolvedResourceVersion,
    kInvolvedFieldPath,
    kReason,
    kType,
    kSource,
    kReportingComponent,
  };
  struct Term {
    Field field = Field::kName;
    bool negate = false;  // `!=`
    std::string value;
    bool operator==(const Term&) const = default;
  };

  // Selects everything.
  FieldSelector() = default;

  // kInvalidArgument quoting the term and listing the supported fields.
  static Result<FieldSelector> Parse(std::string_view text);
  // The terms of `text`, split at unescaped commas (not trimmed).
  static std::vector<std::string_view> SplitTerms(std::string_view text);
  // A term's value with its escapes resolved; kInvalidArgument for an
  // unescaped ',' or '=' or an unknown escape.
  static Result<std::string> UnescapeValue(std::string_view value);

  // Builders for code: all terms are ANDed.
  FieldSelector& Equals(Field field, std::string value);
  FieldSelector& NotEquals(Field field, std::string value);

  bool Empty() const { return terms_.empty(); }
  // Whether `obj` satisfies every term. A field that does not exist for the
  // object's kind (spec.nodeName of a Node) reads as "".
  bool Matches(const api::Object& obj) const;
  // kInvalidArgument if a term names a field `kind` does not have.
  Status CheckKind(api::Kind kind) const;

  // The value of a term `spec.nodeName=<v>` (not negated), if there is one:
  // lets a server route the selector to an index.
  const std::string* NodeNameEquals() const;

  const std::vector<Term>& terms() const { return terms_; }
  // Canonical text form, terms in the order given, values escaped:
  // Parse(ToString()) gives an equal selector.
  std::string ToString() const;

  bool operator==(const FieldSelector&) const = default;

 private:
  std::vector<Term> terms_;
};

// "metadata.name", "spec.nodeName", ...
std::string_view FieldPath(FieldSelector::Field field);

}  // namespace navarch::client
