#pragma once
// HttpApi: the Api seam (core/client/api.h) over HTTP or HTTPS to a
// Kubernetes-v1-compatible API server (`navarch apiserver`, or any server
// speaking the v1 wire protocol for the kinds navarch knows).
//
// Wire mapping.
//   Create        POST   /api/v1[/namespaces/NS]/RESOURCE
//   Get           GET    /api/v1[/namespaces/NS]/RESOURCE/NAME
//   List          GET    .../RESOURCE?labelSelector=&fieldSelector=&limit=&continue=
//                        &resourceVersion=  (+ resourceVersionMatch=Exact for a
//                        specific revision of a first page)
//   Update        PUT    .../RESOURCE/NAME
//   UpdateStatus  PUT    .../RESOURCE/NAME/status
//   Delete        DELETE .../RESOURCE/NAME with a v1 DeleteOptions body
//                        (gracePeriodSeconds, preconditions uid/resourceVersion)
//   Watch         GET    .../RESOURCE?watch=true&allowWatchBookmarks=true
//                        &resourceVersion=RV&timeoutSeconds=..., a chunked stream
//                        of newline-delimited {"type","object"} events
// Bodies are v1 JSON through core/api/codec.h (responses decoded leniently:
// fields this build does not know are dropped). WatchOptions.node_name is sent
// as the field selector spec.nodeName=NAME ("" selects unbound pods).
//
// Errors. Failures come back as v1 Status objects and map to codes:
//   404 kNotFound · 409 AlreadyExists → kAlreadyExists, other 409 → kConflict
//   · 400/422 kInvalidArgument (the message lists every cause with its field)
//   · 410 kCompacted · 401/403 kInvalidArgument (check the token) · 429/5xx
//   kUnavailable. A refused connection, a TLS failure or a timeout is
//   kUnavailable naming the server URL and what to check.
//
// Retries. Idempotent reads (Get, List) are retried on kUnavailable up to
// `read_attempts` times with exponential back-off. Writes are not retried,
// except once on a fresh connection when a reused keep-alive connection turned
// out to be closed before any response byte arrived (the server closed it
// while idle; the request was not processed).
//
// Connections. Keep-alive connections are pooled and reused (at most
// `max_idle_connections` kept idle). Each watch has a connection of its own.
//
// Watch semantics (the Api contract).
//   * resource_version "" or "0": changes after Watch() returns. Watch()
//     first reads the current revision (a one-item List) and watches from it,
//     because the HTTP protocol would replay existing objects otherwise.
//   * A dropped connection, a server restart or the server ending the stream
//     (timeoutSeconds) is invisible to the handler: the watch reconnects
//     from the last resourceVersion it saw (events and BOOKMARKs advance it),
//     after an exponential back-off (watch_backoff_initial .. _max) when the
//     server cannot be reached, and no event is lost or repeated.
//   * 410 Gone (the server compacted past the resume point), at the start or
//     on resume, ends the watch with a kError kCompacted event, as the Api
//     contract says: the owner re-lists (client::Informer does, emitting the
//     difference as events) and watches again. Other permanent errors (a bad
//     selector rejected by the server) end it with kError and that status.
//   * WatchEvent.previous is filled from a per-watch cache of the objects the
//     watch has delivered (null for an object the watch had not seen).
//
// Threading. All methods may be called from any thread, including a Clock's
// loop thread: the HTTP I/O runs on HttpApi's own I/O thread, and a
// synchronous call only blocks its caller until the response arrives (the
// I/O thread never waits for the Clock's loop, so a component calling from its
// loop cannot deadlock). Watch handlers run on the Clock's loop. A WatchHandle
// must be stopped or destroyed on that loop; after Stop() returns the handler
// is not called again. Handles may outlive the HttpApi (they just stop).

#include <memory>
#include <string>

#include "core/apiclient/kubeconfig.h"
#include "core/base/time.h"
#include "core/client/api.h"
#include "core/runtime/clock.h"

namespace navarch::apiclient {

struct HttpApiOptions {
  // "http://127.0.0.1:8080" or "https://127.0.0.1:6443" (an optional path
  // prefix is kept: "https://host/prefix").
  std::string server;
  // PEM of the CA(s) that sign the server's certificate. Empty: the system's
  // default CA paths.
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // name to verify instead of the URL's host
  std::string bearer_token;     // empty: no Authorization header
  std::string user_agent = "navarch";

  Duration connect_timeout = seconds(5);
  Duration request_timeout = seconds(30);
  int read_attempts = 4;
  Duration retry_backoff_initial = milliseconds(100);
  Duration retry_backoff_max = seconds(2);
  Duration watch_backoff_initial = milliseconds(100);
  Duration watch_backoff_max = seconds(5);
  // The server ends each watch stream after about this long (timeoutSeconds);
  // the watch then resumes. A stream silent for this plus 60 s is treated as
  // dead and resumed.
  Duration watch_timeout = minutes(5);
  int max_idle_connections = 16;
  // Largest response body accepted (bytes).
  size_t max_body_bytes = 512u << 20;
};

// The options for a kubeconfig's cluster and user.
HttpApiOptions OptionsFromConfig(const ClientConfig& config);

class HttpApi final : public client::Api {
 public:
  // Validates the options (server URL, CA PEM) and starts the I/O thread.
  // Does not contact the server.
  static Result<std::unique_ptr<HttpApi>> Open(runtime::Clock& clock, HttpApiOptions options);
  // Ends every watch and the I/O thread. Calls in progress on other threads
  // must have returned.
  ~HttpApi() override;
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  Result<api::ObjectPtr> Create(api::ObjectPtr obj, const client::WriteOptions& options) override;
  Result<api::ObjectPtr> Get(api::Kind kind, std::string_view ns, std::string_view name) override;
  Result<client::ObjectList> List(api::Kind kind, const client::ListOptions& options) override;
  Result<api::ObjectPtr> Update(api::ObjectPtr obj, const client::WriteOptions& options) override;
  Result<api::ObjectPtr> UpdateStatus(api::ObjectPtr obj,
                                      const client::WriteOptions& options) override;
  Result<api::ObjectPtr> Bind(api::ObjectPtr pod, std::string_view node,
                              const client::WriteOptions& options) override;
  Result<api::ObjectPtr> Delete(api::Kind kind, std::string_view ns, std::string_view name,
                                const client::DeleteOptions& options = {}) override;
  Result<std::unique_ptr<client::WatchHandle>> Watch(api::Kind kind,
                                                     const client::WatchOptions& options,
                                                     client::WatchHandler handler) override;
  using client::Api::Bind;
  using client::Api::Create;
  using client::Api::Delete;
  using client::Api::Get;
  using client::Api::List;
  using client::Api::Update;
  using client::Api::UpdateStatus;

  // A GET of an arbitrary path on the server ("/healthz"): the body on 2xx,
  // the mapped error otherwise. Retried like reads.
  Result<std::string> GetRaw(const std::string& path_and_query);

  const std::string& server() const;

  // Counters (any thread): connections opened, watch (re)connections.
  struct Stats {
    uint64_t connections_opened = 0;
    uint64_t requests = 0;
    uint64_t watch_connects = 0;
    uint64_t watch_resumes = 0;  // reconnections of a live watch
  };
  Stats stats() const;

  class Impl;

 private:
  explicit HttpApi(std::unique_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace navarch::apiclient
