#pragma once
// Validation of the names and label strings of the object model, with the
// rules and lengths of Kubernetes v1:
//
//   * DNS-1123 label      [a-z0-9]([-a-z0-9]*[a-z0-9])?            at most 63
//   * DNS-1123 subdomain  labels as above joined by '.'           at most 253
//   * label key           [prefix "/"] name, where prefix is a DNS-1123
//                         subdomain (at most 253) and name is
//                         ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] (at most 63)
//   * label value         empty, or the same form as a key's name (at most 63)
//
// Each function returns human-readable messages, one per problem found; an
// empty vector means the value is valid. Every message quotes the offending
// value, says what is wrong with it and what is accepted, so that callers can
// prefix it with the field path ("metadata.labels: ...") and hand it to users
// as is. The checks are hand-written (no regular expressions) because they
// run on every object written and every selector parsed.

#include <string>
#include <string_view>
#include <vector>

namespace navarch::api {

inline constexpr size_t kDns1123LabelMaxLength = 63;
inline constexpr size_t kDns1123SubdomainMaxLength = 253;
inline constexpr size_t kQualifiedNameMaxLength = 63;
inline constexpr size_t kLabelValueMaxLength = 63;

std::vector<std::string> ValidateDns1123Subdomain(std::string_view value);
std::vector<std::string> ValidateDns1123Label(std::string_view value);
// A qualified name: an optional DNS-1123 subdomain prefix and "/", then a name
// of at most 63 characters (alphanumeric at both ends, '-', '_', '.' inside).
std::vector<std::string> ValidateLabelKey(std::string_view key);
// At most 63 characters; empty is allowed; otherwise the form of a key's name.
std::vector<std::string> ValidateLabelValue(std::string_view value);

// `value` in double quotes, with '"', '\\' and non-printable bytes escaped
// and very long values shortened, for use inside messages.
std::string QuoteForMessage(std::string_view value);

}  // namespace navarch::api
