// RestServer: construction, routing, non-resource endpoints and reads.
#include <boost/json.hpp>
#include <charconv>
#include <exception>

#include "core/api/codec.h"
#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/apiserver/rest_internal.h"
#include "core/base/strings.h"
#include "core/client/watch_feed.h"

namespace navarch::apiserver {

namespace json = boost::json;

// --- helpers -------------------------------------------------------------

std::string ResourceName(api::Kind kind) {
  return std::string(api::InfoOf(kind).resource);
}

std::string QuotedName(api::Kind kind, std::string_view name) {
  return ResourceName(kind) + " \"" + std::string(name) + "\"";
}

Response ApiError(const Status& st, api::Kind kind, std::string_view name) {
  StatusDetails d;
  d.name = std::string(name);
  d.kind = ResourceName(kind);
  switch (st.code()) {
    case Code::kNotFound:
      // The Api names a missing namespace in its message; keep that one.
      if (st.message().find("namespaces/") != std::string::npos &&
          st.message().find("create") != std::string::npos) {
        return ErrorResponse(st, d);
      }
      return ErrorResponse(NotFound(QuotedName(kind, name) + " not found"), d);
    case Code::kAlreadyExists:
      return ErrorResponse(AlreadyExists(QuotedName(kind, name) + " already exists"), d);
    case Code::kConflict:
      return ErrorResponse(Conflict("Operation cannot be fulfilled on " + QuotedName(kind, name) +
                                    ": " + st.message()),
                           d);
    case Code::kInvalidArgument:
      // A validation failure names the Kind, as Kubernetes' 422 does.
      if (!st.causes().empty()) d.kind = std::string(api::InfoOf(kind).name);
      return ErrorResponse(st, d);
    default:
      return ErrorResponse(st, d);
  }
}

void AddWarnings(Response& r, const std::vector<std::string>& warnings) {
  constexpr size_t kMaxWarningBytes = 2048;
  for (const auto& w : warnings) {
    // RFC 7234 warn-text: a quoted string on one header line. Control
    // characters (a message may quote what a client sent) become spaces.
    std::string quoted;
    for (char c : std::string_view(w).substr(0, kMaxWarningBytes)) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        quoted += ' ';
        continue;
      }
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    r.headers.emplace_back("Warning", "299 - \"" + CoerceToUtf8(quoted) + "\"");
  }
}

Response ObjectResponse(int code, const api::Object& obj,
                        const std::vector<std::string>& warnings) {
  Response r;
  r.code = code;
  r.body = api::EncodeJson(obj);
  AddWarnings(r, warnings);
  return r;
}

bool WantsTable(const Request& r) {
  return r.accept.find("as=Table") != std::string::npos;
}

std::string QueryOr(const Request& r, const std::string& key, std::string fallback) {
  auto it = r.query.find(key);
  return it == r.query.end() ? fallback : it->second;
}

Result<std::optional<int64_t>> QueryInt(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  if (it == r.query.end() || it->second.empty()) return std::optional<int64_t>();
  int64_t v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return InvalidArgument("query parameter " + key + "=\"" + s + "\" is not an integer");
  }
  return std::optional<int64_t>(v);
}

bool Selectors::Matches(const api::Object& obj) const {
  return labels.Matches(obj.metadata.labels) && fields.Matches(obj);
}

// --- construction ----------------------------------------------------------

RestServer::Impl::Impl(store::Store& store, runtime::Clock& clock, RestOptions options,
                       Metrics* metrics)
    : store_(store), clock_(clock), options_(std::move(options)), metrics_(metrics) {
  registry_ = options_.registry;
  if (!registry_) {
    registry::RegistryOptions ro;
    ro.service_cidr = options_.service_cidr;
    ro.node_port_min = options_.node_port_min;
    ro.node_port_max = options_.node_port_max;
    ro.default_not_ready_toleration_seconds = options_.default_not_ready_toleration_seconds;
    ro.default_unreachable_toleration_seconds = options_.default_unreachable_toleration_seconds;
    auto made = registry::Registry::Create(ro);
    if (made.ok()) {
      registry_ = *made;
    } else {
      // Start() reports it; until then the default ranges serve.
      registry_start_error_ = made.status();
      registry_ = *registry::Registry::Create();
    }
  }
  feeds_ = std::make_shared<client::WatchFeeds>(store_, clock_);
  const int n = std::max(1, options_.write_pool);
  api_mu_ = std::make_unique<std::mutex[]>(n);
  for (int i = 0; i < n; ++i) {
    client::LocalApiOptions lo;
    // Distinct, well-separated streams per pool member.
    lo.seed = options_.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(i) + 1;
    lo.encode_values = true;
    lo.registry = registry_;
    lo.watch_feeds = feeds_;
    lo.event_ttl = options_.event_ttl;
    apis_.push_back(std::make_unique<client::LocalApi>(store_, clock_, lo));
  }
}

RestServer::Impl::~Impl() {
  Shutdown();
}

RestServer::Impl::Lease RestServer::Impl::AcquireApi() {
  const size_t n = apis_.size();
  const size_t start = next_api_.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < n; ++i) {
    const size_t k = (start + i) % n;
    std::unique_lock<std::mutex> lock(api_mu_[k], std::try_to_lock);
    if (lock.owns_lock()) return Lease(*apis_[k], std::move(lock));
  }
  const size_t k = start % n;
  return Lease(*apis_[k], std::unique_lock<std::mutex>(api_mu_[k]));
}

Status RestServer::Impl::Start() {
  NAVARCH_RETURN_IF_ERROR(registry_start_error_);
  auto lease = AcquireApi();
  // After a restart the store holds no decoded objects; decoding them once
  // here keeps the first reads (a Table list of 10,000 pods) as fast as the
  // later ones.
  std::vector<std::string> unreadable;
  NAVARCH_RETURN_IF_ERROR(lease->DecodeStored(&unreadable).status());
  for (const std::string& u : unreadable) {
    if (options_.warn) options_.warn(u);
  }
  for (std::string_view name : api::kBuiltinNamespaces) {
    auto existing = lease->Get(api::Kind::kNamespace, "", name);
    if (existing.ok()) continue;
    if (existing.code() != Code::kNotFound) return existing.status();
    api::Namespace ns;
    ns.metadata.name = std::string(name);
    auto created = lease->Create(std::make_shared<api::Namespace>(ns));
    if (!created.ok() && created.code() != Code::kAlreadyExists) {
      return created.status().WithContext("creating namespace " + std::string(name));
    }
  }
  NAVARCH_ASSIGN_OR_RETURN(auto services, lease->List(api::Kind::kService, {}));
  for (const auto& obj : services.items)
    registry_->Restore(*obj);
  return Status::Ok();
}

void RestServer::Impl::Shutdown() {
  std::vector<std::shared_ptr<WatchStream>> live;
  {
    std::lock_guard<std::mutex> lock(streams_mu_);
    shutting_down_ = true;
    for (auto& [id, weak] : streams_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    streams_.clear();
  }
  for (auto& s : live)
    s->ShutDown();
  live.clear();
  if (feeds_) feeds_->Shutdown();
}

size_t RestServer::Impl::WatchCount() const {
  std::lock_guard<std::mutex> lock(streams_mu_);
  return streams_.size();
}

uint64_t RestServer::Impl::AddStream(std::weak_ptr<WatchStream> stream) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  if (shutting_down_) return 0;
  const uint64_t id = next_stream_++;
  streams_[id] = std::move(stream);
  return id;
}

void RestServer::Impl::RemoveStream(uint64_t id) {
  std::lock_guard<std::mutex> lock(streams_mu_);
  streams_.erase(id);
}

const std::string& RestServer::Impl::EventObjectJson(const api::ObjectPtr& object) {
  if (object != json_object_) {
    json_object_ = object;
    json_ = api::EncodeJson(*object);
  }
  return json_;
}

// --- dispatch ---------------------------------------------------------------

Response RestServer::Impl::Handle(const Request& r) {
  const Time start = clock_.Now();
  std::string verb = "unknown";
  std::string resource;
  Response resp;
  try {
    resp = Dispatch(r, verb, resource);
  } catch (const std::exception& e) {
    resp = StatusResponse(
        500, "InternalError",
        std::string("internal error serving ") + r.method + " " + r.path + ": " + e.what());
  }
  if (metrics_) metrics_->ObserveRequest(verb, resource, resp.code, clock_.Now() - start);
  return resp;
}

namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/')
      ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

Response TextResponse(int code, std::string body, std::string content_type = "text/plain") {
  Response r;
  r.code = code;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Result<Route> ParseRoute(const std::vector<std::string>& seg) {
  // seg[0] == "api", seg[1] == "v1"
  Route route;
  size_t i = 2;
  auto unknown = [&](const std::string& what) {
    return NotFound("the server could not find the requested resource: unknown resource \"" + what +
                    "\" in /api/v1 (served: pods, nodes, replicationcontrollers, services, "
                    "endpoints, events, namespaces)");
  };
  if (seg.size() <= i) return NotFound("no resource in the path");
  if (seg[i] == "namespaces" && seg.size() >= i + 3 && seg[i + 2] != "status" &&
      seg[i + 2] != "finalize") {
    route.ns = seg[i + 1];
    route.ns_in_url = true;
    i += 2;
  }
  auto kind = api::KindFromResource(seg[i]);
  if (!kind) return unknown(seg[i]);
  route.kind = *kind;
  if (route.ns_in_url && !api::InfoOf(*kind).namespaced) {
    return NotFound(seg[i] + " are cluster-scoped; use /api/v1/" + seg[i] + " without a namespace");
  }
  ++i;
  if (seg.size() > i) route.name = seg[i++];
  if (seg.size() > i) route.sub = seg[i++];
  if (seg.size() > i) return NotFound("the server could not find the requested resource");
  return route;
}

bool SubresourceAllowed(api::Kind kind, const std::string& sub) {
  if (sub.empty()) return true;
  switch (kind) {
    case api::Kind::kPod:
      return sub == "status" || sub == "binding" || sub == "log";
    case api::Kind::kReplicationController:
      return sub == "status" || sub == "scale";
    case api::Kind::kNode:
    case api::Kind::kService:
    case api::Kind::kNamespace:
      return sub == "status";
    default:
      return false;
  }
}

}  // namespace

Response RestServer::Impl::Dispatch(const Request& r, std::string& verb, std::string& resource) {
  // Names, selectors and options are UTF-8 text, as everything stored is.
  if (Status st = CheckUtf8(r.path, "the request path"); !st.ok()) return ErrorResponse(st);
  for (const auto& [key, value] : r.query) {
    Status st = CheckUtf8(key, "a query parameter name");
    if (st.ok()) st = CheckUtf8(value, "query parameter " + key);
    if (!st.ok()) return ErrorResponse(st);
  }
  const auto seg = SplitPath(r.path);
  if (seg.empty()) {
    return TextResponse(200,
                        "{\"paths\":[\"/api\",\"/api/v1\",\"/apis\",\"/healthz\",\"/livez\","
                        "\"/readyz\",\"/metrics\",\"/openapi/v3\",\"/version\"]}",
                        "application/json");
  }
  const std::string& top = seg[0];
  if (top == "healthz" || top == "livez" || top == "readyz") {
    verb = "get";
    if (top == "readyz" && shutting_down_) return TextResponse(503, "shutting down");
    return TextResponse(200, "ok");
  }
  if (top == "metrics") {
    verb = "get";
    if (!metrics_) return TextResponse(404, "metrics are not enabled");
    return TextResponse(200, metrics_->Render(), "text/plain; version=0.0.4");
  }
  const bool resource_path = top == "api" && seg.size() >= 3 && seg[1] == "v1";
  if (!resource_path && (top == "version" || top == "api" || top == "apis" || top == "openapi")) {
    verb = "get";
    if (r.method != "GET") {
      return StatusResponse(405, "MethodNotAllowed", r.method + " is not allowed on " + r.path);
    }
    return Discovery(r, seg);
  }
  if (seg.size() < 3 || seg[0] != "api" || seg[1] != "v1") {
    return StatusResponse(404, "NotFound",
                          "the server could not find the requested resource " + r.path +
                              " (this server serves the core v1 API under /api/v1)");
  }
  auto route = ParseRoute(seg);
  if (!route.ok()) return ErrorResponse(route.status());
  resource = ResourceName(route->kind);
  if (!route->sub.empty()) resource += "/" + route->sub;
  if (!SubresourceAllowed(route->kind, route->sub)) {
    return StatusResponse(
        404, "NotFound",
        "the server could not find the requested resource: " + ResourceName(route->kind) +
            " have no subresource \"" + route->sub + "\"");
  }
  return HandleResource(r, *route, verb);
}

Response RestServer::Impl::HandleResource(const Request& r, const Route& route, std::string& verb) {
  const bool named = !route.name.empty();
  const auto& m = r.method;
  auto not_allowed = [&](std::string_view allowed) {
    return StatusResponse(
        405, "MethodNotAllowed",
        m + " is not allowed on " + r.path + " (allowed: " + std::string(allowed) + ")");
  };
  if (route.sub == "scale") {
    verb = m == "GET" ? "get" : (m == "PUT" ? "update" : "patch");
    if (m != "GET" && m != "PUT" && m != "PATCH") return not_allowed("GET, PUT, PATCH");
    return Scale(r, route);
  }
  if (route.sub == "binding") {
    verb = "create";
    if (m != "POST") return not_allowed("POST");
    return Bind(r, route);
  }
  if (route.sub == "log") {
    verb = "get";
    if (m != "GET") return not_allowed("GET");
    return Log(r, route);
  }
  if (route.sub == "status") {
    if (m == "GET") return verb = "get", Get(r, route);
    if (m == "PUT") return verb = "update", Replace(r, route);
    if (m == "PATCH") return verb = "patch", Patch(r, route);
    return not_allowed("GET, PUT, PATCH");
  }
  if (m == "GET") {
    const std::string watch = QueryOr(r, "watch");
    if (watch == "true" || watch == "1") {
      verb = "watch";
      return Watch(r, route);
    }
    if (named) return verb = "get", Get(r, route);
    return verb = "list", List(r, route);
  }
  if (m == "POST") {
    verb = "create";
    if (named) return not_allowed("GET, PUT, PATCH, DELETE on a named object");
    return Create(r, route);
  }
  if (m == "PUT") {
    verb = "update";
    if (!named) return not_allowed("GET, POST, DELETE on a collection");
    return Replace(r, route);
  }
  if (m == "PATCH") {
    verb = "patch";
    if (!named) return not_allowed("GET, POST, DELETE on a collection");
    return Patch(r, route);
  }
  if (m == "DELETE") {
    if (named) return verb = "delete", Delete(r, route);
    return verb = "deletecollection", DeleteCollection(r, route);
  }
  return not_allowed("GET, POST, PUT, PATCH, DELETE");
}

// --- reads -----------------------------------------------------------------

Result<Selectors> RestServer::Impl::ParseSelectors(const Request& r, api::Kind kind) {
  Selectors s;
  const std::string what = "list " + ResourceName(kind);
  auto ls = api::LabelSelector::Parse(QueryOr(r, "labelSelector"));
  if (!ls.ok()) return ls.status().WithContext(what + ": labelSelector");
  s.labels = std::move(*ls);
  auto fs = client::FieldSelector::Parse(QueryOr(r, "fieldSelector"));
  if (!fs.ok()) return fs.status().WithContext(what + ": fieldSelector");
  NAVARCH_RETURN_IF_ERROR(fs->CheckKind(kind).WithContext(what + ": fieldSelector"));
  s.fields = std::move(*fs);
  return s;
}

Response RestServer::Impl::Get(const Request& r, const Route& route) {
  (void)r;
  auto lease = AcquireApi();
  auto obj = lease->Get(route.kind, route.ns, route.name);
  if (!obj.ok()) return ApiError(obj.status(), route.kind, route.name);
  if (WantsTable(r)) return TableFor(route.kind, {*obj}, (*obj)->metadata.resource_version, "");
  return ObjectResponse(200, **obj);
}

Response RestServer::Impl::List(const Request& r, const Route& route) {
  if (!route.name.empty()) return StatusResponse(404, "NotFound", "unexpected name");
  auto sel = ParseSelectors(r, route.kind);
  if (!sel.ok()) return ErrorResponse(sel.status());
  auto limit = QueryInt(r, "limit");
  if (!limit.ok()) return ErrorResponse(limit.status());
  if (limit->value_or(0) < 0) {
    return ErrorResponse(InvalidArgument("query parameter limit=" + std::to_string(**limit) +
                                         " must not be negative (0 or absent: no limit)"));
  }
  client::ListOptions lo;
  lo.namespace_ = route.ns;
  lo.label_selector = sel->labels;
  lo.field_selector = sel->fields;
  lo.continue_token = QueryOr(r, "continue");
  lo.limit = limit->value_or(0);
  if (QueryOr(r, "resourceVersionMatch") == "Exact") {
    lo.resource_version = QueryOr(r, "resourceVersion");
  }
  client::ObjectList list;
  // The items' JSON straight from the store, unless the response is a Table.
  std::vector<std::string> encoded;
  const bool want_encoded = !WantsTable(r);
  {
    auto lease = AcquireApi();
    auto res = lease->List(route.kind, lo, want_encoded ? &encoded : nullptr);
    if (!res.ok()) {
      if (res.code() == Code::kCompacted) {
        return StatusResponse(410, "Expired", res.status().message());
      }
      return ErrorResponse(res.status());
    }
    list = std::move(*res);
  }
  if (WantsTable(r)) {
    Response table = TableFor(route.kind, list.items, list.resource_version, list.continue_token);
    AddWarnings(table, list.warnings);
    return table;
  }
  std::string body;
  size_t bytes = 256;
  if (want_encoded) {
    for (const auto& e : encoded)
      bytes += e.size() + 1;
  } else {
    bytes += list.items.size() * 1024;
  }
  body.reserve(bytes);
  body += "{\"kind\":\"";
  body += api::InfoOf(route.kind).name;
  body += "List\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"";
  body += list.resource_version;
  body += '"';
  if (!list.continue_token.empty()) {
    body += ",\"continue\":";
    body += json::serialize(json::string(list.continue_token));
  }
  body += "},\"items\":[";
  if (want_encoded) {
    for (size_t i = 0; i < encoded.size(); ++i) {
      if (i) body += ',';
      body += encoded[i];
    }
  } else {
    for (size_t i = 0; i < list.items.size(); ++i) {
      if (i) body += ',';
      body += api::EncodeJson(*list.items[i]);
    }
  }
  body += "]}";
  Response resp;
  resp.body = std::move(body);
  AddWarnings(resp, list.warnings);
  return resp;
}

// --- public wrapper ----------------------------------------------------------

RestServer::RestServer(store::Store& store, runtime::Clock& clock, RestOptions options,
                       Metrics* metrics)
    : impl_(std::make_unique<Impl>(store, clock, std::move(options), metrics)) {}
RestServer::~RestServer() = default;
Status RestServer::Start() {
  return impl_->Start();
}
Response RestServer::Handle(const Request& request) {
  return impl_->Handle(request);
}
void RestServer::Shutdown() {
  impl_->Shutdown();
}
size_t RestServer::WatchCount() const {
  return impl_->WatchCount();
}
void RestServer::SetLogSource(LogSource* source) {
  impl_->logs_ = source;
}

}  // namespace navarch::apiserver
