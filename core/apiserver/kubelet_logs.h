#pragma once
// Container logs across processes: the kubelet's log endpoint and the API
// server's client of it.
//
// A kubelet process (`navarch kubelet`) serves the logs of the containers it
// runs on a small HTTP endpoint and advertises it in its Node
// (kubelet_endpoint.h: address, port, token, and the checks the API server
// makes before it connects). The token is random per kubelet start. It
// guards the endpoint against other local users; anyone who may read Nodes
// through the API may read it, which is no more than they may already do
// (read pods/log).
//
// Wire (plain HTTP/1.1; bind it to loopback or a private network):
//   GET /containerLogs/<containerID>[?tailLines=N][&limitBytes=N][&timestamps=true][&follow=true]
//   Authorization: Bearer <token>
// <containerID> is percent-encoded (every byte outside A-Z a-z 0-9 - . _ ~),
// so "docker://0123" travels as docker%3A%2F%2F0123; the query carries only
// these typed values. Both sides check the id against the container id
// grammar (kubelet_endpoint.h) and answer 400 naming it otherwise; the
// kubelet serves only containers it runs (404 for any other id).
// 200 text/plain with the log (chunked, growing, while following); an error
// is a JSON Status object with its code and message.
//
// The API server answers pods/log from its in-process LogSource when that
// serves the pod's node (`navarch up`), otherwise through KubeletLogClient
// to the node's endpoint.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/api/types.h"
#include "core/apiserver/kubelet_endpoint.h"
#include "core/apiserver/rest.h"
#include "core/base/status.h"

namespace navarch::apiserver {

// The request target for `container_id`'s log with `options` (tailLines,
// limitBytes, timestamps, follow): the validated id percent-encoded, the
// query built from the typed values. kInvalidArgument naming the
// containerID when the id does not follow the grammar.
Result<std::string> KubeletLogTarget(std::string_view container_id,
                                     const LogSource::Options& options);

// The API server's side: reads and follows logs from kubelets' endpoints.
// Owns one I/O thread; every connection is asynchronous on it. Thread-safe.
class KubeletLogClient {
 public:
  KubeletLogClient();
  ~KubeletLogClient();  // closes open follows and joins the I/O thread
  KubeletLogClient(const KubeletLogClient&) = delete;
  KubeletLogClient& operator=(const KubeletLogClient&) = delete;

  // The log so far. Errors: kInvalidArgument for a container id outside the
  // grammar or a host that is not an IP literal (checked before any
  // connection is made); kUnavailable when the kubelet cannot be reached or
  // does not answer within 30 s; the kubelet's own Status otherwise.
  // `endpoint` should come from KubeletEndpointOf, which applies the
  // allowed networks.
  Result<std::string> Read(const KubeletEndpoint& endpoint, const std::string& container_id,
                           const LogSource::Options& options);
  // Waits until the kubelet has answered with its headers (an error then is
  // returned and `out` left untouched), then relays the log to `out` as it
  // grows, and Finish()es it when the kubelet ends the stream or `out`
  // closes.
  Status Follow(const KubeletEndpoint& endpoint, const std::string& container_id,
                const LogSource::Options& options, std::shared_ptr<StreamWriter> out);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The kubelet's side: answers GET /containerLogs/<id> from `source`.
class ContainerLogReader {
 public:
  virtual ~ContainerLogReader() = default;
  // As LogSource::Read/Follow, by container id (one that passed
  // ValidateContainerId; it may carry a "<runtime>://" prefix). An id of a
  // container this kubelet does not run is kNotFound.
  virtual Result<std::string> ReadContainer(const std::string& container_id,
                                            const LogSource::Options& options) = 0;
  virtual Status FollowContainer(const std::string& container_id, const LogSource::Options& options,
                                 std::shared_ptr<StreamWriter> out) = 0;
};

// Log responses, shared by pods/log and the kubelet's endpoint: the text as
// text/plain; or a chunked text/plain stream that `follow` starts on the
// transport's writer (an error it returns becomes a last "error: ..." line).
Response LogTextResponse(std::string text);
Response LogFollowResponse(std::function<Status(std::shared_ptr<StreamWriter>)> follow);

// The kubelet's log endpoint. Refuses (400, naming it) a container id
// outside the grammar before the reader sees it, and a query value that is
// not of its type.
class KubeletLogHandler final : public RequestHandler {
 public:
  explicit KubeletLogHandler(ContainerLogReader& reader) : reader_(reader) {}
  Response Handle(const Request& request) override;

 private:
  ContainerLogReader& reader_;
};

}  // namespace navarch::apiserver
