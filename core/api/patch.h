#pragma once
// Patches on JSON documents, as the API server applies them to stored
// objects (PATCH with Content-Type application/merge-patch+json,
// application/json-patch+json and application/strategic-merge-patch+json).
//
// All three are pure functions: they take the current document and the patch
// and return the patched document, leaving their arguments untouched. Bad
// input never throws; it is a kInvalidArgument Status whose message names the
// operation or field path that is wrong. None of them validates the result as
// an API object: callers decode it (core/api/codec.h DecodeJsonValue) and
// validate it afterwards.

#include <string_view>

#include <boost/json/value.hpp>

#include "core/base/status.h"

namespace navarch::api {

// RFC 7386 JSON merge patch. An object patch merges into the document member
// by member (recursively), a null member removes that member, and any other
// patch value (array, string, number, ...) replaces the target outright.
// Arrays are never merged. A non-object document patched with an object is
// treated as {}. Never fails; the Result is for symmetry with the others.
Result<boost::json::value> ApplyMergePatch(const boost::json::value& doc,
                                           const boost::json::value& patch);

// RFC 6902 JSON patch: `patch` is an array of operation objects applied in
// order ("add", "remove", "replace", "move", "copy", "test"), each with a
// JSON Pointer (RFC 6901) `path` ("~1" is '/', "~0" is '~'; "-" as the last
// array token appends for add/move/copy) and `value` or `from` as the op
// requires. Members other than op/path/value/from are ignored. The patch is
// atomic: on the first failing operation nothing is returned but the error,
// which names the operation's index, op and path, e.g.
//   patch[2] (remove /spec/containers/3): no such element
// A failed "test" is an error too ("... value differs").
Result<boost::json::value> ApplyJsonPatch(const boost::json::value& doc,
                                          const boost::json::value& patch);

// Kubernetes strategic merge patch for the v1 kinds navarch serves (Pod,
// Node, ReplicationController, Service, Endpoints, Event, Namespace); `kind`
// picks the schema, an unknown kind is kInvalidArgument.
//
// Semantics (kubernetes' strategic-merge-patch design, server flavour):
//  - objects merge recursively and a null member deletes the member;
//  - lists declared "merge" in the v1 types merge by their merge key (see
//    patch_schema.cpp: containers by name, container ports by containerPort,
//    env by name, volumeMounts by mountPath, volumes by name, Service ports by
//    port, ownerReferences by uid, conditions by type, node addresses by
//    type, ...); lists of scalars declared "merge" (metadata.finalizers, node
//    spec.podCIDRs) are merged as sets; every other list is replaced whole;
//  - directives: "$patch": "replace" | "delete" | "merge" in a map (replace
//    the map, clear it, or merge as usual) and as a list element
//    ({"$patch": "replace"} replaces the whole list with the other elements,
//    {"$patch": "delete", "<key>": v} removes the element with that key);
//    "$setElementOrder/<list>": the order of the merged list (elements not
//    named keep their place relative to their neighbours, new ones follow);
//    "$deleteFromPrimitiveList/<list>": scalars to remove from a set list;
//    "$retainKeys": [...] clears every member of the original map not
//    listed (for union types such as a volume source);
//  - a patch member absent from the document is added with its directives
//    applied and its nulls dropped.
// Errors name the field path: "spec.containers[1]: no merge key \"name\"",
// "metadata.labels: unknown $patch directive \"remove\"", and so on.
Result<boost::json::value> ApplyStrategicMergePatch(std::string_view kind,
                                                    const boost::json::value& doc,
                                                    const boost::json::value& patch);

// True when ApplyStrategicMergePatch knows `kind`.
bool HasStrategicMergeSchema(std::string_view kind);

}  // namespace navarch::api
