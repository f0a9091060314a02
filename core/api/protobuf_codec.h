#pragma once
// Reading Kubernetes protobuf request bodies ("application/vnd.kubernetes.protobuf").
//
// kubectl's typed commands (`kubectl create namespace`, `kubectl create
// service ...`) send their object as protobuf, not JSON, with no way to ask
// for JSON. This decoder turns such a body into the object's JSON value, so
// the server decodes, validates and stores it exactly as it would the JSON
// form.
//
// The body is the Kubernetes envelope: the four bytes "k8s\0", then a
// runtime.Unknown message (typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2,
// contentEncoding = 3, contentType = 4) whose `raw` is the object's own
// protobuf encoding. Field numbers are those of k8s.io/api core/v1 and
// k8s.io/apimachinery meta/v1 generated.proto.
//
// Go writes non-pointer scalars even when they hold their zero value; the
// JSON form omits those, so a zero string, number or false is dropped.
//
// Supported kinds: Namespace and Service (every field of their spec; of
// status, what a client may send), with the whole ObjectMeta except
// managedFields. Anything else — another kind, an unknown field number, a
// truncated or malformed message, a contentEncoding — is an error naming the
// kind, the field path and the number, never a silent skip: the client can
// send the object as JSON instead.

#include <string_view>

#include <boost/json/value.hpp>

#include "core/base/status.h"

namespace navarch::api {

// True for a Content-Type naming Kubernetes protobuf (parameters ignored).
bool IsProtobufContentType(std::string_view content_type);

// kInvalidArgument for a malformed body or an unknown field; kNotSupported
// for a kind this decoder does not read (the message names the JSON
// alternative).
Result<boost::json::value> DecodeProtobufToJson(std::string_view body);

}  // namespace navarch::api
