#pragma once
// Loopback fixtures for the HTTP binding's tests: a RestServer on a
// MemoryStore behind an HttpServer on 127.0.0.1 (any free port), and a
// blocking HTTP client on one connection. Test code only.

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <string>

#include "backends/realtime/asio_clock.h"
#include "core/apiserver/http_server.h"
#include "core/apiserver/metrics.h"
#include "core/apiserver/rest.h"
#include "core/store/memory_store.h"

namespace navarch::apiserver::http_test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

inline std::string PodBody(const std::string& name, const std::string& annotation = {}) {
  std::string s = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + "\"";
  if (!annotation.empty()) s += R"(,"annotations":{"note":")" + annotation + "\"}";
  s += R"(},"spec":{"containers":[{"name":"c","image":"i"}]}})";
  return s;
}

inline tcp::endpoint Loopback(uint16_t port) {
  return tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
}

class Server {
 public:
  explicit Server(HttpServerOptions opts = {}) : rest_(store_, clock_, RestOptions(), &metrics_) {
    clock_.Start();
    EXPECT_TRUE(rest_.Start().ok());
    opts.port = 0;
    opts.io_threads = 2;
    opts.handler_threads = 4;
    http_ = std::make_unique<HttpServer>(rest_, opts);
    Status st = http_->Start();
    EXPECT_TRUE(st.ok()) << st;
  }
  ~Server() {
    http_->Stop();
    clock_.Stop();
  }
  uint16_t port() const { return http_->port(); }
  HttpServer& http() { return *http_; }
  RestServer& rest() { return rest_; }

 private:
  store::MemoryStore store_;
  realtime::AsioClock clock_;
  Metrics metrics_;
  RestServer rest_;
  std::unique_ptr<HttpServer> http_;
};

// A plain HTTP client on one connection.
class Client {
 public:
  explicit Client(uint16_t port) : stream_(io_) {
    stream_.connect(Loopback(port));
    stream_.expires_after(std::chrono::seconds(30));
  }
  http::response<http::string_body> Do(http::verb verb, const std::string& target,
                                       const std::string& body = {},
                                       const std::string& token = {}) {
    http::request<http::string_body> req(verb, target, 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(30));
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res);
    return res;
  }
  beast::tcp_stream& stream() { return stream_; }
  net::io_context& io() { return io_; }
  beast::flat_buffer& buffer() { return buffer_; }

 private:
  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

}  // namespace navarch::apiserver::http_test
