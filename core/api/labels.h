#pragma once
// Label selectors: which objects a replication controller, service or query
// is about.
//
// A LabelSelector is a conjunction of requirements on label keys. It is built
// once from one of three forms and then matched many times:
//
//   * the text users type (kubectl -l, ?labelSelector=):
//       app=web,tier!=db,env in (prod,qa),env notin (dev),!canary,track
//     `=` and `==` are the same; whitespace between tokens is ignored; the
//     empty string selects everything. Inside a value list an empty item is
//     the empty value (`env in (,prod)`), but the list itself may not be
//     empty.
//   * the structured v1 form (LabelSelectorSpec: matchLabels +
//     matchExpressions with In, NotIn, Exists, DoesNotExist);
//   * a plain map (the v1 ReplicationController and Service selector), every
//     entry an equality.
//
// Semantics, as in Kubernetes: `k=v` and `k in (...)` need the label to be
// present with a listed value; `k!=v` and `k notin (...)` also match objects
// without the label; `k` needs it present, `!k` absent.
//
// Matching is the hot path (every pod against every controller and service):
// requirements are validated, sorted by key and de-duplicated at build time,
// so Matches() is one merge-walk over the sorted label map, with no parsing
// and no allocation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/api/object.h"
#include "core/base/status.h"

namespace navarch::api {

// The v1 wire shape of a set-based requirement (`matchExpressions` item).
struct LabelSelectorRequirement {
  std::string key;
  std::string op;  // "In", "NotIn", "Exists", "DoesNotExist" ("operator" on the wire)
  std::vector<std::string> values;
  bool operator==(const LabelSelectorRequirement&) const = default;
};

// The v1 wire shape of a structured selector. All entries must hold (AND).
// An empty spec selects everything; a missing (null) spec selects nothing —
// callers holding an optional spec use LabelSelector::Nothing() for null.
struct LabelSelectorSpec {
  Labels match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;
  bool operator==(const LabelSelectorSpec&) const = default;
};

enum class SelectorOp : uint8_t {
  kEquals,        // key=value (also key==value)
  kNotEquals,     // key!=value
  kIn,            // key in (v1,v2)
  kNotIn,         // key notin (v1,v2)
  kExists,        // key
  kDoesNotExist,  // !key
};

// "=", "!=", "in", "notin", "exists", "!" — the operator as written in text.
std::string_view SelectorOpName(SelectorOp op);

// One validated requirement. `values` is sorted and without duplicates:
// exactly one value for kEquals/kNotEquals, at least one for kIn/kNotIn, none
// for kExists/kDoesNotExist.
struct SelectorRequirement {
  std::string key;
  SelectorOp op = SelectorOp::kExists;
  std::vector<std::string> values;

  // Whether a label with this key and value `value` (null: no such label)
  // satisfies the requirement.
  bool MatchesValue(const std::string* value) const;
  // The canonical text form ("env in (prod,qa)").
  std::string ToString() const;

  bool operator==(const SelectorRequirement&) const = default;
  // Canonical order: key, then operator, then values.
  auto operator<=>(const SelectorRequirement&) const = default;
};

class LabelSelector {
 public:
  // Selects everything (the empty selector).
  LabelSelector() = default;
  static LabelSelector Everything() { return LabelSelector(); }
  // Selects nothing. It has no text form: ToString() gives "<nothing>",
  // which Parse() rejects rather than reading it as "everything".
  static LabelSelector Nothing();

  // Parses the text form. Errors (kInvalidArgument) quote the text, give the
  // position and say what was expected there.
  static Result<LabelSelector> Parse(std::string_view text);
  // From the structured v1 form; errors name the offending field
  // ("matchExpressions[1].operator: ...").
  static Result<LabelSelector> FromSpec(const LabelSelectorSpec& spec);
  // Every entry an equality requirement; an empty map selects everything.
  // Keys and values are not validated (the object holding the map was);
  // matching is exact whatever they contain.
  static LabelSelector FromMap(const Labels& labels);
  // From requirements built in code; validates keys, values and value counts.
  static Result<LabelSelector> FromRequirements(std::vector<SelectorRequirement> requirements);

  // Whether an object with these labels is selected.
  bool Matches(const Labels& labels) const;

  // True for the selector that selects everything (no requirements).
  bool Empty() const { return !nothing_ && requirements_.empty(); }
  bool IsNothing() const { return nothing_; }

  // Canonical text: requirements sorted by key, operator, values; values of
  // a list sorted. Parse(ToString()) gives back an equal selector.
  std::string ToString() const;

  // The requirements in canonical order.
  const std::vector<SelectorRequirement>& requirements() const { return requirements_; }

  // The first (in key order) requirement that pins a key to a single value
  // (`k=v`, or `k in (v)`), for indexing objects by label. The views point
  // into this selector and live as long as it does.
  std::optional<std::pair<std::string_view, std::string_view>> EqualityRequirement() const;

  bool operator==(const LabelSelector&) const = default;

 private:
  // `requirements` must be valid; sorts and de-duplicates them.
  static LabelSelector FromValid(std::vector<SelectorRequirement> requirements);

  bool nothing_ = false;
  std::vector<SelectorRequirement> requirements_;
};

}  // namespace navarch::api
