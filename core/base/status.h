#pragma once
// Status and Result<T>: errors that callers must handle are values.
//
// A Status carries a small code and a human message that names the thing
// that failed (file, field, object) and, where possible, what to do about it.
// A version conflict is an ordinary Status (kConflict), not an exception.
// Exceptions are reserved for the edges (parsing libraries, the CLI).

#include <cassert>
#include <cstdlib>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace navarch {

enum class Code {
  kOk = 0,
  kNotFound,         // the named object or key does not exist
  kAlreadyExists,    // create of something that exists
  kConflict,         // compare-and-swap lost: the object changed since it was read
  kInvalidArgument,  // bad user input: malformed, unknown field, failed validation
  kCompacted,        // a revision older than the oldest one kept (watch/list too far back)
  kUnavailable,      // a dependency (daemon, file, peer) cannot be reached; retry later
  kInternal,         // a bug or corrupted state
  kNotSupported,     // an optional capability this implementation does not have
  kCancelled,        // the operation was stopped by its owner
  kForbidden,        // refused by policy (a built-in namespace, a terminating one, ...)
};

// One field a failed validation names: "spec.containers[0].image",
// "Required value". A kInvalidArgument Status with causes is a validation
// failure of an object (HTTP 422 Invalid); without, a bad request (400).
struct FieldCause {
  std::string field;
  std::string message;
  bool operator==(const FieldCause&) const = default;
};

// Stable lower-case name of a code ("not found", "conflict", ...).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Status(Code code, std::string message, std::vector<FieldCause> causes)
      : code_(code), message_(std::move(message)), causes_(std::move(causes)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The fields a validation failure names (empty otherwise).
  const std::vector<FieldCause>& causes() const { return causes_; }

  // "conflict: pods/default/web: ..." style rendering for logs and CLIs.
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>".
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::vector<FieldCause> causes_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

inline Status NotFound(std::string m) {
  return {Code::kNotFound, std::move(m)};
}
inline Status AlreadyExists(std::string m) {
  return {Code::kAlreadyExists, std::move(m)};
}
inline Status Conflict(std::string m) {
  return {Code::kConflict, std::move(m)};
}
inline Status InvalidArgument(std::string m) {
  return {Code::kInvalidArgument, std::move(m)};
}
inline Status Compacted(std::string m) {
  return {Code::kCompacted, std::move(m)};
}
inline Status Unavailable(std::string m) {
  return {Code::kUnavailable, std::move(m)};
}
inline Status Internal(std::string m) {
  return {Code::kInternal, std::move(m)};
}
inline Status NotSupported(std::string m) {
  return {Code::kNotSupported, std::move(m)};
}
inline Status Cancelled(std::string m) {
  return {Code::kCancelled, std::move(m)};
}
inline Status Forbidden(std::string m) {
  return {Code::kForbidden, std::move(m)};
}

// Result<T> holds either a T or a non-ok Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Code code() const { return ok() ? Code::kOk : std::get<Status>(v_).code(); }

  // Accessing the value of a failed Result is a bug: crash loudly.
  T& value() & { return Check(), std::get<T>(v_); }
  const T& value() const& { return Check(), std::get<T>(v_); }
  T&& value() && { return Check(), std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  void Check() const {
    if (!ok()) {
      FailAccess(std::get<Status>(v_));
    }
  }
  [[noreturn]] static void FailAccess(const Status& s);

  std::variant<T, Status> v_;
};

[[noreturn]] void DieOnBadResultAccess(const Status& s);

template <class T>
void Result<T>::FailAccess(const Status& s) {
  DieOnBadResultAccess(s);
}

}  // namespace navarch

// Propagate a non-ok Status from an expression returning Status.
#define NAVARCH_RETURN_IF_ERROR(expr) \
  do {                                \
    ::navarch::Status _st = (expr);   \
    if (!_st.ok()) return _st;        \
  } while (0)

#define NAVARCH_CONCAT_INNER(a, b) a##b
#define NAVARCH_CONCAT(a, b) NAVARCH_CONCAT_INNER(a, b)

// NAVARCH_ASSIGN_OR_RETURN(auto x, F()); declares x from a Result or returns its Status.
#define NAVARCH_ASSIGN_OR_RETURN(decl, expr) \
  NAVARCH_ASSIGN_OR_RETURN_IMPL(NAVARCH_CONCAT(_res_, __LINE__), decl, expr)
#define NAVARCH_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  decl = std::move(tmp).value()
