#include "core/api/labels.h"

#include <algorithm>

#include "core/api/names.h"

namespace navarch::api {
namespace {

constexpr std::string_view kExpectedAfterKey =
    "expected '=', '==', '!=', 'in', 'notin', ',' or the end of the selector";

std::string JoinMessages(const std::vector<std::string>& messages) {
  std::string out;
  for (const auto& m : messages) {
    if (!out.empty()) out += "; ";
    out += m;
  }
  return out;
}

void SortValues(std::vector<std::string>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

// Checks a requirement built outside the parser; returns "" when valid.
std::string RequirementProblem(const SelectorRequirement& r) {
  if (auto errs = ValidateLabelKey(r.key); !errs.empty()) return JoinMessages(errs);
  for (const auto& v : r.values) {
    if (auto errs = ValidateLabelValue(v); !errs.empty()) return JoinMessages(errs);
  }
  const std::string op(SelectorOpName(r.op));
  switch (r.op) {
    case SelectorOp::kEquals:
    case SelectorOp::kNotEquals:
      if (r.values.size() != 1) {
        return "operator '" + op + "' on key " + QuoteForMessage(r.key) +
               " needs exactly one value, got " + std::to_string(r.values.size());
      }
      break;
    case SelectorOp::kIn:
    case SelectorOp::kNotIn:
      if (r.values.empty()) {
        return "operator '" + op + "' on key " + QuoteForMessage(r.key) +
               " requires at least one value";
      }
      break;
    case SelectorOp::kExists:
    case SelectorOp::kDoesNotExist:
      if (!r.values.empty()) {
        return "operator '" + op + "' on key " + QuoteForMessage(r.key) + " takes no values, got " +
               std::to_string(r.values.size());
      }
      break;
  }
  return {};
}

// ---------------------------------------------------------------------------
// Text form.

enum class Tok { kEnd, kIdent, kComma, kOpen, kClose, kOp };

struct Token {
  Tok kind;
  std::string_view text;
  size_t pos;
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool IsOpChar(char c) {
  return c == '=' || c == '!' || c == '<' || c == '>' || c == '~';
}
bool IsSpecial(char c) {
  return c == ',' || c == '(' || c == ')' || IsOpChar(c) || IsSpace(c);
}

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "the end of the selector";
    case Tok::kComma:
      return "','";
    case Tok::kOpen:
      return "'('";
    case Tok::kClose:
      return "')'";
    case Tok::kIdent:
    case Tok::kOp:
      break;
  }
  return QuoteForMessage(t.text);
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<LabelSelector> Parse() {
    std::vector<SelectorRequirement> reqs;
    if (Peek().kind == Tok::kEnd) return LabelSelector::Everything();
    while (true) {
      SelectorRequirement r;
      NAVARCH_RETURN_IF_ERROR(ParseRequirement(r));
      reqs.push_back(std::move(r));
      Token t = Next();
      if (t.kind == Tok::kEnd) break;
      if (t.kind != Tok::kComma) {
        return Error(t.pos, "unexpected " + Describe(t) + " after requirement " +
                                QuoteForMessage(reqs.back().ToString()) +
                                "; expected ',' or the end of the selector");
      }
    }
    auto sel = LabelSelector::FromRequirements(std::move(reqs));
    // The parser validated everything FromRequirements checks.
    assert(sel.ok());
    return sel;
  }

 private:
  Status Error(size_t pos, std::string_view problem) const {
    std::string m =
        "invalid label selector " + QuoteForMessage(text_) + " at position " + std::to_string(pos);
    if (pos == text_.size()) m += " (the end)";
    m += ": ";
    m += problem;
    return InvalidArgument(std::move(m));
  }

  Token Next() {
    while (pos_ < text_.size() && IsSpace(text_[pos_]))
      ++pos_;
    size_t start = pos_;
    if (pos_ == text_.size()) return {Tok::kEnd, {}, start};
    char c = text_[pos_];
    if (c == ',') return ++pos_, Token{Tok::kComma, text_.substr(start, 1), start};
    if (c == '(') return ++pos_, Token{Tok::kOpen, text_.substr(start, 1), start};
    if (c == ')') return ++pos_, Token{Tok::kClose, text_.substr(start, 1), start};
    if (IsOpChar(c)) {
      while (pos_ < text_.size() && IsOpChar(text_[pos_]))
        ++pos_;
      return {Tok::kOp, text_.substr(start, pos_ - start), start};
    }
    while (pos_ < text_.size() && !IsSpecial(text_[pos_]))
      ++pos_;
    return {Tok::kIdent, text_.substr(start, pos_ - start), start};
  }

  Token Peek() {
    size_t saved = pos_;
    Token t = Next();
    pos_ = saved;
    return t;
  }

  Status CheckKey(const Token& t) const {
    if (auto errs = ValidateLabelKey(t.text); !errs.empty()) {
      return Error(t.pos, JoinMessages(errs));
    }
    return Status::Ok();
  }
  Status CheckValue(const Token& t) const {
    if (auto errs = ValidateLabelValue(t.text); !errs.empty()) {
      return Error(t.pos, JoinMessages(errs));
    }
    return Status::Ok();
  }

  Status ParseRequirement(SelectorRequirement& r) {
    Token t = Next();
    if (t.kind == Tok::kOp && t.text == "!") {
      Token key = Next();
      if (key.kind != Tok::kIdent) {
        return Error(key.pos, "expected a label key after '!', found " + Describe(key));
      }
      NAVARCH_RETURN_IF_ERROR(CheckKey(key));
      r.key = std::string(key.text);
      r.op = SelectorOp::kDoesNotExist;
      return Status::Ok();
    }
    if (t.kind != Tok::kIdent) {
      return Error(t.pos, "expected a label key, found " + Describe(t));
    }
    NAVARCH_RETURN_IF_ERROR(CheckKey(t));
    r.key = std::string(t.text);

    Token op = Peek();
    switch (op.kind) {
      case Tok::kEnd:
      case Tok::kComma:
        r.op = SelectorOp::kExists;
        return Status::Ok();
      case Tok::kOp:
        Next();
        if (op.text == "=" || op.text == "==") {
          r.op = SelectorOp::kEquals;
        } else if (op.text == "!=") {
          r.op = SelectorOp::kNotEquals;
        } else {
          return Error(op.pos, "unknown operator " + QuoteForMessage(op.text) + " after key " +
                                   QuoteForMessage(r.key) + "; " + std::string(kExpectedAfterKey));
        }
        return ParseSingleValue(r, op);
      case Tok::kIdent:
        Next();
        if (op.text == "in") {
          r.op = SelectorOp::kIn;
        } else if (op.text == "notin") {
          r.op = SelectorOp::kNotIn;
        } else {
          return Error(op.pos, "unknown operator " + QuoteForMessage(op.text) + " after key " +
                                   QuoteForMessage(r.key) + "; " + std::string(kExpectedAfterKey) +
                                   " (label keys cannot contain spaces)");
        }
        return ParseValueList(r, op);
      case Tok::kOpen:
      case Tok::kClose:
        break;
    }
    return Error(op.pos, "unexpected " + Describe(op) + " after key " + QuoteForMessage(r.key) +
                             "; " + std::string(kExpectedAfterKey));
  }

  // After `=`, `==` or `!=`: one value, possibly empty (`k=` means k="").
  Status ParseSingleValue(SelectorRequirement& r, const Token& op) {
    Token v = Peek();
    if (v.kind == Tok::kEnd || v.kind == Tok::kComma) {
      r.values.emplace_back();
      return Status::Ok();
    }
    if (v.kind != Tok::kIdent) {
      return Error(v.pos, "expected a value after '" + std::string(op.text) + "' for key " +
                              QuoteForMessage(r.key) + ", found " + Describe(v));
    }
    Next();
    NAVARCH_RETURN_IF_ERROR(CheckValue(v));
    r.values.emplace_back(v.text);
    return Status::Ok();
  }

  // After `in` or `notin`: "(" value ("," value)* ")".
  Status ParseValueList(SelectorRequirement& r, const Token& op) {
    Token open = Next();
    if (open.kind != Tok::kOpen) {
      return Error(open.pos, "expected '(' after '" + std::string(op.text) + "' for key " +
                                 QuoteForMessage(r.key) + ", found " + Describe(open));
    }
    bool want_value = true;
    bool saw_comma = false;
    while (true) {
      Token t = Next();
      switch (t.kind) {
        case Tok::kIdent:
          if (!want_value) {
            return Error(t.pos, "unexpected " + Describe(t) + " in the value list of key " +
                                    QuoteForMessage(r.key) + "; expected ',' or ')'");
          }
          NAVARCH_RETURN_IF_ERROR(CheckValue(t));
          r.values.emplace_back(t.text);
          want_value = false;
          break;
        case Tok::kComma:
          if (want_value) r.values.emplace_back();  // an empty item: the empty value
          want_value = true;
          saw_comma = true;
          break;
        case Tok::kClose:
          if (want_value && saw_comma) r.values.emplace_back();
          if (r.values.empty()) {
            return Error(open.pos, "'" + std::string(op.text) +
                                       "' requires at least one value (key " +
                                       QuoteForMessage(r.key) + ")");
          }
          SortValues(r.values);
          return Status::Ok();
        case Tok::kEnd:
          return Error(t.pos, "unterminated value list opened at position " +
                                  std::to_string(open.pos) + " for key " + QuoteForMessage(r.key) +
                                  "; expected ',' or ')'");
        case Tok::kOpen:
        case Tok::kOp:
          return Error(t.pos, "unexpected " + Describe(t) + " in the value list of key " +
                                  QuoteForMessage(r.key) + "; expected a value, ',' or ')'");
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Result<SelectorOp> OpFromSpec(std::string_view op) {
  if (op == "In") return SelectorOp::kIn;
  if (op == "NotIn") return SelectorOp::kNotIn;
  if (op == "Exists") return SelectorOp::kExists;
  if (op == "DoesNotExist") return SelectorOp::kDoesNotExist;
  return InvalidArgument(QuoteForMessage(op) +
                         " is not a valid operator; use one of In, NotIn, Exists, DoesNotExist");
}

}  // namespace

std::string_view SelectorOpName(SelectorOp op) {
  switch (op) {
    case SelectorOp::kEquals:
      return "=";
    case SelectorOp::kNotEquals:
      return "!=";
    case SelectorOp::kIn:
      return "in";
    case SelectorOp::kNotIn:
      return "notin";
    case SelectorOp::kExists:
      return "exists";
    case SelectorOp::kDoesNotExist:
      return "!";
  }
  return "?";
}

bool SelectorRequirement::MatchesValue(const std::string* value) const {
  switch (op) {
    case SelectorOp::kEquals:
      return value != nullptr && *value == values.front();
    case SelectorOp::kNotEquals:
      return value == nullptr || *value != values.front();
    case SelectorOp::kIn:
      return value != nullptr && std::binary_search(values.begin(), values.end(), *value);
    case SelectorOp::kNotIn:
      return value == nullptr || !std::binary_search(values.begin(), values.end(), *value);
    case SelectorOp::kExists:
      return value != nullptr;
    case SelectorOp::kDoesNotExist:
      return value == nullptr;
  }
  return false;
}

std::string SelectorRequirement::ToString() const {
  switch (op) {
    case SelectorOp::kEquals:
    case SelectorOp::kNotEquals:
      return key + std::string(SelectorOpName(op)) + (values.empty() ? "" : values.front());
    case SelectorOp::kIn:
    case SelectorOp::kNotIn: {
      std::string out = key + " " + std::string(SelectorOpName(op)) + " (";
      for (size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += values[i];
      }
      // A list of just the empty value is written "(,)": "()" is rejected as
      // an empty list.
      if (values.size() == 1 && values.front().empty()) out += ',';
      return out + ")";
    }
    case SelectorOp::kExists:
      return key;
    case SelectorOp::kDoesNotExist:
      return "!" + key;
  }
  return key;
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

LabelSelector LabelSelector::FromValid(std::vector<SelectorRequirement> requirements) {
  for (auto& r : requirements)
    SortValues(r.values);
  std::sort(requirements.begin(), requirements.end());
  requirements.erase(std::unique(requirements.begin(), requirements.end()), requirements.end());
  LabelSelector s;
  s.requirements_ = std::move(requirements);
  return s;
}

Result<LabelSelector> LabelSelector::Parse(std::string_view text) {
  return Parser(text).Parse();
}

Result<LabelSelector> LabelSelector::FromRequirements(
    std::vector<SelectorRequirement> requirements) {
  for (size_t i = 0; i < requirements.size(); ++i) {
    std::string p = RequirementProblem(requirements[i]);
    if (!p.empty()) {
      return InvalidArgument("invalid label selector requirement " + std::to_string(i) + ": " + p);
    }
  }
  return FromValid(std::move(requirements));
}

Result<LabelSelector> LabelSelector::FromSpec(const LabelSelectorSpec& spec) {
  auto fail = [](const std::string& field, const std::string& problem) {
    return InvalidArgument("invalid label selector: " + field + ": " + problem);
  };
  std::vector<SelectorRequirement> reqs;
  reqs.reserve(spec.match_labels.size() + spec.match_expressions.size());
  for (const auto& [key, value] : spec.match_labels) {
    if (auto errs = ValidateLabelKey(key); !errs.empty()) {
      return fail("matchLabels", JoinMessages(errs));
    }
    if (auto errs = ValidateLabelValue(value); !errs.empty()) {
      return fail("matchLabels[" + QuoteForMessage(key) + "]", JoinMessages(errs));
    }
    reqs.push_back({key, SelectorOp::kEquals, {value}});
  }
  for (size_t i = 0; i < spec.match_expressions.size(); ++i) {
    const auto& e = spec.match_expressions[i];
    const std::string field = "matchExpressions[" + std::to_string(i) + "]";
    if (auto errs = ValidateLabelKey(e.key); !errs.empty()) {
      return fail(field + ".key", JoinMessages(errs));
    }
    auto op = OpFromSpec(e.op);
    if (!op.ok()) return fail(field + ".operator", op.status().message());
    const bool wants_values = *op == SelectorOp::kIn || *op == SelectorOp::kNotIn;
    if (wants_values && e.values.empty()) {
      return fail(field + ".values", "operator " + e.op + " requires at least one value");
    }
    if (!wants_values && !e.values.empty()) {
      return fail(field + ".values",
                  "operator " + e.op + " takes no values, got " + std::to_string(e.values.size()));
    }
    for (size_t j = 0; j < e.values.size(); ++j) {
      if (auto errs = ValidateLabelValue(e.values[j]); !errs.empty()) {
        return fail(field + ".values[" + std::to_string(j) + "]", JoinMessages(errs));
      }
    }
    reqs.push_back({e.key, *op, e.values});
  }
  return FromValid(std::move(reqs));
}

LabelSelector LabelSelector::FromMap(const Labels& labels) {
  std::vector<SelectorRequirement> reqs;
  reqs.reserve(labels.size());
  for (const auto& [key, value] : labels)
    reqs.push_back({key, SelectorOp::kEquals, {value}});
  // Already sorted by key with one requirement per key.
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  return s;
}

bool LabelSelector::Matches(const Labels& labels) const {
  if (nothing_) return false;
  auto it = labels.begin();
  const auto end = labels.end();
  for (const auto& r : requirements_) {
    int c = 1;
    while (it != end && (c = it->first.compare(r.key)) < 0)
      ++it;
    const std::string* value = (it != end && c == 0) ? &it->second : nullptr;
    if (!r.MatchesValue(value)) return false;
  }
  return true;
}

std::string LabelSelector::ToString() const {
  if (nothing_) return "<nothing>";
  std::string out;
  for (const auto& r : requirements_) {
    if (!out.empty()) out += ',';
    out += r.ToString();
  }
  return out;
}

std::optional<std::pair<std::string_view, std::string_view>> LabelSelector::EqualityRequirement()
    const {
  for (const auto& r : requirements_) {
    if ((r.op == SelectorOp::kEquals || r.op == SelectorOp::kIn) && r.values.size() == 1) {
      return std::make_pair(std::string_view(r.key), std::string_view(r.values.front()));
    }
  }
  return std::nullopt;
}

}  // namespace navarch::api
