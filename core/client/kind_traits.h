#pragma once
// Per-kind knowledge the API layer needs beyond the object model: which kinds
// have a status subresource, how to compare specs (for metadata.generation)
// and how to move a status between two objects of the same kind.
// Internal to core/client/.

#include "core/api/object.h"

namespace navarch::client {

// Pod, Node, ReplicationController, Service and Namespace have spec + status;
// Endpoints and Event have neither.
bool HasStatus(api::Kind kind);

// Whether the specs of two objects of the same kind are equal. Kinds without
// a spec compare equal (their generation stays 1).
bool SpecEqual(const api::Object& a, const api::Object& b);

// Whether the statuses of two objects of the same kind are equal. Kinds
// without a status compare equal.
bool StatusEqual(const api::Object& a, const api::Object& b);

// Copies `from`'s status into `to` (same kind). No-op for kinds without one.
void CopyStatus(const api::Object& from, api::Object& to);

}  // namespace navarch::client
