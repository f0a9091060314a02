#pragma once
// v1 Status objects: every error the API server answers is one, with the
// HTTP code and the `reason` client-go keys on (NotFound, AlreadyExists,
// Conflict, Invalid, BadRequest, Expired, ...).

#include <string>
#include <string_view>
#include <vector>

#include "core/api/field_error.h"
#include "core/apiserver/rest.h"
#include "core/base/status.h"

namespace navarch::apiserver {

struct StatusDetails {
  std::string name;
  std::string kind;  // the resource ("pods") or, for Invalid, the Kind ("Pod")
  std::string uid;
  std::vector<api::FieldError> causes;  // Invalid only
  // TooManyRequests / ServiceUnavailable: when to retry (0 = not said).
  int retry_after_seconds = 0;
};

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}
std::string StatusJson(int code, std::string_view reason, std::string_view message,
                       const StatusDetails& details = {});
Response StatusResponse(int code, std::string_view reason, std::string_view message,
                        const StatusDetails& details = {});
// A navarch Status mapped to its HTTP code and reason:
//   kNotFound 404 NotFound · kAlreadyExists 409 AlreadyExists · kConflict 409
//   Conflict · kInvalidArgument 400 BadRequest · kCompacted 410 Expired ·
//   kUnavailable 503 ServiceUnavailable · kNotSupported 405 MethodNotAllowed ·
//   kCancelled 503 · kInternal 500 InternalError · kForbidden 403 Forbidden.
// A kInvalidArgument with causes (a validation failure) is 422 Invalid.
Response ErrorResponse(const Status& status, const StatusDetails& details = {});
int HttpCodeOf(Code code);
std::string_view ReasonOf(Code code);
// 422 Invalid: `<Kind> "<name>" is invalid: path: message, ...` with one
// cause per field error.
Response InvalidResponse(std::string_view kind, std::string_view name,
                         const std::vector<api::FieldError>& errors);
// {"kind":"Status","status":"Success",...} for deletes and bindings.
std::string SuccessJson(const StatusDetails& details);

}  // namespace navarch::apiserver
