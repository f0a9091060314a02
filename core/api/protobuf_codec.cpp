#include "core/api/protobuf_codec.h"

#include <cstdint>
#include <span>
#include <string>

#include <boost/json.hpp>

#include "core/base/strings.h"
#include "core/base/time.h"

namespace navarch::api {

namespace {

namespace json = boost::json;

// --- schema ----------------------------------------------------------------------

enum class FieldType {
  kString,
  kInt32,
  kInt64,
  kBool,
  kMessage,
  kStringMap,    // map<string, string>
  kTime,         // meta/v1 Time {seconds = 1, nanos = 2} -> RFC 3339
  kIntOrString,  // intstr {type = 1, intVal = 2, strVal = 3}
};

struct MessageSchema;

struct FieldSchema {
  int number;
  const char* name;
  FieldType type;
  bool repeated = false;
  const MessageSchema* message = nullptr;
};

struct MessageSchema {
  const char* name;
  std::span<const FieldSchema> fields;
};

using enum FieldType;

constexpr FieldSchema kOwnerReferenceFields[] = {
    {5, "apiVersion", kString}, {1, "kind", kString},     {3, "name", kString},
    {4, "uid", kString},        {6, "controller", kBool}, {7, "blockOwnerDeletion", kBool},
};
constexpr MessageSchema kOwnerReference{"OwnerReference", kOwnerReferenceFields};

constexpr FieldSchema kObjectMetaFields[] = {
    {1, "name", kString},
    {2, "generateName", kString},
    {3, "namespace", kString},
    {4, "selfLink", kString},
    {5, "uid", kString},
    {6, "resourceVersion", kString},
    {7, "generation", kInt64},
    {8, "creationTimestamp", kTime},
    {9, "deletionTimestamp", kTime},
    {10, "deletionGracePeriodSeconds", kInt64},
    {11, "labels", kStringMap},
    {12, "annotations", kStringMap},
    {13, "ownerReferences", kMessage, true, &kOwnerReference},
    {14, "finalizers", kString, true},
};
constexpr MessageSchema kObjectMeta{"ObjectMeta", kObjectMetaFields};

// meta/v1 Condition and core/v1 NamespaceCondition share these numbers
// (NamespaceCondition has no observedGeneration).
constexpr FieldSchema kConditionFields[] = {
    {1, "type", kString},
    {2, "status", kString},
    {3, "observedGeneration", kInt64},
    {4, "lastTransitionTime", kTime},
    {5, "reason", kString},
    {6, "message", kString},
};
constexpr MessageSchema kCondition{"Condition", kConditionFields};

constexpr FieldSchema kNamespaceSpecFields[] = {{1, "finalizers", kString, true}};
constexpr MessageSchema kNamespaceSpec{"NamespaceSpec", kNamespaceSpecFields};
constexpr FieldSchema kNamespaceStatusFields[] = {
    {1, "phase", kString},
    {2, "conditions", kMessage, true, &kCondition},
};
constexpr MessageSchema kNamespaceStatus{"NamespaceStatus", kNamespaceStatusFields};
constexpr FieldSchema kNamespaceFields[] = {
    {1, "metadata", kMessage, false, &kObjectMeta},
    {2, "spec", kMessage, false, &kNamespaceSpec},
    {3, "status", kMessage, false, &kNamespaceStatus},
};
constexpr MessageSchema kNamespace{"Namespace", kNamespaceFields};

constexpr FieldSchema kServicePortFields[] = {
    {1, "name", kString}, {2, "protocol", kString},        {6, "appProtocol", kString},
    {3, "port", kInt32},  {4, "targetPort", kIntOrString}, {5, "nodePort", kInt32},
};
constexpr MessageSchema kServicePort{"ServicePort", kServicePortFields};
constexpr FieldSchema kClientIpConfigFields[] = {{1, "timeoutSeconds", kInt32}};
constexpr MessageSchema kClientIpConfig{"ClientIPConfig", kClientIpConfigFields};
constexpr FieldSchema kSessionAffinityConfigFields[] = {
    {1, "clientIP", kMessage, false, &kClientIpConfig}};
constexpr MessageSchema kSessionAffinityConfig{"SessionAffinityConfig",
                                               kSessionAffinityConfigFields};
constexpr FieldSchema kServiceSpecFields[] = {
    {1, "ports", kMessage, true, &kServicePort},
    {2, "selector", kStringMap},
    {3, "clusterIP", kString},
    {18, "clusterIPs", kString, true},
    {4, "type", kString},
    {5, "externalIPs", kString, true},
    {7, "sessionAffinity", kString},
    {8, "loadBalancerIP", kString},
    {9, "loadBalancerSourceRanges", kString, true},
    {10, "externalName", kString},
    {11, "externalTrafficPolicy", kString},
    {12, "healthCheckNodePort", kInt32},
    {13, "publishNotReadyAddresses", kBool},
    {14, "sessionAffinityConfig", kMessage, false, &kSessionAffinityConfig},
    {19, "ipFamilies", kString, true},
    {17, "ipFamilyPolicy", kString},
    {20, "allocateLoadBalancerNodePorts", kBool},
    {21, "loadBalancerClass", kString},
    {22, "internalTrafficPolicy", kString},
    {23, "trafficDistribution", kString},
};
constexpr MessageSchema kServiceSpec{"ServiceSpec", kServiceSpecFields};
constexpr FieldSchema kPortStatusFields[] = {
    {1, "port", kInt32}, {2, "protocol", kString}, {3, "error", kString}};
constexpr MessageSchema kPortStatus{"PortStatus", kPortStatusFields};
constexpr FieldSchema kLoadBalancerIngressFields[] = {
    {1, "ip", kString},
    {2, "hostname", kString},
    {3, "ipMode", kString},
    {4, "ports", kMessage, true, &kPortStatus},
};
constexpr MessageSchema kLoadBalancerIngress{"LoadBalancerIngress", kLoadBalancerIngressFields};
constexpr FieldSchema kLoadBalancerStatusFields[] = {
    {1, "ingress", kMessage, true, &kLoadBalancerIngress}};
constexpr MessageSchema kLoadBalancerStatus{"LoadBalancerStatus", kLoadBalancerStatusFields};
constexpr FieldSchema kServiceStatusFields[] = {
    {1, "loadBalancer", kMessage, false, &kLoadBalancerStatus},
    {2, "conditions", kMessage, true, &kCondition},
};
constexpr MessageSchema kServiceStatus{"ServiceStatus", kServiceStatusFields};
constexpr FieldSchema kServiceFields[] = {
    {1, "metadata", kMessage, false, &kObjectMeta},
    {2, "spec", kMessage, false, &kServiceSpec},
    {3, "status", kMessage, false, &kServiceStatus},
};
constexpr MessageSchema kService{"Service", kServiceFields};

// The envelope.
constexpr FieldSchema kTypeMetaFields[] = {{1, "apiVersion", kString}, {2, "kind", kString}};
constexpr MessageSchema kTypeMeta{"TypeMeta", kTypeMetaFields};

// --- wire reading ----------------------------------------------------------------

constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

class Reader {
 public:
  explicit Reader(std::string_view bytes) : data_(bytes) {}
  bool done() const { return pos_ >= data_.size(); }

  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;  // more than ten bytes
  }

  bool Bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!Varint(&n) || n > data_.size() - pos_) return false;
    *out = data_.substr(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return true;
  }

  bool Skip(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Status Malformed(const std::string& path) {
  return InvalidArgument("the protobuf request body is malformed at " + path +
                         " (truncated or not a Kubernetes protobuf message)");
}

const char* WireTypeName(int wt) {
  switch (wt) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "64-bit";
    case kLengthDelimited:
      return "length-delimited";
    case kFixed32:
      return "32-bit";
    default:
      return "unknown";
  }
}

int WireTypeOf(FieldType t) {
  switch (t) {
    case kInt32:
    case kInt64:
    case kBool:
      return kVarint;
    default:
      return kLengthDelimited;
  }
}

const FieldSchema* FindField(const MessageSchema& schema, int number) {
  for (const auto& f : schema.fields) {
    if (f.number == number) return &f;
  }
  return nullptr;
}

Status DecodeMessage(std::string_view bytes, const MessageSchema& schema, const std::string& path,
                     json::object& out);

Status DecodeStringPair(std::string_view bytes, const std::string& path, std::string* key,
                        std::string* value) {
  Reader r(bytes);
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.Varint(&tag)) return Malformed(path);
    std::string_view s;
    if ((tag & 7) != kLengthDelimited || ((tag >> 3) != 1 && (tag >> 3) != 2) || !r.Bytes(&s)) {
      return Malformed(path);
    }
    ((tag >> 3) == 1 ? *key : *value) = std::string(s);
  }
  NAVARCH_RETURN_IF_ERROR(CheckUtf8(*key, path + " (a key)"));
  return CheckUtf8(*value, path + "." + *key);
}

Result<json::value> DecodeTime(std::string_view bytes, const std::string& path) {
  Reader r(bytes);
  int64_t seconds = 0;
  int64_t nanos = 0;
  while (!r.done()) {
    uint64_t tag = 0;
    uint64_t v = 0;
    if (!r.Varint(&tag) || (tag & 7) != kVarint || !r.Varint(&v)) return Malformed(path);
    if ((tag >> 3) == 1) {
      seconds = static_cast<int64_t>(v);
    } else if ((tag >> 3) == 2) {
      nanos = static_cast<int32_t>(static_cast<int64_t>(v));
    } else {
      return Malformed(path);
    }
  }
  // A Time holds int64 nanoseconds (years 1677 to 2262).
  constexpr int64_t kMaxSeconds = INT64_MAX / 1'000'000'000 - 1;
  if (seconds < -kMaxSeconds || seconds > kMaxSeconds || nanos < 0 || nanos >= 1'000'000'000) {
    return InvalidArgument(path + ": timestamp " + std::to_string(seconds) + "s " +
                           std::to_string(nanos) +
                           "ns is out of range (times from 1677-09-21 to 2262-04-11 are "
                           "supported)");
  }
  return json::value(Time::FromUnixNanos(seconds * 1'000'000'000 + nanos).ToRfc3339());
}

Result<json::value> DecodeIntOrString(std::string_view bytes, const std::string& path) {
  Reader r(bytes);
  int64_t type = 0;
  int64_t int_val = 0;
  std::string str_val;
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.Varint(&tag)) return Malformed(path);
    const int number = static_cast<int>(tag >> 3);
    if (number == 3 && (tag & 7) == kLengthDelimited) {
      std::string_view s;
      if (!r.Bytes(&s)) return Malformed(path);
      NAVARCH_RETURN_IF_ERROR(CheckUtf8(s, path));
      str_val = std::string(s);
    } else if ((number == 1 || number == 2) && (tag & 7) == kVarint) {
      uint64_t v = 0;
      if (!r.Varint(&v)) return Malformed(path);
      (number == 1 ? type : int_val) = static_cast<int64_t>(v);
    } else {
      return Malformed(path);
    }
  }
  if (type == 1) return json::value(str_val);
  return json::value(static_cast<int32_t>(int_val));
}

bool IsZero(const json::value& v) {
  if (v.is_string()) return v.as_string().empty();
  if (v.is_int64()) return v.as_int64() == 0;
  if (v.is_bool()) return !v.as_bool();
  return false;
}

Status DecodeField(Reader& r, int wire_type, const FieldSchema& f, const std::string& path,
                   json::object& out) {
  json::value v;
  if (wire_type == kVarint) {
    uint64_t raw = 0;
    if (!r.Varint(&raw)) return Malformed(path);
    switch (f.type) {
      case kInt32:
        v = static_cast<int32_t>(static_cast<int64_t>(raw));
        break;
      case kInt64:
        v = static_cast<int64_t>(raw);
        break;
      default:  // kBool
        v = raw != 0;
        break;
    }
  } else {
    std::string_view bytes;
    if (!r.Bytes(&bytes)) return Malformed(path);
    switch (f.type) {
      case kString:
        NAVARCH_RETURN_IF_ERROR(CheckUtf8(bytes, path));
        v = json::string(bytes);
        break;
      case kStringMap: {
        std::string key;
        std::string value;
        NAVARCH_RETURN_IF_ERROR(DecodeStringPair(bytes, path, &key, &value));
        json::value& map = out[f.name];
        if (!map.is_object()) map = json::object();
        map.as_object()[key] = value;
        return Status::Ok();
      }
      case kTime: {
        NAVARCH_ASSIGN_OR_RETURN(v, DecodeTime(bytes, path));
        break;
      }
      case kIntOrString: {
        NAVARCH_ASSIGN_OR_RETURN(v, DecodeIntOrString(bytes, path));
        break;
      }
      default: {  // kMessage
        json::object sub;
        NAVARCH_RETURN_IF_ERROR(DecodeMessage(bytes, *f.message, path, sub));
        v = std::move(sub);
        break;
      }
    }
  }
  if (!f.repeated && IsZero(v)) {
    // Go's protobuf encoding writes non-pointer scalars even when they hold
    // their zero value, which the JSON form omits: absent and zero are the
    // same value there, so the zero is dropped.
    out.erase(f.name);
    return Status::Ok();
  }
  if (f.repeated) {
    json::value& list = out[f.name];
    if (!list.is_array()) list = json::array();
    list.as_array().push_back(std::move(v));
  } else {
    out[f.name] = std::move(v);  // protobuf: the last occurrence wins
  }
  return Status::Ok();
}

Status DecodeMessage(std::string_view bytes, const MessageSchema& schema, const std::string& path,
                     json::object& out) {
  Reader r(bytes);
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.Varint(&tag)) return Malformed(path);
    const int number = static_cast<int>(tag >> 3);
    const int wire_type = static_cast<int>(tag & 7);
    const FieldSchema* f = FindField(schema, number);
    if (f == nullptr) {
      return InvalidArgument("the protobuf request body has field number " +
                             std::to_string(number) + " in " + path + " (" + schema.name +
                             "), which this server does not read; send the object as JSON "
                             "(Content-Type: application/json) instead");
    }
    const std::string field_path = path + "." + f->name;
    if (wire_type != WireTypeOf(f->type)) {
      return InvalidArgument("the protobuf request body has " + field_path + " as a " +
                             WireTypeName(wire_type) + " value, which does not match its type");
    }
    NAVARCH_RETURN_IF_ERROR(DecodeField(r, wire_type, *f, field_path, out));
  }
  return Status::Ok();
}

}  // namespace

bool IsProtobufContentType(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view media = content_type.substr(0, semi);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  return media == "application/vnd.kubernetes.protobuf";
}

Result<json::value> DecodeProtobufToJson(std::string_view body) {
  static constexpr std::string_view kMagic("k8s\0", 4);
  if (!body.starts_with(kMagic)) {
    return InvalidArgument(
        "the protobuf request body does not start with the Kubernetes envelope (\"k8s\\0\")");
  }
  Reader r(body.substr(kMagic.size()));
  json::object type_meta;
  std::string_view raw;
  bool has_raw = false;
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.Varint(&tag) || (tag & 7) != kLengthDelimited) return Malformed("the envelope");
    std::string_view bytes;
    if (!r.Bytes(&bytes)) return Malformed("the envelope");
    switch (tag >> 3) {
      case 1:
        NAVARCH_RETURN_IF_ERROR(DecodeMessage(bytes, kTypeMeta, "typeMeta", type_meta));
        break;
      case 2:
        raw = bytes;
        has_raw = true;
        break;
      case 3:
        if (!bytes.empty()) {
          return NotSupported("protobuf request bodies with contentEncoding \"" +
                              std::string(bytes) + "\" are not supported; send JSON");
        }
        break;
      case 4:
        if (!bytes.empty() && bytes != "application/vnd.kubernetes.protobuf") {
          return NotSupported("the protobuf envelope carries contentType \"" + std::string(bytes) +
                              "\"; send JSON");
        }
        break;
      default:
        return Malformed("the envelope");
    }
  }
  const json::value* kind = type_meta.if_contains("kind");
  if (!has_raw || kind == nullptr || !kind->is_string()) {
    return InvalidArgument("the protobuf request body has no kind or no object in its envelope");
  }
  const std::string kind_name(kind->as_string());
  const MessageSchema* schema = nullptr;
  if (kind_name == "Namespace") {
    schema = &kNamespace;
  } else if (kind_name == "Service") {
    schema = &kService;
  } else {
    return NotSupported(
        "this server reads protobuf request bodies only for Namespace and "
        "Service objects, not " +
        kind_name + "; send the " + kind_name + " as JSON (Content-Type: application/json)");
  }
  json::object obj;
  const json::value* api_version = type_meta.if_contains("apiVersion");
  obj["apiVersion"] = api_version != nullptr ? *api_version : json::value("v1");
  obj["kind"] = kind_name;
  NAVARCH_RETURN_IF_ERROR(DecodeMessage(raw, *schema, kind_name, obj));
  return json::value(std::move(obj));
}

}  // namespace navarch::api
