#pragma once
// A small HTTP/1.1 front for apiserver::RestServer, for the HttpApi tests:
// thread per connection, keep-alive, chunked watch streams, and knobs the
// tests need (drop every open connection, answer with an injected status).
// Listens on 127.0.0.1 on a free port. Test code only.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "backends/realtime/asio_clock.h"
#include "core/apiclient/http_api.h"
#include "core/apiserver/rest.h"
#include "core/store/memory_store.h"

namespace navarch::apiclient::testing {

class TestHttpServer {
 public:
  // `port` 0 = any free port.
  explicit TestHttpServer(apiserver::RestServer& rest, int port = 0);
  ~TestHttpServer();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Closes every open connection (watch streams included), as a crash of
  // the server would; new connections are still accepted.
  void DropConnections();
  // Stops accepting and closes everything.
  void Stop();

  // When set and it returns a response, that response is sent instead of
  // asking the RestServer.
  using Override = std::function<std::optional<apiserver::Response>(const apiserver::Request&)>;
  void SetOverride(Override fn);

  uint64_t connections_accepted() const { return accepted_.load(); }
  uint64_t requests() const { return requests_.load(); }

 private:
  void AcceptLoop();
  void Serve(std::shared_ptr<boost::asio::ip::tcp::socket> socket);

  apiserver::RestServer& rest_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::set<std::shared_ptr<boost::asio::ip::tcp::socket>> open_;
  std::vector<std::thread> threads_;
  Override override_;
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> requests_{0};
};

// A whole client/server pair for HttpApi tests: a RestServer on a
// MemoryStore (its own AsioClock), a TestHttpServer in front of it, and an
// HttpApi on a second AsioClock with short retry back-offs. Start() brings
// it up (the first failure is returned); Stop() tears it down in order.
struct HttpApiHarness {
  Status StartHarness();
  void StopHarness();

  store::MemoryStore store_;
  realtime::AsioClock server_clock_;
  std::unique_ptr<apiserver::RestServer> rest_;
  std::unique_ptr<TestHttpServer> http_;
  realtime::AsioClock clock_;
  std::unique_ptr<HttpApi> api_;
};

}  // namespace navarch::apiclient::testing
