#include "core/apiserver/status_json.h"

#include "core/base/strings.h"
#include "core/registry/registry.h"

#include <boost/json.hpp>

namespace navarch::apiserver {

namespace json = boost::json;

int HttpCodeOf(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kConflict:
      return 409;
    case Code::kInvalidArgument:
      return 400;
    case Code::kCompacted:
      return 410;
    case Code::kUnavailable:
    case Code::kCancelled:
      return 503;
    case Code::kNotSupported:
      return 405;
    case Code::kInternal:
      return 500;
    case Code::kForbidden:
      return 403;
  }
  return 500;
}

std::string_view ReasonOf(Code code) {
  switch (code) {
    case Code::kOk:
      return "";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kConflict:
      return "Conflict";
    case Code::kInvalidArgument:
      return "BadRequest";
    case Code::kCompacted:
      return "Expired";
    case Code::kUnavailable:
    case Code::kCancelled:
      return "ServiceUnavailable";
    case Code::kNotSupported:
      return "MethodNotAllowed";
    case Code::kInternal:
      return "InternalError";
    case Code::kForbidden:
      return "Forbidden";
  }
  return "InternalError";
}

namespace {

json::object DetailsJson(const StatusDetails& d) {
  json::object out;
  if (!d.name.empty()) out["name"] = d.name;
  if (!d.kind.empty()) out["kind"] = d.kind;
  if (!d.uid.empty()) out["uid"] = d.uid;
  if (!d.causes.empty()) {
    json::array causes;
    for (const auto& c : d.causes) {
      json::object cause;
      cause["reason"] = c.message.find("unknown field") != std::string::npos
                            ? "FieldValueInvalid"
                            : (c.message.find("required") != std::string::npos ||
                                       c.message.find("Required") != std::string::npos
                                   ? "FieldValueRequired"
                                   : "FieldValueInvalid");
      cause["message"] = c.message;
      cause["field"] = c.path;
      causes.push_back(std::move(cause));
    }
    out["causes"] = std::move(causes);
  }
  if (d.retry_after_seconds > 0) out["retryAfterSeconds"] = d.retry_after_seconds;
  return out;
}

}  // namespace

std::string StatusJson(int code, std::string_view reason, std::string_view message,
                       const StatusDetails& details) {
  json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = json::object();
  o["status"] = "Failure";
  o["message"] = message;
  if (!reason.empty()) o["reason"] = reason;
  json::object d = DetailsJson(details);
  if (!d.empty()) o["details"] = std::move(d);
  o["code"] = code;
  // A message may quote what a client sent; the answer stays UTF-8.
  std::string out = json::serialize(o);
  if (!IsValidUtf8(out)) out = CoerceToUtf8(out);
  return out;
}

Response StatusResponse(int code, std::string_view reason, std::string_view message,
                        const StatusDetails& details) {
  Response r;
  r.code = code;
  r.body = StatusJson(code, reason, message, details);
  return r;
}

Response ErrorResponse(const Status& status, const StatusDetails& details) {
  if (status.code() == Code::kInvalidArgument && !status.causes().empty()) {
    // A validation failure of an object (core/registry): 422 with its causes.
    StatusDetails d = details;
    d.causes.clear();
    for (const auto& c : status.causes())
      d.causes.push_back({c.field, c.message});
    return StatusResponse(422, "Invalid", status.message(), d);
  }
  const int code = HttpCodeOf(status.code());
  return StatusResponse(code, ReasonOf(status.code()), status.message(), details);
}

Response InvalidResponse(std::string_view kind, std::string_view name,
                         const std::vector<api::FieldError>& errors) {
  StatusDetails d;
  d.name = std::string(name);
  d.kind = std::string(kind);
  return ErrorResponse(registry::Invalid(kind, name, errors), d);
}

std::string SuccessJson(const StatusDetails& details) {
  json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = json::object();
  o["status"] = "Success";
  json::object d = DetailsJson(details);
  if (!d.empty()) o["details"] = std::move(d);
  return json::serialize(o);
}

}  // namespace navarch::apiserver
