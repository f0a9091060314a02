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
//  * A request body over `max_body_bytes` is answered 413 with a Status and
//    the connection closed.
//  * TLS (optional) through asio::ssl with the given PEM certificate chain
//    and key; otherwise plain HTTP.
//  * Authentication (optional): `Authorization: Bearer <token>` checked by the
//    TokenAuthenticator; without a valid token every request except
//    /healthz, /livez, /readyz and /version is answered 401 before the REST
//    layer sees it, so nothing is written.
//  * Stop(): stops accepting, ends every watch stream, lets in-flight requests
//    finish (up to `drain_timeout`), then closes the remaining connections
//    and joins the threads.

#include <cstdint>
#include <memory>
#include <string>

#include "core/apiserver/rest.h"
#include "core/apiserver/tokens.h"
#include "core/base/status.h"

namespace navarch::apiserver {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6443;  // 0 = any free port (see HttpServer::port())
  int io_threads = 2;
  int handler_threads = 16;
  size_t max_body_bytes = 3 * 1024 * 1024;
  // Keep-alive connections idle longer than this are closed.
  std::chrono::seconds idle_timeout{120};
  std::chrono::seconds drain_timeout{10};
  // TLS: both set = HTTPS.
  std::string cert_pem;
  std::string key_pem;
  // null = no authentication (only for tests and --insecure-http runs).
  const TokenAuthenticator* auth = nullptr;
};

class HttpServer {
 public:
  // `handler` (usually the RestServer) must outlive the server.
  HttpServer(RequestHandler& handler, HttpServerOptions options);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. kUnavailable naming the address
  // when it cannot bind; kInvalidArgument for a bad certificate or key.
  Status Start();
  // The bound port (after Start).
  uint16_t port() const;
  void Stop();

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace navarch::apiserver
