#include "core/base/status.h"

#include <cstdio>
#include <ostream>

namespace navarch {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not found";
    case Code::kAlreadyExists:
      return "already exists";
    case Code::kConflict:
      return "conflict";
    case Code::kInvalidArgument:
      return "invalid argument";
    case Code::kCompacted:
      return "compacted";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
    case Code::kNotSupported:
      return "not supported";
    case Code::kCancelled:
      return "cancelled";
    case Code::kForbidden:
      return "forbidden";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m), causes_);
}

std::ostream& operator<<(std::ostream& os, const Status& s) {
  return os << s.ToString();
}

void DieOnBadResultAccess(const Status& s) {
  std::fprintf(stderr, "navarch: internal error: value of a failed Result accessed: %s\n",
               s.ToString().c_str());
  std::abort();
}

}  // namespace navarch
