// The HTTP(S) binding over loopback: keep-alive, chunked watch streams, 401,
// 413, TLS with the generated CA, and shutdown ending streams.
#include "core/apiserver/http_server.h"

#include <gtest/gtest.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <thread>

#include "core/apiserver/certs.h"
#include "core/apiserver/kubeconfig_writer.h"
#include "core/apiserver/tokens.h"
#include "tests/unit/apiserver/http_test_util.h"

namespace navarch::apiserver {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using http_test::Client;
using http_test::PodBody;
using http_test::Server;

TEST(HttpServer, KeepAliveServesManyRequestsOnOneConnection) {
  Server s;
  Client c(s.port());
  auto r1 = c.Do(http::verb::post, "/api/v1/namespaces/default/pods", PodBody("a"));
  EXPECT_EQ(r1.result_int(), 201) << r1.body();
  EXPECT_TRUE(r1.keep_alive());
  auto r2 = c.Do(http::verb::get, "/api/v1/namespaces/default/pods/a");
  EXPECT_EQ(r2.result_int(), 200);
  auto r3 = c.Do(http::verb::get, "/api/v1/namespaces/default/pods?labelSelector=app%3Dnone");
  EXPECT_EQ(r3.result_int(), 200);
  EXPECT_NE(r3.body().find("\"items\":[]"), std::string::npos);
  auto r4 = c.Do(http::verb::get, "/healthz");
  EXPECT_EQ(r4.body(), "ok");
}

TEST(HttpServer, WatchIsChunkedAndFlushedPerEvent) {
  Server s;
  Client w(s.port());
  http::request<http::empty_body> req(http::verb::get, "/api/v1/namespaces/default/pods?watch=true",
                                      11);
  req.set(http::field::host, "127.0.0.1");
  http::write(w.stream(), req);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  http::read_header(w.stream(), w.buffer(), parser);
  EXPECT_EQ(parser.get().result_int(), 200);
  EXPECT_TRUE(parser.get().chunked());

  Client c(s.port());
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(c.Do(http::verb::post, "/api/v1/namespaces/default/pods", PodBody(name)).result_int(),
              201);
  }
  // Read until both events arrived (each flushed as its own chunk).
  std::string got;
  char buf[4096];
  while (std::count(got.begin(), got.end(), '\n') < 2) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof(buf);
    beast::error_code ec;
    http::read_some(w.stream(), w.buffer(), parser, ec);
    if (ec && ec != http::error::need_buffer) FAIL() << ec.message();
    got.append(buf, sizeof(buf) - parser.get().body().size);
  }
  auto first = got.substr(0, got.find('\n'));
  auto ev = boost::json::parse(first).as_object();
  EXPECT_EQ(ev["type"], "ADDED");
  EXPECT_EQ(ev["object"].at("metadata").at("name"), "a");
  EXPECT_EQ(s.rest().WatchCount(), 1u);
}

TEST(HttpServer, AClientThatDisconnectsEndsItsWatch) {
  Server s;
  {
    Client w(s.port());
    http::request<http::empty_body> req(http::verb::get, "/api/v1/pods?watch=true", 11);
    req.set(http::field::host, "127.0.0.1");
    http::write(w.stream(), req);
    http::response_parser<http::string_body> parser;
    http::read_header(w.stream(), w.buffer(), parser);
    ASSERT_EQ(parser.get().result_int(), 200);
    // The stream registers on the clock's loop, just after the headers.
    for (int i = 0; i < 500 && s.rest().WatchCount() == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_EQ(s.rest().WatchCount(), 1u);
  }  // the client closes its socket
  // The server notices when it next writes (an event) or reads EOF.
  Client c(s.port());
  for (int i = 0; i < 200 && s.rest().WatchCount() != 0; ++i) {
    c.Do(http::verb::post, "/api/v1/namespaces/default/pods", PodBody("p" + std::to_string(i)));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(s.rest().WatchCount(), 0u);
}

TEST(HttpServer, OversizedBodyIs413) {
  HttpServerOptions o;
  o.max_body_bytes = 1024;
  Server s(o);
  Client c(s.port());
  auto r = c.Do(http::verb::post, "/api/v1/namespaces/default/pods", std::string(4096, 'x'));
  EXPECT_EQ(r.result_int(), 413);
  auto st = boost::json::parse(r.body()).as_object();
  EXPECT_EQ(st["reason"], "RequestEntityTooLarge");
  EXPECT_EQ(st["code"], 413);
}

TEST(HttpServer, BearerTokensAreRequired) {
  auto auth = TokenAuthenticator::Parse("secret-token,alice,1\n", "tokens.csv");
  ASSERT_TRUE(auth.ok());
  HttpServerOptions o;
  o.auth = &*auth;
  Server s(o);
  // A 401 is answered on the header and ends the connection (its body is
  // never read).
  auto none =
      Client(s.port()).Do(http::verb::post, "/api/v1/namespaces/default/pods", PodBody("a"));
  EXPECT_EQ(none.result_int(), 401);
  EXPECT_NE(none.body().find("\"reason\":\"Unauthorized\""), std::string::npos);
  EXPECT_FALSE(none.keep_alive());
  auto wrong = Client(s.port()).Do(http::verb::post, "/api/v1/namespaces/default/pods",
                                   PodBody("a"), "nope");
  EXPECT_EQ(wrong.result_int(), 401);
  // Nothing was written.
  Client c(s.port());
  auto list = c.Do(http::verb::get, "/api/v1/namespaces/default/pods", "", "secret-token");
  EXPECT_EQ(list.result_int(), 200);
  EXPECT_NE(list.body().find("\"items\":[]"), std::string::npos);
  auto ok = c.Do(http::verb::post, "/api/v1/namespaces/default/pods", PodBody("a"), "secret-token");
  EXPECT_EQ(ok.result_int(), 201);
  EXPECT_EQ(c.Do(http::verb::get, "/healthz").result_int(), 200);  // anonymous
}

TEST(HttpServer, TokenFileFormatErrorsNameTheLine) {
  auto bad = TokenAuthenticator::Parse("# comment\n\ntok,only\n", "t.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t.csv:3"), std::string::npos);
  auto good = TokenAuthenticator::Parse("a,admin,1,\"system:masters,x\"\nb,bob,2\n", "t.csv");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->Authenticate("b")->name, "bob");
  EXPECT_EQ(good->TokenOf("admin"), "a");
  EXPECT_FALSE(good->Authenticate("").has_value());
}

TEST(HttpServer, TlsWithTheGeneratedCa) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("navarch-tls-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto tls = EnsureServingCertificates(dir.string(), {"127.0.0.1", "localhost"},
                                       Time::FromUnixSeconds(std::time(nullptr)));
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_TRUE(tls->generated);
  auto again = EnsureServingCertificates(dir.string(), {"127.0.0.1"}, Time());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->generated);
  EXPECT_EQ(again->ca_pem, tls->ca_pem);

  HttpServerOptions o;
  o.cert_pem = tls->cert_pem;
  o.key_pem = tls->key_pem;
  Server s(o);

  net::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(net::buffer(tls->ca_pem));
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
  stream.handshake(ssl::stream_base::client);
  http::request<http::empty_body> req(http::verb::get, "/api/v1/namespaces", 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_NE(res.body().find("NamespaceList"), std::string::npos);

  // A client that does not trust the CA fails the handshake.
  ssl::context untrusting(ssl::context::tls_client);
  untrusting.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> bad(io, untrusting);
  beast::get_lowest_layer(bad).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), s.port()));
  beast::error_code ec;
  bad.handshake(ssl::stream_base::client, ec);
  EXPECT_TRUE(ec);

  const std::string kc = RenderKubeconfig({"https://127.0.0.1:6443", tls->ca_pem, "admin", "t0k"});
  EXPECT_NE(kc.find("certificate-authority-data: "), std::string::npos);
  EXPECT_NE(kc.find("token: \"t0k\""), std::string::npos);
  EXPECT_NE(kc.find("current-context: navarch"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, StopEndsWatchStreams) {
  auto s = std::make_unique<Server>();
  Client w(s->port());
  http::request<http::empty_body> req(http::verb::get, "/api/v1/pods?watch=true", 11);
  req.set(http::field::host, "127.0.0.1");
  http::write(w.stream(), req);
  http::response_parser<http::string_body> parser;
  http::read_header(w.stream(), w.buffer(), parser);
  EXPECT_EQ(parser.get().result_int(), 200);
  s->http().Stop();
  // Read (with a deadline, so that a stream left open fails the test instead
  // of hanging it) until the server ends the response or the connection.
  bool done = false;
  beast::error_code ec;
  w.stream().expires_after(std::chrono::seconds(10));
  http::async_read(w.stream(), w.buffer(), parser, [&](beast::error_code e, size_t) {
    ec = e;
    done = true;
  });
  w.io().restart();
  w.io().run();
  ASSERT_TRUE(done);
  EXPECT_NE(ec, beast::error::timeout) << "the watch stream was still open 10 s after Stop()";
  // The stream ended: either its last chunk arrived or the connection closed
  // (partial_message: closed inside the chunked body, before a last chunk).
  EXPECT_TRUE(!ec || ec == http::error::end_of_stream || ec == http::error::partial_message ||
              ec == net::error::eof || ec == net::error::connection_reset)
      << ec.message();
}

}  // namespace
}  // namespace navarch::apiserver
