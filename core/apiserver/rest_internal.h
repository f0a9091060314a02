#pragma once
// Internals of RestServer shared by rest_server.cpp (routing, reads),
// rest_write.cpp (writes and subresources) and rest_watch.cpp (watches).

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/labels.h"
#include "core/api/object.h"
#include "core/apiserver/kubelet_logs.h"
#include "core/apiserver/metrics.h"
#include "core/apiserver/node_restriction.h"
#include "core/apiserver/rest.h"
#include "core/apiserver/status_json.h"
#include "core/client/field_selector.h"
#include "core/client/local_api.h"
#include "core/registry/registry.h"

namespace navarch::apiserver {

// A parsed /api/v1/... path.
struct Route {
  api::Kind kind = api::Kind::kPod;
  std::string ns;  // from the URL ("" = none / all namespaces)
  bool ns_in_url = false;
  std::string name;
  std::string sub;  // "", "status", "scale", "binding", "log"
};

struct Selectors {
  api::LabelSelector labels;
  client::FieldSelector fields;
  bool Matches(const api::Object& obj) const;
};

// A live HTTP watch stream (rest_watch.cpp), known to the server so that
// Shutdown can end it and WatchCount count it.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Ends the stream; nothing follows. Any thread.
  virtual void ShutDown() = 0;
};

class RestServer::Impl {
 public:
  Impl(store::Store& store, runtime::Clock& clock, RestOptions options, Metrics* metrics);
  ~Impl();

  Status Start();
  Response Handle(const Request& r);
  void Shutdown();
  size_t WatchCount() const;

  // --- routing helpers (rest_server.cpp) ---
  Response Dispatch(const Request& r, std::string& verb, std::string& resource);
  Response HandleResource(const Request& r, const Route& route, std::string& verb);
  Response Get(const Request& r, const Route& route);
  Response List(const Request& r, const Route& route);

  // --- documents (rest_documents.cpp): discovery, OpenAPI, /version, Table ---
  Response Discovery(const Request& r, const std::vector<std::string>& segments);
  // The meta.k8s.io/v1 Table form of `items` (Accept: ...;as=Table).
  Response TableFor(api::Kind kind, const std::vector<api::ObjectPtr>& items,
                    const std::string& resource_version, const std::string& continue_token);

  // --- writes (rest_write.cpp) ---
  Response Create(const Request& r, const Route& route);
  Response Replace(const Request& r, const Route& route);
  Response Patch(const Request& r, const Route& route);
  Response Delete(const Request& r, const Route& route);
  Response DeleteCollection(const Request& r, const Route& route);
  Response Scale(const Request& r, const Route& route);
  Response Bind(const Request& r, const Route& route);
  Response Log(const Request& r, const Route& route);
  // pods/log through the kubelet of the pod's node (its log endpoint).
  Response RemoteLog(const Route& route, const api::Pod& pod, const LogSource::Options& o);

  // --- watches (rest_watch.cpp) ---
  Response Watch(const Request& r, const Route& route);

  // A LocalApi from the pool, held for the lease's life.
  class Lease {
   public:
    Lease(client::LocalApi& api, std::unique_lock<std::mutex> lock)
        : api_(&api), lock_(std::move(lock)) {}
    client::LocalApi* operator->() const { return api_; }
    client::LocalApi& operator*() const { return *api_; }

   private:
    client::LocalApi* api_;
    std::unique_lock<std::mutex> lock_;
  };
  Lease AcquireApi();

  // Decodes a request body (JSON or YAML by Content-Type) for `route`:
  // strictness from fieldValidation, warnings into `warnings`. The kind and
  // namespace must agree with the URL.
  Result<std::shared_ptr<api::Object>> DecodeBody(const Request& r, const Route& route,
                                                  std::string_view body,
                                                  std::vector<std::string>* warnings);
  Result<Selectors> ParseSelectors(const Request& r, api::Kind kind);

  // NodeRestriction (node_restriction.h), the one check every write of a
  // Node goes through: a 403 Forbidden naming the user and the field when
  // `r`'s user may not make `write` to Node `name`. `next` is the Node as
  // the request has it (null for a delete). When the user may write all but
  // the kubelet endpoint fields, an update reads the stored Node to compare
  // and hands it back through `current` (the caller pins its write to that
  // version so that the check holds for what is replaced).
  std::optional<Response> AdmitNodeWrite(const Request& r, NodeWrite write, const std::string& name,
                                         const api::Object* next, api::ObjectPtr* current);

  store::Store& store_;
  runtime::Clock& clock_;
  const RestOptions options_;
  Metrics* metrics_;
  std::vector<std::unique_ptr<client::LocalApi>> apis_;
  std::unique_ptr<std::mutex[]> api_mu_;
  std::atomic<size_t> next_api_{0};
  // The per-kind rules, shared by every LocalApi of the pool (and, in
  // `navarch up`, by the in-process components).
  std::shared_ptr<registry::Registry> registry_;
  Status registry_start_error_;
  std::atomic<LogSource*> logs_{nullptr};
  KubeletLogClient kubelet_logs_;
  // The one watch fan-out (client::WatchFeeds) of every LocalApi of the pool.
  std::shared_ptr<client::WatchFeeds> feeds_;
  // Live watch streams, by id.
  mutable std::mutex streams_mu_;
  std::map<uint64_t, std::weak_ptr<WatchStream>> streams_;  // guarded by streams_mu_
  uint64_t next_stream_ = 1;                                // guarded by streams_mu_
  // Registers a stream; 0 when the server is shutting down.
  uint64_t AddStream(std::weak_ptr<WatchStream> stream);
  void RemoveStream(uint64_t id);
  // The v1 JSON of a watch event's object, encoded once for all the streams
  // it is sent to (events are delivered one at a time, on the loop, each
  // with one ObjectPtr for every watcher). Loop thread only.
  const std::string& EventObjectJson(const api::ObjectPtr& object);
  api::ObjectPtr json_object_;
  std::string json_;
  std::atomic<bool> shutting_down_{false};
  std::once_flag openapi_once_;
  std::string openapi_index_;
  std::string openapi_v1_;
};

// Helpers shared by the .cpp files.
std::string ResourceName(api::Kind kind);  // "pods"
// `pods "web" not found` style names used in Kubernetes messages.
std::string QuotedName(api::Kind kind, std::string_view name);
// A navarch Status from the Api mapped to a Response with Kubernetes-style
// messages for the common codes.
Response ApiError(const Status& st, api::Kind kind, std::string_view name);
Response ObjectResponse(int code, const api::Object& obj,
                        const std::vector<std::string>& warnings = {});
// Adds one `Warning: 299 - "<text>"` header per warning (kubectl prints
// them), each on one line and bounded in length.
void AddWarnings(Response& r, const std::vector<std::string>& warnings);
bool WantsTable(const Request& r);
// One watch event's object as a one-row Table (column definitions only on
// the stream's first event).
std::string WatchTableJson(api::Kind kind, const api::ObjectPtr& obj, Time now, bool first);
std::string QueryOr(const Request& r, const std::string& key, std::string fallback = {});
Result<std::optional<int64_t>> QueryInt(const Request& r, const std::string& key);

}  // namespace navarch::apiserver
