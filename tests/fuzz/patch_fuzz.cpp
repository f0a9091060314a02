// The three patch kinds of core/api/patch.h: JSON merge patch, JSON patch
// and strategic merge patch.
//
// Input: one byte, then JSON text. The byte's low two bits pick the patch
// kind (0 merge, 1 JSON patch, 2 strategic, 3 all three) and the next three
// bits the object kind (Pod, Node, ReplicationController, Service,
// Endpoints, Event, Namespace; 7 is Pod). The text is the patch, applied to
// a fixed object of that kind; or, when it holds a NUL byte, the document
// before the NUL and the patch after it.
//
// Invariants:
//   * the functions are pure: document and patch are left as they were;
//   * a merge patch is idempotent (RFC 7386): applying it to its own result
//     changes nothing; so is a strategic merge patch;
//   * a strategic merge patch `{}` gives the document back;
//   * a patched document that decodes as an API object survives the codec
//     round trip (codec_roundtrip.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/object.h"
#include "core/api/patch.h"
#include "tests/fuzz/codec_roundtrip.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace json = boost::json;
using navarch::Result;

constexpr std::string_view kKinds[] = {
    "Pod", "Node", "ReplicationController", "Service", "Endpoints", "Event", "Namespace", "Pod",
};

// One object of each kind with the lists that merge by key.
constexpr std::string_view kDocuments[] = {
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-1","namespace":"default",
        "labels":{"app":"web"},"annotations":{"a":"b"},"finalizers":["f1","f2"],
        "ownerReferences":[{"apiVersion":"v1","kind":"ReplicationController","name":"web",
        "uid":"u-1","controller":true}]},
       "spec":{"nodeName":"node-1","restartPolicy":"Always",
        "containers":[{"name":"app","image":"nginx:1.25","ports":[{"containerPort":80,
        "protocol":"TCP"}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
        "volumeMounts":[{"name":"data","mountPath":"/data"}],
        "resources":{"requests":{"cpu":"100m","memory":"64Mi"}}},
        {"name":"side","image":"busybox","command":["sleep","3600"]}],
        "volumes":[{"name":"data","emptyDir":{}}],
        "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}]},
       "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],
        "podIP":"10.0.0.5"}})",
    R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","labels":{"zone":"a"}},
       "spec":{"podCIDR":"10.0.1.0/24","podCIDRs":["10.0.1.0/24"],
        "taints":[{"key":"k","value":"v","effect":"NoSchedule"}]},
       "status":{"capacity":{"cpu":"4","memory":"8Gi","pods":"110"},
        "addresses":[{"type":"InternalIP","address":"10.1.0.1"},
        {"type":"Hostname","address":"node-1"}],
        "conditions":[{"type":"Ready","status":"True"}]}})",
    R"({"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"web",
        "namespace":"default"},"spec":{"replicas":3,"selector":{"app":"web"},
        "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
        {"name":"app","image":"nginx:1.25","ports":[{"containerPort":80}]}]}}},
       "status":{"replicas":3,"conditions":[{"type":"ReplicaFailure","status":"False"}]}})",
    R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
       "spec":{"selector":{"app":"web"},"type":"NodePort","clusterIP":"10.96.0.10",
        "ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080},
        {"name":"admin","port":81,"targetPort":"admin"}]}})",
    R"({"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"web","namespace":"default"},
       "subsets":[{"addresses":[{"ip":"10.0.0.5","nodeName":"node-1"}],
        "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]})",
    R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"web.1","namespace":"default"},
       "involvedObject":{"kind":"Pod","name":"web-1","namespace":"default"},
       "reason":"Scheduled","message":"assigned","type":"Normal","count":1})",
    R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"t":"a"}},
       "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})",
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"tiny"},
       "spec":{"containers":[{"name":"c","image":"i"}]}})",
};

// Aborts when two JSON values differ (object members in any order).
void CheckSame(const json::value& a, const json::value& b, const char* what) {
  if (!(a == b)) {
    navarch::fuzz::Fail(__FILE__, __LINE__, what, json::serialize(a), json::serialize(b));
  }
}

bool Parse(std::string_view text, json::value& out) {
  boost::system::error_code ec;
  out = json::parse(text, ec);
  return !ec;
}

// Decodes a patched document when it is an API object and checks its round
// trip.
void CheckResult(const json::value& result) {
  navarch::api::DecodeOptions lenient;
  lenient.strict = false;
  auto obj = navarch::api::DecodeJsonValue(result, lenient);
  if (obj.ok()) navarch::fuzz::CheckRoundTrip(**obj);
}

template <class Apply>
void CheckPatch(const json::value& doc, const json::value& patch, bool idempotent, Apply apply) {
  const json::value doc_before = doc;
  const json::value patch_before = patch;
  Result<json::value> once = apply(doc, patch);
  FUZZ_CHECK(doc == doc_before);
  FUZZ_CHECK(patch == patch_before);
  if (!once.ok()) return;
  if (idempotent) {
    Result<json::value> twice = apply(*once, patch);
    FUZZ_CHECK_OK(twice);
    CheckSame(*twice, *once, "patch applied twice == applied once");
  }
  CheckResult(*once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace navarch;
  if (size < 1) return 0;
  const int which = data[0] & 3;
  const int kind_index = (data[0] >> 2) & 7;
  const std::string_view kind = kKinds[kind_index];
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);

  json::value doc;
  json::value patch;
  if (size_t nul = text.find('\0'); nul != std::string_view::npos) {
    if (!Parse(text.substr(0, nul), doc)) return 0;
    text.remove_prefix(nul + 1);
  } else {
    FUZZ_CHECK(Parse(kDocuments[kind_index], doc));
  }
  if (!Parse(text, patch)) return 0;

  if (which == 0 || which == 3) {
    CheckPatch(doc, patch, true, [](const json::value& d, const json::value& p) {
      return api::ApplyMergePatch(d, p);
    });
  }
  if (which == 1 || which == 3) {
    CheckPatch(doc, patch, false, [](const json::value& d, const json::value& p) {
      return api::ApplyJsonPatch(d, p);
    });
  }
  if (which == 2 || which == 3) {
    CheckPatch(doc, patch, true, [&](const json::value& d, const json::value& p) {
      return api::ApplyStrategicMergePatch(kind, d, p);
    });
    auto same = api::ApplyStrategicMergePatch(kind, doc, json::object());
    if (same.ok()) CheckSame(*same, doc, "strategic merge patch {} == document");
  }
  return 0;
}
