#pragma once
// Validation of API objects with Kubernetes v1's rules: names, labels and
// annotations; containers, ports, probes, resources; restart policies;
// replication controller selectors and templates; service ports; tolerations
// and taints. Validate() reports every problem, not only the first, each as
// a field path ("spec.containers[0].image") and a message that says what is
// wrong and what is accepted.
//
// Validation does not apply defaults: an unset field (empty string, zero
// number where zero means "unset") is accepted wherever the API server would
// default it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/codec.h"
#include "core/api/field_error.h"
#include "core/api/object.h"

namespace navarch::api {

// The largest duration in seconds a field that sets a timer may hold
// (terminationGracePeriodSeconds, activeDeadlineSeconds, tolerationSeconds,
// a delete's gracePeriodSeconds): 100 years, far inside what a Time can add.
inline constexpr int64_t kMaxDurationSeconds = 3'155'760'000;

// Every problem of `obj`; empty when it is valid.
std::vector<FieldError> Validate(const Object& obj);

// The problems Validate() would report in the status of `obj` alone: for a
// status write, whose metadata and spec are those of a stored (so already
// valid) object. Validate(obj) reports these and more.
std::vector<FieldError> ValidateStatus(const Object& obj);

// One "file:line: path: message" line per error (joined with '\n'), looking
// each path's line up in doc.field_lines, or its nearest recorded parent
// path, or the document's line. `source` may be empty.
std::string FormatErrors(const std::vector<FieldError>& errors, const Document& doc,
                         std::string_view source);

}  // namespace navarch::api
