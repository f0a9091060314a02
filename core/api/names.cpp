#include "core/api/names.h"

#include <cstdio>

namespace navarch::api {
namespace {

constexpr std::string_view kLabelRule =
    "a DNS-1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name' or '123-abc')";
constexpr std::string_view kSubdomainRule =
    "a DNS-1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
    "each of its '.'-separated parts must start and end with an alphanumeric character (e.g. "
    "'example.com' or 'my-name')";
constexpr std::string_view kNameRule =
    "the name part of a label key must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or "
    "'123-abc')";
constexpr std::string_view kKeyRule =
    "a label key is a name with an optional DNS-1123 subdomain prefix and '/' before it (e.g. "
    "'app' or 'example.com/app')";
constexpr std::string_view kValueRule =
    "a label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and "
    "must start and end with an alphanumeric character (e.g. 'MyValue', 'my.value' or "
    "'123-abc')";

constexpr size_t kMaxQuotedLength = 80;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c);
}
bool IsAlnum(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}
bool IsLabelChar(char c) {
  return IsLowerAlnum(c) || c == '-';
}
bool IsSubdomainChar(char c) {
  return IsLowerAlnum(c) || c == '-' || c == '.';
}
bool IsQualifiedChar(char c) {
  return IsAlnum(c) || c == '-' || c == '_' || c == '.';
}

std::string DescribeChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", u);
  return buf;
}

std::string NotAllowed(char c, size_t pos) {
  return "character " + DescribeChar(c) + " at position " + std::to_string(pos) + " is not allowed";
}

// What is wrong with `s` (which starts at `base` in the value being
// validated) against "non-empty, only `inner` characters, `edge` characters at
// both ends"; empty when nothing is.
std::string ShapeProblem(std::string_view s, size_t base, bool (*inner)(char), bool (*edge)(char)) {
  if (s.empty()) return "it must not be empty";
  for (size_t i = 0; i < s.size(); ++i) {
    if (!inner(s[i])) return NotAllowed(s[i], base + i);
  }
  if (!edge(s.front())) {
    return "it must start with an alphanumeric character, not " + DescribeChar(s.front());
  }
  if (!edge(s.back())) {
    return "it must end with an alphanumeric character, not " + DescribeChar(s.back());
  }
  return {};
}

std::string SubdomainShapeProblem(std::string_view s, size_t base) {
  if (s.empty()) return "it must not be empty";
  for (size_t i = 0; i < s.size(); ++i) {
    if (!IsSubdomainChar(s[i])) return NotAllowed(s[i], base + i);
  }
  if (s.front() == '.') return "it must not start with '.'";
  if (s.back() == '.') return "it must not end with '.'";
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string_view::npos) end = s.size();
    std::string_view part = s.substr(start, end - start);
    if (part.empty()) {
      return "it must not contain '..' (at position " + std::to_string(base + start - 1) + ")";
    }
    if (part.front() == '-' || part.back() == '-') {
      return "its part " + QuoteForMessage(part) + " at position " + std::to_string(base + start) +
             " must start and end with an alphanumeric character";
    }
    start = end + 1;
  }
  return {};
}

std::string TooLong(std::string_view what, size_t max, size_t got) {
  return std::string(what) + " must be no more than " + std::to_string(max) +
         " characters, it has " + std::to_string(got);
}

std::string Message(std::string_view kind, std::string_view value, std::string_view problem,
                    std::string_view rule = {}) {
  std::string m = "invalid ";
  m += kind;
  m += ' ';
  m += QuoteForMessage(value);
  m += ": ";
  m += problem;
  if (!rule.empty()) {
    m += "; ";
    m += rule;
  }
  return m;
}

// The name part of a qualified name (a label key without its prefix).
void CheckKeyName(std::string_view key, std::string_view name, size_t base,
                  std::vector<std::string>& out) {
  if (name.size() > kQualifiedNameMaxLength) {
    out.push_back(
        Message("label key", key, TooLong("the name part", kQualifiedNameMaxLength, name.size())));
  }
  if (name.empty()) {
    out.push_back(Message("label key", key,
                          key.empty() ? "it must not be empty" : "the name part must not be empty",
                          kNameRule));
    return;
  }
  std::string p = ShapeProblem(name, base, IsQualifiedChar, IsAlnum);
  if (!p.empty()) {
    out.push_back(Message("label key", key, "the name part: " + p, kNameRule));
  }
}

}  // namespace

std::string QuoteForMessage(std::string_view value) {
  std::string out = "\"";
  size_t n = value.size() > kMaxQuotedLength ? kMaxQuotedLength : value.size();
  for (size_t i = 0; i < n; ++i) {
    char c = value[i];
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  if (n < value.size()) {
    out += "...\" (" + std::to_string(value.size()) + " characters)";
  } else {
    out += '"';
  }
  return out;
}

std::vector<std::string> ValidateDns1123Label(std::string_view value) {
  std::vector<std::string> out;
  if (value.size() > kDns1123LabelMaxLength) {
    out.push_back(
        Message("DNS-1123 label", value, TooLong("it", kDns1123LabelMaxLength, value.size())));
  }
  std::string p = ShapeProblem(value, 0, IsLabelChar, IsLowerAlnum);
  if (!p.empty()) out.push_back(Message("DNS-1123 label", value, p, kLabelRule));
  return out;
}

std::vector<std::string> ValidateDns1123Subdomain(std::string_view value) {
  std::vector<std::string> out;
  if (value.size() > kDns1123SubdomainMaxLength) {
    out.push_back(Message("DNS-1123 subdomain", value,
                          TooLong("it", kDns1123SubdomainMaxLength, value.size())));
  }
  std::string p = SubdomainShapeProblem(value, 0);
  if (!p.empty()) out.push_back(Message("DNS-1123 subdomain", value, p, kSubdomainRule));
  return out;
}

std::vector<std::string> ValidateLabelKey(std::string_view key) {
  std::vector<std::string> out;
  size_t slash = key.find('/');
  if (slash == std::string_view::npos) {
    CheckKeyName(key, key, 0, out);
    return out;
  }
  if (key.find('/', slash + 1) != std::string_view::npos) {
    out.push_back(Message("label key", key, "it must contain at most one '/'", kKeyRule));
    return out;
  }
  std::string_view prefix = key.substr(0, slash);
  if (prefix.empty()) {
    out.push_back(Message("label key", key, "the prefix before '/' must not be empty", kKeyRule));
  } else {
    if (prefix.size() > kDns1123SubdomainMaxLength) {
      out.push_back(Message("label key", key,
                            TooLong("the prefix", kDns1123SubdomainMaxLength, prefix.size())));
    }
    std::string p = SubdomainShapeProblem(prefix, 0);
    if (!p.empty()) {
      out.push_back(Message("label key", key, "the prefix: " + p, kSubdomainRule));
    }
  }
  CheckKeyName(key, key.substr(slash + 1), slash + 1, out);
  return out;
}

std::vector<std::string> ValidateLabelValue(std::string_view value) {
  std::vector<std::string> out;
  if (value.size() > kLabelValueMaxLength) {
    out.push_back(Message("label value", value, TooLong("it", kLabelValueMaxLength, value.size())));
  }
  if (value.empty()) return out;
  std::string p = ShapeProblem(value, 0, IsQualifiedChar, IsAlnum);
  if (!p.empty()) out.push_back(Message("label value", value, p, kValueRule));
  return out;
}

}  // namespace navarch::api
