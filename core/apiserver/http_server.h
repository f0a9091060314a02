#pragma once
// The API server's HTTP(S) binding on Boost.Beast/Asio.
//
//  * Asynchronous: a few I/O threads serve any number of connections; each
//    request is handed to a pool of handler threads (RestServer::Handle may
//    wait for a store commit), so concurrent writes reach the store together
//    and SQLite group commit batches them. Watches hold no thread.
//  * HTTP/1.1 keep-alive; streamed responses (watch, log?follow=true) use
//    chunked encoding and every chunk is flushed when written. A client that
//    disconnects ends its stream (the producer is told).
//  * TLS (optional) through asio::ssl with the given PEM certificate chain
//    and key; otherwise plain HTTP. TLS 1.2 offers only ECDHE suites with an
//    AEAD cipher (http_limits.h); TLS 1.3 suites are all AEAD.
//  * Authentication (optional): `Authorization: Bearer <token>` checked by the
//    TokenAuthenticator on the request header, before any of the body is
//    read; without a valid token every request except /healthz, /livez,
//    /readyz and /version is answered 401 and the connection closed, so an
//    unauthenticated client costs at most one header of memory and nothing
//    is written.
//  * Limits (HttpServerOptions below; docs/apiserver.md "Limits"), each
//    answered the way client-go retries: a cap on connections and on
//    requests in flight (globally and per client) answered 429 with
//    Retry-After; header, body and idle timeouts; a per-stream send buffer
//    past which a watch ends with an ERROR event asking the client to watch
//    again from its last resourceVersion; back-off of the accept loop when
//    the process runs out of file descriptors.
//  * Stop(): stops accepting, ends every watch stream, lets in-flight
//    requests finish (up to `drain_timeout`), then closes the remaining
//    connections and joins the threads.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/apiserver/rest.h"
#include "core/apiserver/tokens.h"
#include "core/base/status.h"

namespace navarch::apiserver {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6443;  // 0 = any free port (see HttpServer::port())
  int io_threads = 2;
  int handler_threads = 16;
  std::chrono::seconds drain_timeout{10};
  // TLS: both set = HTTPS.
  std::string cert_pem;
  std::string key_pem;
  // TLS 1.2 cipher suites by IANA name; empty = DefaultTlsCipherSuites()
  // (http_limits.h). Only ECDHE + AEAD suites are accepted (Start() fails
  // with kInvalidArgument naming any other).
  std::vector<std::string> tls_cipher_suites;
  // "VersionTLS12" or "VersionTLS13".
  std::string tls_min_version = "VersionTLS12";
  // null = no authentication (only for tests and --insecure-http runs).
  const TokenAuthenticator* auth = nullptr;
  // Where the server reports what it refused or ended (a slow watcher, the
  // accept loop backing off); called on I/O threads; may be empty.
  std::function<void(std::string_view)> log;

  // --- Limits. Past each one, what the client sees (docs/apiserver.md). ---
  // A request body larger than this: 413 (told from Content-Length before
  // the body is read), connection closed.
  size_t max_body_bytes = 3 * 1024 * 1024;
  // A request header larger than this: 431, connection closed.
  size_t max_header_bytes = 64 * 1024;
  // From the first byte of a request to the end of its header (and the TLS
  // handshake): past it the connection is closed (slow-header clients).
  std::chrono::seconds header_timeout{10};
  // Reading the body of an admitted request: past it the connection is
  // closed.
  std::chrono::seconds body_timeout{60};
  // A keep-alive connection waiting longer than this for its next request
  // is closed.
  std::chrono::seconds idle_timeout{120};
  // Open connections. A connection past the cap is answered on its first
  // request: health probes (/healthz, /livez, /readyz, /version) normally,
  // anything else 429 with Retry-After: 1; then it is closed. At most
  // kSpareConnections such connections are open at once; beyond that the
  // server stops accepting until a connection ends.
  int max_connections = 4096;
  // Requests being read or served (not watches or log follows), from all
  // clients / from one client: past either, 429 with Retry-After: 1. A
  // client is the authenticated user and the peer address ("alice@10.0.0.7");
  // without authentication, the peer address. Health probes are not counted.
  int max_requests_inflight = 400;
  int max_requests_inflight_per_client = 100;
  // Long-running requests (?watch=true, ?follow=true) open per client: past
  // it, 429 with Retry-After: 1.
  int max_watches_per_client = 500;
  // Bytes one stream may have queued for a client that reads slower than
  // events arrive, and all streams together. Past either (once the stream
  // has anything queued), the stream ends: what was queued is dropped, a
  // watch gets a last ERROR event with a 429 TooManyRequests Status saying to
  // watch again from the last resourceVersion it received (client-go's
  // reflector does so after a back-off, without a relist), and the
  // connection is closed once that is sent (or after kStreamStall). The
  // initial events of a watch, produced on a handler thread, instead wait
  // up to kStreamStall for the client to read.
  size_t watch_send_buffer_bytes = 4 * 1024 * 1024;
  size_t watch_send_buffer_total_bytes = 1024 * 1024 * 1024;
};

// Fixed parts of the limits (docs/apiserver.md "Limits").
// Connections accepted past max_connections only to be answered 429.
inline constexpr int kSpareConnections = 64;
// How long a stream's producer may wait for its client, and how long an
// ended stream has to send its last event.
inline constexpr std::chrono::seconds kStreamStall{10};
// After a response that closes the connection (401, 413, 429, ...) the
// server stops sending and discards what the client still sends for up to
// this long / this many bytes, so that it reads the answer rather than a
// reset (as Go's net/http does), then closes.
inline constexpr std::chrono::seconds kLingerTime{1};
inline constexpr size_t kLingerBytes = 256 * 1024;
// Accepting fails for want of file descriptors (EMFILE, ENFILE, ENOBUFS,
// ENOMEM): the accept loop pauses this long, doubling up to the maximum,
// instead of retrying at once.
inline constexpr std::chrono::milliseconds kAcceptBackoffMin{50};
inline constexpr std::chrono::milliseconds kAcceptBackoffMax{1000};

// What the server holds and has refused so far (for tests and monitoring).
struct HttpServerStats {
  int64_t connections = 0;            // open now
  int64_t requests_inflight = 0;      // admitted short requests now
  int64_t long_running = 0;           // admitted watches / log follows now
  int64_t stream_queued_bytes = 0;    // queued to stream clients now
  int64_t stream_queued_peak = 0;     // high-water mark of the above
  uint64_t unauthorized = 0;          // 401 answers
  uint64_t rejected_connections = 0;  // 429 past max_connections
  uint64_t rejected_requests = 0;     // 429 past an in-flight or watch cap
  uint64_t streams_overflowed = 0;    // streams ended for a slow client
  uint64_t accept_backoffs = 0;       // accept failures that paused the loop
};

class HttpServer {
 public:
  // `handler` (usually the RestServer) must outlive the server.
  HttpServer(RequestHandler& handler, HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. kUnavailable naming the address
  // when it cannot bind; kInvalidArgument for a bad certificate or key, a
  // cipher suite or TLS version not allowed, or a limit out of range.
  Status Start();
  // The bound port (after Start).
  uint16_t port() const;
  void Stop();
  HttpServerStats stats() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace navarch::apiserver
