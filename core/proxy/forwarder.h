#pragma once
// TcpForwarder: the I/O side of the service proxy. It owns a Boost.Asio
// io_context and one thread running it; it listens on TCP ports and splices
// every accepted connection to one backend of that listener.
//
//   TcpForwarder fwd(options);
//   Status st = fwd.Listen("default/web:http", "127.0.0.1", 8080);
//   fwd.SetBackends("default/web:http", snapshot);   // an immutable BackendSet
//   ...
//   fwd.Close("default/web:http");
//
// Control vs. I/O. The caller (the ServiceProxy, on its Clock loop) decides
// which backends serve which listener and hands an immutable snapshot over
// with SetBackends(); the I/O thread only reads snapshots. Listen, SetBackends,
// Close and SetAffinityNow run their work on the I/O thread and return when it
// is done, so a connection accepted after SetBackends() returned uses the new
// snapshot. They must not be called from the I/O thread (asserted).
//
// Choosing a backend, per accepted connection:
//   * ClientIP affinity (BackendSet::client_ip_affinity): a client address
//     that connected within `affinity_timeout` goes to the backend it used
//     last, if that backend is still in the snapshot and accepts;
//   * otherwise round-robin over the snapshot: each connection starts one
//     backend further than the previous one;
//   * a backend that refuses (or does not answer within connect_timeout) is
//     skipped and the next one is tried, until every backend was tried once;
//     then the client connection is closed (counted in stats).
// An empty snapshot closes accepted connections at once.
//
// Open connections. A connection keeps its backend until either side closes:
// replacing the snapshot or closing the listener never drops an open
// connection. Half-closes are forwarded (EOF from one side shuts down the
// sending direction of the other) so request/response protocols that close
// their write side work. Destroying the forwarder closes everything.
//
// Time. Affinity expiry is measured against the time the owner last passed to
// SetAffinityNow() (the ServiceProxy passes its Clock's Now() every second), so
// a test with a ManualClock decides exactly when an affinity expires. The only
// real-time element is the connect timeout of a backend dial, which is a
// property of the network, not of the control plane.
//
// Thread safety: every public method may be called from any thread except the
// I/O thread; stats() from anywhere.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"

namespace navarch::proxy {

// A log line sink. Called from the I/O thread and from the caller's threads,
// so it must be thread-safe.
using LogFn = std::function<void(std::string_view)>;

// Where the proxy dials for one endpoint.
struct Backend {
  std::string host;  // an IP address (no name resolution)
  int32_t port = 0;
  // How logs name it: "<endpoint ip>:<port> (pod default/web-1)".
  std::string description;
  bool operator==(const Backend&) const = default;
};

struct BackendSet {
  std::vector<Backend> backends;  // in round-robin order
  bool client_ip_affinity = false;
  Duration affinity_timeout = seconds(10800);
  bool operator==(const BackendSet&) const = default;
};

struct ForwarderOptions {
  // A backend that has not accepted within this time is skipped.
  Duration connect_timeout = seconds(3);
  // Per direction, per connection.
  size_t buffer_bytes = 16 * 1024;
  LogFn log;  // may be empty
};

struct ForwarderStats {
  std::atomic<uint64_t> accepted{0};          // client connections accepted
  std::atomic<uint64_t> forwarded{0};         // connections spliced to a backend
  std::atomic<uint64_t> backend_failures{0};  // dials refused or timed out (then skipped)
  std::atomic<uint64_t> no_backend{0};        // clients closed: no backend accepted
  std::atomic<uint64_t> active{0};            // spliced connections open now
  std::atomic<uint64_t> bytes{0};             // bytes forwarded, both directions
};

class TcpForwarder {
 public:
  explicit TcpForwarder(ForwarderOptions options = {});
  ~TcpForwarder();
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  // Opens a listener named `id` on address:port (port 0 = any free port; see
  // LocalPort) and starts accepting; it has no backends until SetBackends.
  // kAlreadyExists if `id` is open; kInvalidArgument for an address that is
  // not an IP; kUnavailable naming address:port and the system's reason when
  // the port cannot be bound (already in use, no permission).
  Status Listen(const std::string& id, const std::string& address, int32_t port);
  // Replaces the listener's backends for connections accepted from now on.
  // Unknown ids are ignored.
  void SetBackends(const std::string& id, std::shared_ptr<const BackendSet> backends);
  // Stops accepting on `id` (open connections continue). Unknown ids are ignored.
  void Close(const std::string& id);
  // The port `id` listens on (useful after Listen with port 0); 0 if unknown.
  int32_t LocalPort(const std::string& id);
  // The time affinity entries are compared against (see above).
  void SetAffinityNow(Time now);

  const ForwarderStats& stats() const { return stats_; }

  struct Impl;  // defined in forwarder.cpp only

 private:
  ForwarderStats stats_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace navarch::proxy
