// RestServer: discovery, OpenAPI and /version documents (discovery.h), and
// Table output (table.h).
#include <boost/json.hpp>

#include "core/apiserver/discovery.h"
#include "core/apiserver/rest_internal.h"
#include "core/apiserver/table.h"

namespace navarch::apiserver {

namespace json = boost::json;

namespace {

Response JsonResponse(const json::value& v) {
  Response r;
  r.body = json::serialize(v);
  return r;
}

}  // namespace

Response RestServer::Impl::Discovery(const Request& r, const std::vector<std::string>& seg) {
  const std::string& top = seg[0];
  if (top == "version" && seg.size() == 1) {
    ServerVersion v;
    v.navarch_version = options_.navarch_version;
    return JsonResponse(VersionDocument(v));
  }
  if (top == "api" && seg.size() == 1) {
    return JsonResponse(ApiVersionsDocument(options_.server_address));
  }
  if (top == "api" && seg.size() == 2 && seg[1] == "v1") {
    return JsonResponse(ApiResourceListDocument());
  }
  if (top == "apis" && seg.size() == 1) return JsonResponse(ApiGroupListDocument());
  if (top == "openapi" && seg.size() >= 2 && seg[1] == "v3") {
    std::call_once(openapi_once_, [this] {
      auto doc = BuildOpenApiV3();
      openapi_index_ = json::serialize(doc.index);
      openapi_v1_ = json::serialize(doc.document);
    });
    Response resp;
    if (seg.size() == 2) {
      resp.body = openapi_index_;
      return resp;
    }
    if (seg.size() == 4 && seg[2] == "api" && seg[3] == "v1") {
      resp.body = openapi_v1_;
      return resp;
    }
  }
  return StatusResponse(404, "NotFound",
                        "the server could not find the requested resource " + r.path +
                            " (this server serves /api, /api/v1, /apis, /version and "
                            "/openapi/v3)");
}

Response RestServer::Impl::TableFor(api::Kind kind, const std::vector<api::ObjectPtr>& items,
                                    const std::string& resource_version,
                                    const std::string& continue_token) {
  TableOptions o;
  o.now = clock_.Now();
  o.resource_version = resource_version;
  o.continue_token = continue_token;
  return JsonResponse(ToTable(kind, items, o));
}

std::string WatchTableJson(api::Kind kind, const api::ObjectPtr& obj, Time now, bool first) {
  TableOptions o;
  o.now = now;
  o.include_column_definitions = first;
  o.resource_version = obj->metadata.resource_version;
  return json::serialize(ToTable(kind, {obj}, o));
}

}  // namespace navarch::apiserver
