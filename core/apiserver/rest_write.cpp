// RestServer: writes (create, update, patch, delete, deletecollection) and the
// scale, binding and log subresources.
#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/patch.h"
#include "core/api/protobuf_codec.h"
#include "core/api/types.h"
#include "core/api/validation.h"
#include "core/api/well_known.h"
#include "core/apiserver/rest_internal.h"

namespace navarch::apiserver {

namespace json = boost::json;

namespace {

// Writes not pinned to a resourceVersion retry on conflict until they apply
// (Kubernetes' GuaranteedUpdate); the cap only stops a runaway loop.
constexpr int kWriteAttempts = 1000;

std::shared_ptr<api::Object> MutableCopy(const api::Object& obj) {
  return std::shared_ptr<api::Object>(obj.Clone().release());
}

bool IsJsonContentType(std::string_view ct) {
  return ct.empty() || ct.starts_with("application/json") || ct.starts_with("*/*");
}

bool IsYamlContentType(std::string_view ct) {
  return ct.starts_with("application/yaml") || ct.starts_with("application/x-yaml") ||
         ct.starts_with("text/yaml");
}

// ?dryRun=All (the only value Kubernetes accepts; repeated is fine).
Result<bool> DryRunOf(const Request& r) {
  const std::string v = QueryOr(r, "dryRun");
  if (v.empty()) return false;
  if (v != "All") {
    return InvalidArgument("dryRun: Unsupported value: \"" + v + "\": supported values: \"All\"");
  }
  return true;
}

Result<json::value> ParseJson(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) {
    return InvalidArgument(std::string(what) + " is not valid JSON: " + ec.message());
  }
  return v;
}

std::string SelectorString(const std::map<std::string, std::string>& sel) {
  std::string out;
  for (const auto& [k, v] : sel) {
    if (!out.empty()) out += ',';
    out += k + "=" + v;
  }
  return out;
}

json::value ScaleJson(const api::ReplicationController& rc) {
  json::object meta;
  meta["name"] = rc.metadata.name;
  meta["namespace"] = rc.metadata.namespace_;
  meta["uid"] = rc.metadata.uid;
  meta["resourceVersion"] = rc.metadata.resource_version;
  meta["creationTimestamp"] = rc.metadata.creation_timestamp.ToRfc3339();
  json::object o;
  o["kind"] = "Scale";
  o["apiVersion"] = "autoscaling/v1";
  o["metadata"] = std::move(meta);
  o["spec"] = json::object{{"replicas", rc.spec.replicas.value_or(1)}};
  o["status"] = json::object{{"replicas", rc.status.replicas},
                             {"selector", SelectorString(rc.spec.selector)}};
  return o;
}

}  // namespace

// --- decoding ------------------------------------------------------------------

Result<std::shared_ptr<api::Object>> RestServer::Impl::DecodeBody(
    const Request& r, const Route& route, std::string_view body,
    std::vector<std::string>* warnings) {
  const std::string resource = ResourceName(route.kind);
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return InvalidArgument("the request body is empty: send the " +
                           std::string(api::InfoOf(route.kind).name) + " object as JSON");
  }
  const std::string validation = QueryOr(r, "fieldValidation");
  if (!validation.empty() && validation != "Strict" && validation != "Warn" &&
      validation != "Ignore") {
    return InvalidArgument("fieldValidation=\"" + validation +
                           "\" is not one of Strict, Warn, Ignore");
  }
  api::DecodeOptions opts;
  opts.source = "request body";
  opts.strict = validation == "Strict";
  // One object rarely has more than a few thousand nodes; this bounds the
  // tree a 3 MiB YAML body can make the server build (about 45 MB).
  opts.yaml_max_nodes = 250000;
  opts.default_kind = route.kind;
  std::vector<std::string> local_warnings;
  opts.warnings = validation == "Ignore" ? nullptr : &local_warnings;
  api::ObjectPtr obj;
  if (IsYamlContentType(r.content_type)) {
    NAVARCH_ASSIGN_OR_RETURN(auto docs, api::DecodeYaml(body, opts));
    if (docs.size() != 1) {
      return InvalidArgument("the request body must hold exactly one object, it holds " +
                             std::to_string(docs.size()));
    }
    obj = docs[0].object;
  } else if (IsJsonContentType(r.content_type)) {
    NAVARCH_ASSIGN_OR_RETURN(obj, api::DecodeJson(body, opts));
  } else if (api::IsProtobufContentType(r.content_type)) {
    // kubectl's typed commands (create namespace, create service) send
    // protobuf only; it is read into the JSON form and decoded as such.
    NAVARCH_ASSIGN_OR_RETURN(auto value, api::DecodeProtobufToJson(body));
    NAVARCH_ASSIGN_OR_RETURN(obj, api::DecodeJsonValue(value, opts));
  } else {
    return NotSupported("unsupported Content-Type \"" + r.content_type +
                        "\": send application/json, application/yaml or (for Namespace and "
                        "Service) application/vnd.kubernetes.protobuf");
  }
  if (warnings) {
    for (auto& w : local_warnings)
      warnings->push_back(std::move(w));
  }
  if (obj->kind() != route.kind) {
    return InvalidArgument("the object's kind " + std::string(api::InfoOf(obj->kind()).name) +
                           " does not match the URL's resource " + resource + " (kind " +
                           std::string(api::InfoOf(route.kind).name) + ")");
  }
  auto out = MutableCopy(*obj);
  if (api::InfoOf(route.kind).namespaced) {
    if (out->metadata.namespace_.empty()) {
      out->metadata.namespace_ = route.ns;
    } else if (route.ns_in_url && out->metadata.namespace_ != route.ns) {
      return InvalidArgument("the namespace of the provided object (" + out->metadata.namespace_ +
                             ") does not match the namespace sent on the request (" + route.ns +
                             ")");
    }
  } else {
    out->metadata.namespace_.clear();
  }
  return out;
}

namespace {

Response DecodeError(const Status& st) {
  if (st.code() == Code::kNotSupported) {
    return StatusResponse(415, "UnsupportedMediaType", st.message());
  }
  return ErrorResponse(st);
}

}  // namespace

// --- NodeRestriction -------------------------------------------------------------

std::optional<Response> RestServer::Impl::AdmitNodeWrite(const Request& r, NodeWrite write,
                                                         const std::string& name,
                                                         const api::Object* next,
                                                         api::ObjectPtr* current) {
  const UserInfo user{r.user, r.groups};
  const NodeAccess access = NodeAccessOf(user, name);
  if (access == NodeAccess::kAll) return std::nullopt;
  api::ObjectPtr stored;
  if (access == NodeAccess::kAllButEndpoint &&
      (write == NodeWrite::kUpdate || write == NodeWrite::kUpdateStatus)) {
    auto lease = AcquireApi();
    auto cur = lease->Get(api::Kind::kNode, "", name);
    if (!cur.ok()) return ApiError(cur.status(), api::Kind::kNode, name);
    stored = *cur;
    if (current) *current = stored;
  }
  auto why = NodeWriteForbidden(user, write, name, static_cast<const api::Node*>(stored.get()),
                                static_cast<const api::Node*>(next));
  if (!why) return std::nullopt;
  return StatusResponse(403, "Forbidden", "nodes \"" + name + "\" is forbidden: " + *why,
                        {name, "nodes", "", {}});
}

// --- create ----------------------------------------------------------------------

Response RestServer::Impl::Create(const Request& r, const Route& route) {
  if (api::InfoOf(route.kind).namespaced && !route.ns_in_url) {
    return StatusResponse(404, "NotFound",
                          "create " + ResourceName(route.kind) + ": POST to /api/v1/namespaces/" +
                              "<namespace>/" + ResourceName(route.kind));
  }
  auto dry_run = DryRunOf(r);
  if (!dry_run.ok()) return ErrorResponse(dry_run.status());
  std::vector<std::string> warnings;
  auto obj = DecodeBody(r, route, r.body, &warnings);
  if (!obj.ok()) return DecodeError(obj.status());
  auto& o = **obj;
  if (route.kind == api::Kind::kNode) {
    if (auto denied = AdmitNodeWrite(r, NodeWrite::kCreate, o.metadata.name, &o, nullptr)) {
      return *denied;
    }
  }
  // Defaulting, validation and allocation are the registry's, applied by
  // the Api on every path (core/registry).
  Result<api::ObjectPtr> created = [&] {
    auto lease = AcquireApi();
    return lease->Create(*obj, client::WriteOptions{*dry_run});
  }();
  if (!created.ok()) {
    return ApiError(created.status(), route.kind,
                    o.metadata.name.empty() ? o.metadata.generate_name : o.metadata.name);
  }
  return ObjectResponse(201, **created, warnings);
}

// --- update ----------------------------------------------------------------------

// Writes `next` (already decoded, named, defaulted) as an update or a status
// update, with service allocation and validation. `expected_rv` non-empty
// makes the write conditional.
namespace {

struct WriteOutcome {
  Result<api::ObjectPtr> result;
  std::optional<Response> rejected;  // a 403 or 422 found before writing
  // The write was made conditional on the version NodeRestriction checked
  // (the request named none): a conflict is worth a retry.
  bool pinned_for_admission = false;
};

}  // namespace

static WriteOutcome WriteUpdate(RestServer::Impl& self, const Request& r, const Route& route,
                                std::shared_ptr<api::Object> next, bool dry_run) {
  bool pinned = false;
  if (route.kind == api::Kind::kNode) {
    api::ObjectPtr current;
    const NodeWrite write = route.sub == "status" ? NodeWrite::kUpdateStatus : NodeWrite::kUpdate;
    if (auto denied = self.AdmitNodeWrite(r, write, route.name, next.get(), &current)) {
      return {Internal("rejected"), denied};
    }
    if (current && next->metadata.resource_version.empty()) {
      next->metadata.resource_version = current->metadata.resource_version;
      pinned = true;
    }
  }
  // A status write replaces only the status: the body may carry just the
  // name and the status (the kubelet sends no spec).
  auto result = [&] {
    auto lease = self.AcquireApi();
    const client::WriteOptions wo{dry_run};
    return route.sub == "status" ? lease->UpdateStatus(next, wo) : lease->Update(next, wo);
  }();
  return {std::move(result), std::nullopt, pinned};
}

Response RestServer::Impl::Replace(const Request& r, const Route& route) {
  std::vector<std::string> warnings;
  auto obj = DecodeBody(r, route, r.body, &warnings);
  if (!obj.ok()) return DecodeError(obj.status());
  auto& o = **obj;
  if (o.metadata.name.empty()) o.metadata.name = route.name;
  if (o.metadata.name != route.name) {
    return StatusResponse(400, "BadRequest",
                          "the name of the object (" + o.metadata.name +
                              ") does not match the name on the URL (" + route.name + ")");
  }
  auto dry_run = DryRunOf(r);
  if (!dry_run.ok()) return ErrorResponse(dry_run.status());
  const std::string requested_rv = o.metadata.resource_version;
  for (int attempt = 0;; ++attempt) {
    o.metadata.resource_version = requested_rv;
    auto out = WriteUpdate(*this, r, route, *obj, *dry_run);
    if (out.rejected) return *out.rejected;
    if (out.result.code() == Code::kConflict && out.pinned_for_admission &&
        attempt + 1 < kWriteAttempts) {
      continue;
    }
    if (!out.result.ok()) return ApiError(out.result.status(), route.kind, route.name);
    return ObjectResponse(200, **out.result, warnings);
  }
}

// --- patch -----------------------------------------------------------------------

Response RestServer::Impl::Patch(const Request& r, const Route& route) {
  const std::string& ct = r.content_type;
  enum class Type { kMerge, kJson, kStrategic } type;
  if (ct.starts_with("application/merge-patch+json")) {
    type = Type::kMerge;
  } else if (ct.starts_with("application/json-patch+json")) {
    type = Type::kJson;
  } else if (ct.starts_with("application/strategic-merge-patch+json")) {
    type = Type::kStrategic;
  } else if (ct.starts_with("application/apply-patch")) {
    return StatusResponse(415, "UnsupportedMediaType",
                          "server-side apply (application/apply-patch+yaml) is not supported by "
                          "this server; use client-side apply (kubectl apply without "
                          "--server-side)");
  } else {
    return StatusResponse(415, "UnsupportedMediaType",
                          "the body of the request was in an unknown format \"" + ct +
                              "\"; accepted media types include: application/json-patch+json, "
                              "application/merge-patch+json, "
                              "application/strategic-merge-patch+json");
  }
  auto patch = ParseJson(r.body, "the patch");
  if (!patch.ok()) return ErrorResponse(patch.status());
  auto dry_run = DryRunOf(r);
  if (!dry_run.ok()) return ErrorResponse(dry_run.status());
  const std::string validation = QueryOr(r, "fieldValidation");
  for (int attempt = 0;; ++attempt) {
    Result<api::ObjectPtr> current = [&] {
      auto lease = AcquireApi();
      return lease->Get(route.kind, route.ns, route.name);
    }();
    if (!current.ok()) return ApiError(current.status(), route.kind, route.name);
    json::value doc = api::ToJsonValue(**current);
    Result<json::value> patched = InvalidArgument("");
    switch (type) {
      case Type::kMerge:
        patched = api::ApplyMergePatch(doc, *patch);
        break;
      case Type::kJson:
        patched = api::ApplyJsonPatch(doc, *patch);
        break;
      case Type::kStrategic:
        patched = api::ApplyStrategicMergePatch(api::InfoOf(route.kind).name, doc, *patch);
        break;
    }
    if (!patched.ok()) {
      return StatusResponse(422, "Invalid",
                            "the patch could not be applied: " + patched.status().message());
    }
    std::vector<std::string> warnings;
    api::DecodeOptions opts;
    opts.source = "patched object";
    opts.strict = validation == "Strict";
    opts.warnings = validation == "Ignore" ? nullptr : &warnings;
    auto decoded = api::DecodeJsonValue(*patched, opts);
    if (!decoded.ok()) {
      return StatusResponse(validation == "Strict" ? 400 : 422,
                            validation == "Strict" ? "BadRequest" : "Invalid",
                            decoded.status().message());
    }
    if ((*decoded)->kind() != route.kind) {
      return StatusResponse(400, "BadRequest", "the patch changed the object's kind");
    }
    auto next = MutableCopy(**decoded);
    if (next->metadata.name != route.name) {
      return StatusResponse(400, "BadRequest", "the patch may not change metadata.name");
    }
    if (next->metadata.namespace_ != (*current)->metadata.namespace_) {
      return StatusResponse(400, "BadRequest", "the patch may not change metadata.namespace");
    }
    if (next->metadata.uid != (*current)->metadata.uid) {
      api::FieldError e{"metadata.uid",
                        "Invalid value: \"" + next->metadata.uid + "\": field is immutable"};
      return InvalidResponse(api::InfoOf(route.kind).name, route.name, {e});
    }
    // A patch that names a resourceVersion is a precondition; otherwise the
    // write is conditional on the version it was applied to, and retried.
    const bool pinned = next->metadata.resource_version != (*current)->metadata.resource_version;
    if (!pinned) next->metadata.resource_version = (*current)->metadata.resource_version;
    auto out = WriteUpdate(*this, r, route, next, *dry_run);
    if (out.rejected) return *out.rejected;
    if (out.result.code() == Code::kConflict && !pinned && attempt + 1 < kWriteAttempts) continue;
    if (!out.result.ok()) return ApiError(out.result.status(), route.kind, route.name);
    return ObjectResponse(200, **out.result, warnings);
  }
}

// --- delete ----------------------------------------------------------------------

namespace {

Result<client::DeleteOptions> ParseDeleteOptions(const Request& r) {
  client::DeleteOptions out;
  if (r.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    NAVARCH_ASSIGN_OR_RETURN(json::value v, ParseJson(r.body, "the DeleteOptions body"));
    if (!v.is_object()) return InvalidArgument("the DeleteOptions body must be a JSON object");
    const auto& o = v.as_object();
    if (auto* g = o.if_contains("gracePeriodSeconds"); g && !g->is_null()) {
      if (!g->is_int64())
        return InvalidArgument("DeleteOptions.gracePeriodSeconds: not an integer");
      out.grace_period_seconds = g->as_int64();
    }
    if (auto* od = o.if_contains("orphanDependents"); od && od->is_bool()) {
      out.propagation_policy =
          std::string(od->as_bool() ? api::kPropagationOrphan : api::kPropagationBackground);
    }
    if (auto* p = o.if_contains("propagationPolicy"); p && p->is_string()) {
      if (auto* od = o.if_contains("orphanDependents"); od && od->is_bool()) {
        return InvalidArgument(
            "DeleteOptions: orphanDependents and propagationPolicy may not both be set");
      }
      out.propagation_policy = std::string(p->as_string());
    }
    if (auto* pre = o.if_contains("preconditions"); pre && pre->is_object()) {
      const auto& po = pre->as_object();
      if (auto* u = po.if_contains("uid"); u && u->is_string()) {
        out.uid = std::string(u->as_string());
      }
      if (auto* rv = po.if_contains("resourceVersion"); rv && rv->is_string()) {
        out.resource_version = std::string(rv->as_string());
      }
    }
    if (auto* d = o.if_contains("dryRun"); d && d->is_array()) {
      for (const auto& e : d->as_array()) {
        if (!e.is_string() || e.as_string() != "All") {
          return InvalidArgument(
              "DeleteOptions.dryRun: Unsupported value: supported values: "
              "\"All\"");
        }
        out.dry_run = true;
      }
    }
  }
  NAVARCH_ASSIGN_OR_RETURN(auto grace, QueryInt(r, "gracePeriodSeconds"));
  if (grace) out.grace_period_seconds = *grace;
  if (auto p = QueryOr(r, "propagationPolicy"); !p.empty()) out.propagation_policy = p;
  if (auto od = QueryOr(r, "orphanDependents"); !od.empty() && out.propagation_policy.empty()) {
    out.propagation_policy =
        std::string(od == "true" ? api::kPropagationOrphan : api::kPropagationBackground);
  }
  NAVARCH_ASSIGN_OR_RETURN(bool dry_run, DryRunOf(r));
  out.dry_run = out.dry_run || dry_run;
  const std::string& p = out.propagation_policy;
  if (!p.empty() && p != api::kPropagationBackground && p != api::kPropagationForeground &&
      p != api::kPropagationOrphan) {
    return InvalidArgument("propagationPolicy \"" + p +
                           "\" is not one of Background, Foreground, Orphan");
  }
  return out;
}

}  // namespace

// Deletion, its propagation to dependents, finalizers and namespace
// teardown are the Api's and the controllers' (garbage collector,
// namespace controller): a request handler only routes.
Response RestServer::Impl::Delete(const Request& r, const Route& route) {
  auto options = ParseDeleteOptions(r);
  if (!options.ok()) return ErrorResponse(options.status());
  if (route.kind == api::Kind::kNode) {
    if (auto denied = AdmitNodeWrite(r, NodeWrite::kDelete, route.name, nullptr, nullptr)) {
      return *denied;
    }
  }
  auto res = [&] {
    auto lease = AcquireApi();
    return lease->Delete(route.kind, route.ns, route.name, *options);
  }();
  if (!res.ok()) {
    if (res.code() == Code::kForbidden) {
      return ErrorResponse(res.status(), {route.name, ResourceName(route.kind), "", {}});
    }
    return ApiError(res.status(), route.kind, route.name);
  }
  // An object still there (a terminating pod or namespace, one held by
  // finalizers) comes back with its deletionTimestamp, as in Kubernetes.
  return ObjectResponse(200, **res);
}

Response RestServer::Impl::DeleteCollection(const Request& r, const Route& route) {
  auto options = ParseDeleteOptions(r);
  if (!options.ok()) return ErrorResponse(options.status());
  auto sel = ParseSelectors(r, route.kind);
  if (!sel.ok()) return ErrorResponse(sel.status());
  client::ListOptions lo;
  lo.namespace_ = route.ns;
  lo.label_selector = sel->labels;
  lo.field_selector = sel->fields;
  client::ObjectList list;
  {
    auto lease = AcquireApi();
    auto res = lease->List(route.kind, lo);
    if (!res.ok()) return ErrorResponse(res.status());
    list = std::move(*res);
  }
  // Nothing is deleted unless every Node the request names may be.
  for (const auto& obj : list.items) {
    if (route.kind != api::Kind::kNode || !sel->Matches(*obj)) continue;
    if (auto denied = AdmitNodeWrite(r, NodeWrite::kDelete, obj->metadata.name, nullptr, nullptr)) {
      return *denied;
    }
  }
  std::string items;
  for (const auto& obj : list.items) {
    if (!sel->Matches(*obj)) continue;
    auto res = [&] {
      auto lease = AcquireApi();
      return lease->Delete(route.kind, obj->metadata.namespace_, obj->metadata.name, *options);
    }();
    if (!res.ok()) {
      // Gone meanwhile, or one the Api protects (a built-in namespace):
      // the collection's other members still go.
      if (res.code() == Code::kNotFound || res.code() == Code::kForbidden) continue;
      return ApiError(res.status(), route.kind, obj->metadata.name);
    }
    if (!items.empty()) items += ',';
    items += api::EncodeJson(**res);
  }
  Response resp;
  resp.body = "{\"kind\":\"" + std::string(api::InfoOf(route.kind).name) +
              "List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" +
              std::to_string(store_.CurrentRevision()) + "\"},\"items\":[" + items + "]}";
  return resp;
}

// --- scale -----------------------------------------------------------------------

Response RestServer::Impl::Scale(const Request& r, const Route& route) {
  auto dry_run = DryRunOf(r);
  if (!dry_run.ok()) return ErrorResponse(dry_run.status());
  for (int attempt = 0;; ++attempt) {
    Result<api::ObjectPtr> current = [&] {
      auto lease = AcquireApi();
      return lease->Get(route.kind, route.ns, route.name);
    }();
    if (!current.ok()) return ApiError(current.status(), route.kind, route.name);
    const auto& rc = static_cast<const api::ReplicationController&>(**current);
    json::value scale = ScaleJson(rc);
    if (r.method == "GET") {
      Response resp;
      resp.body = json::serialize(scale);
      return resp;
    }
    json::value wanted;
    if (r.method == "PUT") {
      auto body = ParseJson(r.body, "the Scale body");
      if (!body.ok()) return ErrorResponse(body.status());
      wanted = std::move(*body);
    } else {
      auto patch = ParseJson(r.body, "the patch");
      if (!patch.ok()) return ErrorResponse(patch.status());
      Result<json::value> patched =
          r.content_type.starts_with("application/json-patch+json")
              ? api::ApplyJsonPatch(scale, *patch)
              : api::ApplyMergePatch(scale, *patch);  // Scale has no lists: SMP == merge
      if (!patched.ok()) {
        return StatusResponse(422, "Invalid",
                              "the patch could not be applied: " + patched.status().message());
      }
      wanted = std::move(*patched);
    }
    const json::value* replicas = nullptr;
    std::string pinned_rv;
    if (wanted.is_object()) {
      if (auto* spec = wanted.as_object().if_contains("spec"); spec && spec->is_object()) {
        replicas = spec->as_object().if_contains("replicas");
      }
      if (auto* meta = wanted.as_object().if_contains("metadata"); meta && meta->is_object()) {
        if (auto* rv = meta->as_object().if_contains("resourceVersion"); rv && rv->is_string()) {
          pinned_rv = std::string(rv->as_string());
        }
      }
    }
    if (!replicas || !replicas->is_int64() || replicas->as_int64() < 0 ||
        replicas->as_int64() > INT32_MAX) {
      return InvalidResponse("Scale", route.name,
                             {{"spec.replicas",
                               "Invalid value: must be an integer greater than "
                               "or equal to 0"}});
    }
    const bool pinned = !pinned_rv.empty() && pinned_rv != rc.metadata.resource_version;
    auto next = std::make_shared<api::ReplicationController>(rc);
    next->spec.replicas = static_cast<int32_t>(replicas->as_int64());
    next->metadata.resource_version = pinned ? pinned_rv : rc.metadata.resource_version;
    auto res = [&] {
      auto lease = AcquireApi();
      return lease->Update(next, client::WriteOptions{*dry_run});
    }();
    if (res.code() == Code::kConflict && !pinned && attempt + 1 < kWriteAttempts) continue;
    if (!res.ok()) return ApiError(res.status(), route.kind, route.name);
    Response resp;
    resp.body = json::serialize(ScaleJson(static_cast<const api::ReplicationController&>(**res)));
    return resp;
  }
}

// --- binding ---------------------------------------------------------------------

Response RestServer::Impl::Bind(const Request& r, const Route& route) {
  auto body = ParseJson(r.body, "the Binding body");
  if (!body.ok()) return ErrorResponse(body.status());
  std::string node;
  if (body->is_object()) {
    const auto& o = body->as_object();
    if (auto* k = o.if_contains("kind"); k && k->is_string() && k->as_string() != "Binding") {
      return StatusResponse(400, "BadRequest",
                            "the body's kind must be Binding, not " + std::string(k->as_string()));
    }
    if (auto* t = o.if_contains("target"); t && t->is_object()) {
      if (auto* n = t->as_object().if_contains("name"); n && n->is_string()) {
        node = std::string(n->as_string());
      }
      if (auto* k = t->as_object().if_contains("kind");
          k && k->is_string() && !k->as_string().empty() && k->as_string() != "Node") {
        return InvalidResponse("Binding", route.name,
                               {{"target.kind", "Invalid value: must be Node"}});
      }
    }
  }
  if (node.empty()) {
    return InvalidResponse("Binding", route.name, {{"target.name", "Required value"}});
  }
  auto dry_run = DryRunOf(r);
  if (!dry_run.ok()) return ErrorResponse(dry_run.status());
  auto lease = AcquireApi();
  auto cur = lease->Get(api::Kind::kPod, route.ns, route.name);
  if (!cur.ok()) return ApiError(cur.status(), route.kind, route.name);
  auto res = lease->Bind(*cur, node, client::WriteOptions{*dry_run});
  if (!res.ok()) {
    if (res.code() == Code::kConflict) {
      return ErrorResponse(Conflict("Operation cannot be fulfilled on pods/binding \"" +
                                    route.name + "\": " + res.status().message()));
    }
    return ApiError(res.status(), route.kind, route.name);
  }
  Response resp;
  resp.code = 201;
  resp.body = SuccessJson({route.name, "pods", (*cur)->metadata.uid, {}});
  return resp;
}

// --- logs ------------------------------------------------------------------------

Response RestServer::Impl::Log(const Request& r, const Route& route) {
  api::ObjectPtr obj;
  {
    auto lease = AcquireApi();
    auto cur = lease->Get(api::Kind::kPod, route.ns, route.name);
    if (!cur.ok()) return ApiError(cur.status(), route.kind, route.name);
    obj = *cur;
  }
  const auto& pod = static_cast<const api::Pod&>(*obj);
  LogSource::Options o;
  o.container = QueryOr(r, "container");
  if (o.container.empty()) {
    auto it = pod.metadata.annotations.find("kubectl.kubernetes.io/default-container");
    if (it != pod.metadata.annotations.end()) o.container = it->second;
  }
  std::string names;
  for (const auto& c : pod.spec->containers)
    names += (names.empty() ? "" : " ") + c.name;
  if (o.container.empty()) {
    if (pod.spec->containers.size() != 1) {
      return StatusResponse(400, "BadRequest",
                            "a container name must be specified for pod " + route.name +
                                ", choose one of: [" + names + "]");
    }
    o.container = pod.spec->containers[0].name;
  }
  bool known = false;
  for (const auto& c : pod.spec->containers)
    known = known || c.name == o.container;
  for (const auto& c : pod.spec->init_containers)
    known = known || c.name == o.container;
  if (!known) {
    return StatusResponse(400, "BadRequest",
                          "container " + o.container + " is not valid for pod " + route.name +
                              " (its containers: " + names + ")");
  }
  auto flag = [&](const char* k) {
    const std::string v = QueryOr(r, k);
    return v == "true" || v == "1";
  };
  o.follow = flag("follow");
  o.previous = flag("previous");
  o.timestamps = flag("timestamps");
  for (auto [key, field] :
       {std::pair{"tailLines", &o.tail_lines}, std::pair{"limitBytes", &o.limit_bytes},
        std::pair{"sinceSeconds", &o.since_seconds}}) {
    auto v = QueryInt(r, key);
    if (!v.ok()) return ErrorResponse(v.status());
    *field = *v;
  }
  if (pod.spec->node_name.empty()) {
    return StatusResponse(400, "BadRequest",
                          "pod " + route.name + " is not scheduled yet, so it has no logs");
  }
  LogSource* source = logs_.load();
  if (source == nullptr || !source->Serves(pod.spec->node_name)) return RemoteLog(route, pod, o);
  if (!o.follow) {
    auto text = source->Read(pod, o);
    if (!text.ok()) {
      return StatusResponse(text.code() == Code::kNotFound ? 400 : HttpCodeOf(text.code()),
                            text.code() == Code::kNotFound ? "BadRequest" : ReasonOf(text.code()),
                            "container \"" + o.container + "\" in pod \"" + route.name +
                                "\": " + text.status().message());
    }
    return LogTextResponse(std::move(*text));
  }
  auto pod_copy = std::make_shared<api::Pod>(pod);
  return LogFollowResponse([source, pod_copy, o](std::shared_ptr<StreamWriter> out) {
    return source->Follow(*pod_copy, o, std::move(out));
  });
}

Response RestServer::Impl::RemoteLog(const Route& route, const api::Pod& pod,
                                     const LogSource::Options& o) {
  const std::string& node_name = pod.spec->node_name;
  api::ObjectPtr node_obj;
  {
    auto lease = AcquireApi();
    auto cur = lease->Get(api::Kind::kNode, "", node_name);
    if (!cur.ok()) {
      return StatusResponse(503, "ServiceUnavailable",
                            "cannot read the logs of pod " + route.name + ": its node " +
                                node_name + " is not registered (" + cur.status().message() + ")");
    }
    node_obj = *cur;
  }
  // The endpoint the node advertises, refused unless it is an IP literal in
  // the allowed networks (kubelet_endpoint.h): 503 when there is none, 400
  // (as kube-apiserver answers an address it will not proxy to) otherwise.
  auto endpoint =
      KubeletEndpointOf(static_cast<const api::Node&>(*node_obj), options_.kubelet_networks);
  if (!endpoint.ok()) {
    const bool none = endpoint.code() == Code::kUnavailable;
    return StatusResponse(
        none ? 503 : 400, none ? "ServiceUnavailable" : "BadRequest",
        "cannot read the logs of pod " + route.name + ": " + endpoint.status().message());
  }
  auto id = LogContainerId(pod, o);
  if (!id.ok()) return StatusResponse(400, "BadRequest", id.status().message());
  if (!o.follow) {
    auto text = kubelet_logs_.Read(*endpoint, *id, o);
    if (!text.ok()) {
      return StatusResponse(HttpCodeOf(text.code()), ReasonOf(text.code()),
                            "container \"" + o.container + "\" in pod \"" + route.name +
                                "\": " + text.status().message());
    }
    return LogTextResponse(std::move(*text));
  }
  KubeletLogClient* client = &kubelet_logs_;
  return LogFollowResponse(
      [client, endpoint = *endpoint, id = *id, o](std::shared_ptr<StreamWriter> out) {
        return client->Follow(endpoint, id, o, std::move(out));
      });
}

}  // namespace navarch::apiserver
