#pragma once
// The API server's REST layer, free of any transport: a Request (method,
// path, query, a few headers, body, authenticated user) goes in, a Response
// (status code, headers, body — or a stream) comes out. The HTTP binding
// (http_server.h) parses and serialises; unit tests call Handle() directly.
//
// URL space (Kubernetes v1 shape):
//   /api/v1/namespaces/NS/RESOURCE[/NAME[/SUBRESOURCE]]   namespaced kinds
//   /api/v1/RESOURCE[/NAME[/SUBRESOURCE]]                 cluster-scoped kinds,
//                                                         and lists/watches of
//                                                         namespaced kinds across
//                                                         every namespace
//   /api/v1/namespaces[/NAME[/status]]                    namespaces
// Resources: pods (status, binding, log), nodes (status), replicationcontrollers
// (status, scale as autoscaling/v1 Scale), services (status), endpoints,
// events, namespaces (status). Verbs: get, list, watch, create, update
// (PUT), patch (merge, JSON and strategic merge patch), delete,
// deletecollection. Anything else is a Status error naming what is supported.
// Discovery, OpenAPI, /version and health endpoints are answered here too.
//
// Storage. Objects live in the Store with the key layout and encoding of
// client::LocalApi (core/client/local_api.h), and the writes go through
// LocalApi's own code (create defaults such as uid and creationTimestamp,
// optimistic concurrency, graceful pod deletion), so a LocalApi over the same
// store — as in the all-in-one `navarch up` — reads what the server wrote and
// the other way round. Each LocalApi instance is used by one request at a
// time (a small pool of them, each with its own uid generator), so writes of
// concurrent requests reach the store concurrently and SQLite group commit
// can batch them.
//
// Watches. One store watcher per kind feeds every watch stream of that kind
// (fan-out on the Clock's loop, indexed by spec.nodeName for pod watches); a
// watch resuming from a revision the shared watcher has already passed gets
// a private store watcher that replays from there. A revision older than the
// store keeps ends the stream with an ERROR event carrying a 410 Expired
// Status.
//
// Threading. Handle() may be called from any number of threads at once.
// Stream writers (watch events) are called from the Clock's loop thread.
// The Store, Clock and RestServer must outlive every stream.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/api/types.h"
#include "core/apiserver/kubelet_endpoint.h"
#include "core/base/status.h"
#include "core/registry/registry.h"
#include "core/runtime/clock.h"
#include "core/store/store.h"

namespace navarch::apiserver {

class Metrics;

struct Request {
  std::string method;                        // "GET", "POST", "PUT", "PATCH", "DELETE"
  std::string path;                          // percent-decoded, without the query
  std::map<std::string, std::string> query;  // percent-decoded
  std::string accept;
  std::string content_type;
  std::string body;
  std::string user;  // the authenticated user; "" when authentication is off
  // The authenticated user's groups (from the token file), e.g.
  // "system:masters", "system:nodes".
  std::vector<std::string> groups;
};

// The transport's side of a streamed response (chunked HTTP). Write() and
// Finish() may be called from any thread; chunks are sent in call order and
// each is flushed on its own.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues a chunk. False once the peer is gone or the stream is finished
  // (the producer should stop).
  virtual bool Write(std::string chunk) = 0;
  // Ends the response. Idempotent.
  virtual void Finish() = 0;
  // `fn` runs once, on some thread, when the peer disconnects or the server
  // shuts down before Finish() (at once, on the calling thread, if that
  // already happened). Set at most once.
  virtual void OnClosed(std::function<void()> fn) = 0;
};

struct Response {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Warning
  // When set, the response is streamed: the transport sends the status line
  // and headers with chunked encoding, then calls `stream` once.
  std::function<void(std::shared_ptr<StreamWriter>)> stream;
};

// Where container logs come from (the kubelet side provides one: in-process
// in `navarch up`). Called on request threads.
class LogSource {
 public:
  struct Options {
    std::string container;
    bool follow = false;
    bool previous = false;
    bool timestamps = false;
    std::optional<int64_t> tail_lines;
    std::optional<int64_t> limit_bytes;
    std::optional<int64_t> since_seconds;
  };
  virtual ~LogSource() = default;
  // The logs so far. kNotFound when the container has none (not started).
  virtual Result<std::string> Read(const api::Pod& pod, const Options& options) = 0;
  // Follow: writes log text to `out` as it appears until the container
  // ends or `out` is closed, then Finish()es it. Must not block the caller:
  // the work happens elsewhere. An error before anything was written is
  // returned (and `out` is left to the caller).
  virtual Status Follow(const api::Pod& pod, const Options& options,
                        std::shared_ptr<StreamWriter> out) = 0;
  // Whether this source reads the logs of pods on `node`; the server asks
  // the node's kubelet over its log endpoint (kubelet_logs.h) otherwise.
  virtual bool Serves(const std::string& node) const {
    (void)node;
    return true;
  }
};

// What an HTTP binding serves: the REST layer, or another small endpoint
// (the kubelet's log endpoint). Handle() may be called from many threads at
// once; Shutdown() ends open streams when the binding stops.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual Response Handle(const Request& request) = 0;
  virtual void Shutdown() {}
};

// The container whose log `options` asks for in `pod` (options.container, or
// the pod's only container; options.previous = the last terminated
// instance): its runtime container id. kInvalidArgument naming the pod and
// container when it has none yet (waiting to start) or is not in the pod,
// and naming the status field when the stored id does not follow the
// container id grammar (kubelet_endpoint.h) — it is data any writer of the
// pod's status could have set.
Result<std::string> LogContainerId(const api::Pod& pod, const LogSource::Options& options);

struct RestOptions {
  // Service cluster IPs are allocated from this IPv4 CIDR (the network and
  // broadcast addresses and the first usable one, kept for the API service
  // itself as in Kubernetes, are never handed out).
  std::string service_cidr = "10.96.0.0/16";
  // NodePort range (inclusive).
  int32_t node_port_min = 30000;
  int32_t node_port_max = 32767;
  // DefaultTolerationSeconds admission (registry::RegistryOptions): how long
  // a new pod tolerates its node's not-ready / unreachable NoExecute taint
  // unless it says; nullopt = no default toleration.
  std::optional<int64_t> default_not_ready_toleration_seconds = 300;
  std::optional<int64_t> default_unreachable_toleration_seconds = 300;
  // Events expire this long after their last write (kube-apiserver's
  // --event-ttl); 0: never.
  Duration event_ttl = minutes(60);
  // The registry (core/registry) to share with in-process components that
  // write to the same store through their own LocalApi; null = one of the
  // server's own, built from the ranges above.
  std::shared_ptr<registry::Registry> registry;
  // Seed of the uid/generateName generators (cmd/ seeds it randomly so that
  // uids stay unique across restarts).
  uint64_t seed = 1;
  // LocalApi instances in the write pool (concurrent writes in flight).
  int write_pool = 16;
  // A watch without timeoutSeconds ends after this long (the client re-watches).
  Duration default_watch_timeout = minutes(30);
  // BOOKMARK interval for watches with allowWatchBookmarks=true.
  Duration bookmark_interval = seconds(60);
  // navarch's own version, reported in /version's gitVersion build metadata.
  std::string navarch_version = "0.1.0";
  // The server's own address, for /api serverAddressByClientCIDRs.
  std::string server_address = "127.0.0.1:6443";
  // Where the server reports what an operator should know (each stored
  // object that cannot be decoded, at Start). May be empty.
  std::function<void(const std::string&)> warn;
  // The networks kubelet endpoints may be in (kubelet_endpoint.h): pods/log
  // refuses to connect anywhere else.
  NetworkList kubelet_networks;
};

class RestServer final : public RequestHandler {
 public:
  // `metrics` may be null.
  RestServer(store::Store& store, runtime::Clock& clock, RestOptions options,
             Metrics* metrics = nullptr);
  ~RestServer();
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

  // Creates the built-in namespaces when missing and loads the allocated
  // service IPs and node ports. Call once before Handle().
  Status Start();

  // Serves one request. Thread-safe.
  Response Handle(const Request& request) override;

  // Ends every open watch stream (graceful shutdown). Later watches are
  // refused with 503.
  void Shutdown() override;

  // Open watch streams.
  size_t WatchCount() const;

  // Where pods/log reads logs in process (`navarch up`); for pods on nodes
  // it does not serve (or when null), pods/log asks the kubelet of the pod's
  // node over the log endpoint the Node advertises (kubelet_logs.h).
  void SetLogSource(LogSource* source);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace navarch::apiserver
